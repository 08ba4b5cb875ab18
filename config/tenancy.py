"""The ``tenancy`` section: what every tenant namespace shares (egress, Pod Security, deployers, protection)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from config.base import Model, Port
from config.errors import FieldError
from config.platform import PodSecurity
from config.rules import (
    Cidr,
    DeployerUser,
    IdpGroup,
    NonEmptyStr,
)


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
    anywhere_reason: NonEmptyStr | None = None
    """why this rule may reach every address (required for 0.0.0.0/0 or ::/0)"""

    @model_validator(mode="after")
    def _anywhere_needs_a_reason(self) -> EgressRule:
        if self.anywhere_reason is None:
            _refuse_anywhere("cidrs", self.cidrs, "set anywhereReason on this rule to say why the tenant needs it")
        return self


def _refuse_anywhere(key: str, cidrs: list[str], remedy: str) -> None:
    anywhere = [cidr for cidr in cidrs if ipaddress.ip_network(cidr).prefixlen == 0]
    if anywhere:
        raise FieldError(key, f"{anywhere} reaches every address and undoes the tenant's isolation; {remedy}")


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

    @model_validator(mode="after")
    def _no_anywhere(self) -> TenantEgress:
        for key, cidrs in (("apiServerCidrs", self.api_server_cidrs), ("kdcCidrs", self.kdc_cidrs),
                           ("vaultCidrs", self.vault_cidrs), ("databaseCidrs", self.database_cidrs)):
            _refuse_anywhere(key, cidrs, "name the service's own addresses")
        return self


class TenancyDeployers(Model):
    """The identities that run ``pulumi up``: an admission policy lets only them (and the controllers
    that empty a namespace being deleted) change or delete tenants' NetworkPolicies, quota and RBAC."""

    users: list[DeployerUser] = Field(default_factory=list)
    """user names as the API server sees them, e.g. system:serviceaccount:platform-deploy:pulumi"""
    # IdP groups only: a system: group such as system:authenticated would let every tenant in.
    groups: list[IdpGroup] = Field(default_factory=list)
    """groups whose members may (IdP groups; system: groups are refused)"""

    @model_validator(mode="after")
    def _someone(self) -> TenancyDeployers:
        if not self.users and not self.groups:
            raise ValueError("lists no user or group; name the identity that runs pulumi up, or nobody could "
                             "change a tenant's network policies, quota or role bindings")
        return self


class TenancyConfig(Model):
    """Settings shared by every tenant namespace."""

    # Astronomer's Airflow pods run as non-root but do not set seccomp profiles or drop
    # capabilities: 'restricted' would reject them, so enforce 'baseline' and report the rest.
    pod_security: PodSecurity = PodSecurity(enforce="baseline", audit="restricted", warn="restricted")
    """Pod Security labels of every tenant namespace"""
    protect_namespaces: StrictBool = False
    """refuse to delete a tenant namespace when its tenant leaves the config"""
    egress: TenantEgress
    """destinations outside the namespace that tenants' pods (the API server, KDCs, database) and the ticket
    manager (the API server, KDCs, vault) may reach"""
    allow_no_tenants: StrictBool = False
    """allow an empty or missing 'tenants' list (it deletes every tenant namespace the stack had)"""
    deployers: TenancyDeployers
    """the only identities that may change or delete tenants' isolation objects (users and groups)"""
