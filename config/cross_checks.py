"""Rules that relate keys in different sections of the stack config.

They run on whatever part of the config validated (``config.rule_walk``), so each reads a tenant's keys
through ``known``: a tenant whose key did not validate is left out of that rule, not the whole rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from config.base import Issue
from config.dags import line_issues as dag_line_issues
from config.data_planes import placement_issues, unknown_plane
from config.sign_in import PROD, line_issues
from config.tenancy import anywhere
from domain.address_reach import reaches_everywhere
from domain.chart_pull_secrets import UNSET, value_at
from domain.registry_policy import registry_violations

if TYPE_CHECKING:
    from config.stack import StackConfig

UNKNOWN = object()


def known(model: Any, dotted: str) -> Any:
    """The value at a dotted attribute path, or ``UNKNOWN`` where a key did not validate."""
    value = model
    for part in dotted.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            return UNKNOWN
    return value


def tenants_with(stack: StackConfig, *keys: str) -> Iterator[tuple[int, list[Any]]]:
    """Each tenant's index and the values of ``keys``, for the tenants whose ``keys`` all validated."""
    tenants = known(stack, "tenants")
    for index, tenant in enumerate([] if tenants is UNKNOWN else tenants):
        values = [known(tenant, key) for key in keys]
        if all(value is not UNKNOWN for value in values):
            yield index, values


def unique(stack: StackConfig, attribute: str, key: str, what: str, fold: bool = False) -> Iterator[Issue]:
    """A problem for each tenant whose ``attribute`` an earlier tenant already has (``fold``: ignoring case)."""
    first_seen: dict[object, int] = {}
    for index, (value,) in tenants_with(stack, attribute):
        seen = value.casefold() if fold and isinstance(value, str) else value
        if seen in first_seen:
            case = " (compared without case, as Active Directory does)" if fold else ""
            yield Issue(f"tenants[{index}].{key}", f"{value!r} is already used by tenants[{first_seen[seen]}]{case}; "
                        f"tenant {what} must be unique")
        else:
            first_seen[seen] = index


def overrides_registry(stack: StackConfig) -> Iterator[Issue]:
    host, overrides = known(stack, "artifactory.host"), known(stack, "platform.values_overrides")
    if host is UNKNOWN or overrides is UNKNOWN:
        return
    for path, message in registry_violations(overrides, host):
        yield Issue(f"platform.valuesOverrides.{path}", message)


def platform_namespace(stack: StackConfig) -> Iterator[Issue]:
    namespace = known(stack, "platform.namespace")
    if namespace is UNKNOWN:
        return
    for index, (tenant_namespace,) in tenants_with(stack, "namespace_name"):
        if tenant_namespace == namespace:
            yield Issue(f"tenants[{index}].namespace", f"{tenant_namespace!r} is the platform namespace; a tenant "
                        "needs its own")
    # Houston checks each deployment's release name (the tenant's name) beside the platform namespace.
    for index, (name,) in tenants_with(stack, "release_name"):
        if name == "base-images":
            yield Issue(f"tenants[{index}].name", "'base-images' is a name Houston keeps for itself as a release name")
        elif len(f"{namespace}-{name}") > 63:
            yield Issue(f"tenants[{index}].name", f"{name!r} is too long for a release name: Houston allows "
                        f"{62 - len(namespace)} characters beside platform.namespace {namespace!r}")


def realms(stack: StackConfig) -> Iterator[Issue]:
    realm, trusted = known(stack, "kerberos.realm"), known(stack, "kerberos.trusted_realms")
    if realm is UNKNOWN or trusted is UNKNOWN:
        return
    allowed = {realm, *trusted}
    for index, (principal,) in tenants_with(stack, "kerberos.principal"):
        principal_realm = principal.rsplit("@", 1)[-1]
        if principal_realm not in allowed:
            yield Issue(f"tenants[{index}].kerberos.principal", f"{principal!r} is in realm {principal_realm}, "
                        "which is neither kerberos.realm nor listed in kerberos.trustedRealms")


