"""Monitoring as plain data: the alert rules this program adds, the Alertmanager routes and receivers it
puts into the platform chart's values, and the Alertmanager configuration the chart renders from them.
Pure functions, so they read and test without Pulumi, a cluster or Helm.

Chart facts (the chart's ``charts/alertmanager`` and ``charts/prometheus``, the same on 0.37.7, 1.2.0 and
2.1.0): ``prometheus.additionalAlerts.{airflow,platform}`` are block strings that go through ``tpl`` and
come first in the groups ``airflow`` and ``platform``; ``alertmanager.customRoutes`` come before the
chart's own routes; ``alertmanager.receivers.{platform,platformCritical}`` are receiver bodies without a
name; ``alertmanager.customReceiver`` are whole receivers; ``alertmanager.extraVolumes`` and
``extraVolumeMounts`` reach the Alertmanager container, which is how receiver credentials arrive as
files and stay out of the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pulumi_kubernetes.networking.v1 import NetworkPolicySpecArgsDict

from domain.alerts import (
    MANAGER_DOWN,
    QUOTA_NEAR_CEILING,
    RECEIVER_SECRET_DIR,
    RECEIVER_SECRET_NAME,
    RECEIVER_SECRET_VOLUME,
    SCHEDULER_LAGGING,
    SCHEDULER_STALLED,
    TASKS_QUEUED,
    TICKET_EXPIRING,
    TICKET_MANAGER_FAILING,
    Receiver,
    Severity,
)
from domain.tickets import RENEW_MARGIN_SECONDS

# Airflow's default scheduler_heartbeat_sec: a healthy scheduler beats this often, a slow loop later.
SCHEDULER_HEARTBEAT_SECONDS = 5
# The design notes' target: scheduler lag under a second.
SCHEDULER_LAG_TARGET_SECONDS = 1
QUOTA_WARNING_RATIO = 0.9
MANAGER_JOB = "kerberos-manager"

_DEFAULT_SEVERITY: dict[str, Severity] = {
    SCHEDULER_STALLED: "critical", SCHEDULER_LAGGING: "warning", TASKS_QUEUED: "warning",
    QUOTA_NEAR_CEILING: "warning", TICKET_EXPIRING: "critical", TICKET_MANAGER_FAILING: "warning",
}


@dataclass(frozen=True)
class TenantWatch:
    """What the rules and routes of one tenant are made of."""

    name: str
    release: str
    """its Airflow deployment's release name: the ``deployment`` label of its alerts"""
    namespace: str
    quota_name: str
    """its ResourceQuota ceiling"""
    receiver: str
    scheduler_replicas: int
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict[str, Severity])


@dataclass(frozen=True)
class MonitoringSpec:
    receivers: Sequence[Receiver]
    platform_receiver: str
    platform_critical_receiver: str | None
    tenants: Sequence[TenantWatch]
    platform_namespace: str
    renew_interval_seconds: int
    retention: str
    storage_size: str | None = None
    storage_class: str | None = None

    def receiver(self, name: str) -> Receiver:
        return next(r for r in self.receivers if r.name == name)

    @property
    def secret_receivers(self) -> list[Receiver]:
        return [r for r in self.receivers if r.has_secret]


def _rule(alert: str, expr: str, wait: str, labels: Mapping[str, str], summary: str,
          description: str) -> dict[str, Any]:
    return {"alert": alert, "expr": expr, "for": wait, "labels": dict(labels),
            "annotations": {"summary": summary, "description": description}}


