"""The keys the Astro CLI accepts in the files a kit writes, as data with the CLI source they come from.

The kit refuses to write a key outside these tables: a key the CLI does not know is ignored silently
(``.astro/config.yaml``) or dropped (``airflow_settings.yaml``), so a wrong name would look applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from tenant_kit.errors import KitError

CLI_TAG = "v1.45.0"
CLI_COMMIT = "1e725a3c3e93d15cfcb5049bbba14bff152327ad"


@dataclass(frozen=True)
class KeyTable:
    """Accepted keys of one file, each a dotted path; ``[]`` stands for every item of a list."""

    file: str
    """the file in a kit, e.g. .astro/config.yaml"""
    source: str
    """the CLI source file (at CLI_TAG) the keys are read from"""
    keys: frozenset[str]


# config/config.go: the `newCfg(<key>, <default>)` entries of `CFG` (49 keys); nested YAML maps.
CONFIG = KeyTable(".astro/config.yaml", "config/config.go", frozenset({
    "cloud.api.protocol", "cloud.api.port", "cloud.api.ws_protocol", "cloud.api.token", "context", "contexts",
    "container.binary", "local.core", "local.registry", "local.houston", "local.platform", "postgres.user",
    "postgres.password", "postgres.host", "postgres.port", "postgres.repository", "postgres.tag",
    "project.deployment", "project.name", "project.workspace", "webserver.port", "api-server.port",
    "airflow.expose_port", "show_warnings", "verbosity", "houston.dial_timeout", "houston.skip_verify_tls",
    "duplicate_volumes", "skip_parse", "interactive", "page_size", "upgrade_message", "disable_astro_run",
    "auto_select", "machine.cpu", "machine.memory", "sha_as_tag", "ruff.image", "remote.client_registry",
    "remote.base_image_registry", "deploy.git_metadata", "dev.mode", "dev.build_secrets", "telemetry.enabled",
    "telemetry.anonymous_id", "telemetry.notice_shown", "proxy.port", "otto.auto_update", "cosmos_boost.pre_deploy",
}))

# settings/types.go: the mapstructure tags of `Config` > `Airflow` > `Connections`, `Pools`, `Variables`.
SETTINGS = KeyTable("airflow_settings.yaml", "settings/types.go", frozenset({
    "airflow", "airflow.connections", "airflow.pools", "airflow.variables",
    *(f"airflow.connections[].{key}" for key in (
        "conn_id", "conn_type", "conn_host", "conn_schema", "conn_login", "conn_password", "conn_port", "conn_uri",
        "conn_extra")),
    *(f"airflow.pools[].{key}" for key in ("pool_name", "pool_slot", "pool_description")),
    *(f"airflow.variables[].{key}" for key in ("variable_name", "variable_value")),
}))

# A connection's extra is free-form (a map, or JSON text): its own keys are Airflow's, not the CLI's.
_OPAQUE = frozenset({"airflow.connections[].conn_extra"})
# config.yaml keys hold nested maps down to a leaf; only leaves are keys of the CLI.
_LEAF_ONLY = frozenset({CONFIG.file})


def key_paths(document: Any, prefix: str = "", opaque: frozenset[str] = _OPAQUE) -> list[str]:
    """Every key path of a YAML document: ``a``, ``a.b``, ``a.list[].c``; nothing below an opaque path."""
    paths: list[str] = []
    if isinstance(document, Mapping):
        for key, value in sorted(cast(Mapping[Any, Any], document).items()):
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.append(path)
            if path not in opaque:
                paths += key_paths(value, path, opaque)
    elif isinstance(document, Sequence) and not isinstance(document, str):
        for item in cast(Sequence[Any], document):
            paths += key_paths(item, f"{prefix}[]", opaque)
    return sorted(set(paths))


def unknown_keys(table: KeyTable, document: Any) -> list[str]:
    """The key paths of ``document`` that the CLI does not accept in ``table.file``."""
    paths = key_paths(document)
    if table.file in _LEAF_ONLY:
        # A map on the way to a leaf (`project` of `project.name`) is not a key of its own.
        paths = [p for p in paths if not any(other.startswith(f"{p}.") for other in paths)]
    return [path for path in paths if path not in table.keys]


def check(table: KeyTable, document: Any) -> None:
    """Raise ``KitError`` naming every key the CLI would not read."""
    unknown = unknown_keys(table, document)
    if unknown:
        raise KitError(f"{table.file}: keys the Astro CLI {CLI_TAG} does not accept ({table.source}): "
                       f"{', '.join(unknown)}")
