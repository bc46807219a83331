"""``/cost idle``, ``/cost now [team X]`` and the buttons on idle GPU findings.

Listeners parse, call :mod:`bot.gpu_ops` and the actions, and render blocks. Who may
stop is decided by :func:`bot.actions.authorise.authorise`; this module only supplies
the Slack look-ups it needs (user-group members, optionally the user's email).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import gpu_ops
from bot.actions.authorise import Authorisation, authorise
from bot.actions.base import Outcome
from bot.actions.night_watch import keep_tonight
from bot.blocks import ids
from bot.blocks.burn_rate import burn_rate_blocks, burn_rate_text
from bot.blocks.errors import error_blocks
from bot.blocks.idle import findings_list_blocks, resolved_blocks
from bot.blocks.mrkdwn import fit, section
from bot.insights.night_watch import night_phase
from bot.services import Services
from bot.state.findings import get_finding
from handlers.errors import answers_on_failure

log = logging.getLogger("costbot.gpus")
NOW = re.compile(r"^now(?:\s+team\s+(?P<team>\S.*))?$", re.IGNORECASE)


def gpu_command(services: Services, text: str, respond: Any) -> bool:
    """Answer ``idle`` or ``now [team X]``; return False for anything else (the cost grammar)."""
    words = text.strip()
    if words.lower() == "idle":
        result = gpu_ops.sweep(services)
        now = services.clock()
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"{len(result.visible)} idle GPU finding(s)",
            blocks=findings_list_blocks(result.visible, now),
        )
        return True
    match = NOW.match(words)
    if match:
        rate, _ = gpu_ops.current_burn(services)
        team = (match.group("team") or "").strip().strip('"') or None
        if team:
            rate = rate.for_team(team)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=burn_rate_text(rate),
            blocks=burn_rate_blocks(rate, team=team),
        )
        return True
    return False


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return dict(actions[0])


def _message_place(body: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return channel, container.get("message_ts"), bool(container.get("is_ephemeral"))


def _group_members(client: Any) -> Any:
    def members(group: str) -> set[str] | None:
        try:
            return set(client.usergroups_users_list(usergroup=group).get("users", []))
        except SlackApiError as exc:
            log.warning("cannot list user group %s: %s", group, exc.response.get("error"))
            return None

    return members


def _user_email(client: Any) -> Any:
    def email(user: str) -> str | None:
        try:
            profile = client.users_info(user=user).get("user", {}).get("profile", {})
        except SlackApiError as exc:
            log.warning("cannot read user %s: %s", user, exc.response.get("error"))
            return None
        return profile.get("email")

    return email


def who_may_stop(services: Services, client: Any, user: str, owner: str | None) -> Authorisation:
    """Decide with Slack's help whether ``user`` may stop a resource owned by ``owner``."""
    gpus = services.settings.gpus
    return authorise(
        user,
        gpus.stop_users,
        group_members=_group_members(client),
        owner=owner,
        user_email=_user_email(client) if gpus.stop_owner_by_email else None,
    )


def _tell(respond: Any, outcome: Outcome) -> None:
    """Answer the clicking user privately."""
    if outcome.result in ("refused", "failed"):
        hint = (
            "Ask someone listed in COSTBOT_STOP_USERS."
            if outcome.result == "refused"
            else ("The audit log has the details (`costbot audit`).")
        )
        blocks = error_blocks(outcome.message, hint)
    else:
        blocks = [section(fit(outcome.message, 2900))]
    respond(response_type="ephemeral", replace_original=False, text=outcome.message, blocks=blocks)


def _update_in_place(
    services: Services, body: dict[str, Any], respond: Any, client: Any, finding_id: str, line: str
) -> None:
    """Replace the finding's message with its facts and the outcome line, buttons gone."""
    stored = get_finding(services.store, finding_id)
    if stored is None:
        return
    blocks = resolved_blocks(stored.finding, services.clock(), line)
    channel, ts, ephemeral = _message_place(body)
    if ephemeral or not (channel and ts):
        respond(replace_original=True, text=line, blocks=blocks)
        return
    try:
        client.chat_update(channel=channel, ts=ts, text=line, blocks=blocks)
    except SlackApiError as exc:
        log.warning("cannot update the finding message: %s", exc.response.get("error"))
        respond(response_type="ephemeral", replace_original=False, text=line)


