"""The stack's config as the program reads it from the Pulumi runtime: validated (every problem at
once, before anything is created) and with each secret a Pulumi secret output."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi.runtime import config as runtime_config

from config.errors import ConfigError, Problem
from config.secrets import (
    ARTIFACTORY_PULL_PASSWORD,
    CONNECTION_PASSWORDS,
    HOUSTON_API_KEY,
    RECEIVER_SECRETS,
    SIGN_IN_CLIENT_SECRETS,
    connection_passwords,
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
    problems: list[Problem] = []
    passwords: dict[str, dict[str, str]] = {}
    credentials: dict[str, str] = {}
    client_secrets: dict[str, str] = {}
    try:
        passwords = connection_passwords(stack, values.get(f"{PROJECT}:{CONNECTION_PASSWORDS}"))
    except ConfigError as error:
        problems += error.problems
    try:
        credentials = receiver_secrets(stack, values.get(f"{PROJECT}:{RECEIVER_SECRETS}"))
    except ConfigError as error:
        problems += error.problems
    try:
        client_secrets = sign_in_client_secrets(stack, values.get(f"{PROJECT}:{SIGN_IN_CLIENT_SECRETS}"))
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
        connection_passwords={tenant: {conn: pulumi.Output.secret(value) for conn, value in conns.items()}
                              for tenant, conns in passwords.items()},
        receiver_credentials={name: pulumi.Output.secret(value) for name, value in credentials.items()},
        sign_in_client_secrets={kind: pulumi.Output.secret(value) for kind, value in client_secrets.items()},
    )
