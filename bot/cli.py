"""The ``costbot`` command line: ingest, cost, demo, sample, status, serve.

A thin layer: it builds the services from settings, calls the domain, and turns
the project's own errors into one-line messages (exit 2 for a question or input
it could not understand, 1 for other failures). It never prints a traceback for
a :class:`~bot.errors.CostbotError`.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands import economics, gpus
from bot.commands import jira as jira_commands
from bot.commands import scheduler as scheduler_commands
from bot.commands import sync as sync_commands
from bot.commands.common import build_services
from bot.commands.common import fail as _fail
from bot.commands.common import run_or_exit as _run
from bot.commands.common import settings_for as _settings
from bot.costs.formats import FORMATS
from bot.errors import CostbotError

if TYPE_CHECKING:
    from bot.costs.ingest import IngestResult
    from bot.costs.model import CostAnswer

# Everything but click and the command list loads inside the commands that use it: heavy
# libraries (pyarrow, pandas, numpy, boto3), and also rich, the settings, the services and
# the store, so `costbot --help` and the start of `costbot cost` stay fast (issue 18).


GRAMMAR_HELP = """\
usage: costbot cost [FILTER ...] [by DIM] [PERIOD] [untagged [KEY ...]] [top N] [measure M]

  FILTER   DIM VALUE — a tag key (team, project, …) or service, account, region,
           provider, resource, type, sku, category, charge, pricing, currency
  by DIM   group by one of those (top N, the rest as "other")
  PERIOD   today | yesterday | last 7d | last 30d | mtd (default) | last month
           | 2024-09 | 2024-09-01..2024-09-15
  untagged [KEY ...]  spend missing the tag(s) (default: the allocation tags)
  measure  effective (amortized, default) | billed (unblended) | list
  tag:KEY VALUE, by tag:KEY   the tag, even where KEY is also a dimension (dim:NAME: the dimension)

or just ask, in one quoted argument: costbot cost "EC2 costs last 30 days"
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="costbot")
def main() -> None:
    """costbot: ask what your AWS / GPU spend is, from Slack or the terminal."""


@main.command("ingest")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--db", help="Store file (default ./costbot.db or $COSTBOT_DB).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Skip format detection.")
@click.option("--strict", is_flag=True, help="Fail on the first bad row instead of skipping it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    help="Threads reading files beside the writing one (0: none). Default "
    "$COSTBOT_INGEST_WORKERS, or for 64 MB of local files or more one per core within "
    "$COSTBOT_INGEST_MEMORY_MB.",
)
def ingest_command(
    inputs: tuple[str, ...],
    db: str | None,
    fmt: str | None,
    strict: bool,
    quiet: bool,
    workers: int | None,
) -> None:
    """Ingest FOCUS / CUR 2.0 / legacy CUR exports: files, directories or s3://bucket/prefix."""
    from rich.console import Console

    from bot.terminal import IngestProgress, table_renderer
    from bot.text_report import ingest_text

    settings = _run(lambda: _settings(db))
    services = _run(lambda: build_services(settings))
    out, err = Console(), Console(stderr=True)

    def run() -> None:
        from bot.costs.freshness import delivery_currencies
        from bot.costs.ingest import ingest

        remote = services.s3_exports() if any(i.startswith("s3://") for i in inputs) else None
        with IngestProgress(err, quiet=quiet) as shown:
            result = ingest(
                services.store,
                list(inputs),
                allocation_tags=settings.allocation_tags,
                aliases=settings.tag_aliases,
                fmt=fmt,
                strict=strict,
                remote=remote,
                progress=shown.rows,
                phase=shown.phase,
                workers=settings.ingest_workers if workers is None else workers,
                memory_mb=settings.ingest_memory_mb,
            )
        click.echo(ingest_text(result, table_renderer(out), delivery_currencies(services.store)))

    _run(run)


