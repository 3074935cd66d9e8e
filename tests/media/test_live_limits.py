"""The upload limit over a real socket to `khabar serve`: a body over the limit is answered 413
while the client is still sending, so the server never reads (or buffers) the rest."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.reliability.servers import live_server

LIMIT = 100_000
CHUNK = 64 * 1024


def _request(base: str, headers: dict[str, str]) -> tuple[socket.socket, bytes]:
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    start = (f"POST /v1/editorial/media HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}\r\n").encode()
    return sock, start


def _status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        more = sock.recv(4096)
        if not more:
            break
        data += more
    return int(data.split(b" ", 2)[1])


@pytest.mark.slow
def test_413_before_the_rest_is_sent(database_url: str, tmp_path: Path,
                                     auth_headers: Callable[..., dict[str, str]]) -> None:
    token = auth_headers("writer")["Authorization"]
    boundary = "khabarboundary"
    part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    with live_server(database_url, KHABAR_MAX_UPLOAD_BYTES=str(LIMIT),
                     KHABAR_MEDIA_STORE=str(tmp_path)) as server:
        # Chunked, no length: the server answers once the limit is passed, while 20 MB more
        # would still be to come; the final chunk is never sent.
        sock, start = _request(server.base_url, {
            "Authorization": token, "Transfer-Encoding": "chunked",
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        with sock:
            sock.sendall(start + f"{len(part):x}\r\n".encode() + part + b"\r\n")
            sent = 0
            while sent <= LIMIT + CHUNK:
                sock.sendall(f"{CHUNK:x}\r\n".encode() + b"\xff" * CHUNK + b"\r\n")
                sent += CHUNK
            assert _status(sock) == 413
        # A declared length over the limit: answered before any of the body is sent.
        sock, start = _request(server.base_url, {
            "Authorization": token, "Content-Length": str(20 * 1024 * 1024),
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        with sock:
            sock.sendall(start)
            assert _status(sock) == 413
