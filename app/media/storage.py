"""Where originals and renditions live, behind one small interface: a directory or an
S3-compatible bucket (`KHABAR_MEDIA_STORE=s3://bucket/prefix`). Calls block: run them in a
worker thread, never on the event loop."""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from app.core.config import Settings, get_settings


class MediaStore(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...


class DirectoryStore:
    """Files under one directory; writes go to a temporary file renamed into place, so a
    reader never sees half an image."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key {key!r} leaves the store")
        return path

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def put(self, key: str, data: bytes, content_type: str) -> None:  # noqa: ARG002
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete_prefix(self, prefix: str) -> None:
        root = self._path(prefix)
        if root.is_file():
            root.unlink()
            return
        if not root.is_dir():
            return
        for path in sorted(root.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        root.rmdir()


class S3Store:
    """An S3-compatible bucket (AWS, MinIO, Ceph, R2...) through boto3."""

    def __init__(self, url: str, settings: Settings) -> None:
        import boto3  # imported here: only a deployment that stores in S3 pays for it
        from botocore.config import Config

        bucket_and_prefix = url.removeprefix("s3://")
        self.bucket, _, prefix = bucket_and_prefix.partition("/")
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: Any = boto3.client(
            "s3", endpoint_url=settings.media_s3_endpoint_url,
            region_name=settings.media_s3_region,
            aws_access_key_id=settings.media_s3_access_key_id,
            aws_secret_access_key=settings.media_s3_secret_access_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3},
                          connect_timeout=5, read_timeout=30))
        self._missing = self.client.exceptions.NoSuchKey

    def get(self, key: str) -> bytes | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"]
        except self._missing:
            return None
        data: bytes = body.read()
        return data

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data,
                               ContentType=content_type)

    def delete_prefix(self, prefix: str) -> None:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})


def store_for(settings: Settings) -> MediaStore:
    location = settings.media_store
    if location.startswith("s3://"):
        return S3Store(location, settings)
    return DirectoryStore(location)


@lru_cache
def _cached(location: str, endpoint: str | None) -> MediaStore:  # noqa: ARG001 (cache key)
    return store_for(get_settings())


def get_store() -> MediaStore:
    s = get_settings()
    return _cached(s.media_store, s.media_s3_endpoint_url)
