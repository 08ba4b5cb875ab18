"""The stack's config as the program reads it from the Pulumi runtime: validated (every problem at
once, before anything is created) and with each secret a Pulumi secret output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from config.errors import ConfigError, Problem
from config.secrets import (
    ARTIFACTORY_PULL_PASSWORD,
    CONNECTION_PASSWORDS,
    DAG_CREDENTIALS,
    HOUSTON_API_KEY,
    RECEIVER_SECRETS,
    SIGN_IN_CLIENT_SECRETS,
    connection_passwords,
    dag_credentials,
    receiver_secrets,
    sign_in_client_secrets,
)
from config.stack import StackConfig
from config.validation import PROJECT, split_config, validate


@dataclass(frozen=True)
class Secrets:
    artifactory_password: pulumi.Output[str]
    database_connection: pulumi.Output[str]
    delinea_password: pulumi.Output[str]
    houston_api_key: pulumi.Output[str] | None
    """None for a stack without tenants"""
    artifactory_pull_password: pulumi.Output[str] | None
    """the password of artifactory.pullUsername; None for a stack without tenants"""
    tls_certificate: pulumi.Output[str] | None
    tls_key: pulumi.Output[str] | None
    connection_passwords: dict[str, dict[str, pulumi.Output[str]]]
    """tenant -> connection id -> password, for the connections with ``password: true``"""
    receiver_credentials: dict[str, pulumi.Output[str]]
    """monitoring receiver -> its credential, for the receivers that need one"""
    sign_in_client_secrets: dict[str, pulumi.Output[str]]
    """signIn provider kind -> its client secret, for the providers of the code flow"""
    dag_credentials: dict[str, pulumi.Output[str]]
    """tenant -> its git-sync repository's SSH key or HTTPS token, for the tenants whose git-sync has one"""


def runtime_config_values() -> dict[str, str]:
    """Every config value the Pulumi runtime holds (``namespace:key`` -> text), of any namespace."""
    names = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {name: runtime_config.get_config(name) for name in names}


def load() -> tuple[StackConfig, Secrets]:
    """Read and validate this stack's config from the Pulumi runtime."""
    values = runtime_config_values()
    names = set(values)
    secret_keys = {name for name in names if runtime_config.is_config_secret(name)}
    raw, present, secure = split_config(values, secret_keys)
    for key in sorted(present - secure):
        pulumi.log.warn(
            f"{key} is stored unencrypted in the stack file; it is still handled as a secret, "
            f"but re-set it with `pulumi config set --secret {key}`"
        )
    stack = validate(raw, present, secure, names)
    # The JSON secrets are read once, before anything is created: all report their problems together.
    readers: dict[str, Callable[[StackConfig, str | None], dict[str, Any]]] = {
        CONNECTION_PASSWORDS: connection_passwords, RECEIVER_SECRETS: receiver_secrets,
        SIGN_IN_CLIENT_SECRETS: sign_in_client_secrets, DAG_CREDENTIALS: dag_credentials,
    }
    problems: list[Problem] = []
    parsed: dict[str, dict[str, Any]] = {}
    for key, read in readers.items():
        try:
            parsed[key] = read(stack, values.get(f"{PROJECT}:{key}"))
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)
    # require_secret/get_secret mark the value secret even when the stack file holds it unencrypted.
    config = pulumi.Config(PROJECT)
    return stack, Secrets(
        artifactory_password=config.require_secret("artifactoryPassword"),
        database_connection=config.require_secret("databaseConnection"),
        delinea_password=config.require_secret("delineaPassword"),
        houston_api_key=config.require_secret(HOUSTON_API_KEY) if stack.tenants else None,
        artifactory_pull_password=config.require_secret(ARTIFACTORY_PULL_PASSWORD) if stack.tenants else None,
        tls_certificate=config.get_secret("tlsCertificate"),
        tls_key=config.get_secret("tlsKey"),
        connection_passwords={tenant: _secret(conns) for tenant, conns in parsed[CONNECTION_PASSWORDS].items()},
        receiver_credentials=_secret(parsed[RECEIVER_SECRETS]),
        sign_in_client_secrets=_secret(parsed[SIGN_IN_CLIENT_SECRETS]),
        dag_credentials=_secret(parsed[DAG_CREDENTIALS]),
    )


def _secret(values: dict[str, str]) -> dict[str, pulumi.Output[str]]:
    return {name: pulumi.Output.secret(value) for name, value in values.items()}
