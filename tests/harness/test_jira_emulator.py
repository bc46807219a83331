"""The Jira emulator refuses what Jira would refuse, checked with the real ``jira`` library."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from jira import JIRA, JIRAError

from .jira_emulator import CLOUD_EMAIL, CLOUD_TOKEN, DC_PAT, SPEC_PATH, JiraEmulator

FIELDS = {"project": {"key": "FIN"}, "issuetype": {"name": "Task"}, "summary": "Idle GPU"}


def cloud(emulator: JiraEmulator, version: str = "2", token: str = CLOUD_TOKEN) -> JIRA:
    return JIRA(
        emulator.url,
        basic_auth=(CLOUD_EMAIL, token),
        options={"rest_api_version": version},
        max_retries=0,
    )


def test_the_vendored_spec_is_trimmed_and_says_where_it_comes_from() -> None:
    assert SPEC_PATH.stat().st_size < 100_000
    readme = (SPEC_PATH.parent / "README.md").read_text()
    assert "Apache-2.0" in readme and "jira_platform_openapi_v3.json" in readme


def test_create_and_search_as_the_library_does_them(jira_emulator: JiraEmulator) -> None:
    client = cloud(jira_emulator)
    issue = client.create_issue(
        fields={**FIELDS, "labels": ["x"], "description": "*hi*"}, prefetch=False
    )
    assert issue.key == "FIN-1"
    found = client.search_issues('labels = "x" AND statusCategory != Done', maxResults=1)
    assert [i.key for i in found] == ["FIN-1"]
    jira_emulator.set_status("FIN-1", "done")
    assert list(client.search_issues('labels = "x" AND statusCategory != Done')) == []
    assert client.issue("FIN-1", fields="status").raw["fields"]["status"]["name"] == "Done"
    jira_emulator.assert_no_invalid_requests()


def test_descriptions_must_match_the_api_version(jira_emulator: JiraEmulator) -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
    }
    with pytest.raises(JIRAError) as v2:
        cloud(jira_emulator, "2").create_issue(
            fields={**FIELDS, "description": doc}, prefetch=False
        )
    assert v2.value.status_code == 400 and "must be a string" in v2.value.response.text
    with pytest.raises(JIRAError) as v3:
        cloud(jira_emulator, "3").create_issue(
            fields={**FIELDS, "description": "hi"}, prefetch=False
        )
    assert "Atlassian Document" in v3.value.response.text
    bad_node = {"type": "doc", "version": 1, "content": [{"type": "text", "text": "loose"}]}
    with pytest.raises(JIRAError):
        cloud(jira_emulator, "3").create_issue(
            fields={**FIELDS, "description": bad_node}, prefetch=False
        )
    cloud(jira_emulator, "3").create_issue(fields={**FIELDS, "description": doc}, prefetch=False)
    assert len(jira_emulator.issues) == 1
    assert len(jira_emulator.invalid) == 3


def test_required_fields_and_unknown_projects_get_field_errors(jira_emulator: JiraEmulator) -> None:
    client = cloud(jira_emulator)
    with pytest.raises(JIRAError) as missing:
        client.create_issue(
            fields={"project": {"key": "FIN"}, "issuetype": {"name": "Task"}}, prefetch=False
        )
    assert missing.value.response.json()["errors"] == {
        "summary": "You must specify a summary of the issue."
    }
    with pytest.raises(JIRAError) as project:
        client.create_issue(fields={**FIELDS, "project": {"key": "NOPE"}}, prefetch=False)
    assert "project" in project.value.response.json()["errors"]
    jira_emulator.require_field("customfield_10010", "Cost centre")
    with pytest.raises(JIRAError) as custom:
        client.create_issue(fields=FIELDS, prefetch=False)
    assert custom.value.response.json()["errors"] == {
        "customfield_10010": "Cost centre is required."
    }


def test_requests_outside_the_spec_are_refused_and_listed(jira_emulator: JiraEmulator) -> None:
    auth = (CLOUD_EMAIL, CLOUD_TOKEN)
    resp = requests.get(
        f"{jira_emulator.url}/rest/api/2/search/jql?jql=x&bogus=1", auth=auth, timeout=5
    )
    assert resp.status_code == 400 and "bogus" in resp.text
    resp = requests.post(
        f"{jira_emulator.url}/rest/api/2/issue",
        json={"fields": [], "nope": 1},
        auth=auth,
        timeout=5,
    )
    assert resp.status_code == 400
    with pytest.raises(AssertionError, match="invalid Jira requests"):
        jira_emulator.assert_no_invalid_requests()


def test_failures_on_demand_and_credentials(jira_emulator: JiraEmulator) -> None:
    client = cloud(jira_emulator)
    jira_emulator.fail_next("POST /issue", 500)
    with pytest.raises(JIRAError) as outage:
        client.create_issue(fields=FIELDS, prefetch=False)
    assert outage.value.status_code == 500
    with pytest.raises(JIRAError) as denied:
        cloud(jira_emulator, token="wrong")
    assert denied.value.status_code == 401
    assert client.create_issue(fields=FIELDS, prefetch=False).key == "FIN-1"


def test_data_center_takes_a_pat_and_cloud_has_no_search(
    jira_dc_emulator: JiraEmulator, jira_emulator: JiraEmulator
) -> None:
    dc = JIRA(jira_dc_emulator.url, token_auth=DC_PAT, max_retries=0)
    assert dc.server_info()["deploymentType"] == "Server"
    dc.create_issue(fields={**FIELDS, "labels": ["y"]}, prefetch=False)
    assert [i.key for i in dc.search_issues('labels = "y"')] == ["FIN-1"]
    resp = requests.get(
        f"{jira_emulator.url}/rest/api/3/search?jql=x", auth=(CLOUD_EMAIL, CLOUD_TOKEN), timeout=5
    )
    assert resp.status_code == 410
    jira_dc_emulator.assert_no_invalid_requests()


def test_spec_path_is_inside_the_repository() -> None:
    assert Path(__file__).resolve().parents[1] in SPEC_PATH.parents
