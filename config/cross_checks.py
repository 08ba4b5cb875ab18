"""Rules that relate keys in different parts of the stack config.

They run even when other parts are invalid, on whatever did validate, so that one run reports
every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_snake

from config.errors import Problem
from config.tenant import TenantConfig
from domain.registry_policy import registry_violations


@dataclass(frozen=True)
class CrossView:
    """What the cross-key rules look at: the parts of the config they relate."""

    platform_namespace: str | None
    datakit_names: frozenset[str] | None
    tenants: tuple[tuple[int, TenantConfig], ...]
    registry_host: str | None = None
    values_overrides: dict[str, Any] | None = None
    realms: frozenset[str] | None = None
    """the Kerberos realm and its trusted realms"""


def cross_problems(view: CrossView) -> list[Problem]:
    problems: list[Problem] = []
    problems += _unique(view.tenants, "name", "names")
    problems += _unique(view.tenants, "namespace", "namespaces")
    # One identity per tenant: a shared principal or keytab lets one tenant act as another.
    problems += _unique(view.tenants, "kerberos.principal", "Kerberos principals")
    problems += _unique(view.tenants, "kerberos.keytabSecretId", "keytab secrets")
    if view.registry_host and view.values_overrides:
        problems += [
            Problem(f"platform.valuesOverrides.{path}", rule)
            for path, rule in registry_violations(view.values_overrides, view.registry_host)
        ]
    for index, tenant in view.tenants:
        if view.platform_namespace is not None and tenant.namespace == view.platform_namespace:
            problems.append(
                Problem(
                    f"tenants[{index}].namespace",
                    f"{tenant.namespace!r} is the platform namespace; a tenant needs its own",
                )
            )
        # Houston checks the deployment's release name against the platform namespace.
        if view.platform_namespace is not None:
            problems += _release_name_problems(index, tenant.release_name, view.platform_namespace)
        realm = tenant.kerberos.principal.rsplit("@", 1)[-1]
        if view.realms is not None and realm not in view.realms:
            problems.append(Problem(
                f"tenants[{index}].kerberos.principal",
                f"{tenant.kerberos.principal!r} is in realm {realm}, which is neither kerberos.realm nor "
                "listed in kerberos.trustedRealms",
            ))
        if view.datakit_names is None:
            continue
        for position, kit in enumerate(tenant.datakits):
            if kit not in view.datakit_names:
                known = ", ".join(sorted(view.datakit_names)) or "none"
                problems.append(
                    Problem(
                        f"tenants[{index}].datakits[{position}]",
                        f"{kit!r} is not defined under 'datakits' (defined: {known})",
                    )
                )
    return problems


def _release_name_problems(index: int, name: str, platform_namespace: str) -> list[Problem]:
    if name == "base-images":
        return [Problem(f"tenants[{index}].name", "'base-images' is a name Houston keeps for itself as a release name")]
    if len(f"{platform_namespace}-{name}") > 63:
        return [Problem(f"tenants[{index}].name", f"{name!r} is too long for a release name: Houston allows "
                        f"{62 - len(platform_namespace)} characters beside platform.namespace {platform_namespace!r}")]
    return []


def _unique(tenants: Iterable[tuple[int, TenantConfig]], key: str, what: str) -> list[Problem]:
    """A problem for each tenant whose ``key`` (a dotted path as in the stack file) an earlier
    tenant already has."""
    first_seen: dict[object, int] = {}
    problems: list[Problem] = []
    for index, tenant in tenants:
        value: object = tenant
        for part in key.split("."):
            value = getattr(value, to_snake(part))
        if value in first_seen:
            problems.append(
                Problem(
                    f"tenants[{index}].{key}",
                    f"{value!r} is already used by tenants[{first_seen[value]}]; tenant {what} must be unique",
                )
            )
        else:
            first_seen[value] = index
    return problems
