"""DatakitImage: an image built from a context and pushed to Artifactory, or a published reference."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from config.models import StackConfig
from config.secrets import Secrets

# Cluster nodes are amd64; build for them whatever machine runs `pulumi up`.
BUILD_PLATFORM = "linux/amd64"


@dataclass(frozen=True)
class DatakitImageArgs:
    registry_host: str
    repository: str  # full repository prefix, e.g. artifactory.company.com/datakits
    image: str  # basename inside the repository
    tag: str
    build: bool
    context: str | None = None
    dockerfile: str | None = None
    build_args: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    username: str | None = None
    password: pulumi.Output[str] | None = None

    @property
    def reference(self) -> str:
        return f"{self.repository}/{self.image}:{self.tag}"


class DatakitImage(pulumi.ComponentResource):
    """With ``build`` and a context: builds and pushes. Otherwise: the published tag's reference."""

    image_ref: pulumi.Output[str]
    repo_digest: pulumi.Output[str] | None

    def __init__(self, name: str, args: DatakitImageArgs, opts: pulumi.ResourceOptions | None = None):
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
                    server=args.registry_host,
                    username=args.username,
                    password=pulumi.Output.secret(args.password) if args.password else None,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.image_ref = image.image_name
            self.repo_digest = image.repo_digest
        else:
            self.image_ref = pulumi.Output.from_input(args.reference)
            self.repo_digest = None
        self.register_outputs({"imageRef": self.image_ref, "repoDigest": self.repo_digest})


RUNTIME_IMAGE = "astro-runtime-krb5"
RUNTIME_CONTEXT = "docker/astro-runtime-krb5"


def runtime_image_args(config: StackConfig, secrets: Secrets) -> DatakitImageArgs:
    """The vetted Astro Runtime with Kerberos client tools, pushed to the platform repository."""
    artifactory, images = config.artifactory, config.images
    return DatakitImageArgs(
        registry_host=artifactory.host,
        repository=artifactory.repository("platform"),
        image=RUNTIME_IMAGE,
        tag=f"{images.runtime_version}-python-{images.python_version}",
        build=images.build,
        context=RUNTIME_CONTEXT,
        build_args={
            "REGISTRY_HOST": artifactory.host,
            "CERTIFIED_REPOSITORY": artifactory.repositories.certified,
            "RUNTIME_VERSION": images.runtime_version,
            "PYTHON_VERSION": images.python_version,
        },
        username=artifactory.username,
        password=secrets.artifactory_password,
    )


def datakit_image_args(
    config: StackConfig, secrets: Secrets, name: str, base_image: pulumi.Input[str]
) -> DatakitImageArgs:
    """A datakit image in the datakits repository, built FROM the Kerberos-enabled Runtime."""
    artifactory, kit = config.artifactory, config.datakits[name]
    return DatakitImageArgs(
        registry_host=artifactory.host,
        repository=artifactory.repository("datakits"),
        image=name,
        tag=kit.version,
        build=config.images.build,
        context=kit.context,
        build_args={"BASE_IMAGE": base_image},
        username=artifactory.username,
        password=secrets.artifactory_password,
    )