@main.command("cost", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1)
@click.option("--db", help="Store file (default ./costbot.db or $COSTBOT_DB).")
@click.option(
    "--measure",
    type=click.Choice(["billed", "effective", "list"]),
    help="Cost measure (default: effective = amortized).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def cost_command(
    words: tuple[str, ...], db: str | None, measure: str | None, as_json: bool
) -> None:
    """Ask a cost question, e.g. `costbot cost team ai-research last 30d`."""
    from bot.costs.grammar import AskBack, HelpRequest, QueryParseError, examples_for

    settings = _run(lambda: _settings(db))
    services = _run(lambda: build_services(settings, create_store=False))
    # One argument is the whole question (`costbot cost "EC2 costs last month"`); several
    # are grammar words, where an argument with spaces is one value.
    text = words[0] if len(words) == 1 else " ".join(_requote(w) for w in words)

    def run() -> None:
        from bot.costs.ask import ask
        from bot.terminal import stdout_tables
        from bot.text_report import answer_text

        answer = ask(services.engine, text, default_measure=settings.measure, measure=measure)
        if isinstance(answer, HelpRequest):
            click.echo(GRAMMAR_HELP)
            click.echo("examples on your data:")
            for ex in examples_for(services.engine.vocabulary()):
                click.echo(f"  costbot cost {ex}")
            return
        if as_json:
            click.echo(json.dumps(answer.to_json(), indent=2))
        else:
            click.echo(answer_text(answer, stdout_tables()))

    try:
        run()
    except AskBack as exc:
        click.echo(f"costbot: {exc.reason}", err=True)
        for label, reading in exc.readings:
            click.echo(f"  {label}: costbot cost {reading}", err=True)
        sys.exit(2)
    except QueryParseError as exc:
        click.echo(f"costbot: {exc}", err=True)
        click.echo(GRAMMAR_HELP, err=True)
        sys.exit(2)
    except CostbotError as exc:
        _fail(str(exc), 1)


def _requote(word: str) -> str:
    """Keep a shell argument with spaces as one value in the grammar."""
    return f'"{word}"' if any(c.isspace() for c in word) and '"' not in word else word


@main.command("status")
@click.option("--db", help="Store file.")
def status_command(db: str | None) -> None:
    """Show what the store holds: deliveries per billing period and data freshness."""
    settings = _run(lambda: _settings(db))
    services = _run(lambda: build_services(settings, create_store=False))
    rows = services.store.deliveries()
    if not rows:
        click.echo("the store is empty; run `costbot ingest PATH`")
        return
    from bot.costs.freshness import delivery_currencies
    from bot.costs.model import complete_through
    from bot.money import format_money
    from bot.sync.report import sync_status_lines
    from bot.terminal import stdout_tables
    from bot.text_report import TextTable

    currencies = delivery_currencies(services.store)
    table = TextTable(
        ("period", "provider", "account", "format", "effective", "ingested", "export"),
        (False, False, False, False, True, False, False),
    )
    for r in rows:
        currency = currencies.get(
            (str(r["provider"]), str(r["billing_account"]), str(r["billing_period"])), "USD"
        )
        table.rows.append(
            (
                str(r["billing_period"]),
                str(r["provider"]),
                str(r["billing_account"]),
                str(r["format"]),
                format_money(int(str(r["effective"])), currency),
                str(r["ingested_at"]),
                str(r["export"] or "(unrecorded)"),
            )
        )
    click.echo(stdout_tables()(table))
    click.echo(complete_through(services.store.data_through()))
    for line in sync_status_lines(services.store, services.clock().date()):
        click.echo(line)


@main.command("sample")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--days", default=120, show_default=True, help="Days of history.")
@click.option("--end", "end_day", help="Last day (YYYY-MM-DD); default yesterday (UTC).")
@click.option(
    "--granularity", type=click.Choice(["daily", "hourly"]), default="daily", show_default=True
)
def sample_command(outdir: Path, days: int, end_day: str | None, granularity: str) -> None:
    """Write a realistic sample bill of an AI organisation as FOCUS 1.2 and CUR 2.0 files."""
    end = date.fromisoformat(end_day) if end_day else datetime.now(UTC).date() - timedelta(days=1)
    paths = _write_sample(outdir, end, days, granularity)
    for p in paths:
        click.echo(str(p))
    click.echo(f"both hold the same bill: ingest one of them (e.g. `costbot ingest {paths[1]}`)")


def _write_sample(outdir: Path, end: date, days: int, granularity: str) -> list[Path]:
    from bot.costs.exports import write_cur2, write_focus
    from bot.costs.sample import generate_org

    table = generate_org(end, days, granularity=granularity)
    # One folder per layout: the two are the same bill, and a run must not hold both.
    (outdir / "focus").mkdir(parents=True, exist_ok=True)
    focus = outdir / "focus" / "focus-1.2.csv.gz"
    cur2 = outdir / "cur2"
    write_focus(table, focus, version="1.2", fmt="csv.gz")
    write_cur2(table, cur2)
    return [focus, cur2]


