"""The change log: one record of what became visible to whom, below the domains.

Domain services call `record` in their writing transaction; the partner feed, the public sync,
the response cache (content version), the CDN purge and long-poll waiters read what it wrote.
"""
