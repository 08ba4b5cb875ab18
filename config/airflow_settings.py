"""A tenant's Airflow variables and connections as its deployment reads them, from the stack config."""

from __future__ import annotations

from typing import Any

from config.models import StackConfig, TenantConfig


def airflow_variables(config: StackConfig, tenant: TenantConfig) -> dict[str, str]:
    """The tenant's own variables plus those the platform sets (``RESERVED_AIRFLOW_VARIABLES``)."""
    artifactory = config.artifactory
    return {
        **tenant.airflow.variables,
        "artifactory_url": f"https://{artifactory.host}",
        "datakit_registry": artifactory.repository("datakits"),
        "environment": config.environment,
        "astronomer_namespace": config.platform.namespace,
    }


def airflow_connections(tenant: TenantConfig) -> dict[str, dict[str, Any]]:
    """Connections in the JSON layout of Airflow's local-filesystem secrets backend."""
    connections: dict[str, dict[str, Any]] = {}
    for conn in tenant.airflow.connections:
        fields = conn.model_dump(exclude={"conn_id", "schema_"}, exclude_none=True)
        if conn.schema_:
            fields["schema"] = conn.schema_
        if not conn.extra:
            del fields["extra"]
        connections[conn.conn_id] = fields
    return connections
