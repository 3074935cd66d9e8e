"""Media problems (RFC 9457, through app/core/errors.py)."""

from __future__ import annotations

from app.core.errors import AppError, PayloadTooLarge, Unprocessable


class UnsupportedMediaType(AppError):
    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class UploadTooLarge(PayloadTooLarge):
    pass


class ImageRejected(Unprocessable):
    title = "Image refused"
    slug = "image-refused"


def from_status(status: int, detail: str) -> AppError:
    return UnsupportedMediaType(detail) if status == 415 else ImageRejected(detail)
