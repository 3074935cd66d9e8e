"""Both storage backends behind the one interface: a real directory, and an S3-compatible
server (moto's, in server mode on loopback: real HTTP, real S3 protocol through boto3)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.media.conftest import picture

BUCKET = "khabar-media"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server_module = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from app.core.config import get_settings

    monkeypatch.setenv("KHABAR_MEDIA_STORE", f"s3://{BUCKET}/site-a")
    for name, value in (("ENDPOINT_URL", s3_endpoint), ("REGION", "us-east-1"),
                        ("ACCESS_KEY_ID", "test"), ("SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(f"KHABAR_MEDIA_S3_{name}", value)
    get_settings.cache_clear()
    yield s3_endpoint
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(params=["directory", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    from app.core.config import get_settings
    from app.media.storage import DirectoryStore, S3Store, store_for

    if request.param == "directory":
        return DirectoryStore(tmp_path / "store")
    request.getfixturevalue("s3_settings")
    made = store_for(get_settings())
    assert isinstance(made, S3Store)
    return made


class TestStore:
    def test_put_get_delete_prefix(self, store: Any) -> None:
        assert store.get("a/original.jpg") is None
        store.put("a/original.jpg", b"master", "image/jpeg")
        store.put("a/v1/w320.webp", b"small", "image/webp")
        store.put("ab/original.jpg", b"other", "image/jpeg")
        assert store.get("a/original.jpg") == b"master"
        assert store.get("a/v1/w320.webp") == b"small"
        store.put("a/v1/w320.webp", b"again", "image/webp")
        assert store.get("a/v1/w320.webp") == b"again"
        store.delete_prefix("a/v1/")
        assert store.get("a/v1/w320.webp") is None
        assert store.get("a/original.jpg") == b"master"
        store.delete_prefix("a/")
        assert store.get("a/original.jpg") is None
        assert store.get("ab/original.jpg") == b"other"  # a prefix is a folder, not a string
        store.delete_prefix("nothing/")

    def test_directory_keys_cannot_leave_the_root(self, tmp_path: Path) -> None:
        from app.media.storage import DirectoryStore

        with pytest.raises(ValueError, match="leaves the store"):
            DirectoryStore(tmp_path / "root").get("../outside")


class TestThroughTheApiOnS3:
    def test_upload_serve_delete(self, s3_settings: str, client: Any,
                                 upload: Callable[..., Any],
                                 auth_headers: Callable[..., dict[str, str]]) -> None:
        import boto3

        body = upload(picture(1000, 700)).json()
        r = client.get(body["renditions"][1]["url"])
        assert r.status_code == 200
        assert Image.open(io.BytesIO(r.content)).size == (640, 448)
        s3 = boto3.client("s3", endpoint_url=s3_settings, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
        assert f"site-a/{body['id']}/original.jpg" in keys
        assert any(k.endswith("/w640.webp") and body["id"] in k for k in keys)
        head = s3.head_object(Bucket=BUCKET, Key=f"site-a/{body['id']}/original.jpg")
        assert head["ContentType"] == "image/jpeg"
        assert client.delete(f"/v1/editorial/media/{body['id']}",
                             headers=auth_headers("editor")).status_code == 204
        left = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"site-a/{body['id']}/")
        assert left.get("KeyCount", 0) == 0
