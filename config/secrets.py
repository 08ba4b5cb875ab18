"""Secret stack config: which keys are secrets, and the rules for the two that hold JSON.

Each secret is its own top-level key: ``require_object`` on a structured key that holds a
``secure:`` value returns plain text, so a secret is never accepted inside a structured key. The
Airflow connections' passwords are one top-level secret whose whole value, a JSON object
``{"<tenant>": {"<connId>": "<password>"}}``, is encrypted as one; the monitoring receivers'
credentials likewise. The program reads them as Pulumi secrets (``composition.stack_config``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

from pydantic import TypeAdapter, ValidationError

from config.errors import ConfigError, Problem
from config.rules import HttpsUrl
from config.stack import StackConfig

REQUIRED_SECRETS = ("artifactoryPassword", "databaseConnection", "delineaPassword")
HOUSTON_API_KEY = "houstonApiKey"
ARTIFACTORY_PULL_PASSWORD = "artifactoryPullPassword"
# Required once the stack has tenants, each with why. A Houston key can only be made once the platform runs,
# so the first install of a platform has none (docs/first-install.md).
TENANT_SECRETS = {
    HOUSTON_API_KEY: "their deployments are made through Houston",
    ARTIFACTORY_PULL_PASSWORD: "every tenant namespace holds the read-only pull login of artifactory.pullUsername",
}
# A pair: both or neither.
OPTIONAL_SECRETS = ("tlsCertificate", "tlsKey")
CONNECTION_PASSWORDS = "airflowConnectionPasswords"
RECEIVER_SECRETS = "alertReceiverSecrets"
SIGN_IN_CLIENT_SECRETS = "signInClientSecrets"
DAG_CREDENTIALS = "dagRepositoryCredentials"
JSON_SECRETS = (CONNECTION_PASSWORDS, RECEIVER_SECRETS, SIGN_IN_CLIENT_SECRETS, DAG_CREDENTIALS)
SECRET_KEYS = REQUIRED_SECRETS + tuple(TENANT_SECRETS) + OPTIONAL_SECRETS + JSON_SECRETS
# Set on each machine with `pulumi config set --secret`, so a stack file need not hold them: the
# offline render stands a placeholder in for each (the JSON ones then give one placeholder per entry).
PER_MACHINE_SECRETS = REQUIRED_SECRETS + tuple(TENANT_SECRETS) + JSON_SECRETS
# What each holds: the JSON schema's descriptions and the configuration reference (docs/configuration.md).
SECRET_DESCRIPTIONS = {
    "artifactoryPassword": "Artifactory password of artifactory.username (the platform's pull secret, Helm "
                           "repository, image pushes)",
    ARTIFACTORY_PULL_PASSWORD: "Artifactory password of the read-only artifactory.pullUsername, the pull secret of "
                               "every tenant namespace (required once the stack has tenants)",
    "databaseConnection": "postgres://USER:PASS@HOST:5432 of the platform database",
    "delineaPassword": "Delinea password of the ticket manager",
    HOUSTON_API_KEY: "Houston system service-account API key that manages the tenants' workspaces and deployments "
                     "(required once the stack has tenants)",
    "tlsCertificate": "PEM certificate for the base domain and its wildcard (with tlsKey)",
    "tlsKey": "PEM key of tlsCertificate",
    CONNECTION_PASSWORDS: 'JSON {"<tenant>": {"<connId>": "<password>"}} for the connections with password: true',
    RECEIVER_SECRETS: 'JSON {"<receiver>": "<credential>"}: the Slack or webhook URL, PagerDuty routing key or SMTP '
                      "password of each monitoring receiver that has one",
    SIGN_IN_CLIENT_SECRETS: 'JSON {"<provider kind>": "<client secret>"}: the client secret of each signIn provider '
                            "(the code flow)",
    DAG_CREDENTIALS: 'JSON {"<tenant>": "<credential>"}: the SSH private key (auth ssh) or HTTPS token (auth '
                     "httpsToken) of each tenant's git-sync repository",
}
# What the offline render holds instead of a secret's value (stackfile.read's placeholders).
_OFFLINE_PLACEHOLDER = re.compile(r"^\[secret( [0-9a-f]{12})?\]$")


def connection_passwords(stack: StackConfig, text: str | None) -> dict[str, dict[str, str]]:
    """Tenant -> connection id -> password, for the connections with ``password: true``, from the
    secret's text (None: not set).

    A missing or stray entry is a config error naming its path, never the value. Offline the text is
    a placeholder: each password is then that placeholder.
    """
    wanted = {(t.name, c.conn_id): f"tenants[{i}].airflow.connections[{j}]"
              for i, t in enumerate(stack.tenants) for j, c in enumerate(t.airflow.connections) if c.password}
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
    passwords: dict[str, dict[str, str]] = {}
    for (tenant, conn_id), value in sorted(values.items()):
        passwords.setdefault(tenant, {})[conn_id] = value
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


# What each kind's credential is, for the messages.
_CREDENTIAL = {"email": "SMTP password", "slack": "Slack incoming-webhook URL", "pagerduty": "PagerDuty routing key",
               "webhook": "webhook URL"}
_HTTPS_URL: TypeAdapter[str] = TypeAdapter(HttpsUrl)


def receiver_secrets(stack: StackConfig, text: str | None) -> dict[str, str]:
    """Receiver name -> its credential, for the monitoring receivers that need one, from the secret's
    text (None: not set).

    A missing, stray or malformed entry is a config error naming ``alertReceiverSecrets.<receiver>``
    and never showing the value. Offline the text is a placeholder, and each credential is that
    placeholder.
    """
    kinds = {name: receiver.kinds[0] for name, receiver in (stack.monitoring.receivers.items() if stack.monitoring
                                                             else ()) if receiver.needs_secret}
    return _keyed_secret(
        RECEIVER_SECRETS, '{"<receiver>": "<credential>"}', "names no monitoring receiver that needs a credential",
        {name: f"monitoring.receivers.{name} needs its {_CREDENTIAL[kind]}" for name, kind in kinds.items()},
        text, lambda name, value: _credential_problem(kinds[name], value))


def sign_in_client_secrets(stack: StackConfig, text: str | None) -> dict[str, str]:
    """Provider kind -> its client secret, for the sign-in providers of the code flow, from the secret's text
    (None: not set); the same rules and placeholders as ``receiver_secrets``."""
    sign_in = stack.sign_in
    kinds = [p.kind for p in sign_in.providers] if sign_in and sign_in.imports_groups else []
    return _keyed_secret(
        SIGN_IN_CLIENT_SECRETS, '{"<provider kind>": "<client secret>"}',
        "names no signIn provider of the code flow (only it sends a client secret)",
        {kind: f"signIn.providers[{index}] ({kind}) signs in with the code flow, which needs the client secret"
         for index, kind in enumerate(kinds)},
        text, lambda _, value: None if isinstance(value, str) and value and value == value.strip()
        else "is not a non-empty string without surrounding spaces (the client secret)")


def repository_auths(stack: StackConfig) -> dict[str, str]:
    """Tenant -> its git-sync's auth (ssh or httpsToken), for the tenants whose repository needs a credential."""
    return {t.name: t.dags.git_sync.auth for t in stack.tenants if t.dags.git_sync and t.dags.git_sync.has_credential}


