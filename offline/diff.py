"""Compare two renders as Markdown: ``python -m offline.diff BASE HEAD``.

BASE and HEAD are render directories (holding ``plan.json``) or folders of them, one per stack
(``base/dev``, ``base/prod``). Resources are matched by URN, or by an alias to a base URN (a
rename, which the engine does not replace), and grouped as added, removed and changed; a change
lists every field that differs (manifest fields, Helm values, resource options), so the report
reads as a pull-request comment. Renders carry no secrets, so neither does the report: a secret
shows as its fingerprint, which changes when the secret is set again (``standins.mock_engine.redact``).

Headings name the stack each render was made for (its ``render.json``; the folder's name for a
render made before renders recorded it). A BASE or HEAD path that does not exist is an error; a
stack rendered on one side only is reported as new or removed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from components.houston_resources import DEPLOYMENT_TYPE, WORKSPACE_TYPE
from domain.chart_lines import LineChange, line_change
from offline.tenant_summary import new_tenants, removed_tenants
from offline.urns import alias_urns
from standins.resource_types import RELEASE_TYPE

# A resource of plan.json, and a JSON value read from a render.
Resource = dict[str, Any]

# Lists longer than this are folded into <details> so a large fan-out keeps the comment readable.
FOLD_AFTER = 15
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
ABSENT = object()
# Fields that name the items of a list (an environment variable's key, a container's name): such a list's items
# are matched and shown by that name, not by their index.
_IDENTITIES = ("key", "name")
# A line that starts an item of a YAML list of alert or recording rules, in the text of a rules file.
_RULE_START = re.compile(r"^- (?:alert|record): ")
_RULE_OWNER = re.compile(r"^\s+(?:tenant|deployment|namespace|tier): ")


@dataclass(frozen=True)
class FieldChange:
    path: str
    base: Any
    head: Any


@dataclass
class StackDiff:
    name: str
    added: list[Resource] = field(default_factory=list[Resource])
    removed: list[Resource] = field(default_factory=list[Resource])
    changed: list[tuple[Resource, list[FieldChange]]] = field(default_factory=list[tuple[Resource, list[FieldChange]]])
    outputs: list[FieldChange] = field(default_factory=list[FieldChange])
    moved: list[tuple[Resource, Resource]] = field(default_factory=list[tuple[Resource, Resource]])
    """(base, head) of each object whose cluster changes: the engine replaces it, and what it holds stays behind"""
    missing: str | None = None
    chart_line: LineChange = LineChange()
    """the verdict on a change of chart line between the two renders (see components.chart_upgrade)"""

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.outputs or self.moved or self.missing)


def field_changes(base: Any, head: Any, path: str = "") -> list[FieldChange]:
    """Leaf-level differences between two JSON values, with paths like ``spec.egress[0].ports``."""
    if isinstance(base, dict) and isinstance(head, dict):
        base_map, head_map = cast(dict[str, Any], base), cast(dict[str, Any], head)
        changes: list[FieldChange] = []
        for key in sorted(base_map.keys() | head_map.keys()):
            changes += field_changes(base_map.get(key, ABSENT), head_map.get(key, ABSENT), _join(path, key))
        return changes
    if isinstance(base, list) and isinstance(head, list):
        return _list_changes(cast(list[Any], base), cast(list[Any], head), path)
    return [] if base == head else [FieldChange(path or "(whole)", base, head)]


def _identity(base: list[Any], head: list[Any]) -> str | None:
    """The field that names every item of both lists uniquely, if there is one."""
    for field_name in _IDENTITIES:
        names: list[object] = [cast(dict[str, Any], item).get(field_name) if isinstance(item, dict) else None
                               for item in (*base, *head)]
        sides = (names[:len(base)], names[len(base):])
        if names and all(isinstance(name, str) for name in names) and all(len(set(n)) == len(n) for n in sides):
            return field_name
    return None


def _named_changes(base: list[Any], head: list[Any], path: str, field_name: str) -> list[FieldChange]:
    """Lists of named items (``environment``, ``containers``): changes at ``path["<name>"]``, head order first."""
    base_items = {item[field_name]: item for item in base}
    head_items = {item[field_name]: item for item in head}
    changes: list[FieldChange] = []
    for name in [*head_items, *(n for n in base_items if n not in head_items)]:
        here = f"{path}[{json.dumps(name)}]"
        changes += field_changes(base_items.get(name, ABSENT), head_items.get(name, ABSENT), here)
    return changes


def _list_changes(base: list[Any], head: list[Any], path: str) -> list[FieldChange]:
    """Items removed (at their base index) and added (at their head index); items that changed in
    place are compared field by field. Named items are matched by name instead."""
    field_name = _identity(base, head)
    if field_name is not None:
        return _named_changes(base, head, path, field_name)

    def keys(items: list[Any]) -> list[str]:
        return [json.dumps(item, sort_keys=True) for item in items]

    changes: list[FieldChange] = []
    matcher = difflib.SequenceMatcher(a=keys(base), b=keys(head), autojunk=False)
    for tag, b1, b2, h1, h2 in matcher.get_opcodes():
        if tag == "replace" and b2 - b1 == h2 - h1:
            for offset in range(b2 - b1):
                changes += field_changes(base[b1 + offset], head[h1 + offset], f"{path}[{h1 + offset}]")
        elif tag != "equal":
            changes += [FieldChange(f"{path}[{i}]", base[i], ABSENT) for i in range(b1, b2)]
            changes += [FieldChange(f"{path}[{i}]", ABSENT, head[i]) for i in range(h1, h2)]
    return changes


def _join(path: str, key: str) -> str:
    part = key if _PLAIN_KEY.match(key) else json.dumps(key)
    if not path:
        return part if _PLAIN_KEY.match(key) else f"[{part}]"
    return f"{path}.{part}" if _PLAIN_KEY.match(key) else f"{path}[{part}]"


def resource_changes(base: Resource, head: Resource) -> list[FieldChange]:
    """A rename, changed inputs (manifest fields, Helm values), then the options a reviewer must see
    change."""
    def options(resource: Resource) -> dict[str, Any]:
        return {key: resource.get(key) for key in ("protect", "ignoreChanges", "parent")}

    renamed = [FieldChange("name", base["name"], head["name"])] if base["name"] != head["name"] else []
    return renamed + field_changes(base.get("inputs", {}), head.get("inputs", {})) + field_changes(
        options(base), options(head), "options"
    )


def _matches(base: dict[str, Resource], head: dict[str, Resource]) -> dict[str, str]:
    """Head URN -> the base URN it continues: the same URN, or one an alias of it names."""
    matches = {urn: urn for urn in head if urn in base}
    for urn, resource in head.items():
        if urn not in matches:
            earlier = [old for old in alias_urns(urn, resource.get("aliases") or []) if old in base]
            if earlier:
                matches[urn] = earlier[0]
    return matches


def diff_render(name: str, base_dir: Path, head_dir: Path) -> StackDiff:
    result = StackDiff(name)
    if not (base_dir / "plan.json").exists() or not (head_dir / "plan.json").exists():
        result.missing = "base" if not (base_dir / "plan.json").exists() else "head"
        return result
    base = _plan(base_dir)
    head = _plan(head_dir)
    matches = _matches(base, head)
    # plan.json is in deploy order; keep it so a report reads top-down like `pulumi up`.
    result.added = [r for urn, r in head.items() if urn not in matches]
    result.removed = [r for urn, r in base.items() if urn not in matches.values()]
    result.moved = [(base[old], head[new]) for new, old in matches.items()
                    if _cluster(base[old]) != _cluster(head[new])]
    for urn, resource in head.items():
        if urn in matches:
            changes = resource_changes(base[matches[urn]], resource)
            if changes:
                result.changed.append((resource, changes))
    result.outputs = field_changes(_outputs(base_dir), _outputs(head_dir))
    base_chart, head_chart = _chart_version(base), _chart_version(head)
    if base_chart and head_chart:
        result.chart_line = line_change(base_chart, head_chart)
    return result


def _chart_version(plan: dict[str, Resource]) -> str | None:
    versions = [r.get("inputs", {}).get("version") for r in plan.values() if r["type"] == RELEASE_TYPE]
    return versions[0] if len(versions) == 1 and isinstance(versions[0], str) else None


def _outputs(render: Path) -> Any:
    """The stack outputs: ``outputs.json``'s ``outputs``, or the whole file as renders wrote it
    before it listed the offline placeholders beside them."""
    document = _read_json(render / "outputs.json")
    if isinstance(document, dict) and set(cast(dict[str, Any], document)) == {"offlinePlaceholders", "outputs"}:
        return cast(dict[str, Any], document)["outputs"]
    return cast(Any, document)  # JSON of any shape (isinstance left it partly unknown)


def stack_name(base: Path, head: Path) -> str:
    """The stack the head render (else the base render) was made for, else the head folder's name."""
    for side in (head, base):
        recorded = _read_json(side / "render.json")
        if isinstance(recorded, dict) and isinstance(name := cast(dict[str, Any], recorded).get("stack"), str):
            return name
    return head.name