def datakits(stack: StackConfig) -> Iterator[Issue]:
    defined = known(stack, "datakits")
    if defined is UNKNOWN:
        return
    for index, (kits,) in tenants_with(stack, "datakits"):
        for position, kit in enumerate(kits):
            if kit not in defined:
                yield Issue(f"tenants[{index}].datakits[{position}]", f"{kit!r} is not defined under 'datakits' "
                            f"(defined: {', '.join(sorted(defined)) or 'none'})")


def shards(stack: StackConfig) -> Iterator[Issue]:
    declared = known(stack, "tenancy.shards")
    if declared is UNKNOWN:
        return
    for index, (shard,) in tenants_with(stack, "shard"):
        if shard is not None and shard not in declared:
            listed = ", ".join(declared) or "none"
            yield Issue(f"tenants[{index}].shard", f"{shard!r} is not a shard of this stack (tenancy.shards: "
                        f"{listed}); a tenant in a shard no stack declares would have no network policy, quota or "
                        "role binding: add the shard to tenancy.shards once its stack exists, or fix the name")


def deployers(stack: StackConfig) -> Iterator[Issue]:
    """No tenant may be a deployer: deployers may change the isolation objects the admission policy guards."""
    groups, users = known(stack, "tenancy.deployers.groups"), known(stack, "tenancy.deployers.users")
    if groups is not UNKNOWN:
        tenant_groups = {group.casefold(): f"tenants[{index}].{key}[{position}]"
                         for index, (bound,) in tenants_with(stack, "groups") for key, position, group in bound}
        for position, group in enumerate(groups):
            where = tenant_groups.get(group.casefold())
            if where:
                yield Issue(f"tenancy.deployers.groups[{position}]", f"{group!r} is bound in a tenant namespace "
                            f"({where}; compared without case): its members could undo their own tenant's isolation; "
                            "deployers are the platform's own identities")
    if users is not UNKNOWN:
        namespaces = {namespace: index for index, (namespace,) in tenants_with(stack, "namespace_name")}
        for position, user in enumerate(users):
            prefix, _, rest = user.partition("system:serviceaccount:")
            namespace = rest.split(":", 1)[0]
            if not prefix and namespace in namespaces:
                yield Issue(f"tenancy.deployers.users[{position}]", f"{user!r} is a service account of "
                            f"tenants[{namespaces[namespace]}]'s namespace: anyone who may run a pod there could act "
                            "as it and undo the isolation; use an identity outside tenant namespaces")


def tenant_egress(stack: StackConfig) -> Iterator[Issue]:
    """A tenant's own rules together with the shared lists every tenant reaches."""
    shared: list[str] = [] if (found := known(stack, "tenancy.egress.tenant_cidrs")) is UNKNOWN else found
    if reaches_everywhere(shared):
        return  # reported on tenancy.egress
    for index, (rules,) in tenants_with(stack, "egress"):
        # A rule with a reason may reach everywhere; one that does alone is reported on the rule itself.
        own: list[list[str]] = [cidrs for rule in rules if known(rule, "anywhere_reason") is None
                                for cidrs in [known(rule, "cidrs")] if cidrs is not UNKNOWN]
        if own and not any(reaches_everywhere(cidrs) for cidrs in own):
            yield from anywhere(f"tenants[{index}].egress", [*shared, *(c for cidrs in own for c in cidrs)],
                                "with tenancy.egress they cover it: set anywhereReason on the rule that needs it, or "
                                "name the data sources' own addresses")


# Values signIn writes; an override of them would silently undo the sign-in the stack declares.
SIGN_IN_VALUES = ("astronomer.houston.config.auth", "astronomer.houston.secret")


