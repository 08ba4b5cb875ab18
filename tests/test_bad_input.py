"""Bad input gets one clear line, never a traceback (issue #14): YAML syntax errors, a missing
stack, a misspelt project namespace, and versions that YAML reads as numbers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.errors import ConfigError, Problem
from offline import render
from standins import mock_engine as engine
from tests.helpers import ROOT, runtime_config

DEV = (ROOT / "Pulumi.dev.yaml").read_text()


def check(*paths: Path, ci: str = "") -> subprocess.CompletedProcess[str]:
    """stackfile.check on ``paths``, with the ``CI`` variable set to ``ci`` (whatever runs the tests)."""
    return subprocess.run(
        [sys.executable, "-m", "stackfile.check", *map(str, paths)], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "CI": ci},
    )


def render_stack(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str]:
    status = render.main([*args, "--out", str(tmp_path / "out")])
    return status, capsys.readouterr().err


def stack(tmp_path: Path, text: str, name: str = "broken") -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(text)
    return path


def line_of(text: str) -> int:
    """The line of Pulumi.dev.yaml that ``text`` starts on, counted from 1 as the errors count."""
    return DEV[: DEV.index(text)].count("\n") + 1


# An unclosed flow list: the error is at the end of the file, the list starts after the key.
UNCLOSED = DEV.replace("  astronomer-platform:kubernetes:\n", "  astronomer-platform:kubernetes: [\n", 1)


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    path = stack(tmp_path, UNCLOSED)
    result = check(path)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{path}:")
    assert "YAML syntax error" in line
    assert f"started at line {line_of('  astronomer-platform:kubernetes:')}, column 35" in line


def test_yaml_tab_error_points_at_the_tab(tmp_path):
    path = stack(tmp_path, DEV.replace("    context: dev-cluster", "\tcontext: dev-cluster"))
    tab = line_of("    context: dev-cluster")
    assert check(path).stderr == f"{path}:{tab}:1: YAML syntax error: found character '\\t' that cannot start any token\n"


def test_render_reports_a_yaml_syntax_error_in_one_line(tmp_path, capsys):
    path = stack(tmp_path, UNCLOSED)
    status, err = render_stack(capsys, tmp_path, "--stack-file", str(path))
    assert status == 1
    [line] = err.splitlines()
    assert line.startswith(f"{path}:") and "YAML syntax error" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"- config\n", "not a stack file: the top level must be a mapping"),
        (b"config: [a]\n", "'config:' must be a mapping of namespace:key names"),
        (b"config:\n  1: x\n", "'config:' must be a mapping of namespace:key names"),
        (b"\xff\xfe", "not a stack file: not UTF-8 text"),
        (b"config: \x00\n", "invalid YAML: unacceptable character #x0000"),
    ],
)
def test_stack_file_that_is_not_stack_config(tmp_path, content, problem):
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_bytes(content)
    [line] = check(path).stderr.splitlines()
    assert line.startswith(f"{path}: {problem}")


def test_missing_stack_names_the_file_and_the_stacks_beside_it(tmp_path):
    stack(tmp_path, DEV, "dev")
    stack(tmp_path, DEV, "prod")
    missing = tmp_path / "Pulumi.nope.yaml"
    result = check(missing)
    assert result.returncode == 1
    assert result.stderr == f"{missing}: no such stack file (stacks beside it: dev, prod)\n"


def test_render_of_a_missing_stack_lists_the_committed_stacks(tmp_path, capsys):
    status, err = render_stack(capsys, tmp_path, "--stack", "nope")
    assert status == 1
    assert err == f"{ROOT / 'Pulumi.nope.yaml'}: no such stack file (stacks beside it: dev, prod)\n"


@pytest.mark.parametrize(
    ("written", "unquoted", "key", "shown"),
    [
        ('pythonVersion: "3.11"', "pythonVersion: 3.10", "images.pythonVersion", "3.1"),
        ("chartVersion: 2.1.0", "chartVersion: 2.1", "platform.chartVersion", "2.1"),
        ("runtimeVersion: 11.10.0", "runtimeVersion: 11.10", "images.runtimeVersion", "11.1"),
    ],
)
def test_versions_yaml_reads_as_numbers_say_to_quote_them(tmp_path, written, unquoted, key, shown):
    result = check(stack(tmp_path, DEV.replace(written, unquoted)))
    assert result.returncode == 1
    assert f"  {key}: {shown} is a number in YAML, not a string; quote it as written" in result.stderr


TYPO = DEV.replace("  astronomer-platform:tenants:", "  astronomer-platfrom:tenants:", 1)
TYPO_LINE = "astronomer-platfrom:tenants: is not a known key; did you mean 'astronomer-platform:tenants'?"


def test_misspelt_namespace_is_an_unknown_key_with_a_suggestion(tmp_path):
    result = check(stack(tmp_path, TYPO))
    assert result.returncode == 1
    assert f"  {TYPO_LINE}\n" in result.stderr


def test_render_reports_a_misspelt_namespace(tmp_path, capsys):
    status, err = render_stack(capsys, tmp_path, "--stack-file", str(stack(tmp_path, TYPO)))
    assert status == 1
    assert f"  {TYPO_LINE}\n" in err


def test_program_under_the_engine_reports_a_misspelt_namespace(document):
    """The engine passes every namespace's keys; only those close to the project name are typos."""
    config, secret_keys = runtime_config(document("dev"))
    config |= {"astronomer_platform:tenant": "[]", "kubernetes:context": "x", "pulumi:disable-default-providers": "[]"}
    with pytest.raises(ConfigError) as raised:
        engine.run(config, secret_keys)
    assert raised.value.problems == [
        Problem("astronomer_platform:tenant", "is not a known key; did you mean 'astronomer-platform:tenants'?")
    ]


