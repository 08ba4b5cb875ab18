"""DatakitImage: build args, tags, registry and credentials; nothing built with build: false."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from standins import mock_engine as engine
from tests.helpers import ROOT, TEST_SECRETS, run_document

IMAGE = "docker:index/image:Image"


def test_build_false_registers_no_image(recordings):
    assert recordings["dev"].of_type(IMAGE) == []
    assert recordings["dev"].outputs["images"]["astro-runtime-krb5"] == (
        "artifactory.company.com/platform/astro-runtime-krb5:11.10.0-python-3.11")


def test_runtime_image_build(recordings):
    images = {r.name: r for r in recordings["prod"].of_type(IMAGE)}
    runtime = engine.reveal(images["astro-runtime-krb5-image"].inputs)
    assert runtime["imageName"] == "artifactory.company.com/platform/astro-runtime-krb5:11.10.0-python-3.11"
    assert runtime["build"]["context"] == "docker/astro-runtime-krb5"
    assert runtime["build"]["dockerfile"] == "docker/astro-runtime-krb5/Dockerfile"
    assert runtime["build"]["args"] == {"REGISTRY_HOST": "artifactory.company.com", "CERTIFIED_REPOSITORY": "astronomer",
                                        "RUNTIME_VERSION": "11.10.0", "PYTHON_VERSION": "3.11"}
    assert runtime["build"]["platform"] == "linux/amd64"
    assert runtime["registry"] == {"server": "artifactory.company.com", "username": "svc-astronomer-prod",
                                   "password": TEST_SECRETS["artifactoryPassword"]}
    # Which of these are secret: tests/test_secret_fields.py (only the password).


def test_datakits_build_from_the_runtime_image(recordings):
    recording = recordings["prod"]
    images = {r.name: r for r in recording.of_type(IMAGE)}
    assert set(images) == {"astro-runtime-krb5-image", "datakit-sqlserver-bronze-image", "datakit-oracle-bronze-image",
                           "kerberos-manager-image"}
    oracle = engine.reveal(images["datakit-oracle-bronze-image"].inputs)
    assert oracle["imageName"] == "artifactory.company.com/datakits/oracle-bronze:2.0.1"
    assert oracle["build"]["context"] == "datakits/oracle-bronze"
    assert oracle["build"]["args"] == {
        "BASE_IMAGE": "artifactory.company.com/platform/astro-runtime-krb5:11.10.0-python-3.11"}
    assert images["astro-runtime-krb5-image"].urn in images["datakit-oracle-bronze-image"].dependencies


def test_tenant_datakits_come_from_the_image_outputs(recordings):
    recording = recordings["prod"]
    config_map = next(r for r in recording.resources if r.name == "finance-datakits")
    # The mock engine echoes image_name; the dependency proves the value came from the Image output.
    images = {r.name: r.urn for r in recording.of_type(IMAGE)}
    assert images["datakit-sqlserver-bronze-image"] in config_map.dependencies
    assert config_map.inputs["data"]["sqlserver-bronze"] == "artifactory.company.com/datakits/sqlserver-bronze:1.3.0"
    assert recording.outputs["images"]["datakit-salesforce-bronze"] == (
        "artifactory.company.com/datakits/salesforce-bronze:1.1.0")


def test_docker_resources_use_the_explicit_provider(recordings):
    recording = recordings["prod"]
    (provider,) = recording.of_type("pulumi:providers:docker")
    assert all(r.provider.startswith(provider.urn + "::") for r in recording.of_type(IMAGE))


def test_every_dockerfile_passes_hadolint():
    files = subprocess.run(["git", "ls-files", "*Dockerfile"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    assert "docker/astro-runtime-krb5/Dockerfile" in files
    result = subprocess.run([str(Path(sys.executable).parent / "hadolint"), *files], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runtime_dockerfile_follows_the_runtime_image_rules():
    text = (ROOT / "docker/astro-runtime-krb5/Dockerfile").read_text()
    assert "FROM ${REGISTRY_HOST}/${CERTIFIED_REPOSITORY}/astro-runtime:${RUNTIME_VERSION}-python-${PYTHON_VERSION}" in text
    assert text.index("USER root") < text.index("krb5-user") < text.index("USER astro")
    assert "DEBIAN_FRONTEND=noninteractive" in text and "--no-install-recommends" in text
    assert "rm -rf /var/lib/apt/lists/*" in text


def test_the_ticket_manager_is_built_from_its_own_context_and_deployed(recordings):
    recording = recordings["prod"]
    version = (ROOT / "docker/kerberos-manager/VERSION").read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    (image,) = [r for r in recording.of_type(IMAGE) if r.name == "kerberos-manager-image"]
    inputs = engine.reveal(image.inputs)
    reference = f"artifactory.company.com/platform/kerberos-manager:{version}"
    assert inputs["imageName"] == reference
    assert inputs["build"]["context"] == "docker/kerberos-manager"
    assert inputs["build"]["args"] == {"REGISTRY_HOST": "artifactory.company.com", "CERTIFIED_REPOSITORY": "astronomer"}
    (deployment,) = [r for r in recording.resources if r.type == "kubernetes:apps/v1:Deployment"]
    assert deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == reference
    assert image.urn in deployment.dependencies  # the Deployment waits for the push


def test_a_named_manager_image_is_referenced_not_built(document):
    doc = document("prod")
    doc["kerberos"]["managerImage"] = "kerberos-manager:0.9.0"
    recording = run_document(doc, "prod")
    assert "kerberos-manager-image" not in {r.name for r in recording.of_type(IMAGE)}
    (deployment,) = [r for r in recording.resources if r.type == "kubernetes:apps/v1:Deployment"]
    assert deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "artifactory.company.com/platform/kerberos-manager:0.9.0")
