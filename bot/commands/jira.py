"""``costbot ticket FINDING_ID [--json]``: file a finding's Jira ticket from the terminal.

Prints exactly ``{"key", "url", "created"}`` with ``--json``; ``created`` is false
when an open ticket already existed (in the store, or found in Jira by the
finding's label), so running it twice files one ticket.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from bot.commands.common import DB_HELP, build_services, fail, run_or_exit, settings_for

if TYPE_CHECKING:
    from bot.tickets.model import FiledTicket


@click.command("ticket")
@click.argument("finding_id")
@click.option("--db", help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help='Print {"key", "url", "created"}.')
def ticket_command(finding_id: str, db: str | None, as_json: bool) -> None:
    """File the Jira ticket for a finding (anomaly:…, idle:…, budget:…, cost:…), once."""
    settings = run_or_exit(lambda: settings_for(db))
    if settings.jira is None:
        fail("Jira is not configured: set JIRA_URL, JIRA_PROJECT and credentials (see README)")
    services = run_or_exit(lambda: build_services(settings, create_store=False))

    def run() -> FiledTicket:
        filer = services.ticket_filer()
        assert filer is not None  # settings.jira is set
        return filer.file(filer.findings.lookup(finding_id))

    try:
        ticket: FiledTicket = run_or_exit(run)
    finally:
        services.close()
    if as_json:
        click.echo(json.dumps(ticket.to_json()))
        return
    state = "created" if ticket.created else "already open"
    click.echo(f"{ticket.key} ({state}) {ticket.url}")
    for note in ticket.notes:
        click.echo(f"note: {note}")
