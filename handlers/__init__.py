"""Slack listeners: parse what Slack sent, call the domain, render Block Kit. Nothing more.

:func:`register` wires every listener onto a Bolt app with plain calls, so each
listener is an ordinary function that can be read (and tested) on its own.
"""

from __future__ import annotations

from slack_bolt import App

from bot.blocks import ids
from bot.blocks.ticket import MODAL_CALLBACK as TICKET_MODAL
from bot.services import Services
from handlers.app_home import app_home_opened
from handlers.cost_buttons import pick_reading_action, regroup_action, share_answer_action
from handlers.cost_command import ack_cost_command, answer_cost_command
from handlers.errors import error_handler
from handlers.gpus import (
    keep_reason_submission,
    keep_running_action,
    night_keep_action,
    snooze_action,
    stop_instance_action,
)
from handlers.retries import RetryDeduplicator
from handlers.speak_first import ack_anomaly_action, anomaly_action
from handlers.tickets import (
    ack_ticket,
    ack_ticket_submission,
    file_ticket_submission,
    open_ticket_action,
    retry_ticket_action,
)


def register(app: App, services: Services) -> None:
    """Attach costbot's listeners and middleware to ``app``."""
    app.use(RetryDeduplicator())
    app.middleware(_inject(services))
    app.command("/cost")(ack=ack_cost_command, lazy=[answer_cost_command])
    app.action(ids.SHARE_ANSWER)(ack=_ack, lazy=[share_answer_action])
    app.action(ids.REGROUP)(ack=_ack, lazy=[regroup_action])
    app.action(ids.REPERIOD)(ack=_ack, lazy=[regroup_action])
    app.action(ids.PICK_READING_PATTERN)(ack=_ack, lazy=[pick_reading_action])
    app.event("app_home_opened")(app_home_opened)
    for action_id in ids.ANOMALY_ACTIONS:  # anomaly alert buttons (issue 12)
        app.action(action_id)(ack=ack_anomaly_action, lazy=[anomaly_action])
    # GPU findings (issue 13): Stop / Snooze / Keep running
    app.action(ids.GPU_STOP)(ack=_ack, lazy=[stop_instance_action])
    app.action(ids.GPU_SNOOZE)(ack=_ack, lazy=[snooze_action])
    app.action(ids.GPU_SNOOZE_UNTIL)(ack=_ack, lazy=[snooze_action])
    app.action(ids.GPU_KEEP)(ack=_ack, lazy=[keep_running_action])
    app.view(ids.GPU_KEEP_VIEW)(keep_reason_submission)
    app.action(ids.GPU_NIGHT_KEEP)(ack=_ack, lazy=[night_keep_action])
    # Jira tickets (issue 14): the button, the modal, Retry.
    app.action(ids.OPEN_TICKET)(ack=ack_ticket, lazy=[open_ticket_action])
    app.action(ids.RETRY_TICKET)(ack=ack_ticket, lazy=[retry_ticket_action])
    app.view(TICKET_MODAL)(ack=ack_ticket_submission, lazy=[file_ticket_submission])
    app.error(error_handler)


def _ack(ack: object) -> None:
    ack()  # type: ignore[operator]


def _inject(services: Services) -> object:
    """Put the services into every listener's ``context``."""

    def middleware(context: dict[str, object], next: object) -> object:
        context["services"] = services
        return next()  # type: ignore[operator]

    return middleware
