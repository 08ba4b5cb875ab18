"""A stack file's YAML read as Pulumi reads it, with limits: ``load(path)`` -> the document and its problems.

- **Duplicate keys** are problems (Pulumi's own reader refuses the file; PyYAML would keep the last).
- **Text stays text** where Pulumi's reader (Go's yaml.v3) keeps it: an unquoted date (``2024-06-01``),
  ``yes``/``no``/``on``/``off`` and ``1:30`` are the strings written, not a date, a boolean or 90.
- **Tags** a stack file cannot carry as JSON config (``!!binary``, ``!!set``, custom ``!tags``) are problems;
  the value is never shown (a binary may hide a secret).
- **Limits**: the file's size, the values its aliases expand to, how deep it nests; a recursive alias is
  refused. A few kilobytes of aliases would otherwise expand to gigabytes in the render.

Problems name the key (as the stack file spells it under ``config:``), the file and the line; a file that
cannot be read at all is a ``StackFileError`` of one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from config.errors import Problem, StackFileError
from config.validation import PROJECT

MAX_BYTES = 4 * 2**20
"""4 MiB: a stack of a thousand tenants is well below 1 MiB"""
MAX_VALUES = 250_000
"""values (keys, items, scalars) once every alias is expanded: a thousand tenants are well below 100 000"""
MAX_DEPTH = 40
"""levels of nesting: a stack file's deepest keys (Helm values overrides) are some ten levels down"""

_YAML = "tag:yaml.org,2002:"
# The tags a stack file holds as JSON config: everything else is refused.
_PLAIN_TAGS = {f"{_YAML}{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq", "merge")}


class _Loader(yaml.SafeLoader):
    """YAML 1.1's implicit types without those Go's yaml.v3 reads as text: timestamps, yes/no/on/off, base 60."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("merge", r"^(?:<<)$", "<"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _Loader.add_implicit_resolver(f"{_YAML}{_tag}", re.compile(_pattern), list(_first))  # pyright: ignore[reportUnknownMemberType] (stub: untyped)


# An explicit !!timestamp is the text written, as an unquoted date is.
_Loader.add_constructor(f"{_YAML}timestamp", lambda loader, node: str(node.value))  # pyright: ignore[reportUnknownLambdaType, reportUnknownMemberType, reportUnknownArgumentType] (stub: untyped constructor)


@dataclass(frozen=True)
class Loaded:
    document: Any
    problems: list[Problem]
    replaced: frozenset[str] = frozenset()
    """key paths whose value was refused and read as null: their validation problems would only repeat it"""


def load(path: Path, text: str) -> Loaded:
    """The document in ``text`` (read from ``path``), with the problems found in its YAML."""
    if len(text.encode()) > MAX_BYTES:
        raise StackFileError(f"{path}: larger than a stack file can be ({MAX_BYTES // 2**20} MiB)")
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise StackFileError(f"{path}: nests deeper than a stack file can ({MAX_DEPTH} levels)") from None
        if node is None:
            return Loaded(None, [])
        walk = _Walk(path)
        walk.visit(node, "", 0)
        document: Any = loader.construct_document(node)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType] (stub: untyped)
        return Loaded(document, walk.problems, frozenset(walk.replaced))
    finally:
        loader.dispose()  # pyright: ignore[reportUnknownMemberType] (stub: untyped)


class _Walk:
    """Checks the composed nodes before anything is built from them: duplicate keys and tags (problems), size,
    depth and recursive aliases (fatal). Counts each node as often as aliases repeat it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.replaced: set[str] = set()
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()

    def fatal(self, node: Node, problem: str) -> StackFileError:
        return StackFileError(f"{self.path}:{node.start_mark.line + 1}: {problem}")

    def visit(self, node: Node, key: str, depth: int) -> int:
        """How many values ``node`` expands to; checks it once however often it is repeated."""
        if id(node) in self.open:
            raise self.fatal(node, "an alias refers to a value that holds it (a recursive alias)")
        if depth > MAX_DEPTH:
            raise self.fatal(node, f"nests deeper than a stack file can ({MAX_DEPTH} levels)")
        if id(node) not in self.sizes:
            self.open.add(id(node))
            size = 1 + sum(self.visit(child, where, depth + 1) for where, child in self.children(node, key))
            self.open.discard(id(node))
            if size > MAX_VALUES:
                raise self.fatal(node, f"expands to more than {MAX_VALUES} values (its aliases repeat values that "
                                 "much); write the values out, or use fewer aliases")
            self.sizes[id(node)] = size
        return self.sizes[id(node)]

    def children(self, node: Node, key: str) -> list[tuple[str, Node]]:
        """The node's keys and items with their key paths; refused tags are replaced by null here."""
        if isinstance(node, SequenceNode):
            items: list[Node] = node.value
            for index, item in enumerate(items):
                items[index] = self.plain(item, f"{key}[{index}]")
            return [(f"{key}[{index}]", item) for index, item in enumerate(items)]
        if not isinstance(node, MappingNode):
            return []
        pairs: list[tuple[Node, Node]] = node.value
        first: dict[tuple[str, str], int] = {}
        found: list[tuple[str, Node]] = []
        for position, (name, value) in enumerate(pairs):
            here = _key_path(key, name.value if isinstance(name, ScalarNode) else "?")
            if isinstance(name, ScalarNode) and name.tag != f"{_YAML}merge":
                identity = (name.tag, name.value)
                line = name.start_mark.line + 1
                if identity in first:
                    self.problems.append(Problem(here, f"is given twice in {self.path} (lines "
                                                 f"{first[identity]} and {line}); Pulumi refuses a stack file with "
                                                 "a key twice, so keep one"))
                first.setdefault(identity, line)
            value = self.plain(value, here)
            pairs[position] = (name, value)
            found.append((here, value))
        return found

    def plain(self, node: Node, key: str) -> Node:
        """``node``, or null in its place with a problem when its tag is one a stack file cannot carry."""
        if node.tag in _PLAIN_TAGS or not node.tag.startswith(("!", _YAML)) or node.tag == f"{_YAML}timestamp":
            return node
        tag = node.tag.replace(_YAML, "!!")
        self.replaced.add(key)
        self.problems.append(Problem(key, f"uses the YAML tag {tag} (line {node.start_mark.line + 1} "
                                     f"of {self.path}), which stack config cannot carry; write the value as plain text "
                                     "(a secret is set with `pulumi config set --secret`)"))
        return ScalarNode(f"{_YAML}null", "null", node.start_mark, node.end_mark)


def _key_path(parent: str, name: str) -> str:
    """Key paths as the config's errors spell them: ``tenants[0].maxWorkers`` for a key under ``config:`` in the
    project's namespace, ``kubernetes:context`` in another, ``secretsprovider`` beside ``config:``."""
    if parent == "":
        return name
    if parent == "config":
        return name.removeprefix(f"{PROJECT}:")
    return f"{parent}.{name}"
