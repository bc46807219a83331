"""``costbot chargeback | hints | unit``: who pays, what to change, what a unit of work costs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.commands.common import DB_HELP, fail, run_or_exit, settings_for
from bot.money import format_money

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings

# The insights (numpy) and the services (store, metrics) load when a command runs,
# not when `costbot --help` lists the commands (issue 18).


def build_services(settings: Settings, **kwargs: Any) -> Services:
    """Build the services (imported on first use)."""
    from bot.services import build_services as build

    return build(settings, **kwargs)


def register_gpu_sources() -> None:
    """Load the GPU area's hint and utilisation sources, which register themselves on import.

    The Slack app and the jobs load them through :mod:`bot.gpu_ops`; the CLI imports
    modules only when a command runs, so without this `costbot hints` would miss idle GPUs
    and utilisation right-sizing, and `costbot unit` the busy vs paid GPU-hours.
    """
    import bot.gpu_hints
    import bot.gpu_utilisation  # noqa: F401


_MONTH = re.compile(r"^\d{4}-\d{2}$")


@click.command("chargeback")
@click.argument("month")
@click.option("--by", "by", help="Tag key that names who pays (default: the rules' `by`, team).")
@click.option(
    "--rules",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Allocation rules TOML (default $COSTBOT_ALLOCATION_RULES, else support and tax shared).",
)
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write CSV."
)
@click.option(
    "--parquet",
    "parquet_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write Parquet.",
)
@click.option(
    "--measure",
    type=click.Choice(["billed", "effective", "list"]),
    help="Cost measure (default effective).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the chargeback as JSON.")
@click.option("--db", help=DB_HELP)
def chargeback_command(
    month: str,
    by: str | None,
    rules: Path | None,
    csv_path: Path | None,
    parquet_path: Path | None,
    measure: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Allocate MONTH (YYYY-MM, or `last`) to teams, with shared costs split by the rules."""
    from bot.economics_report import chargeback_summary, chargeback_table
    from bot.insights.allocation_rules import load_rules
    from bot.insights.chargeback import chargeback_from_store, previous_month

    if csv_path and parquet_path:
        fail("give --csv or --parquet, not both", 2)
    settings = run_or_exit(lambda: settings_for(db))
    services = run_or_exit(lambda: build_services(settings, create_store=False))
    if month.lower() in ("last", "last-month"):
        month = previous_month(services.clock().date())
    if not _MONTH.match(month):
        fail(f"MONTH must be YYYY-MM (e.g. 2024-09) or `last`, not {month!r}", 2)
    rule_set = run_or_exit(lambda: load_rules(rules or settings.allocation_rules))
    cb = run_or_exit(
        lambda: chargeback_from_store(
            services.store,
            month,
            rule_set,
            measure=measure or settings.measure,
            by=by,
            last_data_day=services.engine.last_data_day(),
        )
    )
    if csv_path:
        csv_path.write_text(cb.csv_text(), encoding="utf-8")
    if parquet_path:
        cb.write_parquet(parquet_path)
    if as_json:
        click.echo(json.dumps(cb.to_json(), indent=2))
        return
    click.echo(chargeback_table(cb))
    click.echo("")
    click.echo(chargeback_summary(cb))
    if csv_path or parquet_path:
        click.echo(f"written to {csv_path or parquet_path}")


@click.command("hints")
@click.option("--team", help="Only hints for this team.")
@click.option(
    "--cloudwatch/--no-cloudwatch",
    default=None,
    help="Read CloudWatch for right-sizing: endpoint invocations and the agent's GPU "
    "utilisation (default $COSTBOT_ENDPOINT_METRICS).",
)
@click.option("--limit", type=int, default=10, show_default=True, help="Hints shown (text).")
@click.option("--json", "as_json", is_flag=True, help="Print the hints as JSON.")
@click.option("--db", help=DB_HELP)
def hints_command(
    team: str | None, cloudwatch: bool | None, limit: int, as_json: bool, db: str | None
) -> None:
    """List optimisation hints ranked by $ saved per month, with evidence and confidence."""
    from bot.economics import gather_hints
    from bot.economics_report import hints_text

    register_gpu_sources()
    settings = run_or_exit(lambda: settings_for(db))
    services = run_or_exit(lambda: build_services(settings, create_store=False))
    report = run_or_exit(lambda: gather_hints(services, team=team, use_metrics=cloudwatch))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
        return
    click.echo(f"Hints from {report.start} – {report.end}\n")
    click.echo(hints_text(report.hints, limit=limit))
    for note in report.notes:
        click.echo(f"\nnote: {note}")


@click.command("unit")
@click.argument("words", nargs=-1)
@click.option(
    "--cloudwatch/--no-cloudwatch",
    default=True,
    show_default=True,
    help="Read CloudWatch: endpoint invocations and the agent's GPU utilisation.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the unit costs as JSON.")
@click.option("--db", help=DB_HELP)
def unit_command(words: tuple[str, ...], cloudwatch: bool, as_json: bool, db: str | None) -> None:
    """Unit costs: $ per 1,000 inferences, per training run, per GPU-hour.

    WORDS: [endpoint NAME | team NAME] [last Nd] (default: everything, last 30 days).
    """
    from bot.economics import gather_unit
    from bot.economics_report import unit_text
    from bot.insights.unit_words import UnitUsageError, parse_unit_words

    try:
        parsed = parse_unit_words(list(words))
    except UnitUsageError as exc:
        fail(str(exc), 2)
    register_gpu_sources()
    settings = run_or_exit(lambda: settings_for(db))
    services = run_or_exit(lambda: build_services(settings, create_store=False))
    report = run_or_exit(
        lambda: gather_unit(
            services,
            endpoint=parsed.endpoint,
            team=parsed.team,
            days=parsed.days,
            use_metrics=cloudwatch,
        )
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(unit_text(report))


def demo_economics(services: Services) -> None:
    """Show one chargeback, the top hints and one unit cost (the tail of `costbot demo`)."""
    from bot.economics import gather_hints, gather_unit
    from bot.economics_report import chargeback_summary, chargeback_table, hints_text
    from bot.insights.allocation_rules import load_rules
    from bot.insights.chargeback import chargeback_from_store, previous_month

    register_gpu_sources()
    month = previous_month(services.clock().date())
    click.echo(f"\n== costbot chargeback {month}\n")
    cb = run_or_exit(
        lambda: chargeback_from_store(
            services.store,
            month,
            load_rules(services.settings.allocation_rules),
            measure=services.settings.measure,
            last_data_day=services.engine.last_data_day(),
        )
    )
    click.echo(chargeback_table(cb))
    click.echo(f"\n{chargeback_summary(cb)}")
    click.echo("\n== costbot hints --limit 3\n")
    report = run_or_exit(lambda: gather_hints(services, use_metrics=False))
    click.echo(hints_text(report.hints, limit=3))
    click.echo("\n== costbot unit team ai-research (a training run's cost per GPU-hour)\n")
    unit = run_or_exit(lambda: gather_unit(services, team="ai-research", use_metrics=False))
    if unit.runs:
        run = unit.runs[0]
        per = run.per_gpu_hour
        click.echo(
            f"{run.kind} {run.name}: {format_money(run.cost)} for {float(run.gpu_hours):,.0f} "
            f"GPU-hours = {format_money(per) if per is not None else '–'} per GPU-hour"
        )
