"""The scan gate's decision on one trivy JSON report: findings at or above the threshold fail, unless a
reviewed exception for that image and CVE has not expired yet."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, cast

from vetting.exceptions import SEVERITIES, CveException, GatePolicy


@dataclass(frozen=True, order=True)
class Finding:
    cve: str
    severity: str
    package: str
    installed: str
    fixed: str

    def __str__(self) -> str:
        fix = f", fixed in {self.fixed}" if self.fixed else ", no fix"
        return f"{self.cve} {self.severity} in {self.package} {self.installed}{fix}"


@dataclass(frozen=True)
class Verdict:
    blocking: tuple[Finding, ...] = ()
    excepted: tuple[tuple[Finding, CveException], ...] = ()
    expired: tuple[tuple[Finding, CveException], ...] = field(default_factory=tuple[tuple[Finding, CveException], ...])
    """blocking findings whose exception has run out (also in ``blocking``)"""

    @property
    def passed(self) -> bool:
        return not self.blocking

    def reasons(self) -> list[str]:
        expired = {finding: exception for finding, exception in self.expired}
        return [f"{finding} (exception expired {expired[finding].expires})" if finding in expired else str(finding)
                for finding in self.blocking]


def findings(report: dict[str, Any]) -> list[Finding]:
    """Every vulnerability in a trivy JSON report (``--format json``), once."""
    found: set[Finding] = set()
    for result in cast(list[dict[str, Any]], report.get("Results") or []):
        for vulnerability in cast(list[dict[str, Any]], result.get("Vulnerabilities") or []):
            found.add(Finding(str(vulnerability["VulnerabilityID"]), str(vulnerability.get("Severity", "UNKNOWN")),
                              str(vulnerability.get("PkgName", "")), str(vulnerability.get("InstalledVersion", "")),
                              str(vulnerability.get("FixedVersion", ""))))
    return sorted(found)


def decide(source: str, report: dict[str, Any], policy: GatePolicy, today: datetime.date) -> Verdict:
    floor = SEVERITIES.index(policy.threshold)
    blocking: list[Finding] = []
    excepted: list[tuple[Finding, CveException]] = []
    expired: list[tuple[Finding, CveException]] = []
    for finding in findings(report):
        level = SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else 0
        if level < floor:
            continue
        exception = next((e for e in policy.exceptions if e.covers(source, finding.cve)), None)
        if exception is not None and today <= exception.expires:
            excepted.append((finding, exception))
            continue
        blocking.append(finding)
        if exception is not None:
            expired.append((finding, exception))
    return Verdict(tuple(blocking), tuple(excepted), tuple(expired))
