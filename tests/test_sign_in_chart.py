"""The sign-in values against the real platform chart at each supported line.

tests/data/sign_in/chart-<version>.yaml were rendered once by ``helm template`` of astronomer/astronomer at
each line's tag from values-<version>.yaml (the program's values with tests/test_sign_in_specs.py's SAMPLE;
each file's header names the command, ``python -m tests.data.record_chart sign_in`` records them again).
CI cannot fetch the chart, so it checks that the program still gives those values and that the chart made
of them what Houston needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.sign_in_specs import SIGN_IN_SECRET_NAME, client_secret_env, sign_in_values
from domain.chart_lines import chart_line
from tests.data.record_chart import expected_values, recorded
from tests.data.record_chart import houston_config as merged_houston_config
from tests.test_sign_in_specs import SAMPLE

DATA = Path(__file__).resolve().parent / "data" / "sign_in"
VERSIONS = ("0.37.7", "1.2.0", "2.1.0")


def rendered(version: str) -> dict[str, dict[str, Any]]:
    return recorded("sign_in", version)[1]


def houston_config(version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return merged_houston_config(rendered(version)["ConfigMap"])


@pytest.mark.parametrize("version", VERSIONS)
def test_the_recorded_values_are_what_the_program_gives(version: str):
    assert recorded("sign_in", version)[0] == expected_values("sign_in", version)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_chart_turns_the_social_logins_on_and_the_values_turn_them_off(version: str):
    system, effective = houston_config(version)
    # Why the program writes the switches: the chart's own config enables Google and GitHub.
    assert system["auth"]["openidConnect"]["google"]["enabled"] is True
    assert system["auth"]["github"]["enabled"] is True
    auth = effective["auth"]
    assert auth["openidConnect"]["google"]["enabled"] is False
    assert auth["github"]["enabled"] is False
    assert auth["local"]["enabled"] is False


@pytest.mark.parametrize("version", VERSIONS)
def test_houston_reads_the_providers_and_the_system_roles(version: str):
    _, effective = houston_config(version)
    open_id = effective["auth"]["openidConnect"]
    expected = sign_in_values(SAMPLE, chart_line(version))["config"]["auth"]["openidConnect"]
    for provider in SAMPLE.providers:
        assert open_id[provider.houston_key] == expected[provider.houston_key]
        assert "clientSecret" not in open_id[provider.houston_key]
    assert open_id["manageSystemPermissionsViaIdpGroups"] == expected["manageSystemPermissionsViaIdpGroups"]
    imported = open_id["idpGroupsImport"]["enabled"] if version.startswith("2.") else open_id["idpGroupsImportEnabled"]
    assert open_id["flow"] == "code" and imported is True


@pytest.mark.parametrize("version", VERSIONS)
def test_the_client_secrets_reach_houston_only_from_the_secret(version: str):
    container = next(c for c in rendered(version)["Deployment"]["spec"]["template"]["spec"]["containers"]
                     if c["name"] == "houston")
    env = {e["name"]: e for e in container["env"]}
    for provider in SAMPLE.providers:
        entry = env[client_secret_env(provider.houston_key)]
        assert "value" not in entry
        assert entry["valueFrom"] == {"secretKeyRef": {"name": SIGN_IN_SECRET_NAME, "key": provider.houston_key}}
    assert not [name for name, entry in env.items() if name.endswith("CLIENT_SECRET") and "value" in entry]


def test_the_recorder_names_its_command():
    for version in VERSIONS:
        header = (DATA / f"chart-{version}.yaml").read_text().splitlines()[:2]
        assert f"tag v{version}" in header[0] and header[1].startswith("# helm template astronomer ")
        assert f"tests/data/sign_in/values-{version}.yaml" in header[1]
