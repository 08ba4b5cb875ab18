"""AstronomerPlatform: chart values per chart line, prerequisites, ordering and secrets."""

from __future__ import annotations

import json

import pytest

from components.platform_values import PULL_SECRET_NAME, control_plane_id
from domain.chart_lines import chart_line
from domain.chart_pull_secrets import UNSECRETED_POD_TEMPLATES, unsecreted_templates
from domain.registry_policy import registry_violations
from standins import mock_engine as engine
from tests.helpers import TEST_SECRETS, client_secrets, release_values, run_document, stack_document

HOST = "artifactory.company.com"
PREFIX = f"{HOST}/astronomer"
RELEASE = "kubernetes:helm.sh/v3:Release"
VERSIONS = ("0.37.7", "1.2.0", "2.1.0")


def values_for(version: str, stack: str = "dev") -> dict:
    return release_values(version, stack)


def get(tree: dict, dotted: str):
    for part in dotted.split("."):
        tree = tree[part]
    return tree


def has(tree: dict, dotted: str) -> bool:
    try:
        get(tree, dotted)
    except (KeyError, TypeError):
        return False
    return True


# Every Airflow-deployment image path the chart doc lists, plus the two more the render showed.
IMAGE_PATHS = {
    "global.airflow.images.statsd.repository": "ap-statsd-exporter",
    "global.airflow.images.redis.repository": "ap-redis",
    "global.airflow.images.pgbouncer.repository": "ap-pgbouncer",
    "global.airflow.images.pgbouncerExporter.repository": "ap-pgbouncer-exporter",
    "global.airflow.images.gitSync.repository": "ap-git-sync",
    "global.gitSyncRelay.images.gitDaemon.repository": "ap-git-daemon",
    "global.gitSyncRelay.images.gitSync.repository": "ap-git-sync-relay",
    "global.certgenerator.images.repository": "ap-certgenerator",
    "astronomer.houston.config.deployments.helm.airflow.defaultAirflowRepository": "ap-airflow",
    "astronomer.houston.config.deployments.helm.airflow.defaultRuntimeRepository": "astro-runtime",
    "astronomer.houston.config.deployments.helm.airflow.images.airflow.repository": "ap-airflow",
    "astronomer.houston.config.deployments.helm.runtimeImages.airflow.repository": "astro-runtime",
    "astronomer.houston.config.deployments.helm.runtimeImages.flower.repository": "astro-runtime",
}
NONEXISTENT_KEYS = (
    "global.registry",
    "global.dockerRegistry",
    "global.imagePullSecrets",
    "astronomer.houston.config.deployments.registry",
    "astronomer.commander.env",
    "global.privateRegistry.user",
    "global.privateRegistry.password",
)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_image_path_points_at_artifactory(version):
    values = values_for(version)
    assert values["global"]["privateRegistry"] == {"enabled": True, "repository": PREFIX, "secretName": PULL_SECRET_NAME}
    for path, basename in IMAGE_PATHS.items():
        assert get(values, path) == f"{PREFIX}/{basename}", path
    xcom = "ap-alpine" if version.startswith("0.37") else "ap-init"
    assert get(values, "global.airflow.images.xcom.repository") == f"{PREFIX}/{xcom}"
    assert list(registry_violations(values, HOST)) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_no_nonexistent_keys(version):
    values = values_for(version)
    for path in NONEXISTENT_KEYS:
        assert not has(values, path), path


@pytest.mark.parametrize("version", VERSIONS)
def test_public_internet_is_off(version):
    values = values_for(version)
    assert get(values, "astronomer.commander.airGapped.enabled") is True
    assert get(values, "global.helmRepo").startswith(f"https://{HOST}/")
    assert get(values, "astronomer.houston.updateCheck.enabled") is False
    assert get(values, "astronomer.houston.updateRuntimeCheck.enabled") is False


