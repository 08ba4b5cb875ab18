"""The example DAGs under the Airflow and cncf.kubernetes provider of each tenant's Runtime: a DagBag check.

Writes every tenant's kit of every stack into a temporary directory, builds (once, cached by its pins)
a virtualenv with Airflow and the provider the tenant's Runtime ships, and loads each kit's dags/ there
(``dagbag_probe``): no import error, the namespace and image templates render to the tenant's own
values from its settings, the ticket cache Secret is mounted as a directory. A copy of one kit with a
subPath mount must fail, so the check is shown able to fail on every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from components.registry import TENANT_PULL_SECRET_NAME
from devtools.cache import PROJECT_CACHE
from stackfile.read import validate_file
from tenant_kit.deploy_targets import stack_targets
from tenant_kit.environment import resolved_environment
from tenant_kit.errors import KitError
from tenant_kit.image import runtime_version
from tenant_kit.kerberos import wiring
from tenant_kit.manifest import write_kit
from tenant_kit.pipeline import DAGBAG_STEP, WORKFLOW_PATH
from tenant_kit.project import kit_files
from tenant_kit.runtime_versions import AirflowPins, airflow_pins

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "dagbag_probe.py"
STACKS = ("dev", "prod")
# Airflow's own dependencies that a fresh resolve would otherwise take at their newest; the versions a
# resolve of the two pins chose here (PyPI has no Airflow constraints file, and GitHub is unreachable).
SUPPORTING_PINS = (
    "connexion==2.14.2", "flask==2.2.5", "sqlalchemy==1.4.54", "pendulum==3.3.0", "kubernetes==30.1.0",
    "apache-airflow-providers-fab==1.5.3", "apache-airflow-providers-common-sql==1.26.0",
)


@dataclass(frozen=True)
class KitCase:
    kit: Path
    pins: AirflowPins
    python: str
    expected: dict[str, str]


def cache_root() -> Path:
    return PROJECT_CACHE / "kit-dag-check"


def _python(version: str) -> str:
    """An interpreter of the Runtime's Python version."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    found = shutil.which(f"python{version}")
    if not found:
        raise KitError(f"no python{version} on PATH: the Runtime's Python version is needed for the DAG check")
    return found


def _outside_env() -> dict[str, str]:
    """This environment without the project's PYTHONPATH: the check's virtualenv sees only its own packages."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def virtualenv(pins: AirflowPins, python: str, version: str) -> Path:
    """The check's virtualenv for ``pins``, created on first use; its Python."""
    requirements = [*pins.requirements(), *SUPPORTING_PINS]
    venv = cache_root() / f"airflow-{pins.airflow}-cncf-{pins.cncf_kubernetes}-py{version}"
    marker = venv / ".installed"
    if marker.exists() and marker.read_text() == "\n".join(requirements):
        return venv / "bin" / "python"
    shutil.rmtree(venv, ignore_errors=True)
    print(f"kit-dag-check: installing {' '.join(requirements)} into {venv} (first run: a minute or two)",
          file=sys.stderr, flush=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *requirements],
                   check=True, env=_outside_env())
    marker.write_text("\n".join(requirements))
    return venv / "bin" / "python"


def kit_cases(workdir: Path) -> list[KitCase]:
    """Every tenant with a datakit (the example DAG runs one), in every stack."""
    cases: list[KitCase] = []
    for stack in STACKS:
        config = validate_file(ROOT / f"Pulumi.{stack}.yaml")
        for tenant in config.tenants:
            if not tenant.datakits:
                continue
            kit = workdir / stack / tenant.name
            write_kit(kit, kit_files(config, tenant, stack_targets(tenant.name)), force=False)
            kerberos = wiring(config, tenant)
            images = resolved_environment(config, tenant).datakit_images
            expected = {
                "kit": str(kit), "namespace": tenant.namespace_name,
                "image": images[tenant.datakits[0]], "mount_path": kerberos.mount_path,
                "cache_secret": kerberos.cache_secret, "mount_config": kerberos.mount_config,
                "pull_secret": TENANT_PULL_SECRET_NAME,
            }
            cases.append(KitCase(kit, airflow_pins(runtime_version(config, tenant)), config.images.python_version,
                                 expected))
    return cases


def _subpath_mutant(case: KitCase, workdir: Path) -> dict[str, str]:
    """A copy of ``case``'s kit whose DAG mounts the cache with subPath, the mistake the check must catch."""
    mutant = workdir / "mutant-subpath"
    shutil.copytree(case.kit, mutant)
    for dag in (mutant / "dags").glob("*.py"):
        text = dag.read_text()
        marker = f"mount_path={json.dumps(case.expected['mount_path'])}, read_only=True"
        if marker not in text:
            raise KitError(f"{dag}: the cache mount line to mutate is not there; update _subpath_mutant")
        dag.write_text(text.replace(marker, f"{marker}, sub_path=\"krb5cc\"", 1))
    return {**case.expected, "kit": str(mutant)}


