"""The tenant kit: an Astro CLI project whose image, settings and Kerberos wiring are the deployment's own."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.houston_resources import DEPLOYMENT_TYPE
from components.kerberos_files import cache_key
from domain.environment_keys import connection_env_key, variable_env_key
from stackfile.read import validate_file
from standins import mock_engine as engine
from tenant_kit import astro_cli
from tenant_kit.__main__ import main
from tenant_kit.deploy_targets import stack_targets
from tenant_kit.environment import password_placeholder
from tenant_kit.errors import KitError
from tenant_kit.manifest import MANIFEST, write_kit
from tenant_kit.project import find_tenant, kit_files
from tenant_kit.settings_file import CONNECTION_FIELDS
from tests.helpers import ROOT, STACKS, TEST_SECRETS, run_document, stack_document, write_stack_file

PASSWORD = "conn-PASSWORD-e81f"
SECRETS = {**TEST_SECRETS, "airflowConnectionPasswords": json.dumps({"finance": {"finance_sqlserver": PASSWORD}})}


def _with_password(document: dict[str, Any]) -> dict[str, Any]:
    """finance's connection with a password and a description, and a variable of its own."""
    connection = document["tenants"][0]["airflow"]["connections"][0]
    connection.update(password=True, description="Finance warehouse", login="svc_fin", extra={"encrypt": "yes"})
    return document


def _stack_file(tmp_path: Path, stack: str, document: dict[str, Any], secrets: dict[str, str]) -> Path:
    """``document`` as a stack file, its secrets in plain text, as an operator's file could hold them."""
    return write_stack_file(tmp_path / f"Pulumi.{stack}.yaml", document, secrets)


@pytest.fixture(scope="module")
def finance_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[engine.Recording, dict[str, str]]:
    """The program's run and the kit for finance with a password connection, from the same document."""
    document = _with_password(stack_document("dev"))
    recording = run_document(document, "dev", SECRETS)
    config = validate_file(_stack_file(tmp_path_factory.mktemp("stack"), "dev", document, SECRETS))
    return recording, kit_files(config, find_tenant(config, "finance"))


def _all_kits() -> list[tuple[str, str, dict[str, str]]]:
    kits = []
    for stack in STACKS:
        config = validate_file(ROOT / f"Pulumi.{stack}.yaml")
        kits += [(stack, t.name, kit_files(config, t)) for t in config.tenants]
    return kits


ALL_KITS = _all_kits()


@pytest.mark.parametrize(("stack", "tenant", "files"), ALL_KITS, ids=[f"{s}-{t}" for s, t, _ in ALL_KITS])
def test_every_yaml_key_is_one_the_astro_cli_accepts(stack: str, tenant: str, files: dict[str, str]) -> None:
    for table in (astro_cli.CONFIG, astro_cli.SETTINGS):
        document = yaml.safe_load(files[table.file])
        assert astro_cli.key_paths(document), table.file
        assert astro_cli.unknown_keys(table, document) == [], (table.file, table.source, astro_cli.CLI_TAG)


def test_the_key_tables_name_their_cli_source_and_catch_wrong_keys() -> None:
    assert (astro_cli.CLI_TAG, astro_cli.CONFIG.source, astro_cli.SETTINGS.source) == (
        "v1.45.0", "config/config.go", "settings/types.go")
    assert len(astro_cli.CONFIG.keys) == 49  # the CFG entries of config/config.go at v1.45.0
    # The mistakes the shared notes warn about: an image key in config.yaml, Airflow's names in the settings.
    assert astro_cli.unknown_keys(astro_cli.CONFIG, {"airflow": {"image": {"repository": "x"}}}) == [
        "airflow.image.repository"]
    wrong = {"airflow": {"pools": [{"pool_name": "p", "slots": 2}], "connections": [{"conn_id": "c", "host": "h"}]}}
    assert astro_cli.unknown_keys(astro_cli.SETTINGS, wrong) == ["airflow.connections[].host", "airflow.pools[].slots"]
    with pytest.raises(KitError, match=r"airflow_settings.yaml: keys the Astro CLI v1.45.0 does not accept"):
        astro_cli.check(astro_cli.SETTINGS, wrong)


