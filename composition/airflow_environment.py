"""A tenant's Airflow variables and connections as its deployment reads them: its environment.

Houston replaces a deployment's environment as a whole, so this is always the complete list:
``AIRFLOW_VAR_<KEY>`` for each variable (the tenant's and the platform's), ``AIRFLOW_CONN_<ID>``
for each connection in Airflow's JSON form. A connection with a password is a secret variable,
its password from the secret ``airflowConnectionPasswords``; the rest are plain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from config.stack import StackConfig
from config.tenant import TenantConfig
from domain.environment_keys import connection_env_key, variable_env_key


@dataclass(frozen=True)
class DeploymentEnvironment:
    plain: list[tuple[str, pulumi.Input[str]]]
    """(key, value), sorted by key"""
    secret: pulumi.Output[dict[str, str]]
    """key -> value, a secret output"""


def airflow_variables(config: StackConfig, tenant: TenantConfig) -> dict[str, str]:
    """The tenant's own variables plus those the platform sets (``RESERVED_AIRFLOW_VARIABLES``, but the
    datakit image map, which holds outputs)."""
    artifactory = config.artifactory
    return {
        **tenant.airflow.variables,
        "artifactory_url": f"https://{artifactory.host}",
        "datakit_registry": artifactory.repository("datakits"),
        "environment": config.environment,
        # Where datakit pods (KubernetesPodOperator) run: the tenant's own namespace.
        "astronomer_namespace": tenant.namespace_name,
    }


def airflow_connections(tenant: TenantConfig) -> dict[str, dict[str, Any]]:
    """Connections in Airflow's JSON form (``conn_type``, ``host``, ...), without passwords."""
    connections: dict[str, dict[str, Any]] = {}
    for conn in tenant.airflow.connections:
        fields = conn.model_dump(exclude={"conn_id", "schema_", "password"}, exclude_none=True)
        if conn.schema_:
            fields["schema"] = conn.schema_
        if not conn.extra:
            del fields["extra"]
        connections[conn.conn_id] = fields
    return connections


def deployment_environment(config: StackConfig, tenant: TenantConfig, datakit_images: Mapping[str, pulumi.Input[str]],
                           passwords: Mapping[str, pulumi.Output[str]]) -> DeploymentEnvironment:
    """The tenant deployment's complete environment; ``passwords``: connection id -> password."""
    plain: dict[str, pulumi.Input[str]] = {
        variable_env_key(key): value for key, value in airflow_variables(config, tenant).items()
    }
    images: pulumi.Input[str] = "{}"
    if datakit_images:
        images = pulumi.Output.all(**dict(datakit_images)).apply(lambda resolved: json.dumps(resolved, sort_keys=True))
    plain[variable_env_key("datakit_images")] = images
    secret: dict[str, pulumi.Output[str]] = {}
    for conn_id, fields in airflow_connections(tenant).items():
        key = connection_env_key(conn_id)
        if conn_id in passwords:
            secret[key] = passwords[conn_id].apply(
                lambda password, fields=fields: json.dumps({**fields, "password": password}, sort_keys=True))
        else:
            plain[key] = json.dumps(fields, sort_keys=True)
    secret_map = pulumi.Output.secret(pulumi.Output.all(**secret)) if secret else pulumi.Output.secret({})
    return DeploymentEnvironment(sorted(plain.items()), secret_map)
