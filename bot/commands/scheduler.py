"""CLI for what costbot says first: jobs, subscriptions, the digest, anomalies, budgets.

costbot jobs                      each job, its next run and its last outcome
costbot run-job NAME              run one job now (post_digests runs every digest)
costbot subscribe CHANNEL daily|weekly …, costbot subscriptions, costbot unsubscribe N
costbot digest [FILTERS…] [--json] [--png FILE] [--post CHANNEL]
costbot anomalies [--by KEY] [--since DATE] [--all] [--json]
costbot budget set [FILTERS…] AMOUNT monthly [alert 50,80,100] [channel #c]
costbot budget list, costbot budget delete N
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.commands.common import DB_HELP, build_services, fail, run_or_exit, settings_for
from bot.money import format_money

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings
    from bot.state.scheduling import Budgets, Subscriptions

# The services, the store's tables and the insights (numpy, pandas) are imported when a
# command runs: `costbot --help` and `costbot cost …` must not pay for them
# (tests/test_startup.py).


def _services(db: str | None, *, create: bool = False) -> Services:
    settings = run_or_exit(lambda: settings_for(db))
    services: Services = run_or_exit(lambda: build_services(settings, create_store=create))
    return services


def _subscriptions(services: Services) -> Subscriptions:
    from bot.state.scheduling import Subscriptions

    return Subscriptions(services.store)


def _budgets(services: Services) -> Budgets:
    from bot.state.scheduling import Budgets

    return Budgets(services.store)


def _words(words: tuple[str, ...]) -> str:
    return " ".join(f'"{w}"' if any(c.isspace() for c in w) and '"' not in w else w for w in words)


def _slack_client(settings: Settings) -> Any:
    from bot.slack_app import web_client

    if not settings.slack_bot_token:
        fail("SLACK_BOT_TOKEN is not set: posting to Slack needs the bot token (xoxb-…).")
    return web_client(settings)


# -- jobs --------------------------------------------------------------------------------------


@click.command("jobs")
@click.option("--db", help=DB_HELP)
def jobs_command(db: str | None) -> None:
    """List each scheduled job with its next run and its last outcome."""
    from scheduler.runner import next_slot
    from scheduler.schedule import build_runner

    services = _services(db)
    runner = build_runner(services)
    now = services.clock()
    for spec in runner.specs():
        upcoming = next_slot(spec, now)
        last = runner.ledger.last(spec.name)
        outcome = (
            f"{last.status} for {last.slot.isoformat(timespec='minutes')}" if last else "never run"
        )
        when = upcoming.isoformat(timespec="minutes") if upcoming else "–"
        click.echo(f"{spec.name:<18} next {when:<25} last {outcome}")
        if spec.describe:
            click.echo(f"{'':<18} {spec.describe}")


@click.command("run-job")
@click.argument("name")
@click.option("--db", help=DB_HELP)
def run_job_command(name: str, db: str | None) -> None:
    """Run one job now: scan_anomalies, check_budgets, post_digests or post_digests:N."""
    from scheduler.schedule import build_runner

    services = _services(db)
    runner = build_runner(services, _slack_client(services.settings))
    names = [name]
    if name == "post_digests":
        names = [s.name for s in runner.specs() if s.name.startswith("post_digests:")]
        if not names:
            fail("there are no subscriptions; add one with `costbot subscribe CHANNEL daily`.")
    failed = False
    for n in names:
        outcome = run_or_exit(partial(runner.run_now, n))
        click.echo(f"{n}: {outcome.status} {json.dumps(outcome.detail, sort_keys=True)}")
        failed |= outcome.status == "failed"
    if failed:
        raise SystemExit(1)


# -- subscriptions -------------------------------------------------------------------------------


@click.command("subscribe", context_settings={"ignore_unknown_options": True})
@click.argument("channel")
@click.argument("words", nargs=-1, required=True)
@click.option("--db", help=DB_HELP)
def subscribe_command(channel: str, words: tuple[str, ...], db: str | None) -> None:
    """Subscribe CHANNEL to a digest: daily|weekly [on DAY] [FILTERS…] [at HH:MM] [tz ZONE]."""
    from bot.insights.requests import parse_channel, parse_subscribe

    services = _services(db)
    target = run_or_exit(lambda: parse_channel(channel))
    request = run_or_exit(lambda: parse_subscribe(_words(words), services.engine.vocabulary()))
    sub = _subscriptions(services).add(
        channel=target,
        cadence=request.cadence,
        filters=request.filters,
        at=request.at,
        weekday=request.weekday,
        tz=request.tz,
        created_by=None,
        now=services.clock(),
    )
    click.echo(f"#{sub.id} {sub.channel} {sub.describe()}")
    click.echo("costbot must be a member of the channel to post there (`/invite @costbot`).")


@click.command("subscriptions")
@click.option("--db", help=DB_HELP)
def subscriptions_command(db: str | None) -> None:
    """List every digest subscription."""
    services = _services(db)
    subs = _subscriptions(services).all()
    if not subs:
        click.echo("no subscriptions; add one with `costbot subscribe CHANNEL daily`")
    for s in subs:
        click.echo(f"#{s.id} {s.channel} {s.describe()}")


@click.command("unsubscribe")
@click.argument("number", type=int)
@click.option("--db", help=DB_HELP)
def unsubscribe_command(number: int, db: str | None) -> None:
    """Remove subscription N."""
    services = _services(db)
    if not _subscriptions(services).delete(number):
        fail(f"there is no subscription #{number}; see `costbot subscriptions`.")
    click.echo(f"removed subscription #{number}")


# -- the digest ----------------------------------------------------------------------------------


@click.command("digest", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1)
@click.option("--db", help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the digest as JSON.")
@click.option(
    "--png", "png", type=click.Path(dir_okay=False, path_type=Path), help="Write the chart."
)
@click.option("--post", "post", help="Post the digest (and its chart) to this channel.")
def digest_command(
    words: tuple[str, ...], db: str | None, as_json: bool, png: Path | None, post: str | None
) -> None:
    """Produce the digest of FILTERS (all spend by default), as Slack would post it."""
    from bot.blocks.alerts import digest_lines
    from bot.insights.requests import parse_filters
    from bot.insights.views import digest_of
    from scheduler.insight_jobs import digest_chart, insight_settings

    services = _services(db)
    filters = run_or_exit(lambda: parse_filters(list(words), services.engine.vocabulary()))
    digest = run_or_exit(lambda: digest_of(services.engine, filters, insight_settings(services)))
    if digest is None:
        fail("the store holds no billing data; run `costbot ingest` first.")
    if as_json:
        click.echo(json.dumps(digest.to_json(), indent=2))
    else:
        click.echo(f"Cost digest · {digest.scope} · {digest.through.isoformat()}")
        for title, lines in digest_lines(digest):
            click.echo(f"\n{title}")
            for line in lines:
                click.echo(f"  {_plain(line)}")
    chart = digest_chart(digest) if png or post else b""
    if png:
        png.write_bytes(chart)
        click.echo(f"chart written to {png}", err=as_json)
    if post:
        _post_digest(services, post, digest, chart)


def _post_digest(services: Services, channel: str, digest: Any, chart: bytes) -> None:
    from slack_sdk.errors import SlackApiError

    from bot.blocks.alerts import digest_blocks, digest_text
    from bot.insights.requests import parse_channel
    from scheduler.insight_jobs import upload_chart

    client = _slack_client(services.settings)
    target = run_or_exit(lambda: parse_channel(channel))
    try:
        reply = client.chat_postMessage(
            channel=target, text=digest_text(digest), blocks=digest_blocks(digest)
        )
        upload_chart(client, reply["channel"], digest, chart)
    except SlackApiError as exc:
        code = exc.response.get("error")
        hint = " Invite costbot with `/invite @costbot`." if code == "not_in_channel" else ""
        fail(f"Slack refused the post ({code}).{hint}")
    click.echo(f"posted to {channel}", err=True)


def _plain(mrkdwn: str) -> str:
    """Turn a mrkdwn line into terminal text."""
    text = mrkdwn.replace("*", "").replace("`", "")
    text = re.sub(r"<@([A-Z0-9]+)>", r"@\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# -- anomalies -----------------------------------------------------------------------------------


@click.command("anomalies")
@click.option("--by", "by", help="Only this dimension: total, service, account or a tag key.")
@click.option("--since", "since", help="Only anomalies that started on or after DATE.")
@click.option("--all", "scan_all", is_flag=True, help="The whole history (as if run every day).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--db", help=DB_HELP)
def anomalies_command(
    by: str | None, since: str | None, scan_all: bool, as_json: bool, db: str | None
) -> None:
    """List cost anomalies with their root cause (default: those of the last 7 days of data)."""
    from bot.insights.anomalies import anomalies_json, with_root_causes
    from scheduler.insight_jobs import insight_settings

    services = _services(db)
    start: date | None = None
    if since:
        try:
            start = date.fromisoformat(since)
        except ValueError:
            fail(f"--since takes a date like 2024-10-01, not {since!r}", 2)

    def run() -> list[Any]:
        from bot.insights.views import scan_store

        found = scan_store(services.engine, insight_settings(services))
        last = services.engine.last_data_day()
        if start is not None:
            found = [a for a in found if a.date >= start]
        elif not scan_all and last is not None:
            found = [a for a in found if a.last_day >= last - timedelta(days=6)]
        if by:
            found = [a for a in found if a.dimension == by.lower()]
        return with_root_causes(services.engine, found, measure=services.settings.measure)

    found = run_or_exit(run)
    if as_json:
        click.echo(json.dumps(anomalies_json(found), indent=2))
        return
    if not found:
        click.echo("no anomalies")
    for a in found:
        click.echo(
            f"{a.date.isoformat()}  {a.scope():<40} {format_money(a.actual):>14} expected "
            f"{format_money(a.expected):>14}  {format_money(a.impact, signed=True):>14}  "
            f"{a.severity:<6} {a.status:<9} {a.id}"
        )
        for c in a.root_cause:
            click.echo(f"    {c.dimension:<10} {c.value:<40} {format_money(c.delta, signed=True)}")


# -- budgets -------------------------------------------------------------------------------------


@click.group("budget")
def budget_group() -> None:
    """Monthly budgets: set, list, delete (alerts at thresholds and on the forecast)."""


@budget_group.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@click.option("--db", help=DB_HELP)
def budget_set_command(words: tuple[str, ...], db: str | None) -> None:
    """Set a budget: [FILTERS…] AMOUNT monthly [alert 50,80,100] [channel #c]."""
    from bot.insights.requests import parse_budget

    services = _services(db)
    request = run_or_exit(lambda: parse_budget(_words(words), services.engine.vocabulary()))
    channel = request.channel or services.settings.alert_channel
    if not channel:
        fail("say where alerts go: add `channel #name` (or set COSTBOT_ALERT_CHANNEL).", 2)
    budget = _budgets(services).add(
        filters=request.filters,
        amount=request.amount,
        period=request.period,
        thresholds=request.thresholds,
        channel=channel,
        created_by=None,
        now=services.clock(),
    )
    click.echo(
        f"budget #{budget.id}: {budget.scope()} {format_money(budget.amount)} {budget.period}, "
        f"alerts at {','.join(str(t) for t in budget.thresholds)} % to {channel}"
    )


@budget_group.command("list")
@click.option("--db", help=DB_HELP)
def budget_list_command(db: str | None) -> None:
    """List budgets with the month so far and the month-end forecast."""
    from bot.insights.views import budget_statuses

    services = _services(db)
    statuses = run_or_exit(
        lambda: budget_statuses(services.engine, measure=services.settings.measure)
    )
    if not statuses:
        click.echo("no budgets; add one with `costbot budget set team X 50000 monthly`")
    for s in statuses:
        click.echo(str(s))


@budget_group.command("delete")
@click.argument("number", type=int)
@click.option("--db", help=DB_HELP)
def budget_delete_command(number: int, db: str | None) -> None:
    """Delete budget N."""
    services = _services(db)
    if not _budgets(services).delete(number):
        fail(f"there is no budget #{number}; see `costbot budget list`.")
    click.echo(f"deleted budget #{number}")


COMMANDS = (
    jobs_command,
    run_job_command,
    subscribe_command,
    subscriptions_command,
    unsubscribe_command,
    digest_command,
    anomalies_command,
    budget_group,
)
