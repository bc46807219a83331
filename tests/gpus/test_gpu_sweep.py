"""The sweep against a seeded moto fleet: the right findings, burn rate and protection."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import boto3
from conftest import GPU_SETTINGS, make_services
from gpu_world import REGION, World

from bot import gpu_ops
from bot.services import Services


def test_findings_are_exactly_the_idle_ones_with_their_kind(
    services: Services, world: World
) -> None:
    result = gpu_ops.sweep(services)
    by_resource = {f.resource_id: f for f in result.visible}
    ids = world.ids
    assert by_resource[ids["idle"]].kind == "idle"
    assert by_resource[ids["held"]].kind == "idle-held"
    assert by_resource[ids["noagent"]].kind == "idle"
    for role in ("busy", "half", "cpu", "stopped"):
        assert ids[role] not in by_resource, role
    assert by_resource["endpoint/ep-idle"].kind == "endpoint-idle"
    assert by_resource["notebook/nb-idle"].kind == "notebook-idle"


def test_protection_spot_and_confidence(services: Services, world: World) -> None:
    found = {f.resource_id: f for f in gpu_ops.sweep(services).visible}
    ids = world.ids
    idle = found[ids["idle"]]
    assert (idle.confidence, idle.protected, idle.action, idle.stoppable) == (
        "high",
        False,
        "stop",
        True,
    )
    assert found[ids["held"]].action == "ask-owner"
    for role in ("protected", "prod"):
        f = found[ids[role]]
        assert f.protected and not f.stoppable and f.action == "report", role
    spot = found[ids["spot"]]
    assert not spot.protected and not spot.stoppable and "only terminate" in spot.explanation
    assert found[ids["noagent"]].confidence == "low"


def test_finding_json_shape_money_and_stable_id(services: Services, world: World) -> None:
    first = {f.resource_id: f for f in gpu_ops.sweep(services).visible}
    idle = first[world.ids["idle"]]
    data = idle.to_json()
    assert list(data) == [
        "id",
        "resource_id",
        "kind",
        "region",
        "instance_type",
        "gpus",
        "team",
        "owner",
        "idle_since",
        "hourly_cost",
        "burned",
        "confidence",
        "protected",
        "action",
    ]
    assert data["id"] == f"idle:123456789012:us-east-1:{world.ids['idle']}"
    assert data["gpus"] == 8 and data["instance_type"] == "p4d.24xlarge"
    assert data["hourly_cost"] == "32.7726"
    assert (data["team"], data["owner"]) == ("ai-research", "alice@example.com")
    seconds = int((world.now - idle.idle_since).total_seconds())
    assert seconds >= 2 * 3600
    # exact: $/h in nano-units times whole seconds, floored to the nano-unit
    assert Decimal(data["burned"]) == Decimal(32_772_600_000 * seconds // 3600).scaleb(-9)
    again = {f.resource_id: f for f in gpu_ops.sweep(services).visible}
    assert again[world.ids["idle"]].id == idle.id


def test_burn_rate_per_team_from_the_running_inventory(services: Services, world: World) -> None:
    rate, _ = gpu_ops.current_burn(services)
    data = rate.to_json()
    assert list(data) == ["as_of", "hourly", "teams"]
    teams = {t["team"]: t for t in data["teams"]}
    assert list(teams["ai-research"]) == ["team", "hourly", "instances"]
    running = {i["resource_id"] for t in data["teams"] for i in t["instances"]}
    assert world.ids["stopped"] not in running and world.ids["cpu"] not in running
    # ai-research: p4d 32.7726 + 2 x g5.12xlarge 5.672 + 2 x g5.xlarge 1.006 + notebook 3.825
    assert Decimal(teams["ai-research"]["hourly"]) == Decimal("32.7726") + 2 * Decimal(
        "5.672"
    ) + 2 * Decimal("1.006") + Decimal("3.825")
    # search: prod + spot g5.xlarge, g4dn.xlarge, endpoint 2 x ml.g4dn.xlarge
    assert Decimal(teams["search"]["hourly"]) == 2 * Decimal("1.006") + Decimal(
        "0.526"
    ) + 2 * Decimal("0.7364")
    assert Decimal(data["hourly"]) == sum(Decimal(t["hourly"]) for t in data["teams"])


def test_accounts_are_swept_through_their_role(tmp_path: Path, world: World) -> None:
    other = "111111111111"
    role = f"arn:aws:iam::{other}:role/costbot"
    creds = world.client("sts").assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
    ec2 = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=world.url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g5.xlarge")
    gpus = replace(GPU_SETTINGS, account_roles={other: role})
    services = make_services(tmp_path, world, gpus=gpus)
    try:
        fleet = services.gpu_fleet().inventory()
        assert {i.account for i in fleet.instances} == {other}
        assert [i.instance_type for i in fleet.instances] == ["g5.xlarge"]
    finally:
        services.close()


def test_open_findings_become_savings_hints(services: Services, world: World) -> None:
    from bot.economics import HINT_SOURCES
    from bot.gpu_hints import idle_gpu_hints

    gpu_ops.sweep(services)
    assert idle_gpu_hints in HINT_SOURCES
    hints = {
        h.resources[0]: h for h in idle_gpu_hints(services, [], world.now.date(), world.now.date())
    }
    idle = hints[world.ids["idle"]]
    assert idle.kind == "idle" and idle.monthly_saving == 32_772_600_000 * 730
    assert idle.details["finding_id"] == f"idle:123456789012:us-east-1:{world.ids['idle']}"
    assert world.ids["prod"] not in hints and world.ids["protected"] not in hints


def test_findings_can_be_looked_up_for_tickets(services: Services, world: World) -> None:
    gpu_ops.sweep(services)
    finding_id = f"idle:123456789012:us-east-1:{world.ids['held']}"
    context = services.findings().lookup(finding_id)
    assert (context.kind, context.resource_id, context.team) == (
        "idle-held",
        world.ids["held"],
        "ai-research",
    )
    assert context.impact == 5_672_000_000 * 24 and "Ask the owner" in context.recommended_action