@answers_on_failure("stopping the instance")
def stop_instance_action(
    body: dict[str, Any], respond: Any, client: Any, context: dict[str, Any]
) -> None:
    """Stop the finding's resource if the clicking user may, exactly once."""
    services: Services = context["services"]
    finding_id = str(_action(body).get("value") or "")
    user = _user(body)
    stored = get_finding(services.store, finding_id)
    owner = stored.finding.owner if stored else None
    authorisation = who_may_stop(services, client, user, owner)
    outcome = gpu_ops.stop_action(services).run(finding_id, user, authorisation)
    if outcome.result == "ok":
        _update_in_place(services, body, respond, client, finding_id, outcome.message)
        return
    _tell(respond, outcome)


@answers_on_failure("snoozing the finding")
def snooze_action(body: dict[str, Any], respond: Any, client: Any, context: dict[str, Any]) -> None:
    """Snooze from the menu (``1d|<id>``) or the date picker (block ``snooze:<id>``)."""
    services: Services = context["services"]
    action = _action(body)
    if action.get("type") == "datepicker":
        choice = str(action.get("selected_date") or "")
        finding_id = str(action.get("block_id") or "").removeprefix("snooze:")
    else:
        value = str((action.get("selected_option") or {}).get("value") or "")
        choice, _, finding_id = value.partition("|")
    outcome = gpu_ops.snooze_action(services).run(finding_id, _user(body), choice)
    if outcome.result == "ok":
        _update_in_place(services, body, respond, client, finding_id, outcome.message)
    else:
        _tell(respond, outcome)


@answers_on_failure("opening the keep-running form")
def keep_running_action(
    body: dict[str, Any], respond: Any, client: Any, context: dict[str, Any]
) -> None:
    """Ask why the resource should keep running (a modal); the answer is recorded on submit."""
    finding_id = str(_action(body).get("value") or "")
    channel, ts, ephemeral = _message_place(body)
    metadata = json.dumps({"finding": finding_id, "channel": channel, "ts": ts, "eph": ephemeral})
    client.views_open(
        trigger_id=body["trigger_id"],
        view={
            "type": "modal",
            "callback_id": ids.GPU_KEEP_VIEW,
            "private_metadata": metadata[:3000],
            "title": {"type": "plain_text", "text": "Keep running"},
            "submit": {"type": "plain_text", "text": "Keep running"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": [
                section(f"Why should `{fit(finding_id.rsplit(':', 1)[-1], 100)}` keep running?"),
                {
                    "type": "input",
                    "block_id": "reason",
                    "label": {"type": "plain_text", "text": "Reason"},
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "reason",
                        "multiline": True,
                        "max_length": 500,
                    },
                },
            ],
        },
    )


def keep_reason_submission(
    ack: Any, body: dict[str, Any], client: Any, context: dict[str, Any]
) -> None:
    """Record the reason, audit it, and mark the finding's message."""
    services: Services = context["services"]
    view = body.get("view") or {}
    reason = ((view.get("state") or {}).get("values") or {}).get("reason", {}).get(
        "reason", {}
    ).get("value") or ""
    if not reason.strip():
        ack(response_action="errors", errors={"reason": "Say why it should keep running."})
        return
    ack()
    meta = json.loads(view.get("private_metadata") or "{}")
    outcome = gpu_ops.keep_action(services).run(str(meta.get("finding", "")), _user(body), reason)
    stored = get_finding(services.store, outcome.finding_id)
    if outcome.result != "ok" or stored is None or not (meta.get("channel") and meta.get("ts")):
        return
    if meta.get("eph"):
        return  # an ephemeral list has no message the bot can edit
    try:
        client.chat_update(
            channel=meta["channel"],
            ts=meta["ts"],
            text=outcome.message,
            blocks=resolved_blocks(stored.finding, services.clock(), outcome.message),
        )
    except SlackApiError as exc:
        log.warning("cannot update the finding message: %s", exc.response.get("error"))


@answers_on_failure("keeping the instance running tonight")
def night_keep_action(body: dict[str, Any], respond: Any, context: dict[str, Any]) -> None:
    """Keep one instance out of tonight's night-watch stop (anyone in the channel may)."""
    services: Services = context["services"]
    gpus = services.settings.gpus
    key = str(_action(body).get("value") or "")
    phase = night_phase(services.clock(), gpus.night_start, gpus.night_end, gpus.night_timezone)
    if phase is None:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="Night watch is not on right now; nothing to keep.",
        )
        return
    outcome = keep_tonight(gpu_ops.stop_context(services), key, phase.night, _user(body))
    respond(
        response_type="in_channel",
        replace_original=False,
        text=outcome.message,
        blocks=[section(fit(outcome.message, 2900))],
    )
