"""Which webhook URLs Khabar will call (SSRF rules).

Production (`KHABAR_ENV=production`): `https` only, and every address the host resolves to must
be a public one; the check runs again at send time on the addresses actually connected to (the
connection is pinned to a checked address, so a DNS answer that changes between the check and
the connect cannot redirect it). Development also accepts `http`, loopback and private
addresses, so a receiver on the same machine works. Link-local addresses (cloud metadata at
169.254.169.254), multicast and unspecified addresses are refused everywhere.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from app.core.config import get_settings
from app.core.errors import Unprocessable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForbiddenWebhookUrl(Unprocessable):
    title = "Webhook URL not allowed"
    slug = "webhook-url-forbidden"


class UnsafeAddress(Exception):
    """At send time: the host resolved to an address the rules refuse (or to nothing)."""


def production() -> bool:
    return get_settings().env == "production"


def address_allowed(ip: IPAddress, *, strict: bool) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    return ip.is_global if strict else True


def check_url(url: str) -> str:
    """The URL as stored, or a 422 naming what is wrong with it."""
    strict = production()
    parts = urlsplit(url)
    schemes = ("https",) if strict else ("https", "http")
    if parts.scheme not in schemes:
        raise _refused(f"The URL must use {' or '.join(schemes)}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _refused("The URL has no host")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not address_allowed(literal, strict=strict):
        raise _refused(f"{host} is not a public address")
    if strict and literal is None and (host == "localhost" or host.endswith(".localhost")):
        raise _refused(f"{host} is not a public host")
    return url


def _refused(detail: str) -> ForbiddenWebhookUrl:
    return ForbiddenWebhookUrl(detail, errors=[{"loc": ["body", "url"], "msg": detail}])


def resolve(host: str, port: int) -> str:
    """The first allowed address of `host`, checked now; raises UnsafeAddress when any address
    is refused (a host with one private address among public ones is refused as a whole)."""
    strict = production()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeAddress(f"cannot resolve {host}: {exc.strerror}") from None
    # IPv4 and IPv6 socket addresses start with the host as a string (typeshed's union also
    # holds other families' int)
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    refused = [a for a in addresses if not address_allowed(a, strict=strict)]
    if refused or not addresses:
        shown = refused[0] if refused else "nothing"
        raise UnsafeAddress(f"{host} resolves to a forbidden address ({shown})")
    return str(addresses[0])
