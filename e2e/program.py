"""The program as the end-to-end test runs it: the real ``__main__.py``, unchanged, plus one
test-only stack transformation. Both engines run this same function: the real one (``e2e.run``,
inline through the Automation API) and the mock one (``e2e.declared``).
"""

from __future__ import annotations

import runpy
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pulumi

PROGRAM = Path(__file__).resolve().parent.parent / "__main__.py"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SKIP_AWAIT = "pulumi.com/skipAwait"


def skip_deployment_await(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Pods never run on the test cluster: do not wait for Deployments to become available.

    pulumi-kubernetes has no provider-wide switch for this, only the per-object
    ``pulumi.com/skipAwait`` annotation.
    """
    if args.type_ != DEPLOYMENT:
        return None
    metadata = args.props.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        # The program passes plain dicts (not an Output or ObjectMetaArgs): fail, not skip silently.
        raise TypeError(f"{args.name}: metadata is a {type(metadata).__name__}, not a mapping")
    existing: Mapping[str, Any] = cast(Mapping[str, Any], metadata).get("annotations") or {}
    annotations = {**existing, SKIP_AWAIT: "true"}
    return pulumi.ResourceTransformationResult(
        props={**args.props, "metadata": {**metadata, "annotations": annotations}}, opts=args.opts
    )


def program() -> None:
    # A legacy stack transformation, not `register_resource_transform`: a transform is a callback
    # the engine invokes over gRPC, and under the real CLI (inline program) that failed with
    # "invoke transform: ... connection refused", then "Resource monitor has terminated" (issue
    # #13). A transformation runs in this process, in each Resource constructor, and reaches
    # every resource created after this call, component children included (a child inherits its
    # parent's transformations, and top-level resources the root stack's). It would miss the
    # children of a remote component (helm.v4.Chart), which the provider creates: the program has
    # none (its chart is one helm.v3.Release).
    pulumi.runtime.register_stack_transformation(skip_deployment_await)
    runpy.run_path(str(PROGRAM), run_name="__main__")
