"""astronomer-tenant-shard: the objects of one shard's tenants, from the args the platform stack exports.

The platform stack keeps every tenant in its config, their namespaces (the chart needs them first)
and the ticket manager's access to them; this stack declares everything else in those namespaces.
"""

from typing import Any

import pulumi

from components.provider import kubernetes_provider
from components.tenant import Tenant
from components.tenant_document import tenant_args
from composition.shard import SHARDS_OUTPUT, load_shard

config = load_shard()
kubernetes = kubernetes_provider("kubernetes", config.kubernetes.context, config.kubernetes.kubeconfig)
opts = pulumi.ResourceOptions(providers=[kubernetes])
platform = pulumi.StackReference(config.platform_stack)


def declare(shards: dict[str, dict[str, Any]]) -> list[str]:
    # A stack reference's outputs are known during a preview as well, so these objects show in it.
    if config.shard not in shards:
        known = ", ".join(sorted(shards)) or "none"
        raise pulumi.RunError(
            f"shard: {config.shard!r} has no tenants in {config.platform_stack} (shards there: {known}); "
            "set tenants[].shard in the platform stack, or destroy this stack to retire the shard"
        )
    for name, document in sorted(shards[config.shard].items()):
        Tenant(name, tenant_args(document), opts=opts)
    return sorted(shards[config.shard])


pulumi.export("tenants", platform.require_output(SHARDS_OUTPUT).apply(declare))