def _kit_environment(settings: dict[str, Any]) -> dict[str, dict[str, Any] | str]:
    """The kit's settings file read back as the deployment's environment (connections as parsed JSON)."""
    back = {cli: airflow for airflow, cli in CONNECTION_FIELDS.items()}
    env: dict[str, dict[str, Any] | str] = {
        variable_env_key(v["variable_name"]): v["variable_value"] for v in settings["airflow"]["variables"]}
    for connection in settings["airflow"]["connections"]:
        env[connection_env_key(connection["conn_id"])] = {back[k]: v for k, v in connection.items() if k != "conn_id"}
    return env


def test_the_settings_equal_the_environment_the_program_sends(finance_case) -> None:
    recording, files = finance_case
    deployment = {r.name: r for r in recording.of_type(DEPLOYMENT_TYPE)}["finance-deployment"]
    inputs = engine.reveal(deployment.inputs)
    sent: dict[str, Any] = {v["key"]: v["value"] for v in inputs["environment"]}
    sent |= engine.reveal(deployment.inputs["secret_environment"])
    sent = {k: json.loads(v) if k.startswith("AIRFLOW_CONN_") else v for k, v in sent.items()}
    kit = _kit_environment(yaml.safe_load(files["airflow_settings.yaml"]))

    connection = sent["AIRFLOW_CONN_FINANCE_SQLSERVER"]
    assert connection.pop("password") == PASSWORD
    assert kit["AIRFLOW_CONN_FINANCE_SQLSERVER"].pop("password") == password_placeholder("finance", "finance_sqlserver")
    # The CLI's settings file has no description field: left out, and the kit's README says so.
    assert connection.pop("description") == "Finance warehouse"
    assert "`finance_sqlserver.description`" in files["README.md"]
    assert kit == sent
    assert {"AIRFLOW_VAR_DATAKIT_IMAGES", "AIRFLOW_VAR_ASTRONOMER_NAMESPACE", "AIRFLOW_VAR_COST_CENTER"} <= set(kit)


def test_the_dockerfile_builds_on_the_runtime_image_the_program_names(finance_case) -> None:
    recording, files = finance_case
    deployment = {r.name: r for r in recording.of_type(DEPLOYMENT_TYPE)}["finance-deployment"]
    runtime = recording.outputs["images"]["astro-runtime-krb5"]
    assert [line for line in files["Dockerfile"].splitlines() if line.startswith("FROM")] == [f"FROM {runtime}"]
    assert runtime.rsplit(":", 1)[1].startswith(engine.reveal(deployment.inputs)["runtime_version"] + "-python-")


def test_kerberos_files_are_the_platforms_config_maps(finance_case) -> None:
    recording, files = finance_case
    maps = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): engine.reveal(r.inputs)["data"]
            for r in recording.of_type("kubernetes:core/v1:ConfigMap") if r.inputs.get("metadata", {}).get("namespace")}
    mount = maps[("airflow-finance", "kerberos-mount-config")]
    env = dict(line.split("=", 1) for line in files[".env.example"].splitlines() if line and not line.startswith("#"))
    assert env["KRB5CCNAME"] == mount["KRB5CCNAME"] == f"FILE:{mount['mount_path']}/{cache_key('finance')}"
    assert env["KRB5_CONFIG"] == "/usr/local/airflow/include/krb5.conf"
    assert files["include/krb5.conf"] == maps[("airflow-finance", "krb5-config")]["krb5.conf"]


def test_the_example_dag_runs_a_datakit_with_the_cache_mounted_as_a_directory(finance_case) -> None:
    _, files = finance_case
    dag = files["dags/sqlserver_bronze_example.py"]
    compile(dag, "example", "exec")
    assert "sub_path=" not in dag and "subPath=" not in dag
    assert 'secret_name="kerberos-ccache"' in dag and 'mount_path="/krb5/cache"' in dag
    assert '"{{ var.value.astronomer_namespace }}"' in dag
    assert "\"{{ var.json.datakit_images['sqlserver-bronze'] }}\"" in dag
    assert 'V1ConfigMapKeySelector(name="kerberos-mount-config", key="KRB5CCNAME")' in dag


