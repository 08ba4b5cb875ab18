"""The ``kubernetes`` section: which cluster the explicit Kubernetes provider writes to."""

from __future__ import annotations

from pydantic import model_validator

from config.base import Model
from config.rules import (
    NonEmptyStr,
)


class KubernetesConfig(Model):
    """Where the explicit Kubernetes provider points: a kubeconfig context or a kubeconfig file."""

    context: NonEmptyStr | None = None
    """kubeconfig context of the target cluster (set this or kubeconfig)"""
    kubeconfig: NonEmptyStr | None = None
    """path of a kubeconfig file for the target cluster (set this or context)"""

    @model_validator(mode="after")
    def _exactly_one(self) -> KubernetesConfig:
        if (self.context is None) == (self.kubeconfig is None):
            raise ValueError("set exactly one of 'context' or 'kubeconfig'")
        return self
