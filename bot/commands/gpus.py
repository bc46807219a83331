"""``costbot idle``, ``costbot now``, ``costbot prices refresh`` and ``costbot audit``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import click

from bot.commands.common import DB_HELP, build_services, fail, run_or_exit, settings_for
from bot.money import format_money

if TYPE_CHECKING:
    from bot.insights.burn_rate import BurnRate

# The services, the store's GPU tables and the GPU operations load when a command runs,
# not when `costbot --help` lists the commands (issue 18).


@click.command("idle")
@click.option("--db", help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def idle_command(db: str | None, as_json: bool) -> None:
    """List idle and idle-held GPUs, idle SageMaker endpoints and notebooks (live sweep)."""
    services = run_or_exit(lambda: build_services(settings_for(db)))
    result = run_or_exit(lambda: _gpu_ops().sweep(services))
    for error in result.sweep.fleet.errors:
        click.echo(f"costbot: warning: {error}", err=True)
    if as_json:
        click.echo(json.dumps({"findings": [f.to_json() for f in result.visible]}, indent=2))
        return
    if not result.visible:
        click.echo("no idle GPUs")
        return
    for f in result.visible:
        protected = " [protected]" if f.protected else ""
        click.echo(
            f"{f.kind:<13} {f.resource_id:<22} {f.instance_type:<15} {f.region:<12} "
            f"{f.hourly_text():>14}  team {f.team or '-'}  owner {f.owner or '-'}  "
            f"idle since {f.idle_since:%Y-%m-%d %H:%M} UTC  {f.confidence} confidence  "
            f"→ {f.action}{protected}"
        )
    click.echo(f"{len(result.visible)} finding(s); ids for tickets and buttons: `--json`")


def _burn_text(rate: BurnRate) -> str:
    lines = [
        f"burning now: {format_money(rate.hourly)}/h, {format_money(rate.daily)}/day "
        f"(as of {rate.as_of:%Y-%m-%d %H:%M} UTC)"
    ]
    for team in rate.teams:
        unknown = f" (+{team.unpriced} price unknown)" if team.unpriced else ""
        lines.append(
            f"  {team.team:<20} {format_money(team.hourly):>12}/h "
            f"{format_money(team.daily):>14}/day{unknown}"
        )
        for line in team.lines:
            price = "price unknown" if line.hourly is None else f"{format_money(line.hourly)}/h"
            count = f" x{line.count}" if line.count > 1 else ""
            lines.append(
                f"      {line.resource_id:<30} {line.instance_type}{count} {line.region}  {price}"
            )
    return "\n".join(lines)


@click.command("now")
@click.option("--db", help=DB_HELP)
@click.option("--team", help="Only this team.")
@click.option("--json", "as_json", is_flag=True, help="Print the burn rate as JSON.")
def now_command(db: str | None, team: str | None, as_json: bool) -> None:
    """Show the live burn rate per team: running GPU instances and SageMaker times their price."""
    services = run_or_exit(lambda: build_services(settings_for(db)))
    rate, fleet = run_or_exit(lambda: _gpu_ops().current_burn(services))
    for error in fleet.errors:
        click.echo(f"costbot: warning: {error}", err=True)
    if team:
        rate = rate.for_team(team)
    click.echo(json.dumps(rate.to_json(), indent=2) if as_json else _burn_text(rate))


@click.group("prices")
def prices_group() -> None:
    """The hourly price table of GPU and accelerator instance types."""


@prices_group.command("refresh")
@click.option("--db", help=DB_HELP)
@click.option("--region", "regions", multiple=True, help="Region(s); default COSTBOT_REGIONS.")
def prices_refresh(db: str | None, regions: tuple[str, ...]) -> None:
    """Fetch current on-demand EC2 prices from the AWS Pricing API into the store."""
    settings = run_or_exit(lambda: settings_for(db))
    services = run_or_exit(lambda: build_services(settings))
    wanted = regions or settings.gpus.regions or (settings.aws_region,)
    from bot.state.prices import save_prices

    table = _gpu_ops().price_table(services)
    prices = run_or_exit(lambda: services.price_list().ec2_prices(wanted))
    if not prices:
        fail(
            f"the Pricing API returned no GPU prices for {', '.join(wanted)}; "
            f"kept {table.describe()}"
        )
    count = save_prices(
        services.store, prices, source="AWS Pricing API GetProducts", as_of=services.clock()
    )
    click.echo(f"stored {count} prices for {', '.join(wanted)}")


@prices_group.command("show")
@click.option("--db", help=DB_HELP)
def prices_show(db: str | None) -> None:
    """Print the price table in use, with its date and source."""
    services = run_or_exit(lambda: build_services(settings_for(db)))
    table = _gpu_ops().price_table(services)
    click.echo(f"{table.describe()}\nsource: {table.source}")
    for (region, itype), nanos in sorted(table.prices.items()):
        mark = " (refreshed)" if (region, itype) in table.refreshed else ""
        click.echo(f"  {region:<12} {itype:<18} {format_money(nanos):>10}/h{mark}")


@click.command("audit")
@click.option("--db", help=DB_HELP)
@click.option("--since", help="Only entries from this day on (YYYY-MM-DD, UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
def audit_command(db: str | None, since: str | None, as_json: bool) -> None:
    """Show the audit log: every stop, snooze and keep-running, allowed or refused."""
    start = None
    if since:
        try:
            start = datetime.combine(date.fromisoformat(since), datetime.min.time(), tzinfo=UTC)
        except ValueError:
            fail(f"--since must be a date such as 2024-10-01, got {since!r}", 2)
    from bot.state import audit as audit_state

    services = run_or_exit(lambda: build_services(settings_for(db)))
    entries = audit_state.entries(services.store, start)
    if as_json:
        click.echo(json.dumps({"entries": [e.to_json() for e in entries]}, indent=2))
        return
    if not entries:
        click.echo("the audit log is empty" + (f" since {since}" if since else ""))
        return
    for e in entries:
        click.echo(
            f"{e.at:%Y-%m-%d %H:%M:%S} {e.user:<12} {e.action:<7} {e.resource_id:<24} "
            f"{e.result:<8} {e.detail}"
        )


def _gpu_ops() -> Any:
    """Import the GPU operations when a command runs (boto3, numpy: not for `costbot --help`)."""
    from bot import gpu_ops

    return gpu_ops
