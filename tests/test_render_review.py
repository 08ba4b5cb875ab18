"""What a reviewer reads in a render and its diff: secret fingerprints, text blocks, the stack's name,
variant stack files, missing paths and the offline engine's placeholders."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pulumi
import pulumi_docker as docker
import pytest
import yaml
from pulumi.runtime import rpc

from offline.diff import diff_render, main, markdown, stacks
from offline.render import dump_yaml, offline_placeholders, render, render_files
from stackfile.read import SECRET_PLACEHOLDER, read, secure_placeholder
from standins import mock_engine as engine
from tests.helpers import ROOT, TEST_SECRETS, stack_document, write_stack_file

FINGERPRINT = re.compile(r"\[secret [0-9a-f]{12}\]")


def secure(ciphertext: str) -> dict[str, str]:
    return {"secure": ciphertext}


def fingerprints(recording: engine.Recording) -> dict[str, str]:
    """URN -> the resource's redacted inputs as JSON."""
    return {r.urn: json.dumps(engine.redact(r.inputs), sort_keys=True) for r in recording.resources}


# --- secrets: a fingerprint, never a value ---------------------------------------------------------

def test_a_ciphertext_becomes_a_placeholder_with_its_fingerprint(tmp_path):
    path = write_stack_file(tmp_path / "Pulumi.dev.yaml", stack_document("dev"),
                            extra={"artifactoryPassword": secure("v1:abc")})
    config, secret_keys = read(path, fill_missing_secrets=True)
    assert config["astronomer-platform:artifactoryPassword"] == f"[secret {hashlib.sha256(b'v1:abc').hexdigest()[:12]}]"
    assert secure_placeholder("v1:abc") != secure_placeholder("v1:abd")
    # Set per machine: no ciphertext to fingerprint.
    assert config["astronomer-platform:delineaPassword"] == SECRET_PLACEHOLDER
    assert {"astronomer-platform:artifactoryPassword", "astronomer-platform:delineaPassword"} <= set(secret_keys)


def test_a_new_ciphertext_changes_the_fingerprints_of_exactly_the_objects_that_use_it(tmp_path):
    document = stack_document("dev")
    runs, renders = [], []
    for ciphertext in ("v1:first", "v1:second"):
        extra = {"artifactoryPassword": secure(ciphertext), "delineaPassword": secure("v1:same")}
        path = write_stack_file(tmp_path / f"{ciphertext[3:]}.yaml", document, extra)
        config, secret_keys = read(path, fill_missing_secrets=True)
        runs.append(engine.run(config, secret_keys, stack="dev"))
        assert render("dev", tmp_path / ciphertext[3:], path) == 0
        renders.append(tmp_path / ciphertext[3:])
    # The objects that use the password: their real inputs differ between the two files.
    first, second = runs[0].by_urn(), runs[1].by_urn()
    assert first.keys() == second.keys()
    uses = {urn for urn in first if engine.reveal(first[urn].inputs) != engine.reveal(second[urn].inputs)}
    assert any("Release" in urn for urn in uses) and any("Secret" in urn for urn in uses)
    before, after = fingerprints(runs[0]), fingerprints(runs[1])
    assert {urn for urn in before if before[urn] != after[urn]} == uses
    # The diff shows each of them changed, with fingerprints on both sides and nothing else.
    diff = diff_render("dev", renders[0], renders[1])
    assert {r["urn"] for r, _ in diff.changed} == uses and not diff.added and not diff.removed
    for _, changes in diff.changed:
        for change in changes:
            assert FINGERPRINT.fullmatch(change.base) and FINGERPRINT.fullmatch(change.head), change


def test_no_fingerprint_is_a_plain_hash_of_a_plaintext_secret(recordings):
    redacted = json.dumps([engine.redact(r.inputs) for r in recordings["prod"].resources])
    found = set(FINGERPRINT.findall(redacted))
    assert len(found) >= len(TEST_SECRETS)
    for plaintext in TEST_SECRETS.values():
        assert plaintext not in redacted
        for encoding in (plaintext, json.dumps(plaintext)):
            digest = hashlib.sha256(encoding.encode()).hexdigest()[:12]
            assert f"[secret {digest}]" not in found and digest not in redacted


def test_a_secret_mapping_keeps_its_keys_and_fingerprints_each_value():
    masked = engine.redact(rpc.wrap_rpc_secret({"a": "x", "b": {"c": "y"}}))
    assert masked == {"a": engine.fingerprint("x"), "b": {"c": engine.fingerprint("y")}}
    assert engine.fingerprint("x") != engine.fingerprint("y")


