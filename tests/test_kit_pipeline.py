"""The tenant kit's repository pipeline and its deploy targets: what runs on a pull request, on merge and on a
release, per deploy mechanism, with every target from the stack and no secret in the file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackfile.read import validate_file
from standins import mock_engine as engine
from tenant_kit.__main__ import main as kit_main
from tenant_kit.deploy_targets import main as targets_main
from tenant_kit.deploy_targets import stack_targets, target
from tenant_kit.errors import KitError
from tenant_kit.pipeline import DAGBAG_JOB, UNKNOWN_ID, WORKFLOW_PATH, DeployTarget
from tenant_kit.project import find_tenant, kit_files
from tests.helpers import ROOT, TEST_SECRETS, run_document, stack_document, write_stack_file
from tests.test_dags import HTTPS

TARGETS = {
    "dev": DeployTarget("dev", "https://houston.astro-dev.company.com/v1", "astro-dev.company.com", "finance",
                        workspace_id="ws-dev-1", deployment_id="dep-dev-1"),
    "prod": DeployTarget("prod", "https://houston.astro.company.com/v1", "astro.company.com", "finance",
                         workspace_id="ws-prod-1", deployment_id="dep-prod-1"),
}


def pipeline(tmp_path: Path, dags: dict[str, Any] | None = None,
             targets: dict[str, DeployTarget] | None = None) -> dict[str, Any]:
    document = stack_document("dev")
    if dags is not None:
        document["tenants"][0]["dags"] = dags
    config = validate_file(write_stack_file(tmp_path / "Pulumi.dev.yaml", document))
    mechanism = (dags or {}).get("deploy", "image")
    chosen = targets or {stack: replace(t, mechanism=mechanism) for stack, t in TARGETS.items()}
    text = kit_files(config, find_tenant(config, "finance"), chosen)[WORKFLOW_PATH]
    for secret in TEST_SECRETS.values():
        assert secret not in text
    return yaml.safe_load(text)


def steps(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", step.get("uses"))) for step in job["steps"])


def test_pull_requests_run_the_dagbag_under_the_runtime_image(tmp_path: Path):
    workflow = pipeline(tmp_path)
    assert set(workflow["on"]) == {"pull_request", "push", "release"}
    assert workflow["on"]["push"] == {"branches": ["main"]} and workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"][DAGBAG_JOB]
    assert job["container"]["image"] == "artifactory.company.com/platform/astro-runtime-krb5:11.10.0-python-3.11"
    # A read-only account: the job runs for every pull request, with no environment's secrets.
    assert job["container"]["credentials"]["password"] == "${{ secrets.ARTIFACTORY_PULL_PASSWORD }}"
    assert "python tests/dagbag_check.py dags" in steps(job)


def test_dag_only_deploys_to_dev_on_merge_and_to_prod_from_a_release_behind_its_environment(tmp_path: Path):
    jobs = pipeline(tmp_path, {"deploy": "dagOnly"})["jobs"]
    dev, prod = jobs["deploy-dev"], jobs["deploy-prod"]
    assert dev["needs"] == prod["needs"] == DAGBAG_JOB
    assert dev["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert prod["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    assert prod["if"] == "github.event_name == 'release'" and prod["environment"] == "prod"
    assert "astro deploy dep-dev-1 --dags --workspace-id ws-dev-1 --force" in steps(dev)
    assert "astro deploy dep-prod-1 --dags --workspace-id ws-prod-1 --force" in steps(prod)
    assert 'astro login astro.company.com --oauth' in steps(prod)
    login = next(s for s in prod["steps"] if "astro login" in s.get("run", ""))
    assert login["env"] == {"ASTRO_KEY": "${{ secrets.ASTRO_DEPLOY_KEY }}"} and "ASTRO_KEY" not in login["run"][:5]


def test_image_deploys_push_a_tag_the_stack_then_names(tmp_path: Path):
    jobs = pipeline(tmp_path)["jobs"]
    build = next(s for s in jobs["deploy-prod"]["steps"] if s.get("name") == "Build and push the image")
    assert build["env"] == {"TAG": "${{ github.event.release.tag_name }}"}
    # The tag reaches the script through the environment only.
    assert "${{" not in build["run"]
    assert 'docker push artifactory.company.com/deployments/finance-airflow:"$TAG"' in build["run"]


def test_git_sync_deploys_nothing(tmp_path: Path):
    jobs = pipeline(tmp_path, {"deploy": "gitSync", "gitSync": {**HTTPS, "auth": "none"}})["jobs"]
    assert list(jobs) == [DAGBAG_JOB]


def test_each_stack_deploys_by_its_own_mechanism(tmp_path: Path):
    mixed = {"dev": replace(TARGETS["dev"], mechanism="gitSync"), "prod": replace(TARGETS["prod"], mechanism="dagOnly")}
    jobs = pipeline(tmp_path, targets=mixed)["jobs"]
    assert list(jobs) == [DAGBAG_JOB, "deploy-prod"]
    assert "astro deploy dep-prod-1 --dags" in steps(jobs["deploy-prod"])


def test_a_deploy_without_its_ids_fails_instead_of_running_a_placeholder(tmp_path: Path):
    unknown = {"dev": replace(TARGETS["dev"], mechanism="dagOnly", deployment_id=UNKNOWN_ID)}
    job = pipeline(tmp_path, targets=unknown)["jobs"]["deploy-dev"]
    assert "astro deploy" not in steps(job)
    assert steps(job).rstrip().endswith("exit 1") and "make deploy-targets TENANT=finance" in steps(job)


def test_the_targets_come_from_the_stacks_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    recording = run_document(stack_document("dev"))
    outputs = engine.reveal(recording.outputs)
    found = target("dev", "finance", outputs)
    deployed = outputs["airflowDeployments"]["finance"]
    assert (found.deployment_id, found.workspace_id) == (deployed["deploymentId"], deployed["workspaceId"])
    assert found.houston_url == "https://houston.astro-dev.company.com/v1" and found.release_name == "finance"
    with pytest.raises(KitError, match="no deployment of finance in its outputs"):
        target("dev", "finance", {"airflowDeployments": {}})
    assert stack_targets("finance")["prod"].deployment_id == UNKNOWN_ID

    saved = tmp_path / "dev.json"
    saved.write_text(json.dumps(outputs))
    printed = tmp_path / "targets.json"
    assert targets_main(["--tenant", "finance", "--stack", "dev", "--outputs", f"dev={saved}"]) == 0
    printed.write_text(capsys.readouterr().out)
    assert json.loads(printed.read_text())["dev"]["deployment_id"] == deployed["deploymentId"]

    # The kit writes them into the pipeline.
    out = tmp_path / "kit"
    assert kit_main(["--tenant", "finance", "--out", str(out), "--targets", str(printed)]) == 0
    readme = (out / "README.md").read_text()
    assert deployed["deploymentId"] in readme and str(ROOT) not in (out / WORKFLOW_PATH).read_text()


def test_a_targets_file_that_is_not_deploy_targets_output_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "targets.json"
    bad.write_text(json.dumps({"dev": {"stack": "dev", "houston_url": "u", "domain": "d", "release_name": "r",
                                       "mechanism": "ftp"}}))
    assert kit_main(["--tenant", "finance", "--out", str(tmp_path / "kit"), "--targets", str(bad)]) == 1
    assert "not the JSON make deploy-targets prints" in capsys.readouterr().err
    assert not (tmp_path / "kit").exists()
