"""Alerting's vocabulary: severities, the per-tenant alerts a tenant may re-grade, the receivers the
platform chart defines itself, and how a receiver reads its credential from a mounted file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["critical", "warning", "info"]
ReceiverKind = Literal["email", "slack", "pagerduty", "webhook"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")

# The per-tenant alerts; a tenant's severityOverrides name these.
SCHEDULER_STALLED = "TenantSchedulerHeartbeatStalled"
SCHEDULER_LAGGING = "TenantSchedulerLagging"
TASKS_QUEUED = "TenantTasksQueuedNotRunning"
QUOTA_NEAR_CEILING = "TenantQuotaNearCeiling"
TICKET_EXPIRING = "TenantKerberosTicketExpiring"
TICKET_MANAGER_FAILING = "TenantKerberosManagerFailing"
TENANT_ALERTS = (SCHEDULER_STALLED, SCHEDULER_LAGGING, TASKS_QUEUED, QUOTA_NEAR_CEILING, TICKET_EXPIRING,
                 TICKET_MANAGER_FAILING)
MANAGER_DOWN = "KerberosTicketManagerDown"

# Receiver names the chart's Alertmanager template defines itself.
CHART_RECEIVERS = frozenset({"blackhole-receiver", "default-receiver", "platform-receiver",
                             "platform-critical-receiver", "airflow-receiver"})

# Receiver credentials: one Secret in the platform namespace, one key per receiver, mounted as files.
RECEIVER_SECRET_NAME = "alertmanager-receiver-credentials"
RECEIVER_SECRET_VOLUME = "receiver-credentials"
RECEIVER_SECRET_DIR = "/etc/alertmanager/receivers"
# The Alertmanager field that reads each kind's credential from a file (Alertmanager 0.26 and later have
# all four; the chart ships 0.28.1 on 0.37.x and 0.33.1 on 1.x and 2.x).
SECRET_FILE_FIELD: dict[ReceiverKind, str] = {
    "email": "auth_password_file", "slack": "api_url_file", "pagerduty": "routing_key_file", "webhook": "url_file",
}


@dataclass(frozen=True)
class Receiver:
    """One Alertmanager receiver: its kind, its settings in Alertmanager's field names, and whether a
    credential (from the receiver Secret) completes it."""

    name: str
    kind: ReceiverKind
    settings: Mapping[str, Any]
    has_secret: bool

    def body(self) -> dict[str, Any]:
        """The receiver without its name: ``<kind>_configs`` with one entry."""
        entry = dict(self.settings)
        if self.has_secret:
            entry[SECRET_FILE_FIELD[self.kind]] = f"{RECEIVER_SECRET_DIR}/{self.name}"
        return {f"{self.kind}_configs": [entry]}
