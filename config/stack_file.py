"""Read a ``Pulumi.<stack>.yaml`` without the Pulumi CLI or its passphrase.

Encrypted (``secure:``) values stay opaque: they become the placeholder ``[secret]`` and their keys
are reported as secret, as the engine would report them. Used by the offline render and the tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from config.loader import PROJECT, split_config, validate
from config.models import StackConfig
from config.registry_policy import is_mapping, is_sequence
from config.secrets import REQUIRED_SECRETS

SECRET_PLACEHOLDER = "[secret]"


def _hide_secure(value: Any) -> tuple[Any, bool]:
    """The value with every ``{secure: ...}`` replaced by the placeholder, and whether it had one."""
    if is_mapping(value) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER, True
    if is_mapping(value):
        pairs = {k: _hide_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if is_sequence(value):
        items = [_hide_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _config(path: Path) -> dict[str, Any]:
    """The ``config:`` map of a stack file (empty when it has none)."""
    document: dict[str, Any] = yaml.safe_load(path.read_text()) or {}
    return document.get("config") or {}


def document(path: Path) -> dict[str, Any]:
    """The project's keys of a stack file, without the ``astronomer-platform:`` prefix."""
    config = _config(path)
    return {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(f"{PROJECT}:")}


def read(path: Path, fill_missing_secrets: bool) -> tuple[dict[str, str], list[str]]:
    """Runtime config (``project:key`` -> text, as the engine passes it) and its secret keys.

    With ``fill_missing_secrets``, required secrets that the file does not hold (they are set per
    machine with ``pulumi config set --secret``) get the placeholder, so the program can run offline.
    """
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for full_key, value in _config(path).items():
        shown, secret = _hide_secure(value)
        config[full_key] = shown if isinstance(shown, str) else json.dumps(shown)
        if secret:
            secret_keys.append(full_key)
    if fill_missing_secrets:
        for name in REQUIRED_SECRETS:
            full_key = f"{PROJECT}:{name}"
            if full_key not in config:
                config[full_key] = SECRET_PLACEHOLDER
                secret_keys.append(full_key)
    return config, secret_keys


def runtime_values(document: dict[str, Any], secrets: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Runtime config for ``document`` (keys without the project prefix) plus plain-text secrets,
    which are marked secret as the engine marks encrypted values."""
    config = {f"{PROJECT}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in document.items()}
    config |= {f"{PROJECT}:{k}": v for k, v in secrets.items()}
    return config, [f"{PROJECT}:{k}" for k in secrets]


def validate_file(path: Path) -> StackConfig:
    """Validate a stack file as the program would, with the secrets an operator sets per machine."""
    values, secret_keys = read(path, fill_missing_secrets=True)
    raw, present, secure = split_config(values, set(secret_keys))
    return validate(raw, present, secure)