def test_other_namespaces_are_not_typos(tmp_path):
    other = DEV.replace("config:\n", "config:\n  kubernetes:context: dev-cluster\n  pulumi:tags: {a: b}\n", 1)
    result = check(stack(tmp_path, other))
    assert result.returncode == 0, result.stderr


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True)


def test_make_help_lists_every_target_on_one_line():
    phony = re.search(r"^\.PHONY: (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert phony
    lines = make("help").stdout.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(phony[1].split())
    assert all(len(line.split(None, 1)) == 2 for line in lines), lines
    # One column for the descriptions, however long a target's name (kit-dag-check).
    columns = {len(line) - len(line.split(None, 1)[1]) for line in lines}
    assert len(columns) == 1, lines


def test_make_alone_prints_the_help():
    alone = make()
    assert alone.returncode == 0 and alone.stdout == make("help").stdout


def test_make_check_checks_every_stack_file_or_the_one_named(tmp_path):
    every = make("check")
    assert every.returncode == 0, every.stderr
    assert every.stdout.splitlines() == ["Pulumi.dev.yaml: valid (3 tenants, chart 2.1.0)",
                                         "Pulumi.prod.yaml: valid (3 tenants, chart 2.1.0)"]
    assert make("check", "STACK=prod").stdout.splitlines() == ["Pulumi.prod.yaml: valid (3 tenants, chart 2.1.0)"]
    broken = stack(tmp_path, DEV.replace("maxWorkers: 10", "maxWorker: 10"))
    result = make("check", f"STACK_FILE={broken}")
    assert result.returncode != 0
    assert result.stderr.startswith(f"{broken}: stack config is invalid (2 problems):")


@pytest.mark.parametrize("tenants", ["0", "-3", "many"])
def test_make_bench_without_tenants_is_a_clean_error(tenants):
    result = make("bench", f"TENANTS={tenants}")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-2].startswith("python -m benchmarks.program: error: argument --tenants: ")


def test_a_variant_stack_files_errors_name_it_as_given(tmp_path, capsys):
    variant = stack(tmp_path, DEV.replace("maxWorkers: 10", "maxWorkers: 0"), "dev")
    status, err = render_stack(capsys, tmp_path, "--stack", "dev", "--stack-file", str(variant))
    assert status == 1
    assert err.startswith(f"{variant}: stack config is invalid (1 problem):")