# --- multi-line strings as YAML blocks --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "[libdefaults]\n  default_realm = CORP\n", "no newline\nat the end", " leading space\nx\n",
    "trailing space \nx\n", "blank lines\n\n\n", "\n", "tab\there\nx", '{\n  "a": 1\n}', "# not a comment\n- x\n",
])
def test_multi_line_strings_round_trip_through_the_yaml_writer(text):
    data = {"data": {"file": text, "one": "single line"}, "list": [text]}
    written = dump_yaml(data)
    assert yaml.safe_load(written) == data
    assert dump_yaml(yaml.safe_load(written)) == written
    assert "one: single line\n" in written


@pytest.fixture(scope="module")
def dev_render(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("review") / "somewhere-else"
    assert render("dev", out) == 0
    return out


def test_rendered_multi_line_data_reads_as_text_blocks(dev_render):
    krb5 = (dev_render / "manifests/airflow-finance/configmap-krb5-config.yaml").read_text()
    assert "krb5.conf: |" in krb5 and "\\n" not in krb5
    plan = {r["urn"]: r for r in json.loads((dev_render / "plan.json").read_text())}
    inputs = [r["inputs"] for r in plan.values()]
    for path in sorted((dev_render / "manifests").rglob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        body = {k: v for k, v in document.items() if k not in ("apiVersion", "kind")}
        assert any(body == {k: v for k, v in i.items() if k not in ("apiVersion", "kind")} for i in inputs), path
        assert "\\n" not in path.read_text(), path


# --- variant stack files and the stack's name --------------------------------------------------------

def make_dry_run(*variables: str) -> str:
    # --no-print-directory: run from `make test`, a nested make would add "Leaving directory" lines.
    return subprocess.run(["make", "--no-print-directory", "-n", "render", *variables], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.splitlines()[-1]


def test_make_render_passes_a_stack_file_only_when_given():
    assert make_dry_run("STACK=dev", "STACK_FILE=variant.yaml", "OUT=out").endswith(
        "-m offline.render --stack dev --out out --stack-file variant.yaml")
    assert make_dry_run("STACK=dev", "OUT=out").endswith("-m offline.render --stack dev --out out")
    help_text = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "STACK_FILE=" in help_text


def test_a_variant_file_renders_under_the_stack_name_and_diffs_without_urn_noise(dev_render, tmp_path):
    document = stack_document("dev")
    document["tenants"][0]["maxWorkers"] = 12
    variant = write_stack_file(tmp_path / "Pulumi.variant.yaml", document)
    assert render("dev", tmp_path / "variant", variant) == 0
    plan = json.loads((tmp_path / "variant/plan.json").read_text())
    assert all(r["urn"].startswith("urn:pulumi:dev::") for r in plan)
    assert json.loads((tmp_path / "variant/render.json").read_text()) == {"stack": "dev"}
    [(name, _, _)] = stacks(dev_render, tmp_path / "variant")
    diff = diff_render(name, dev_render, tmp_path / "variant")
    assert not diff.added and not diff.removed
    assert {r["name"] for r, _ in diff.changed} == {"finance-quota", "finance-deployment"}
    # The deployment's spec shows field by field: its worker count.
    deployment = next(changes for r, changes in diff.changed if r["name"] == "finance-deployment")
    assert [(c.path, c.base, c.head) for c in deployment] == [("sizing.workers", 10, 12)]
    assert markdown([diff]).splitlines()[2] == "### Stack `dev`"


def test_diff_headings_name_the_recorded_stack_not_the_folder(dev_render, tmp_path):
    # Folders of per-stack renders: matched by folder, named by the stack each render was made for.
    for side in ("base", "head"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "first").symlink_to(dev_render)
    assert [name for name, _, _ in stacks(tmp_path / "base", tmp_path / "head")] == ["dev"]
    # A render made before renders recorded their stack is named by its folder.
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "plan.json").write_text((dev_render / "plan.json").read_text())
    assert [name for name, _, _ in stacks(legacy, legacy)] == ["legacy"]
    assert [name for name, _, _ in stacks(legacy, dev_render)] == ["dev"]


@pytest.mark.parametrize("side", ["base", "head"])
def test_diff_of_a_path_that_does_not_exist_fails_naming_it(dev_render, tmp_path, capsys, side):
    missing = tmp_path / "no-such-render"
    args = [str(missing), str(dev_render)] if side == "base" else [str(dev_render), str(missing)]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert str(missing) in captured.err and side in captured.err and not captured.out


def test_an_empty_side_still_reports_the_stack_as_new(dev_render, tmp_path, capsys):
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "dev").symlink_to(dev_render)
    assert main([str(tmp_path / "base"), str(tmp_path / "head")]) == 0
    assert "No render on the base side" in capsys.readouterr().out


# --- outputs.json names the offline engine's placeholders -------------------------------------------

def test_outputs_json_lists_the_values_the_offline_engine_invents(dev_render):
    written = json.loads((dev_render / "outputs.json").read_text())
    # Houston's ids of each tenant's workspace and deployment exist only once Houston made them.
    houston_ids = [f"airflowDeployments.{tenant}.{key}" for tenant in ("analytics", "finance", "marketing")
                   for key in ("deploymentId", "workspaceId")]
    assert written["offlinePlaceholders"] == [*houston_ids, "releaseStatus"]
    assert written["outputs"]["releaseStatus"] == "deployed"
    assert written["outputs"]["platformNamespace"] == "astronomer"


def test_a_diff_reads_outputs_written_before_they_were_wrapped(dev_render, tmp_path):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "plan.json").write_text((dev_render / "plan.json").read_text())
    wrapped = json.loads((dev_render / "outputs.json").read_text())
    (legacy / "outputs.json").write_text(json.dumps(wrapped["outputs"]))
    assert diff_render("dev", legacy, dev_render).empty


