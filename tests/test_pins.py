"""Versions pinned in more than one place agree."""

from __future__ import annotations

import json
import re

import yaml

from tests.helpers import ROOT


def test_the_workflows_pulumi_cli_is_the_version_of_the_python_sdk():
    sdk = re.search(r'"pulumi==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert (ROOT / ".pulumi-version").read_text().strip() == sdk


def test_the_policy_pack_names_the_project_host_in_its_config():
    config = json.loads((ROOT / "policy/config.json").read_text())
    for stack in ("dev", "prod"):
        host = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]["astronomer-platform:artifactory"]["host"]
        assert {policy["artifactoryHost"] for policy in config.values()} == {host}


def test_the_end_to_end_engine_serves_the_pinned_sdks():
    from devtools import go_tools

    project = (ROOT / "pyproject.toml").read_text()
    kubernetes_sdk = re.search(r'"pulumi-kubernetes==([^"]+)"', project).group(1)
    python_sdk = re.search(r'"pulumi==([^"]+)"', project).group(1)
    # `pulumi plugin install` asks for the provider release the SDK asks the engine for.
    assert f"v{kubernetes_sdk}" == go_tools.PROVIDER_RELEASE

    def version(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.removeprefix("v").split("."))

    assert version(go_tools.PULUMI_VERSION) >= version(python_sdk)
    pulumi_module = (ROOT / "devtools/go/pulumi/go.mod").read_text()
    assert f"github.com/pulumi/pulumi/pkg/v3 {go_tools.PULUMI_VERSION}" in pulumi_module
    assert f"github.com/pulumi/pulumi/sdk/v3 {go_tools.PULUMI_VERSION}" in pulumi_module
