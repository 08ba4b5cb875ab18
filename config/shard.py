"""The config of a tenant shard stack (project ``astronomer-tenant-shard``, folder ``tenant-shard/``).

A shard stack declares the objects of the tenants whose ``shard`` names it, from the args the
platform stack exports; all it needs itself is where that stack is and which cluster to write to.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationError

from config.errors import ConfigError, problems_from
from config.loader import runtime_config_values, split_config
from config.models import KubernetesConfig, Model
from config.rules import Rfc1123Label

SHARD_PROJECT = "astronomer-tenant-shard"
# The platform's export that holds every shard's tenants: shard -> tenant -> tenant document.
SHARDS_OUTPUT = "tenantShards"


class TenantShardConfig(Model):
    platform_stack: Annotated[str, Field(strict=True, pattern=r"^[^/\s]+/[^/\s]+/[^/\s]+$")]
    """the platform stack, <organization>/astronomer-platform/<stack> (a self-managed backend: organization)"""
    shard: Rfc1123Label
    """the shard this stack declares: the platform's tenants whose 'shard' names it"""
    kubernetes: KubernetesConfig
    """target cluster of the explicit Kubernetes provider (the platform's cluster)"""


def load_shard() -> TenantShardConfig:
    """Read and validate a shard stack's config from the Pulumi runtime."""
    raw, _, _ = split_config(runtime_config_values(), set(), project=SHARD_PROJECT)
    try:
        return TenantShardConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(problems_from(error, TenantShardConfig)) from None
