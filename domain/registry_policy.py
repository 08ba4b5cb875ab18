"""The registry rule for Helm values: every image comes from the Artifactory host.

Used on ``platform.valuesOverrides`` before anything is created and on the final chart values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeGuard

# Value keys that name an image repository (or a whole image) in the Astronomer chart.
_IMAGE_KEYS = ("repository", "defaultairflowrepository", "defaultruntimerepository", "image")


# Parsed YAML and JSON, or CrossGuard's read-only proxies of them: any mapping and sequence. The
# guards give the type checker the item types that isinstance alone leaves unknown.
def is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping)


def is_sequence(value: object) -> TypeGuard[Sequence[Any]]:
    # Strings and bytes are sequences too, but never a list of values.
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def registry_violations(values: Any, host: str, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(key path, rule)`` for each value that would pull an image from elsewhere.

    Takes any mapping and sequence, not only dict and list: the policy pack passes CrossGuard's
    read-only proxies of the resource inputs.
    """
    if is_sequence(values):
        for index, item in enumerate(values):
            yield from registry_violations(item, host, f"{path}[{index}]")
        return
    if not is_mapping(values):
        return
    for key, value in values.items():
        here = f"{path}.{key}" if path else str(key)
        if key == "privateRegistry" and is_mapping(value):
            if value.get("enabled", True) is not True:
                yield here + ".enabled", "must stay true: the private registry cannot be switched off"
            repository = value.get("repository")
            if repository is not None and not str(repository).startswith(f"{host}/"):
                yield here + ".repository", f"{repository!r} is not in the Artifactory registry {host}"
        elif key == "registry" and isinstance(value, str) and value != host:
            yield here, f"{value!r} is not the Artifactory registry {host}"
        elif str(key).lower() in _IMAGE_KEYS and isinstance(value, str):
            if not value.startswith(f"{host}/"):
                yield here, f"{value!r} is not an image in the Artifactory registry {host}"
        else:
            yield from registry_violations(value, host, here)
