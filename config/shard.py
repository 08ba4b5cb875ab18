"""The config of a tenant shard stack (project ``astronomer-tenant-shard``, folder ``tenant-shard/``).

A shard stack declares the objects of the tenants whose ``shard`` names it, from the args the
platform stack exports; all it needs itself is where that stack is and which cluster to write to.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from config.base import Model
from config.cluster import KubernetesConfig
from config.rules import Rfc1123Label, Rule

SHARD_PROJECT = "astronomer-tenant-shard"

StackName = Annotated[str, Field(strict=True), Rule(
    "is not a fully qualified stack name of the form <organization>/astronomer-platform/<stack> (three parts "
    "separated by '/', without spaces)",
    pattern=r"[^/\s]+/[^/\s]+/[^/\s]+",
)]


class TenantShardConfig(Model):
    platform_stack: StackName
    """the platform stack, <organization>/astronomer-platform/<stack> (a self-managed backend: organization)"""
    shard: Rfc1123Label
    """the shard this stack declares: the platform's tenants whose 'shard' names it (one of its tenancy.shards)"""
    kubernetes: KubernetesConfig
    """target cluster of the explicit Kubernetes provider (the platform's cluster)"""
