"""The policy pack: ``pulumi preview --policy-pack policy --policy-pack-config policy/config.json``."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.guardrails import POLICIES

PolicyPack(name="astronomer-platform-guardrails", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
