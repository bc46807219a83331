"""manifest.yml: the Slack app costbot's code expects, with the least scopes, each justified."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.blocks import ids

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"

# Every bot scope costbot may ask for, and why; anything else needs a reason added here first.
ALLOWED_BOT_SCOPES = {
    "commands": "the /cost slash command",
    "chat:write": "posting shared answers, digests and alerts",
    "chat:write.public": "posting in public channels without an invitation (opt-in)",
    "files:write": "digest chart images",
    "usergroups:read": "user groups in COSTBOT_STOP_USERS (who may stop idle GPUs)",
}


@pytest.fixture(scope="module")
def raw() -> str:
    return MANIFEST.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def manifest(raw: str) -> dict[str, Any]:
    data = yaml.safe_load(raw)
    assert isinstance(data, dict)
    return data


def test_targets_manifest_schema_2_1(manifest: dict[str, Any]) -> None:
    assert manifest["_metadata"] == {"major_version": 2, "minor_version": 1}


def test_display_information_fits_slacks_limits(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert info["name"] == "costbot"
    assert 0 < len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", info["background_color"])


def test_declares_cost_with_a_usage_hint(manifest: dict[str, Any]) -> None:
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    cost = commands["/cost"]
    assert cost["description"]
    assert "team ai-research last 30d" in cost["usage_hint"]
    assert "help" in cost["usage_hint"]
    assert len(cost["usage_hint"]) <= 1000
    assert cost["should_escape"] is False
    assert cost["url"].startswith("https://")


def test_bot_user_is_costbot_and_always_online(manifest: dict[str, Any]) -> None:
    bot_user = manifest["features"]["bot_user"]
    assert bot_user == {"display_name": "costbot", "always_online": True}


def test_home_tab_is_enabled_and_messages_are_read_only(manifest: dict[str, Any]) -> None:
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    assert home["messages_tab_enabled"] is False or home["messages_tab_read_only_enabled"] is True


def test_interactivity_and_app_home_opened(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].startswith("https://")
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    assert isinstance(settings["socket_mode_enabled"], bool)


def test_every_bot_scope_is_allowed_and_justified_in_a_comment(
    manifest: dict[str, Any], raw: str
) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert scopes, "costbot needs at least the commands scope"
    assert len(scopes) == len(set(scopes))
    for scope in scopes:
        assert scope in ALLOWED_BOT_SCOPES, f"{scope} is not in the allow-list"
        line = re.search(rf"^\s*-\s*{re.escape(scope)}\s*#\s*(\S.{{10,}})$", raw, re.MULTILINE)
        assert line, f"{scope} has no comment saying why it is needed"


def test_least_scopes_commands_and_chat_write_are_there(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write"} <= scopes
    assert "users:read" not in scopes
    assert "oauth_config" in manifest and "user" not in manifest["oauth_config"]["scopes"]


def test_no_unknown_top_level_sections(manifest: dict[str, Any]) -> None:
    allowed = {"_metadata", "display_information", "features", "oauth_config", "settings"}
    assert set(manifest) <= allowed


def test_buttons_need_interactivity_which_the_manifest_enables(manifest: dict[str, Any]) -> None:
    # The answer buttons (bot.blocks.ids) only reach costbot with interactivity on.
    assert ids.ALL and manifest["settings"]["interactivity"]["is_enabled"] is True
