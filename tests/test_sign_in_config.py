"""Sign-in config: every mistake named by its key path before anything is created, the client secrets kept
secret end to end (config, Secret, render), and the program's wiring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.sign_in_specs import SIGN_IN_SECRET_NAME, SIGN_IN_VERSION_ANNOTATION
from config.errors import ConfigError
from config.secrets import SIGN_IN_CLIENT_SECRETS
from offline.render import render
from stackfile.read import runtime_values
from standins import mock_engine as engine
from tests.helpers import RELEASE, TEST_SECRETS, client_secrets, run_document, stack_document, write_stack_file
from tests.test_config_validation import problems, set_path
from tests.test_offline import files

OKTA = {"kind": "okta", "clientId": "0oa-client", "discoveryUrl": "https://company.okta.com/oauth2/default"}


def with_sign_in(stack: str = "dev", **sign_in: Any) -> dict[str, Any]:
    document = stack_document(stack)
    document["signIn"] = {"providers": [dict(OKTA)], **sign_in}
    return document


CASES = [
    ("http discovery URL", ("signIn", "providers", 0, "discoveryUrl"), "http://company.okta.com/oauth2/default",
     "signIn.providers[0].discoveryUrl: is not an https:// URL with a host"),
    ("unknown kind", ("signIn", "providers", 0, "kind"), "saml",
     "signIn.providers[0].kind: must be 'okta', 'microsoft', 'adfs', 'auth0', 'oidc' or 'ldap'"),
    ("ldap before 2.1", ("signIn", "providers", 0, "kind"), "ldap",
     "signIn.providers[0].kind: 'ldap' is not offered by chart 1.2.0 (line 1): Houston's LDAP sign-in arrived "
     "with 2.1"),
    ("bad groups claim", ("signIn", "providers", 0, "groupsClaim"), "group names", "signIn.providers[0].groupsClaim:"
     " is not a token claim name"),
    ("scope with a space", ("signIn", "providers", 0, "extraScopes"), ["groups offline"],
     "signIn.providers[0].extraScopes[0]: is not an OAuth scope"),
    ("second provider of a kind", ("signIn", "providers", 1), dict(OKTA),
     "signIn.providers[1].kind: 'okta' is already providers[0]; Houston holds one provider of each kind"),
    ("no way in", ("signIn",), {"providers": [], "localAccounts": False},
     "signIn: leaves no way to sign in: add a provider or set localAccounts: true"),
    ("system roles without an admin group", ("signIn", "systemRoles"), {"viewerGroups": ["auditors"]},
     "signIn.systemRoles.adminGroups: is empty"),
    ("a group in two system roles", ("signIn", "systemRoles"), {"adminGroups": ["Admins"], "viewerGroups": ["admins"]},
     "signIn.systemRoles.viewerGroups[0]: 'admins' is already named in adminGroups[0]"),
    ("system roles in the implicit flow", ("signIn",), {"providers": [OKTA], "flow": "implicit",
                                                        "systemRoles": {"adminGroups": ["admins"]}},
     "signIn.systemRoles: needs flow: code; Houston imports IdP groups only in the authorization code flow"),
    ("an override of the sign-in values", ("platform", "valuesOverrides"),
     {"astronomer": {"houston": {"config": {"auth": {"local": {"enabled": True}}}}}},
     "platform.valuesOverrides.astronomer.houston.config.auth: is written by signIn; set sign-in there instead"),
]


@pytest.mark.parametrize(("path", "value", "expected"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_mistakes_are_named_by_their_key(path: tuple[Any, ...], value: Any, expected: str):
    document = with_sign_in()
    document["platform"]["chartVersion"] = "1.2.0"
    if path == ("signIn", "providers", 1):
        document["signIn"]["providers"].append(value)
    else:
        set_path(document, path, value)
    found = problems(document)
    key, _, rule = expected.partition(": ")
    assert any(p.startswith(f"{key}: ") and rule in p for p in found), found
    assert all("\n" not in p for p in found)


def test_ldap_on_2_1_is_named_as_not_managed_here():
    document = with_sign_in()
    document["platform"]["chartVersion"] = "2.1.0"
    document["signIn"]["providers"][0]["kind"] = "ldap"
    assert problems(document) == ["signIn.providers[0].kind: 'ldap' is not managed by this program (it configures "
                                  "OpenID Connect providers); use an OpenID Connect kind"]


def test_prod_must_declare_its_sign_in():
    document = stack_document("prod")
    del document["signIn"]
    assert problems(document) == ["signIn: is required in prod: the chart's own sign-in turns on the public Google "
                                  "and GitHub logins; name the identity provider (docs/sign-in.md)"]
    assert problems(stack_document("prod")) == []


def test_tenants_bound_as_teams_need_imported_groups():
    document = with_sign_in(flow="implicit")
    assert "tenants[0].adminGroups[0]: is bound as a Houston team, which exists only once IdP groups are " \
           "imported: set signIn.flow: code" in problems(document)


def test_local_accounts_are_off_in_prod_and_on_elsewhere_unless_said():
    def local(stack: str, **sign_in: Any) -> bool:
        release = run_document(with_sign_in(stack, **sign_in), stack).of_type(RELEASE)[0]
        return engine.reveal(release.inputs)["values"]["astronomer"]["houston"]["config"]["auth"]["local"]["enabled"]

    assert local("prod") is False and local("dev") is True
    assert local("prod", localAccounts=True) is True and local("dev", localAccounts=False) is False


# --- the client secrets -----------------------------------------------------------------------------------

def run_with(client_secret_text: str | None, stack: str = "prod") -> engine.Recording:
    secrets = dict(TEST_SECRETS)
    if client_secret_text is not None:
        secrets[SIGN_IN_CLIENT_SECRETS] = client_secret_text
        return run_document(stack_document(stack), stack, secrets=secrets)
    return engine.run(*runtime_values(stack_document(stack), secrets), stack=stack)


@pytest.mark.parametrize(("given", "expected"), [
    (None, "signInClientSecrets: is required: signIn.providers[0] (okta) signs in with the code flow, which needs "
           "the client secret; set it with `pulumi config set --secret signInClientSecrets`"),
    ("SECRET-VALUE", 'signInClientSecrets: is not a JSON object {"<provider kind>": "<client secret>"}'),
    (json.dumps({}), "signInClientSecrets.okta: is missing"),
    (json.dumps({"okta": "x", "microsoft": "SECRET-VALUE"}),
     "signInClientSecrets.microsoft: names no signIn provider of the code flow"),
    (json.dumps({"okta": " SECRET-VALUE"}), "signInClientSecrets.okta: (value not shown) is not a non-empty string"),
])
def test_client_secret_mistakes_are_named_without_the_value(given: str | None, expected: str):
    with pytest.raises(ConfigError) as raised:
        run_with(given)
    assert expected in str(raised.value)
    assert "SECRET-VALUE" not in str(raised.value)


def test_the_client_secret_reaches_houston_only_through_its_secret(recordings):
    recording = recordings["prod"]
    secret = next(r for r in recording.of_type("kubernetes:core/v1:Secret") if r.name == "astronomer-sign-in-secret")
    assert secret.inputs["metadata"]["name"] == SIGN_IN_SECRET_NAME
    assert engine.is_secret(secret.inputs["stringData"])
    assert engine.reveal(secret.inputs["stringData"]) == {"okta": client_secrets(stack_document("prod"))["okta"]}
    release = recording.of_type(RELEASE)[0]
    assert secret.urn in release.dependencies
    houston = engine.reveal(release.inputs)["values"]["astronomer"]["houston"]
    assert houston["secret"] == [{"envName": "AUTH__OPENID_CONNECT__OKTA__CLIENT_SECRET",
                                  "secretName": SIGN_IN_SECRET_NAME, "secretKey": "okta"}]
    assert "clientSecret" not in json.dumps(houston["config"])


def test_the_render_shows_the_sign_in_but_never_the_client_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    document = stack_document("prod")
    secret = client_secrets(document)["okta"]
    stack_file = write_stack_file(tmp_path / "Pulumi.prod.yaml", document,
                                  extra=TEST_SECRETS | {SIGN_IN_CLIENT_SECRETS: json.dumps({"okta": secret})})
    assert render("prod", tmp_path / "out", stack_file) == 0
    printed = capsys.readouterr()
    assert secret not in printed.out + printed.err
    for name, content in files(tmp_path / "out").items():
        assert secret.encode() not in content, name
    values = yaml.safe_load((tmp_path / "out/helm/astronomer/values.yaml").read_text())
    okta = values["astronomer"]["houston"]["config"]["auth"]["openidConnect"]["okta"]
    assert okta["clientId"] == document["signIn"]["providers"][0]["clientId"]


def test_a_stack_without_sign_in_keeps_the_charts(recordings):
    houston = engine.reveal(recordings["dev"].of_type(RELEASE)[0].inputs)["values"]["astronomer"]["houston"]
    assert "auth" not in houston["config"] and "secret" not in houston
    assert not [r for r in recordings["dev"].resources if r.name == "astronomer-sign-in-secret"]


def test_a_rotated_client_secret_restarts_houston_and_the_values_stay_readable():
    def release(secret: str) -> engine.Registration:
        secrets = {**TEST_SECRETS, SIGN_IN_CLIENT_SECRETS: json.dumps({"okta": secret})}
        return run_document(stack_document("prod"), "prod", secrets=secrets).of_type(RELEASE)[0]

    first, same, rotated = release("okta-SECRET-1"), release("okta-SECRET-1"), release("okta-SECRET-2")

    def version(registration: engine.Registration) -> str:
        annotations = engine.reveal(registration.inputs)["values"]["astronomer"]["houston"]["podAnnotations"]
        return annotations[SIGN_IN_VERSION_ANNOTATION]

    assert version(first) == version(same) != version(rotated)
    assert "okta-SECRET" not in json.dumps(engine.redact(first.inputs))
    assert not engine.is_secret(first.inputs["values"])  # reviewers still see every value
