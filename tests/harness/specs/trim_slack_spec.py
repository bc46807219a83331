"""Rebuild ``slack_web_methods.json`` from Slack's full OpenAPI 2.0 description.

Usage: ``python tests/harness/specs/trim_slack_spec.py PATH/TO/slack_web_openapi_v2.json``

Keeps what the emulator checks (every method, each parameter's name, location and whether it
is required) and drops descriptions, examples and response schemas (1.2 MB -> about 60 kB).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("slack_web_methods.json")
KEPT_PARAMETER_FIELDS = ("name", "in", "required", "type")


def trim(document: dict[str, Any]) -> dict[str, Any]:
    """Return the parts of the OpenAPI document that ``load_spec`` reads, in a stable order."""
    paths = {
        route: {
            verb: {
                "operationId": operation.get("operationId", ""),
                "parameters": [
                    {k: p[k] for k in KEPT_PARAMETER_FIELDS if k in p}
                    for p in operation.get("parameters", [])
                ],
            }
            for verb, operation in sorted(operations.items())
        }
        for route, operations in sorted(document["paths"].items())
    }
    return {
        "swagger": document["swagger"],
        "info": {
            "title": document["info"]["title"],
            "version": document["info"]["version"],
            "x-trimmed": "methods and parameters only; source: slackapi/slack-api-specs "
            "web-api/slack_web_openapi_v2.json (MIT)",
        },
        "paths": paths,
    }


def main(source: str) -> None:
    document = json.loads(Path(source).read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(trim(document), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(document['paths'])} methods)")


if __name__ == "__main__":
    main(sys.argv[1])
