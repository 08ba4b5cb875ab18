"""The names of a deployment's environment variables: Houston's rule for them, the keys it keeps for
itself, and the variables Airflow reads its variables and connections from."""

from __future__ import annotations

import re

# Houston's environment variable key rule and the keys it sets itself (docs/houston.md).
ENV_KEY_RULE = r"^(?!_+$)(?=[A-Z_])[A-Z0-9_]+$"
RESERVED_ENV_KEYS = frozenset({
    "AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__LOAD_EXAMPLES",
    "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__WEBSERVER__BASE_URL", "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW__CELERY__DEFAULT_QUEUE", "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC",
    "AIRFLOW__SCHEDULER__STATSD_ON", "AIRFLOW__SCHEDULER__STATSD_HOST", "AIRFLOW__SCHEDULER__STATSD_PORT",
    "AIRFLOW__SCHEDULER__STATSD_PREFIX", "AIRFLOW__KUBERNETES__NAMESPACE",
})

def env_key_problem(key: str) -> str | None:
    """Why Houston would refuse ``key`` as an environment variable name, or None."""
    if not re.match(ENV_KEY_RULE, key):
        return (f"{key!r} is not a valid Houston environment variable name (upper-case letters, digits and '_', "
                "not starting with a digit, not only '_')")
    if key in RESERVED_ENV_KEYS:
        return f"{key!r} is set by Houston itself and cannot be overridden"
    return None


# Variables the program sets itself in every tenant's Airflow settings.
RESERVED_AIRFLOW_VARIABLES = frozenset(
    {"artifactory_url", "datakit_registry", "environment", "astronomer_namespace", "datakit_images"}
)


def variable_env_key(key: str) -> str:
    """The environment variable Airflow reads an Airflow variable from."""
    return f"AIRFLOW_VAR_{key.upper()}"


def connection_env_key(conn_id: str) -> str:
    """The environment variable Airflow reads a connection from."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"