@pytest.mark.parametrize("version", ["0.37.7", "1.2.0"])
def test_legacy_line_keys(version):
    values = values_for(version)
    g = values["global"]
    pools = g["features"]["namespacePools"]
    assert pools == {"enabled": True, "createRbac": True,
                     "namespaces": {"create": False, "names": ["airflow-finance", "airflow-marketing", "airflow-analytics"]}}
    assert g["postgresqlEnabled"] is False and g["rbacEnabled"] is True
    # Off on 0.37 only: its labeller hook has no pull secret (see UNSECRETED_POD_TEMPLATES).
    assert g["networkNSLabels"] is (not version.startswith("0.37"))
    assert g["namespaceFreeFormEntry"] is False
    houston = values["astronomer"]["houston"]["config"]
    assert houston["publicSignups"] is False and houston["emailConfirmation"] is False
    for nested in ("namespaceManagement", "postgresql", "rbac", "controlPlaneHA"):
        assert nested not in g, nested


def test_two_x_line_keys():
    values = values_for("2.1.0")
    g = values["global"]
    pools = g["namespaceManagement"]["namespacePools"]
    assert pools["enabled"] and pools["createRbac"] and pools["namespaces"]["create"] is False
    assert pools["namespaces"]["names"] == ["airflow-finance", "airflow-marketing", "airflow-analytics"]
    assert g["postgresql"] == {"enabled": False} and g["rbac"] == {"enabled": True}
    assert g["networkNSLabels"] == {"enabled": True}
    houston = values["astronomer"]["houston"]["config"]
    assert houston["publicSignups"] == {"enabled": False}
    for legacy in ("features", "postgresqlEnabled", "rbacEnabled", "namespaceFreeFormEntry"):
        assert legacy not in g, legacy


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("version", VERSIONS)
def test_every_rendered_pod_spec_carries_the_pull_secret(version, stack):
    values = values_for(version, stack)
    registry = values["global"]["privateRegistry"]
    assert registry["enabled"] is True and registry["secretName"] == PULL_SECRET_NAME
    assert UNSECRETED_POD_TEMPLATES[chart_line(version)], "the table covers every supported line"
    assert [t.template for t in unsecreted_templates(values, chart_line(version))] == []


@pytest.mark.parametrize("version", VERSIONS)
def test_houston_gives_deployments_network_ns_labels(version):
    # The chart writes deployments.helm.networkNSLabels into Houston's production.yaml only when the
    # global is on (charts/astronomer/templates/houston/houston-configmap.yaml, v0.37.7 to v2.1.0); ours
    # is in local-production.yaml, which Houston layers over it, so it holds with the global off.
    values = values_for(version)
    assert get(values, "astronomer.houston.config.deployments.helm.networkNSLabels") is True


@pytest.mark.parametrize("version", VERSIONS)
def test_network_policies_and_external_database(version):
    g = values_for(version)["global"]
    assert g["networkPolicy"] == {"enabled": True} and g["defaultDenyNetworkPolicy"] is True
    assert g["baseDomain"] == "astro-dev.company.com" and g["tlsSecret"] == "astronomer-tls"


def test_control_plane_id_is_deterministic_per_stack():
    first, second = values_for("2.1.0"), release_values.__wrapped__("2.1.0")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    cp_id = first["global"]["controlPlaneHA"]["cpId"]
    assert cp_id == control_plane_id("astronomer-platform", "dev") != control_plane_id("astronomer-platform", "prod")


def test_overrides_are_merged_last(document):
    doc = document("dev")
    doc["platform"]["valuesOverrides"] = {"global": {"privateRegistry": {"secretName": "other"}},
                                          "nginx": {"replicas": 3}}
    release = run_document(doc).of_type(RELEASE)[0]
    values = engine.reveal(release.inputs["values"])
    assert values["nginx"] == {"replicas": 3}
    assert values["global"]["privateRegistry"] == {"enabled": True, "repository": PREFIX, "secretName": "other"}


def test_release_from_artifactory_with_credentials(recordings):
    release = recordings["dev"].of_type(RELEASE)[0]
    inputs = engine.reveal(release.inputs)
    assert inputs["chart"] == "astronomer" and inputs["version"] == "2.1.0"
    assert inputs["repositoryOpts"]["repo"].startswith(f"https://{HOST}/")
    assert inputs["repositoryOpts"]["username"] == "svc-astronomer-dev"
    assert inputs["repositoryOpts"]["password"] == TEST_SECRETS["artifactoryPassword"]
    # Which of these are secret: tests/test_secret_fields.py (only the password).
    assert inputs["atomic"] is True and inputs["cleanupOnFail"] is True and inputs["timeout"] >= 20 * 60
    assert inputs["namespace"] == "astronomer" and inputs["createNamespace"] is False