def image_program() -> None:
    builder = docker.Provider("builder")
    image = docker.Image("image", image_name="registry.example.com/app:1", build={"context": "app"},
                         skip_push=True, opts=pulumi.ResourceOptions(provider=builder))
    pulumi.export("digest", image.repo_digest)
    pulumi.export("imageId", image.id)
    pulumi.export("declared", {"name": image.image_name, "ports": [80]})


def test_every_invented_output_is_listed_and_no_declared_one():
    recording = engine.run({}, [], program=image_program)
    probe = engine.run({}, [], program=image_program, probe=True)
    assert offline_placeholders(recording, probe) == ["digest", "imageId"]
    assert recording.outputs["declared"] == probe.outputs["declared"] == {"name": "registry.example.com/app:1",
                                                                          "ports": [80]}
    outputs = json.loads(render_files(recording, "dev", offline_placeholders(recording, probe))["outputs.json"])
    assert outputs == {"offlinePlaceholders": ["digest", "imageId"], "outputs": recording.outputs}


def test_a_stack_references_outputs_are_not_placeholders():
    def program() -> None:
        pulumi.export("shards", pulumi.StackReference("org/project/other").get_output("shards"))

    given = {"org/project/other": {"shards": {"a": 1}}}
    recording = engine.run({}, [], program=program, stack_outputs=given)
    assert offline_placeholders(recording, engine.run({}, [], program=program, stack_outputs=given, probe=True)) == []
    assert recording.outputs == {"shards": {"a": 1}}



def test_secrets_set_per_machine_render_as_placeholders_when_the_file_has_none(tmp_path):
    # A connection with a password and receivers with credentials: their secrets are set per machine,
    # like the required ones, so a stack file without them still renders.
    document = stack_document("prod")
    document["tenants"][0]["airflow"]["connections"][0]["password"] = True
    variant = write_stack_file(tmp_path / "Pulumi.prod.yaml", document)
    config, _ = read(variant, fill_missing_secrets=True)
    assert config["astronomer-platform:airflowConnectionPasswords"] == SECRET_PLACEHOLDER
    assert config["astronomer-platform:alertReceiverSecrets"] == SECRET_PLACEHOLDER
    assert render("prod", tmp_path / "out", variant) == 0
    deployment = yaml.safe_load((tmp_path / "out/houston/finance-deployment.yaml").read_text())
    assert re.search(r"\[secret [0-9a-f]{12}\]", json.dumps(deployment))


# --- what a tenant change means ------------------------------------------------------------------------

def _head(tmp_path: Path, change) -> Path:
    """A render of the dev stack with ``change`` applied to its document."""
    document = stack_document("dev")
    change(document)
    head = tmp_path / "head"
    assert render("dev", head, write_stack_file(tmp_path / "Pulumi.dev.yaml", document)) == 0
    return head