def dag_credentials(stack: StackConfig, text: str | None) -> dict[str, str]:
    """Tenant -> its git-sync repository's credential, for the tenants whose git-sync has one, from the secret's
    text (None: not set); the same rules and placeholders as ``receiver_secrets``."""
    auths = repository_auths(stack)
    what = {"ssh": "SSH private key", "httpsToken": "HTTPS token"}
    return _keyed_secret(
        DAG_CREDENTIALS, '{"<tenant>": "<credential>"}', "names no tenant whose git-sync has a credential",
        {name: f"tenant {name}'s git-sync (auth {auth}) needs its {what[auth]}" for name, auth in auths.items()},
        text, lambda name, value: _dag_credential_problem(auths[name], value))


def _dag_credential_problem(auth: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is not a non-empty string (the repository credential)"
    if auth == "ssh" and not ("-----BEGIN" in value and "PRIVATE KEY-----" in value):
        return "is not a private key in PEM or OpenSSH form (-----BEGIN ... PRIVATE KEY-----)"
    if auth == "ssh" and "ENCRYPTED" in value:
        return "is a passphrase-protected key, which git-sync cannot use: give a deploy key without a passphrase"
    if auth == "httpsToken" and (value != value.strip() or any(c.isspace() for c in value)):
        return "is not a token (no spaces or line breaks)"
    return None


def _keyed_secret(key: str, shape: str, stray: str, wanted: Mapping[str, str], text: str | None,
                  problem: Callable[[str, Any], str | None]) -> dict[str, str]:
    """A secret whose text is a JSON object of one string per name in ``wanted`` (name -> what needs it).

    Every missing, stray or malformed entry is one problem naming ``<key>.<name>``; no value is ever shown.
    Offline the text is a placeholder, and each entry is that placeholder and its name.
    """
    if not wanted and text is None:
        return {}
    setting = f"set it with `pulumi config set --secret {key}`"
    if text is None:
        raise ConfigError([Problem(key, f"is required: {why}; {setting}") for _, why in sorted(wanted.items())])
    if _OFFLINE_PLACEHOLDER.match(text):
        return {name: f"{text} {name}" for name in sorted(wanted)}
    try:
        document: Any = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ConfigError([Problem(key, f"is not a JSON object {shape}; {setting}")])
    given = cast(dict[str, Any], document)
    problems = [Problem(f"{key}.{name}", f"{stray}; remove it") for name in sorted(given.keys() - wanted.keys())]
    problems += [Problem(f"{key}.{name}", f"is missing: {why}; {setting}")
                 for name, why in sorted(wanted.items()) if name not in given]
    problems += [Problem(f"{key}.{name}", f"(value not shown) {rule}")
                 for name in sorted(wanted) if name in given for rule in [problem(name, given[name])] if rule]
    if problems:
        raise ConfigError(problems)
    return {name: cast(str, given[name]) for name in sorted(wanted)}


def _credential_problem(kind: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        return f"is not a non-empty string without surrounding spaces (the {_CREDENTIAL[kind]})"
    if kind in ("slack", "webhook"):
        try:
            _HTTPS_URL.validate_python(value)
        except ValidationError:
            return f"is not an https:// URL with a host (the {_CREDENTIAL[kind]})"
    return None

