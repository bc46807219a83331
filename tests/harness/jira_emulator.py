"""Stand in for Jira on 127.0.0.1: enough of the REST API for the real ``jira`` library.

A threaded HTTP server, so the code under test uses the real ``jira.JIRA`` client
(pointed at ``emulator.url``). Every request is checked against Atlassian's
OpenAPI document (a trimmed copy in ``specs/``; REST v2 paths mirror v3):
the operation must exist, query parameters must be declared and required ones
present, and request bodies must match their schema. On top of the schema, it
checks what Jira itself checks: the credentials, the project and issue type,
the required fields, the priority and assignee, labels without spaces, and the
description format for the API version (v2: a wiki-markup string; v3: an
Atlassian Document Format document). Refusals are answered the way Jira
answers them (an ``ErrorCollection``), recorded, and listed in ``invalid``
when the caller got the request wrong (``assert_no_invalid_requests``).

Failures on demand: ``fail_next("POST /issue", 500)``, ``fail_next(..., 401)``,
``require_field("customfield_10010", "Team")`` (400 with field errors), or
``stop()`` for "unreachable".

Modes: ``cloud=True`` (Basic email:API-token, ``deploymentType: Cloud``, JQL via
``/search/jql``, users by ``accountId``) or ``cloud=False`` (Data Center:
``Bearer`` PAT, ``/search``, users by ``name``).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SPEC_PATH = Path(__file__).resolve().parent / "specs" / "jira_platform_openapi_v3.trimmed.json"
POLL_INTERVAL_SECONDS = 0.02
CLOUD_EMAIL = "costbot@example.com"
CLOUD_TOKEN = "jira-api-token-SECRET-1234"
DC_PAT = "jira-pat-SECRET-5678"
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
ADF_BLOCK_NODES = {
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "table",
    "tableRow",
    "tableHeader",
    "tableCell",
    "rule",
    "codeBlock",
    "blockquote",
    "panel",
}
ADF_INLINE_NODES = {"text", "hardBreak", "mention", "emoji", "inlineCard"}
ADF_MARKS = {"strong", "em", "code", "link", "strike", "underline", "textColor"}


# Query parameters the jira library sends that the Cloud spec does not declare: Jira Server /
# Data Center documents them (user/search: includeActive, includeInactive) and Cloud ignores
# them, so they are tolerated rather than refused.
TOLERATED_QUERY = {"/user/search": frozenset({"includeActive", "includeInactive"})}


class SpecError(Exception):
    """A request the OpenAPI document does not allow."""


@dataclass
class JiraUser:
    """An account: Cloud finds it by accountId, Data Center by name."""

    account_id: str
    name: str
    email: str
    display_name: str

    def as_json(self, cloud: bool, base: str) -> dict[str, Any]:
        """Return the user object as the mode's /user/search answers it."""
        if cloud:
            return {
                "self": f"{base}/rest/api/3/user?accountId={self.account_id}",
                "accountId": self.account_id,
                "accountType": "atlassian",
                "displayName": self.display_name,
                "emailAddress": self.email,
                "active": True,
            }
        return {
            "self": f"{base}/rest/api/2/user?username={self.name}",
            "name": self.name,
            "key": self.name,
            "displayName": self.display_name,
            "emailAddress": self.email,
            "active": True,
        }


@dataclass
class Issue:
    """A created issue and what was sent to create it."""

    id: str
    key: str
    fields: dict[str, Any]
    api_version: str
    status_category: str = "new"  # new | indeterminate | done

    @property
    def labels(self) -> list[str]:
        """Return the labels it was created with."""
        return list(self.fields.get("labels") or [])

    @property
    def description_text(self) -> str:
        """Return the description as plain text (ADF flattened), for assertions."""
        value = self.fields.get("description")
        if isinstance(value, str):
            return value
        return adf_text(value)


