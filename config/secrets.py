"""Secret stack config: each secret is its own top-level key, read as a Pulumi secret.

``require_object`` on a structured key that holds a ``secure:`` value returns plain text, so a
secret is never accepted inside a structured key. The Airflow connections' passwords are one
top-level secret whose whole value, a JSON object ``{"<tenant>": {"<connId>": "<password>"}}``, is
encrypted as one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, cast

import pulumi
from pulumi.runtime import config as runtime_config

from config.errors import ConfigError, Problem
from config.models import StackConfig

REQUIRED_SECRETS = ("artifactoryPassword", "databaseConnection", "delineaPassword", "houstonApiKey")
# A pair: both or neither.
OPTIONAL_SECRETS = ("tlsCertificate", "tlsKey")
CONNECTION_PASSWORDS = "airflowConnectionPasswords"
SECRET_KEYS = REQUIRED_SECRETS + OPTIONAL_SECRETS + (CONNECTION_PASSWORDS,)
# What each holds: the JSON schema's descriptions and the README's config reference.
SECRET_DESCRIPTIONS = {
    "artifactoryPassword": "Artifactory password (pull secret, Helm repository, image pushes)",
    "databaseConnection": "postgres://USER:PASS@HOST:5432 of the platform database",
    "delineaPassword": "Delinea password of the ticket manager",
    "houstonApiKey": "Houston service-account API key that manages the tenants' workspaces and deployments",
    "tlsCertificate": "PEM certificate for the base domain and its wildcard (with tlsKey)",
    "tlsKey": "PEM key of tlsCertificate",
    CONNECTION_PASSWORDS: 'JSON {"<tenant>": {"<connId>": "<password>"}} for the connections with password: true',
}
# What the offline render holds instead of a secret's value (config.stack_file's placeholders).
_OFFLINE_PLACEHOLDER = re.compile(r"^\[secret( [0-9a-f]{12})?\]$")


@dataclass(frozen=True)
class Secrets:
    artifactory_password: pulumi.Output[str]
    database_connection: pulumi.Output[str]
    delinea_password: pulumi.Output[str]
    houston_api_key: pulumi.Output[str]
    tls_certificate: pulumi.Output[str] | None
    tls_key: pulumi.Output[str] | None

    @classmethod
    def from_config(cls, config: pulumi.Config) -> Secrets:
        # require_secret/get_secret mark the value secret even when the stack file holds it
        # unencrypted.
        return cls(
            artifactory_password=config.require_secret("artifactoryPassword"),
            database_connection=config.require_secret("databaseConnection"),
            delinea_password=config.require_secret("delineaPassword"),
            houston_api_key=config.require_secret("houstonApiKey"),
            tls_certificate=config.get_secret("tlsCertificate"),
            tls_key=config.get_secret("tlsKey"),
        )


def connection_passwords(stack: StackConfig, project: str) -> dict[str, dict[str, pulumi.Output[str]]]:
    """Tenant -> connection id -> password (secret), for the connections with ``password: true``.

    Reads the secret once, before anything is created, so a missing or stray entry is a config
    error naming its path. Offline the value is a placeholder: each password is then that
    placeholder, secret like the real one.
    """
    wanted = {(t.name, c.conn_id): f"tenants[{i}].airflow.connections[{j}]"
              for i, t in enumerate(stack.tenants) for j, c in enumerate(t.airflow.connections) if c.password}
    text = runtime_config.get_config(f"{project}:{CONNECTION_PASSWORDS}")
    if not wanted and text is None:
        return {}
    setting = f"set it with `pulumi config set --secret {CONNECTION_PASSWORDS}`"
    if text is None:
        raise ConfigError([Problem(CONNECTION_PASSWORDS, f"is required: {where} has password: true; {setting}")
                           for where in sorted(wanted.values())])
    if _OFFLINE_PLACEHOLDER.match(text):
        values = {key: f"{text} {key[0]}.{key[1]}" for key in wanted}
    else:
        values = _parse(text, wanted, setting)
    passwords: dict[str, dict[str, pulumi.Output[str]]] = {}
    for (tenant, conn_id), value in sorted(values.items()):
        passwords.setdefault(tenant, {})[conn_id] = pulumi.Output.secret(value)
    return passwords


def _parse(text: str, wanted: dict[tuple[str, str], str], setting: str) -> dict[tuple[str, str], str]:
    try:
        document: Any = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not all(isinstance(v, dict) for v in cast(dict[str, Any], document).values()):
        # Never echo the value: it is a secret.
        raise ConfigError([Problem(CONNECTION_PASSWORDS, 'is not a JSON object {"<tenant>": {"<connId>": '
                                   f'"<password>"}}; {setting}')])
    given = {(tenant, conn_id): value for tenant, conns in cast(dict[str, dict[str, Any]], document).items()
             for conn_id, value in conns.items()}
    problems = [Problem(f"{CONNECTION_PASSWORDS}.{tenant}.{conn_id}",
                        "names no connection with password: true; remove it or set password: true on the connection")
                for tenant, conn_id in sorted(given.keys() - wanted.keys())]
    problems += [Problem(f"{CONNECTION_PASSWORDS}.{tenant}.{conn_id}", f"is missing: {wanted[(tenant, conn_id)]} has "
                         f"password: true; {setting}") for tenant, conn_id in sorted(wanted.keys() - given.keys())]
    problems += [Problem(f"{CONNECTION_PASSWORDS}.{tenant}.{conn_id}", "is not a non-empty string")
                 for (tenant, conn_id), value in sorted(given.items())
                 if (tenant, conn_id) in wanted and not (isinstance(value, str) and value)]
    if problems:
        raise ConfigError(problems)
    return {key: cast(str, given[key]) for key in wanted}
