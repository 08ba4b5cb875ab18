"""The program's Houston resources under mocks: one workspace and one deployment per tenant, their
config (defaults, refusals with key paths), the platform values they need, and no secret in plain text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.houston_resources import DEPLOYMENT_TYPE, WORKSPACE_TYPE
from components.platform_values import platform_values
from config.errors import ConfigError
from offline.render import render_files
from standins import mock_engine as engine
from tests.helpers import STACKS, TEST_SECRETS, chart_settings, run_document

PASSWORDS = {"finance": {"finance_sqlserver": "sql-PASSWORD-77aa"}}


def _by_name(recording: engine.Recording, type_: str) -> dict[str, engine.Registration]:
    return {r.name: r for r in recording.of_type(type_)}


@pytest.mark.parametrize("stack", STACKS)
def test_one_workspace_and_one_deployment_per_tenant(recordings, stack):
    recording = recordings[stack]
    tenants = sorted(r.name for r in recording.of_type("astronomer:platform:Tenant"))
    assert sorted(_by_name(recording, WORKSPACE_TYPE)) == [f"{t}-workspace" for t in tenants]
    deployments = _by_name(recording, DEPLOYMENT_TYPE)
    assert sorted(deployments) == [f"{t}-deployment" for t in tenants]
    release = next(r.urn for r in recording.resources if r.type == "kubernetes:helm.sh/v3:Release")
    for tenant in tenants:
        inputs = engine.reveal(deployments[f"{tenant}-deployment"].inputs)
        assert inputs["release_name"] == tenant and inputs["namespace"] == f"airflow-{tenant}"
        assert inputs["houston_url"] == f"https://houston.{'astro-dev' if stack == 'dev' else 'astro'}.company.com/v1"
        component = next(r for r in recording.resources if r.type == "astronomer:platform:TenantAirflow"
                         and r.name == tenant)
        assert release in component.dependencies  # created after Houston is up, deleted before it
        # prod protects deployments like its namespaces
        assert deployments[f"{tenant}-deployment"].protect == (stack == "prod")


def test_deployment_spec_of_finance(recordings):
    deployment = _by_name(recordings["dev"], DEPLOYMENT_TYPE)["finance-deployment"]
    inputs = engine.reveal(deployment.inputs)
    assert inputs["image"] == "artifactory.company.com/deployments/finance-airflow:2024.06.1"
    assert inputs["runtime_version"] == "11.10.0" and inputs["executor"] == "CeleryExecutor"
    assert inputs["sizing"]["workers"] == 10 and inputs["sizing"]["worker"] == {"cpu": 1000, "memory": 2048}
    environment = {v["key"]: v["value"] for v in inputs["environment"]}
    assert environment == {
        "AIRFLOW_VAR_COST_CENTER": "FIN-001",
        "AIRFLOW_VAR_ARTIFACTORY_URL": "https://artifactory.company.com",
        "AIRFLOW_VAR_DATAKIT_REGISTRY": "artifactory.company.com/datakits",
        "AIRFLOW_VAR_ENVIRONMENT": "dev",
        "AIRFLOW_VAR_ASTRONOMER_NAMESPACE": "airflow-finance",  # the tenant's, where datakit pods run
        "AIRFLOW_VAR_DATAKIT_IMAGES": json.dumps({
            "oracle-bronze": "artifactory.company.com/datakits/oracle-bronze:2.0.1",
            "sqlserver-bronze": "artifactory.company.com/datakits/sqlserver-bronze:1.3.0"}, sort_keys=True),
        "AIRFLOW_CONN_FINANCE_SQLSERVER": json.dumps({"conn_type": "mssql", "host": "sqlfin01.corp.company.com",
                                                      "port": 1433, "schema": "finance"}, sort_keys=True),
    }
    assert [v["key"] for v in inputs["environment"]] == sorted(environment)
    workspace = engine.reveal(_by_name(recordings["dev"], WORKSPACE_TYPE)["finance-workspace"].inputs)
    assert workspace["teams"] == {"astro-finance-admins": "WORKSPACE_ADMIN", "astro-finance-analysts": "WORKSPACE_VIEWER"}


def _with_password(document) -> tuple[dict[str, Any], dict[str, str]]:
    doc = document("dev")
    doc["tenants"][0]["airflow"]["connections"][0]["password"] = True
    return doc, {**TEST_SECRETS, "airflowConnectionPasswords": json.dumps(PASSWORDS)}


def test_a_connection_password_is_a_secret_variable_and_never_plain(document):
    doc, secrets = _with_password(document)
    recording = run_document(doc, secrets=secrets)
    deployment = _by_name(recording, DEPLOYMENT_TYPE)["finance-deployment"]
    assert engine.is_secret(deployment.inputs["secret_environment"]) and engine.is_secret(deployment.inputs["api_key"])
    secret = engine.reveal(deployment.inputs["secret_environment"])
    assert json.loads(secret["AIRFLOW_CONN_FINANCE_SQLSERVER"])["password"] == "sql-PASSWORD-77aa"
    assert "AIRFLOW_CONN_FINANCE_SQLSERVER" not in [v["key"] for v in engine.reveal(deployment.inputs)["environment"]]
    assert set(deployment.additional_secret_outputs) >= {"api_key", "hash_salt", "secret_environment_hashes"}
    rendered = "".join(render_files(recording, "dev").values())
    for plaintext in ("sql-PASSWORD-77aa", TEST_SECRETS["houstonApiKey"]):
        assert plaintext not in rendered
    assert "AIRFLOW_CONN_FINANCE_SQLSERVER: '[secret " in rendered


@pytest.mark.parametrize(("change", "secrets", "expected"), [
    (lambda d: d["tenants"][0]["airflow"]["connections"][0].update(password=True), {},
     "airflowConnectionPasswords: is required: tenants[0].airflow.connections[0] has password: true"),
    (lambda d: None, {"airflowConnectionPasswords": json.dumps(PASSWORDS)},
     "airflowConnectionPasswords.finance.finance_sqlserver: names no connection with password: true"),
    (lambda d: d["tenants"][0]["airflow"]["connections"][0].update(password=True),
     {"airflowConnectionPasswords": "not json"}, "airflowConnectionPasswords: is not a JSON object"),
    (lambda d: d["tenants"][0]["airflow"]["variables"].update({"cost.center": "x"}), {},
     "tenants[0].airflow.variables.cost.center: becomes the environment variable 'AIRFLOW_VAR_COST.CENTER'"),
    (lambda d: d["tenants"][0]["airflow"]["variables"].update({"COST_CENTER": "x"}), {},
     "tenants[0].airflow.variables.COST_CENTER: becomes AIRFLOW_VAR_COST_CENTER, as variables.cost_center does"),
    (lambda d: d["tenants"][0].update(deployment={"worker": {"cpu": "0.5m", "memory": "1Gi"}}), {},
     "tenants[0].deployment.worker.cpu: '0.5m' is not a positive whole number of millicores"),
    (lambda d: d["tenants"][0].update(deployment={"scheduler": {"cpu": "1", "memory": "1G"}}), {},
     "tenants[0].deployment.scheduler.memory: '1G' is not a positive whole number of MiB"),
    (lambda d: d.update(houston={"url": "http://houston.example.com/v1"}), {}, "houston.url:"),
    (lambda d: d["tenants"][0].update(deployment={"executor": "SequentialExecutor"}), {},
     "tenants[0].deployment.executor:"),
    (lambda d: d["platform"].update(namespace="a" * 50) or d["tenants"][0].update(name="f" * 20), {},
     "tenants[0].name: 'ffffffffffffffffffff' is too long for a release name"),
    (lambda d: d["tenants"][0].update(quota={"cpu": "20", "memory": "160Gi"}), {},
     "tenants[0].quota.cpu: '20' is below the platform's own quota for the deployment with 10 workers (26 cores)"),
])
def test_bad_deployment_config_is_refused_with_its_key_path(document, change, secrets, expected):
    doc = document("dev")
    change(doc)
    with pytest.raises(ConfigError) as error:
        run_document(doc, secrets={**TEST_SECRETS, **secrets})
    assert expected in str(error.value)
    assert "sql-PASSWORD" not in str(error.value) and "not json" not in str(error.value)
    assert not error.value.recording.resources  # nothing was created


def test_the_api_key_is_required_once_there_are_tenants(document):
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "houstonApiKey"}
    with pytest.raises(ConfigError, match="houstonApiKey: is required once the stack has tenants .* `pulumi config set --secret houstonApiKey`"):
        run_document(document("dev"), secrets=secrets)
    # A platform without tenants (its first install) has no Houston key yet and needs none.
    doc = document("dev")
    doc["tenants"] = []
    doc["tenancy"]["allowNoTenants"] = True
    recording = run_document(doc, secrets=secrets)
    assert not [r for r in recording.resources if r.type == "astronomer:platform:TenantAirflow"]
    assert any(r.type == "kubernetes:helm.sh/v3:Release" for r in recording.resources)


@pytest.mark.parametrize(("version", "expected"), [
    ("0.37.7", {"manualReleaseNames": True, "hardDeleteDeployment": True, "upsertDeploymentEnabled": True,
                "astroUnitsEnabled": False, "enableUpdateDeploymentImageEndpoint": True}),
    ("1.2.0", {"manualReleaseNames": True, "hardDeleteDeployment": True, "enableUpdateDeploymentImageEndpoint": True}),
    ("2.1.0", {"namespaceManagement": {"manualReleaseNames": {"enabled": True}}}),
])
def test_platform_values_switch_on_what_the_provider_needs(version, expected):
    deployments = platform_values(chart_settings(chart_version=version))["astronomer"]["houston"]["config"]["deployments"]
    assert {key: deployments[key] for key in expected} == expected
    assert "upsertDeploymentEnabled" not in deployments or version.startswith("0.37")
