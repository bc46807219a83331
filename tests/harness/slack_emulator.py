"""Stand in for Slack on 127.0.0.1: the Web API, file uploads and ``response_url``.

The emulator is a real threaded HTTP server, so the code under test uses the real
slack_sdk ``WebClient`` (pointed at ``emulator.base_url``) and Bolt's real ``respond()``.
Every request is recorded; every request Slack would refuse is refused with Slack's error
code and also listed in ``invalid_calls``, so a test can end with
``emulator.assert_no_invalid_calls()``.

Served paths (all on ``emulator.root_url``):

- ``/api/<method>``: Web API, JSON / form / multipart bodies, GET query strings, token from
  ``Authorization: Bearer`` or a ``token`` argument.
- ``/upload/v1/<file_id>``: the upload URL files.getUploadURLExternal hands out.
- ``/response/<id>``: a ``response_url`` made by ``new_response_url()``. Slack documents
  that a response_url works up to 5 times within 30 minutes. What Slack answers past that
  is not documented; the emulator answers HTTP 404 with ``{"ok": false, "error":
  "used_url"}`` (6th use) or ``"expired_url"`` (after 30 minutes by the injected clock,
  or an id it never issued). Only accepted posts count as uses.

Time comes from the ``clock`` argument (default ``time.time``): message ``ts`` values and
response_url expiry follow it, so tests control time without sleeping.
"""

from __future__ import annotations

import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from .block_kit import MESSAGE_BLOCKS_JSON_CHARS
from .slack_api_spec import DEFAULT_SPEC_PATH, load_spec
from .slack_web_api import (
    Channel,
    Identity,
    SlackError,
    User,
    WebApi,
    Workspace,
    decode_json_arg,
    message_content,
)

DEFAULT_BOT_TOKEN = "xoxb-costbot-test-token"
DEFAULT_APP_TOKEN = "xapp-1-costbot-test-token"  # app-level: apps.connections.open only
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60
# How often serve_forever checks for shutdown: stop() waits up to this long (default 0.5 s).
POLL_INTERVAL_SECONDS = 0.02
WAIT_REPORT_CALLS = 20  # how many recent requests a failed wait lists


@dataclass
class FilePart:
    """A file field of a multipart body (what slack_sdk sends for legacy files.upload)."""

    filename: str
    content: bytes


@dataclass
class RecordedCall:
    """One request the emulator received and how it answered.

    ``method`` is the Web API method, or ``"response_url"`` for a post to a response_url
    (then ``response_id`` names it). ``args`` are the arguments as sent (form values are
    strings; JSON values keep their types); the ``token`` argument is removed. Header names
    are lower-cased. ``invalid`` marks requests Slack would refuse because the caller got
    them wrong; ``injected`` marks failures a test asked for with ``queue_error``.
    """

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    timestamp: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    invalid: bool = False
    injected: bool = False
    response_id: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the emulator answered ``ok: true``."""
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        """Return the Slack error code of a refused request."""
        return self.response.get("error")

    @property
    def blocks(self) -> list[dict[str, Any]] | None:
        """Return the blocks as a list, whether they were sent as JSON text or JSON."""
        return cast("list[dict[str, Any]] | None", self.json_arg("blocks"))

    @property
    def text(self) -> str | None:
        """Return the top-level ``text`` argument."""
        return self.args.get("text")

    def json_arg(self, name: str) -> Any:
        """Return argument ``name`` decoded from JSON text if needed (None when absent)."""
        value = self.args.get(name)
        if value is None:
            return None
        try:
            return decode_json_arg(value)
        except ValueError:
            return value

    def describe(self) -> str:
        """Summarise the call in one line for assertion messages."""
        outcome = "ok" if self.ok else f"{self.error} (HTTP {self.status})"
        details = f" {self.errors}" if self.errors else ""
        target = f" {self.response_id}" if self.response_id else ""
        return f"{self.method}{target}: {outcome}{details}"


@dataclass
class QueuedError:
    """A failure a test asked for: the next ``remaining`` matching calls get ``error``."""

    method: str
    error: str
    status: int
    retry_after: int | None
    remaining: int
    channel: str | None

    def matches(self, method: str, args: dict[str, Any]) -> bool:
        """Tell whether a call to ``method`` with ``args`` should receive this failure."""
        if method != self.method or self.remaining <= 0:
            return False
        if self.channel is None:
            return True
        return self.channel in (args.get("channel"), args.get("channel_id"))


@dataclass
class ResponseUrl:
    """A response_url the harness handed to the app, and how often it has been used."""

    id: str
    created_at: float
    uses: int = 0


@dataclass
class Reply:
    """What the HTTP layer sends back."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: dict[str, Any], status: int = 200, **headers: str) -> Reply:
        """Build a JSON reply."""
        return cls(status, json.dumps(payload).encode("utf-8"), headers=dict(headers))


