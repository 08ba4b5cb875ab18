"""The ``platform`` section: the Astronomer chart, its namespace, domain and overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, StrictBool, model_validator

from config.base import Model, PodSecurityLevel
from config.errors import FieldError
from config.rules import (
    DnsDomain,
    ExactChartVersion,
    HelmReleaseName,
    NonEmptyStr,
    Rfc1123Label,
)
from domain.chart_lines import CHART_LINES, chart_line, line_change
from domain.chart_pull_secrets import unsecreted_templates, value_at


class PodSecurity(Model):
    """Pod Security Admission labels of a namespace."""

    enforce: PodSecurityLevel
    """Pod Security level enforced: privileged, baseline or restricted"""
    audit: PodSecurityLevel
    """Pod Security level audited"""
    warn: PodSecurityLevel
    """Pod Security level warned about"""
    version: Annotated[str, Field(strict=True, pattern=r"^(latest|v1\.\d+)$")] = "latest"
    """Pod Security policy version: latest or v1.N"""


class PlatformConfig(Model):
    namespace: Rfc1123Label = "astronomer"
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
    values_overrides: dict[str, Any] = Field(default_factory=dict)
    """chart values deep-merged last (cannot disable the private registry or point an image elsewhere)"""

    @model_validator(mode="after")
    def _supported_line(self) -> PlatformConfig:
        if self.chart_line not in CHART_LINES:
            raise FieldError(
                "chartVersion",
                f"{self.chart_version!r} is not on a supported chart line "
                "(0.37.x, 1.x or 2.x)"
            )
        allowed = self.allow_downgrade_from
        if allowed is not None and not _is_line_downgrade(allowed, self.chart_version):
            raise FieldError(
                "allowDowngradeFrom",
                f"{self.allow_downgrade_from!r} is not on a chart line above chartVersion {self.chart_version!r}; "
                "it only allows leaving that exact version for a lower line: remove it",
            )
        if self.chart_path is not None:
            _check_local_chart(Path(self.chart_path), self.chart_version)
        for path in ("global.networkPolicy.enabled", "global.defaultDenyNetworkPolicy"):
            if value_at(self.values_overrides, path) is False:
                raise FieldError(
                    f"valuesOverrides.{path}",
                    "must stay true: the platform's and the deployments' network policies isolate tenants",
                )
        unsecreted = unsecreted_templates(self.values_overrides, self.chart_line, defaults=False)
        if unsecreted:
            template = unsecreted[0]
            raise FieldError(
                f"valuesOverrides.{template.gate}",
                f"turns on {template.template}, which renders a pod without the Artifactory pull "
                f"secret on chart line {self.chart_line}: its image pull fails; leave it off"
            )
        return self

    @property
    def chart_line(self) -> str:
        return chart_line(self.chart_version)


def _is_line_downgrade(deployed: str, desired: str) -> bool:
    return line_change(deployed, desired).refusal is not None


def _check_local_chart(path: Path, version: str) -> None:
    chart_file = path / "Chart.yaml"
    if not chart_file.is_file():
        raise FieldError("chartPath", f"{str(path)!r} is not a chart directory (no Chart.yaml)")
    chart: dict[str, Any] = yaml.safe_load(chart_file.read_text()) or {}
    found = str(chart.get("version"))
    if found != version:
        raise FieldError(
            "chartPath", f"the chart at {str(path)!r} is version {found}, but chartVersion is {version}"
        )
