"""Validate the stack config, reporting every problem at once."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from config.errors import ConfigError, Problem, key_names
from config.plain_values import secrets_in_values
from config.rule_walk import check
from config.secrets import HOUSTON_API_KEY, OPTIONAL_SECRETS, REQUIRED_SECRETS, SECRET_KEYS, TENANT_SECRETS
from config.stack import StackConfig

PROJECT = "astronomer-platform"

# A namespace this similar to the project name is a typo of it (astronomer-platfrom, astronomer_platform);
# other namespaces (kubernetes, pulumi, docker) score below 0.4 and are config of their own.
_TYPO_SIMILARITY = 0.8


def validate(
    raw: dict[str, Any], secrets_present: set[str], secure_keys: set[str], config_keys: Iterable[str] = ()
) -> StackConfig:
    """Validate the non-secret keys ``raw`` and the presence of the secret keys.

    ``secure_keys`` names the keys whose value holds an encrypted (``secure:``) part;
    ``config_keys`` are all the runtime config's keys (every namespace), to catch a misspelt
    project namespace. Raises ``ConfigError`` listing every problem; returns the validated config otherwise.
    """
    problems = misspelt_namespace(config_keys)
    problems += [
        Problem(key, "holds a secure value; keep each secret in its own top-level key "
                f"({', '.join(SECRET_KEYS)}), never inside a structured key")
        for key in sorted(secure_keys - set(SECRET_KEYS))
    ]
    problems += _secret_problems(secrets_present, has_tenants=bool(raw.get("tenants")))
    if raw.get("dataPlanes") and not raw.get("tenants") and HOUSTON_API_KEY not in secrets_present:
        problems.append(Problem(HOUSTON_API_KEY, "is required with dataPlanes (each is registered with Houston): "
                                f"set it with `pulumi config set --secret {HOUSTON_API_KEY}`"))
    stack, found = check(StackConfig, raw)
    problems += found
    problems += secrets_in_values(raw)
    if problems:
        # Two rule families may refuse one key for one reason: report it once.
        raise ConfigError(list(dict.fromkeys(problems)))
    return stack


def misspelt_namespace(config_keys: Iterable[str], project: str = PROJECT) -> list[Problem]:
    """Keys whose namespace is a typo of the project's, or missing: the program would ignore them."""
    known = [*key_names(StackConfig), *SECRET_KEYS]
    problems: list[Problem] = []
    for full_key in sorted(config_keys):
        namespace, colon, name = full_key.partition(":")
        similarity = difflib.SequenceMatcher(None, namespace.lower(), project).ratio()
        if colon and (namespace == project or similarity < _TYPO_SIMILARITY):
            continue
        # Match the name alone: the long shared namespace would make any key look close.
        close = difflib.get_close_matches(name if colon else namespace, known, n=1)
        hint = f"did you mean '{project}:{close[0]}'?" if close else f"the project's keys start with '{project}:'"
        problems.append(Problem(full_key, f"is not a known key; {hint}"))
    return problems


def _secret_problems(present: set[str], has_tenants: bool) -> list[Problem]:
    problems = [
        Problem(name, f"is required: set it with `pulumi config set --secret {name}`")
        for name in REQUIRED_SECRETS
        if name not in present
    ]
    problems += [
        Problem(name, f"is required once the stack has tenants ({why}): set it with "
                f"`pulumi config set --secret {name}`")
        for name, why in TENANT_SECRETS.items()
        if has_tenants and name not in present
    ]
    tls = present & set(OPTIONAL_SECRETS)
    if len(tls) == 1:
        missing = (set(OPTIONAL_SECRETS) - tls).pop()
        problems.append(Problem(missing, f"is required when {tls.pop()} is set (set both or neither)"))
    return problems


def split_config(
    values: Mapping[str, str], secret_keys: set[str], project: str = PROJECT
) -> tuple[dict[str, Any], set[str], set[str]]:
    """Runtime config (``project:key`` -> text) as the non-secret keys (parsed), the secret keys
    present, and the keys holding an encrypted value. Keys of other namespaces are ignored."""
    prefix = f"{project}:"
    raw: dict[str, Any] = {}
    present: set[str] = set()
    secure: set[str] = set()
    for full_key in sorted(values):
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix):]
        if full_key in secret_keys:
            secure.add(key)
        if key in SECRET_KEYS:
            present.add(key)
        elif key not in secure:
            raw[key] = _parse(values[full_key])
    return raw, present, secure


def _parse(value: str) -> Any:
    # The engine hands structured values over as JSON text and plain values as text.
    if value.lstrip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value