def test_no_secret_value_in_any_file(tmp_path: Path) -> None:
    document = _with_password(stack_document("dev"))
    config = validate_file(_stack_file(tmp_path, "dev", document, SECRETS))
    out = tmp_path / "kit"
    write_kit(out, kit_files(config, find_tenant(config, "finance")), force=False)
    values = [*TEST_SECRETS.values(), PASSWORD, "DB-PASSWORD-91c2"]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == 14
    for path in files:
        data = path.read_bytes()
        assert not [v for v in values if v.encode() in data], path
    assert password_placeholder("finance", "finance_sqlserver").encode() in (out / "airflow_settings.yaml").read_bytes()
    # The settings file holds a password once a developer fills it in: never in the image or in git.
    assert "airflow_settings.yaml" in (out / ".dockerignore").read_text().splitlines()
    assert ".env" in (out / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize("stack", STACKS)
def test_hadolint_clean(stack: str, tmp_path: Path) -> None:
    dockerfiles = []
    for _, tenant, files in (k for k in ALL_KITS if k[0] == stack):
        path = tmp_path / tenant / "Dockerfile"
        path.parent.mkdir()
        path.write_text(files["Dockerfile"])
        dockerfiles.append(str(path))
    result = subprocess.run([str(ROOT / ".venv/bin/hadolint"), *dockerfiles], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _hashes(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()}


def test_twice_gives_identical_files_and_edits_are_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "kit"
    assert main(["--tenant", "finance", "--out", str(out)]) == 0
    first = _hashes(out)
    assert main(["--tenant", "finance", "--out", str(out)]) == 0
    assert _hashes(out) == first and MANIFEST in first

    (out / "requirements.txt").write_text("pandas==2.2.2\n")
    (out / "dags" / "sqlserver_bronze_example.py").write_text("# ours\n")
    edited = _hashes(out)
    config = validate_file(ROOT / "Pulumi.dev.yaml")
    result = write_kit(out, kit_files(config, find_tenant(config, "finance"), stack_targets("finance")), force=False)
    assert result.kept == ["dags/sqlserver_bronze_example.py", "requirements.txt"]
    assert (result.written, result.offered) == ([], [])
    assert _hashes(out) == edited  # the stack did not change: nothing to bring in, nothing written beside them
    assert main(["--tenant", "finance", "--out", str(out), "--force"]) == 0
    assert _hashes(out) == first


def test_files_the_team_did_not_touch_follow_the_config(tmp_path: Path) -> None:
    out = tmp_path / "kit"
    document = stack_document("dev")
    config = validate_file(_stack_file(tmp_path, "dev", document, {}))
    write_kit(out, kit_files(config, find_tenant(config, "finance")), force=False)
    document["tenants"][0]["airflow"]["variables"]["cost_center"] = "FIN-009"
    config = validate_file(_stack_file(tmp_path, "dev", document, {}))
    result = write_kit(out, kit_files(config, find_tenant(config, "finance")), force=False)
    assert result.written == ["airflow_settings.yaml"]
    assert "variable_value: FIN-009" in (out / "airflow_settings.yaml").read_text()


@pytest.mark.parametrize(("argv", "message"), [
    (["--tenant", "nope"], "tenant-kit: no tenant 'nope' in the stack (tenants: finance, marketing, analytics)\n"),
    (["--tenant", "finance", "--stack", "nope"],
     f"tenant-kit: {ROOT}/Pulumi.nope.yaml: no such stack file (stacks beside it: dev, prod)\n"),
])
def test_bad_input_is_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    assert capsys.readouterr().err == message


def test_a_runtime_the_platform_does_not_publish_is_refused(tmp_path: Path) -> None:
    document = stack_document("dev")
    document["tenants"][0]["deployment"] = {"runtimeVersion": "12.1.1"}
    config = validate_file(_stack_file(tmp_path, "dev", document, {}))
    with pytest.raises(KitError, match=r"^tenant finance: its deployment runs Runtime 12.1.1, but the platform "
                                       r"publishes the Kerberos-enabled Runtime only for images.runtimeVersion 11.10.0$"):
        kit_files(config, find_tenant(config, "finance"))


def test_a_tenant_without_datakits_gets_no_example_dag(tmp_path: Path) -> None:
    document = stack_document("dev")
    document["tenants"][1]["datakits"] = []
    config = validate_file(_stack_file(tmp_path, "dev", document, {}))
    files = kit_files(config, find_tenant(config, "marketing"))
    assert not [path for path in files if path.startswith("dags/")]
    assert not re.search(r"dags/\w+\.py", files["README.md"])  # no example named; the pipeline still loads dags/
    variables = {v["variable_name"]: v["variable_value"]
                 for v in yaml.safe_load(files["airflow_settings.yaml"])["airflow"]["variables"]}
    assert json.loads(variables["datakit_images"]) == {}
