"""DatakitImage: an image built from a context and pushed to Artifactory, or a published reference."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_docker as docker

from components.registry import RegistryLogin

# Cluster nodes are amd64; build for them whatever machine runs `pulumi up`.
BUILD_PLATFORM = "linux/amd64"
RUNTIME_IMAGE = "astro-runtime-krb5"
RUNTIME_CONTEXT = "docker/astro-runtime-krb5"
MANAGER_IMAGE = "kerberos-manager"
MANAGER_CONTEXT = "docker/kerberos-manager"
# The manager's version lives beside its code: bump it with every change to the service.
MANAGER_VERSION_FILE = Path(__file__).resolve().parent.parent / MANAGER_CONTEXT / "VERSION"


@dataclass(frozen=True)
class DatakitImageArgs:
    registry: RegistryLogin
    """the registry pushed to"""
    repository: str
    """full repository prefix, e.g. artifactory.company.com/datakits"""
    image: str
    """basename inside the repository"""
    tag: str
    """image tag"""
    build: bool
    """build and push; False references the published tag only"""
    context: str | None = None
    """build context directory; without one the image is a reference only"""
    dockerfile: str | None = None
    """Dockerfile path (default: <context>/Dockerfile)"""
    build_args: Mapping[str, pulumi.Input[str]] = field(default_factory=dict[str, pulumi.Input[str]])
    """Docker build arguments"""

    @property
    def reference(self) -> str:
        return f"{self.repository}/{self.image}:{self.tag}"


class DatakitImage(pulumi.ComponentResource):
    """With ``build`` and a context: builds and pushes. Otherwise: the published tag's reference."""

    image_ref: pulumi.Output[str]
    """full image reference, e.g. artifactory.company.com/datakits/oracle-bronze:2.0.1"""
    repo_digest: pulumi.Output[str | None]
    """the pushed image's digest reference; None when nothing was built"""

    def __init__(self, name: str, args: DatakitImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("astronomer:platform:DatakitImage", name, None, opts)
        if args.build and args.context:
            image = docker.Image(
                f"{name}-image",
                image_name=args.reference,
                build=docker.DockerBuildArgs(
                    context=args.context,
                    dockerfile=args.dockerfile or f"{args.context}/Dockerfile",
                    args=dict(args.build_args),
                    platform=BUILD_PLATFORM,
                ),
                registry=docker.RegistryArgs(
                    server=args.registry.host,
                    username=args.registry.username,
                    password=args.registry.secret_password,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.image_ref = image.image_name
            self.repo_digest = image.repo_digest
        else:
            self.image_ref = pulumi.Output.from_input(args.reference)
            self.repo_digest = pulumi.Output.from_input(None)
        self.register_outputs({"imageRef": self.image_ref, "repoDigest": self.repo_digest})


def runtime_image_args(
    registry: RegistryLogin, platform_repository: str, certified_repository: str,
    runtime_version: str, python_version: str, build: bool,
) -> DatakitImageArgs:
    """The vetted Astro Runtime with Kerberos client tools, pushed to the platform repository."""
    return DatakitImageArgs(
        registry=registry,
        repository=f"{registry.host}/{platform_repository}",
        image=RUNTIME_IMAGE,
        tag=f"{runtime_version}-python-{python_version}",
        build=build,
        context=RUNTIME_CONTEXT,
        build_args={
            "REGISTRY_HOST": registry.host,
            "CERTIFIED_REPOSITORY": certified_repository,
            "RUNTIME_VERSION": runtime_version,
            "PYTHON_VERSION": python_version,
        },
    )


def manager_image_args(
    registry: RegistryLogin, platform_repository: str, certified_repository: str, build: bool,
) -> DatakitImageArgs:
    """The Kerberos ticket manager this project builds, pushed to the platform repository."""
    return DatakitImageArgs(
        registry=registry,
        repository=f"{registry.host}/{platform_repository}",
        image=MANAGER_IMAGE,
        tag=MANAGER_VERSION_FILE.read_text().strip(),
        build=build,
        context=MANAGER_CONTEXT,
        build_args={"REGISTRY_HOST": registry.host, "CERTIFIED_REPOSITORY": certified_repository},
    )
