"""Changing a stack's chart line: a downgrade is refused unless allowed, an upgrade prints its guide."""

from __future__ import annotations

import json
import logging

import pytest

from components.chart_upgrade import CHART_VERSION_OUTPUT
from config.errors import ConfigError
from config.secrets import REQUIRED_SECRETS, TENANT_SECRETS
from config.validation import validate
from domain.chart_lines import GUIDES, line_change
from offline import diff
from standins import mock_engine as engine
from tests.helpers import runtime_config

OWN_STACK = "organization/astronomer-platform/dev"


@pytest.mark.parametrize(("deployed", "desired"), [(None, "2.1.0"), ("2.1.0", "2.1.0"), ("2.0.3", "2.1.0"),
                                                   ("2.1.0", "2.0.3"), ("1.2.0", "1.1.4")])
def test_no_change_of_line_says_nothing(deployed, desired):
    assert line_change(deployed, desired) == line_change(None, desired)
    assert line_change(deployed, desired).refusal is None and line_change(deployed, desired).notes is None


@pytest.mark.parametrize(("deployed", "desired"), [("2.1.0", "1.2.0"), ("2.1.0", "0.37.7"), ("1.2.0", "0.37.7")])
def test_a_lower_line_is_refused_unless_that_exact_version_is_allowed(deployed, desired):
    refused = line_change(deployed, desired)
    assert refused.refusal is not None and refused.refusal.startswith(f"platform.chartVersion: {desired} is on line")
    assert f'platform.allowDowngradeFrom: "{deployed}"' in refused.refusal
    assert line_change(deployed, desired, allow_downgrade_from="2.0.0").refusal is not None
    allowed = line_change(deployed, desired, allow_downgrade_from=deployed)
    assert allowed.refusal is None and allowed.notes is not None and "downgrade" in allowed.notes


@pytest.mark.parametrize(("deployed", "desired"), [("0.37.7", "1.2.0"), ("0.37.7", "2.1.0"), ("1.2.0", "2.1.0")])
def test_a_higher_line_prints_its_guide(deployed, desired):
    change = line_change(deployed, desired)
    guide = GUIDES[(deployed.split(".")[0] if deployed[0] != "0" else "0.37", desired.split(".")[0])]
    assert change.refusal is None and change.notes is not None
    assert guide.url in change.notes and all(step in change.notes for step in guide.steps)


def _problems(document) -> list[str]:
    try:
        validate(document, {*REQUIRED_SECRETS, *TENANT_SECRETS}, {*REQUIRED_SECRETS, *TENANT_SECRETS})
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


def test_allow_downgrade_from_must_name_a_higher_line(document):
    doc = document("dev")
    doc["platform"]["allowDowngradeFrom"] = "2.0.3"  # the same line as chartVersion 2.1.0
    assert any(p.startswith("platform.allowDowngradeFrom: '2.0.3' is not on a chart line above chartVersion")
               for p in _problems(doc))
    doc["platform"]["chartVersion"] = "1.2.0"
    assert _problems(doc) == []


def run(document, deployed: str | None) -> engine.Recording:
    config, secret_keys = runtime_config(document)
    outputs = {OWN_STACK: {CHART_VERSION_OUTPUT: deployed}} if deployed else {}
    return engine.run(config, secret_keys, stack="dev", stack_outputs=outputs)


def test_the_program_exports_the_chart_version_it_installs(recordings):
    assert recordings["dev"].outputs[CHART_VERSION_OUTPUT] == "2.1.0"


def test_the_program_refuses_a_downgrade_before_the_release(document):
    doc = document("dev")
    doc["platform"]["chartVersion"] = "1.2.0"
    with pytest.raises(Exception, match=r"platform.chartVersion: 1.2.0 is on line 1, below the deployed 2.1.0") as caught:
        run(doc, deployed="2.1.0")
    registered = {r.type for r in caught.value.recording.resources}  # type: ignore[attr-defined]
    assert "kubernetes:helm.sh/v3:Release" not in registered


def test_an_allowed_downgrade_runs_and_warns(document, caplog):
    doc = document("dev")
    doc["platform"]["chartVersion"] = "1.2.0"
    doc["platform"]["allowDowngradeFrom"] = "2.1.0"
    with caplog.at_level(logging.WARNING):
        recording = run(doc, deployed="2.1.0")
    assert recording.of_type("kubernetes:helm.sh/v3:Release")
    assert any("a downgrade of the chart line, allowed by platform.allowDowngradeFrom" in r.message
               for r in caplog.records)


@pytest.mark.parametrize(("deployed", "warned"), [("0.37.7", True), ("2.1.0", False), (None, False)])
def test_the_program_prints_the_upgrade_guide_on_a_change_of_line(document, caplog, deployed, warned):
    with caplog.at_level(logging.WARNING):
        run(document("dev"), deployed=deployed)
    guide = GUIDES[("0.37", "2")]
    assert any(guide.url in r.message for r in caplog.records) is warned


def _render(tmp_path, side: str, version: str):
    folder = tmp_path / side
    folder.mkdir()
    release = {"type": "kubernetes:helm.sh/v3:Release", "name": "astronomer-release", "aliases": [],
               "urn": "urn:pulumi:dev::astronomer-platform::kubernetes:helm.sh/v3:Release::astronomer-release",
               "inputs": {"name": "astronomer", "version": version}}
    (folder / "plan.json").write_text(json.dumps([release]))
    return folder


@pytest.mark.parametrize(("base", "head", "expected"), [
    ("2.1.0", "1.2.0", "> **Chart line: refused by the program** unless allowed: platform.chartVersion: 1.2.0"),
    ("1.2.0", "2.1.0", f"> **Chart line**: chart 1.2.0 -> 2.1.0 upgrades line 1 to 2 ({GUIDES[('1', '2')].url})"),
])
def test_the_pull_request_diff_shows_the_verdict_on_a_change_of_line(tmp_path, base, head, expected):
    report = diff.markdown([diff.diff_render("dev", _render(tmp_path, "base", base), _render(tmp_path, "head", head))])
    assert expected in report
    assert "`version`: `\"" + base + "\"` → `\"" + head + "\"`" in report


def test_the_diff_says_nothing_about_the_line_within_one(tmp_path):
    report = diff.markdown([diff.diff_render("dev", _render(tmp_path, "base", "2.0.3"), _render(tmp_path, "head", "2.1.0"))])
    assert "Chart line" not in report
