"""What a tenant shard stack reads: its own config from the Pulumi runtime, and the platform stack's
export of every shard's tenants."""

from __future__ import annotations

from composition.stack_config import runtime_config_values
from config.errors import ConfigError
from config.rule_walk import check
from config.shard import SHARD_PROJECT, TenantShardConfig
from config.validation import split_config

SHARDS_OUTPUT = "tenantShards"
"""the platform stack's export that holds every shard's tenants: shard -> tenant -> tenant document"""


def load_shard() -> TenantShardConfig:
    """Read and validate a shard stack's config from the Pulumi runtime."""
    raw, _, _ = split_config(runtime_config_values(), set(), project=SHARD_PROJECT)
    config, problems = check(TenantShardConfig, raw)
    if problems:
        raise ConfigError(problems)
    return config
