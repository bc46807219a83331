"""The ticket requests table: one claim at a time, stale claims recoverable, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.costs.store import CostStore
from bot.state.tickets import DONE, FAILED, FILING, OPEN, SlackLocation, TicketRequests

T0 = datetime(2024, 10, 15, 9, 30, tzinfo=UTC)


def requests_at(tmp_path: Path, now: list[datetime]) -> TicketRequests:
    store = CostStore(tmp_path / "costbot.db")
    return TicketRequests(lambda: store.conn, lambda: now[0])


def test_one_claim_at_a_time_and_a_stale_one_can_be_taken_again(tmp_path: Path) -> None:
    now = [T0]
    requests = requests_at(tmp_path, now)
    requests.ensure("idle:i-1", "idle:i-1")
    first = requests.claim("idle:i-1", {"summary": "a"})
    assert first is not None
    assert requests.claim("idle:i-1", {"summary": "b"}) is None
    now[0] = T0 + timedelta(minutes=9)
    assert requests.claim("idle:i-1", None) is None
    now[0] = T0 + timedelta(minutes=11)  # the first process died mid-request
    second = requests.claim("idle:i-1", None)
    assert second is not None and second != first
    requests.mark_open("idle:i-1", first, "FIN-1", "u", created=True)  # the dead claim: ignored
    row = requests.get("idle:i-1")
    assert row is not None and row.status == FILING and row.fields == {"summary": "a"}
    requests.mark_failed("idle:i-1", second, "Jira is down")
    row = requests.get("idle:i-1")
    assert row is not None and row.status == FAILED and row.error == "Jira is down"
    assert row.attempts == 2 and row.fields == {"summary": "a"}, "the request is kept"
    third = requests.claim("idle:i-1", None)
    assert third is not None
    requests.mark_open("idle:i-1", third, "FIN-1", "https://j/browse/FIN-1", created=True)
    assert [r.ticket_key for r in requests.open_tickets()] == ["FIN-1"]
    assert requests.mark_done("idle:i-1") and not requests.mark_done("idle:i-1")
    row = requests.get("idle:i-1")
    assert row is not None and row.status == DONE
    assert requests.claim("idle:i-1", None) is not None, "a done ticket does not block a new one"


def test_the_slack_location_is_remembered(tmp_path: Path) -> None:
    requests = requests_at(tmp_path, [T0])
    where = SlackLocation("C1", "1.000100", False, "https://r", {"text": "t", "blocks": []})
    requests.record_slack("idle:i-2", "idle:i-2", where, "U0ALICE")
    requests.set_permalink("idle:i-2", "https://p")
    row = requests.get("idle:i-2")
    assert row is not None and row.requested_by == "U0ALICE"
    assert row.slack == SlackLocation(
        "C1", "1.000100", False, "https://r", {"text": "t", "blocks": []}, "https://p"
    )
    token = requests.claim("idle:i-2", None)
    assert token is not None
    requests.mark_open("idle:i-2", token, "FIN-2", "https://j/browse/FIN-2", created=False)
    row = requests.get("idle:i-2")
    assert row is not None and row.status == OPEN and row.created is False
