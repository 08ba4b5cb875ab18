"""The ``kubernetes`` section: which cluster the explicit Kubernetes provider writes to."""

from __future__ import annotations

from collections.abc import Iterator

from config.base import Issue, Model, rule
from config.rules import (
    NonEmptyStr,
)


class KubernetesConfig(Model):
    """Where the explicit Kubernetes provider points: a kubeconfig context or a kubeconfig file."""

    context: NonEmptyStr | None = None
    """kubeconfig context of the target cluster (set this or kubeconfig)"""
    kubeconfig: NonEmptyStr | None = None
    """path of a kubeconfig file for the target cluster (set this or context)"""

    @rule
    def _exactly_one(self) -> Iterator[Issue]:
        if (self.context is None) == (self.kubeconfig is None):
            yield Issue("", "set exactly one of 'context' or 'kubeconfig'")
