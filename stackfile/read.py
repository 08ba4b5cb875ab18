"""Read a ``Pulumi.<stack>.yaml`` without the Pulumi CLI or its passphrase.

Encrypted (``secure:``) values stay opaque: each becomes a placeholder that carries a fingerprint
of its ciphertext, ``[secret 3f2a9c1b7d0e]`` (the first 12 hex digits of the ciphertext's sha256),
and its key is reported as secret, as the engine would report it. Setting a secret again gives a new
ciphertext, so the offline render shows that the value changed; the fingerprint says nothing about
the value, whose ciphertext is committed beside it anyway. Used by the offline render and the tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from config.errors import ConfigError, Problem, StackFileError
from config.secrets import PER_MACHINE_SECRETS
from config.stack import StackConfig
from config.validation import PROJECT, split_config, validate
from domain.registry_policy import is_mapping, is_sequence
from stackfile.yaml_reader import Loaded, load

# For a required secret the file does not hold (set per machine): nothing to fingerprint.
SECRET_PLACEHOLDER = "[secret]"


def secure_placeholder(ciphertext: object) -> str:
    """``[secret <first 12 hex of sha256(ciphertext)>]``: changes whenever the secret is set again."""
    return f"[secret {hashlib.sha256(str(ciphertext).encode()).hexdigest()[:12]}]"


def _hide_secure(value: Any) -> tuple[Any, bool]:
    """The value with every ``{secure: ...}`` replaced by its placeholder, and whether it had one."""
    if is_mapping(value) and set(value) == {"secure"}:
        return secure_placeholder(value["secure"]), True
    if is_mapping(value):
        pairs = {k: _hide_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if is_sequence(value):
        items = [_hide_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _config(path: Path) -> dict[str, Any]:
    """The ``config:`` map of a stack file (empty when it has none).

    ``StackFileError`` when it cannot be read at all; ``ConfigError`` when its YAML has problems (a key given
    twice, a tag config cannot carry), listing those with every problem of the config itself.
    """
    config, loaded = _parse(path)
    if loaded.problems:
        raise ConfigError(loaded.problems + [p for p in _validation_problems(config) if p.path not in loaded.replaced])
    return config


def _parse(path: Path) -> tuple[dict[str, Any], Loaded]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackFileError(f"{path}: no such stack file ({_stacks_beside(path)})") from None
    except OSError as error:
        raise StackFileError(f"{path}: cannot read the stack file: {error.strerror}") from None
    except UnicodeDecodeError:
        raise StackFileError(f"{path}: not a stack file: not UTF-8 text") from None
    try:
        loaded = load(path, text)
    except yaml.MarkedYAMLError as error:
        raise StackFileError(_yaml_problem(path, error)) from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: invalid YAML: {' '.join(str(error).split())}") from None
    document: Any = loaded.document or {}
    if not is_mapping(document):
        raise StackFileError(f"{path}: not a stack file: the top level must be a mapping")
    config: Any = document.get("config") or {}
    # YAML keys can be numbers or booleans (1:, true:); is_mapping alone would declare them strings.
    if not is_mapping(config) or not all(isinstance(key, str) for key in list[object](config)):
        raise StackFileError(f"{path}: 'config:' must be a mapping of namespace:key names")
    return dict(config), loaded


def _validation_problems(config: dict[str, Any]) -> list[Problem]:
    values, secret_keys = _values(config, fill_missing_secrets=True)
    raw, present, secure = split_config(values, set(secret_keys))
    try:
        validate(raw, present, secure, values)
    except ConfigError as error:
        return error.problems
    return []


def _stacks_beside(path: Path) -> str:
    stacks = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in path.parent.glob("Pulumi.*.yaml"))
    return f"stacks beside it: {', '.join(stacks)}" if stacks else "no Pulumi.<stack>.yaml beside it"


def _yaml_problem(path: Path, error: yaml.MarkedYAMLError) -> str:
    """``file:line:column: problem (context)`` on one line; PyYAML's marks count from zero."""
    def at(mark: Any) -> str:
        return f"line {mark.line + 1}, column {mark.column + 1}"

    mark = error.problem_mark or error.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    context = f" ({error.context} started at {at(error.context_mark)})" if error.context and error.context_mark else ""
    return f"{where}: YAML syntax error: {error.problem or error.context}{context}"


def document(path: Path) -> dict[str, Any]:
    """The project's keys of a stack file, without the ``astronomer-platform:`` prefix."""
    config = _config(path)
    return {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(f"{PROJECT}:")}


def read(path: Path, fill_missing_secrets: bool) -> tuple[dict[str, str], list[str]]:
    """Runtime config (``project:key`` -> text, as the engine passes it) and its secret keys.

    With ``fill_missing_secrets``, the secrets set per machine (``pulumi config set --secret``) that
    the file does not hold get the bare placeholder ``[secret]``, so the program can run offline.
    """
    return _values(_config(path), fill_missing_secrets)


def _values(stack_config: dict[str, Any], fill_missing_secrets: bool) -> tuple[dict[str, str], list[str]]:
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for full_key, value in stack_config.items():
        shown, secret = _hide_secure(value)
        config[full_key] = shown if isinstance(shown, str) else json.dumps(shown)
        if secret:
            secret_keys.append(full_key)
    if fill_missing_secrets:
        for name in PER_MACHINE_SECRETS:
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
    return validate(raw, present, secure, values)