def test_a_warning_is_printed_once(tmp_path):
    """The render runs the program twice (the second time to find the offline placeholders): warn once."""
    result = subprocess.run([sys.executable, "-m", "offline.render", "--stack-file",
                             str(stack(tmp_path, DEV + PLAIN_PASSWORD)), "--out", str(tmp_path / "out")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("delineaPassword is stored unencrypted") == 1, result.stderr


def test_first_make_says_what_the_silent_install_is_doing(tmp_path):
    venv = tmp_path / "venv"
    dry_run = make("-n", f"VENV={venv}", f"{venv}/.installed").stdout.splitlines()
    assert dry_run[0].startswith(f'echo "Setting up {venv}: installing the project and its dev tools')
    assert "-m venv" in dry_run[1]


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("tenants", "tenants: is not a known key; did you mean 'astronomer-platform:tenants'?"),
        ("Astronomer-Platform:tenant", "Astronomer-Platform:tenant: is not a known key; did you mean "
         "'astronomer-platform:tenants'?"),
        ("astronomer-platfrom:zzz", "astronomer-platfrom:zzz: is not a known key; the project's keys start with "
         "'astronomer-platform:'"),
    ],
)
def test_key_without_or_with_a_misspelt_namespace(tmp_path, key, problem):
    result = check(stack(tmp_path, DEV.replace("  astronomer-platform:tenants:", f"  {key}:", 1)))
    assert result.returncode == 1
    assert f"  {problem}\n" in result.stderr


def test_check_without_a_file_prints_its_usage():
    result = check()
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("usage: python -m stackfile.check ")
    assert "Pulumi.<stack>.yaml" in result.stderr


PLAIN_PASSWORD = "  astronomer-platform:delineaPassword: hunter2-plain\n"
ENCRYPTED_PASSWORD = "  astronomer-platform:delineaPassword:\n    secure: v1:AAAABBBBCCCC\n"


@pytest.mark.parametrize(("ci", "status", "level"), [("", 0, "warning"), ("true", 1, "error")])
def test_plain_text_secret_is_a_warning_locally_and_an_error_in_ci(tmp_path, ci, status, level):
    result = check(stack(tmp_path, DEV + PLAIN_PASSWORD), ci=ci)
    assert result.returncode == status
    assert f": {level}: delineaPassword is stored in plain text" in result.stderr
    assert "hunter2-plain" not in result.stderr + result.stdout


def test_ci_flag_fails_on_plain_text_secret_without_the_variable(tmp_path):
    path = stack(tmp_path, DEV + PLAIN_PASSWORD)
    result = subprocess.run([sys.executable, "-m", "stackfile.check", "--ci", str(path)], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "CI": ""})
    assert result.returncode == 1


def test_encrypted_secret_passes_in_ci(tmp_path):
    result = check(stack(tmp_path, DEV + ENCRYPTED_PASSWORD), ci="true")
    assert result.returncode == 0, result.stderr
    assert "plain text" not in result.stderr


# --- the YAML itself ---------------------------------------------------------------------------------------

