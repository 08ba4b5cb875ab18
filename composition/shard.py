"""What a tenant shard stack reads: its own config from the Pulumi runtime, and the platform stack's
export of every shard's tenants."""

from __future__ import annotations

from pydantic import ValidationError

from composition.stack_config import runtime_config_values
from config.errors import ConfigError, problems_from
from config.shard import SHARD_PROJECT, TenantShardConfig
from config.validation import split_config

SHARDS_OUTPUT = "tenantShards"
"""the platform stack's export that holds every shard's tenants: shard -> tenant -> tenant document"""


def load_shard() -> TenantShardConfig:
    """Read and validate a shard stack's config from the Pulumi runtime."""
    raw, _, _ = split_config(runtime_config_values(), set(), project=SHARD_PROJECT)
    try:
        return TenantShardConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(problems_from(error, TenantShardConfig)) from None
