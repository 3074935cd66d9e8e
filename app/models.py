"""Every table model, imported in one place for Alembic and the tests."""

from app.articles.models import Article, ArticleRevision, SlugHistory
from app.audit.models import AuditEntry
from app.authors.models import ArticleAuthor, Author
from app.briefs.models import Brief
from app.changelog.models import (
    ArticleChange,
    ChangeScope,
    PartnerGrant,
    PartnerScope,
    StaleKey,
)
from app.core.counters import Counter
from app.corrections.models import ArticleCorrection
from app.importer.models import WordpressPost
from app.media.models import Media
from app.partners.models import Partner, PartnerUsage
from app.previews.models import PreviewLink
from app.redirects.models import Redirect
from app.taxonomy.models import ArticleTag, Section, Tag
from app.users.models import User
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Article", "ArticleAuthor", "ArticleChange", "ArticleCorrection", "ArticleRevision",
    "ArticleTag", "AuditEntry", "Author", "Brief", "ChangeScope", "Counter", "Media", "Partner",
    "PartnerGrant", "PartnerScope", "PartnerUsage", "PreviewLink", "Redirect", "Section",
    "SlugHistory", "StaleKey", "Tag", "User", "WebhookAttempt", "WebhookDelivery",
    "WebhookEndpoint", "WordpressPost",
]
