"""The kit's README for the tenant team: log in, start, and where each setting comes from."""

from __future__ import annotations

from collections.abc import Mapping

from config.stack import StackConfig
from config.tenant import TenantConfig
from tenant_kit.astro_cli import CLI_TAG
from tenant_kit.kerberos import LOCAL_KRB5_CONF, KerberosWiring
from tenant_kit.pipeline import WORKFLOW_PATH, DeployTarget


def readme(config: StackConfig, tenant: TenantConfig, base_image: str, example: str | None,
           kerberos: KerberosWiring, uncarried: list[str], passwords: list[str],
           targets: Mapping[str, DeployTarget]) -> str:
    host = config.artifactory.host
    lines = [
        f"# Local Airflow for {tenant.name} ({config.environment})",
        "",
        f"An Astro CLI project (its keys checked against the Astro CLI {CLI_TAG}) built on the same image and settings "
        f"as your deployment `{tenant.name}` in namespace `{tenant.namespace_name}`. The platform team generates it "
        "from the stack config; regenerating keeps the files you changed and names them.",
        "",
        "## Start",
        "",
        "```sh",
        f"docker login {host}      # your own Artifactory account: the base image is not public",
        f"docker pull {base_image}",
        "cp .env.example .env      # then see Kerberos below",
        "astro dev start",
        "```",
        "",
        "The CLI adds `--pull` to its build only for Astronomer's own registries, so `docker pull` is what picks "
        "up a re-vetted base image. The local metadata database is the CLI's Postgres image (`postgres.repository`, "
        "`postgres.tag`; `astro config set postgres.repository <your mirror>` if Docker Hub is not reachable).",
        "",
        "## Where the settings come from",
        "",
        "| file | from |",
        "|---|---|",
        f"| `Dockerfile` | `FROM` the platform's Kerberos-enabled Astro Runtime (`{base_image.rsplit(':', 1)[1]}`), "
        "the base of your deployment's image; then `packages.txt` and `requirements.txt` |",
        "| `airflow_settings.yaml` | your deployment's environment as the platform sends it to Houston: the "
        "variables (yours and `artifactory_url`, `datakit_registry`, `environment`, `astronomer_namespace`, "
        "`datakit_images`) and the connections; applied by `astro dev start` |",
        f"| `{LOCAL_KRB5_CONF}` | the `krb5-config` ConfigMap of your namespace |",
        "| `.env.example` | the Kerberos variables |",
        "| `.astro/config.yaml` | the project name |",
    ]
    if example:
        lines.append(f"| `{example}` | an example that runs one of your datakits with your ticket cache |")
    lines += ["", "Change settings in the platform's stack config, not here: a regenerated kit and your deployment "
              "follow it.", ""]
    if passwords:
        lines += ["**Secrets are not in this kit.** These connections have a password on the platform; "
                  "`airflow_settings.yaml` holds a marked placeholder instead. Put the real one in your local copy "
                  "only and never commit it: " + ", ".join(f"`{p}`" for p in passwords) + ".", ""]
    if uncarried:
        lines += ["The CLI's settings file has no field for these, so they are left out: "
                  + ", ".join(f"`{u}`" for u in uncarried) + ".", ""]
    lines += [
        "## Kerberos",
        "",
        f"On the platform the ticket manager keeps your ticket cache in Secret `{kerberos.cache_secret}`, which pods "
        f"mount as a directory at `{kerberos.mount_path}` (never with `subPath`: that copy is never renewed); "
        f"`KRB5CCNAME` (`{kerberos.ccname}`) is in ConfigMap `{kerberos.mount_config}`. Locally, get a ticket "
        f"into a directory of your own and mount it at `{kerberos.mount_path}` with a `docker-compose.override.yml` "
        "beside this file (the CLI merges it into its compose project), for example:",
        "",
        "```yaml",
        "services:",
        "  scheduler:",
        "    volumes:",
        f"      - ./.kerberos:{kerberos.mount_path}:ro",
        "```",
        "",
        "and the same for `triggerer` and `webserver`. Keep `.kerberos/` out of git.",
        "",
        *_pipeline(tenant, targets),
    ]
    return "\n".join(lines)


_HOW = {
    "dagOnly": "deploys `dags/` only (`astro deploy <deployment id> --dags`); the image stays the one the platform "
               "declares",
    "image": "builds your image and pushes it to Artifactory, tagged by commit (dev) or release (prod); the platform "
             "stack's `image` of your tenant then names that tag, through a pull request to the platform repository",
    "gitSync": "deploys nothing: the deployment pulls the branch or `rev` the platform stack names (git-sync)",
}


def _pipeline(tenant: TenantConfig, targets: Mapping[str, DeployTarget]) -> list[str]:
    lines = [
        "## Your repository's pipeline",
        "",
        f"`{WORKFLOW_PATH}` (GitHub Actions): every pull request loads `dags/` into a DagBag inside your Runtime "
        "image; merging to `main` deploys to the first stack below, a published release to the others. Per stack, "
        "the deployment's mechanism decides what a deploy is: "
        + "; ".join(f"{t.stack} uses `{t.mechanism}`, so the pipeline {_HOW[t.mechanism]}" for t in targets.values())
        + ".",
        "",
        "Set up once in the repository's settings:",
        "",
        "- variable `ARTIFACTORY_PULL_USERNAME` and secret `ARTIFACTORY_PULL_PASSWORD`: a read-only Artifactory "
        "account that may pull the Runtime image (the DagBag check runs for every pull request);",
        "- an environment per stack (" + ", ".join(f"`{s}`" for s in targets) + "), each with secret "
        "`ASTRO_DEPLOY_KEY` (the API key of a Deployment Editor service account of that stack's deployment) for "
        "DAG-only deploys, or variable `ARTIFACTORY_USERNAME` and secret `ARTIFACTORY_PASSWORD` (an account that "
        "may push to the deployments repository) for image deploys;",
        "- the later environments protected with required reviewers, so a release waits for their approval;",
        "- branch protection on `main` requiring the DagBag check.",
        "",
        "| stack | Houston | release | mechanism | deployment id |",
        "|---|---|---|---|---|",
        *[f"| {t.stack} | {t.houston_url} | {t.release_name} | {t.mechanism} | {t.deployment_id} |"
          for t in targets.values()],
        "",
        "The ids come from the stack after `pulumi up`: the platform team runs `make deploy-targets TENANT="
        f"{tenant.name} > targets.json` and regenerates this kit with `--targets targets.json`.",
        "",
    ]
    return lines
