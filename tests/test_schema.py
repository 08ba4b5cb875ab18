"""The committed JSON schema of the stack files is current, and it accepts and refuses what the
program accepts and refuses."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import yaml

from stackfile.schema import PREFIX, SCHEMA_PATH, render
from tests.helpers import ROOT, STACKS

SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
DEV = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())


def errors(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(path of the offending value, message) for each error, the path as ``config.<key>.a[0].b``."""
    found = []
    for error in VALIDATOR.iter_errors(document):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        found.append((path.lstrip("."), error.message))
    return found


def test_committed_schema_is_generated_from_the_models():
    assert SCHEMA_PATH.read_text() == render(), "run: python -m stackfile.schema"


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_file_validates(stack):
    path = ROOT / f"Pulumi.{stack}.yaml"
    assert errors(yaml.safe_load(path.read_text())) == []


@pytest.mark.parametrize("stack", STACKS)
def test_stack_file_names_the_schema_for_editors(stack):
    path = ROOT / f"Pulumi.{stack}.yaml"
    first = path.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    assert (path.parent / first.split("=", 1)[1]).resolve() == SCHEMA_PATH


def edited(change) -> dict[str, Any]:
    document = copy.deepcopy(DEV)
    change(document["config"])
    return document


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda c: c.update({f"{PREFIX}tenant": []}), "config", f"'{PREFIX}tenant' does not match any"),
    (lambda c: c[f"{PREFIX}tenants"][0].update(maxWorker=10), f"config.{PREFIX}tenants[0]",
     "'maxWorker' was unexpected"),
    (lambda c: c[f"{PREFIX}kerberos"]["delinea"].update(user="x"), f"config.{PREFIX}kerberos.delinea",
     "'user' was unexpected"),
    (lambda c: c[f"{PREFIX}datakits"].update(Bad_Kit={"version": "1.0.0"}), f"config.{PREFIX}datakits",
     "'Bad_Kit' does not match"),
    (lambda c: c.update(nonamespace="x"), "config", "'nonamespace' does not match any"),
], ids=["project key", "tenant key", "nested key", "map key", "key without namespace"])
def test_unknown_key_is_refused(change, path, message):
    assert any(p == path and message in m for p, m in errors(edited(change))), errors(edited(change))


def test_unknown_top_level_key_is_refused():
    document = copy.deepcopy(DEV) | {"confg": {}}
    assert ("", "Additional properties are not allowed ('confg' was unexpected)") in errors(document)


@pytest.mark.parametrize(("change", "path"), [
    (lambda c: c[f"{PREFIX}tenants"][0].update(name="Finance"), f"config.{PREFIX}tenants[0].name"),
    (lambda c: c[f"{PREFIX}tenants"][0].update(maxWorkers=0), f"config.{PREFIX}tenants[0].maxWorkers"),
    (lambda c: c[f"{PREFIX}platform"].update(chartVersion="latest"), f"config.{PREFIX}platform.chartVersion"),
    (lambda c: c[f"{PREFIX}platform"].update(releaseName="a" * 54), f"config.{PREFIX}platform.releaseName"),
    (lambda c: c[f"{PREFIX}images"].update(pythonVersion=3.1), f"config.{PREFIX}images.pythonVersion"),
    (lambda c: c[f"{PREFIX}kerberos"].update(kdcs=["tcp://kdc1"]), f"config.{PREFIX}kerberos.kdcs[0]"),
    (lambda c: c[f"{PREFIX}tenancy"]["podSecurity"].update(enforce="strict"),
     f"config.{PREFIX}tenancy.podSecurity.enforce"),
    (lambda c: c.update({f"{PREFIX}tlsKey": {"secure": 1}}), f"config.{PREFIX}tlsKey"),
    (lambda c: c.pop(f"{PREFIX}tenancy"), "config"),
], ids=["label", "positive integer", "exact version", "helm release length", "quoted python version",
        "host", "pod security level", "secure value", "required key"])
def test_malformed_value_is_flagged(change, path):
    assert any(p == path for p, _ in errors(edited(change))), errors(edited(change))


def test_secrets_and_other_namespaces_are_accepted():
    def change(config: dict[str, Any]) -> None:
        config[f"{PREFIX}artifactoryPassword"] = {"secure": "v1:c2FsdA==:ZW5jcnlwdGVk"}
        config[f"{PREFIX}delineaPassword"] = "plain text, which the program warns about"
        config["kubernetes:context"] = "dev-cluster"
        config["pulumi:disable-default-providers"] = ["kubernetes"]

    assert errors(edited(change)) == []


def test_every_pattern_comes_from_a_rule_in_words():
    """A pattern pydantic checks itself (Field(pattern=...)) would report its regular expression to the user;
    a config.rules.Rule reports its rule in words, and writes its pattern as ^(?:...)$."""
    def patterns(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
            return own + [p for key, value in node.items() if key != "patternProperties" for p in patterns(value)]
        if isinstance(node, list):
            return [p for item in node for p in patterns(item)]
        return []

    found = patterns(json.loads(render()))
    assert found and all(p.startswith("^(?:") and p.endswith(")$") for p in found), found
