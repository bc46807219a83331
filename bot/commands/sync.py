"""``costbot sync``: run one sync of the configured sources now (the scheduler does it too)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from bot.commands.common import DB_HELP, build_services, fail, run_or_exit, settings_for
from bot.errors import CostbotError
from bot.money import format_money

if TYPE_CHECKING:
    from bot.state.sync import SyncRun


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{flag} {text!r} is not a date (YYYY-MM-DD)", 2)


@click.command("sync")
@click.option(
    "--source",
    type=click.Choice(["s3", "ce", "athena"]),
    help="Sync only this kind of source (default: every one in COSTBOT_SOURCES).",
)
@click.option("--start", help="First day (YYYY-MM-DD); whole billing periods are replaced.")
@click.option("--end", help="Last day (YYYY-MM-DD), inclusive.")
@click.option("--db", help=DB_HELP)
def sync_command(source: str | None, start: str | None, end: str | None, db: str | None) -> None:
    """Sync cost data from S3 exports, Cost Explorer or Athena into the store, now."""
    first, last = _date(start, "--start"), _date(end, "--end")
    if (first is None) != (last is None):
        fail("give both --start and --end, or neither", 2)
    if first and last and last < first:
        fail("--end is before --start", 2)
    from bot.sync.run import configured, sync_source  # ingest's readers: only when syncing

    settings = run_or_exit(lambda: settings_for(db))
    services = run_or_exit(lambda: build_services(settings))
    failed = 0
    for name in run_or_exit(lambda: configured(services, source)):
        try:
            run: SyncRun = sync_source(services, name, start=first, end=last)
        except CostbotError as exc:
            failed += 1
            click.echo(f"{name}: failed: {exc}", err=True)
            continue
        click.echo(
            f"{name}: {run.rows} rows, periods {', '.join(run.periods) or '-'}, "
            f"{run.requests} Cost Explorer request(s), {run.bytes_scanned} bytes scanned, "
            f"API spend {format_money(run.spend)}, {run.seconds:.1f}s"
            + (f" ({run.detail})" if run.detail else "")
        )
    services.close()
    if failed:
        fail(f"{failed} source(s) failed; the store keeps what it had for them")
