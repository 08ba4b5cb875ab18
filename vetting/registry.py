"""Registry access through regctl: digests, manifests and digest-keeping copies.

Settings and logins go into a regctl config under a private temporary home that is deleted afterwards:
passwords reach regctl on stdin, never a command line, a log or the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from vetting.reference import parse

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")


@dataclass(frozen=True)
class Login:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class RegistryAccess:
    """How to reach one registry host."""

    host: str
    login: Login | None = None
    ca_file: Path | None = None
    """PEM of a private CA the host's certificate is signed by"""
    plain_http: bool = False
    """HTTP without TLS (a local test registry only)"""


class RegistryError(RuntimeError):
    """A registry answered with an error; the message says which reference and why, in plain words."""


def _why(stderr: str) -> str:
    text = stderr.strip()
    if "unauthorized" in text or "http 401" in text:
        return "the registry refused the credentials (unauthorized)"
    if "denied" in text or "http 403" in text:
        return "the registry denied access (forbidden)"
    if "not found" in text or "http 404" in text:
        return "not found"
    return text.splitlines()[-1] if text else "regctl failed without a message"


class Regctl:
    def __init__(self, binary: Path, home: Path) -> None:
        self.binary = binary
        self.home = home

    def _run(self, args: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HOME": str(self.home)}
        return subprocess.run([str(self.binary), *args], input=stdin, env=env, capture_output=True, text=True)

    def _ok(self, args: Sequence[str], what: str) -> str:
        result = self._run(args)
        if result.returncode != 0:
            raise RegistryError(f"{what}: {_why(result.stderr)}")
        return result.stdout

    def configure(self, access: RegistryAccess) -> None:
        settings = ["registry", "set", access.host, "--tls", "disabled" if access.plain_http else "enabled"]
        if access.ca_file is not None:
            settings += ["--cacert", access.ca_file.read_text()]
        self._run(settings)
        if access.login is not None:
            result = self._run(["registry", "login", access.host, "-u", access.login.username, "--pass-stdin"],
                               stdin=access.login.password)
            if result.returncode != 0:
                raise RegistryError(f"cannot log in to {access.host} as {access.login.username}: "
                                    f"{_why(result.stderr)}")

    def digest(self, reference: str) -> str | None:
        """The manifest digest of ``reference``; None when the registry has no such manifest."""
        result = self._run(["image", "digest", reference])
        if result.returncode == 0:
            return result.stdout.strip()
        why = _why(result.stderr)
        if why == "not found":
            return None
        raise RegistryError(f"{reference}: {why}")

    def manifest(self, reference: str) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(self._ok(["manifest", "get", "--format", "raw-body", reference],
                                                        reference)))

    def size(self, reference: str) -> int:
        """Bytes of every blob the image holds (each platform of an index)."""
        manifest = self.manifest(reference)
        if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            repository = parse(reference).repository_ref
            children = cast(list[dict[str, Any]], manifest.get("manifests", []))
            return sum(self.size(f"{repository}@{child['digest']}") for child in children)
        layers = cast(list[dict[str, Any]], manifest.get("layers", []))
        blobs = [cast(dict[str, Any], manifest.get("config", {})), *layers]
        return sum(int(blob.get("size", 0)) for blob in blobs)

    def copy(self, source: str, destination: str) -> None:
        """Copy with every platform, cosign-style ``sha256-*`` tags and OCI referrers (signatures, SBOMs)."""
        self._ok(["image", "copy", "--digest-tags", "--referrers", source, destination],
                 f"copy {source} -> {destination}")


@contextmanager
def session(binary: Path, registries: Sequence[RegistryAccess]) -> Generator[Regctl]:
    """regctl configured for ``registries`` in a private home that is removed on exit."""
    with tempfile.TemporaryDirectory(prefix="vetting-regctl-") as home:
        regctl = Regctl(binary, Path(home))
        for access in registries:
            regctl.configure(access)
        yield regctl
