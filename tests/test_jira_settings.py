"""JIRA_* settings: optional, and every missing or malformed one named."""

from __future__ import annotations

import pytest

from bot.errors import SettingsError
from bot.jira_settings import TeamDefaults
from bot.settings import Settings

CLOUD = {
    "JIRA_URL": "https://acme.atlassian.net/",
    "JIRA_EMAIL": "finops@acme.com",
    "JIRA_API_TOKEN": "tok-123",
    "JIRA_PROJECT": "FIN",
}


def test_without_jira_url_jira_is_off() -> None:
    assert Settings.from_env({}).jira is None
    assert Settings.from_env({"JIRA_PROJECT": "FIN"}).jira is None


def test_cloud_defaults() -> None:
    jira = Settings.from_env(CLOUD).jira
    assert jira is not None
    assert jira.url == "https://acme.atlassian.net" and jira.is_cloud
    assert jira.issue_type == "Task" and jira.labels == ("finops", "costbot")
    assert jira.api_version == "2" and jira.poll_minutes == 15
    assert "tok-123" not in repr(jira), "secrets stay out of repr"


def test_data_center_and_every_option() -> None:
    env = {
        "JIRA_URL": "https://jira.acme.internal",
        "JIRA_PAT": "pat-9",
        "JIRA_PROJECT": "OPS",
        "JIRA_ISSUE_TYPE": "Bug",
        "JIRA_LABELS": "finops, gpu",
        "JIRA_TEAM_PROJECTS": "ai-research=AIR,ml-platform=MLP",
        "JIRA_TEAM_ASSIGNEES": "ai-research=ann@acme.com",
        "JIRA_TEAM_LABELS": "ai-research=gpu training",
        "JIRA_POLL_MINUTES": "0",
    }
    jira = Settings.from_env(env).jira
    assert jira is not None and not jira.is_cloud and jira.secrets() == ("pat-9",)
    assert jira.labels == ("finops", "gpu") and jira.api_version == "2"
    assert jira.for_team("AI-Research") == TeamDefaults("AIR", "ann@acme.com", ("gpu", "training"))
    assert jira.for_team("ml-platform").project == "MLP"
    assert jira.for_team(None) == TeamDefaults()
    assert jira.poll_minutes == 0


def test_adf_descriptions_need_jira_cloud() -> None:
    env = {"JIRA_URL": "https://jira.acme.internal", "JIRA_PAT": "p", "JIRA_PROJECT": "OPS"}
    with pytest.raises(SettingsError, match=r"JIRA_API_VERSION=3 .* Jira Cloud only"):
        Settings.from_env({**env, "JIRA_API_VERSION": "3"})
    cloud = Settings.from_env({**CLOUD, "JIRA_API_VERSION": "3"}).jira
    assert cloud is not None and cloud.api_version == "3"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"JIRA_URL": "acme.atlassian.net"}, "JIRA_URL"),
        ({"JIRA_EMAIL": ""}, "JIRA_EMAIL"),
        ({"JIRA_API_TOKEN": ""}, "JIRA_API_TOKEN"),
        ({"JIRA_EMAIL": "", "JIRA_API_TOKEN": ""}, "JIRA_EMAIL and JIRA_API_TOKEN"),
        ({"JIRA_EMAIL": "not-an-email"}, "JIRA_EMAIL"),
        ({"JIRA_PAT": "pat"}, "JIRA_PAT"),
        ({"JIRA_PROJECT": ""}, "JIRA_PROJECT"),
        ({"JIRA_PROJECT": "fin ops"}, "JIRA_PROJECT"),
        ({"JIRA_API_VERSION": "4"}, "JIRA_API_VERSION"),
        ({"JIRA_LABELS": "fin ops"}, "JIRA_LABELS"),
        ({"JIRA_POLL_MINUTES": "soon"}, "JIRA_POLL_MINUTES"),
        ({"JIRA_TEAM_PROJECTS": "ai-research"}, "JIRA_TEAM_PROJECTS"),
        ({"JIRA_TEAM_PROJECTS": "ai-research=air"}, "JIRA_TEAM_PROJECTS"),
        ({"JIRA_TEAM_ASSIGNEES": "ai-research=ann"}, "JIRA_TEAM_ASSIGNEES"),
    ],
)
def test_missing_or_malformed_settings_are_named(change: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env({**CLOUD, **change})
