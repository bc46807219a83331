"""Slack retries: a request Slack re-sends is acknowledged once, not handled twice.

Slack re-sends events and interactions (``X-Slack-Retry-Num``) when it did not
see a fast enough acknowledgement. The original may still be running, so a
retry of a request already seen is acknowledged and dropped; a retry whose
original never arrived is handled normally.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

SEEN_TTL_SECONDS = 30 * 60
MAX_SEEN = 10_000


def request_key(body: dict[str, Any]) -> str | None:
    """Identify a Slack request across its retries."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    actions = body.get("actions") or []
    if actions and actions[0].get("action_ts"):
        return f"action:{body.get('user', {}).get('id')}:{actions[0]['action_ts']}"
    return None


class RetryDeduplicator(Middleware):
    """Remember recent request ids; acknowledge duplicates without running listeners."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock
        self.dropped = 0

    def seen_before(self, key: str) -> bool:
        """Record ``key``; tell whether it was already recorded (and still fresh)."""
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - SEEN_TTL_SECONDS:
                self._seen.popitem(last=False)
            if key in self._seen:
                return True
            self._seen[key] = now
            if len(self._seen) > MAX_SEEN:
                self._seen.popitem(last=False)
            return False

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse:
        """Drop a retried request whose original was already received."""
        key = request_key(req.body) if isinstance(req.body, dict) else None
        if key is None:
            return next()
        if self.seen_before(key):  # every request is recorded, so its retries are recognised
            self.dropped += 1
            return BoltResponse(status=200, body="")
        return next()