def _plan(render: Path) -> dict[str, Resource]:
    resources = cast(list[Resource], json.loads((render / "plan.json").read_text()))
    return {resource["urn"]: resource for resource in resources}


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else {}


def label(resource: Resource) -> str:
    """``NetworkPolicy airflow-finance/default-deny``, ``Release astronomer``, ``Tenant finance``, ``Airflow
    deployment finance`` (Houston's, not a Kubernetes Deployment); an object on a data plane's cluster says so."""
    plane = resource.get("dataPlane")
    where = f" on data plane `{plane}`" if plane else ""
    return _label(resource) + where


def _cluster(resource: Resource) -> str:
    """Where a resource lives: a Kubernetes object's cluster, a Houston deployment's registered cluster."""
    plane = resource.get("dataPlane")
    if resource["type"] == DEPLOYMENT_TYPE:
        plane = resource.get("inputs", {}).get("placed_in")
        return f"Houston cluster `{plane}`" if plane else "the platform's cluster"
    return f"data plane `{plane}`" if plane else "the platform's cluster"


def _label(resource: Resource) -> str:
    kind = resource["type"].rsplit(":", 1)[-1]
    inputs: dict[str, Any] = resource.get("inputs", {})
    if resource["type"] == DEPLOYMENT_TYPE:
        return f"Airflow deployment `{inputs.get('release_name') or resource['name']}` (Houston)"
    if resource["type"] == WORKSPACE_TYPE:
        return f"Houston workspace `{inputs.get('label') or resource['name']}`"
    metadata: Any = inputs.get("metadata")
    if resource["type"] == RELEASE_TYPE and "name" in inputs:
        metadata = inputs
    if resource["type"].startswith("kubernetes:") and isinstance(metadata, dict) and "name" in metadata:
        metadata = cast(dict[str, Any], metadata)
        namespace = metadata.get("namespace")
        return f"{kind} `{namespace}/{metadata['name']}`" if namespace else f"{kind} `{metadata['name']}`"
    return f"{kind} `{resource['name']}`"


