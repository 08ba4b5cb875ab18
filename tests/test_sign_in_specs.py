"""Houston's sign-in values from typed settings (components.sign_in_specs)."""

from __future__ import annotations

from typing import Any

import pytest

from components.platform_values import ChartSettings, platform_values
from components.sign_in_specs import (
    SIGN_IN_SECRET_NAME,
    IdentityProviderSpec,
    SignInSpec,
    SystemRoleGroups,
    client_secret_env,
    sign_in_values,
)
from domain.chart_lines import chart_line

SAMPLE = SignInSpec(
    providers=(
        IdentityProviderSpec("okta", "0oa-sample-client", "https://company.okta.com/oauth2/default/.well-known/"
                             "openid-configuration", extra_scopes=("groups",), has_client_secret=True),
        IdentityProviderSpec("custom", "platform-sample", "https://sso.company.com/realms/corp/.well-known/"
                             "openid-configuration", groups_claim="memberOf", display_name="Company SSO",
                             audience="astronomer", has_client_secret=True),
    ),
    system_roles=SystemRoleGroups(admin=("astro-platform-admins",), viewer=("astro-platform-auditors",)),
)


def auth(spec: SignInSpec, line: str = "1") -> dict[str, Any]:
    return sign_in_values(spec, line)["config"]["auth"]


def test_the_providers_are_enabled_with_their_client_ids_and_discovery_urls():
    open_id = auth(SAMPLE)["openidConnect"]
    assert open_id["okta"] == {"enabled": True, "clientId": "0oa-sample-client",
                               "discoveryUrl": SAMPLE.providers[0].discovery_url,
                               "authUrlParams": {"scope": "openid profile email groups"}}
    assert open_id["custom"] == {"enabled": True, "clientId": "platform-sample",
                                 "discoveryUrl": SAMPLE.providers[1].discovery_url, "displayName": "Company SSO",
                                 "claimsMapping": {"groups": "memberOf"}, "authUrlParams": {"audience": "astronomer"}}


def test_local_and_social_logins_are_off_unless_asked_for():
    values = auth(SAMPLE)
    assert values["local"] == {"enabled": False}
    assert values["github"] == {"enabled": False}
    assert values["openidConnect"]["google"] == {"enabled": False}
    opened = auth(SignInSpec(providers=(), local_accounts=True, social_logins=True))
    assert opened["local"] == opened["github"] == opened["openidConnect"]["google"] == {"enabled": True}


def test_system_roles_follow_the_groups_and_groups_are_imported():
    open_id = auth(SAMPLE)["openidConnect"]
    assert open_id["manageSystemPermissionsViaIdpGroups"] == {
        "enabled": True, "systemAdmin": ["astro-platform-admins"], "systemViewer": ["astro-platform-auditors"]}
    assert open_id["flow"] == "code"
    assert open_id["idpGroupsImportEnabled"] is open_id["idpGroupsRefreshEnabled"] is True


def test_2x_nests_the_group_import_switches():
    # The chart's 1.x to 2.x values migration moves them (bin/helm_chart_values_migration_shared.py, v2.1.0).
    open_id = auth(SAMPLE, "2")["openidConnect"]
    assert open_id["idpGroupsImport"] == open_id["idpGroupsRefresh"] == {"enabled": True}
    assert "idpGroupsImportEnabled" not in open_id and "idpGroupsRefreshEnabled" not in open_id
    assert {k: v for k, v in open_id.items() if not k.startswith("idpGroups")} == {
        k: v for k, v in auth(SAMPLE, "0.37")["openidConnect"].items() if not k.startswith("idpGroups")}


def test_without_system_roles_houston_keeps_granting_them_by_hand():
    open_id = auth(SignInSpec(providers=SAMPLE.providers, flow="implicit", import_groups=False))["openidConnect"]
    assert open_id["manageSystemPermissionsViaIdpGroups"] == {"enabled": False}
    assert open_id["flow"] == "implicit" and open_id["idpGroupsImportEnabled"] is False


def test_client_secrets_come_from_the_secret_through_houstons_environment():
    assert sign_in_values(SAMPLE, "1")["secret"] == [
        {"envName": "AUTH__OPENID_CONNECT__OKTA__CLIENT_SECRET", "secretName": SIGN_IN_SECRET_NAME,
         "secretKey": "okta"},
        {"envName": "AUTH__OPENID_CONNECT__CUSTOM__CLIENT_SECRET", "secretName": SIGN_IN_SECRET_NAME,
         "secretKey": "custom"},
    ]
    without = SignInSpec(providers=(IdentityProviderSpec("adfs", "id", "https://adfs.company.com/adfs"),),
                         flow="implicit", import_groups=False)
    assert "secret" not in sign_in_values(without, "1")
    assert client_secret_env("microsoft") == "AUTH__OPENID_CONNECT__MICROSOFT__CLIENT_SECRET"


@pytest.mark.parametrize("version", ["0.37.7", "1.2.0", "2.1.0"])
def test_the_platform_values_carry_the_sign_in_on_every_line(version: str):
    settings = ChartSettings(chart_version=version, image_repository="artifactory.company.com/astronomer",
                             helm_repo_url="https://artifactory.company.com/helm", base_domain="astro.company.com",
                             tls_secret_name="tls", pool_namespaces=[], control_plane_id="id", sign_in=SAMPLE)
    houston = platform_values(settings)["astronomer"]["houston"]
    assert houston["config"]["auth"] == auth(SAMPLE, chart_line(version))
    assert houston["secret"] == sign_in_values(SAMPLE, "1")["secret"]
    # The program's own Houston settings stay beside the sign-in.
    assert houston["config"]["deployments"] and houston["updateCheck"] == {"enabled": False}
    unset = platform_values(ChartSettings(**{**vars(settings), "sign_in": None}))["astronomer"]["houston"]
    assert "auth" not in unset["config"] and "secret" not in unset