class SlackEmulator:
    """Serve a fake Slack on 127.0.0.1:<free port> and record everything sent to it.

    Use it as a context manager or call ``start()`` / ``stop()``. Point slack_sdk at it with
    ``WebClient(token=emulator.bot_token, base_url=emulator.base_url)``.
    """

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        identity: Identity | None = None,
        clock: Callable[[], float] = time.time,
        spec_path: Path = DEFAULT_SPEC_PATH,
        strict_channels: bool = False,
        max_message_blocks_chars: int = MESSAGE_BLOCKS_JSON_CHARS,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.identity = identity or Identity()
        self.clock = clock
        self.workspace = Workspace(self.identity, self._now, strict_channels=strict_channels)
        self.api = WebApi(
            load_spec(spec_path),
            self.workspace,
            self._upload_url,
            max_blocks_chars=max_message_blocks_chars,
        )
        self.max_message_blocks_chars = max_message_blocks_chars
        self._lock = threading.Condition(threading.RLock())
        self._calls: list[RecordedCall] = []
        self._queued: list[QueuedError] = []
        self._response_urls: dict[str, ResponseUrl] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        server.daemon_threads = True
        server.emulator = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL_SECONDS},
            name="slack-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and wait for the serving thread."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """Return ``http://127.0.0.1:<port>`` (the emulator must be started)."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """Return the Web API base URL for ``WebClient(base_url=...)``, ending in ``/api/``.

        slack_sdk joins it with ``urljoin(base_url, method)``, so the trailing slash matters.
        """
        return f"{self.root_url}/api/"

    # -- configuration ---------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_member: bool = True,
        is_private: bool = False,
        is_archived: bool = False,
    ) -> Channel:
        """Describe a channel, e.g. one the bot is not in (``is_member=False``)."""
        channel = Channel(
            id=channel_id,
            name=name or channel_id.lower(),
            is_member=is_member,
            is_private=is_private,
            is_archived=is_archived,
        )
        with self._lock:
            self.workspace.channels[channel_id] = channel
        return channel

    def add_user(self, user_id: str, *, name: str | None = None, tz: str = "UTC") -> User:
        """Describe a user, e.g. to give them a time zone."""
        user = User(id=user_id, name=name or user_id.lower(), tz=tz, tz_offset=0)
        with self._lock:
            self.workspace.users[user_id] = user
        return user

    def set_response(self, method: str, data: dict[str, Any]) -> None:
        """Answer ``method`` with ``{"ok": true, **data}`` after validating its arguments.

        For methods costbot starts using before the emulator models them.
        """
        self.api.check_method(method)
        with self._lock:
            self.api.canned[method] = data

    def queue_error(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` (in ``channel``, if given) fail.

        ``ratelimited`` is always sent as HTTP 429 with a ``Retry-After`` header (1 second
        unless ``retry_after`` says otherwise), because that is what Slack does and what
        slack_sdk's RateLimitErrorRetryHandler reacts to.
        """
        if error == "ratelimited" and status == 200:
            status = 429
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._queued.append(QueuedError(method, error, status, retry_after, times, channel))

    def new_response_url(self) -> str:
        """Issue a response_url to put in a slash-command or interaction payload."""
        with self._lock:
            response_id = self.workspace.next_id("R")
            self._response_urls[response_id] = ResponseUrl(response_id, self._now())
        return f"{self.root_url}/response/{response_id}"

    def reset(self) -> None:
        """Forget calls, queued errors, response_urls, messages, views and files.

        Channels and users added with add_channel/add_user stay.
        """
        with self._lock:
            self._calls.clear()
            self._queued.clear()
            self._response_urls.clear()
            self.workspace.clear_activity()

    # -- inspection ------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        """Return every Web API call and response_url post so far, oldest first."""
        with self._lock:
            return list(self._calls)

    @property
    def invalid_calls(self) -> list[RecordedCall]:
        """Return the requests Slack would have refused because the caller got them wrong."""
        with self._lock:
            return [call for call in self._calls if call.invalid]

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Return the calls to one Web API method (or ``"response_url"``)."""
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def responses(self, response_url: str) -> list[RecordedCall]:
        """Return the accepted posts to one response_url (its URL or its id)."""
        response_id = response_url.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            return [c for c in self._calls if c.response_id == response_id and c.ok]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until ``count`` calls to ``method`` arrived; return them all.

        Raises AssertionError after ``timeout`` seconds, listing what did arrive.
        """
        return self._wait(lambda: self.calls_to(method), count, timeout, method)

    def wait_for_response(
        self, response_url: str, count: int = 1, timeout: float = 5.0
    ) -> list[RecordedCall]:
        """Block until ``count`` posts to ``response_url`` were accepted; return them."""
        return self._wait(lambda: self.responses(response_url), count, timeout, response_url)

    def _wait(
        self,
        fetch: Callable[[], list[RecordedCall]],
        count: int,
        timeout: float,
        what: str,
    ) -> list[RecordedCall]:
        with self._lock:
            arrived = self._lock.wait_for(lambda: len(fetch()) >= count, timeout)
            found = fetch()
            if not arrived:
                recent = self._calls[-WAIT_REPORT_CALLS:]
                seen = "\n  ".join(call.describe() for call in recent) or "(nothing)"
                raise AssertionError(
                    f"expected {count} request(s) to {what} within {timeout}s, got "
                    f"{len(found)}; the last {len(recent)} of {len(self._calls)} requests:"
                    f"\n  {seen}"
                )
            return found

    def assert_no_invalid_calls(self) -> None:
        """Fail if any request was one Slack would have refused as malformed."""
        invalid = self.invalid_calls
        if invalid:
            lines = "\n  ".join(call.describe() for call in invalid)
            raise AssertionError(f"{len(invalid)} invalid Slack request(s):\n  {lines}")

    def uploaded_bytes(self, file_id: str) -> bytes | None:
        """Return the bytes POSTed to a file's upload URL (None before the upload)."""
        with self._lock:
            upload = self.workspace.files.get(file_id)
            return None if upload is None else upload.content

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """Return the Home tab last published for ``user_id``."""
        with self._lock:
            return self.workspace.home_views.get(user_id)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Return a posted (and possibly updated) message, or None if deleted/unknown."""
        with self._lock:
            return self.workspace.messages.get((channel, ts))

    # -- request handling (called from server threads) --------------------------------

    def _now(self) -> float:
        return self.clock()

    def _upload_url(self, file_id: str) -> str:
        return f"{self.root_url}/upload/v1/{file_id}"

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def handle_api(
        self,
        method: str,
        args: dict[str, Any],
        headers: dict[str, str],
        body_error: str | None = None,
    ) -> Reply:
        """Authenticate, apply queued failures, then validate and answer one Web API call.

        ``body_error`` says why the request body could not be parsed, if it could not.
        """
        token = args.pop("token", None)
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            token = authorization[len("bearer ") :].strip()
        call = RecordedCall(method, args, headers, self._now())
        reply_headers: dict[str, str] = {}
        with self._lock:
            try:
                self.api.check_method(method)
                if body_error is not None:
                    raise SlackError("invalid_json", [body_error])
                if not token:
                    raise SlackError("not_authed", ["no token in Authorization or arguments"])
                if method == "apps.connections.open":  # Socket Mode: the app-level token
                    if token != self.app_token:
                        raise SlackError("invalid_auth", ["not the emulator's app-level token"])
                elif token != self.bot_token:
                    raise SlackError("invalid_auth", ["token is not the emulator's bot token"])
                queued = next((q for q in self._queued if q.matches(method, args)), None)
                if queued is not None:
                    queued.remaining -= 1
                    call.injected = True
                    if queued.retry_after is not None:
                        reply_headers["Retry-After"] = str(queued.retry_after)
                    raise SlackError(queued.error, invalid=False, status=queued.status)
                call.response = self.api.call(method, args)
            except SlackError as refusal:
                call.response = refusal.body()
                call.status = refusal.status
                call.errors = refusal.errors
                call.invalid = refusal.invalid and not call.injected
            except Exception as exc:  # an emulator bug: answer, and make the test see it
                call.response = {"ok": False, "error": "fatal_error"}
                call.status = 500
                call.errors = [f"emulator failed on {method}: {exc!r}"]
                call.invalid = True
            self._record(call)
        return Reply.json(call.response, call.status, **reply_headers)

    def handle_upload(self, file_id: str, content: bytes) -> Reply:
        """Store bytes POSTed to an upload URL, answering like files.slack.com."""
        with self._lock:
            upload = self.workspace.files.get(file_id)
            if upload is None:
                return Reply(404, b"file not found", "text/plain")
            upload.content = content
        return Reply(200, f"OK - {len(content)}".encode(), "text/plain")

    def handle_response_url(
        self, response_id: str, payload: dict[str, Any] | None, headers: dict[str, str]
    ) -> Reply:
        """Accept a response_url post if the URL is still usable and the payload valid."""
        call = RecordedCall(
            "response_url", payload or {}, headers, self._now(), response_id=response_id
        )
        with self._lock:
            try:
                self._check_response_payload(response_id, payload)
                self._response_urls[response_id].uses += 1
                call.response = {"ok": True}
            except SlackError as refusal:
                call.response = refusal.body()
                call.status = refusal.status
                call.errors = refusal.errors
                call.invalid = refusal.invalid
            self._record(call)
        return Reply.json(call.response, call.status)

    def _check_response_payload(self, response_id: str, payload: dict[str, Any] | None) -> None:
        url = self._response_urls.get(response_id)
        if url is None:
            raise SlackError("expired_url", [f"no response_url {response_id} issued"], status=404)
        if self._now() - url.created_at > RESPONSE_URL_TTL_SECONDS:
            raise SlackError("expired_url", ["response_url is older than 30 minutes"], status=404)
        if url.uses >= RESPONSE_URL_MAX_USES:
            raise SlackError(
                "used_url", [f"response_url already used {url.uses} times"], status=404
            )
        if payload is None:
            raise SlackError("invalid_payload", ["body is not a JSON object"], status=400)
        response_type = payload.get("response_type")
        if response_type is not None and response_type not in ("ephemeral", "in_channel"):
            raise SlackError(
                "invalid_payload", [f"response_type {response_type!r} is invalid"], status=400
            )
        if payload.get("delete_original"):
            return
        try:
            message_content(payload, max_blocks_chars=self.max_message_blocks_chars)
        except SlackError as refusal:
            refusal.status = 400
            raise


class _RequestHandler(BaseHTTPRequestHandler):
    """Translate HTTP requests into SlackEmulator calls."""

    server_version = "SlackEmulator/1.0"

    @property
    def emulator(self) -> SlackEmulator:
        return self.server.emulator  # type: ignore[attr-defined, no-any-return]

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def _dispatch(self, raw: bytes) -> None:
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        content_type = headers.get("content-type", "")
        if url.path.startswith("/api/"):
            method = url.path[len("/api/") :]
            args: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
            try:
                args.update(parse_body(content_type, raw))
            except ValueError as exc:
                reply = self.emulator.handle_api(method, args, headers, body_error=str(exc))
            else:
                reply = self.emulator.handle_api(method, args, headers)
        elif url.path.startswith("/upload/v1/"):
            reply = self.emulator.handle_upload(url.path.rsplit("/", 1)[-1], raw)
        elif url.path.startswith("/response/"):
            try:
                payload = json.loads(raw or b"null")
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                payload = None
            reply = self.emulator.handle_response_url(url.path.rsplit("/", 1)[-1], payload, headers)
        else:
            reply = Reply(404, b"not found", "text/plain")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet; the emulator records requests itself."""


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """Parse a Web API request body: JSON, form-encoded or multipart (raises ValueError)."""
    if not raw:
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        decoded = json.loads(raw)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        return decoded
    if kind == "multipart/form-data":
        return _parse_multipart(content_type, raw)
    return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))


def _parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """Parse multipart/form-data with the standard library's email parser."""
    envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    message = BytesParser(policy=email.policy.HTTP).parsebytes(envelope)
    args: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            content = b""
        filename = part.get_filename()
        args[str(name)] = FilePart(filename, content) if filename else content.decode("utf-8")
    return args