def sign_in(stack: StackConfig) -> Iterator[Issue]:
    """Prod declares its sign-in; a declared sign-in has a way in, fits the chart line, imports the groups
    tenants bind, and is not overridden by valuesOverrides."""
    sign_in, environment = known(stack, "sign_in"), known(stack, "environment")
    if sign_in is None:
        if environment == PROD:
            yield Issue("signIn", "is required in prod: the chart's own sign-in turns on the public Google and "
                        "GitHub logins; name the identity provider (docs/sign-in.md)")
        return
    if sign_in is UNKNOWN or environment is UNKNOWN:
        return
    if not sign_in.providers and not sign_in.local_accounts_in(environment):
        yield Issue("signIn", "leaves no way to sign in: add a provider or set localAccounts: true")
    version = known(stack, "platform.chart_version")
    if version is not UNKNOWN:
        yield from line_issues(sign_in, version)
    if not sign_in.imports_groups:
        for index, (groups,) in tenants_with(stack, "groups"):
            if groups:
                key, position, _ = groups[0]
                yield Issue(f"tenants[{index}].{key}[{position}]", "is bound as a Houston team, which exists only "
                            "once IdP groups are imported: set signIn.flow: code")
    overrides = known(stack, "platform.values_overrides")
    if overrides is not UNKNOWN:
        for path in SIGN_IN_VALUES:
            if value_at(overrides, path) is not UNSET:
                yield Issue(f"platform.valuesOverrides.{path}", "is written by signIn; set sign-in there instead")


def dag_mechanisms(stack: StackConfig) -> Iterator[Issue]:
    """Each tenant's DAG deploy mechanism is one its chart line offers; in prod git-sync holds a release."""
    version, environment = known(stack, "platform.chart_version"), known(stack, "environment")
    for index, (dags,) in tenants_with(stack, "dags"):
        if version is not UNKNOWN:
            for issue in dag_line_issues(dags, version):
                yield Issue(f"tenants[{index}].{issue.key}", issue.message)
        if environment == PROD and dags.git_sync is not None and dags.git_sync.rev is None:
            yield Issue(f"tenants[{index}].dags.gitSync.rev", "is required in prod: without it every merge to the "
                        "branch goes live in prod, with no release and no reviewer; set it to the release's tag")


# Values the program derives from dataPlanes and platform.planeMode: an override would split the planes behind
# the config's back.
PLANE_VALUES = ("global.plane", "global.baseDomain")


def data_planes(stack: StackConfig) -> Iterator[Issue]:
    """Data planes need chart 1.0 or later; each tenant's data plane exists; a control-only platform places
    every tenant; the plane values are the program's."""
    planes, line = known(stack, "data_planes"), known(stack, "platform.chart_line")
    mode, overrides = known(stack, "platform.plane_mode"), known(stack, "platform.values_overrides")
    if planes is UNKNOWN:
        return
    if overrides is not UNKNOWN:
        for path in PLANE_VALUES if planes else PLANE_VALUES[:1]:
            if value_at(overrides, path) is not UNSET:
                yield Issue(f"platform.valuesOverrides.{path}", "is set by the program from dataPlanes and "
                            "platform.planeMode (one base domain for every plane); remove it")
    if planes and line == "0.37":
        yield Issue("dataPlanes", "needs chart 1.0 or later: chart line 0.37 has no control and data planes "
                    "(global.plane.mode); upgrade platform.chartVersion first, or remove dataPlanes")
    if mode == "control" and not planes:
        yield Issue("platform.planeMode", "is control, but dataPlanes is empty: no cluster would run Airflow; "
                    "add a data plane or use unified")
    platform_kubernetes = known(stack, "kubernetes")
    if platform_kubernetes is not UNKNOWN:
        yield from placement_issues(planes, platform_kubernetes)
    for index, (plane, shard) in tenants_with(stack, "data_plane", "shard"):
        if plane is None:
            if mode == "control" and planes:
                yield Issue(f"tenants[{index}].dataPlane", "is required: platform.planeMode is control, so the "
                            "platform's cluster runs no Airflow; name one of dataPlanes")
            continue
        problem = unknown_plane(plane, planes)
        if problem:
            yield Issue(f"tenants[{index}].dataPlane", problem)
        elif shard is not None:
            yield Issue(f"tenants[{index}].shard", "is not offered for a tenant on a data plane: a shard stack "
                        "declares its objects on the platform's cluster; remove shard or dataPlane")
