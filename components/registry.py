"""The login to the Artifactory registry that every image and chart comes from."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pulumi

TENANT_PULL_SECRET_NAME = "artifactory-tenant-pull"
"""the pull Secret of every tenant namespace: a read-only login that its deployment's pods, the workers they
launch and the datakit pods of its tasks pull with"""


@dataclass(frozen=True)
class RegistryLogin:
    """Artifactory host and the credentials for pulls, pushes and the Helm repository."""

    host: str
    """bare registry host, e.g. artifactory.company.com"""
    username: str
    """Artifactory user"""
    password: pulumi.Output[str]
    """Artifactory password (secret)"""

    @property
    def secret_password(self) -> pulumi.Output[str]:
        """The password marked secret, whatever the caller passed: in a login (a Helm repository's,
        an image push's) only this leaf is secret, so host and user stay visible in a diff."""
        return pulumi.Output.secret(self.password)


def docker_config_json(registry: RegistryLogin) -> pulumi.Output[str]:
    """The pull Secret's ``.dockerconfigjson`` for the registry login (secret)."""

    def render(password: str) -> str:
        user = registry.username
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        return json.dumps({"auths": {registry.host: {"username": user, "password": password, "auth": auth}}})

    return pulumi.Output.secret(registry.password.apply(render))