def tenant_rules(tenant: TenantWatch, renew_interval_seconds: int) -> list[dict[str, Any]]:
    """The airflow-tier rules of one tenant; each carries the tenant's release as ``deployment``, the label
    the tenant's route matches."""
    def labels(alert: str, component: str) -> dict[str, str]:
        severity = tenant.severity_overrides.get(alert, _DEFAULT_SEVERITY[alert])
        return {"tier": "airflow", "component": component, "deployment": tenant.release, "tenant": tenant.name,
                "namespace": tenant.namespace, "severity": severity}

    who = f"tenant {tenant.name} (deployment {tenant.release}, namespace {tenant.namespace})"
    heartbeat = f'airflow_scheduler_heartbeat{{type="counter", deployment="{tenant.release}"}}'
    pending = f'airflow_scheduler_tasks_pending{{deployment="{tenant.release}"}}'
    quota = f'kube_resourcequota{{namespace="{tenant.namespace}", resourcequota="{tenant.quota_name}"'
    ticket = f'{{tenant="{tenant.name}"}}'
    # All schedulers feed one statsd exporter: the deployment's rate is replicas times each one's.
    lag = (f"{tenant.scheduler_replicas} / (sum(rate({heartbeat}[5m])) > 0) - {SCHEDULER_HEARTBEAT_SECONDS} "
           f"> {SCHEDULER_LAG_TARGET_SECONDS}")
    return [
        _rule(SCHEDULER_STALLED, f"sum(rate({heartbeat}[2m])) == 0", "2m", labels(SCHEDULER_STALLED, "scheduler"),
              f"The scheduler of tenant {tenant.name} has stopped heartbeating",
              f"No scheduler of {who} has sent a heartbeat for 4 minutes: no task is being scheduled."),
        _rule(SCHEDULER_LAGGING, lag, "10m", labels(SCHEDULER_LAGGING, "scheduler"),
              f"The scheduler of tenant {tenant.name} lags",
              f"The scheduler of {who} heartbeats {{{{ $value | humanize }}}} s later than every "
              f"{SCHEDULER_HEARTBEAT_SECONDS} s, above the {SCHEDULER_LAG_TARGET_SECONDS} s target, for 10 minutes: "
              "tasks start late."),
        _rule(TASKS_QUEUED, f"min_over_time({pending}[15m]) > 0", "5m", labels(TASKS_QUEUED, "scheduler"),
              f"Tasks of tenant {tenant.name} wait and do not run",
              f"{who.capitalize()} has had at least {{{{ $value }}}} tasks waiting to run, without the queue "
              "emptying, for 20 minutes: check its workers, pools and quota."),
        _rule(QUOTA_NEAR_CEILING,
              f'{quota}, type="used"}} / ignoring(type) {quota}, type="hard"}} > {QUOTA_WARNING_RATIO}', "15m",
              labels(QUOTA_NEAR_CEILING, "quota"),
              f"Tenant {tenant.name} is near its quota ceiling",
              f"{who.capitalize()} uses {{{{ $value | humanizePercentage }}}} of its {{{{ $labels.resource }}}} "
              f"ceiling ({tenant.quota_name}): new pods and workers will be refused."),
        _rule(TICKET_EXPIRING,
              f"kerberos_manager_ticket_expiry_seconds{ticket} < (kerberos_manager_last_success_timestamp_seconds"
              f"{ticket} + {renew_interval_seconds} - time()) or kerberos_manager_ticket_expiry_seconds{ticket} "
              f"< {RENEW_MARGIN_SECONDS}", "5m", labels(TICKET_EXPIRING, "kerberos"),
              f"The Kerberos ticket of tenant {tenant.name} expires before its next renewal",
              f"The Kerberos ticket of {who} expires in {{{{ $value | humanizeDuration }}}}, before the ticket "
              f"manager renews it (every {renew_interval_seconds} s): its connections will fail."),
        _rule(TICKET_MANAGER_FAILING, f"max(kerberos_manager_tenant_ready{ticket}) == 0", "10m",
              labels(TICKET_MANAGER_FAILING, "kerberos"),
              f"The Kerberos ticket manager fails for tenant {tenant.name}",
              f"The ticket manager has no fresh ticket for {who}, or its last renewal failed, for 10 minutes; "
              f"kerberos_manager_renewal_failures_total{ticket} gives the reason."),
    ]


def platform_rules() -> list[dict[str, Any]]:
    """The platform-tier rules this program adds."""
    return [_rule(MANAGER_DOWN, f'absent(up{{job="{MANAGER_JOB}"}} == 1)', "5m",
                  {"tier": "platform", "component": "kerberos-manager", "severity": "critical"},
                  "The Kerberos ticket manager is down",
                  "Prometheus has scraped no ticket manager for 5 minutes: no tenant's ticket is renewed, and all "
                  "expire within a ticket lifetime.")]


def rule_groups(spec: MonitoringSpec) -> dict[str, list[dict[str, Any]]]:
    """Chart group name -> the rules this program adds to it."""
    tenants = [rule for t in spec.tenants for rule in tenant_rules(t, spec.renew_interval_seconds)]
    return {"airflow": tenants, "platform": platform_rules()}


def tpl_escape(text: str) -> str:
    """Text that Helm's ``tpl`` renders back to ``text``: each ``{{`` becomes an action printing it."""
    return text.replace("{{", '{{ "{{" }}')


def tpl_unescape(text: str) -> str:
    """What ``tpl`` makes of text escaped by ``tpl_escape`` (the only actions this program writes)."""
    return text.replace('{{ "{{" }}', "{{")


# libyaml's emitter writes the same text several times faster: the rules grow with every tenant.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _block(rules: list[dict[str, Any]]) -> str:
    return tpl_escape(yaml.dump(rules, Dumper=_DUMPER, sort_keys=True, default_flow_style=False, width=1000))


