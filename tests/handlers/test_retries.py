"""Retry de-duplication, in HTTP and Socket Mode alike."""

from __future__ import annotations

import json

from slack_bolt import BoltRequest, BoltResponse

from handlers.retries import RetryDeduplicator


def event(event_id: str, retry: int | None, mode: str) -> BoltRequest:
    headers = {"x-slack-retry-num": [str(retry)]} if retry is not None else {}
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": event_id,
            "event": {"type": "app_home_opened", "user": "U1"},
        }
    )
    return BoltRequest(body=body, headers=headers, mode=mode)


def test_an_original_and_its_retries_run_the_listeners_once() -> None:
    for mode in ("http", "socket_mode"):
        dedupe = RetryDeduplicator()
        ran: list[str] = []

        def listeners(ran: list[str] = ran) -> BoltResponse:
            ran.append("ran")
            return BoltResponse(status=200, body="")

        for retry in (None, 1, 2):
            req = event("Ev1", retry, mode)
            resp = dedupe.process(req=req, resp=BoltResponse(status=200), next=listeners)
            assert resp.status == 200
        assert ran == ["ran"], mode
        dedupe.process(req=event("Ev2", None, mode), resp=BoltResponse(status=200), next=listeners)
        assert ran == ["ran", "ran"], "a new event still runs"
