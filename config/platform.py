"""The ``platform`` section: the Astronomer chart, its namespace, domain and overrides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import yaml
from pydantic import Field, StrictBool

from config.base import Issue, Model, PodSecurityLevel, rule
from config.plain_values import numbers_in_range
from config.rules import (
    DnsDomain,
    ExactChartVersion,
    HelmReleaseName,
    NamespaceName,
    NonEmptyStr,
    Rfc1123Label,
    Rule,
)
from domain.chart_lines import CHART_LINES, chart_line, line_change
from domain.chart_pull_secrets import UNSET, unsecreted_templates, value_at

PodSecurityVersion = Annotated[str, Field(strict=True), Rule(
    "is not a Pod Security policy version: 'latest' or a Kubernetes minor version such as 'v1.33'",
    pattern=r"latest|v1\.[0-9]{1,3}",
)]

# Values the program sets that isolate tenants: an override may repeat them but not change them. Go templates
# read false, 0, "", null and empty maps alike as false, and Helm deletes a key set to null, so anything but
# the value itself (at the key, or in place of a mapping above it) turns the feature off.
REQUIRED_VALUES = {
    "global.networkPolicy.enabled": (True, "the platform's and the deployments' network policies isolate tenants"),
    "global.defaultDenyNetworkPolicy": (True, "the default-deny policy isolates tenants"),
}


class PodSecurity(Model):
    """Pod Security Admission labels of a namespace."""

    enforce: PodSecurityLevel
    """Pod Security level enforced: privileged, baseline or restricted"""
    audit: PodSecurityLevel
    """Pod Security level audited"""
    warn: PodSecurityLevel
    """Pod Security level warned about"""
    version: PodSecurityVersion = "latest"
    """Pod Security policy version: latest or v1.N"""


class PlatformConfig(Model):
    namespace: NamespaceName = "astronomer"
    """namespace of the platform release"""
    release_name: HelmReleaseName = "astronomer"
    """Helm release name of the platform"""
    chart_version: ExactChartVersion
    """exact chart version, e.g. 2.1.0 (lines 0.37.x, 1.x, 2.x)"""
    allow_downgrade_from: ExactChartVersion | None = None
    """the deployed chart version a downgrade to a lower chart line may leave (unsupported by Astronomer)"""
    chart_path: NonEmptyStr | None = None
    """local chart directory instead of the Helm repository (air-gapped installs, tests)"""
    base_domain: DnsDomain
    """DNS domain the platform serves, e.g. astro.company.com"""
    tls_secret_name: Rfc1123Label = "astronomer-tls"
    """TLS Secret for the base domain and its wildcard"""
    # The platform runs log collectors and exporters with host access: privileged by default.
    pod_security: PodSecurity = PodSecurity(enforce="privileged", audit="baseline", warn="baseline")
    """Pod Security labels of the platform namespace"""
    protect_namespace: StrictBool = False
    """refuse to delete the platform namespace"""
    plane_mode: Literal["unified", "control"] = "unified"
    """what the platform's cluster runs with dataPlanes: unified (Houston and the tenants without a data plane)
    or control (Houston only; every tenant on a data plane)"""
    values_overrides: dict[str, Any] = Field(default_factory=dict)
    """chart values deep-merged last (cannot disable the network policies or the private registry, or point an
    image elsewhere)"""

    @rule
    def _supported_line(self) -> Iterator[Issue]:
        if self.chart_line not in CHART_LINES:
            yield Issue("chartVersion", f"{self.chart_version!r} is not on a supported chart line (0.37.x, 1.x or 2.x)")

    @rule
    def _downgrade_names_a_higher_line(self) -> Iterator[Issue]:
        allowed = self.allow_downgrade_from
        if allowed is not None and not _is_line_downgrade(allowed, self.chart_version):
            yield Issue("allowDowngradeFrom", f"{allowed!r} is not on a chart line above chartVersion "
                        f"{self.chart_version!r}; it only allows leaving that exact version for a lower line: "
                        "remove it")

    @rule
    def _local_chart_matches(self) -> Iterator[Issue]:
        if self.chart_path is not None:
            yield from _check_local_chart(Path(self.chart_path), self.chart_version)

    @rule
    def _isolation_values_stay(self) -> Iterator[Issue]:
        for path, (required, why) in REQUIRED_VALUES.items():
            parts = path.split(".")
            for depth in range(1, len(parts) + 1):
                here = ".".join(parts[:depth])
                value = value_at(self.values_overrides, here)
                if value is UNSET:
                    break
                leaf = depth == len(parts)
                if (leaf and value is not required) or (not leaf and not isinstance(value, dict)):
                    shown = "" if leaf else " (null deletes it in Helm, any other value replaces it)"
                    yield Issue(f"valuesOverrides.{here}", f"must stay {'true' if leaf else 'a mapping'}{shown}: "
                                f"{why} (Go templates read false, 0, \"\" and null alike as false)")
                    break

    @rule
    def _numbers_in_range(self) -> Iterator[Issue]:
        yield from numbers_in_range(self.values_overrides, "valuesOverrides")

    @rule
    def _no_pod_without_pull_secret(self) -> Iterator[Issue]:
        for template in unsecreted_templates(self.values_overrides, self.chart_line, defaults=False):
            yield Issue(f"valuesOverrides.{template.gate}",
                        f"turns on {template.template}, which renders a pod without the Artifactory pull "
                        f"secret on chart line {self.chart_line}: its image pull fails; leave it off")

    @property
    def chart_line(self) -> str:
        return chart_line(self.chart_version)


def _is_line_downgrade(deployed: str, desired: str) -> bool:
    return line_change(deployed, desired).refusal is not None


def _check_local_chart(path: Path, version: str) -> Iterator[Issue]:
    chart_file = path / "Chart.yaml"
    if not chart_file.is_file():
        yield Issue("chartPath", f"{str(path)!r} is not a chart directory (no Chart.yaml)")
        return
    try:
        chart: Any = yaml.safe_load(chart_file.read_text()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        yield Issue("chartPath", f"{str(chart_file)!r} cannot be read as YAML")
        return
    found = str(cast(dict[str, Any], chart).get("version")) if isinstance(chart, dict) else None
    if found != version:
        yield Issue("chartPath", f"the chart at {str(path)!r} is version {found}, but chartVersion is {version}")
