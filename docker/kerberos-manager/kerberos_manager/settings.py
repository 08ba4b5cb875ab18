"""The manager's settings: the environment the Deployment sets and the tenants file it mounts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast


class SettingsError(Exception):
    """The environment or the tenants file is unusable; the message names the setting."""


@dataclass(frozen=True)
class Tenant:
    """One entry of the tenants file."""

    tenant: str
    namespace: str
    principal: str
    keytab_secret_id: int
    cache_secret: str
    cache_key: str


@dataclass(frozen=True)
class Settings:
    vault_url: str
    username: str
    password: str = field(repr=False)
    keytab_field: str
    tenants: tuple[Tenant, ...]
    renew_interval_seconds: float
    ticket_lifetime_seconds: int
    work_dir: Path
    health_port: int
    jitter_fraction: float
    retry_base_seconds: float
    retry_max_seconds: float
    concurrency: int


_TENANT_KEYS = {"tenant": str, "namespace": str, "principal": str, "keytabSecretId": int, "cacheSecret": str,
                "cacheKey": str}


def read_tenants(path: Path) -> tuple[Tenant, ...]:
    try:
        document: Any = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise SettingsError(f"TENANTS_FILE {path}: {error}") from error
    if not isinstance(document, list):
        raise SettingsError(f"TENANTS_FILE {path}: expected a JSON list of tenants")
    tenants: list[Tenant] = []
    for index, entry in enumerate(cast(list[Any], document)):
        if not isinstance(entry, dict):
            raise SettingsError(f"TENANTS_FILE {path}: entry {index} is not an object")
        values = cast(dict[str, Any], entry)
        for key, kind in _TENANT_KEYS.items():
            value = values.get(key)
            # bool is an int subclass: a true/false secret id is a mistake, not 1/0.
            if not isinstance(value, kind) or isinstance(value, bool) or value == "":
                raise SettingsError(f"TENANTS_FILE {path}: entry {index} needs {key} ({kind.__name__})")
        tenants.append(Tenant(values["tenant"], values["namespace"], values["principal"], values["keytabSecretId"],
                              values["cacheSecret"], values["cacheKey"]))
    names = [tenant.tenant for tenant in tenants]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SettingsError(f"TENANTS_FILE {path}: duplicate tenants {duplicates}")
    return tuple(tenants)


def _number(env: Mapping[str, str], name: str, default: float | None, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        if default is None:
            raise SettingsError(f"{name} is required")
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}")
    return value


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name) or default
    if not value:
        raise SettingsError(f"{name} is required")
    return value


def load(env: Mapping[str, str]) -> Settings:
    """Settings from ``env``; every problem is a SettingsError naming the variable."""
    interval = _number(env, "RENEW_INTERVAL_SECONDS", None, 1)
    lifetime = int(_number(env, "TICKET_LIFETIME_SECONDS", None, 1))
    if lifetime <= interval:
        raise SettingsError("TICKET_LIFETIME_SECONDS must exceed RENEW_INTERVAL_SECONDS")
    _text(env, "KRB5_CONFIG")  # kinit and klist read it from the environment themselves
    return Settings(
        vault_url=_text(env, "DELINEA_VAULT_URL").rstrip("/"),
        username=_text(env, "DELINEA_USERNAME"),
        password=_text(env, "DELINEA_PASSWORD"),
        keytab_field=_text(env, "DELINEA_KEYTAB_FIELD", "keytab"),
        tenants=read_tenants(Path(_text(env, "TENANTS_FILE"))),
        renew_interval_seconds=interval,
        ticket_lifetime_seconds=lifetime,
        work_dir=Path(_text(env, "WORK_DIR")),
        health_port=int(_number(env, "HEALTH_PORT", 8080, 0)),
        jitter_fraction=min(_number(env, "RENEW_JITTER_FRACTION", 0.1, 0), 0.5),
        retry_base_seconds=_number(env, "RETRY_BASE_SECONDS", 10, 0.01),
        retry_max_seconds=_number(env, "RETRY_MAX_SECONDS", 300, 0.01),
        concurrency=int(_number(env, "CONCURRENCY", 4, 1)),
    )