@main.command("demo")
@click.option("--db", help="Store file (default ./costbot.db or $COSTBOT_DB).")
@click.option(
    "--data",
    "data_dir",
    default="demo-data",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the sample.",
)
def demo_command(db: str | None, data_dir: Path) -> None:
    """Generate a sample bill, ingest it, and answer three questions (no Slack or AWS needed)."""
    from bot.costs.ask import ask
    from bot.costs.grammar import HelpRequest
    from bot.costs.ingest import ingest
    from bot.terminal import stdout_tables
    from bot.text_report import answer_text, ingest_text

    settings = _run(lambda: _settings(db))
    services = _run(lambda: build_services(settings))
    end = services.clock().date() - timedelta(days=1)
    click.echo(f"== writing a sample bill (120 days to {end}) to {data_dir}/")
    focus, cur2 = _write_sample(data_dir, end, 120, "hourly")

    def ingest_one(path: Path) -> IngestResult:
        return ingest(
            services.store,
            [str(path)],
            allocation_tags=settings.allocation_tags,
            aliases=settings.tag_aliases,
            workers=settings.ingest_workers,
            memory_mb=settings.ingest_memory_mb,
        )

    def ask_one(words: str) -> CostAnswer | HelpRequest:
        return ask(services.engine, words, default_measure=settings.measure)

    for path in (focus, cur2):
        click.echo(f"\n== costbot ingest {path}")
        click.echo(ingest_text(_run(partial(ingest_one, path)), stdout_tables()))
    for words in ("team ai-research", "by team last 30d", "untagged"):
        click.echo(f"\n== costbot cost {words}\n")
        answer = _run(partial(ask_one, words))
        if not isinstance(answer, HelpRequest):
            click.echo(answer_text(answer, stdout_tables()))
    economics.demo_economics(services)  # issue 16: a chargeback, the top hints, a unit cost
    click.echo(f"\nThe store is {settings.db_path}; ask more with `costbot cost help`.")


@main.command("serve")
@click.option("--port", type=int, help="HTTP port (default 3000 or $PORT).")
@click.option(
    "--metrics-port", type=int, help="Serve /metrics on this port only ($COSTBOT_METRICS_PORT)."
)
@click.option("--db", help="Store file.")
def serve_command(port: int | None, metrics_port: int | None, db: str | None) -> None:
    """Run the Slack bot: Socket Mode if SLACK_APP_TOKEN is set, else HTTP on --port."""
    from bot.logs import configure
    from bot.settings import Settings
    from bot.slack_app import serve

    settings = _run(lambda: _settings(db))
    if port is not None:
        settings = Settings(**{**settings.__dict__, "port": port})
    if metrics_port is not None:
        settings = Settings(**{**settings.__dict__, "metrics_port": metrics_port})
    configure(
        settings.log_level,
        settings.log_format,
        secrets=(
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
            *(settings.jira.secrets() if settings.jira else ()),  # JIRA_API_TOKEN / JIRA_PAT
        ),
    )
    _run(lambda: serve(settings))
    _exit_now()


def _exit_now() -> None:
    """Exit as soon as ``serve`` has closed everything: SIGTERM means now.

    The store is closed and the logs flushed; what remains is the interpreter's teardown of
    pandas, pyarrow and friends (seconds on a busy machine) and any listener thread stuck on
    a slow Slack call, neither worth holding a deployment's stop for.
    """
    import logging
    import os
    import threading

    lingering = [
        t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon
    ]
    if lingering:
        logging.getLogger("costbot").warning(
            "exiting with %d thread(s) still running", len(lingering)
        )
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# Commands of each area live in bot/commands/<area>.py; register them here, one line each.
# main.add_command(<area>.<command>)
for _command in scheduler_commands.COMMANDS:  # jobs, digests, anomalies, budgets (issue 12)
    main.add_command(_command)
main.add_command(gpus.idle_command)
main.add_command(gpus.now_command)
main.add_command(gpus.prices_group)
main.add_command(gpus.audit_command)
main.add_command(sync_commands.sync_command)
main.add_command(economics.chargeback_command)
main.add_command(economics.hints_command)
main.add_command(economics.unit_command)
main.add_command(jira_commands.ticket_command)


if __name__ == "__main__":  # pragma: no cover
    main()
