"""The ``artifactory``, ``images`` and ``datakits`` sections: where every image and chart comes from, and
what the stack builds."""

from __future__ import annotations

from pydantic import StrictBool

from config.base import Model
from config.rules import (
    HttpsUrl,
    ImageTag,
    NonEmptyStr,
    PythonVersion,
    RegistryHost,
    ReleaseVersion,
    RepositoryPath,
)


class ArtifactoryRepositories(Model):
    certified: RepositoryPath
    """mirror of Astronomer's certified images (platform, Airflow, Runtime)"""
    platform: RepositoryPath
    """the company's platform images (Kerberos manager, Kerberos-enabled Runtime)"""
    datakits: RepositoryPath
    """datakit images that tenants run"""
    deployments: RepositoryPath
    """tenants' Airflow deployment images"""


class ArtifactoryConfig(Model):
    host: RegistryHost
    """bare registry host, e.g. artifactory.company.com (no scheme, no path)"""
    username: NonEmptyStr
    """Artifactory user for the platform's pulls, image pushes and the Helm repository"""
    pull_username: NonEmptyStr | None = None
    """read-only Artifactory user whose login every tenant namespace holds for its pods' pulls (deployment,
    Runtime and datakit images; password: secret artifactoryPullPassword); required once the stack has tenants"""
    helm_repo_url: HttpsUrl
    """https URL of the Helm repository that mirrors the Astronomer charts"""
    repositories: ArtifactoryRepositories
    """repository paths inside the registry"""

    def repository(self, name: str) -> str:
        """Full repository prefix, e.g. ``artifactory.company.com/astronomer``."""
        return f"{self.host}/{getattr(self.repositories, name)}"

    def image(self, repository: str, name_tag: str) -> str:
        """Full image reference of ``name:tag`` inside one of the four repositories."""
        return f"{self.repository(repository)}/{name_tag}"


class ImagesConfig(Model):
    runtime_version: ReleaseVersion
    """Astro Runtime version of the Kerberos-enabled base image"""
    python_version: PythonVersion
    """Python version of the Runtime image, quoted (3.10 unquoted is a number), e.g. 3.11"""
    build: StrictBool = True
    """build and push images; false references the published tags only"""


class DatakitConfig(Model):
    version: ImageTag
    """image tag of the datakit"""
    context: NonEmptyStr | None = None
    """build context directory; without one the datakit is a reference only"""
