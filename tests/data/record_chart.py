"""Record what the real platform chart renders from the program's values: the fixtures the chart tests
compare the program with (tests/test_monitoring_chart.py, tests/test_sign_in_chart.py).

    python -m tests.data.record_chart <case> <chart directory> <chart version> <tag's commit> [helm binary]

``case`` is monitoring, sign_in, dags, data_plane or control_plane. The chart directory is the astronomer/astronomer repository at the
version's tag (``git archive v2.1.0``); the values are the program's platform values for that version with
the case's sample settings. Writes values-<version>.yaml and chart-<version>.yaml under tests/data/<case>/,
each with a header naming the command.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from components.platform_values import ChartSettings, PlaneSpec, deep_merge, platform_values
from domain.planes import CONTROL_PLANE_CA_SECRET
from tests.test_monitoring_specs import RELEASE
from tests.test_monitoring_specs import SAMPLE as MONITORING
from tests.test_sign_in_specs import SAMPLE as SIGN_IN
from vetting.helm import KUBE_VERSION

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Case:
    sample: str
    """where the sample settings are defined, for the values file's header"""
    settings: Callable[[ChartSettings], ChartSettings]
    templates: tuple[str, ...]


def base_settings(version: str) -> ChartSettings:
    return ChartSettings(
        chart_version=version, image_repository="artifactory.company.com/astronomer",
        helm_repo_url="https://artifactory.company.com/artifactory/api/helm/astronomer-helm",
        base_domain="astro.company.com", tls_secret_name="astronomer-tls",
        pool_namespaces=[t.namespace for t in MONITORING.tenants],
        control_plane_id="00000000-0000-4000-8000-000000000000",
    )


CASES = {
    "monitoring": Case("tests/test_monitoring_specs.py's SAMPLE",
                       lambda base: replace(base, monitoring=MONITORING),
                       ("charts/alertmanager/templates/alertmanager-configmap.yaml",
                        "charts/prometheus/templates/prometheus-alerts-configmap.yaml")),
    "dags": Case("both DAG deploy mechanisms besides image (dagOnly, gitSync) on",
                 lambda base: replace(base, dag_mechanisms=frozenset({"dagOnly", "gitSync"})),
                 ("charts/astronomer/templates/houston/houston-configmap.yaml",)),
    "data_plane": Case("a data plane dp01 that trusts a private CA",
                       lambda base: replace(base, plane=PlaneSpec("data", "dp01", CONTROL_PLANE_CA_SECRET)),
                       ("charts/astronomer/templates/commander/commander-deployment.yaml",
                        "charts/astronomer/templates/commander/commander-metadata-ingress.yaml")),
    "control_plane": Case("the control plane of a split platform",
                          lambda base: replace(base, plane=PlaneSpec("control")),
                          ("charts/astronomer/templates/houston/api/houston-deployment.yaml",)),
    "sign_in": Case("tests/test_sign_in_specs.py's SAMPLE",
                    lambda base: replace(base, sign_in=SIGN_IN),
                    ("charts/astronomer/templates/houston/houston-configmap.yaml",
                     "charts/astronomer/templates/houston/api/houston-deployment.yaml")),
}


def recorded(case_name: str, version: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A case's recorded values, and its render as kind -> the one object of that kind."""
    out = HERE / case_name
    values = yaml.safe_load((out / f"values-{version}.yaml").read_text())
    documents = [d for d in yaml.safe_load_all((out / f"chart-{version}.yaml").read_text()) if d]
    return values, {d["kind"]: d for d in documents}


def expected_values(case_name: str, version: str) -> dict[str, Any]:
    """What the program gives the case today (the recorded values must still be these)."""
    return platform_values(CASES[case_name].settings(base_settings(version)))


def houston_config(config_map: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The chart's own production.yaml, and what Houston reads: it with local-production.yaml (the values'
    houston.config) over it."""
    system = yaml.safe_load(config_map["data"]["production.yaml"])
    return system, deep_merge(system, yaml.safe_load(config_map["data"]["local-production.yaml"]))


def record(case_name: str, chart: Path, version: str, helm: str, commit: str) -> None:
    case, out = CASES[case_name], HERE / case_name
    values_file = out / f"values-{version}.yaml"
    values_file.write_text(f"# platform_values() for chart {version} with {case.sample}\n"
                           + yaml.safe_dump(platform_values(case.settings(base_settings(version))), sort_keys=True))
    command = [helm, "template", RELEASE, str(chart), "--namespace", "astronomer", "-f", str(values_file),
               "--kube-version", KUBE_VERSION]
    command += [arg for template in case.templates for arg in ("--show-only", template)]
    rendered = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    shown = " ".join(["helm", *command[1:3], f"<astronomer/astronomer at tag v{version}>", *command[4:7],
                      f"tests/data/{case_name}/{values_file.name}", *command[8:]])
    helm_version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True, check=True).stdout
    (out / f"chart-{version}.yaml").write_text(
        f"# Rendered by the real chart: astronomer/astronomer tag v{version} ({commit}), helm {helm_version.strip()}\n"
        f"# {shown}\n" + rendered)


if __name__ == "__main__":
    record(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[5] if len(sys.argv) > 5 else "helm", sys.argv[4])
