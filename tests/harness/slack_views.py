"""Build the ``view_submission`` Slack sends when someone submits a modal.

Slack posts it form-encoded like every interaction (``payload=<json>``), with the
view as opened (its id, callback_id, private_metadata) and ``state.values``
holding what the person entered, keyed by block_id then action_id. Sign it with
``SlackClientSim.signed(interaction_body(payload), FORM)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .slack_requests import (
    DEFAULT_APP_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    DEFAULT_USER_ID,
    DEFAULT_USER_NAME,
    VERIFICATION_TOKEN,
    new_trigger_id,
)


def initial_values(view: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return ``state.values`` as Slack fills it when the person changes nothing."""
    values: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        state: dict[str, Any] = {"type": element["type"]}
        if element["type"] in ("static_select", "external_select"):
            state["selected_option"] = element.get("initial_option")
        else:
            state["value"] = element.get("initial_value")
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def view_submission_payload(
    view: Mapping[str, Any],
    values: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """Return a view_submission payload for ``view`` (as views.open answered it).

    ``values`` defaults to the view's initial values; ``changes`` maps a block_id to a
    new text (or, for a select, an option value) the person typed or picked.
    """
    state = {k: dict(v) for k, v in (values or initial_values(view)).items()}
    for block_id, new in (changes or {}).items():
        action_id, current = next(iter(state[block_id].items()))
        if current["type"] in ("static_select", "external_select"):
            option = {"text": {"type": "plain_text", "text": str(new)}, "value": str(new)}
            state[block_id] = {action_id: {**current, "selected_option": option}}
        else:
            state[block_id] = {action_id: {**current, "value": new}}
    return {
        "type": "view_submission",
        "team": {"id": DEFAULT_TEAM_ID, "domain": DEFAULT_TEAM_DOMAIN},
        "user": {
            "id": user_id,
            "username": user_name,
            "name": user_name,
            "team_id": DEFAULT_TEAM_ID,
        },
        "api_app_id": DEFAULT_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": {**view, "state": {"values": state}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