def scrape_job(platform_namespace: str) -> dict[str, Any]:
    """The ticket manager's metrics: the chart has no job for pods of its own choosing."""
    return {
        "job_name": MANAGER_JOB,
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [platform_namespace]}}],
        "relabel_configs": [
            {"source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], "regex": MANAGER_JOB,
             "action": "keep"},
            {"source_labels": ["__meta_kubernetes_pod_container_port_name"], "regex": "health", "action": "keep"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }


def scrape_policy_spec(platform_release: str, manager_selector: Mapping[str, str],
                       port: int) -> NetworkPolicySpecArgsDict:
    """NetworkPolicy spec that lets the platform's Prometheus scrape the ticket manager (the chart's
    default-deny policy covers the platform namespace)."""
    prometheus = {"component": "prometheus", "release": platform_release}
    return {"pod_selector": {"match_labels": dict(manager_selector)}, "policy_types": ["Ingress"],
            "ingress": [{"from_": [{"pod_selector": {"match_labels": prometheus}}],
                         "ports": [{"protocol": "TCP", "port": port}]}]}


def tenant_route(tenant: TenantWatch) -> dict[str, Any]:
    return {"receiver": tenant.receiver, "group_by": ["deployment", "alertname"],
            "match": {"tier": "airflow", "deployment": tenant.release}}


def monitoring_values(spec: MonitoringSpec) -> dict[str, Any]:
    """The chart values for monitoring: rules, retention and storage (prometheus), routes and receivers
    (alertmanager). No credential is in them: receivers read theirs from the mounted Secret."""
    groups = rule_groups(spec)
    prometheus: dict[str, Any] = {
        "additionalAlerts": {name: _block(rules) for name, rules in groups.items() if rules},
        "additionalScrapeJobs": [scrape_job(spec.platform_namespace)],
        "retention": spec.retention,
    }
    persistence = {k: v for k, v in (("size", spec.storage_size), ("storageClassName", spec.storage_class)) if v}
    if persistence:
        prometheus["persistence"] = persistence
    receivers = {"platform": spec.receiver(spec.platform_receiver).body()}
    if spec.platform_critical_receiver is not None:
        receivers["platformCritical"] = spec.receiver(spec.platform_critical_receiver).body()
    tenant_receivers = sorted({t.receiver for t in spec.tenants})
    alertmanager: dict[str, Any] = {"receivers": receivers}
    if spec.tenants:
        alertmanager["customRoutes"] = [tenant_route(t) for t in spec.tenants]
        alertmanager["customReceiver"] = [{"name": n, **spec.receiver(n).body()} for n in tenant_receivers]
    if spec.secret_receivers:
        alertmanager["extraVolumes"] = [{"name": RECEIVER_SECRET_VOLUME,
                                         "secret": {"secretName": RECEIVER_SECRET_NAME}}]
        alertmanager["extraVolumeMounts"] = [{"name": RECEIVER_SECRET_VOLUME, "mountPath": RECEIVER_SECRET_DIR,
                                              "readOnly": True}]
    return {"prometheus": prometheus, "alertmanager": alertmanager}


def chart_alertmanager_config(alertmanager: Mapping[str, Any], release_name: str) -> dict[str, Any]:
    """The ``alertmanager.yaml`` that the chart's ConfigMap template renders from these alertmanager values
    (checked against ``helm template`` of the real chart: tests/test_monitoring_chart.py)."""
    chart_receivers: Mapping[str, Any] = alertmanager.get("receivers") or {}
    routes: list[dict[str, Any]] = list(alertmanager.get("customRoutes") or [])
    if chart_receivers.get("platformCritical"):
        routes.append({"receiver": "platform-critical-receiver", "continue": True,
                       "match": {"severity": "critical", "tier": "platform"}})
    routes.append({"receiver": "platform-receiver" if chart_receivers.get("platform") else "blackhole-receiver",
                   "match_re": {"tier": "platform"}})
    routes.append({"receiver": "airflow-receiver" if chart_receivers.get("airflow") else "default-receiver",
                   "group_by": ["deployment", "alertname"], "match_re": {"tier": "airflow"}})
    routes.append({"receiver": "blackhole-receiver", "match": {"silence": "cre"}})
    receivers: list[dict[str, Any]] = [
        {"name": "blackhole-receiver"},
        {"name": "default-receiver",
         "webhook_configs": [{"url": f"http://{release_name}-houston:8871/v1/alerts", "send_resolved": True}]},
    ]
    for key, name in (("platformCritical", "platform-critical-receiver"), ("platform", "platform-receiver"),
                      ("airflow", "airflow-receiver")):
        if chart_receivers.get(key):
            receivers.append({"name": name, **chart_receivers[key]})
    receivers += list(alertmanager.get("customReceiver") or [])
    return {
        "route": {"group_wait": "30s", "group_interval": "5m", "group_by": ["alertname"], "repeat_interval": "3h",
                  "receiver": "default-receiver", "routes": routes},
        "receivers": receivers,
    }


def rules_file(values: Mapping[str, Any]) -> dict[str, Any]:
    """The rule groups this program adds, as Prometheus loads them (after the chart's ``tpl``)."""
    blocks: Mapping[str, str] = values["prometheus"]["additionalAlerts"]
    return {"groups": [{"name": name, "rules": yaml.safe_load(tpl_unescape(block))} for name, block in blocks.items()]}


def credential_files(config: Mapping[str, Any]) -> list[str]:
    """Every ``*_file`` path an Alertmanager configuration reads a credential from."""
    return sorted(str(value) for receiver in config["receivers"] for key, entries in receiver.items()
                  if key.endswith("_configs") for entry in entries for name, value in entry.items()
                  if name.endswith("_file"))
