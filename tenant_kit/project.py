"""Every file of a tenant's kit, as text, from the validated stack config."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from config.stack import StackConfig
from config.tenant import TenantConfig
from tenant_kit.astro_cli import CONFIG, check
from tenant_kit.dag import example_dag
from tenant_kit.environment import resolved_environment
from tenant_kit.errors import KitError
from tenant_kit.image import dockerfile
from tenant_kit.kerberos import LOCAL_KRB5_CONF, env_example, wiring
from tenant_kit.pipeline import DAGBAG_SCRIPT, WORKFLOW_PATH, DeployTarget, dagbag_script, workflow
from tenant_kit.readme import readme
from tenant_kit.settings_file import settings

# Local-only files the team creates: never in the image (COPY . .) nor in git.
LOCAL_ONLY = (".env", ".kerberos/", "docker-compose.override.yml")


def find_tenant(config: StackConfig, name: str) -> TenantConfig:
    for tenant in config.tenants:
        if tenant.name == name:
            return tenant
    known = ", ".join(t.name for t in config.tenants) or "none"
    raise KitError(f"no tenant {name!r} in the stack (tenants: {known})")


def dump_yaml(document: object) -> str:
    # No line wrapping: a placeholder or an image map stays on one line, searchable as written.
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True, width=2**16)


def kit_files(config: StackConfig, tenant: TenantConfig,
              targets: Mapping[str, DeployTarget] | None = None) -> dict[str, str]:
    """Relative path -> content; ``targets``: stack -> where the pipeline deploys (default: this stack's
    deployment, its ids unknown). The same config and targets give the same bytes."""
    if targets is None:
        targets = {config.environment: DeployTarget(config.environment, config.houston_url,
                                                    config.platform.base_domain, tenant.release_name,
                                                    tenant.dags.deploy)}
    environment = resolved_environment(config, tenant)
    base_image = environment.base_image
    airflow_settings = settings(config, tenant, environment)
    kerberos = wiring(config, tenant)
    astro_config = {"project": {"name": f"{tenant.name}-{config.environment}"}}
    check(CONFIG, astro_config)
    passwords = [c.conn_id for c in tenant.airflow.connections if c.password]
    example = f"dags/{tenant.datakits[0].replace('-', '_')}_example.py" if tenant.datakits else None
    files = {
        "Dockerfile": dockerfile(base_image),
        "requirements.txt": "# Python packages your DAGs need, pinned (the Runtime image already has Airflow).\n",
        "packages.txt": "# Debian packages your DAGs need, one a line (krb5-user is in the base image).\n",
        "airflow_settings.yaml": "# Your deployment's variables and connections (README.md); secrets are "
                                 "placeholders.\n" + dump_yaml(airflow_settings.document),
        ".astro/config.yaml": dump_yaml(astro_config),
        ".env.example": env_example(kerberos),
        LOCAL_KRB5_CONF: kerberos.krb5_conf,
        ".gitignore": "".join(f"{p}\n" for p in LOCAL_ONLY),
        # The settings file holds whatever password a developer puts in: keep it out of the image too.
        ".dockerignore": "".join(f"{p}\n" for p in (".astro", ".git", *LOCAL_ONLY, "airflow_settings.yaml",
                                                     "logs/")),
        "README.md": readme(config, tenant, base_image, example, kerberos, airflow_settings.uncarried, passwords,
                            targets),
        WORKFLOW_PATH: workflow(tenant, base_image, config.artifactory.image("deployments", tenant.image)
                                .rsplit(":", 1)[0], targets),
        DAGBAG_SCRIPT: dagbag_script(),
    }
    if example:
        files[example] = example_dag(tenant, tenant.datakits[0], kerberos)
    return files


def kit_path(root: Path, stack: str, tenant: str) -> Path:
    """Where a kit goes by default."""
    return root / "build" / "tenant-kit" / stack / tenant
