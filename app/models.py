"""Every table model, imported in one place for Alembic and the tests."""

from app.articles.models import Article, ArticleRevision, SlugHistory
from app.authors.models import ArticleAuthor, Author
from app.briefs.models import Brief
from app.changelog.models import ArticleChange, ChangeScope, PartnerScope
from app.core.counters import Counter
from app.partners.models import Partner, PartnerUsage
from app.taxonomy.models import ArticleTag, Section, Tag
from app.users.models import User
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Article", "ArticleAuthor", "ArticleChange", "ArticleRevision", "ArticleTag", "Author",
    "Brief", "ChangeScope", "Counter", "Partner", "PartnerScope", "PartnerUsage", "Section",
    "SlugHistory", "Tag", "User", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
]
