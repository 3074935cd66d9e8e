from app.core.errors import NotFound, Unauthorized


class UserNotFound(NotFound):
    title = "User not found"


class BadCredentials(Unauthorized):
    title = "Invalid credentials"