def test_release_from_local_chart(document, tmp_path):
    (tmp_path / "Chart.yaml").write_text("name: astronomer\nversion: 2.1.0\n")
    doc = document("dev")
    doc["platform"]["chartPath"] = str(tmp_path)
    inputs = run_document(doc).of_type(RELEASE)[0].inputs
    assert inputs["chart"] == str(tmp_path) and "repositoryOpts" not in inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_release_depends_on_prerequisites_and_every_tenant_namespace(recordings, stack):
    recording = recordings[stack]
    release = recording.of_type(RELEASE)[0]
    by_name = {r.name: r.urn for r in recording.resources}
    needed = ["astronomer-namespace", "astronomer-registry-pull-secret", "astronomer-database-bootstrap-secret",
              "finance-namespace", "marketing-namespace", "analytics-namespace"]
    for name in needed:
        assert by_name[name] in release.dependencies, name


def test_prerequisite_secrets(recordings):
    secrets = {r.name: r for r in recordings["dev"].of_type("kubernetes:core/v1:Secret")}
    pull = secrets["astronomer-registry-pull-secret"]
    assert pull.inputs["type"] == "kubernetes.io/dockerconfigjson"
    # Not copied into deployment namespaces by the platform: it holds the login that pushes images.
    assert "annotations" not in pull.inputs["metadata"]
    assert engine.is_secret(pull.inputs["stringData"])
    auth = json.loads(engine.reveal(pull.inputs["stringData"])[".dockerconfigjson"])["auths"][HOST]
    assert auth["username"] == "svc-astronomer-dev" and auth["password"] == TEST_SECRETS["artifactoryPassword"]
    bootstrap = secrets["astronomer-database-bootstrap-secret"]
    assert bootstrap.inputs["metadata"]["name"] == "astronomer-bootstrap"
    assert engine.reveal(bootstrap.inputs["stringData"]) == {"connection": TEST_SECRETS["databaseConnection"]}
    assert engine.is_secret(bootstrap.inputs["stringData"])
    assert "astronomer-tls-secret" not in secrets


def test_tls_secret_when_certificate_given(document):
    secrets = TEST_SECRETS | {"tlsCertificate": "CERT-PEM-1", "tlsKey": "KEY-PEM-2"}
    recording = run_document(document("dev"), secrets=secrets)
    tls = next(r for r in recording.resources if r.name == "astronomer-tls-secret")
    assert tls.inputs["type"] == "kubernetes.io/tls" and engine.is_secret(tls.inputs["stringData"])
    release = recording.of_type(RELEASE)[0]
    assert tls.urn in release.dependencies


def test_platform_namespace_labels(recordings):
    namespace = next(r for r in recordings["prod"].resources if r.name == "astronomer-namespace")
    labels = namespace.inputs["metadata"]["labels"]
    assert labels["platform"] == "astronomer"
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.33"
    assert namespace.protect


def test_outputs(recordings):
    outputs = recordings["dev"].outputs
    assert outputs["houstonUrl"] == "https://houston.astro-dev.company.com/v1"
    assert outputs["releaseStatus"] == "deployed"
    assert outputs["platformNamespace"] == "astronomer"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_secret_in_plain_text_anywhere(recordings, stack):
    recording = recordings[stack]
    rendered = json.dumps([engine.redact(r.inputs) for r in recording.resources]) + json.dumps(recording.outputs)
    secrets = [*TEST_SECRETS.values(), *client_secrets(stack_document(stack)).values()]
    for secret in secrets:
        assert secret not in rendered
    # And they were really handed to the program: the unredacted inputs hold them.
    revealed = json.dumps([engine.reveal(r.inputs) for r in recording.resources])
    assert all(secret in revealed for secret in secrets)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_kubernetes_resource_uses_the_explicit_provider(recordings, stack):
    recording = recordings[stack]
    provider = recording.of_type("pulumi:providers:kubernetes")
    assert len(provider) == 1 and engine.reveal(provider[0].inputs).get("context") == f"{stack}-cluster"
    for resource in recording.resources:
        if resource.custom and resource.type.startswith("kubernetes:"):
            assert resource.provider.startswith(provider[0].urn + "::"), resource.urn
