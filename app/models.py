"""Every table model, imported in one place for Alembic and the tests."""

from app.articles.models import Article, ArticleRevision, SlugHistory
from app.audit.models import AuditEntry
from app.authors.models import ArticleAuthor, Author
from app.briefs.models import Brief
from app.core.counters import Counter
from app.corrections.models import ArticleCorrection
from app.partners.models import Partner, PartnerUsage
from app.previews.models import PreviewLink
from app.syndication.models import ArticleChange
from app.taxonomy.models import ArticleTag, Section, Tag
from app.users.models import User

__all__ = [
    "Article",
    "ArticleAuthor",
    "ArticleChange",
    "ArticleCorrection",
    "ArticleRevision",
    "ArticleTag",
    "AuditEntry",
    "Author",
    "Brief",
    "Counter",
    "Partner",
    "PartnerUsage",
    "PreviewLink",
    "Section",
    "SlugHistory",
    "Tag",
    "User",
]
