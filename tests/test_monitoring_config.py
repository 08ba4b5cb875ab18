"""Monitoring config: every mistake named by its key path, the receivers' credentials kept secret end to
end (config, Secret, render), and the program's wiring (values, the Secret before the release, the render's
monitoring files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring_specs import credential_files
from config.errors import ConfigError
from config.secrets import RECEIVER_SECRETS
from domain.alerts import RECEIVER_SECRET_DIR, RECEIVER_SECRET_NAME
from offline.render import render
from stackfile.read import runtime_values
from standins import mock_engine as engine
from tests.helpers import RELEASE, ROOT, TEST_SECRETS, receiver_credentials, run_document, stack_document
from tests.test_config_validation import problems
from tests.test_offline import write_stack_file

CASES = [
    ("tenant routed to an unknown receiver", ("tenants", 1, "alerts", "receiver"), "nobody",
     "tenants[1].alerts.receiver", "'nobody' is not defined under monitoring.receivers"),
    ("unknown default receiver", ("monitoring", "defaultTenantReceiver"), "ops",
     "monitoring.defaultTenantReceiver", "'ops' is not defined under monitoring.receivers"),
    ("unknown platform receiver", ("monitoring", "platformReceiver"), "ops", "monitoring.platformReceiver",
     "'ops' is not defined under monitoring.receivers"),
    ("unknown critical receiver", ("monitoring", "platformCriticalReceiver"), "pager",
     "monitoring.platformCriticalReceiver", "'pager' is not defined"),
    ("bad e-mail", ("monitoring", "receivers", "finance-team", "email", "to", 0), "finance at company",
     "monitoring.receivers.finance-team.email.to[0]", "is not an e-mail address"),
    ("bad sender", ("monitoring", "receivers", "finance-team", "email", "from"), "<am@company.com>",
     "monitoring.receivers.finance-team.email.from", "is not an e-mail address"),
    ("smarthost without port", ("monitoring", "receivers", "finance-team", "email", "smarthost"),
     "smtp.company.com", "monitoring.receivers.finance-team.email.smarthost", "with its port"),
    ("bad PagerDuty URL", ("monitoring", "receivers", "marketing-team"), {"pagerduty": {"url": "http://pd.local"}},
     "monitoring.receivers.marketing-team.pagerduty.url", "is not an https:// URL"),
    ("bad Slack channel", ("monitoring", "receivers", "marketing-team"), {"slack": {"channel": "marketing"}},
     "monitoring.receivers.marketing-team.slack.channel", "is not a Slack channel"),
    ("two kinds in one receiver", ("monitoring", "receivers", "analytics-team"), {"webhook": {}, "slack":
     {"channel": "#a"}}, "monitoring.receivers.analytics-team", "set exactly one of"),
    ("no kind", ("monitoring", "receivers", "analytics-team"), {"sendResolved": False},
     "monitoring.receivers.analytics-team", "set exactly one of"),
    ("chart's own receiver name", ("monitoring", "receivers", "default-receiver"), {"webhook": {}},
     "monitoring.receivers.default-receiver", "a receiver name the chart defines itself"),
    ("bad retention", ("monitoring", "retention"), "two weeks", "monitoring.retention", "not a Prometheus duration"),
    ("bad storage size", ("monitoring", "storage"), {"size": "lots"}, "monitoring.storage.size",
     "Kubernetes quantity"),
    ("unknown alert in an override", ("tenants", 2, "alerts", "severityOverrides", "SchedulerSlow"), "info",
     "tenants[2].alerts.severityOverrides.SchedulerSlow", "is not one of the tenant alerts"),
    ("bad severity", ("tenants", 2, "alerts", "severityOverrides", "TenantSchedulerLagging"), "page",
     "tenants[2].alerts.severityOverrides.TenantSchedulerLagging", "'critical', 'warning' or 'info'"),
]


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    *parents, last = path
    for part in parents:
        doc = doc[part]
    if value is None:
        del doc[last]
    else:
        doc[last] = value


@pytest.mark.parametrize(("path", "value", "where", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_mistake_names_its_key(document, path, value, where, rule):
    doc = document("dev")
    _set(doc, path, value)
    found = problems(doc)
    assert any(p.startswith(f"{where}: ") and rule in p for p in found), found


def test_a_tenant_routed_to_nothing_is_refused(document):
    doc = document("dev")
    del doc["tenants"][2]["alerts"]
    assert problems(doc) == []  # the dev stack's default receiver takes them
    del doc["monitoring"]["defaultTenantReceiver"]
    assert problems(doc) == ["tenants[2].alerts: is required with monitoring: the tenant's alerts would be routed "
                             "to nothing of its own; set alerts.receiver (or monitoring.defaultTenantReceiver)"]


def test_a_tenant_without_alerts_reaches_the_default_receiver(document):
    doc = document("dev")
    del doc["tenants"][2]["alerts"]
    values = engine.reveal(run_document(doc).of_type(RELEASE)[0].inputs)["values"]
    assert values["alertmanager"]["customRoutes"][2] == {
        "receiver": "platform-team", "group_by": ["deployment", "alertname"],
        "match": {"tier": "airflow", "deployment": "analytics"}}


def test_alerts_without_monitoring_are_refused(document):
    doc = document("dev")
    del doc["monitoring"]
    # Every tenant that names a receiver is reported, in one run.
    assert problems(doc) == [f"tenants[{index}].alerts: needs monitoring: define monitoring.receivers and "
                             "monitoring.platformReceiver, or remove it" for index in range(3)]
    for tenant in doc["tenants"]:
        del tenant["alerts"]
    assert problems(doc) == []


def test_both_stacks_route_every_tenant():
    for stack in ("dev", "prod"):
        doc = stack_document(stack)
        assert all(t["alerts"]["receiver"] in doc["monitoring"]["receivers"] for t in doc["tenants"])


# --- the receivers' credentials ---------------------------------------------------------------------------

def run_with_credentials(credentials: dict[str, Any] | str | None) -> engine.Recording:
    secrets = dict(TEST_SECRETS)
    if credentials is None:
        # Not through run_document, which supplies credentials when none are given.
        return engine.run(*runtime_values(stack_document("prod"), secrets), stack="prod")
    secrets[RECEIVER_SECRETS] = credentials if isinstance(credentials, str) else json.dumps(credentials)
    return run_document(stack_document("prod"), "prod", secrets=secrets)


@pytest.mark.parametrize(("given", "expected"), [
    (None, "alertReceiverSecrets: is required: monitoring.receivers.analytics-team needs its SMTP password"),
    ("not json SECRET-VALUE", 'alertReceiverSecrets: is not a JSON object {"<receiver>": "<credential>"}'),
    ("missing", "alertReceiverSecrets.platform-pager: is missing: monitoring.receivers.platform-pager needs its "
                "PagerDuty routing key"),
    ("stray", "alertReceiverSecrets.typo-team: names no monitoring receiver that needs a credential"),
    ("bad url", "alertReceiverSecrets.marketing-team: (value not shown) is not an https:// URL with a host"),
    ("empty", "alertReceiverSecrets.finance-oncall: (value not shown) is not a non-empty string"),
])
def test_credential_mistakes_are_named_without_the_value(given, expected):
    credentials: Any = given
    good = receiver_credentials(stack_document("prod"))
    if given == "missing":
        credentials = {k: v for k, v in good.items() if k != "platform-pager"}
    elif given == "stray":
        credentials = good | {"typo-team": "SECRET-VALUE"}
    elif given == "bad url":
        credentials = good | {"marketing-team": "hooks.slack.com/SECRET-VALUE"}
    elif given == "empty":
        credentials = good | {"finance-oncall": " "}
    with pytest.raises(ConfigError) as raised:
        run_with_credentials(credentials)
    assert expected in str(raised.value)
    assert "SECRET-VALUE" not in str(raised.value)


def test_credentials_reach_alertmanager_only_through_the_secret():
    credentials = receiver_credentials(stack_document("prod"))
    recording = run_with_credentials(credentials)
    secret = next(r for r in recording.kubernetes_objects() if r.name == "astronomer-receiver-credentials")
    assert engine.reveal(secret.inputs["stringData"]) == credentials
    assert secret.inputs["metadata"]["name"] == RECEIVER_SECRET_NAME
    release = recording.of_type(RELEASE)[0]
    assert secret.urn in release.dependencies
    values_text = json.dumps(engine.reveal(release.inputs)["values"])
    assert not any(value in values_text for value in credentials.values())
    volumes = engine.reveal(release.inputs)["values"]["alertmanager"]["extraVolumes"]
    assert volumes == [{"name": "receiver-credentials", "secret": {"secretName": RECEIVER_SECRET_NAME}}]


def test_a_stack_without_monitoring_keeps_the_chart_defaults(document):
    doc = document("dev")
    del doc["monitoring"]
    for tenant in doc["tenants"]:
        del tenant["alerts"]
    recording = run_document(doc)
    values = engine.reveal(recording.of_type(RELEASE)[0].inputs)["values"]
    assert "alertmanager" not in values and "prometheus" not in values
    assert not [r for r in recording.kubernetes_objects() if "receiver-credentials" in r.name
                or "scrape-kerberos-manager" in r.name]


def test_the_render_writes_the_rules_and_the_routing_tree(tmp_path: Path):
    credentials = receiver_credentials(stack_document("prod"))
    stack = write_stack_file(tmp_path / "Pulumi.prod.yaml", stack_document("prod"),
                             extra=TEST_SECRETS | {RECEIVER_SECRETS: json.dumps(credentials)})
    assert render("prod", tmp_path / "out", stack) == 0
    out = tmp_path / "out"
    rules = yaml.safe_load((out / "monitoring/rules.yaml").read_text())
    routing = yaml.safe_load((out / "monitoring/alertmanager.yaml").read_text())
    assert [g["name"] for g in rules["groups"]] == ["airflow", "platform"]
    assert {r["labels"]["tenant"] for r in rules["groups"][0]["rules"]} == {"finance", "marketing", "analytics"}
    assert [r["receiver"] for r in routing["route"]["routes"][:3]] == ["finance-oncall", "marketing-team",
                                                                        "analytics-team"]
    assert all(path.startswith(RECEIVER_SECRET_DIR) for path in credential_files(routing))
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert not any(value.encode() in everything for value in credentials.values())
    secret = yaml.safe_load((out / f"manifests/astronomer/secret-{RECEIVER_SECRET_NAME}.yaml").read_text())
    assert secret["stringData"] == {name: engine.fingerprint(value) for name, value in credentials.items()}


def test_the_render_of_a_committed_stack_needs_no_credentials(tmp_path: Path):
    """Like the other secrets, the credentials are set per machine: the render shows placeholders."""
    assert render("prod", tmp_path / "out", ROOT / "Pulumi.prod.yaml") == 0
    secret = yaml.safe_load((tmp_path / f"out/manifests/astronomer/secret-{RECEIVER_SECRET_NAME}.yaml").read_text())
    assert sorted(secret["stringData"]) == ["analytics-team", "finance-oncall", "marketing-team", "platform-pager",
                                            "platform-team"]
    assert all(value.startswith("[secret ") for value in secret["stringData"].values())
