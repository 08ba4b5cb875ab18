"""The ``tenancy`` section: what every tenant namespace shares (egress, Pod Security, deployers, protection,
shards)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from config.base import Issue, Model, Port, rule
from config.platform import PodSecurity
from config.rules import (
    Cidr,
    DeployerUser,
    IdpGroup,
    NonEmptyStr,
    Reason,
    Rfc1123Label,
)
from domain.address_reach import reaches_everywhere


class EgressRule(Model):
    """An extra egress allow for a tenant: destinations and ports."""

    description: NonEmptyStr | None = None
    """what the destination is"""
    cidrs: Annotated[list[Cidr], Field(min_length=1)]
    """destination CIDR blocks"""
    ports: Annotated[list[Port], Field(min_length=1)]
    """destination ports"""
    protocol: Literal["TCP", "UDP"] = "TCP"
    """TCP or UDP"""
    anywhere_reason: Reason | None = None
    """why this rule may reach every address (required when its CIDRs together cover every address, or every
    public one)"""

    @rule
    def _anywhere_needs_a_reason(self) -> Iterator[Issue]:
        if self.anywhere_reason is None:
            yield from anywhere("cidrs", self.cidrs, "set anywhereReason on this rule to say why the tenant needs it")


def anywhere(key: str, cidrs: list[str], remedy: str) -> Iterator[Issue]:
    """A problem when ``cidrs`` together reach every address (or every public one)."""
    reach = reaches_everywhere(cidrs)
    if reach:
        yield Issue(key, f"reaches every address on the internet ({cidrs} together cover {reach}), which undoes the "
                    f"tenant's isolation; {remedy}")


class TenantEgress(Model):
    """Destinations outside the namespace that pods may reach (NetworkPolicy matches CIDRs, not names)."""

    api_server_cidrs: Annotated[list[Cidr], Field(min_length=1)]
    """CIDRs of the Kubernetes API server's endpoints, which every tenant's scheduler and workers reach to
    launch pods; most CNIs match the endpoints after the Service's DNAT, not the 'kubernetes' Service's
    address: find them with `kubectl get endpoints kubernetes -n default`"""
    api_server_port: Port = 443
    """port of those endpoints (the ENDPOINTS column of the same command; often 443 or 6443)"""
    kdc_cidrs: Annotated[list[Cidr], Field(min_length=1)]
    """CIDRs of the KDCs (their ports from kerberos.kdcs, 88 by default, TCP and UDP)"""
    vault_cidrs: Annotated[list[Cidr], Field(min_length=1)]
    """CIDRs of the Delinea vault, which only the ticket manager reaches (never a tenant namespace)"""
    # The Airflow metadata database, when it runs outside the cluster.
    database_cidrs: list[Cidr] = Field(default_factory=list)
    """CIDRs of the Airflow metadata database when outside the cluster"""
    database_port: Port = 5432
    """port of the metadata database"""

    @property
    def tenant_cidrs(self) -> list[str]:
        """What every tenant's pods reach through these lists (never the vault)."""
        return [*self.api_server_cidrs, *self.kdc_cidrs, *self.database_cidrs]

    @rule
    def _no_anywhere(self) -> Iterator[Issue]:
        remedy = "name the service's own addresses"
        for key, cidrs in (("apiServerCidrs", self.api_server_cidrs), ("kdcCidrs", self.kdc_cidrs),
                           ("vaultCidrs", self.vault_cidrs), ("databaseCidrs", self.database_cidrs)):
            yield from anywhere(key, cidrs, remedy)

    @rule
    def _no_anywhere_together(self) -> Iterator[Issue]:
        # Each list alone is reported above; here the lists that one policy allows together.
        if not any(reaches_everywhere(cidrs) for cidrs in (self.api_server_cidrs, self.kdc_cidrs, self.vault_cidrs,
                                                             self.database_cidrs)):
            yield from anywhere("", self.tenant_cidrs, "apiServerCidrs, kdcCidrs and databaseCidrs are every "
                                "tenant's egress: name each service's own addresses")
            manager = [*self.api_server_cidrs, *self.kdc_cidrs, *self.vault_cidrs]
            yield from anywhere("", manager, "apiServerCidrs, kdcCidrs and vaultCidrs are the ticket manager's "
                                "egress: name each service's own addresses")


class TenancyDeployers(Model):
    """The identities that run ``pulumi up``: an admission policy lets only them (and the controllers
    that empty a namespace being deleted) change or delete tenants' NetworkPolicies, quota and RBAC."""

    users: list[DeployerUser] = Field(default_factory=list)
    """user names as the API server sees them, e.g. system:serviceaccount:platform-deploy:pulumi"""
    # IdP groups only: a system: group such as system:authenticated would let every tenant in.
    groups: list[IdpGroup] = Field(default_factory=list)
    """groups whose members may (IdP groups; system: groups are refused)"""

    @rule
    def _someone(self) -> Iterator[Issue]:
        if not self.users and not self.groups:
            yield Issue("", "lists no user or group; name the identity that runs pulumi up, or nobody could "
                        "change a tenant's network policies, quota or role bindings")


class TenancyConfig(Model):
    """Settings shared by every tenant namespace."""

    # Astronomer's Airflow pods run as non-root but do not set seccomp profiles or drop
    # capabilities: 'restricted' would reject them, so enforce 'baseline' and report the rest.
    pod_security: PodSecurity = PodSecurity(enforce="baseline", audit="restricted", warn="restricted")
    """Pod Security labels of every tenant namespace (enforce baseline or restricted: privileged is refused)"""
    protect_namespaces: StrictBool = False
    """refuse to delete a tenant namespace when its tenant leaves the config"""
    egress: TenantEgress
    """destinations outside the namespace that tenants' pods (the API server, KDCs, database) and the ticket
    manager (the API server, KDCs, vault) may reach"""
    allow_no_tenants: StrictBool = False
    """allow an empty or missing 'tenants' list (it deletes every tenant namespace the stack had)"""
    deployers: TenancyDeployers
    """the only identities that may change or delete tenants' isolation objects (users and groups)"""
    shards: list[Rfc1123Label] = Field(default_factory=list)
    """the tenant shard stacks (project astronomer-tenant-shard) this stack's tenants may name in 'shard'"""

    @rule
    def _no_privileged_tenants(self) -> Iterator[Issue]:
        # A privileged pod owns its node, and with it every other tenant's pods and tickets on that node.
        if self.pod_security.enforce == "privileged":
            yield Issue("podSecurity.enforce", "'privileged' lets a tenant's pod take over its node (host "
                        "namespaces, host paths, privileged containers) and every tenant's pods on it; enforce "
                        "baseline or restricted")

    @rule
    def _shards_once(self) -> Iterator[Issue]:
        seen: set[str] = set()
        for index, shard in enumerate(self.shards):
            if shard in seen:
                yield Issue(f"shards[{index}]", f"{shard!r} is listed twice")
            seen.add(shard)
