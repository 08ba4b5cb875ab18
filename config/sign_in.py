"""The ``signIn`` section: how people sign in to the platform, and which IdP groups hold its system roles.

Client secrets are not here: they are the secret ``signInClientSecrets`` (config.secrets).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from config.base import Issue, Model, rule
from config.rules import HttpsUrl, IdpGroup, NonEmptyStr, Rule
from domain.chart_lines import chart_line

ProviderKind = Literal["okta", "microsoft", "adfs", "auth0", "oidc", "ldap"]
# Each OpenID Connect kind's key in Houston's auth.openidConnect; "oidc" is Houston's generic provider.
HOUSTON_KEYS = {"okta": "okta", "microsoft": "microsoft", "adfs": "adfs", "auth0": "auth0", "oidc": "custom"}
# Houston's LDAP sign-in arrived with Astro Private Cloud 2.1 (docs/sign-in.md).
LDAP_SINCE = (2, 1)
PROD = "prod"
"""the environment whose stack must configure sign-in, with local accounts off unless said otherwise"""

ClaimName = Annotated[str, Field(strict=True), Rule(
    "is not a token claim name (letters, digits, '_', '-', ':', '/' and '.')",
    pattern=r"[A-Za-z0-9_:/.\-]{1,128}",
)]
Scope = Annotated[str, Field(strict=True), Rule(
    "is not an OAuth scope (printable characters without spaces or quotes)",
    pattern=r"[!#-\[\]-~]{1,128}",
)]


class IdentityProvider(Model):
    """An OpenID Connect identity provider people sign in with."""

    kind: ProviderKind
    """okta, microsoft (Entra ID / Azure AD), adfs, auth0 or oidc (any other OpenID Connect provider); ldap is
    refused (docs/sign-in.md)"""
    client_id: NonEmptyStr
    """the application's client id at the provider"""
    discovery_url: HttpsUrl
    """the provider's OpenID Connect discovery URL (https://)"""
    groups_claim: ClaimName = "groups"
    """the ID-token claim that carries the user's groups"""
    extra_scopes: list[Scope] = Field(default_factory=list[str])
    """scopes to ask for besides openid, profile and email (e.g. groups)"""
    audience: NonEmptyStr | None = None
    """the authorization request's audience (default for microsoft: the client id; otherwise Houston's)"""
    display_name: NonEmptyStr | None = None
    """the sign-in button's label (default: Houston's for the kind)"""

    @property
    def houston_key(self) -> str:
        return HOUSTON_KEYS[self.kind]


class SystemRoles(Model):
    """IdP groups whose members hold the platform-wide roles. Once set, Houston takes system roles from these
    groups only: none can be granted by hand."""

    admin_groups: list[IdpGroup] = Field(default_factory=list[str])
    """groups whose members are system admins (at least one)"""
    editor_groups: list[IdpGroup] = Field(default_factory=list[str])
    """groups whose members are system editors"""
    viewer_groups: list[IdpGroup] = Field(default_factory=list[str])
    """groups whose members are system viewers"""

    @property
    def groups(self) -> list[tuple[str, int, str]]:
        lists = (("adminGroups", self.admin_groups), ("editorGroups", self.editor_groups),
                 ("viewerGroups", self.viewer_groups))
        return [(key, index, group) for key, groups in lists for index, group in enumerate(groups)]

    @rule
    def _an_admin_group(self) -> Iterator[Issue]:
        if not self.admin_groups:
            yield Issue("adminGroups", "is empty: with system roles from IdP groups, only these groups' members "
                        "are system admins; name at least one")

    @rule
    def _each_group_once(self) -> Iterator[Issue]:
        seen: dict[str, str] = {}
        for key, index, group in self.groups:
            first = seen.setdefault(group.casefold(), f"{key}[{index}]")
            if first != f"{key}[{index}]":
                yield Issue(f"{key}[{index}]", f"{group!r} is already named in {first} (group names are compared "
                            "without case); give each group one system role")


class SignInConfig(Model):
    """The platform's sign-in (Houston's auth config)."""

    providers: list[IdentityProvider] = Field(default_factory=list[IdentityProvider])
    """the identity providers people sign in with (client secrets: secret signInClientSecrets)"""
    flow: Literal["code", "implicit"] = "code"
    """OAuth flow: code (imports IdP groups; each provider needs its client secret) or implicit"""
    local_accounts: StrictBool | None = None
    """Houston's own user name and password accounts (default: off in the prod environment, on elsewhere)"""
    social_logins: StrictBool = False
    """the public Google and GitHub logins, which the chart turns on"""
    system_roles: SystemRoles | None = None
    """IdP groups that hold the system roles (default: roles granted by hand in Houston)"""

    @property
    def imports_groups(self) -> bool:
        return self.flow == "code"

    def local_accounts_in(self, environment: str) -> bool:
        return self.local_accounts if self.local_accounts is not None else environment != PROD

    @rule
    def _one_provider_per_kind(self) -> Iterator[Issue]:
        seen: dict[str, int] = {}
        for index, provider in enumerate(self.providers):
            first = seen.setdefault(provider.kind, index)
            if first != index:
                yield Issue(f"providers[{index}].kind", f"{provider.kind!r} is already providers[{first}]; Houston "
                            "holds one provider of each kind")

    @rule
    def _roles_need_imported_groups(self) -> Iterator[Issue]:
        if self.system_roles is None:
            return
        if not self.imports_groups:
            yield Issue("systemRoles", "needs flow: code; Houston imports IdP groups only in the authorization "
                        "code flow")
        if not self.providers:
            yield Issue("systemRoles", "needs an identity provider: the groups come from one")


def line_issues(sign_in: SignInConfig, chart_version: str) -> Iterator[Issue]:
    """What the chart version's line cannot do of ``sign_in``; keys under ``signIn``."""
    major, minor = (int(part) for part in chart_version.split(".")[:2])
    for index, provider in enumerate(sign_in.providers):
        if provider.kind != "ldap":
            continue
        if (major, minor) < LDAP_SINCE:
            yield Issue(f"signIn.providers[{index}].kind", f"'ldap' is not offered by chart {chart_version} (line "
                        f"{chart_line(chart_version)}): Houston's LDAP sign-in arrived with 2.1; use an OpenID "
                        "Connect kind")
        else:
            yield Issue(f"signIn.providers[{index}].kind", "'ldap' is not managed by this program (it configures "
                        "OpenID Connect providers); use an OpenID Connect kind")