@dataclass
class Recorded:
    """One request and the answer it got."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    status: int
    response: Any
    errors: list[str] = field(default_factory=list)
    invalid: bool = False
    injected: bool = False

    def describe(self) -> str:
        """One line for assertion messages."""
        extra = f" {self.errors}" if self.errors else ""
        return f"{self.method} {self.path} -> {self.status}{extra}"


@dataclass
class Failure:
    """A failure a test asked for."""

    route: str  # "POST /issue", "GET /search/jql", or "*"
    status: int
    body: Any
    remaining: int


def adf_text(node: Any) -> str:
    """Flatten an ADF node to text (one line per block)."""
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    parts = [adf_text(child) for child in node.get("content") or []]
    sep = "\n" if node.get("type") in ADF_BLOCK_NODES | {"doc"} else ""
    return sep.join(p for p in parts if p) if sep else "".join(parts)


def adf_errors(doc: Any) -> list[str]:
    """Check an Atlassian Document Format document's structure (the subset Jira enforces)."""
    if not isinstance(doc, dict):
        return ["description must be an Atlassian Document (an object), not a string"]
    errors: list[str] = []
    if doc.get("type") != "doc" or doc.get("version") != 1:
        errors.append("the top node must be {type: doc, version: 1}")

    def walk(node: Any, pointer: str, inline: bool) -> None:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            errors.append(f"{pointer}: a node must be an object with a type")
            return
        kind = node["type"]
        allowed = ADF_INLINE_NODES if inline else ADF_BLOCK_NODES
        if kind not in allowed:
            errors.append(f"{pointer}: {kind} is not allowed here")
            return
        if kind == "text":
            if not isinstance(node.get("text"), str) or not node["text"]:
                errors.append(f"{pointer}: a text node needs non-empty text")
            for mark in node.get("marks") or []:
                if not isinstance(mark, dict) or mark.get("type") not in ADF_MARKS:
                    errors.append(f"{pointer}: unknown mark {mark!r}")
                elif mark["type"] == "link" and not (mark.get("attrs") or {}).get("href"):
                    errors.append(f"{pointer}: a link mark needs attrs.href")
            return
        if kind == "heading" and (node.get("attrs") or {}).get("level") not in range(1, 7):
            errors.append(f"{pointer}: a heading needs attrs.level 1-6")
        children = node.get("content") or []
        child_inline = kind in ("paragraph", "heading")
        for i, child in enumerate(children):
            walk(child, f"{pointer}/content/{i}", child_inline)

    for i, child in enumerate(doc.get("content") or []):
        walk(child, f"/content/{i}", False)
    return errors


