"""URNs and aliases: which earlier URN an alias of a resource stands for.

A URN is ``urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>``. An alias spec names
what differed before (name, type, stack, project, parent); every field it leaves out is the
resource's current one. The parent's *type* is in the URN, its name is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def alias_urn(urn: str, alias: Mapping[str, str | bool]) -> str:
    """The URN ``alias`` of the resource ``urn`` stands for."""
    if "urn" in alias:
        return str(alias["urn"])
    head, project, types, name = urn.split("::", 3)
    stack = head.removeprefix("urn:pulumi:")
    parent_types, _, own_type = types.rpartition("$")
    if alias.get("noParent"):
        parent_types = ""
    elif "parentUrn" in alias:
        parent_types = str(alias["parentUrn"]).split("::", 3)[2]
    stack, project = str(alias.get("stack", stack)), str(alias.get("project", project))
    own_type, name = str(alias.get("type", own_type)), str(alias.get("name", name))
    chain = f"{parent_types}${own_type}" if parent_types else own_type
    return f"urn:pulumi:{stack}::{project}::{chain}::{name}"


def alias_urns(urn: str, aliases: Iterable[Mapping[str, str | bool]]) -> list[str]:
    return [alias_urn(urn, alias) for alias in aliases]
