"""CrossGuard guardrails for astronomer-platform (run with ``pulumi preview --policy-pack policy``)."""
