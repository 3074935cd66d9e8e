from app.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable


class ArticleNotFound(NotFound):
    title = "Article not found"


class StaleArticle(PreconditionFailed):
    title = "The article changed since you read it"


class InvalidArticle(Unprocessable):
    pass


class ArticleStateConflict(Conflict):
    title = "The article is not in a state that allows this"
