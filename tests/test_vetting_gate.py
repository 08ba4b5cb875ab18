"""The scan gate's decision on a real trivy report (tests/data/vetting/trivy-report-demo.json: trivy 0.76.0 on
the vetting tests' image with their test database; test_vetting_mirror.py checks a fresh scan finds the same)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from vetting.exceptions import EXCEPTIONS_FILE, CveException, GatePolicy, PolicyError, load_policy, parse_policy
from vetting.gate import decide, findings

DATA = Path(__file__).parent / "data" / "vetting"
REPORT = json.loads((DATA / "trivy-report-demo.json").read_text())
SOURCE = "quay.io/astronomer/ap-houston-api:2.1.21"
TODAY = datetime.date(2026, 11, 21)


def _exception(image: str = "quay.io/astronomer/ap-houston-api", cve: str = "CVE-2099-0001",
               expires: datetime.date = TODAY) -> CveException:
    return CveException(image, cve, "not reachable: the library is never loaded by the API", expires)


def test_report_holds_the_planted_findings():
    assert [(f.cve, f.severity, f.package, f.installed, f.fixed) for f in findings(REPORT)] == [
        ("CVE-2099-0001", "HIGH", "demo-lib", "1.0-1", "1.0-2"),
        ("CVE-2099-0002", "LOW", "demo-tool", "2.0-1", "2.0-2")]


def test_finding_at_the_threshold_fails():
    verdict = decide(SOURCE, REPORT, GatePolicy("HIGH"), TODAY)
    assert not verdict.passed
    assert verdict.reasons() == ["CVE-2099-0001 HIGH in demo-lib 1.0-1, fixed in 1.0-2"]


def test_findings_below_the_threshold_pass():
    assert decide(SOURCE, REPORT, GatePolicy("CRITICAL"), TODAY).passed
    assert [f.cve for f in decide(SOURCE, REPORT, GatePolicy("LOW"), TODAY).blocking] == ["CVE-2099-0001",
                                                                                          "CVE-2099-0002"]


@pytest.mark.parametrize("image", ["quay.io/astronomer/ap-houston-api", "quay.io/astronomer/ap-houston-api:2.1.21"])
def test_exception_suppresses_until_its_last_day(image: str):
    verdict = decide(SOURCE, REPORT, GatePolicy("HIGH", (_exception(image),)), TODAY)
    assert verdict.passed
    assert [(f.cve, e.image) for f, e in verdict.excepted] == [("CVE-2099-0001", image)]


def test_expired_exception_fails_again_and_says_so():
    verdict = decide(SOURCE, REPORT, GatePolicy("HIGH", (_exception(expires=TODAY - datetime.timedelta(days=1)),)),
                     TODAY)
    assert not verdict.passed
    assert verdict.reasons() == ["CVE-2099-0001 HIGH in demo-lib 1.0-1, fixed in 1.0-2 (exception expired 2026-11-20)"]


@pytest.mark.parametrize("exception", [_exception(cve="CVE-2099-0002"),
                                       _exception(image="quay.io/astronomer/ap-commander"),
                                       _exception(image="quay.io/astronomer/ap-houston-api:2.1.20")])
def test_exception_for_another_cve_or_image_does_not_apply(exception: CveException):
    assert not decide(SOURCE, REPORT, GatePolicy("HIGH", (exception,)), TODAY).passed


def test_gate_file_parses_exceptions_with_dates():
    policy = parse_policy("severityThreshold: high\nexceptions:\n"
                          "  - {image: quay.io/astronomer/ap-redis, cve: CVE-1, reason: r, expires: 2027-01-31}\n")
    assert policy == GatePolicy("HIGH", (CveException("quay.io/astronomer/ap-redis", "CVE-1", "r",
                                                      datetime.date(2027, 1, 31)),))


@pytest.mark.parametrize(("text", "message"), [
    ("severityThreshold: SEVERE\n", "severityThreshold must be one of"),
    ("severityThreshold: HIGH\nexceptions:\n  - {image: quay.io/a/b, cve: CVE-1, expires: 2027-01-31}\n",
     r"exceptions\[0\]: missing reason"),
    ("severityThreshold: HIGH\nexceptions:\n  - {image: quay.io/a/b, cve: CVE-1, reason: r, expires: soon}\n",
     r"exceptions\[0\]\.expires: a date"),
    ("severityThreshold: HIGH\nexceptions:\n  - {image: ap-redis, cve: CVE-1, reason: r, expires: 2027-01-31}\n",
     r"exceptions\[0\]\.image: .* registry host"),
])
def test_bad_gate_file_names_the_entry(text: str, message: str):
    with pytest.raises(PolicyError, match=message):
        parse_policy(text)


def test_committed_gate_file_is_valid():
    assert load_policy(EXCEPTIONS_FILE).threshold in ("HIGH", "CRITICAL")
