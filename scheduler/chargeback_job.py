"""On the 1st of each month, post last month's chargeback to the configured channel."""

from __future__ import annotations

import logging
from typing import Any

from bot.blocks.chargeback import chargeback_blocks
from bot.errors import CostbotError
from bot.insights.allocation_rules import load_rules
from bot.insights.chargeback import chargeback_from_store, previous_month
from bot.services import Services
from bot.slack_files import upload_file

log = logging.getLogger("costbot.jobs")


def post_monthly_chargeback(services: Services, client: Any = None) -> str | None:
    """Post last month's chargeback (table + CSV) to ``COSTBOT_CHARGEBACK_CHANNEL``.

    Returns the month posted, or None when no channel is configured or the month
    cannot be charged back (logged). ``client``
    is a slack_sdk WebClient; the composition root's is used when none is given.
    """
    settings = services.settings
    channel = settings.chargeback_channel
    if not channel:
        return None
    if client is None:
        from bot.slack_app import web_client

        client = web_client(settings)
    month = previous_month(services.clock().date())
    try:
        cb = chargeback_from_store(
            services.store,
            month,
            load_rules(settings.allocation_rules),
            measure=settings.measure,
            last_data_day=services.engine.last_data_day(),
        )
    except CostbotError as exc:  # no data, bad rules: say so in the log, post nothing
        log.warning("no chargeback posted for %s: %s", month, exc)
        return None
    client.chat_postMessage(
        channel=channel,
        text=f"Chargeback {cb.month} by {cb.by}",
        blocks=chargeback_blocks(cb, csv_note="The full table follows as CSV."),
    )
    upload_file(
        client,
        channel=channel,
        filename=f"chargeback-{cb.month}-by-{cb.by}.csv",
        content=cb.csv_text().encode(),
        title=f"Chargeback {cb.month} by {cb.by}",
    )
    log.info("posted the %s chargeback to %s", cb.month, channel)
    return cb.month
