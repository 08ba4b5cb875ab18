"""AstronomerPlatform: the Astronomer chart from Artifactory and the objects it needs first."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.labels import pod_security_labels, standard_labels
from components.platform_values import BOOTSTRAP_SECRET_NAME, PULL_SECRET_NAME, platform_values
from config.models import StackConfig
from config.secrets import Secrets

CHART_NAME = "astronomer"
# The platform's first install runs database migrations and many hooks: give it time.
RELEASE_TIMEOUT_SECONDS = 30 * 60


@dataclass(frozen=True)
class PlatformArgs:
    config: StackConfig
    secrets: Secrets
    project: str
    stack: str
    # Pool namespaces: the chart renders Roles into them, so they must exist before it installs.
    tenant_namespaces: Sequence[pulumi.Resource]


def docker_config_json(host: str, username: str, password: pulumi.Output[str]) -> pulumi.Output[str]:
    def render(secret: str) -> str:
        auth = base64.b64encode(f"{username}:{secret}".encode()).decode()
        return json.dumps({"auths": {host: {"username": username, "password": secret, "auth": auth}}})

    return pulumi.Output.secret(password.apply(render))


class AstronomerPlatform(pulumi.ComponentResource):
    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer:platform:AstronomerPlatform", name, None, opts)
        config, secrets = args.config, args.secrets
        platform = config.platform
        labels = standard_labels(config.environment, "platform")

        self.namespace = k8s.core.v1.Namespace(
            "platform-namespace",
            metadata={
                "name": platform.namespace,
                # 'platform: <release>' is what the chart's networkNSLabels hook would add.
                "labels": {**labels, **pod_security_labels(platform.pod_security), "platform": platform.release_name},
            },
            opts=pulumi.ResourceOptions(parent=self, protect=platform.protect_namespace),
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])

        def metadata(name: str, **annotations: str) -> dict:
            return {"name": name, "namespace": platform.namespace, "labels": labels, "annotations": annotations}

        self.pull_secret = k8s.core.v1.Secret(
            "registry-pull-secret",
            metadata=metadata(
                PULL_SECRET_NAME,
                # The platform copies Secrets with this annotation into deployment namespaces.
                **{"astronomer.io/commander-sync": f"platform={platform.release_name}"},
            ),
            type="kubernetes.io/dockerconfigjson",
            string_data={
                ".dockerconfigjson": docker_config_json(
                    config.artifactory.host, config.artifactory.username, secrets.artifactory_password
                )
            },
            opts=in_namespace,
        )
        self.bootstrap_secret = k8s.core.v1.Secret(
            "database-bootstrap-secret",
            metadata=metadata(BOOTSTRAP_SECRET_NAME),
            type="Opaque",
            string_data={"connection": pulumi.Output.secret(secrets.database_connection)},
            opts=in_namespace,
        )
        prerequisites: list[pulumi.Resource] = [self.namespace, self.pull_secret, self.bootstrap_secret]
        if secrets.tls_certificate is not None and secrets.tls_key is not None:
            self.tls_secret = k8s.core.v1.Secret(
                "tls-secret",
                metadata=metadata(platform.tls_secret_name),
                type="kubernetes.io/tls",
                string_data={
                    "tls.crt": pulumi.Output.secret(secrets.tls_certificate),
                    "tls.key": pulumi.Output.secret(secrets.tls_key),
                },
                opts=in_namespace,
            )
            prerequisites.append(self.tls_secret)

        self.values = platform_values(config, args.project, args.stack)
        if platform.chart_path:
            chart, version, repository = platform.chart_path, None, None
        else:
            chart, version = CHART_NAME, platform.chart_version
            repository = k8s.helm.v3.RepositoryOptsArgs(
                repo=config.artifactory.helm_repo_url,
                username=config.artifactory.username,
                password=secrets.artifactory_password,
            )
        self.release = k8s.helm.v3.Release(
            "platform-release",
            name=platform.release_name,
            namespace=platform.namespace,
            chart=chart,
            version=version,
            repository_opts=repository,
            values=self.values,
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=RELEASE_TIMEOUT_SECONDS,
            max_history=10,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*prerequisites, *args.tenant_namespaces]
            ),
        )
        self.houston_url = f"https://houston.{platform.base_domain}/v1"
        self.register_outputs(
            {
                "namespace": platform.namespace,
                "releaseName": platform.release_name,
                "releaseStatus": self.release.status.apply(lambda status: status.status),
                "values": self.values,
                "houstonUrl": self.houston_url,
            }
        )
