"""Every table model, imported in one place for Alembic and the tests."""

from app.articles.models import Article, ArticleRevision, SlugHistory
from app.authors.models import ArticleAuthor, Author
from app.briefs.models import Brief
from app.core.counters import Counter
from app.media.models import Media
from app.partners.models import Partner, PartnerUsage
from app.syndication.models import ArticleChange
from app.taxonomy.models import ArticleTag, Section, Tag
from app.users.models import User

__all__ = [
    "Article", "ArticleAuthor", "ArticleChange", "ArticleRevision", "ArticleTag", "Author",
    "Brief", "Counter", "Media", "Partner", "PartnerUsage", "Section", "SlugHistory", "Tag", "User",
]
