"""Artifactory credentials for a run: ``ARTIFACTORY_USERNAME`` / ``ARTIFACTORY_PASSWORD`` from the environment,
else the stack's own secret (``pulumi config get artifactoryPassword``, the stack's passphrase and backend
as for ``pulumi up``). Never read from or written to a file in the repository; never printed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from vetting.registry import Login, RegistryAccess

PASSWORD_KEY = "artifactoryPassword"


class CredentialsError(RuntimeError):
    pass


def artifactory_login(stack: str, default_username: str) -> Login:
    username = os.environ.get("ARTIFACTORY_USERNAME") or default_username
    password = os.environ.get("ARTIFACTORY_PASSWORD")
    if password:
        return Login(username, password)
    pulumi = shutil.which("pulumi")
    if pulumi is not None:
        result = subprocess.run([pulumi, "config", "get", PASSWORD_KEY, "--stack", stack],
                                capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            return Login(username, result.stdout.strip())
    raise CredentialsError(f"set ARTIFACTORY_PASSWORD (and ARTIFACTORY_USERNAME unless {default_username!r}), "
                           f"or log in to the stack's backend so `pulumi config get {PASSWORD_KEY} --stack {stack}` "
                           "works")


def artifactory_access(host: str, login: Login) -> RegistryAccess:
    """``VETTING_CA_FILE`` names the PEM of a private CA that signs Artifactory's certificate."""
    ca = os.environ.get("VETTING_CA_FILE")
    return RegistryAccess(host, login, Path(ca) if ca else None)


def upstream_access(hosts: set[str]) -> list[RegistryAccess]:
    """Upstream registries are read anonymously; ``VETTING_PLAIN_HTTP_HOSTS`` (comma-separated) lists hosts
    reached without TLS: local test registries only."""
    plain = {h.strip() for h in os.environ.get("VETTING_PLAIN_HTTP_HOSTS", "").split(",") if h.strip()}
    return [RegistryAccess(host, plain_http=host in plain) for host in sorted(hosts)]
