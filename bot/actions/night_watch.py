"""Night watch's two actions: stop tonight's instances once, and keep one running tonight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.actions.base import Action, Outcome, register
from bot.actions.errors import ActionError
from bot.actions.stop import StopContext
from bot.insights.fleet import Instance
from bot.insights.night_watch import night_key
from bot.state import audit, idempotency

NIGHT_USER = "night-watch"


def keep_key(key: str, night: date) -> str:
    """Return the store key that marks ``key`` (``account:region:id``) kept on ``night``."""
    return f"night-keep:{key}@{night.isoformat()}"


@dataclass(frozen=True)
class NightResult:
    """What night watch did to one instance."""

    instance_id: str
    result: str  # ok | kept | skipped | failed
    detail: str


@register
class NightStop(Action):
    """Stop a night-environment instance at nightfall, once per night, unless kept."""

    name = "night-stop"
    acts_on = ("ec2:instance",)
    permissions = ("ec2:DescribeInstances", "ec2:StopInstances")

    def __init__(self, ctx: StopContext) -> None:
        self.ctx = ctx

    def run(self, instance: Instance, night: date) -> NightResult:
        """Stop ``instance`` for ``night`` (re-checked, DryRun first, audited)."""
        store, now = self.ctx.store, self.ctx.clock()
        key = night_key(instance)
        kept = idempotency.held(store, keep_key(key, night))
        if kept is not None:
            return NightResult(instance.id, "kept", f"kept running tonight by <@{kept.owner}>")
        claim = idempotency.claim(store, f"night-stop:{key}@{night.isoformat()}", NIGHT_USER, now)
        if not claim.won:
            return NightResult(instance.id, "skipped", "already handled tonight")
        fleet = self.ctx.fleet
        current = fleet.describe(instance.account, instance.region, instance.id)
        if current is None or current.state != "running":
            idempotency.complete(store, claim.key, {"message": "not running"})
            return NightResult(instance.id, "skipped", "not running")
        try:
            fleet.stop(instance.account, instance.region, instance.id, dry_run=True)
            fleet.stop(instance.account, instance.region, instance.id, dry_run=False)
        except ActionError as exc:
            idempotency.release(store, claim.key)
            self._audit(instance, "failed", str(exc))
            return NightResult(instance.id, "failed", str(exc))
        idempotency.complete(store, claim.key, {"message": "stopped"})
        self._audit(instance, "ok", f"stopped for the night of {night.isoformat()}")
        return NightResult(instance.id, "ok", "stopped")

    def _audit(self, instance: Instance, result: str, detail: str) -> None:
        audit.record(
            self.ctx.store,
            at=self.ctx.clock(),
            user=NIGHT_USER,
            action=self.name,
            resource_id=instance.id,
            result=result,
            detail=detail,
            parameters={"region": instance.region, "account": instance.account},
            error=detail if result == "failed" else None,
        )


def keep_tonight(ctx: StopContext, key: str, night: date, user: str) -> Outcome:
    """Record that ``user`` keeps the instance ``key`` running on ``night`` (audited)."""
    now = ctx.clock()
    claim = idempotency.claim(ctx.store, keep_key(key, night), user, now)
    instance_id = key.rsplit(":", 1)[-1]
    if not claim.won:
        return Outcome(
            "duplicate", f"Already kept running tonight by <@{claim.owner}>.", now, user, key
        )
    idempotency.complete(ctx.store, claim.key, {"user": user})
    audit.record(
        ctx.store,
        at=now,
        user=user,
        action="keep",
        resource_id=instance_id,
        result="ok",
        detail=f"keep running tonight ({night.isoformat()})",
        parameters={"night": night.isoformat()},
    )
    return Outcome("ok", f"{instance_id} keeps running tonight (<@{user}>).", now, user, key)
