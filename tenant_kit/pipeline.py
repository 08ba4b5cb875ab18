"""The team's repository pipeline (GitHub Actions): the DagBag check on every pull request under the tenant's
Runtime image, a deploy to the dev deployment on merge to main, and promotion to prod from a published
release behind the protected ``prod`` environment. How it deploys follows the tenant's ``dags.deploy``:

- ``dagOnly``: ``astro deploy <deployment id> --dags`` to the stack's deployment (Astro CLI, logged in with the
  deployment's service-account key);
- ``image``: build the image and push it to Artifactory's deployments repository, tagged by commit or release;
  the platform stack's ``tenants[].image`` then names the tag (the platform declares the image);
- ``gitSync``: nothing to push, the deployment pulls its branch (dev) or ``rev`` (prod).

Every deploy target comes from the stack (``tenant_kit.deploy_targets``). Facts and sources: docs/dags.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from config.tenant import TenantConfig
from domain.dag_deploys import DagMechanism
from offline.render import dump_yaml

WORKFLOW_PATH = ".github/workflows/airflow.yml"
DAGBAG_JOB = "dagbag"
DAGBAG_STEP = "dagbag-check"
"""the id of the DagBag step (``make kit-dag-check`` runs it)"""
DAGBAG_SCRIPT = "tests/dagbag_check.py"
ASTRO_CLI_VERSION = "v1.45.0"
CHECKOUT = "actions/checkout@v4"
"""the same major version the platform's own workflows use"""
UNKNOWN_ID = "<run pulumi up, then make deploy-targets>"
FIRST_STACK_EVENT = "push"
"""the event that deploys to the first stack (dev); the others deploy from a published release"""


@dataclass(frozen=True)
class DeployTarget:
    """Where the pipeline deploys in one stack (``tenant_kit.deploy_targets`` reads it from the stack)."""

    stack: str
    houston_url: str
    domain: str
    """the platform's base domain (what ``astro login`` takes)"""
    release_name: str
    mechanism: DagMechanism = "image"
    """how DAGs reach the deployment in this stack (the tenant's dags.deploy there)"""
    workspace_id: str = UNKNOWN_ID
    deployment_id: str = UNKNOWN_ID


def dagbag_script() -> str:
    """The kit's DagBag check: every file under dags/ imports, and each DAG has at least one task."""
    return '''"""Load dags/ into an Airflow DagBag: no import error, no empty DAG (CI runs it under the Runtime)."""

import sys
from pathlib import Path

from airflow.models import DagBag

folder = Path(sys.argv[1] if len(sys.argv) > 1 else "dags")
bag = DagBag(dag_folder=str(folder), include_examples=False)
problems = [f"{path}: {error.strip().splitlines()[-1]}" for path, error in sorted(bag.import_errors.items())]
problems += [f"{dag_id}: has no task" for dag_id, dag in sorted(bag.dags.items()) if not dag.tasks]
for problem in problems:
    print(problem, file=sys.stderr)
print(f"{len(bag.dags)} DAGs from {folder}, {len(problems)} problems")
sys.exit(1 if problems else 0)
'''


def _login(target: DeployTarget) -> list[dict[str, Any]]:
    return [
        {"name": "Install the Astro CLI", "run": f"curl -fsSL https://install.astronomer.io | sudo bash -s -- "
                                                 f"{ASTRO_CLI_VERSION}"},
        # The CLI reads an APC token only as the oauth answer on its input (docs/dags.md).
        {"name": "Log in with the deployment's service account",
         "env": {"ASTRO_KEY": "${{ secrets.ASTRO_DEPLOY_KEY }}"},
         "run": f'echo "$ASTRO_KEY" | astro login {target.domain} --oauth'},
    ]