def _value(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return f"`{json.dumps(value, sort_keys=True)}`"


def _change_lines(change: FieldChange) -> list[str]:
    # Multi-line strings (krb5.conf, JSON documents in ConfigMaps) read best as a line diff.
    if isinstance(change.base, str) and isinstance(change.head, str) and "\n" in change.base + change.head:
        base, head = change.base.splitlines(), change.head.splitlines()
        if _RULE_START.match(change.base + change.head):
            body = _rule_hunks(base, head)
        else:
            lines = difflib.unified_diff(base, head, lineterm="", n=1)
            body = [line for line in lines if not line.startswith(("---", "+++"))]
        return [f"- `{change.path}`:", "  ```diff", *(f"  {line}" for line in body), "  ```"]
    return [f"- `{change.path}`: {_value(change.base)} → {_value(change.head)}"]


def _rules(lines: list[str]) -> list[list[str]]:
    """The lines of a rules list, one group per rule (each starts at its ``- alert:`` line)."""
    rules: list[list[str]] = []
    for line in lines:
        if _RULE_START.match(line) or not rules:
            rules.append([])
        rules[-1].append(line)
    return rules


def _rule_key(rule: list[str], seen: dict[str, int]) -> str:
    """A rule's identity: its name and the labels that say whose it is (a tenant's rules share their names)."""
    key = "\n".join(line for line in rule if _RULE_START.match(line) or _RULE_OWNER.match(line))
    seen[key] = seen.get(key, 0) + 1
    return f"{key}\n#{seen[key]}"


def _rule_hunks(base: list[str], head: list[str]) -> list[str]:
    """Each added, removed or changed rule whole, its changed lines marked: a rule read in part says little."""
    base_seen: dict[str, int] = {}
    head_seen: dict[str, int] = {}
    old = {_rule_key(rule, base_seen): rule for rule in _rules(base)}
    new = {_rule_key(rule, head_seen): rule for rule in _rules(head)}
    body: list[str] = []
    for key in [*new, *(k for k in old if k not in new)]:
        before, after = old.get(key, []), new.get(key, [])
        if before == after:
            continue
        for op, a1, a2, c1, c2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
            if op == "equal":
                body += [f" {line}" for line in before[a1:a2]]
            else:
                body += [f"-{line}" for line in before[a1:a2]] + [f"+{line}" for line in after[c1:c2]]
    return body


def _listing(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    lines = [f"- {item}" for item in items]
    if len(items) > FOLD_AFTER:
        return [f"<details><summary>{title} ({len(items)})</summary>", "", *lines, "", "</details>", ""]
    return [f"**{title}**", "", *lines, ""]


def markdown(diffs: list[StackDiff]) -> str:
    lines = ["## Offline diff", ""]
    for diff in diffs:
        lines.append(f"### Stack `{diff.name}`")
        lines.append("")
        if diff.missing:
            lines += [f"No render on the {diff.missing} side: the stack is new, removed, or failed to render.", ""]
            continue
        if diff.empty:
            lines += ["No changes.", ""]
            continue
        lines += [f"{len(diff.added)} to add, {len(diff.changed)} to change, {len(diff.removed)} to remove.", ""]
        if diff.chart_line.refusal:
            lines += [f"> **Chart line: refused by the program** unless allowed: {diff.chart_line.refusal}", ""]
        elif diff.chart_line.notes:
            lines += [f"> **Chart line**: {diff.chart_line.notes}", ""]
        lines += removed_tenants(diff.removed)
        lines += new_tenants(diff.added)
        lines += _listing("Moved to another cluster: replaced, and what they hold stays behind",
                          [f"{_label(base)}: {_cluster(base)} → {_cluster(head)}" for base, head in diff.moved])
        lines += _listing("Added", [label(r) for r in diff.added])
        lines += _listing("Removed", [label(r) for r in diff.removed])
        if diff.changed:
            lines += ["**Changed**", ""]
            for resource, changes in diff.changed:
                lines += [f"<details open><summary>{label(resource)}</summary>", ""]
                for change in changes:
                    lines += _change_lines(change)
                lines += ["", "</details>", ""]
        if diff.outputs:
            lines += ["**Stack outputs**", ""]
            for change in diff.outputs:
                lines += _change_lines(change)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def truncate(report: str, limit: int) -> str:
    """At most ``limit`` characters, cut between blocks (a pull-request comment has a size cap)."""
    if len(report) <= limit:
        return report
    note = "\n\n**The diff is truncated here**: the workflow run's summary has all of it.\n"
    end = limit
    while True:
        cut = report.rfind("\n\n", 0, end)
        kept = report[: max(cut, 0)]
        kept += "\n</details>" * (kept.count("<details") - kept.count("</details>"))
        if len(kept) + len(note) <= limit or cut <= 0:
            return kept + note
        end = cut


def stacks(base: Path, head: Path) -> list[tuple[str, Path, Path]]:
    """One render on each side, or matching stack folders (union of both sides, sorted)."""
    if (base / "plan.json").exists() or (head / "plan.json").exists():
        return [(stack_name(base, head), base, head)]
    folders = {p.parent.name for side in (base, head) for p in side.glob("*/plan.json")}
    return [(stack_name(base / folder, head / folder), base / folder, head / folder) for folder in sorted(folders)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("base", type=Path, help="render (or folder of per-stack renders) before the change")
    parser.add_argument("head", type=Path, help="render (or folder of per-stack renders) after the change")
    parser.add_argument("--max-chars", type=int, help="truncate the report to this many characters")
    args = parser.parse_args(argv)
    # A mistyped path is not a new stack.
    for side, path in (("base", args.base), ("head", args.head)):
        if not path.is_dir():
            problem = "is not a folder" if path.exists() else "does not exist"
            print(f"offline.diff: the {side} path {path} {problem}", file=sys.stderr)
            return 2
    pairs = stacks(args.base, args.head)
    if not pairs:
        print(f"no render (plan.json) under {args.base} or {args.head}", file=sys.stderr)
        return 2
    report = markdown([diff_render(*pair) for pair in pairs])
    sys.stdout.write(truncate(report, args.max_chars) if args.max_chars else report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
