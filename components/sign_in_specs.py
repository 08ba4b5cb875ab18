"""Houston's sign-in: the platform's identity providers, local accounts, social logins and system roles
from IdP groups, as chart values (a pure function of typed settings).

Houston reads its config from the chart's ``production.yaml`` and then the values' ``houston.config``
(``local-production.yaml``), which wins. The chart's own ``production.yaml`` turns the Google and GitHub
logins on at every supported line, so they are switched off here explicitly. Client secrets never enter the
values: the chart's ``houston.secret`` list maps a Kubernetes Secret's key onto Houston's environment, where
``AUTH__OPENID_CONNECT__<PROVIDER>__CLIENT_SECRET`` sets ``auth.openidConnect.<provider>.clientSecret``.
Sources are in docs/sign-in.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

SIGN_IN_SECRET_NAME = "houston-sign-in"
SIGN_IN_VERSION_ANNOTATION = "astronomer-platform/sign-in-secret-version"
"""Houston's pod annotation that changes with the client secrets, so a rotation restarts Houston"""
"""the Secret in the platform namespace that holds each provider's client secret under its Houston key"""
DEFAULT_GROUPS_CLAIM = "groups"
"""the claim Houston reads IdP groups from unless told otherwise"""
# What Houston asks every OpenID Connect provider for; extra scopes are added to these.
BASE_SCOPES = ("openid", "profile", "email")

Flow = Literal["code", "implicit"]


@dataclass(frozen=True)
class IdentityProviderSpec:
    """One OpenID Connect provider, under its key in Houston's ``auth.openidConnect``."""

    houston_key: str
    """okta, microsoft, adfs, auth0 or custom"""
    client_id: str
    """the application's client id at the provider"""
    discovery_url: str
    """the provider's https:// OpenID Connect discovery document"""
    groups_claim: str = DEFAULT_GROUPS_CLAIM
    """the ID-token claim that carries the user's groups"""
    extra_scopes: Sequence[str] = ()
    """scopes asked for besides openid, profile and email"""
    audience: str | None = None
    """the audience parameter of the authorization request; None leaves Houston's"""
    display_name: str | None = None
    """the sign-in button's label; None leaves Houston's"""
    has_client_secret: bool = False
    """the provider's client secret is in SIGN_IN_SECRET_NAME under houston_key"""


@dataclass(frozen=True)
class SystemRoleGroups:
    """IdP groups whose members hold each platform-wide role (Houston then refuses to change it by hand)."""

    admin: Sequence[str] = ()
    editor: Sequence[str] = ()
    viewer: Sequence[str] = ()


@dataclass(frozen=True)
class SignInSpec:
    providers: Sequence[IdentityProviderSpec]
    """the enabled OpenID Connect providers"""
    flow: Flow = "code"
    """OAuth flow: code (needed to import groups) or implicit"""
    local_accounts: bool = False
    """Houston's own user name and password accounts"""
    social_logins: bool = False
    """the public Google and GitHub logins"""
    import_groups: bool = True
    """import IdP groups as Houston teams at sign-in (tenants' workspace teams and system roles need it)"""
    system_roles: SystemRoleGroups | None = None
    """system roles from IdP groups; None leaves system roles to be granted in Houston"""


def secrets_version(key: str, client_secrets: Mapping[str, str]) -> str:
    """A version of the client secrets that shows nothing of them: an HMAC keyed with ``key`` (the stack's
    control-plane id), shortened. The chart restarts Houston on a change of its config or backend Secret only;
    this annotation makes a rotated client secret one too."""
    document = json.dumps(sorted(client_secrets.items())).encode()
    return hmac.new(key.encode(), document, hashlib.sha256).hexdigest()[:16]


def client_secret_env(houston_key: str) -> str:
    """The Houston environment variable that sets a provider's client secret."""
    return f"AUTH__OPENID_CONNECT__{houston_key.upper()}__CLIENT_SECRET"


def _provider(provider: IdentityProviderSpec) -> dict[str, Any]:
    values: dict[str, Any] = {"enabled": True, "clientId": provider.client_id,
                              "discoveryUrl": provider.discovery_url}
    if provider.display_name is not None:
        values["displayName"] = provider.display_name
    if provider.groups_claim != DEFAULT_GROUPS_CLAIM:
        # claimsMapping maps Houston's field to the token's claim (as Houston's own email mappings do).
        values["claimsMapping"] = {"groups": provider.groups_claim}
    params: dict[str, str] = {}
    if provider.audience is not None:
        params["audience"] = provider.audience
    if provider.extra_scopes:
        params["scope"] = " ".join([*BASE_SCOPES, *provider.extra_scopes])
    if params:
        values["authUrlParams"] = params
    return values


def _flag(line: str, key: str, value: bool) -> dict[str, Any]:
    """A Houston switch: ``<key>Enabled`` on 0.37 and 1.x, ``<key>.enabled`` on 2.x (the chart's 1.x to 2.x
    values migration, bin/helm_chart_values_migration_shared.py at v2.1.0)."""
    return {key: {"enabled": value}} if line == "2" else {f"{key}Enabled": value}


def sign_in_values(spec: SignInSpec, line: str) -> dict[str, Any]:
    """The ``astronomer.houston`` values for ``spec`` on chart ``line`` (0.37, 1, 2): ``config.auth`` and the
    ``secret`` list. Only the group import switches differ between lines."""
    open_id: dict[str, Any] = {
        "flow": spec.flow,
        **_flag(line, "idpGroupsImport", spec.import_groups),
        # Groups are read again when a token expires (Houston's default config says so of this switch), so a
        # removal from a group takes effect then, not only at the user's next sign-in.
        **_flag(line, "idpGroupsRefresh", spec.import_groups),
        "google": {"enabled": spec.social_logins},
    }
    for provider in spec.providers:
        open_id[provider.houston_key] = _provider(provider)
    roles = spec.system_roles
    # Lists left out are Houston's default, empty (an empty list would not survive the engine's diff).
    open_id["manageSystemPermissionsViaIdpGroups"] = {"enabled": roles is not None, **({
        key: list(groups) for key, groups in (("systemAdmin", roles.admin), ("systemEditor", roles.editor),
                                              ("systemViewer", roles.viewer)) if groups} if roles else {})}
    houston: dict[str, Any] = {"config": {"auth": {
        "local": {"enabled": spec.local_accounts},
        "github": {"enabled": spec.social_logins},
        "openidConnect": open_id,
    }}}
    secrets = [{"envName": client_secret_env(p.houston_key), "secretName": SIGN_IN_SECRET_NAME,
                "secretKey": p.houston_key} for p in spec.providers if p.has_client_secret]
    if secrets:
        houston["secret"] = secrets
    return houston
