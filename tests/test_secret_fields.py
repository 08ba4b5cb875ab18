"""Only secret values are secret: every other field of an object that holds a secret is plain, so a
change to it shows in a render and its diff."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import rpc

from standins import mock_engine as engine
from tests.helpers import RELEASE, TEST_SECRETS, run_document

IMAGE = "docker:index/image:Image"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def at(inputs: dict[str, Any], path: str) -> tuple[Any, bool]:
    """The revealed value at a path of keys (``/``-separated), and whether it or anything around it
    is secret."""
    value: Any = inputs
    hidden = False
    for key in path.split("/"):
        if engine.is_secret(value):
            hidden, value = True, rpc.unwrap_rpc_secret(value)
        value = value[key]
    return engine.reveal(value), hidden or engine.is_secret(value)


def assert_plain(inputs: dict[str, Any], path: str, expected: Any) -> None:
    assert at(inputs, path) == (expected, False), path


def assert_secret(inputs: dict[str, Any], path: str, expected: Any) -> None:
    assert at(inputs, path) == (expected, True), path


def env(deployment: engine.Registration) -> dict[str, Any]:
    """The manager container's env as it went to the engine (secrets still wrapped), by name."""
    (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item for item in container["env"]}


def test_the_path_helper_sees_a_secret_around_a_value():
    wrapped = {"opts": rpc.wrap_rpc_secret({"repo": "r", "password": "p"})}
    assert at(wrapped, "opts/repo") == ("r", True)
    leaf = {"opts": {"repo": "r", "password": rpc.wrap_rpc_secret("p")}}
    assert at(leaf, "opts/repo") == ("r", False) and at(leaf, "opts/password") == ("p", True)


def test_the_release_repository_login_hides_only_the_password(recordings):
    (release,) = recordings["dev"].of_type(RELEASE)
    assert_plain(release.inputs, "repositoryOpts/repo",
                 "https://artifactory.company.com/artifactory/api/helm/astronomer-helm")
    assert_plain(release.inputs, "repositoryOpts/username", "svc-astronomer-dev")
    assert_secret(release.inputs, "repositoryOpts/password", TEST_SECRETS["artifactoryPassword"])


def test_the_image_registry_login_hides_only_the_password(recordings):
    for image in recordings["prod"].of_type(IMAGE):
        assert_plain(image.inputs, "registry/server", "artifactory.company.com")
        assert_plain(image.inputs, "registry/username", "svc-astronomer-prod")
        assert_secret(image.inputs, "registry/password", TEST_SECRETS["artifactoryPassword"])


def test_the_ticket_manager_gets_its_vault_settings_in_clear(recordings):
    (deployment,) = recordings["dev"].of_type(DEPLOYMENT)
    variables = env(deployment)
    assert not any(engine.is_secret(item) or engine.is_secret(item.get("value")) for item in variables.values())
    assert variables["DELINEA_VAULT_URL"]["value"] == "https://vault.company.com/SecretServer"
    assert variables["DELINEA_USERNAME"]["value"] == "svc-kerberos-dev"
    secret = next(r for r in recordings["dev"].resources if r.name == "kerberos-delinea-config")
    assert_secret(secret.inputs, "stringData/password", TEST_SECRETS["delineaPassword"])


def test_genuine_secrets_stay_secret(recordings):
    resources = {r.name: r for r in recordings["dev"].resources}
    pull = at(resources["astronomer-registry-pull-secret"].inputs, "stringData/.dockerconfigjson")
    assert pull[1] and TEST_SECRETS["artifactoryPassword"] in pull[0]
    assert_secret(resources["astronomer-database-bootstrap-secret"].inputs, "stringData/connection",
                  TEST_SECRETS["databaseConnection"])


# Each plain setting, where it lands, and the stack it shows in (images are built in prod only).
PLAIN_SETTINGS = [
    (("kerberos", "delinea", "url"), "https://vault2.company.com/SecretServer", "dev", "kerberos-deployment"),
    (("kerberos", "delinea", "username"), "svc-kerberos-2", "dev", "kerberos-deployment"),
    (("artifactory", "helmRepoUrl"), "https://artifactory.company.com/artifactory/api/helm/astro-2", "dev",
     "astronomer-release"),
    (("artifactory", "username"), "svc-astronomer-2", "dev", "astronomer-release"),
    (("artifactory", "username"), "svc-astronomer-2", "prod", "astro-runtime-krb5-image"),
]


@pytest.mark.parametrize(("keys", "value", "stack", "resource"), PLAIN_SETTINGS)
def test_a_changed_plain_setting_changes_the_redacted_inputs(document, recordings, keys, value, stack, resource):
    changed = document(stack)
    *parents, key = keys
    section = changed
    for parent in parents:
        section = section[parent]
    section[key] = value

    def redacted(recording: engine.Recording) -> Any:
        return engine.redact(next(r for r in recording.resources if r.name == resource).inputs)

    before, after = redacted(recordings[stack]), redacted(run_document(changed, stack))
    assert before != after
    assert value in repr(after) and value not in repr(before)
