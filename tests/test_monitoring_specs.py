"""The alert rules and the routing tree, proven with the real tools: ``promtool check rules`` and
``promtool test rules`` (each alert fires on failing series and stays silent on healthy ones),
``amtool check-config`` and ``amtool config routes test`` on the Alertmanager configuration the chart
renders from the program's values."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring_specs import (
    MonitoringSpec,
    TenantWatch,
    chart_alertmanager_config,
    credential_files,
    monitoring_values,
    rules_file,
    tpl_escape,
    tpl_unescape,
)
from domain.alerts import (
    MANAGER_DOWN,
    QUOTA_NEAR_CEILING,
    RECEIVER_SECRET_DIR,
    SCHEDULER_LAGGING,
    SCHEDULER_STALLED,
    TASKS_QUEUED,
    TENANT_ALERTS,
    TICKET_EXPIRING,
    TICKET_MANAGER_FAILING,
    Receiver,
)

RENEW_SECONDS = 3600
SAMPLE = MonitoringSpec(
    receivers=[
        Receiver("platform-team", "email", {"to": "platform@company.com", "from": "am@company.com",
                                            "smarthost": "smtp.company.com:587", "auth_username": "svc-am",
                                            "require_tls": True, "send_resolved": True}, has_secret=True),
        Receiver("platform-pager", "pagerduty", {"send_resolved": True}, has_secret=True),
        Receiver("alpha-team", "slack", {"channel": "#alpha", "send_resolved": True}, has_secret=True),
        Receiver("beta-team", "webhook", {"send_resolved": True}, has_secret=True),
        Receiver("gamma-team", "email", {"to": "gamma@company.com", "from": "am@company.com",
                                         "smarthost": "relay.company.com:25", "require_tls": True,
                                         "send_resolved": True}, has_secret=False),
    ],
    platform_receiver="platform-team",
    platform_critical_receiver="platform-pager",
    tenants=[
        TenantWatch("alpha", "alpha", "airflow-alpha", "tenant-ceiling", "alpha-team", 2),
        TenantWatch("beta", "beta", "team-beta", "tenant-ceiling", "beta-team", 1,
                    {SCHEDULER_LAGGING: "info"}),
        TenantWatch("gamma", "gamma", "airflow-gamma", "tenant-ceiling", "gamma-team", 1),
    ],
    platform_namespace="astronomer",
    renew_interval_seconds=RENEW_SECONDS,
    retention="30d",
    storage_size="200Gi",
)
RELEASE = "astronomer"


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, check=False)


def alertmanager_config(spec: MonitoringSpec = SAMPLE) -> dict[str, Any]:
    return chart_alertmanager_config(monitoring_values(spec)["alertmanager"], RELEASE)


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --- values ---------------------------------------------------------------------------------------------

def test_tenant_routes_come_first_and_match_each_release():
    routes = alertmanager_config()["route"]["routes"]
    assert [r["match"] for r in routes[:3]] == [{"tier": "airflow", "deployment": t} for t in ("alpha", "beta", "gamma")]
    assert [r["receiver"] for r in routes[:3]] == ["alpha-team", "beta-team", "gamma-team"]
    assert not any(r.get("continue") for r in routes[:3])


def test_credentials_are_files_in_the_mounted_secret_and_never_values():
    values = monitoring_values(SAMPLE)["alertmanager"]
    assert values["extraVolumeMounts"][0]["mountPath"] == RECEIVER_SECRET_DIR
    files = credential_files(alertmanager_config())
    # platform-team is both the platform receiver and nobody's tenant receiver: one file each receiver.
    assert files == sorted(f"{RECEIVER_SECRET_DIR}/{name}" for name in
                           ("platform-team", "platform-pager", "alpha-team", "beta-team"))
    assert not {"api_url", "url", "routing_key", "auth_password"} & {
        key for receiver in alertmanager_config()["receivers"][2:] for key_, entries in receiver.items()
        if key_.endswith("_configs") for entry in entries for key in entry}


def test_a_receiver_without_a_credential_mounts_nothing():
    spec = MonitoringSpec([SAMPLE.receivers[4]], "gamma-team", None, [SAMPLE.tenants[2]], "astronomer", 3600, "15d")
    values = monitoring_values(spec)
    assert "extraVolumes" not in values["alertmanager"] and credential_files(alertmanager_config(spec)) == []
    assert "persistence" not in values["prometheus"]


def test_tpl_escaping_survives_tpl():
    text = "{{ $value | humanize }} of {{ $labels.resource }}"
    assert "{{ $value" not in tpl_escape(text) and tpl_unescape(tpl_escape(text)) == text


def test_severity_override_changes_only_that_tenants_alert():
    rules = rules_file(monitoring_values(SAMPLE))["groups"][0]["rules"]
    severity = {(r["labels"]["tenant"], r["alert"]): r["labels"]["severity"] for r in rules}
    assert severity[("beta", SCHEDULER_LAGGING)] == "info"
    assert severity[("alpha", SCHEDULER_LAGGING)] == "warning"
    assert {alert for _, alert in severity} == set(TENANT_ALERTS)


def test_every_rule_has_a_summary_a_description_naming_its_tenant_and_a_severity():
    for group in rules_file(monitoring_values(SAMPLE))["groups"]:
        for rule in group["rules"]:
            assert rule["annotations"]["summary"] and rule["labels"]["severity"] in ("critical", "warning", "info")
            tenant = rule["labels"].get("tenant")
            assert tenant is None or f"tenant {tenant}" in rule["annotations"]["description"].lower()


# --- promtool ---------------------------------------------------------------------------------------------

def test_promtool_check_rules(tmp_path: Path):
    rules = write_yaml(tmp_path / "rules.yaml", rules_file(monitoring_values(SAMPLE)))
    result = run("promtool", "check", "rules", rules)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 19 rules found" in result.stdout


def test_promtool_check_rules_refuses_a_broken_rule(tmp_path: Path):
    document = rules_file(monitoring_values(SAMPLE))
    document["groups"][0]["rules"][0]["expr"] = "sum(rate(airflow_scheduler_heartbeat[2m]) == 0"
    result = run("promtool", "check", "rules", write_yaml(tmp_path / "rules.yaml", document))
    assert result.returncode != 0


def _labels(tenant: str, alert: str, component: str, severity: str, namespace: str) -> dict[str, str]:
    return {"tier": "airflow", "component": component, "deployment": tenant, "tenant": tenant,
            "namespace": namespace, "severity": severity}


def _all_alerts(eval_time: str, firing: dict[str, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    firing = firing or {}
    return [{"eval_time": eval_time, "alertname": name, "exp_alerts": firing.get(name, [])}
            for name in (*TENANT_ALERTS, MANAGER_DOWN)]


def _rule_tests() -> dict[str, Any]:
    alpha = "airflow-alpha"
    quota = 'kube_resourcequota{namespace="airflow-alpha", resourcequota="tenant-ceiling", resource="cpu", type="%s"}'
    kerberos = '{job="kerberos-manager", tenant="alpha"}'
    healthy = {
        # Two schedulers, each beating every 5 s: 24 a minute reach the deployment's exporter.
        'airflow_scheduler_heartbeat{type="counter", deployment="alpha"}': "0+24x40",
        # Another tenant's stalled scheduler: its own alert, none of alpha's.
        'airflow_scheduler_heartbeat{type="counter", deployment="beta"}': "0+12x5 60x35",
        'airflow_scheduler_tasks_pending{deployment="alpha"}': "3 0 4 0 2 0 5 0 1 0 3 0 2 0 4 0 1 0 3 0 2 0 3 0 1 0 2 "
                                                               "0 4 0 1 0 3 0 2 0 1 0 2 0 1",
        quota % "used": "80x40",
        quota % "hard": "100x40",
        f"kerberos_manager_ticket_expiry_seconds{kerberos}": "35000x40",
        f"kerberos_manager_last_success_timestamp_seconds{kerberos}": "0x40",
        f"kerberos_manager_tenant_ready{kerberos}": "1x40",
        'up{job="kerberos-manager", instance="10.0.0.5:8080"}': "1x40",
    }
    failing = {
        'airflow_scheduler_heartbeat{type="counter", deployment="alpha"}': "0+24x10 240x30",
        'airflow_scheduler_tasks_pending{deployment="alpha"}': "5x40",
        quota % "used": "95x40",
        quota % "hard": "100x40",
        f"kerberos_manager_ticket_expiry_seconds{kerberos}": "200x40",
        f"kerberos_manager_last_success_timestamp_seconds{kerberos}": "0x40",
        f"kerberos_manager_tenant_ready{kerberos}": "0x40",
        'up{job="kerberos-manager", instance="10.0.0.5:8080"}': "0x40",
    }
    lagging = {
        # Two schedulers beating every 7.5 s: 16 a minute, each 2.5 s late.
        'airflow_scheduler_heartbeat{type="counter", deployment="alpha"}': "0+16x40",
        # At 40m a ticket with 1000 s left, the next renewal 3600 s after the last (at 0), 1200 s away: it
        # expires first (a KDC that caps the lifetime below the renewal interval).
        f"kerberos_manager_ticket_expiry_seconds{kerberos}": "1000x40",
        f"kerberos_manager_last_success_timestamp_seconds{kerberos}": "0x40",
        f"kerberos_manager_tenant_ready{kerberos}": "1x40",
        'up{job="kerberos-manager", instance="10.0.0.5:8080"}': "1x40",
    }
    who = "tenant alpha (deployment alpha, namespace airflow-alpha)"

    def series(values: dict[str, str]) -> list[dict[str, str]]:
        return [{"series": name, "values": text} for name, text in values.items()]

    kerberos_labels = {"job": "kerberos-manager"}
    return {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {"interval": "1m", "input_series": series(healthy), "alert_rule_test": _all_alerts("40m", {
                SCHEDULER_STALLED: [{"exp_labels": _labels("beta", SCHEDULER_STALLED, "scheduler", "critical",
                                                           "team-beta"),
                                     "exp_annotations": {
                    "summary": "The scheduler of tenant beta has stopped heartbeating",
                    "description": "No scheduler of tenant beta (deployment beta, namespace team-beta) has sent a "
                                   "heartbeat for 4 minutes: no task is being scheduled."}}],
            })},
            {"interval": "1m", "input_series": series(failing), "alert_rule_test": _all_alerts("40m", {
                SCHEDULER_STALLED: [{"exp_labels": _labels("alpha", SCHEDULER_STALLED, "scheduler", "critical", alpha),
                                     "exp_annotations": {
                    "summary": "The scheduler of tenant alpha has stopped heartbeating",
                    "description": f"No scheduler of {who} has sent a heartbeat for 4 minutes: no task is being "
                                   "scheduled."}}],
                TASKS_QUEUED: [{"exp_labels": _labels("alpha", TASKS_QUEUED, "scheduler", "warning", alpha),
                                "exp_annotations": {
                    "summary": "Tasks of tenant alpha wait and do not run",
                    "description": "Tenant alpha (deployment alpha, namespace airflow-alpha) has had at least 5 "
                                   "tasks waiting to run, without the queue emptying, for 20 minutes: check its "
                                   "workers, pools and quota."}}],
                QUOTA_NEAR_CEILING: [{"exp_labels": {**_labels("alpha", QUOTA_NEAR_CEILING, "quota", "warning", alpha),
                                                     "resource": "cpu", "resourcequota": "tenant-ceiling"},
                                      "exp_annotations": {
                    "summary": "Tenant alpha is near its quota ceiling",
                    "description": "Tenant alpha (deployment alpha, namespace airflow-alpha) uses 95% of its cpu "
                                   "ceiling (tenant-ceiling): new pods and workers will be refused."}}],
                TICKET_EXPIRING: [{"exp_labels": {**_labels("alpha", TICKET_EXPIRING, "kerberos", "critical", alpha),
                                                  **kerberos_labels},
                                   "exp_annotations": {
                    "summary": "The Kerberos ticket of tenant alpha expires before its next renewal",
                    "description": f"The Kerberos ticket of {who} expires in 3m 20s, before the ticket manager "
                                   f"renews it (every {RENEW_SECONDS} s): its connections will fail."}}],
                TICKET_MANAGER_FAILING: [{"exp_labels": _labels("alpha", TICKET_MANAGER_FAILING, "kerberos",
                                                                "warning", alpha),
                                          "exp_annotations": {
                    "summary": "The Kerberos ticket manager fails for tenant alpha",
                    "description": f"The ticket manager has no fresh ticket for {who}, or its last renewal failed, "
                                   'for 10 minutes; kerberos_manager_renewal_failures_total{tenant="alpha"} gives '
                                   "the reason."}}],
                MANAGER_DOWN: [{"exp_labels": {"tier": "platform", "component": "kerberos-manager",
                                               "severity": "critical"},
                                "exp_annotations": {
                    "summary": "The Kerberos ticket manager is down",
                    "description": "Prometheus has scraped no ticket manager for 5 minutes: no tenant's ticket is "
                                   "renewed, and all expire within a ticket lifetime."}}],
            })},
            {"interval": "1m", "input_series": series(lagging), "alert_rule_test": _all_alerts("40m", {
                SCHEDULER_LAGGING: [{"exp_labels": _labels("alpha", SCHEDULER_LAGGING, "scheduler", "warning", alpha),
                                     "exp_annotations": {
                    "summary": "The scheduler of tenant alpha lags",
                    "description": f"The scheduler of {who} heartbeats 2.5 s later than every 5 s, above the 1 s "
                                   "target, for 10 minutes: tasks start late."}}],
                TICKET_EXPIRING: [{"exp_labels": {**_labels("alpha", TICKET_EXPIRING, "kerberos", "critical", alpha),
                                                  **kerberos_labels},
                                   "exp_annotations": {
                    "summary": "The Kerberos ticket of tenant alpha expires before its next renewal",
                    "description": f"The Kerberos ticket of {who} expires in 16m 40s, before the ticket manager "
                                   f"renews it (every {RENEW_SECONDS} s): its connections will fail."}}],
            })},
        ],
    }


def test_promtool_test_rules_each_alert_fires_and_stays_silent(tmp_path: Path):
    write_yaml(tmp_path / "rules.yaml", rules_file(monitoring_values(SAMPLE)))
    tests = write_yaml(tmp_path / "tests.yaml", _rule_tests())
    result = run("promtool", "test", "rules", tests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_test_rules_catches_a_wrong_expectation(tmp_path: Path):
    """The unit tests can fail: a healthy scenario that expects the stall alert does."""
    write_yaml(tmp_path / "rules.yaml", rules_file(monitoring_values(SAMPLE)))
    document = _rule_tests()
    failing_expectations = document["tests"][1]["alert_rule_test"]
    document["tests"][0]["alert_rule_test"] = failing_expectations
    result = run("promtool", "test", "rules", write_yaml(tmp_path / "tests.yaml", document))
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr


# --- amtool -------------------------------------------------------------------------------------------------

def amtool_ready(config: dict[str, Any], directory: Path) -> Path:
    """The configuration written for the amtool of this machine, with the credential files present.

    Debian 12's amtool is Alertmanager 0.25, which predates the webhook's ``url_file`` (0.26; the chart ships
    0.28.1 and 0.33.1): for it, webhook receivers get a placeholder ``url`` instead. Every other field is
    checked as the chart renders it.
    """
    version = run("amtool", "--version").stdout + run("amtool", "--version").stderr
    old = "version 0.25." in version
    for path in credential_files(config):
        target = directory / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("https://hooks.example.invalid/credential\n")
    for receiver in config["receivers"]:
        for key, entries in receiver.items():
            if not key.endswith("_configs"):
                continue
            for entry in entries:
                for field in [f for f in entry if f.endswith("_file")]:
                    entry[field] = str(directory / entry[field].lstrip("/"))
                if key == "webhook_configs" and old and "url_file" in entry:
                    entry["url"] = "https://url-file.invalid/" + Path(entry.pop("url_file")).name
    return write_yaml(directory / "alertmanager.yaml", config)


def test_amtool_check_config(tmp_path: Path):
    result = run("amtool", "check-config", amtool_ready(alertmanager_config(), tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and " - 7 receivers" in result.stdout


def test_amtool_check_config_refuses_a_route_to_an_unknown_receiver(tmp_path: Path):
    config = alertmanager_config()
    config["route"]["routes"][0]["receiver"] = "nobody"
    result = run("amtool", "check-config", amtool_ready(config, tmp_path))
    assert result.returncode != 0 and "nobody" in result.stdout + result.stderr


def routes(config: Path, *labels: str) -> str:
    result = run("amtool", "config", "routes", "test", "--config.file", config, *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("tenant", SAMPLE.tenants, ids=lambda t: t.name)
@pytest.mark.parametrize("alert", [*TENANT_ALERTS, "AirflowSchedulerUnhealthy", "AirflowPodQuota"])
def test_each_tenant_alert_reaches_exactly_its_receiver(tmp_path: Path, tenant: TenantWatch, alert: str):
    config = amtool_ready(alertmanager_config(), tmp_path)
    assert routes(config, f"alertname={alert}", "tier=airflow", f"deployment={tenant.release}",
                  "severity=critical") == tenant.receiver


def test_platform_alerts_reach_the_platform_receivers(tmp_path: Path):
    config = amtool_ready(alertmanager_config(), tmp_path)
    assert routes(config, f"alertname={MANAGER_DOWN}", "tier=platform", "severity=critical") == \
        "platform-critical-receiver,platform-receiver"
    assert routes(config, "alertname=SchedulersNotHealthy", "tier=platform", "severity=warning") == \
        "platform-receiver"


def test_other_alerts_keep_the_charts_routes(tmp_path: Path):
    config = amtool_ready(alertmanager_config(), tmp_path)
    # A deployment no tenant owns stays with Houston's webhook, as does a kube alert without a tier.
    assert routes(config, "tier=airflow", "deployment=delta") == "default-receiver"
    assert routes(config, "alertname=KubePodCrashLooping", "namespace=airflow-alpha") == "default-receiver"


def test_the_rule_blocks_are_the_text_pythons_yaml_writes(recordings):
    # The program writes the rule blocks with libyaml's emitter, for speed: the same text as PyYAML's own.
    from components import monitoring_specs

    assert monitoring_specs._DUMPER is yaml.CSafeDumper
    for recording in recordings.values():
        (release,) = recording.of_type("kubernetes:helm.sh/v3:Release")
        for name, block in release.inputs["values"]["prometheus"]["additionalAlerts"].items():
            rules = yaml.safe_load(monitoring_specs.tpl_unescape(block))
            text = yaml.safe_dump(rules, sort_keys=True, default_flow_style=False, width=1000)
            assert block == monitoring_specs.tpl_escape(text), name
