"""The HTTP front refuses abuse before authentication (issue 11, item 11), over real sockets."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import AppUnderTest, start_app
from harness.slack_emulator import SlackEmulator

from bot.http_server import MAX_BODY, THREADS


def raw(app: AppUnderTest, request: bytes, timeout: float = 5) -> bytes:
    """Send bytes to the app's port; return the status line Slack's side would see.

    The bytes go in 64 KiB pieces, and sending stops as soon as the server has answered (it
    may refuse a body before it has all arrived, and then close the connection).
    """
    with socket.create_connection(("127.0.0.1", int(app.base.rsplit(":", 1)[1])), timeout) as s:
        for start in range(0, len(request), 64 << 10):
            if select.select([s], [], [], 0)[0]:
                break
            try:
                s.sendall(request[start : start + (64 << 10)])
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        while b"\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


def post_head(length: str) -> bytes:
    return (
        "POST /slack/events HTTP/1.1\r\nHost: costbot\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("length", ["-1", "-8388608", "abc", "1e3", "12abc", "0x10"])
def test_a_content_length_that_is_not_a_plain_number_is_refused(
    costbot_app: AppUnderTest, length: str
) -> None:
    # Before: -1 read the whole stream past the 1 MiB cap; "abc" raised in the handler.
    assert raw(costbot_app, post_head(length) + b"x" * 1024).startswith(b"HTTP/1.1 400")
    assert requests.get(f"{costbot_app.base}/healthz", timeout=5).status_code == 200


def test_a_body_over_the_cap_is_refused_before_it_is_read(costbot_app: AppUnderTest) -> None:
    assert raw(costbot_app, post_head(str(MAX_BODY + 1))).startswith(b"HTTP/1.1 413")


def test_a_chunked_body_over_the_cap_is_refused(costbot_app: AppUnderTest) -> None:
    head = b"POST /slack/events HTTP/1.1\r\nHost: costbot\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n" % (64 << 10) + b"a" * (64 << 10) + b"\r\n"
    status = raw(costbot_app, head + chunk * ((MAX_BODY >> 16) + 2))
    assert status.startswith(b"HTTP/1.1 413")


def test_slow_clients_do_not_take_the_threads_from_real_requests(
    costbot_app: AppUnderTest,
) -> None:
    port = int(costbot_app.base.rsplit(":", 1)[1])
    slow = [socket.create_connection(("127.0.0.1", port), 5) for _ in range(THREADS * 3)]
    try:
        for s in slow:  # headers begun, never finished
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: costbot\r\nContent-Length: 10\r\n")
        resp = requests.get(f"{costbot_app.base}/healthz", timeout=5)
        assert resp.status_code == 200
    finally:
        for s in slow:
            s.close()


@pytest.fixture
def impatient_app(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[AppUnderTest]:
    """The app with a 1 s idle timeout, so that the test need not wait 30 s."""
    app, server = start_app(tmp_path, slack_emulator, bill=False, channel_timeout=1)
    yield app
    server.stop()
    app.services.close()


def test_an_idle_connection_is_closed_by_the_server(impatient_app: AppUnderTest) -> None:
    port = int(impatient_app.base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        started = time.monotonic()
        assert s.recv(1) == b""  # the server hung up: no thread or socket held forever
        assert time.monotonic() - started < 14
