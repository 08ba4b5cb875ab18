"""Record what the real platform chart renders from the program's monitoring values (the fixtures that
tests/test_monitoring_chart.py compares the Python rendering with).

    python -m tests.data.monitoring.record_chart <chart directory> <chart version> <tag's commit> [helm binary]

The chart directory is the astronomer/astronomer repository at the version's tag (``git archive v2.1.0``);
the values are the program's platform values for that version with the tests' sample monitoring.
Writes values-<version>.yaml and chart-<version>.yaml here, each with a header naming the command.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from components.platform_values import ChartSettings, platform_values
from tests.test_monitoring_specs import RELEASE, SAMPLE
from vetting.helm import KUBE_VERSION

HERE = Path(__file__).resolve().parent
TEMPLATES = ("charts/alertmanager/templates/alertmanager-configmap.yaml",
             "charts/prometheus/templates/prometheus-alerts-configmap.yaml")


def settings(version: str) -> ChartSettings:
    return ChartSettings(
        chart_version=version, image_repository="artifactory.company.com/astronomer",
        helm_repo_url="https://artifactory.company.com/artifactory/api/helm/astronomer-helm",
        base_domain="astro.company.com", tls_secret_name="astronomer-tls",
        pool_namespaces=[t.namespace for t in SAMPLE.tenants],
        control_plane_id="00000000-0000-4000-8000-000000000000", monitoring=SAMPLE,
    )


def record(chart: Path, version: str, helm: str, commit: str) -> None:
    values_file = HERE / f"values-{version}.yaml"
    values_file.write_text(f"# platform_values() for chart {version} with tests/test_monitoring_specs.py's SAMPLE\n"
                           + yaml.safe_dump(platform_values(settings(version)), sort_keys=True))
    command = [helm, "template", RELEASE, str(chart), "--namespace", "astronomer", "-f", str(values_file),
               "--kube-version", KUBE_VERSION]
    command += [arg for template in TEMPLATES for arg in ("--show-only", template)]
    rendered = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    shown = " ".join(["helm", *command[1:3], f"<astronomer/astronomer at tag v{version}>", *command[4:7],
                      f"tests/data/monitoring/{values_file.name}", *command[8:]])
    helm_version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True, check=True).stdout
    (HERE / f"chart-{version}.yaml").write_text(
        f"# Rendered by the real chart: astronomer/astronomer tag v{version} ({commit}), helm {helm_version.strip()}\n"
        f"# {shown}\n" + rendered)


if __name__ == "__main__":
    record(Path(sys.argv[1]), sys.argv[2], sys.argv[4] if len(sys.argv) > 4 else "helm", sys.argv[3])
