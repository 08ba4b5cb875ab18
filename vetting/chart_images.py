"""The images a ``helm template`` of the platform chart names: every container and init container of
every pod spec, and the images Houston writes into Airflow deployments (its config map's
``production.yaml`` with ``local-production.yaml`` layered over it, as Houston reads them)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

import yaml

from components.platform_values import deep_merge
from vetting.reference import EMBEDDED

HOUSTON_CONFIG_SUFFIX = "-houston-config"
HOUSTON_FILES = ("production.yaml", "local-production.yaml")
_POD_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def documents(manifest_stream: str) -> list[dict[str, Any]]:
    return [cast(dict[str, Any], d) for d in yaml.safe_load_all(manifest_stream) if isinstance(d, dict)]


def _pod_specs(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping with a ``containers`` list: pod specs of any workload kind, CronJobs and hooks included."""
    if isinstance(node, Mapping):
        mapping = cast(Mapping[str, Any], node)
        if isinstance(mapping.get("containers"), list):
            yield mapping
        for value in mapping.values():
            yield from _pod_specs(value)
    elif isinstance(node, list):
        for item in cast(list[Any], node):
            yield from _pod_specs(item)


def pod_images(docs: list[dict[str, Any]]) -> dict[str, set[str]]:
    """image -> the objects naming it (``Kind/name``)."""
    images: dict[str, set[str]] = {}
    for doc in docs:
        where = f"{doc.get('kind')}/{cast(dict[str, Any], doc.get('metadata') or {}).get('name')}"
        for spec in _pod_specs(doc):
            for key in _POD_CONTAINER_LISTS:
                for container in cast(list[dict[str, Any]], spec.get(key) or []):
                    if isinstance(container.get("image"), str):
                        images.setdefault(container["image"], set()).add(where)
    return images


def houston_config(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Houston's effective config from the rendered config map (empty when the chart renders none)."""
    merged: dict[str, Any] = {}
    for doc in docs:
        name = str(cast(dict[str, Any], doc.get("metadata") or {}).get("name", ""))
        if doc.get("kind") == "ConfigMap" and name.endswith(HOUSTON_CONFIG_SUFFIX):
            data = cast(dict[str, str], doc.get("data") or {})
            for file in HOUSTON_FILES:
                merged = deep_merge(merged, cast(dict[str, Any], yaml.safe_load(data.get(file) or "{}") or {}))
    return merged


def _image_fields(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """(key path, image) for each ``{repository, tag}`` pair and each ``image: <ref>`` string."""
    if isinstance(node, Mapping):
        mapping = cast(Mapping[str, Any], node)
        repository, tag = mapping.get("repository"), mapping.get("tag")
        if isinstance(repository, str) and isinstance(tag, str | int | float):
            yield path, f"{repository}:{tag}"
        for key, value in mapping.items():
            child = f"{path}.{key}" if path else str(key)
            if key == "image" and isinstance(value, str) and ":" in value:
                yield child, value
            else:
                yield from _image_fields(value, child)
    elif isinstance(node, list):
        for index, item in enumerate(cast(list[Any], node)):
            yield from _image_fields(item, f"{path}[{index}]")


def houston_images(config: Mapping[str, Any]) -> dict[str, set[str]]:
    """image -> the Houston config keys naming it."""
    images: dict[str, set[str]] = {}
    for path, image in _image_fields(config, ""):
        images.setdefault(image, set()).add(f"houston:{path}")
    return images


def repositories(config: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    """key path -> value of each string under one of ``keys`` anywhere in ``config``."""
    found: dict[str, str] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, value in cast(Mapping[str, Any], node).items():
                child = f"{path}.{key}" if path else str(key)
                if key in keys and isinstance(value, str):
                    found[child] = value
                walk(value, child)

    walk(config, "")
    return found


def embedded_images(config: Mapping[str, Any]) -> dict[str, set[str]]:
    """image -> keys, for tagged references inside Houston's text values (the xcom sidecar image sits
    in the Airflow local settings it writes)."""
    images: dict[str, set[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, str) and "\n" in node:
            for match in EMBEDDED.finditer(node):
                images.setdefault(match[0], set()).add(f"houston:{path}")
        elif isinstance(node, Mapping):
            for key, value in cast(Mapping[str, Any], node).items():
                walk(value, f"{path}.{key}" if path else str(key))

    walk(config, "")
    return images
