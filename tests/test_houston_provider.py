"""The dynamic providers' methods, called directly, over HTTP against the Houston stand-in."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.houston_client import Connection, HoustonClient, HoustonError, HoustonUnreachableError
from components.houston_documents import LINES
from components.houston_provider import DeploymentProvider, WorkspaceProvider
from components.houston_specs import ComponentSize, DeploymentSizing
from standins.houston.server import HoustonStandin

KEY = "provider-KEY-0123456789abcdef012"
PASSWORD = "conn-PASSWORD-4d1e"
SIZING = DeploymentSizing(1, ComponentSize(1000, 2048), ComponentSize(500, 2048), 1, ComponentSize(500, 1024),
                          4, ComponentSize(1000, 2048))


@pytest.fixture(params=LINES)
def standin(request: pytest.FixtureRequest) -> Iterator[tuple[HoustonStandin, str]]:
    houston = HoustonStandin(request.param, KEY, pool=["airflow-a", "airflow-b"], teams=["a-admins", "a-viewers"],
                             settle_reads=2)
    with houston.running() as url:
        yield houston, url


def _workspace_props(url: str, key: str = KEY, **changes: Any) -> dict[str, Any]:
    return {"houston_url": url, "api_key": key, "label": "team-a", "description": "Team A",
            "teams": {"a-admins": "WORKSPACE_ADMIN"}, **changes}


def _deployment_props(url: str, workspace_id: str, **changes: Any) -> dict[str, Any]:
    connection = json.dumps({"conn_type": "mssql", "host": "db.test", "password": PASSWORD})
    return {
        "houston_url": url, "api_key": KEY, "deploy_timeout_seconds": 30, "delete_timeout_seconds": 30,
        "poll_interval_seconds": 0, "workspace_id": workspace_id, "label": "team-a", "description": "Team A",
        "release_name": "team-a", "namespace": "airflow-a", "executor": "CeleryExecutor",
        "runtime_version": "11.10.0", "image": "registry.test/deployments/team-a:1", "sizing": SIZING.as_props(),
        "environment": [{"key": "AIRFLOW_VAR_ENVIRONMENT", "value": "test"}],
        "secret_environment": {"AIRFLOW_CONN_DB": connection}, **changes,
    }


def _client(url: str) -> HoustonClient:
    return HoustonClient(Connection(url, KEY, attempts=1))


def test_lifecycle_create_read_update_replace_delete(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    workspaces, deployments = WorkspaceProvider(), DeploymentProvider()
    workspace = workspaces.create(_workspace_props(url))
    assert workspace.outs is not None and set(workspace.outs["team_ids"]) == {"a-admins"}
    props = _deployment_props(url, workspace.id)
    created = deployments.create(props)
    outs = created.outs or {}
    assert outs["status"] == "HEALTHY"
    assert "secret_environment" not in outs and PASSWORD not in json.dumps(outs)
    stored = houston.state.deployments[created.id]
    assert stored.image == props["image"] and stored.namespace == "airflow-a"
    assert stored.sizing["workers"] == {"replicas": 4, "resources": {"requests": {"cpu": 1000, "memory": 2048},
                                                                     "limits": {"cpu": 1000, "memory": 2048}}}
    assert {v["key"]: v["isSecret"] for v in stored.env} == {"AIRFLOW_VAR_ENVIRONMENT": False, "AIRFLOW_CONN_DB": True}

    # Read back: what Houston holds is what was declared; the diff against the same inputs is empty.
    read = deployments.read(created.id, outs)
    assert read.id == created.id and read.outs is not None
    assert read.outs["environment"] == props["environment"]
    assert not deployments.diff(created.id, read.outs, props).changes

    # In place: executor, sizing, a plain and a secret variable.
    bigger = copy.deepcopy(props)
    bigger["executor"] = "KubernetesExecutor"
    bigger["sizing"]["workers"] = 6
    bigger["environment"] = [{"key": "AIRFLOW_VAR_ENVIRONMENT", "value": "test2"}]
    bigger["secret_environment"] = {"AIRFLOW_CONN_DB": props["secret_environment"]["AIRFLOW_CONN_DB"] + " "}
    diff = deployments.diff(created.id, read.outs, bigger)
    assert diff.changes and not diff.replaces
    updated = deployments.update(created.id, read.outs, bigger).outs or {}
    assert updated["secret_environment_hashes"] != outs["secret_environment_hashes"]
    assert stored.executor == "KubernetesExecutor" and stored.sizing["workers"]["replicas"] == 6
    assert stored.env[0] == {"key": "AIRFLOW_VAR_ENVIRONMENT", "value": "test2", "isSecret": False}
    assert stored.env[1]["value"].endswith(" ")
    assert not deployments.diff(created.id, updated, bigger).changes

    # Immutable: the namespace, the release name and the workspace replace (delete first: both are unique).
    moved = deployments.diff(created.id, updated, {**bigger, "namespace": "airflow-b"})
    assert moved.replaces == ["namespace"] and moved.delete_before_replace
    # The engine replaces as the diff says: delete, then create in the new namespace.
    deployments.delete(created.id, updated)
    assert created.id not in houston.state.deployments
    assert "airflow-a" in _client(url).available_namespaces(_client(url).cluster_id())
    replaced = deployments.create({**bigger, "namespace": "airflow-b"})
    assert houston.state.deployments[replaced.id].namespace == "airflow-b"

    deployments.delete(replaced.id, replaced.outs or {})
    assert houston.state.deployments == {}
    workspaces.delete(workspace.id, workspace.outs)
    assert houston.state.workspaces == {}


def test_workspace_teams_follow_the_groups(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    workspaces = WorkspaceProvider()
    created = workspaces.create(_workspace_props(url))
    news = _workspace_props(url, teams={"a-viewers": "WORKSPACE_VIEWER"}, description="changed")
    assert workspaces.diff(created.id, created.outs or {}, news).changes
    workspaces.update(created.id, created.outs or {}, news)
    team_ids = {name: team for team, name in houston.state.teams.items()}
    assert houston.state.bindings == {(created.id, team_ids["a-viewers"]): "WORKSPACE_VIEWER"}
    assert houston.state.workspaces[created.id]["description"] == "changed"


def test_workspace_is_adopted_by_label(standin: tuple[HoustonStandin, str]) -> None:
    _, url = standin
    existing = _client(url).create_workspace("team-a", "made by hand")
    assert WorkspaceProvider().create(_workspace_props(url)).id == existing.id


def test_adopts_a_deployment_with_the_declared_release_and_namespace(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    workspace = WorkspaceProvider().create(_workspace_props(url))
    client = _client(url)
    made = client.create_deployment({"workspaceId": workspace.id, "label": "team-a", "releaseName": "team-a",
                                     "namespace": "airflow-a", "executor": "LocalExecutor",
                                     "runtimeVersion": "11.10.0", "clusterId": client.cluster_id()})
    adopted = DeploymentProvider().create(_deployment_props(url, workspace.id))
    assert adopted.id == made and houston.state.deployments[made].executor == "CeleryExecutor"


def test_refuses_to_adopt_a_deployment_elsewhere(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    workspace = WorkspaceProvider().create(_workspace_props(url))
    client = _client(url)
    client.create_deployment({"workspaceId": workspace.id, "label": "team-a", "releaseName": "other",
                              "namespace": "airflow-b", "executor": "CeleryExecutor", "runtimeVersion": "11.10.0",
                              "clusterId": client.cluster_id()})
    with pytest.raises(HoustonError, match="release other, namespace airflow-b.*not the declared one"):
        DeploymentProvider().create(_deployment_props(url, workspace.id))
    assert len(houston.state.deployments) == 1


def test_refresh_notices_an_out_of_band_delete(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    workspace = WorkspaceProvider().create(_workspace_props(url))
    created = DeploymentProvider().create(_deployment_props(url, workspace.id))
    _client(url).delete_deployment(created.id)
    assert DeploymentProvider().read(created.id, created.outs or {}).id == ""


def test_a_refused_key_names_the_secret() -> None:
    houston = HoustonStandin("2.x", KEY, pool=["airflow-a"])
    with houston.running() as url, pytest.raises(HoustonError, match="refused the API key in the secret houstonApiKey"):
        WorkspaceProvider().create(_workspace_props(url, key="not-the-key"))


def test_unreachable_names_the_url() -> None:
    with HoustonStandin("2.x", KEY, pool=[]).running() as url:
        pass
    with pytest.raises(HoustonUnreachableError, match=f"cannot reach Houston at {url}"):
        WorkspaceProvider().create(_workspace_props(url))


def test_timeout_names_the_deployment_and_its_last_status(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    houston.state.stuck.add("team-a")
    workspace = WorkspaceProvider().create(_workspace_props(url))
    props = _deployment_props(url, workspace.id, deploy_timeout_seconds=1, poll_interval_seconds=0.2)
    with pytest.raises(HoustonError, match="deployment 'team-a' .* not HEALTHY after 1 s; its last status was DEPLOYING"):
        DeploymentProvider().create(props)
    # The next run adopts what the timed-out one created.
    houston.state.stuck.clear()
    assert DeploymentProvider().create(_deployment_props(url, workspace.id)).id in houston.state.deployments


def test_unknown_team_is_named_before_anything_is_created(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    with pytest.raises(HoustonError, match="Houston knows no team named 'nobody' .*WORKSPACE_EDITOR"):
        WorkspaceProvider().create(_workspace_props(url, teams={"nobody": "WORKSPACE_EDITOR"}))
    assert houston.state.workspaces == {}


def test_environment_keys_are_checked_before_any_call(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    props = _deployment_props(url, "cws", environment=[{"key": "AIRFLOW__CORE__FERNET_KEY", "value": "x"},
                                                       {"key": "lower_case", "value": "y"}])
    failures = DeploymentProvider().check({}, props).failures
    assert [f.property for f in failures] == ["environment", "environment"]
    assert "set by Houston itself" in failures[0].reason and "'lower_case'" in failures[1].reason
    requests = len(houston.state.requests)
    with pytest.raises(HoustonError, match="AIRFLOW__CORE__FERNET_KEY"):
        DeploymentProvider().create(props)
    assert len(houston.state.requests) == requests


def test_a_secret_value_is_diffed_by_its_hash(standin: tuple[HoustonStandin, str]) -> None:
    _, url = standin
    workspace = WorkspaceProvider().create(_workspace_props(url))
    props = _deployment_props(url, workspace.id)
    outs = DeploymentProvider().create(props).outs or {}
    assert not DeploymentProvider().diff("x", outs, props).changes
    rotated = {**props, "secret_environment": {"AIRFLOW_CONN_DB": "rotated"}}
    assert DeploymentProvider().diff("x", outs, rotated).changes


def test_a_deployment_whose_workspace_is_gone_reads_as_deleted(standin: tuple[HoustonStandin, str]) -> None:
    houston, url = standin
    workspace = WorkspaceProvider().create(_workspace_props(url))
    created = DeploymentProvider().create(_deployment_props(url, workspace.id))
    _client(url).delete_deployment(created.id)
    _client(url).delete_workspace(workspace.id)
    assert DeploymentProvider().read(created.id, created.outs or {}).id == ""
    DeploymentProvider().delete(created.id, created.outs or {})  # already gone: nothing to do
    assert houston.state.deployments == {}
