"""TenantAirflow: a tenant's Houston workspace and Airflow deployment, as Pulumi resources.

The two resources are dynamic (``components.houston_provider``): they need no Kubernetes provider,
only Houston's URL and an API key. Each tenant gets its own component, created after the platform
(Houston must be up and know the tenant's pool namespace) and deleted before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from components.houston_provider import DeploymentProvider, WorkspaceProvider
from components.houston_specs import DagDeploymentSpec, DeploymentSizing, Executor, WorkspaceRole

WORKSPACE_TYPE = "pulumi-python:dynamic/houston:Workspace"
DEPLOYMENT_TYPE = "pulumi-python:dynamic/houston:Deployment"
_SECRET_OUTPUTS = ["api_key", "hash_salt", "secret_environment_hashes", "dag_credential_hash"]


@dataclass(frozen=True)
class HoustonSettings:
    """Where Houston is and how long its asynchronous writes may take."""

    url: str
    """Houston's GraphQL endpoint"""
    api_key: pulumi.Output[str]
    """a service-account API key (secret)"""
    deploy_timeout_seconds: int
    """how long a create or update may take to become HEALTHY"""
    delete_timeout_seconds: int
    """how long a hard-deleted deployment may stay listed"""
    poll_interval_seconds: int
    """seconds between status reads"""

    def props(self) -> dict[str, Any]:
        return {"houston_url": self.url, "api_key": pulumi.Output.secret(self.api_key)}


@dataclass(frozen=True)
class TenantAirflowArgs:
    houston: HoustonSettings
    """Houston's endpoint, key and timeouts"""
    workspace_label: str
    """the workspace's label (adopted when exactly one workspace has it)"""
    workspace_description: str
    """the workspace's description"""
    teams: Mapping[str, WorkspaceRole]
    """IdP team name -> workspace role"""
    label: str
    """the deployment's label, unique in its workspace"""
    description: str
    """the deployment's description"""
    release_name: str
    """the deployment's release name (immutable: a change replaces the deployment)"""
    namespace: pulumi.Input[str]
    """the tenant's pool namespace (immutable)"""
    executor: Executor
    """the Airflow executor"""
    runtime_version: str
    """the Astro Runtime version the image is built on"""
    image: pulumi.Input[str]
    """the tenant's Airflow image, a full reference"""
    sizing: DeploymentSizing
    """replicas, CPU and memory of scheduler, webserver, triggerer and workers"""
    environment: Sequence[tuple[str, pulumi.Input[str]]]
    """the plain environment variables, (key, value), sorted by key"""
    secret_environment: pulumi.Input[Mapping[str, str]]
    """the secret environment variables, key -> value (a secret output)"""
    dags: DagDeploymentSpec = DagDeploymentSpec()
    """how the team's DAGs reach the deployment"""
    dag_credential: pulumi.Input[str] | None = None
    """git-sync's SSH key or HTTPS token (a secret output); None without one"""
    protect: bool = False
    """refuse to delete the deployment and the workspace"""
    cluster_id: pulumi.Input[str] | None = None
    """the Houston cluster of the data plane the deployment runs on; None: the platform's own cluster"""
    platform_cluster_id: pulumi.Input[str] | None = None
    """Houston's own cluster, when data planes were registered beside it; None: the one cluster Houston has"""


class HoustonWorkspace(pulumi.dynamic.Resource, module="houston", name="Workspace"):
    team_ids: pulumi.Output[dict[str, str]]
    """team name -> Houston's id"""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=_SECRET_OUTPUTS))
        super().__init__(WorkspaceProvider(), name, {**props, "team_ids": None}, options)


class HoustonDeployment(pulumi.dynamic.Resource, module="houston", name="Deployment"):
    status: pulumi.Output[str]
    """the deployment's status when the last write finished (HEALTHY)"""
    release_name: pulumi.Output[str]
    """the deployment's release name"""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = {"status": None, "cluster_id": None, "hash_salt": None, "secret_environment_hashes": None,
                   "dag_credential_hash": None}
        options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=_SECRET_OUTPUTS))
        super().__init__(DeploymentProvider(), name, {**props, **outputs}, options)


def deployment_props(args: TenantAirflowArgs, workspace_id: pulumi.Input[str]) -> dict[str, Any]:
    """The deployment resource's properties (``houston_specs.DeploymentSpec`` reads them)."""
    settings = args.houston
    return {
        **settings.props(),
        "deploy_timeout_seconds": settings.deploy_timeout_seconds,
        "delete_timeout_seconds": settings.delete_timeout_seconds,
        "poll_interval_seconds": settings.poll_interval_seconds,
        "workspace_id": workspace_id,
        "label": args.label,
        "description": args.description,
        "release_name": args.release_name,
        "namespace": args.namespace,
        "executor": args.executor,
        "runtime_version": args.runtime_version,
        "image": args.image,
        "sizing": args.sizing.as_props(),
        "environment": [{"key": key, "value": value} for key, value in args.environment],
        "secret_environment": pulumi.Output.secret(args.secret_environment),
        "dag_deployment": args.dags.as_props(),
        **({"dag_credential": pulumi.Output.secret(args.dag_credential)} if args.dag_credential is not None else {}),
        **({"placed_in": args.cluster_id} if args.cluster_id is not None else {}),
        **({"platform_cluster_id": args.platform_cluster_id} if args.platform_cluster_id is not None else {}),
    }


class TenantAirflow(pulumi.ComponentResource):
    workspace_id: pulumi.Output[str]
    """Houston's id of the tenant's workspace"""
    deployment_id: pulumi.Output[str]
    """Houston's id of the tenant's deployment"""
    release_name: pulumi.Output[str]
    """the deployment's release name"""

    def __init__(self, name: str, args: TenantAirflowArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("astronomer:platform:TenantAirflow", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, protect=args.protect)
        workspace = HoustonWorkspace(f"{name}-workspace", {
            **args.houston.props(),
            "label": args.workspace_label,
            "description": args.workspace_description,
            "teams": dict(sorted(args.teams.items())),
        }, child)
        deployment = HoustonDeployment(f"{name}-deployment", deployment_props(args, workspace.id), child)
        self.workspace_id = workspace.id
        self.deployment_id = deployment.id
        self.release_name = deployment.release_name
        self.register_outputs({"workspaceId": self.workspace_id, "deploymentId": self.deployment_id,
                               "releaseName": self.release_name})
