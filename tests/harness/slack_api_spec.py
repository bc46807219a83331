"""Know which Slack Web API methods exist and which arguments each one requires.

The source is Slack's own OpenAPI 2.0 description (slackapi/slack-api-specs, last published
2021), vendored trimmed to methods and parameters in ``specs/slack_web_methods.json``. Its
gaps are filled by hand here, each with the documentation page it comes from, so that the
emulator refuses the calls Slack would refuse instead of the calls a mock happens to know.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Vendored (specs/README.md says from where), so that a clone alone runs its tests.
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "specs" / "slack_web_methods.json"

# Methods published after the 2021 spec, from docs.slack.dev/reference/methods/<name>.
ADDED_METHODS: dict[str, tuple[str, ...]] = {
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "apps.connections.open": (),  # Socket Mode; called with the app-level token (xapp-)
}

# Arguments the 2021 spec leaves optional although Slack's method pages mark them required.
EXTRA_REQUIRED: dict[str, tuple[str, ...]] = {
    "chat.delete": ("channel", "ts"),
    "conversations.info": ("channel",),
    "conversations.join": ("channel",),
    "users.info": ("user",),
    "views.update": ("view",),
}

# Retired methods: Slack answers method_deprecated. files.upload was retired in favour of
# files.getUploadURLExternal + files.completeUploadExternal; the channels.*, groups.*, im.*
# and mpim.* families were retired in 2021 in favour of conversations.*.
RETIRED_METHODS = frozenset({"files.upload"})
RETIRED_PREFIXES = ("channels.", "groups.", "im.", "mpim.")


@dataclass(frozen=True)
class SlackApiSpec:
    """The set of known methods and the required arguments of each (``token`` excluded).

    ``token`` is left out because slack_sdk sends it as ``Authorization: Bearer``, which the
    OpenAPI document does not describe; the emulator checks it separately.
    """

    required: dict[str, tuple[str, ...]]

    def knows(self, method: str) -> bool:
        """Tell whether ``method`` exists (retired methods included)."""
        return method in self.required or self.is_retired(method)

    def is_retired(self, method: str) -> bool:
        """Tell whether Slack has retired ``method``."""
        return method in RETIRED_METHODS or method.startswith(RETIRED_PREFIXES)

    def required_args(self, method: str) -> tuple[str, ...]:
        """Return the arguments ``method`` cannot be called without."""
        return self.required.get(method, ())


@lru_cache(maxsize=4)
def load_spec(path: Path = DEFAULT_SPEC_PATH) -> SlackApiSpec:
    """Read the OpenAPI file once per path and extract the required arguments."""
    if not path.is_file():
        raise FileNotFoundError(
            f"Slack OpenAPI spec not found at {path}; rebuild it with "
            "tests/harness/specs/trim_slack_spec.py"
        )
    document = json.loads(path.read_text(encoding="utf-8"))
    required: dict[str, tuple[str, ...]] = {}
    for route, operations in document["paths"].items():
        names: list[str] = []
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name = parameter.get("name")
                if parameter.get("required") and name != "token" and name not in names:
                    names.append(name)
        required[route.lstrip("/")] = tuple(names)
    for method, extra in EXTRA_REQUIRED.items():
        merged = list(required.get(method, ()))
        merged += [name for name in extra if name not in merged]
        required[method] = tuple(merged)
    required.update(ADDED_METHODS)
    return SlackApiSpec(required=required)
