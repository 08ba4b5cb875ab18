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
