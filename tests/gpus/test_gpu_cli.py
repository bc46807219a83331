"""`costbot idle`, `costbot now` and `costbot audit`: the exact JSON shapes, against moto.

Settings come through the environment, as a user sets them; the CLI's services get the
world's clock (moto stamps launch times with the wall clock, see gpu_world).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from gpu_world import seed, wall_now_plus

from bot.cli import main
from bot.costs.store import CostStore
from bot.services import build_services
from bot.state import audit


def env_for(moto_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_REGION": "us-east-1",
        "COSTBOT_DB": str(tmp_path / "costbot.db"),
        "COSTBOT_REGIONS": "us-east-1",
        "COSTBOT_IDLE_LOOKBACK_HOURS": "3",
        "COSTBOT_METRICS_PERIOD_SECONDS": "1800",
    }


def test_idle_and_now_json_shapes(
    moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=5)
    world = seed(moto_url, wall_now_plus())
    monkeypatch.setattr(
        "bot.commands.gpus.build_services", partial(build_services, clock=lambda: world.now)
    )
    env = env_for(moto_url, tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["idle", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["findings"]
    by_id = {f["resource_id"]: f for f in data["findings"]}
    idle = by_id[world.ids["idle"]]
    assert set(idle) == {
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
    }
    assert (idle["kind"], idle["hourly_cost"], idle["gpus"]) == ("idle", "32.7726", 8)
    assert by_id[world.ids["held"]]["kind"] == "idle-held"
    assert by_id[world.ids["prod"]]["protected"] is True
    assert world.ids["busy"] not in by_id and world.ids["half"] not in by_id
    text = runner.invoke(main, ["idle"], env=env).output
    assert world.ids["idle"] in text and "$32.77/h" in text

    search = json.loads(runner.invoke(main, ["now", "--json", "--team", "search"], env=env).output)
    assert list(search) == ["as_of", "hourly", "teams"]
    assert [list(t) for t in search["teams"]] == [["team", "hourly", "instances"]]
    assert [t["team"] for t in search["teams"]] == ["search"]


def test_audit_json_shape_and_since(tmp_path: Path) -> None:
    store = CostStore(tmp_path / "costbot.db")
    audit.record(
        store,
        at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        user="U1",
        action="snooze",
        resource_id="i-1",
        result="ok",
        detail="until 2026-01-06T09:00+00:00",
    )
    audit.record(
        store,
        at=datetime(2026, 1, 7, 14, 2, tzinfo=UTC),
        user="U2",
        action="stop",
        resource_id="i-2",
        result="refused",
        detail="not listed",
    )
    store.close()
    env = {"COSTBOT_DB": str(tmp_path / "costbot.db")}
    out = CliRunner().invoke(main, ["audit", "--json", "--since", "2026-01-06"], env=env).output
    assert json.loads(out) == {
        "entries": [
            {
                "at": "2026-01-07T14:02:00+00:00",
                "user": "U2",
                "action": "stop",
                "resource_id": "i-2",
                "result": "refused",
                "detail": "not listed",
            }
        ]
    }
    bad = CliRunner().invoke(main, ["audit", "--since", "last tuesday"], env=env)
    assert bad.exit_code == 2 and "--since" in bad.output