def test_a_key_given_twice_is_refused_naming_key_file_and_lines_with_every_other_problem(tmp_path):
    text = DEV.replace("      maxWorkers: 10\n", "      maxWorkers: 10\n      maxWorkers: 12\n", 1)
    text = text.replace("    realm: CORP.COMPANY.COM\n", "    realm: CORP.COMPANY.COM\n    realm: corp\n", 1)
    text = text.replace("  astronomer-platform:environment: dev\n", "  astronomer-platform:environment: dev\n"
                        "  astronomer-platform:environment: prod\n", 1)
    text = text.replace("finance-airflow:2024.06.1", "finance-airflow:latest")  # a problem of the config itself
    path = stack(tmp_path, text)
    result = check(path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    workers = text[: text.index("      maxWorkers: 10")].count("\n") + 1
    assert (f"  tenants[0].maxWorkers: is given twice in {path} (lines {workers} and {workers + 1}); Pulumi refuses "
            "a stack file with a key twice, so keep one") in result.stderr
    assert "  kerberos.realm: is given twice" in result.stderr and "  environment: is given twice" in result.stderr
    assert "  tenants[0].image: " in result.stderr and "uses the tag 'latest'" in result.stderr


def test_render_refuses_a_key_given_twice(tmp_path, capsys):
    text = DEV.replace("      maxWorkers: 10\n", "      maxWorkers: 10\n      maxWorkers: 12\n", 1)
    status, err = render_stack(capsys, tmp_path, "--stack-file", str(stack(tmp_path, text)))
    assert status == 1 and "tenants[0].maxWorkers: is given twice" in err
    assert not (tmp_path / "out").exists()


def _bomb(levels: int) -> str:
    lines = ['    l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"    l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return DEV + "  astronomer-platform:platform:\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(("text", "problem"), [
    (_bomb(9), "expands to more than 250000 values (its aliases repeat values that much)"),
    (DEV + "  astronomer-platform:loop: &loop\n    - *loop\n", "an alias refers to a value that holds it"),
    (DEV + "  astronomer-platform:deep: " + "[" * 500 + "]" * 500 + "\n", "nests deeper than a stack file can"),
    (DEV + "#" + "x" * (4 * 2**20) + "\n", "larger than a stack file can be (4 MiB)"),
])
def test_a_stack_file_too_large_to_read_is_one_line(tmp_path, text, problem):
    path = stack(tmp_path, text)
    result = subprocess.run([sys.executable, "-m", "stackfile.check", str(path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{path}") and problem in line


def test_unquoted_dates_and_yaml_11_words_stay_the_text_written(tmp_path):
    from stackfile.read import validate_file

    text = DEV.replace("          cost_center: FIN-001\n", "          cost_center: FIN-001\n          start: 2024-06-01\n"
                       "          stamp: 2024-06-01T10:00:00Z\n          window: 1:30\n          answer: yes\n", 1)
    config = validate_file(stack(tmp_path, text))
    assert config.tenants[0].airflow.variables == {"cost_center": "FIN-001", "start": "2024-06-01",
                                                   "stamp": "2024-06-01T10:00:00Z", "window": "1:30", "answer": "yes"}
    # Where a boolean is meant, `yes` is the text Pulumi reads too: refused, not taken as true.
    result = check(stack(tmp_path, DEV.replace("    protectNamespaces: false", "    protectNamespaces: yes")))
    assert result.returncode == 1 and "  tenancy.protectNamespaces: 'yes' must be true or false" in result.stderr


@pytest.mark.parametrize(("value", "tag"), [("!!binary aHVudGVyMi1iaW5hcnk=", "!!binary"), ("!!set {a, b}", "!!set"),
                                            ("!vault secret/finance", "!vault")])
def test_a_yaml_tag_config_cannot_carry_is_refused_unseen_with_the_other_problems(tmp_path, value, tag):
    text = DEV.replace("          cost_center: FIN-001\n", f"          cost_center: FIN-001\n          blob: {value}\n", 1)
    text = text.replace("maxWorkers: 10", "maxWorkers: 0")
    result = check(stack(tmp_path, text))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = line_of("          cost_center: FIN-001") + 1
    assert f"  tenants[0].airflow.variables.blob: uses the YAML tag {tag} (line {line} of " in result.stderr
    assert "tenants[0].maxWorkers: 0 must be a positive integer" in result.stderr
    assert "aHVudGVy" not in result.stderr and "hunter2" not in result.stderr
    assert "variables.blob: must be a string" not in result.stderr  # the tag's problem is not repeated


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("maxWorkers: 10", "maxWorkers: " + "9" * 400, "tenants[0].maxWorkers: 9999"),
    ("    tlsSecretName: astronomer-tls\n", "    tlsSecretName: astronomer-tls\n    valuesOverrides:\n      houston:\n"
     "        replicas: " + "9" * 400 + "\n", "platform.valuesOverrides.houston.replicas: is a number beyond 64-bit"),
    ("          cpu: 500m\n", "          cpu: 1e99\n", "tenants[2].deployment.triggerer.cpu: '1e99' is"),
    ("          cpu: 500m\n", "          cpu: 0.0000000000000000000000000001\n", "tenants[2].deployment.triggerer.cpu: "),
    ("          memory: 1Gi\n", "          memory: 99999999999999999999Ei\n", "tenants[2].deployment.triggerer.memory: "),
])
def test_numbers_far_out_of_range_are_one_line_problems_in_check_and_render(tmp_path, capsys, old, new, problem):
    path = stack(tmp_path, DEV.replace(old, new, 1))
    result = check(path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"  {problem}" in result.stderr
    status, err = render_stack(capsys, tmp_path, "--stack-file", str(path))
    assert status == 1 and f"  {problem}" in err