def _sales(document: dict) -> None:
    sales = json.loads(json.dumps(document["tenants"][1])) | {"name": "sales", "image": "sales-airflow:1.0.0",
                                                              "maxWorkers": 4, "viewGroups": ["astro-sales-readers"]}
    sales["kerberos"] = {"principal": "svc-airflow-sales@CORP.COMPANY.COM", "keytabSecretId": 4104}
    sales["egress"] = [{"description": "Sales CRM", "cidrs": ["10.60.0.0/24"], "ports": [443]}]
    sales["airflow"] = {"variables": {"region": "emea"}}
    document["tenants"].append(sales)


def test_a_new_tenant_shows_what_it_gets(dev_render, tmp_path):
    report = markdown([diff_render("dev", dev_render, _head(tmp_path, _sales))])
    summary = report[report.index("**New tenant `sales`** in namespace `airflow-sales`"):report.index("Added (")]
    for shown in ("- quota: CPU ", "10.60.0.0/24 on TCP 443", "10.20.0.10/32, 10.20.0.11/32 on TCP 88, UDP 88",
                  "admin astro-marketing-admins; view astro-sales-readers", "enforce baseline",
                  "image `artifactory.company.com/deployments/sales-airflow:1.0.0`, Runtime 11.10.0, CeleryExecutor",
                  "up to 4 workers × 1000m CPU / 2048Mi", "`AIRFLOW_VAR_REGION`=`emea`",
                  "- datakits: `artifactory.company.com/datakits/mailchimp-bronze:0.9.4`, "
                  "`artifactory.company.com/datakits/salesforce-bronze:1.1.0`"):
        assert shown in summary, shown
    assert "Airflow deployment `sales` (Houston)" in report and "Deployment `sales-deployment`" not in report


def test_a_sharded_tenant_says_its_shard_declares_the_rest(dev_render, tmp_path):
    def sharded(document: dict) -> None:
        _sales(document)
        document["tenancy"]["shards"] = ["batch-1"]
        document["tenants"][-1]["shard"] = "batch-1"

    report = markdown([diff_render("dev", dev_render, _head(tmp_path, sharded))])
    assert "- quota: (declared by its shard stack)" in report and "- egress: (declared by its shard stack)" in report


def test_environment_variables_are_named_not_numbered(dev_render, tmp_path):
    def change(document: dict) -> None:
        document["tenants"][0]["airflow"]["variables"] |= {"cost_center": "FIN-002", "region": "emea"}

    diff = diff_render("dev", dev_render, _head(tmp_path, change))
    [deployment] = [changes for resource, changes in diff.changed if resource["name"] == "finance-deployment"]
    assert [(c.path, c.head) for c in deployment] == [
        ('environment["AIRFLOW_VAR_COST_CENTER"].value', "FIN-002"),
        ('environment["AIRFLOW_VAR_REGION"]', {"key": "AIRFLOW_VAR_REGION", "value": "emea"}),
    ]


def test_a_changed_alert_rule_shows_whole(dev_render, tmp_path):
    def change(document: dict) -> None:
        document["tenants"][1]["alerts"]["severityOverrides"] = {"TenantSchedulerLagging": "critical"}

    report = markdown([diff_render("dev", dev_render, _head(tmp_path, change))])
    hunk = report[report.index("values.prometheus.additionalAlerts.airflow"):].split("```")[1].splitlines()
    changed = [line.strip() for line in hunk if line.startswith(("  -", "  +"))]
    assert changed == ["-    severity: warning", "+    severity: critical"]
    # The whole rule, from its name to its last label: which tenant's rule, and what it measures.
    rule = [line.strip() for line in hunk[1:] if line.strip()]
    assert rule[0] == "- alert: TenantSchedulerLagging" and rule[-2:] == ["tenant: marketing", "tier: airflow"]
    assert any(line.startswith("expr: ") for line in rule)


@pytest.mark.parametrize("protected", [False, True])
def test_a_removed_tenant_says_its_deployment_and_metadata_go(tmp_path, protected):
    def base_change(document: dict) -> None:
        document["tenancy"]["protectNamespaces"] = protected

    base = tmp_path / "base"
    base.mkdir()
    base_render = _head(base, base_change)

    def change(document: dict) -> None:
        base_change(document)
        del document["tenants"][2]

    report = markdown([diff_render("dev", base_render, _head(tmp_path, change))])
    assert ("> **Tenant `analytics` is removed**: its Airflow deployment `analytics` and that deployment's metadata "
            "database") in report
    assert ("`pulumi up` fails instead" in report) is protected
