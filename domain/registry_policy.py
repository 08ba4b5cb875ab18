"""The registry rule for Helm values: every image comes from the Artifactory host.

Used on ``platform.valuesOverrides`` before anything is created and on the final chart values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeGuard

# Registries anyone can push to or read from: never the platform's Artifactory, whose password every build
# and pull secret carries. Matched by host (without port) and by domain suffix.
PUBLIC_REGISTRIES = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "quay.io",
                     "ghcr.io", "docker.pkg.github.com", "gcr.io", "k8s.gcr.io", "registry.k8s.io", "public.ecr.aws",
                     "mcr.microsoft.com", "registry.gitlab.com", "nvcr.io", "registry.redhat.io",
                     "registry.access.redhat.com", "cgr.dev", "docker.elastic.co", "registry.opensource.zalan.do")


def is_public_registry(host: str) -> bool:
    """Whether ``host`` (optionally ``:port``) is a public registry or one of its regional mirrors
    (``eu.gcr.io``, ``us-docker.pkg.dev``)."""
    name = host.rsplit(":", 1)[0].lower().rstrip(".")
    return name.endswith(".pkg.dev") or any(name == public or name.endswith(f".{public}")
                                            for public in PUBLIC_REGISTRIES)


# Value keys that name an image repository (or a whole image) in the Astronomer chart.
_IMAGE_KEYS = ("repository", "defaultairflowrepository", "defaultruntimerepository", "image")


# Parsed YAML and JSON, or CrossGuard's read-only proxies of them: any mapping and sequence. The
# guards give the type checker the item types that isinstance alone leaves unknown.
def is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping)


def is_sequence(value: object) -> TypeGuard[Sequence[Any]]:
    # Strings and bytes are sequences too, but never a list of values.
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


# Helm deletes a key whose value is null, and the chart then falls back to its own default: public images.
_NULL = "null deletes the key in Helm and the chart falls back to its public default; remove the override"


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
        lowered = str(key).lower()
        if key == "privateRegistry":
            yield from _private_registry(value, host, here)
        elif key == "registry" and not is_mapping(value) and value != host:
            yield here, _NULL if value is None else f"{value!r} is not the Artifactory registry {host}"
        elif lowered in _IMAGE_KEYS and not is_mapping(value) and not is_sequence(value):
            if value is None:
                yield here, _NULL
            elif not str(value).startswith(f"{host}/"):
                yield here, f"{value!r} is not an image in the Artifactory registry {host}"
        else:
            yield from registry_violations(value, host, here)


def _private_registry(value: Any, host: str, path: str) -> Iterator[tuple[str, str]]:
    """``global.privateRegistry``: a mapping whose ``enabled`` stays true and whose repository is in Artifactory.
    Go templates read 0, "" and null as false, so anything but ``true`` switches it off."""
    if not is_mapping(value):
        yield path, ("must stay a mapping with enabled: true: " + ("null deletes it in Helm, and the chart falls back "
                     "to public images" if value is None else "the private registry cannot be replaced"))
        return
    if "enabled" in value and value["enabled"] is not True:
        yield path + ".enabled", "must stay true (Go templates read 0, \"\" and null as false): the private registry " \
                                 "cannot be switched off"
    if "repository" in value:
        repository = value["repository"]
        if repository is None:
            yield path + ".repository", _NULL
        elif not str(repository).startswith(f"{host}/"):
            yield path + ".repository", f"{repository!r} is not in the Artifactory registry {host}"
    for key in ("secretName",):
        if key in value and not (isinstance(value[key], str) and value[key]):
            yield f"{path}.{key}", "must stay the platform's pull Secret: without it no pod can pull from Artifactory"