def _deploy_steps(tenant: TenantConfig, target: DeployTarget, image_repository: str,
                  release: bool) -> list[dict[str, Any]]:
    if target.mechanism == "dagOnly":
        if UNKNOWN_ID in (target.deployment_id, target.workspace_id):
            # A deploy without its target fails loudly instead of running a command with a placeholder in it.
            return [{"name": "The deploy target is not in this kit yet",
                     "run": f'echo "::error::no deployment id for {target.stack}: the platform team runs make '
                            f'deploy-targets TENANT={tenant.name} and regenerates the kit with it"\nexit 1\n'}]
        return [*_login(target), {
            "name": f"Deploy the DAGs to {target.release_name} ({target.stack})",
            "run": f"astro deploy {target.deployment_id} --dags --workspace-id {target.workspace_id} --force"}]
    # The tag reaches the shell through the environment, never spliced into the script (a release's tag name
    # is text its author chose).
    tag = {"TAG": "${{ github.event.release.tag_name }}" if release else "${{ github.sha }}"}
    reference = f'{image_repository}:"$TAG"'
    return [
        # The environment's own account, which may push to the deployments repository.
        {"name": "Log in to Artifactory",
         "env": {"ARTIFACTORY_USERNAME": "${{ vars.ARTIFACTORY_USERNAME }}",
                 "ARTIFACTORY_PASSWORD": "${{ secrets.ARTIFACTORY_PASSWORD }}"},
         "run": f'echo "$ARTIFACTORY_PASSWORD" | docker login {image_repository.split("/", 1)[0]} '
                '--username "$ARTIFACTORY_USERNAME" --password-stdin'},
        {"name": "Build and push the image", "env": tag,
         "run": f"docker build --pull -t {reference} .\ndocker push {reference}\n"},
        {"name": "Name it in the platform stack", "env": tag,
         "run": f'echo "Pushed {image_repository}:$TAG: set tenants[{tenant.name}].image to that name:tag in the '
                f'{target.stack} stack (a pull request to the platform repository)"'},
    ]


def workflow(tenant: TenantConfig, runtime_image: str, image_repository: str,
             targets: Mapping[str, DeployTarget]) -> str:
    """The workflow's text. ``targets``: stack -> where it deploys, the first stack on merge to main and the
    others from a published release; ``image_repository``: Artifactory's repository of the tenant's image."""
    jobs: dict[str, Any] = {DAGBAG_JOB: {
        "name": "DagBag under the deployment's Runtime",
        "runs-on": "ubuntu-latest",
        # A read-only account: this job runs for every pull request.
        "container": {"image": runtime_image, "credentials": {
            "username": "${{ vars.ARTIFACTORY_PULL_USERNAME }}",
            "password": "${{ secrets.ARTIFACTORY_PULL_PASSWORD }}"}},
        "steps": [
            {"uses": CHECKOUT},
            {"id": DAGBAG_STEP, "name": "Load dags/ into a DagBag",
             "run": f"pip install --no-cache-dir -r requirements.txt\npython {DAGBAG_SCRIPT} dags\n"},
        ],
    }}
    for index, (stack, target) in enumerate(targets.items()):
        if target.mechanism == "gitSync":
            continue  # the deployment pulls by itself
        release = index > 0
        condition = ("github.event_name == 'release'" if release
                     else f"github.event_name == '{FIRST_STACK_EVENT}' && github.ref == 'refs/heads/main'")
        jobs[f"deploy-{stack}"] = {
            "name": f"Deploy to {stack}" + (" (a published release)" if release else " (merge to main)"),
            "needs": DAGBAG_JOB, "if": condition, "runs-on": "ubuntu-latest",
            # A protected environment: prod's required reviewers approve each promotion.
            "environment": stack,
            # One deploy per stack at a time, in the order they started.
            "concurrency": {"group": f"deploy-{stack}", "cancel-in-progress": False},
            "steps": [{"uses": CHECKOUT}, *_deploy_steps(tenant, target, image_repository, release)],
        }
    document = {
        "name": f"Airflow DAGs of {tenant.name}",
        "on": {"pull_request": {}, FIRST_STACK_EVENT: {"branches": ["main"]}, "release": {"types": ["published"]}},
        "permissions": {"contents": "read"},
        "jobs": jobs,
    }
    header = ("# Generated by the platform from the stack config (make tenant-kit); deploy targets from "
              "make deploy-targets.\n")
    return header + dump_yaml(document, sort_keys=False, width=2**16)