class JiraEmulator:
    """Serve a fake Jira on 127.0.0.1:<free port>; record and check every request."""

    def __init__(self, *, cloud: bool = True, spec_path: Path = SPEC_PATH) -> None:
        self.cloud = cloud
        self.spec = json.loads(spec_path.read_text(encoding="utf-8"))
        self.projects: dict[str, dict[str, Any]] = {
            "FIN": {"id": "10000", "issue_types": {"Task": "10001", "Bug": "10002"}}
        }
        self.required_fields: dict[str, str] = {}  # field id -> name, required on create
        self.users: list[JiraUser] = []
        self.issues: list[Issue] = []
        self.requests: list[Recorded] = []
        self._failures: list[Failure] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> JiraEmulator:
        """Bind a free port and serve in a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.emulator = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL_SECONDS},
            name="jira-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (afterwards Jira is "unreachable")."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> JiraEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return ``http://127.0.0.1:<port>`` (what JIRA_URL is set to)."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- configuration -----------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        """Return the JIRA_* variables that point costbot at this emulator."""
        env = {"JIRA_URL": self.url, "JIRA_PROJECT": "FIN"}
        if self.cloud:
            env |= {"JIRA_EMAIL": CLOUD_EMAIL, "JIRA_API_TOKEN": CLOUD_TOKEN}
        else:
            env |= {"JIRA_PAT": DC_PAT}
        return env | extra

    def add_user(self, email: str, display_name: str) -> JiraUser:
        """Add an account that assignee look-ups can find."""
        n = len(self.users) + 1
        user = JiraUser(f"5b10ac8d82e05b22cc7d4e{n:02d}", email.split("@")[0], email, display_name)
        with self._lock:
            self.users.append(user)
        return user

    def require_field(self, field_id: str, name: str) -> None:
        """Make a field required on create (a project screen's mandatory custom field)."""
        with self._lock:
            self.required_fields[field_id] = name

    def fail_next(self, route: str, status: int, body: Any = None, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``route`` ("POST /issue", "*") with ``status``."""
        if body is None:
            body = {"errorMessages": [f"Injected failure (HTTP {status})"], "errors": {}}
        with self._lock:
            self._failures.append(Failure(route, status, body, times))

    def set_status(self, key: str, category: str) -> None:
        """Move an issue to a status category (``new``, ``indeterminate``, ``done``)."""
        with self._lock:
            next(i for i in self.issues if i.key == key).status_category = category

    # -- inspection --------------------------------------------------------------------------

    @property
    def invalid(self) -> list[Recorded]:
        """Return the requests Jira would refuse because the caller got them wrong."""
        with self._lock:
            return [r for r in self.requests if r.invalid]

    def assert_no_invalid_requests(self) -> None:
        """Fail listing every request the spec or Jira's own rules refused."""
        bad = self.invalid
        assert not bad, "invalid Jira requests:\n  " + "\n  ".join(r.describe() for r in bad)

    def requests_to(self, method: str, suffix: str) -> list[Recorded]:
        """Return the requests ``METHOD …suffix`` (e.g. ``"POST", "/issue"``)."""
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]

    # -- request handling ------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        """Check and answer one request."""
        url = urlsplit(raw_path)
        query = parse_qs(url.query, keep_blank_values=True)
        body: Any = None
        errors: list[str] = []
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                errors.append("body is not JSON")
        record = Recorded(method, url.path, query, body, headers, 0, None)
        with self._lock:
            status, response = self._answer(method, url.path, query, body, headers, record, errors)
            record.status, record.response = status, response
            record.errors = errors
            self.requests.append(record)
        return status, response

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        headers: dict[str, str],
        record: Recorded,
        errors: list[str],
    ) -> tuple[int, Any]:
        match = re.match(r"^/rest/api/(2|3)(/.*)$", path)
        if not match:
            record.invalid = True
            errors.append("not a Jira REST API path")
            return 404, {"errorMessages": ["Not found"]}
        version, route = match.group(1), match.group(2)
        if not self._authenticated(headers):
            return 401, "Client must be authenticated to access this resource."
        failure = next(
            (
                f
                for f in self._failures
                if f.remaining > 0 and f.route in ("*", f"{method} {route}")
            ),
            None,
        )
        if failure is not None:
            failure.remaining -= 1
            record.injected = True
            return failure.status, failure.body
        try:
            operation, params = self._operation(method, route)
            self._check_query(operation, query, TOLERATED_QUERY.get(route, frozenset()))
            if body is not None or "requestBody" in operation:
                self._check_body(operation, body)
        except SpecError as exc:
            record.invalid = True
            errors.append(str(exc))
            return 400, {"errorMessages": [str(exc)], "errors": {}}
        if errors:
            record.invalid = True
            return 400, {"errorMessages": errors, "errors": {}}
        return self._route(method, route, params, query, body, version, record, errors)

    def _authenticated(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if self.cloud:
            expected = base64.b64encode(f"{CLOUD_EMAIL}:{CLOUD_TOKEN}".encode()).decode()
            return auth == f"Basic {expected}"
        return auth == f"Bearer {DC_PAT}"

    # -- OpenAPI checks ----------------------------------------------------------------------

    def _operation(self, method: str, route: str) -> tuple[dict[str, Any], dict[str, str]]:
        for template, item in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template[len("/rest/api/3") :])
            found = re.match(pattern + "$", route)
            if found and method.lower() in item:
                return item[method.lower()], found.groupdict()
        raise SpecError(f"{method} {route} is not an operation in the spec (or not modelled)")

    def _check_query(
        self, operation: dict[str, Any], query: dict[str, list[str]], tolerated: frozenset[str]
    ) -> None:
        declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        for name in query:
            if name not in declared and name not in tolerated:
                raise SpecError(f"unknown query parameter {name!r}")
        for name, param in declared.items():
            if param.get("required") and name not in query:
                raise SpecError(f"missing required query parameter {name!r}")

    def _check_body(self, operation: dict[str, Any], body: Any) -> None:
        content = (operation.get("requestBody") or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        if schema is None:
            raise SpecError("this operation takes no body")
        if (operation.get("requestBody") or {}).get("required") and body is None:
            raise SpecError("the request body is required")
        problems = self.validate(body, schema, "")
        if problems:
            raise SpecError("; ".join(problems[:5]))

    def validate(self, value: Any, schema: dict[str, Any], pointer: str) -> list[str]:
        """Validate ``value`` against an OpenAPI schema (the subset the spec uses)."""
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return self.validate(value, self.spec["components"]["schemas"][name], pointer)
        problems: list[str] = []
        for sub in schema.get("allOf", []):
            problems += self.validate(value, sub, pointer)
        kind = schema.get("type")
        types = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
        }
        if kind in types and not isinstance(value, types[kind]):  # type: ignore[arg-type]
            return [*problems, f"{pointer or '/'}: expected {kind}, got {type(value).__name__}"]
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{pointer}: {value!r} is not one of {schema['enum']}")
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    problems.append(f"{pointer}/{name}: required")
            extra = schema.get("additionalProperties", True)
            for name, item in value.items():
                if name in props:
                    if not props[name].get("readOnly"):
                        problems += self.validate(item, props[name], f"{pointer}/{name}")
                    else:
                        problems.append(f"{pointer}/{name}: read-only")
                elif extra is False:
                    problems.append(f"{pointer}/{name}: not allowed")
                elif isinstance(extra, dict) and extra:
                    problems += self.validate(item, extra, f"{pointer}/{name}")
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                problems += self.validate(item, schema["items"], f"{pointer}/{i}")
        return problems

    # -- operations --------------------------------------------------------------------------

    def _route(
        self,
        method: str,
        route: str,
        params: dict[str, str],
        query: dict[str, list[str]],
        body: Any,
        version: str,
        record: Recorded,
        errors: list[str],
    ) -> tuple[int, Any]:
        if route == "/serverInfo":
            return 200, {
                "baseUrl": self.url,
                "version": "1001.0.0-SNAPSHOT" if self.cloud else "9.12.2",
                "versionNumbers": [1001, 0, 0] if self.cloud else [9, 12, 2],
                "deploymentType": "Cloud" if self.cloud else "Server",
                "buildNumber": 100_000,
                "serverTitle": "Jira",
            }
        if route == "/myself":
            return 200, {"displayName": "costbot", "active": True}
        if route == "/field":
            return 200, [
                {"id": f, "key": f, "name": f.title(), "custom": False, "clauseNames": [f]}
                for f in ("summary", "description", "labels", "priority", "assignee", "status")
            ]
        if route == "/issue" and method == "POST":
            return self._create(body, version, record, errors)
        if route.startswith("/issue/") and method == "GET":
            issue = next((i for i in self.issues if params["issueIdOrKey"] in (i.key, i.id)), None)
            if issue is None:
                return 404, {
                    "errorMessages": [
                        "Issue does not exist or you do not have permission to see it."
                    ],
                    "errors": {},
                }
            return 200, self._issue_json(issue)
        if route in ("/search", "/search/jql"):
            if self.cloud and route == "/search":
                record.invalid = True
                errors.append("Jira Cloud removed /search; use /search/jql")
                return 410, {
                    "errorMessages": [
                        "The requested API has been removed. "
                        "Please migrate to the /rest/api/3/search/jql API."
                    ]
                }
            return self._search(route, query, record, errors)
        if route == "/user/search":
            needle = (query.get("query") or query.get("username") or [""])[0].lower()
            if self.cloud and "username" in query:
                record.invalid = True
                errors.append("Jira Cloud does not accept username (GDPR); use query")
            found = [
                u.as_json(self.cloud, self.url)
                for u in self.users
                if needle and needle in u.email.lower()
            ]
            return 200, found
        record.invalid = True
        errors.append(f"{method} {route} is in the spec but not modelled by the emulator")
        return 501, {"errorMessages": ["not modelled"]}

    def _issue_json(self, issue: Issue) -> dict[str, Any]:
        names = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
        return {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.url}/rest/api/{issue.api_version}/issue/{issue.id}",
            "fields": {
                "summary": issue.fields.get("summary"),
                "labels": issue.labels,
                "status": {
                    "name": names[issue.status_category],
                    "statusCategory": {
                        "key": issue.status_category,
                        "name": names[issue.status_category],
                    },
                },
            },
        }

    def _create(
        self, body: Any, version: str, record: Recorded, errors: list[str]
    ) -> tuple[int, Any]:
        fields = (body or {}).get("fields") or {}
        field_errors: dict[str, str] = {}
        project = fields.get("project") or {}
        key = project.get("key") if isinstance(project, dict) else None
        config = self.projects.get(str(key)) if key else None
        if config is None and isinstance(project, dict) and project.get("id"):
            config = next((p for p in self.projects.values() if p["id"] == project["id"]), None)
        if config is None:
            field_errors["project"] = "valid project is required"
        issuetype = fields.get("issuetype") or {}
        if not isinstance(issuetype, dict) or not (issuetype.get("name") or issuetype.get("id")):
            field_errors["issuetype"] = "Specify an issue type"
        elif config is not None:
            names = config["issue_types"]
            if issuetype.get("name") not in names and issuetype.get("id") not in names.values():
                field_errors["issuetype"] = "Specify a valid issue type"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            field_errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255:
            field_errors["summary"] = "Summary must be less than 255 characters."
        description = fields.get("description")
        if description is not None:
            if version == "2" and not isinstance(description, str):
                field_errors["description"] = "Operation value must be a string"
                record.invalid = True
            if version == "3":
                problems = adf_errors(description)
                if problems:
                    field_errors["description"] = (
                        "Operation value must be an Atlassian Document (see the Atlassian "
                        "Document Format)"
                    )
                    errors.extend(problems)
                    record.invalid = True
        priority = fields.get("priority")
        if priority is not None and (
            not isinstance(priority, dict) or priority.get("name") not in PRIORITIES
        ):
            field_errors["priority"] = (
                f"Priority name '{(priority or {}).get('name')}' is not valid"
            )
        labels = fields.get("labels")
        if labels is not None and (
            not isinstance(labels, list)
            or any(not isinstance(x, str) or " " in x or not x for x in labels)
        ):
            field_errors["labels"] = "The label must not contain spaces."
            record.invalid = True
        assignee = fields.get("assignee")
        if assignee is not None:
            ident_key = "accountId" if self.cloud else "name"
            ident = assignee.get(ident_key) if isinstance(assignee, dict) else None
            known = {u.account_id if self.cloud else u.name for u in self.users}
            if ident not in known:
                field_errors["assignee"] = f"User '{ident}' does not exist."
                record.invalid = ident is None
        for field_id, name in self.required_fields.items():
            if field_id not in fields:
                field_errors[field_id] = f"{name} is required."
        if field_errors:
            return 400, {"errorMessages": [], "errors": field_errors}
        assert config is not None
        n = len(self.issues) + 1
        issue_key = f"{key or 'FIN'}-{n}"
        issue = Issue(str(10_000 + n), issue_key, fields, version)
        self.issues.append(issue)
        return 201, {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.url}/rest/api/{version}/issue/{issue.id}",
        }

    def _search(
        self, route: str, query: dict[str, list[str]], record: Recorded, errors: list[str]
    ) -> tuple[int, Any]:
        jql = (query.get("jql") or [""])[0]
        found = re.fullmatch(
            r'labels\s*=\s*"([^"]+)"(\s+AND\s+statusCategory\s*!=\s*Done)?'
            r"(\s+ORDER BY created (ASC|DESC))?",
            jql.strip(),
        )
        if not found:
            record.invalid = True
            errors.append(f"JQL not understood by the emulator: {jql!r}")
            return 400, {"errorMessages": [f"Error in the JQL Query: {jql}"], "errors": {}}
        label, open_only = found.group(1), bool(found.group(2))
        hits = [
            i
            for i in self.issues
            if label in i.labels and not (open_only and i.status_category == "done")
        ]
        limit = int((query.get("maxResults") or ["50"])[0])
        issues = [self._issue_json(i) for i in hits[:limit]]
        if route == "/search/jql":
            return 200, {"issues": issues, "isLast": True}
        return 200, {"startAt": 0, "maxResults": limit, "total": len(hits), "issues": issues}


class _Handler(BaseHTTPRequestHandler):
    server_version = "JiraEmulator/1.0"

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        emulator: JiraEmulator = self.server.emulator  # type: ignore[attr-defined]
        status, response = emulator.handle(method, self.path, headers, raw)
        if isinstance(response, str):
            payload, kind = response.encode(), "text/plain; charset=utf-8"
        else:
            payload, kind = json.dumps(response).encode(), "application/json;charset=UTF-8"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; requests are recorded."""
