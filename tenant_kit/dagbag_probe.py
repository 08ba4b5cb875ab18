"""Run inside the check's Airflow virtualenv (not the project's): load each kit's dags/ into a DagBag.

Argument: a JSON file listing ``{"kit", "namespace", "image", "mount_path", "cache_secret",
"mount_config", "pull_secret"}`` per kit. Prints one JSON line per kit with its problems. Airflow is imported
by name at run time: the project's own environment does not have it.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any


def _settings_env(kit: Path) -> dict[str, str]:
    yaml: Any = importlib.import_module("yaml")
    document: Any = yaml.safe_load((kit / "airflow_settings.yaml").read_text())
    return {f"AIRFLOW_VAR_{v['variable_name'].upper()}": str(v["variable_value"])
            for v in document["airflow"]["variables"]}


def _problems(expected: dict[str, str]) -> list[str]:
    kit = Path(expected["kit"])
    # Airflow reads variables from the environment before its database: the kit's settings, as the deployment's.
    os.environ.update(_settings_env(kit))
    dagbag: Any = importlib.import_module("airflow.models.dagbag")
    context: Any = importlib.import_module("airflow.utils.context")
    bag: Any = dagbag.DagBag(dag_folder=str(kit / "dags"), include_examples=False)
    problems = [f"{path}: {error.strip().splitlines()[-1]}" for path, error in bag.import_errors.items()]
    if not bag.dags and not problems:
        problems.append("no DAG found")
    variables = {"value": context.VariableAccessor(deserialize_json=False),
                 "json": context.VariableAccessor(deserialize_json=True)}
    for dag in bag.dags.values():
        for task in dag.tasks:
            env = dag.get_template_env()
            rendered = {field: task.render_template(getattr(task, field), {"var": variables}, jinja_env=env)
                        for field in ("namespace", "image")}
            for field, value in rendered.items():
                if value != expected[field]:
                    problems.append(f"{task.task_id}: {field} renders as {value!r}, not {expected[field]!r}")
            secret_volumes = {v.name for v in task.volumes
                              if v.secret is not None and v.secret.secret_name == expected["cache_secret"]}
            mounts = [m for m in task.volume_mounts if m.name in secret_volumes]
            if [(m.mount_path, m.sub_path) for m in mounts] != [(expected["mount_path"], None)]:
                problems.append(f"{task.task_id}: the cache Secret is not mounted as a directory at "
                                f"{expected['mount_path']}: {[(m.mount_path, m.sub_path) for m in mounts]}")
            pull_secrets: list[Any] = list(task.image_pull_secrets or [])
            pull = [str(s.name) for s in pull_secrets]
            if pull != [expected["pull_secret"]]:
                problems.append(f"{task.task_id}: pulls with {pull}, not the namespace's {expected['pull_secret']}")
            resources = task.container_resources
            if resources is None or not resources.limits or not resources.requests:
                problems.append(f"{task.task_id}: no requests and limits, which the namespace's quota refuses")
            ccname = [e for e in task.env_vars if e.name == "KRB5CCNAME"]
            if not ccname or ccname[0].value_from.config_map_key_ref.name != expected["mount_config"]:
                problems.append(f"{task.task_id}: KRB5CCNAME does not come from ConfigMap {expected['mount_config']}")
    return problems


def main(argv: list[str]) -> int:
    kits: list[dict[str, str]] = json.loads(Path(argv[0]).read_text())
    for expected in kits:
        print(json.dumps({"kit": expected["kit"], "problems": _problems(expected)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
