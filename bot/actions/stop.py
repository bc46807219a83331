"""Stop an idle instance (or notebook) from a finding: safely, and exactly once.

In order: the user must be authorised; an idempotency key in the store (not memory)
makes double clicks, two people clicking and Slack retries one stop, even across a
restart; the resource is re-checked (still exists, still runs, still idle, not protected,
stoppable at all); EC2's DryRun confirms the bot may stop it; then it is stopped. Every
decision except a duplicate writes one audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.actions.authorise import Authorisation
from bot.actions.base import Action, Outcome, register
from bot.actions.errors import ActionError
from bot.costs.store import CostStore
from bot.insights.fleet import GpuFleet
from bot.insights.idle import Finding, IdleRules, classify, protection
from bot.money import format_money
from bot.state import audit, findings, idempotency


def stopped_text(user: str, at: datetime, finding: Finding) -> str:
    """Say who stopped what and what it saves: ``Stopped by @alice at 14:02 UTC, saves ≈ …``."""
    saves = "price unknown" if finding.hourly is None else f"≈ {format_money(finding.hourly)}/h"
    return f"Stopped by <@{user}> at {at:%H:%M} UTC, saves {saves}"


@dataclass(frozen=True)
class StopContext:
    """What a stop needs: the store, the fleet port, the idle rules and the clock."""

    store: CostStore
    fleet: GpuFleet
    rules: IdleRules
    clock: Callable[[], datetime]


@register
class StopResource(Action):
    """Stop an idle EC2 instance or SageMaker notebook instance named by a finding."""

    name = "stop"
    acts_on = ("ec2:instance", "sagemaker:notebook-instance")
    permissions = (
        "ec2:DescribeInstances",
        "ec2:StopInstances",
        "cloudwatch:GetMetricData",
        "cloudwatch:ListMetrics",
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:StopNotebookInstance",
    )

    def __init__(self, ctx: StopContext) -> None:
        self.ctx = ctx

    def _audit(
        self, user: str, finding: Finding, result: str, detail: str, **params: object
    ) -> None:
        audit.record(
            self.ctx.store,
            at=self.ctx.clock(),
            user=user,
            action=self.name,
            resource_id=finding.resource_id,
            finding_id=finding.id,
            result=result,
            detail=detail,
            parameters={"region": finding.region, "account": finding.account, **params},
            error=detail if result == "failed" else None,
        )

    def run(self, finding_id: str, user: str, authorisation: Authorisation) -> Outcome:
        """Stop the finding's resource for ``user`` if everything still holds."""
        now = self.ctx.clock()
        stored = findings.get_finding(self.ctx.store, finding_id)
        if stored is None:
            return Outcome(
                "refused", "I no longer know this finding; run `/cost idle`.", now, user, finding_id
            )
        finding = stored.finding
        if not authorisation.allowed:
            self._audit(user, finding, "refused", authorisation.reason)
            return Outcome(
                "refused",
                f"You can't stop {finding.resource_id}: {authorisation.reason}.",
                now,
                user,
                finding_id,
            )
        key = f"stop:{finding.episode}"
        claim = idempotency.claim(self.ctx.store, key, user, now)
        if not claim.won:
            if claim.status == "done" and claim.result:
                text = str(claim.result.get("message", "Already stopped."))
                return Outcome("duplicate", f"Already done: {text}", now, user, finding_id)
            return Outcome(
                "duplicate",
                f"<@{claim.owner}> is stopping {finding.resource_id} right now.",
                now,
                user,
                finding_id,
            )
        try:
            refusal = self._recheck(finding)
            if refusal:
                idempotency.release(self.ctx.store, key)
                self._audit(user, finding, "refused", refusal)
                return Outcome("refused", f"Not stopped: {refusal}", now, user, finding_id)
            self._stop(finding)
        except ActionError as exc:
            idempotency.release(self.ctx.store, key)
            self._audit(user, finding, "failed", str(exc))
            return Outcome(
                "failed", f"Could not stop {finding.resource_id}: {exc}", now, user, finding_id
            )
        at = self.ctx.clock()
        message = stopped_text(user, at, finding)
        idempotency.complete(
            self.ctx.store, key, {"message": message, "user": user, "at": at.isoformat()}
        )
        findings.mark_stopped(self.ctx.store, finding.id)
        self._audit(
            user,
            finding,
            "ok",
            f"stopped {finding.instance_type}; saves {finding.hourly_text()}",
            instance_type=finding.instance_type,
            dry_run_checked=finding.service == "ec2",
        )
        return Outcome("ok", message, at, user, finding_id)

    def _recheck(self, finding: Finding) -> str | None:
        """Return why the resource must not be stopped now, or None when it may."""
        if finding.service != "ec2":
            return self._recheck_notebook(finding)
        fleet, rules, now = self.ctx.fleet, self.ctx.rules, self.ctx.clock()
        instance = fleet.describe(finding.account, finding.region, finding.resource_id)
        if instance is None:
            return f"{finding.resource_id} no longer exists."
        if instance.state != "running":
            return f"{finding.resource_id} is {instance.state} now, not running."
        why = protection(instance.tags, rules)
        if why:
            return f"{finding.resource_id} is protected ({why})."
        if instance.lifecycle == "spot":
            return (
                f"{finding.resource_id} is a spot instance: EC2 cannot stop it, only terminate "
                "it (costbot does not terminate)."
            )
        if instance.root_device_type == "instance-store":
            return (
                f"{finding.resource_id} has an instance-store root volume: it cannot be stopped, "
                "and terminating it would lose its disk."
            )
        usage = fleet.utilisation((instance,), now - rules.lookback, now)
        if classify(usage.get(instance.id), rules, now, instance.launch_time) is None:
            return f"{finding.resource_id} is no longer idle (or its metrics stopped arriving)."
        fleet.stop(finding.account, finding.region, finding.resource_id, dry_run=True)
        return None

    def _recheck_notebook(self, finding: Finding) -> str | None:
        if finding.kind != "notebook-idle":
            return f"{finding.resource_id} is not something costbot stops ({finding.kind})."
        if finding.protected:
            return f"{finding.resource_id} is protected."
        fleet, rules, now = self.ctx.fleet, self.ctx.rules, self.ctx.clock()
        current = {r.resource_id: r for r in fleet.inventory().sagemaker}
        notebook = current.get(finding.resource_id)
        if notebook is None:
            return f"{finding.resource_id} is no longer in service."
        usage = fleet.notebook_utilisation((notebook,), now - rules.lookback, now)
        if classify(usage.get(notebook.resource_id), rules, now, notebook.since) is None:
            return f"{finding.resource_id} is no longer idle."
        return None

    def _stop(self, finding: Finding) -> None:
        if finding.service == "ec2":
            self.ctx.fleet.stop(finding.account, finding.region, finding.resource_id, dry_run=False)
        else:
            name = finding.resource_id.removeprefix("notebook/")
            self.ctx.fleet.stop_notebook(finding.account, finding.region, name)
