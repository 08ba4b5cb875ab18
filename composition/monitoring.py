"""The stack config's monitoring settings as a ``MonitoringSpec`` (components.monitoring_specs)."""

from __future__ import annotations

from components.monitoring_specs import MonitoringSpec, TenantWatch
from components.tenant import QUOTA_NAME
from config.stack import StackConfig


def monitoring_spec(stack: StackConfig) -> MonitoringSpec | None:
    """None without ``monitoring``: the chart's defaults stay."""
    monitoring = stack.monitoring
    if monitoring is None:
        return None
    tenants: list[TenantWatch] = []
    for t in stack.tenants:
        # Validation leaves a tenant without alerts only when there is a default receiver.
        receiver = t.alerts.receiver if t.alerts else monitoring.default_tenant_receiver
        if receiver is None:
            continue
        tenants.append(TenantWatch(
            name=t.name, release=t.release_name, namespace=t.namespace_name, quota_name=QUOTA_NAME,
            receiver=receiver, scheduler_replicas=t.deployment.scheduler.replicas,
            severity_overrides=dict(t.alerts.severity_overrides) if t.alerts else {},
        ))
    storage = monitoring.storage
    return MonitoringSpec(
        receivers=[receiver.spec(name) for name, receiver in sorted(monitoring.receivers.items())],
        platform_receiver=monitoring.platform_receiver,
        platform_critical_receiver=monitoring.platform_critical_receiver,
        tenants=tenants,
        platform_namespace=stack.platform.namespace,
        renew_interval_seconds=stack.kerberos.renew_interval_seconds,
        retention=monitoring.retention,
        storage_size=storage.size if storage else None,
        storage_class=storage.storage_class_name if storage else None,
    )
