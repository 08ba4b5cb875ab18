"""The login to the Artifactory registry that every image and chart comes from."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


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
