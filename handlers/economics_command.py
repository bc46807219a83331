"""``/cost chargeback | hints | unit``: the economics subcommands of ``/cost``.

:func:`answer_economics` is tried before the cost grammar; it returns False for
any other text, so ``/cost team x`` is untouched. Each subcommand parses its few
words, calls the domain and renders Block Kit; the chargeback's CSV is uploaded
to the channel with the external-upload flow.
"""

from __future__ import annotations

import re
from typing import Any

from bot.blocks.chargeback import chargeback_blocks
from bot.errors import CostbotError
from bot.insights.allocation_rules import load_rules
from bot.insights.chargeback import chargeback_from_store, previous_month
from bot.services import Services
from bot.slack_files import SlackUploadError, upload_file

SUBCOMMANDS = ("chargeback", "hints", "unit")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


class EconomicsUsageError(CostbotError):
    """The words after a subcommand are not understood."""


def is_economics(text: str) -> bool:
    """Say whether ``text`` is one of the economics subcommands."""
    words = text.split()
    return bool(words) and words[0].lower() in SUBCOMMANDS


def answer_economics(
    services: Services, text: str, respond: Any, *, body: dict[str, Any], client: Any
) -> bool:
    """Answer an economics subcommand; return False when ``text`` is not one."""
    if not is_economics(text):
        return False
    words = text.split()
    name, rest = words[0].lower(), words[1:]
    try:
        if name == "chargeback":
            _chargeback(services, rest, respond, body=body, client=client)
        elif name == "hints":
            from handlers.hints_reply import answer_hints

            answer_hints(services, rest, respond)
        else:
            from handlers.unit_reply import answer_unit

            answer_unit(services, rest, respond)
    except CostbotError as exc:
        respond(response_type="ephemeral", replace_original=False, text=f"/cost {name}: {exc}")
    return True


def parse_chargeback_words(
    words: list[str], today_month: str
) -> tuple[str, str | None, str | None]:
    """Read ``[last month|YYYY-MM] [by KEY] [measure M]``; return (month, by, measure)."""
    month, by, measure = today_month, None, None
    i = 0
    low = [w.lower() for w in words]
    while i < len(low):
        w = low[i]
        if w == "last" and i + 1 < len(low) and low[i + 1] == "month":
            i += 2
        elif _MONTH.match(w):
            month = w
            i += 1
        elif w == "by" and i + 1 < len(low):
            by = low[i + 1]
            i += 2
        elif w == "measure" and i + 1 < len(low) and low[i + 1] in ("billed", "effective", "list"):
            measure = low[i + 1]
            i += 2
        elif w in ("billed", "effective", "list"):
            measure = w
            i += 1
        else:
            raise EconomicsUsageError(
                f"did not understand {words[i]!r}; "
                "usage: /cost chargeback [last month|2024-09] [by team] [measure billed]"
            )
    return month, by, measure


def _chargeback(
    services: Services, words: list[str], respond: Any, *, body: dict[str, Any], client: Any
) -> None:
    settings = services.settings
    month, by, measure = parse_chargeback_words(words, previous_month(services.clock().date()))
    cb = chargeback_from_store(
        services.store,
        month,
        load_rules(settings.allocation_rules),
        measure=measure or settings.measure,
        by=by,
        last_data_day=services.engine.last_data_day(),
    )
    note = None
    channel = body.get("channel_id")
    if channel and client is not None:
        try:
            upload_file(
                client,
                channel=channel,
                filename=f"chargeback-{cb.month}-by-{cb.by}.csv",
                content=cb.csv_text().encode(),
                title=f"Chargeback {cb.month} by {cb.by}",
            )
            note = "The full table is uploaded to this channel as CSV."
        except SlackUploadError as exc:
            note = f"CSV not uploaded: {exc}"
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=f"Chargeback {cb.month} by {cb.by}",
        blocks=chargeback_blocks(cb, csv_note=note),
    )
