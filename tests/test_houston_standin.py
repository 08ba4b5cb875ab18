"""The Houston stand-in over HTTP, through the provider's client: the behaviour the docs describe."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from components.houston_client import (
    Connection,
    EnvironmentVariable,
    HoustonAuthError,
    HoustonClient,
    HoustonError,
    HoustonUnreachableError,
)
from components.houston_documents import LINES, Line
from standins.houston.server import PERMISSION_MESSAGE, VERSIONS, HoustonStandin

KEY = "standin-KEY-0123456789abcdef0123"


@pytest.fixture(params=LINES)
def houston(request: pytest.FixtureRequest) -> Iterator[tuple[HoustonStandin, HoustonClient]]:
    standin = HoustonStandin(request.param, KEY, pool=["airflow-a", "airflow-b"], teams=["team-a"])
    with standin.running() as url:
        yield standin, HoustonClient(Connection(url, KEY, request_timeout_seconds=5, attempts=1))


def _create(client: HoustonClient, workspace: str, release: str, namespace: str, label: str | None = None) -> str:
    variables = {"workspaceId": workspace, "label": label or release, "releaseName": release,
                 "namespace": namespace, "executor": "CeleryExecutor", "runtimeVersion": "11.10.0",
                 "clusterId": client.cluster_id()}
    return client.create_deployment(variables)


def test_line_is_detected_from_the_version(houston: tuple[HoustonStandin, HoustonClient]) -> None:
    standin, client = houston
    assert client.line == standin.state.line
    assert VERSIONS[client.line].startswith({"0.37": "0.37.", "1.x": "1.", "2.x": "2."}[client.line])


def test_auth_header_raw_or_bearer_and_refusal() -> None:
    standin = HoustonStandin("2.x", KEY, pool=[])
    with standin.running() as url:
        body = json.dumps({"query": "query AppConfig { appConfig { version } }"}).encode()
        for header in (KEY, f"Bearer {KEY}"):
            request = urllib.request.Request(url, data=body, headers={"authorization": header})
            with urllib.request.urlopen(request) as response:
                assert json.loads(response.read())["data"]["appConfig"]["version"] == "2.1.0"
        with pytest.raises(HoustonAuthError) as refused:
            assert HoustonClient(Connection(url, "wrong-key", attempts=1)).line
    assert "houstonApiKey" in str(refused.value) and PERMISSION_MESSAGE in str(refused.value)


def test_unreachable_names_the_url() -> None:
    standin = HoustonStandin("2.x", KEY, pool=[])
    with standin.running() as url:
        pass  # stopped: nothing listens there any more
    with pytest.raises(HoustonUnreachableError, match=f"cannot reach Houston at {url}"):
        assert HoustonClient(Connection(url, KEY, request_timeout_seconds=2, attempts=2)).line


def test_unknown_fields_and_bad_arguments_are_refused(houston: tuple[HoustonStandin, HoustonClient]) -> None:
    standin, client = houston
    with pytest.raises(HoustonError, match="Cannot query field 'bogus'"):
        client._post("query { workspaces { id bogus } }", {})
    with pytest.raises(HoustonError, match="Unknown argument 'label'"):
        client._post("query { workspaces(label: \"x\") { id } }", {})
    with pytest.raises(HoustonError, match="Int"):
        client._post("query q($take: Int) { paginatedTeams(take: $take) { count } }", {"take": "many"})
    assert not any("bogus" in query for query, _ in standin.state.requests)


def test_label_unique_per_workspace_and_pool_namespaces(houston: tuple[HoustonStandin, HoustonClient]) -> None:
    standin, client = houston
    first, second = client.create_workspace("one", ""), client.create_workspace("two", "")
    _create(client, first.id, "rel-a", "airflow-a", label="airflow")
    with pytest.raises(HoustonError, match="Workspace already has a deployment named airflow"):
        _create(client, first.id, "rel-b", "airflow-b", label="airflow")
    _create(client, second.id, "rel-b", "airflow-b", label="airflow")  # another workspace may
    assert client.available_namespaces(client.cluster_id()) == []
    with pytest.raises(HoustonError, match="Namespace airflow-a is not available"):
        _create(client, second.id, "rel-c", "airflow-a", label="other")


def test_hard_delete_frees_the_namespace_a_soft_one_does_not(houston: tuple[HoustonStandin, HoustonClient]) -> None:
    standin, client = houston
    workspace = client.create_workspace("one", "")
    soft = _create(client, workspace.id, "rel-a", "airflow-a")
    client.call("delete_deployment", {"deploymentId": soft, "deploymentHardDelete": False})
    assert client.deployments(workspace.id) == []
    assert "airflow-a" not in client.available_namespaces(client.cluster_id())
    hard = _create(client, workspace.id, "rel-b", "airflow-b")
    client.delete_deployment(hard)
    assert "airflow-b" in client.available_namespaces(client.cluster_id())
    with pytest.raises(HoustonError, match="not found"):
        client.deployment_status(hard)


def test_writes_are_asynchronous(houston: tuple[HoustonStandin, HoustonClient]) -> None:
    standin, client = houston
    workspace = client.create_workspace("one", "")
    deployment = _create(client, workspace.id, "rel-a", "airflow-a")
    statuses = [client.deployment_status(deployment) for _ in range(standin.state.settle_reads + 1)]
    assert statuses[0] == "DEPLOYING" and statuses[-1] == "HEALTHY"


def test_variables_replace_the_list_and_hide_secrets(houston: tuple[HoustonStandin, HoustonClient]) -> None:
    standin, client = houston
    workspace = client.create_workspace("one", "")
    deployment = _create(client, workspace.id, "rel-a", "airflow-a")
    client.set_variables(deployment, "rel-a", [EnvironmentVariable("A", "1", False),
                                               EnvironmentVariable("TOKEN", "s3cret", True)])
    client.set_variables(deployment, "rel-a", [EnvironmentVariable("B", "2", False),
                                               EnvironmentVariable("TOKEN", "", True)])
    assert client.variables(deployment, "rel-a") == [EnvironmentVariable("B", "2", False),
                                                      EnvironmentVariable("TOKEN", "", True)]
    stored = standin.state.deployments[deployment].env
    assert {"key": "TOKEN", "value": "s3cret", "isSecret": True} in stored  # kept: sent empty
    for key, message in (("lower", "Invalid Environment Variable Key"),
                         ("AIRFLOW__CORE__FERNET_KEY", "set automatically")):
        with pytest.raises(HoustonError, match=message):
            client.set_variables(deployment, "rel-a", [EnvironmentVariable(key, "x", False)])


def test_teams_come_from_the_idp(houston: tuple[HoustonStandin, HoustonClient]) -> None:
    standin, client = houston
    workspace = client.create_workspace("one", "")
    teams = client.team_ids()
    assert list(teams) == ["team-a"]
    client.add_team(workspace.id, teams["team-a"], "WORKSPACE_EDITOR")
    assert client.workspace_team_roles(workspace.id) == {teams["team-a"]: "WORKSPACE_EDITOR"}
    with pytest.raises(HoustonError, match="Team .* not found"):
        client.add_team(workspace.id, "cnosuchteam000000000000000", "WORKSPACE_VIEWER")


@pytest.mark.parametrize("line", [line for line in LINES if line != "0.37"])
def test_create_needs_the_cluster_from_1x_on(line: Line) -> None:
    standin = HoustonStandin(line, KEY, pool=["airflow-a"])
    with standin.running() as url:
        client = HoustonClient(Connection(url, KEY, attempts=1))
        workspace = client.create_workspace("one", "")
        with pytest.raises(HoustonError, match="clusterId"):
            client.create_deployment({"workspaceId": workspace.id, "label": "a", "releaseName": "a",
                                      "namespace": "airflow-a", "executor": "CeleryExecutor",
                                      "runtimeVersion": "11.10.0"})


def test_upsert_on_037_needs_the_platform_flag() -> None:
    standin = HoustonStandin("0.37", KEY, pool=["airflow-a"])
    standin.state.upsert_enabled = False
    with standin.running() as url:
        client = HoustonClient(Connection(url, KEY, attempts=1))
        with pytest.raises(HoustonError, match="upsertDeploymentEnabled"):
            client.update_deployment({"deploymentId": "cabc"})
