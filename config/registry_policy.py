"""The registry rule for Helm values: every image comes from the Artifactory host.

Used on ``platform.valuesOverrides`` before anything is created and on the final chart values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

# Value keys that name an image repository (or a whole image) in the Astronomer chart.
_IMAGE_KEYS = ("repository", "defaultairflowrepository", "defaultruntimerepository", "image")


def registry_violations(values: Any, host: str, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(key path, rule)`` for each value that would pull an image from elsewhere.

    Takes any mapping and sequence, not only dict and list: the policy pack passes CrossGuard's
    read-only proxies of the resource inputs.
    """
    if isinstance(values, Sequence) and not isinstance(values, str):
        for index, item in enumerate(values):
            yield from registry_violations(item, host, f"{path}[{index}]")
        return
    if not isinstance(values, Mapping):
        return
    for key, value in values.items():
        here = f"{path}.{key}" if path else str(key)
        if key == "privateRegistry" and isinstance(value, Mapping):
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
