"""Image references: ``registry/repository[:tag][@digest]``, parsed without guessing a default registry."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A registry host has a dot or a port, or is localhost (the Docker rule for the first path component).
_REFERENCE = re.compile(
    r"^(?P<registry>(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+(?::\d+)?|[a-zA-Z0-9-]+:\d+|localhost)"
    r"/(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


# A tagged reference inside text (a script, a config file); not preceded by a scheme or path.
EMBEDDED = re.compile(
    r"(?<![\w/:.-])(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+(?::\d+)?/[a-z0-9]+(?:[._/-][a-z0-9]+)*:[\w][\w.-]{0,127}"
)


class InvalidReferenceError(ValueError):
    """Not a fully qualified image reference."""


@dataclass(frozen=True, order=True)
class Reference:
    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository_ref(self) -> str:
        """``registry/repository``, the name a ``repository`` value in the chart's values holds."""
        return f"{self.registry}/{self.repository}"

    @property
    def basename(self) -> str:
        return self.repository.rsplit("/", 1)[-1]

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.repository_ref}{tag}{digest}"


def parse(text: str) -> Reference:
    match = _REFERENCE.match(text)
    if match is None:
        raise InvalidReferenceError(f"{text!r} is not an image reference with a registry host")
    return Reference(match["registry"], match["repository"], match["tag"], match["digest"])


def maybe_parse(text: str) -> Reference | None:
    try:
        return parse(text)
    except InvalidReferenceError:
        return None