def dagbag_step(kit: Path) -> str:
    """The script of the DagBag step of the kit's pipeline, as CI runs it."""
    document = yaml.safe_load((kit / WORKFLOW_PATH).read_text())
    steps = [step for job in document["jobs"].values() for step in job["steps"] if step.get("id") == DAGBAG_STEP]
    if len(steps) != 1:
        raise KitError(f"{kit / WORKFLOW_PATH}: {len(steps)} steps with id {DAGBAG_STEP}, not one")
    return str(steps[0]["run"])


def _pipeline_steps(group: list[KitCase], python: Path, env: dict[str, str], workdir: Path) -> int:
    """Run each kit's pipeline DagBag step with the virtualenv's Python and pip first on PATH (CI runs it in the
    Runtime image, which has the same Airflow), and once on a copy with a broken DAG, which must fail."""
    broken = workdir / "mutant-broken-dag"
    shutil.rmtree(broken, ignore_errors=True)
    shutil.copytree(group[0].kit, broken)
    (broken / "dags" / "broken.py").write_text("from airflow import DAG\n\nwith DAG(  # an unclosed call\n")
    path_env = {**env, "PATH": f"{python.parent}{os.pathsep}{env.get('PATH', '')}"}
    failed = 0
    for kit, must_pass in [*((c.kit, True) for c in group), (broken, False)]:
        result = subprocess.run(["bash", "-e", "-c", dagbag_step(kit)], cwd=kit, env=path_env,
                                capture_output=True, text=True)
        ok = (result.returncode == 0) == must_pass
        failed += not ok
        what = "the pipeline's DagBag step passes" if must_pass else "a broken DAG fails the pipeline's DagBag step"
        print(f"{'ok' if ok else 'FAILED'} {kit.relative_to(workdir)}: {what}"
              + ("" if ok else f" ({(result.stderr.strip().splitlines() or ['?'])[-1]})"))
    return failed


def run(workdir: Path) -> int:
    cases = kit_cases(workdir)
    if not cases:
        raise KitError("no tenant with a datakit in any stack: no example DAG to check")
    failed = 0
    for pins in sorted({c.pins for c in cases}, key=lambda p: (p.airflow, p.cncf_kubernetes)):
        group = [c for c in cases if c.pins == pins]
        version = group[0].python
        started = time.monotonic()
        python = virtualenv(pins, _python(version), version)
        setup = time.monotonic() - started
        mutant = _subpath_mutant(group[0], workdir)
        listing = workdir / f"kits-{pins.airflow}-{pins.cncf_kubernetes}.json"
        listing.write_text(json.dumps([c.expected for c in group] + [mutant]))
        home = workdir / "airflow-home"
        env = {**_outside_env(), "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
        started = time.monotonic()
        output = subprocess.run([str(python), str(PROBE), str(listing)], env=env, capture_output=True, text=True)
        if output.returncode != 0:
            raise KitError(f"the DagBag probe itself failed: {(output.stderr.strip().splitlines() or ['?'])[-1]}")
        results = [json.loads(line) for line in output.stdout.splitlines() if line.startswith("{")]
        for result in results:
            is_mutant = result["kit"] == mutant["kit"]
            ok = bool(result["problems"]) if is_mutant else not result["problems"]
            failed += not ok
            label = "subPath copy refused" if is_mutant else "imports, renders and mounts as the platform does"
            print(f"{'ok' if ok else 'FAILED'} {Path(result['kit']).relative_to(workdir)}: "
                  + (label if ok else "; ".join(result["problems"]) or "a subPath mount was not caught"))
        if len(results) != len(group) + 1:
            failed += 1
            print(f"FAILED: the probe reported {len(results)} of {len(group) + 1} kits")
        failed += _pipeline_steps(group, python, env, workdir)
        print(f"kit-dag-check: Airflow {pins.airflow}, cncf.kubernetes {pins.cncf_kubernetes}, Python {version}: "
              f"{len(group)} kits, virtualenv {setup:.1f} s, DagBag {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="kit-dag-check-") as workdir:
            return run(Path(workdir))
    except KitError as error:
        print(f"kit-dag-check: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"kit-dag-check: {' '.join(map(str, error.cmd))} failed with exit code {error.returncode}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
