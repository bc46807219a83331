"""Write the trimmed Jira OpenAPI document the Jira emulator checks requests against.

Usage (from the repository root)::

    python tests/harness/specs/trim_jira_spec.py PATH/TO/jira_platform_openapi_v3.json

Keeps only the operations costbot's Jira adapter uses and the component schemas
they reference (transitively), so tests need no copy of the 2.4 MB original.
Source: Atlassian's Jira Cloud platform REST API OpenAPI 3.0 document (Apache-2.0),
published as ``jira_platform_openapi_v3.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET = HERE / "jira_platform_openapi_v3.trimmed.json"

OPERATIONS = {
    "/rest/api/3/serverInfo": ("get",),
    "/rest/api/3/field": ("get",),
    "/rest/api/3/issue": ("post",),
    "/rest/api/3/issue/{issueIdOrKey}": ("get",),
    "/rest/api/3/search": ("get",),
    "/rest/api/3/search/jql": ("get",),
    "/rest/api/3/user/search": ("get",),
    "/rest/api/3/myself": ("get",),
}
DROP_KEYS = ("description", "example", "examples", "x-atlassian-connect-scope", "x-experimental")


def refs(node: Any) -> set[str]:
    """Return the component schema names ``node`` refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def strip(node: Any) -> Any:
    """Drop prose and examples (kept small; the structure is what the emulator checks)."""
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    source = Path(sys.argv[1])
    document = json.loads(source.read_text(encoding="utf-8"))
    paths: dict[str, Any] = {}
    for path, methods in OPERATIONS.items():
        item = document["paths"][path]
        paths[path] = {m: strip(item[m]) for m in methods}
    schemas = document["components"]["schemas"]
    wanted: set[str] = set()
    todo = refs(paths)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo |= refs(schemas[name]) - wanted
    trimmed = {
        "openapi": document["openapi"],
        "info": {
            "title": document["info"]["title"],
            "version": document["info"]["version"],
            "license": document["info"]["license"],
            "x-trimmed-by": "tests/harness/specs/trim_jira_spec.py",
        },
        "paths": paths,
        "components": {"schemas": {n: strip(schemas[n]) for n in sorted(wanted)}},
    }
    TARGET.write_text(json.dumps(trimmed, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{TARGET.name}: {len(paths)} paths, {len(wanted)} schemas, {TARGET.stat().st_size:,} B")


if __name__ == "__main__":
    main()
