"""The Python rendering of the chart's monitoring templates against the real chart.

tests/data/monitoring/chart-<version>.yaml were rendered once by ``helm template`` of the real
astronomer/astronomer chart at each supported line's tag from values-<version>.yaml (the program's
values with the sample monitoring of test_monitoring_specs; the header of each file names the command).
CI cannot fetch the chart, so it checks that the program still produces those values, and that
``chart_alertmanager_config`` and ``rules_file`` give what the chart gave.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring_specs import chart_alertmanager_config, monitoring_values, rules_file
from tests.test_monitoring_specs import RELEASE, SAMPLE, run, write_yaml

DATA = Path(__file__).resolve().parent / "data" / "monitoring"
VERSIONS = ("0.37.7", "1.2.0", "2.1.0")


def chart_output(version: str) -> dict[str, dict[str, Any]]:
    """ConfigMap name -> its data, from the recorded ``helm template``."""
    documents = [d for d in yaml.safe_load_all((DATA / f"chart-{version}.yaml").read_text()) if d]
    return {d["metadata"]["name"]: d["data"] for d in documents}


def recorded_values(version: str) -> dict[str, Any]:
    return yaml.safe_load((DATA / f"values-{version}.yaml").read_text())


@pytest.mark.parametrize("version", VERSIONS)
def test_the_recorded_values_are_what_the_program_gives(version: str):
    values = recorded_values(version)
    assert {k: values[k] for k in ("prometheus", "alertmanager")} == monitoring_values(SAMPLE)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_alertmanager_config_is_what_the_chart_renders(version: str):
    rendered = yaml.safe_load(chart_output(version)[f"{RELEASE}-alertmanager"]["alertmanager.yaml"])
    assert chart_alertmanager_config(recorded_values(version)["alertmanager"], RELEASE) == rendered


@pytest.mark.parametrize("version", VERSIONS)
def test_the_rules_come_first_in_the_charts_groups(version: str):
    groups = {g["name"]: g["rules"] for g in yaml.safe_load(chart_output(version)[f"{RELEASE}-prometheus-alerts"]
                                                              ["alerts"])["groups"]}
    ours = rules_file(recorded_values(version))["groups"]
    assert [g["name"] for g in ours] == ["airflow", "platform"]
    for group in ours:
        assert groups[group["name"]][:len(group["rules"])] == group["rules"]
        # The chart's own rules follow.
        assert len(groups[group["name"]]) > len(group["rules"])


@pytest.mark.parametrize("version", VERSIONS)
def test_promtool_checks_every_group_the_chart_renders(tmp_path: Path, version: str):
    alerts = yaml.safe_load(chart_output(version)[f"{RELEASE}-prometheus-alerts"]["alerts"])
    path = write_yaml(tmp_path / "alerts.yaml", alerts)
    # 0.37.7's own kube rules hold duplicates (KubeCPUOvercommit, KubeMemOvercommit), which the linter flags.
    lint = ["--lint=none"] if version == "0.37.7" else []
    result = run("promtool", "check", "rules", *lint, path)
    assert result.returncode == 0, result.stdout + result.stderr
    ours = sum(len(g["rules"]) for g in rules_file(recorded_values(version))["groups"])
    found = int(result.stdout.split("SUCCESS: ")[1].split(" rules")[0])
    assert found > ours


def test_the_recorder_names_its_command():
    for version in VERSIONS:
        header = (DATA / f"chart-{version}.yaml").read_text().splitlines()[:2]
        assert f"tag v{version}" in header[0] and header[1].startswith("# helm template astronomer ")
        assert f"values-{version}.yaml" in header[1]

