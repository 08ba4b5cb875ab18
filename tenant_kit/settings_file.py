"""``airflow_settings.yaml`` in the Astro CLI's own field names, from the deployment's environment.

Every ``AIRFLOW_VAR_*`` and ``AIRFLOW_CONN_*`` variable the program sends becomes one entry, and an
environment variable the kit cannot map is an error rather than a silent gap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from composition.airflow_environment import airflow_connections, airflow_variables
from config.stack import StackConfig
from config.tenant import TenantConfig
from domain.environment_keys import RESERVED_AIRFLOW_VARIABLES, connection_env_key, variable_env_key
from tenant_kit.astro_cli import SETTINGS, check
from tenant_kit.environment import ResolvedEnvironment
from tenant_kit.errors import KitError

# Airflow's JSON connection fields -> the CLI's settings fields (settings/types.go `Connection`).
CONNECTION_FIELDS = {
    "conn_type": "conn_type", "host": "conn_host", "schema": "conn_schema", "login": "conn_login",
    "password": "conn_password", "port": "conn_port", "extra": "conn_extra",
}
# Fields Airflow takes that the CLI's settings file has no place for: left out, and the kit's README says so.
UNCARRIED_FIELDS = frozenset({"description"})


@dataclass(frozen=True)
class Settings:
    document: dict[str, Any]
    """the airflow_settings.yaml document"""
    uncarried: list[str]
    """`<conn_id>.<field>` of connection fields the CLI cannot take"""


def settings(config: StackConfig, tenant: TenantConfig, environment: ResolvedEnvironment) -> Settings:
    env = environment.all
    names = sorted(set(airflow_variables(config, tenant)) | RESERVED_AIRFLOW_VARIABLES)
    variables = [{"variable_name": name, "variable_value": env[variable_env_key(name)]} for name in names]
    connections: list[dict[str, Any]] = []
    uncarried: list[str] = []
    for conn_id in sorted(airflow_connections(tenant)):
        fields: dict[str, Any] = json.loads(env[connection_env_key(conn_id)])
        entry: dict[str, Any] = {"conn_id": conn_id}
        for field, value in sorted(fields.items()):
            if field in CONNECTION_FIELDS:
                entry[CONNECTION_FIELDS[field]] = value
            elif field in UNCARRIED_FIELDS:
                uncarried.append(f"{conn_id}.{field}")
            else:
                raise KitError(f"connection {conn_id}: field {field!r} has no place in airflow_settings.yaml")
        connections.append(entry)
    mapped = {variable_env_key(name) for name in names} | {connection_env_key(c["conn_id"]) for c in connections}
    unmapped = sorted(set(env) - mapped)
    if unmapped:
        raise KitError(f"the deployment's environment has {', '.join(unmapped)}, which the kit does not map")
    document = {"airflow": {"connections": connections, "pools": [], "variables": variables}}
    check(SETTINGS, document)
    return Settings(document, uncarried)
