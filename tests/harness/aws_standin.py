"""A moto server on 127.0.0.1, and a small HTTP stand-in in front of it for what moto lacks.

moto answers Cost Explorer and Athena (with results injected through its
``/moto-api/static/...`` endpoints) but never throttles, never fails a query and
never pages ``GetQueryResults``. :class:`AwsStandIn` is a real HTTP server that
boto3 talks to: it records every JSON-protocol request it receives (by its
``X-Amz-Target``), lets a test answer some itself (a ``ThrottlingException``
first, a ``FAILED`` query) or rewrite moto's answer, and forwards the rest to
moto unchanged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from moto.server import ThreadedMotoServer

# (action, request body) -> (status, body) to answer without moto, or None to forward
Answer = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]] | None]
# (action, request body, moto's answer) -> the answer to send
Rewrite = Callable[[str, dict[str, Any], dict[str, Any]], dict[str, Any]]


@dataclass
class AwsStandIn:
    """Forward to moto; record requests; answer or rewrite some of them."""

    moto_url: str
    answers: list[Answer] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    def called(self, action: str) -> list[dict[str, Any]]:
        """Return the bodies of the requests received for one action (e.g. GetCostAndUsage)."""
        return [body for name, body in self.received if name == action]

    def rest_calls(self, prefix: str) -> list[str]:
        """Return ``METHOD /path?query`` of REST requests (S3) starting with ``prefix``."""
        return [name for name, _ in self.received if name.startswith(prefix)]

    def throttle_first(self, action: str, times: int) -> None:
        """Answer the first ``times`` requests of ``action`` with a ThrottlingException."""
        left = [times]

        def answer(name: str, _: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
            if name == action and left[0] > 0:
                left[0] -= 1
                return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
            return None

        self.answers.append(answer)

    def inject(self, path: str, payload: dict[str, Any]) -> None:
        """POST to a moto-api endpoint (e.g. static/ce/cost-and-usage-results)."""
        response = requests.post(f"{self.moto_url}/moto-api/{path}", json=payload, timeout=10)
        assert response.status_code in (200, 201), response.text


def _handler(standin: AwsStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            return

        def do_GET(self) -> None:
            self._forward()

        def do_PUT(self) -> None:
            self._forward()

        def do_HEAD(self) -> None:
            self._forward()

        def do_DELETE(self) -> None:
            self._forward()

        def do_POST(self) -> None:
            self._forward()

        def _forward(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            target = self.headers.get("X-Amz-Target", "")
            # JSON protocols name the action in a header; REST ones (S3) by method and path.
            action = target.rpartition(".")[2] if target else f"{self.command} {self.path}"
            body = json.loads(raw) if raw and target else {}
            standin.received.append((action, body))
            for answer in standin.answers:
                answered = answer(action, body)
                if answered is not None:
                    self._send(answered[0], answered[1])
                    return
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            forwarded = requests.request(
                self.command,
                standin.moto_url + self.path,
                data=raw,
                headers=headers,
                timeout=30,
                allow_redirects=False,
            )
            if target and forwarded.ok and standin.rewrites:
                out = forwarded.json()
                for rewrite in standin.rewrites:
                    out = rewrite(action, body, out)
                self._send(forwarded.status_code, out)
                return
            self.send_response(forwarded.status_code)
            for k, v in forwarded.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            length = forwarded.headers.get("Content-Length", "0")
            self.send_header(
                "Content-Length", length if self.command == "HEAD" else str(len(forwarded.content))
            )
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(forwarded.content)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def moto_server() -> Iterator[str]:
    """Run a moto server on 127.0.0.1 (port 0) and yield its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextmanager
def aws_standin(moto_url: str) -> Iterator[AwsStandIn]:
    """Run the stand-in on 127.0.0.1 (port 0) in front of a moto server."""
    standin = AwsStandIn(moto_url)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    standin.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        httpd.shutdown()
        httpd.server_close()
