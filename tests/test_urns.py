"""Aliases resolve to the URNs they stand for, and the offline diff treats an aliased rename as one."""

from __future__ import annotations

import json
from pathlib import Path

from offline.diff import diff_render
from offline.urns import alias_urn

URN = "urn:pulumi:dev::astronomer-platform::astronomer:platform:AstronomerPlatform$kubernetes:core/v1:Namespace::astronomer-namespace"


def test_an_alias_keeps_what_it_does_not_name():
    stem = "urn:pulumi:dev::astronomer-platform::astronomer:platform:AstronomerPlatform$kubernetes:core/v1:Namespace"
    assert alias_urn(URN, {"name": "platform-namespace"}) == f"{stem}::platform-namespace"
    assert alias_urn(URN, {"noParent": True}) == "urn:pulumi:dev::astronomer-platform::kubernetes:core/v1:Namespace::astronomer-namespace"
    assert alias_urn(URN, {"stack": "prod", "type": "kubernetes:core/v1:Secret"}) == (
        "urn:pulumi:prod::astronomer-platform::astronomer:platform:AstronomerPlatform$kubernetes:core/v1:Secret"
        "::astronomer-namespace")
    assert alias_urn(URN, {"urn": "urn:pulumi:x::y::z::w"}) == "urn:pulumi:x::y::z::w"


def _render(folder: Path, resources: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text(json.dumps(resources))
    return folder


def test_the_diff_shows_an_aliased_rename_as_a_change_not_a_replacement(tmp_path):
    old = {"type": "kubernetes:core/v1:Namespace", "name": "platform-namespace", "parent": "p",
           "urn": alias_urn(URN, {"name": "platform-namespace"}), "inputs": {"metadata": {"name": "astronomer"}}}
    new = old | {"name": "astronomer-namespace", "urn": URN, "aliases": [{"name": "platform-namespace"}]}
    gone = old | {"name": "old-policy", "urn": alias_urn(URN, {"name": "old-policy"})}
    diff = diff_render("dev", _render(tmp_path / "base", [old, gone]), _render(tmp_path / "head", [new]))
    assert diff.added == [] and [r["name"] for r in diff.removed] == ["old-policy"]
    ((resource, changes),) = diff.changed
    assert resource["name"] == "astronomer-namespace"
    assert [(c.path, c.base, c.head) for c in changes] == [("name", "platform-namespace", "astronomer-namespace")]
    # Without the alias the same rename is a removal and an addition.
    unaliased = diff_render("dev", tmp_path / "base", _render(tmp_path / "head2", [new | {"aliases": []}]))
    assert len(unaliased.added) == 1 and len(unaliased.removed) == 2
