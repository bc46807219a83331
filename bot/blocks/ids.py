"""The ``action_id`` of every button costbot draws, shared by builders and listeners.

The rule for values: a button's ``value`` carries the question TEXT in the
``/cost`` grammar (e.g. ``team ai-research by service last 30d``), never state
such as totals, rows or JSON. A click re-asks the store, so it always shows the
figures as they are now, and a value is something a person could type. Values
are at most :data:`~bot.blocks.limits.MAX_BUTTON_VALUE` characters (Slack's
limit); a question too long for that simply gets no button.
"""

from __future__ import annotations

import re

from bot.blocks.limits import MAX_BUTTON_VALUE, slack_len

SHARE_ANSWER = "cost_share"
"""Post the answer for everyone in the channel; value: the question text."""

REGROUP = "cost_regroup"
"""Ask the same question grouped another way ("By service" / "By team"); value: the new text."""

REPERIOD = "cost_reperiod"
"""Ask the same question over the last 30 days; value: the new text."""

PICK_READING = "cost_pick_reading"
"""Answer one of the readings of a question costbot could read several ways; value: its text.

The buttons of one message are ``cost_pick_reading_0``, ``_1`` … (Slack wants the
action ids within a block distinct); :data:`PICK_READING_PATTERN` matches them all.
"""

PICK_READING_PATTERN = re.compile(rf"^{PICK_READING}(_\d+)?$")

OPEN_TICKET = "jira_open_ticket"
"""Open the Jira ticket modal for a finding; value: the finding id (``idle:…``, ``cost:…``)."""

RETRY_TICKET = "jira_retry_ticket"
"""File a failed ticket request again from the store; value: the finding id."""

ALL = (SHARE_ANSWER, REGROUP, REPERIOD, PICK_READING, OPEN_TICKET, RETRY_TICKET)

# Anomaly alerts (bot/blocks/alerts.py): the value is the anomaly id, never state.
ANOMALY_ACK = "anomaly_ack"
"""Acknowledge an anomaly alert; value: the anomaly id."""
ANOMALY_SNOOZE_1D = "anomaly_snooze_1d"
"""Silence an anomaly's follow-ups for a day; value: the anomaly id."""
ANOMALY_SNOOZE_7D = "anomaly_snooze_7d"
"""Silence an anomaly's follow-ups for a week; value: the anomaly id."""
ANOMALY_BREAKDOWN = "anomaly_breakdown"
"""Show the anomaly's root cause by service, resource and usage type; value: the anomaly id."""
ANOMALY_EXPECTED = "anomaly_expected"
"""Feedback: a planned change, learn the new level now; value: the anomaly id."""
ANOMALY_NOT_A_PROBLEM = "anomaly_not_a_problem"
"""Feedback: not a problem, raise the bar for this series; value: the anomaly id."""
ANOMALY_ACTIONS = (
    ANOMALY_ACK,
    ANOMALY_SNOOZE_1D,
    ANOMALY_SNOOZE_7D,
    ANOMALY_BREAKDOWN,
    ANOMALY_EXPECTED,
    ANOMALY_NOT_A_PROBLEM,
)


def fits_value(text: str) -> bool:
    """Tell whether ``text`` can be a button value: non-empty and within Slack's limit."""
    return bool(text.strip()) and slack_len(text) <= MAX_BUTTON_VALUE


# -- GPU findings (issue 13). Their values carry a finding id
# (``idle:<account>:<region>:<resource-id>``), never state: a click looks the finding up
# in the store and re-checks the resource.

GPU_STOP = "gpu_stop"
"""Stop the finding's instance or notebook (with a confirm dialog); value: the finding id."""

GPU_SNOOZE = "gpu_snooze"
"""Snooze menu (static_select); option values: ``<1d|7d>|<finding id>``."""

GPU_SNOOZE_UNTIL = "gpu_snooze_until"
"""Snooze until a date (datepicker); the block_id is ``snooze:<finding id>``."""

GPU_KEEP = "gpu_keep"
"""Keep running: opens a modal asking why; value: the finding id."""

GPU_KEEP_VIEW = "gpu_keep_reason"
"""The callback_id of the "Keep running" modal; private_metadata: finding id, channel, ts."""

GPU_NIGHT_KEEP = "gpu_night_keep"
"""Night watch: keep this instance running tonight; value: the finding-style id of the instance."""

GPU_ALL = (GPU_STOP, GPU_SNOOZE, GPU_SNOOZE_UNTIL, GPU_KEEP, GPU_NIGHT_KEEP)


def pick_reading_id(index: int) -> str:
    """Return the action id of the ``index``-th reading button of a message."""
    return f"{PICK_READING}_{index}"
