"""DAGs as code: each tenant's deploy mechanism from the config to the platform values and Houston's
dagDeployment, per line, with the repository credential write-only and never in plain text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.houston_client import Connection, HoustonClient, HoustonError
from components.houston_documents import LINES
from components.houston_provider import DeploymentProvider, WorkspaceProvider
from components.houston_specs import DagDeploymentSpec, GitSyncSpec
from components.platform_values import dag_mechanism_values
from config.errors import ConfigError
from config.secrets import DAG_CREDENTIALS
from stackfile.read import runtime_values
from standins import mock_engine as engine
from standins.houston.server import HoustonStandin
from tests.data.record_chart import expected_values, houston_config, recorded
from tests.helpers import TEST_SECRETS, run_document, stack_document
from tests.test_config_validation import problems
from tests.test_houston_provider import KEY, _deployment_props, _workspace_props

KNOWN_HOSTS = "github.company.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nDEPLOY-KEY-5c1e\n-----END OPENSSH PRIVATE KEY-----\n"
TOKEN = "glpat-TOKEN-9f2b"
SSH = {"repositoryUrl": "git@github.company.com:finance/dags.git", "auth": "ssh", "knownHosts": KNOWN_HOSTS}
HTTPS = {"repositoryUrl": "https://gitlab.company.com/finance/dags.git", "auth": "httpsToken"}


def with_dags(version: str, dags: dict[str, Any], tenant: int = 0) -> dict[str, Any]:
    document = stack_document("dev")
    document["platform"]["chartVersion"] = version
    document["tenants"][tenant]["dags"] = dags
    return document


# --- config ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("dags", "expected"), [
    ({"deploy": "gitSync"}, "tenants[0].dags.gitSync: is required with deploy: gitSync"),
    ({"deploy": "dagOnly", "gitSync": SSH}, "tenants[0].dags.gitSync: is only for deploy: gitSync"),
    ({"deploy": "ftp"}, "tenants[0].dags.deploy: must be 'image', 'dagOnly' or 'gitSync'"),
    ({"deploy": "gitSync", "gitSync": {**SSH, "knownHosts": None}},
     "tenants[0].dags.gitSync.knownHosts: is required with auth ssh"),
    ({"deploy": "gitSync", "gitSync": {**SSH, "knownHosts": "github.company.com"}},
     "tenants[0].dags.gitSync.knownHosts: 'github.company.com' is not a known_hosts line"),
    ({"deploy": "gitSync", "gitSync": {**SSH, "repositoryUrl": "http://github.company.com/finance/dags.git"}},
     "tenants[0].dags.gitSync.repositoryUrl: 'http://github.company.com/finance/dags.git' is not a git remote"),
    ({"deploy": "gitSync", "gitSync": {**SSH, "repositoryUrl": "file:///srv/dags.git"}},
     "tenants[0].dags.gitSync.repositoryUrl: 'file:///srv/dags.git' is not a git remote"),
    ({"deploy": "gitSync", "gitSync": {**SSH, "repositoryUrl": HTTPS["repositoryUrl"]}},
     "tenants[0].dags.gitSync.auth: is ssh, but repositoryUrl is an https:// URL"),
    ({"deploy": "gitSync", "gitSync": {**SSH, "syncIntervalSeconds": 7200}},
     "tenants[0].dags.gitSync.syncIntervalSeconds: 7200 is above 3600"),
    ({"deploy": "gitSync", "gitSync": HTTPS},
     "tenants[0].dags.gitSync.auth: httpsToken is not offered by chart 1.2.0: Houston takes an HTTPS token"),
])
def test_mistakes_are_named_by_their_key(dags: dict[str, Any], expected: str):
    found = problems(with_dags("1.2.0", dags))
    key, _, rule = expected.partition(": ")
    assert any(p.startswith(f"{key}: ") and rule in p for p in found), found


def test_prod_git_sync_holds_a_release():
    document = stack_document("prod")
    document["tenants"][0]["dags"] = {"deploy": "gitSync", "gitSync": {**HTTPS, "auth": "none"}}
    assert problems(document) == ["tenants[0].dags.gitSync.rev: is required in prod: without it every merge to the "
                                  "branch goes live in prod, with no release and no reviewer; set it to the release's "
                                  "tag"]
    document["tenants"][0]["dags"]["gitSync"]["rev"] = "v1.4.0"
    assert problems(document) == []


def test_ssh_is_refused_where_houston_names_credentials_by_auth_type():
    found = problems(with_dags("2.1.0", {"deploy": "gitSync", "gitSync": SSH}))
    assert found == ["tenants[0].dags.gitSync.auth: ssh is not managed by this program on chart 2.1.0: from 2.1 "
                     "Houston names git-sync's credential by authType, and the public sources name only HTTPS_NONE "
                     "and HTTPS_PAT; use auth httpsToken or none"]
    assert problems(with_dags("2.1.0", {"deploy": "gitSync", "gitSync": HTTPS})) == []
    assert problems(with_dags("0.37.7", {"deploy": "gitSync", "gitSync": SSH})) == []


@pytest.mark.parametrize(("given", "expected"), [
    (None, "dagRepositoryCredentials: is required: tenant finance's git-sync (auth ssh) needs its SSH private key"),
    ({"finance": "not a key SECRET-VALUE"},
     "dagRepositoryCredentials.finance: (value not shown) is not a private key in PEM or OpenSSH form"),
    ({"finance": SSH_KEY, "marketing": "SECRET-VALUE"},
     "dagRepositoryCredentials.marketing: names no tenant whose git-sync has a credential"),
    ({"finance": "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nSECRET-VALUE\n-----END RSA PRIVATE KEY-----"},
     "dagRepositoryCredentials.finance: (value not shown) is a passphrase-protected key"),
])
def test_credential_mistakes_are_named_without_the_value(given: dict[str, str] | None, expected: str):
    secrets = dict(TEST_SECRETS)
    document = with_dags("1.2.0", {"deploy": "gitSync", "gitSync": SSH})
    with pytest.raises(ConfigError) as raised:
        if given is None:  # not through run_document, which supplies the credentials when none are given
            engine.run(*runtime_values(document, secrets))
        else:
            run_document(document, secrets={**secrets, DAG_CREDENTIALS: json.dumps(given)})
    assert expected in str(raised.value)
    assert "SECRET-VALUE" not in str(raised.value)


# --- the program: values and the deployment's properties ---------------------------------------------------

def test_the_credential_reaches_houston_as_a_secret_and_the_values_switch_git_sync_on():
    document = with_dags("1.2.0", {"deploy": "gitSync", "gitSync": SSH})
    recording = run_document(document, secrets={**TEST_SECRETS, DAG_CREDENTIALS: json.dumps({"finance": SSH_KEY})})
    deployment = next(r for r in recording.resources if r.name == "finance-deployment")
    assert engine.is_secret(deployment.inputs["dag_credential"])
    assert engine.reveal(deployment.inputs["dag_credential"]) == SSH_KEY
    assert deployment.inputs["dag_deployment"] == {"deploy": "gitSync", "git_sync": {
        "repository_url": SSH["repositoryUrl"], "branch": "main", "directory": "dags", "sync_interval_seconds": 60,
        "auth": "ssh", "known_hosts": KNOWN_HOSTS}}
    rendered = json.dumps([engine.redact(r.inputs) for r in recording.resources])
    assert "DEPLOY-KEY-5c1e" not in rendered
    release = next(r for r in recording.resources if r.type == "kubernetes:helm.sh/v3:Release")
    deployments = engine.reveal(release.inputs)["values"]["astronomer"]["houston"]["config"]["deployments"]
    assert deployments["configureDagDeployment"] is True and deployments["gitSyncDagDeployment"] is True
    assert "dagOnlyDeployment" not in engine.reveal(release.inputs)["values"]["global"]


@pytest.mark.parametrize(("line", "expected"), [
    ("0.37", {"global": {"dagOnlyDeployment": {"enabled": True}}, "astronomer": {"houston": {"config": {
        "deployments": {"configureDagDeployment": True, "gitSyncDagDeployment": True}}}}}),
    ("1", {"global": {"dagOnlyDeployment": {"enabled": True}}, "astronomer": {"houston": {"config": {
        "deployments": {"configureDagDeployment": True, "gitSyncDagDeployment": True}}}}}),
    ("2", {"global": {"deployMechanisms": {"dagOnlyDeployment": {"enabled": True}}}, "astronomer": {"houston": {
        "config": {"deployments": {"deployMechanisms": {"configureDagDeployment": {"enabled": True},
                                                        "gitSyncDagDeployment": {"enabled": True}}}}}}}),
])
def test_the_values_switch_on_exactly_the_mechanisms_in_use(line: str, expected: dict[str, Any]):
    assert dag_mechanism_values(line, frozenset({"dagOnly", "gitSync"})) == expected
    assert dag_mechanism_values(line, frozenset()) == {}
    only = dag_mechanism_values(line, frozenset({"dagOnly"}))
    assert "gitSyncDagDeployment" not in json.dumps(only) and "dagOnlyDeployment" in json.dumps(only)


# --- Houston, per line, against the stand-in ------------------------------------------------------------------

GIT_SSH = DagDeploymentSpec("gitSync", GitSyncSpec(SSH["repositoryUrl"], "main", None, "dags", 60, "ssh", KNOWN_HOSTS))
GIT_HTTPS = DagDeploymentSpec("gitSync", GitSyncSpec(HTTPS["repositoryUrl"], "main", "v1.4.0", "dags", 30,
                                                     "httpsToken", https_username="ci-bot"))


@pytest.fixture(params=LINES)
def standin(request: pytest.FixtureRequest) -> Iterator[tuple[HoustonStandin, str]]:
    houston = HoustonStandin(request.param, KEY, pool=["airflow-a"], teams=["a-admins"], settle_reads=1,
                             dag_mechanisms={"dag_deploy", "git_sync"})
    with houston.running() as url:
        yield houston, url


def _git_for(line: str) -> tuple[DagDeploymentSpec, str]:
    return (GIT_HTTPS, TOKEN) if line == "2.x" else (GIT_SSH, SSH_KEY)


def test_git_sync_is_created_with_the_lines_fields_and_the_credential_stays_write_only(standin):
    houston, url = standin
    dags, credential = _git_for(houston.state.line)
    workspace = WorkspaceProvider().create(_workspace_props(url))
    props = _deployment_props(url, workspace.id, dag_deployment=dags.as_props(), dag_credential=credential)
    provider = DeploymentProvider()
    created = provider.create(props)
    stored = houston.state.deployments[created.id].dag_deployment
    assert dags.git_sync is not None
    assert stored["type"] == "git_sync" and stored["repositoryUrl"] == dags.git_sync.repository_url
    if houston.state.line == "2.x":
        assert stored["authType"] == "HTTPS_PAT" and stored["httpsToken"] == TOKEN
        assert stored["httpsUsername"] == "ci-bot" and stored["rev"] == "v1.4.0"
    else:
        assert stored["sshKey"] == SSH_KEY and stored["knownHosts"] == KNOWN_HOSTS and "authType" not in stored
    outs = created.outs or {}
    assert credential not in json.dumps(outs) and outs["dag_credential_hash"]
    # What reads back is the type: the same inputs make no change.
    read = provider.read(created.id, outs)
    assert read.outs is not None and not provider.diff(created.id, read.outs, props).changes
    query = "query($id: String) { deployment(where: {id: $id}) { dagDeployment { type } } }"
    answer = houston.execute({"query": query, "variables": {"id": created.id}})
    assert answer["data"]["deployment"]["dagDeployment"] == {"type": "git_sync"}


def test_a_change_of_mechanism_or_credential_is_an_update(standin):
    houston, url = standin
    workspace = WorkspaceProvider().create(_workspace_props(url))
    props = _deployment_props(url, workspace.id)
    provider = DeploymentProvider()
    created = provider.create(props)
    assert houston.state.deployments[created.id].dag_deployment == {"type": "image"}
    dag_only = {**props, "dag_deployment": DagDeploymentSpec("dagOnly").as_props()}
    diff = provider.diff(created.id, created.outs or {}, dag_only)
    assert diff.changes and not diff.replaces
    updated = provider.update(created.id, created.outs or {}, dag_only)
    assert houston.state.deployments[created.id].dag_deployment == {"type": "dag_deploy"}
    dags, credential = _git_for(houston.state.line)
    git = {**props, "dag_deployment": dags.as_props(), "dag_credential": credential}
    outs = provider.update(created.id, updated.outs or {}, git).outs or {}
    rotated = {**git, "dag_credential": credential + "-rotated"}
    diff = provider.diff(created.id, outs, rotated)
    assert diff.changes and not diff.replaces
    provider.update(created.id, outs, rotated)
    stored = houston.state.deployments[created.id].dag_deployment
    assert credential + "-rotated" in (stored.get("sshKey"), stored.get("httpsToken"))


def test_houston_refuses_what_the_line_does_not_take(standin):
    houston, url = standin
    workspace = WorkspaceProvider().create(_workspace_props(url))
    wrong = GIT_SSH if houston.state.line == "2.x" else GIT_HTTPS
    props = _deployment_props(url, workspace.id, dag_deployment=wrong.as_props(), dag_credential="x")
    with pytest.raises(Exception, match="is not offered on Houston line"):
        DeploymentProvider().create(props)
    assert not houston.state.deployments  # refused before any write
    # The stand-in itself: 2.1's fields are unknown before 2.x, and a mechanism must be switched on.
    houston.state.dag_mechanisms.clear()
    with pytest.raises(Exception, match="not enabled on this platform"):
        DeploymentProvider().create(_deployment_props(url, workspace.id,
                                                      dag_deployment=DagDeploymentSpec("dagOnly").as_props()))


def test_the_stand_in_checks_the_fields_per_line():
    for line in LINES:
        houston = HoustonStandin(line, KEY, pool=[], dag_mechanisms={"git_sync"})
        query = "mutation($d: DagDeployment) { upsertDeployment(deploymentUuid: \"x\", dagDeployment: $d) { id } }"
        answer = houston.execute({"query": query, "variables": {"d": {"type": "git_sync", "authType": "HTTPS_NONE"}}})
        unknown = any("authType" in e["message"] for e in answer.get("errors", []))
        assert unknown == (line != "2.x"), (line, answer)


def test_state_from_before_the_property_is_image_deploys():
    assert DagDeploymentSpec.from_props(None) == DagDeploymentSpec("image")
    assert DagDeploymentSpec.from_props(GIT_SSH.as_props()) == GIT_SSH


# --- the real chart at each line (tests/data/dags, recorded by `python -m tests.data.record_chart dags`) ---------

CHART_VERSIONS = ("0.37.7", "1.2.0", "2.1.0")


@pytest.mark.parametrize("version", CHART_VERSIONS)
def test_the_recorded_values_are_what_the_program_gives(version: str):
    assert recorded("dags", version)[0] == expected_values("dags", version)


@pytest.mark.parametrize("version", CHART_VERSIONS)
def test_houston_reads_every_mechanism_switched_on_and_the_dag_server_from_artifactory(version: str):
    _, config = houston_config(recorded("dags", version)[1]["ConfigMap"])
    deployments = config["deployments"]
    if version.startswith("2."):
        switches = deployments["deployMechanisms"]
        assert {key: value["enabled"] for key, value in switches.items()} == {
            "dagOnlyDeployment": True, "configureDagDeployment": True, "gitSyncDagDeployment": True}
    else:
        assert deployments["dagOnlyDeployment"] is deployments["configureDagDeployment"] is True
        assert deployments["gitSyncDagDeployment"] is True
    server = deployments["dagDeploy"]["images"]["dagServer"]["repository"]
    assert server == "artifactory.company.com/astronomer/ap-dag-deploy"


def test_an_error_that_quotes_the_credential_is_redacted(standin):
    houston, url = standin
    client = HoustonClient(Connection(url, KEY, attempts=1))
    query = "mutation($d: DagDeployment) { upsertDeployment(deploymentUuid: \"x\", dagDeployment: $d) { id } }"
    # A field the line does not know: GraphQL repeats the whole variable, credential included, in its error.
    unknown = "authType" if houston.state.line != "2.x" else "unknownField"
    with pytest.raises(HoustonError) as raised:
        client._post(query, {"d": {"type": "git_sync", "sshKey": SSH_KEY, "httpsToken": TOKEN, unknown: "x"}})
    assert "DEPLOY-KEY-5c1e" not in str(raised.value) and TOKEN not in str(raised.value)
    assert "'sshKey': '[secret]'" in str(raised.value)


def test_a_mechanism_changed_by_hand_is_drift_that_the_next_up_puts_back(standin):
    houston, url = standin
    workspace = WorkspaceProvider().create(_workspace_props(url))
    props = _deployment_props(url, workspace.id, dag_deployment=DagDeploymentSpec("dagOnly").as_props())
    provider = DeploymentProvider()
    created = provider.create(props)
    houston.state.deployments[created.id].dag_deployment = {"type": "image"}  # switched in Houston's UI
    read = provider.read(created.id, created.outs or {})
    assert read.outs is not None and read.outs["dag_deployment"] == {"deploy": "image"}
    diff = provider.diff(created.id, read.outs, props)
    assert diff.changes and not diff.replaces
    provider.update(created.id, read.outs, props)
    assert houston.state.deployments[created.id].dag_deployment == {"type": "dag_deploy"}
    # Unchanged in Houston: the read keeps the declared settings, and the diff stays empty.
    again = provider.read(created.id, created.outs or {})
    assert again.outs is not None and not provider.diff(created.id, again.outs, props).changes
