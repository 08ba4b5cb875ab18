"""The clusters a split platform's Houston places deployments in, as Pulumi resources.

``DataPlaneRegistration`` registers a data plane (``registerCluster``) and deregisters it on delete.
``PlatformCluster`` records the cluster Houston made for itself in unified mode, before any data plane is
registered: the tenants that stay on the platform's cluster are placed there by its id. It never deletes
that cluster (Houston made it, not this program).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider

from components.houston_client import ClusterRecord, HoustonClient, HoustonError
from components.houston_provider import client_for
from components.houston_resources import HoustonSettings
from components.houston_specs import CONNECTION_PROPERTIES

REGISTRATION_TYPE = "pulumi-python:dynamic/houston:DataPlaneRegistration"
PLATFORM_CLUSTER_TYPE = "pulumi-python:dynamic/houston:PlatformCluster"
# What identifies a registration: Houston has no documented mutation that changes either in place.
_REPLACE_PROPERTIES = ("name", "metadata_url")


def _found(client: HoustonClient, cluster_id: str) -> ClusterRecord | None:
    return next((c for c in client.clusters() if c.id == cluster_id), None)


class RegistrationProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        client = client_for(props)
        cluster = client.register_cluster(str(props["name"]), str(props["metadata_url"]))
        pulumi.log.info(f"houston: data plane {cluster.name!r} registered ({cluster.id}), {cluster.status}")
        return CreateResult(cluster.id, {**props, "base_domain": cluster.base_domain, "status": cluster.status})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        cluster = _found(client_for(props), id_)
        if cluster is None:  # deregistered by hand: the next up registers it again
            return ReadResult("", {})
        return ReadResult(id_, {**props, "name": cluster.name, "base_domain": cluster.base_domain,
                                "status": cluster.status})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in _REPLACE_PROPERTIES if olds.get(key) != news.get(key)]
        changed = [key for key in CONNECTION_PROPERTIES if olds.get(key) != news.get(key)]
        # Houston refuses a second registration of a metadata URL: the old one goes first.
        return DiffResult(changes=bool(replaces or changed), replaces=replaces, delete_before_replace=True,
                          stables=["base_domain"] if not replaces else [])

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return pulumi.dynamic.UpdateResult({**news, "base_domain": olds.get("base_domain"),
                                            "status": olds.get("status")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = client_for(props)
        if _found(client, id_) is not None:
            client.deregister_cluster(id_)


class PlatformClusterProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        client = client_for(props)
        clusters = client.clusters()
        if len(clusters) != 1:
            raise HoustonError(
                f"Houston at {client.connection.url} has {len(clusters)} clusters, so the platform's own cluster "
                "cannot be told apart: it is recorded before the first data plane is registered; deregister the "
                "data planes registered outside this stack, or place every tenant on a data plane "
                "(platform.planeMode: control)")
        return CreateResult(clusters[0].id, {**props, "name": clusters[0].name})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        cluster = _found(client_for(props), id_)
        return ReadResult(id_, {**props, "name": cluster.name}) if cluster else ReadResult("", {})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in CONNECTION_PROPERTIES if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), stables=["name"])

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return pulumi.dynamic.UpdateResult({**news, "name": olds.get("name")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Houston's own cluster stays: only the record in this stack goes."""


class DataPlaneRegistration(pulumi.dynamic.Resource, module="houston", name="DataPlaneRegistration"):
    status: pulumi.Output[str]
    """the cluster's status when it was registered (ACTIVE once Houston read its metadata)"""
    base_domain: pulumi.Output[str]
    """the base domain the data plane's Commander reported"""

    def __init__(self, name: str, houston: HoustonSettings, cluster_name: str, metadata_url: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["api_key"]))
        super().__init__(RegistrationProvider(), name, {
            **houston.props(), "name": cluster_name, "metadata_url": metadata_url, "status": None,
            "base_domain": None}, options)


class PlatformCluster(pulumi.dynamic.Resource, module="houston", name="PlatformCluster"):
    def __init__(self, name: str, houston: HoustonSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["api_key"]))
        super().__init__(PlatformClusterProvider(), name, {**houston.props(), "name": None}, options)
