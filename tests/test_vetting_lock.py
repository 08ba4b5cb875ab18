"""The committed image locks against the program's offline render (no chart, no network), and the pieces
that derive a lock: chart image extraction, source pairing, the values fingerprint, Dockerfile bases."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import STACKS, stack_document
from vetting import chart_images
from vetting.chart_values import fingerprint, upstream_values
from vetting.check import problems
from vetting.credentials import CredentialsError, artifactory_login
from vetting.derive import LockError, derive
from vetting.helm import HelmError, chart_directory
from vetting.lockfile import Entry, from_json, load, path_for, save, to_json
from vetting.render_view import StackRender, dockerfile_bases, render_stack


@pytest.fixture(scope="module")
def renders() -> dict[str, StackRender]:
    return {stack: render_stack(stack) for stack in STACKS}


def _variant(tmp_path: Path, stack: str, change: Mapping[str, Any]) -> StackRender:
    document = {**stack_document(stack), **change}
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump({"config": {f"astronomer-platform:{k}": v for k, v in document.items()}}))
    return render_stack(stack, path)


@pytest.mark.parametrize("stack", STACKS)
def test_committed_lock_covers_every_image_reference_and_nothing_else(renders, stack):
    lock = load(path_for(stack))
    assert problems(lock, renders[stack]) == []
    # The lock names each of the render's tagged references into the mirror, and the Runtime it deploys.
    render = renders[stack]
    tagged = {r for r in render.references() if r.startswith(render.mirror_prefix + "/") and ":" in r.split("/")[-1]}
    assert tagged <= set(lock.by_destination())
    assert f"{render.runtime_repository}:{render.config.images.runtime_version}" in lock.by_destination()
    assert all(e.source.split("/")[0] != render.config.artifactory.host for e in lock.entries)


def test_lock_round_trips_through_its_json():
    lock = load(path_for("prod"))
    assert from_json(to_json(lock)) == lock
    assert to_json(lock) == path_for("prod").read_text()


def test_an_entry_missing_or_unused_is_named(renders):
    render = renders["dev"]
    lock = load(path_for("dev"))
    houston_image = next(e for e in lock.entries if any(o.startswith("houston:") for o in e.origins))
    runtime = next(e for e in lock.entries if any(o.startswith("runtime:") for o in e.origins))
    shorter = dataclasses.replace(lock, entries=tuple(e for e in lock.entries if e not in (houston_image, runtime)))
    found = problems(shorter, render)
    assert any(f"{runtime.destination} (a Runtime version or a build base) has no lock entry" in p for p in found)
    repository = houston_image.destination.rsplit(":", 1)[0]
    assert any(f"{repository} (in helm/astronomer/values.yaml" in p for p in found)
    stray = Entry(f"{render.mirror_prefix}/astro-runtime:9.9.9", "quay.io/astronomer/astro-runtime:9.9.9",
                  ("runtime:images.runtimeVersion",))
    found = problems(dataclasses.replace(lock, entries=(*lock.entries, stray)), render)
    assert f"{stray.destination} is in the lock but nothing pulls it" in found
    assert found[-1].startswith("run `make images-lock`")


def test_a_new_runtime_version_or_chart_version_stales_the_lock(tmp_path):
    lock = load(path_for("dev"))
    images = {**stack_document("dev")["images"], "runtimeVersion": "12.1.1"}
    found = problems(lock, _variant(tmp_path, "dev", {"images": images}))
    assert any("Runtime versions: the lock has ['11.10.0'], the stack uses ['12.1.1']" in p for p in found)
    assert any("astro-runtime:12.1.1 (a Runtime version or a build base) has no lock entry" in p for p in found)
    platform = {**stack_document("dev")["platform"], "chartVersion": "2.1.1"}
    assert any("the lock lists chart 2.1.0, the stack pins 2.1.1" in p
               for p in problems(lock, _variant(tmp_path, "dev", {"platform": platform})))


def test_fingerprint_follows_features_not_names(renders):
    values = renders["dev"].values
    renamed = yaml.safe_load(yaml.safe_dump(values))
    renamed["global"]["baseDomain"] = "elsewhere.example.com"
    renamed["global"]["namespaceManagement"]["namespacePools"]["namespaces"]["names"].append("airflow-new")
    renamed["astronomer"]["houston"]["config"]["deployments"]["anything"] = True
    assert fingerprint(renamed) == fingerprint(values)
    switched = yaml.safe_load(yaml.safe_dump(values))
    switched["global"]["authSidecar"] = {"enabled": True}
    assert fingerprint(switched) != fingerprint(values)


def test_a_new_tenant_with_its_alert_route_does_not_stale_the_lock(tmp_path, renders):
    document = stack_document("dev")
    newcomer = {**document["tenants"][0], "name": "newcomer", "namespace": "airflow-newcomer"}
    newcomer["kerberos"] = {"principal": "svc-airflow-newcomer@CORP.COMPANY.COM", "keytabSecretId": 4999}
    variant = _variant(tmp_path, "dev", {"tenants": [*document["tenants"], newcomer]})
    assert variant.values["alertmanager"] != renders["dev"].values["alertmanager"]  # a route more
    assert problems(load(path_for("dev")), variant) == []


def test_upstream_values_take_out_every_artifactory_rewrite(renders):
    render = renders["dev"]
    stripped = upstream_values(render.values, render.mirror_prefix)
    assert render.mirror_prefix not in yaml.safe_dump(stripped)
    assert stripped["global"]["privateRegistry"] == {"enabled": False}
    assert stripped["global"]["baseDomain"] == render.values["global"]["baseDomain"]


# A stand-in for `helm template` of the chart: the private registry decides where each image comes from,
# as in the real chart; Houston's config carries {repository, tag} pairs and an image inside a script.
def _fake_chart(values: Mapping[str, Any]) -> str:
    private = values["global"]["privateRegistry"]
    prefix = private["repository"] if private.get("enabled") else "quay.io/astronomer"
    redis = values["global"].get("airflow", {}).get("images", {}).get("redis", {}).get("repository",
                                                                                       "quay.io/astronomer/ap-redis")
    houston = {"deployments": {"helm": {"airflow": {"images": {"redis": {"repository": redis, "tag": "8.8.1-1"}}},
                                        "settings": f'image = "{prefix}/ap-init:2026.8.3"\nother = 1\n'}}}
    pods = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "astronomer-houston"},
            "spec": {"template": {"spec": {"initContainers": [{"name": "wait", "image": f"{prefix}/ap-db-bootstrapper:2.0.19"}],
                                           "containers": [{"name": "houston", "image": f"{prefix}/ap-houston-api:2.1.21"}]}}}}
    job = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "astronomer-cleanup"},
           "spec": {"jobTemplate": {"spec": {"template": {"spec": {
               "containers": [{"name": "c", "image": f"{prefix}/ap-houston-api:2.1.21"}]}}}}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "astronomer-houston-config"},
              "data": {"production.yaml": yaml.safe_dump(houston), "local-production.yaml": "{}\n"}}
    return yaml.safe_dump_all([pods, job, config])


def test_chart_images_reads_pods_cronjobs_houston_pairs_and_embedded_references():
    docs = chart_images.documents(_fake_chart({"global": {"privateRegistry": {"enabled": False}}}))
    assert chart_images.pod_images(docs) == {
        "quay.io/astronomer/ap-db-bootstrapper:2.0.19": {"Deployment/astronomer-houston"},
        "quay.io/astronomer/ap-houston-api:2.1.21": {"Deployment/astronomer-houston", "CronJob/astronomer-cleanup"}}
    houston = chart_images.houston_config(docs)
    assert chart_images.houston_images(houston) == {
        "quay.io/astronomer/ap-redis:8.8.1-1": {"houston:deployments.helm.airflow.images.redis"}}
    assert chart_images.embedded_images(houston) == {
        "quay.io/astronomer/ap-init:2026.8.3": {"houston:deployments.helm.settings"}}


def test_derive_pairs_each_destination_with_its_upstream(renders):
    render = renders["prod"]
    lock = derive(render, _fake_chart)
    prefix = render.mirror_prefix
    by_destination = lock.by_destination()
    assert by_destination[f"{prefix}/ap-houston-api:2.1.21"].source == "quay.io/astronomer/ap-houston-api:2.1.21"
    assert by_destination[f"{prefix}/ap-init:2026.8.3"].origins == ("houston:deployments.helm.settings",)
    assert by_destination[f"{prefix}/ap-redis:8.8.1-1"].source == "quay.io/astronomer/ap-redis:8.8.1-1"
    runtime = by_destination[f"{render.runtime_repository}:{render.config.images.runtime_version}"]
    assert runtime.source == f"quay.io/astronomer/astro-runtime:{render.config.images.runtime_version}"
    # prod builds its images: their bases in the mirror are locked, the program's own images are not.
    python_base = next(d for d in by_destination if d.startswith(f"{prefix}/python:"))
    assert by_destination[python_base].source.startswith("docker.io/library/python:")
    assert by_destination[python_base].origins == ("build:docker/kerberos-manager/Dockerfile",)
    assert not any("/platform/" in d or "/datakits/" in d for d in by_destination)
    assert lock.values_fingerprint == fingerprint(render.values)


def test_derive_refuses_an_image_outside_the_mirror(renders):
    def leaky_chart(values: Mapping[str, Any]) -> str:
        leak = {"kind": "Job", "metadata": {"name": "leak"},
                "spec": {"template": {"spec": {"containers": [{"name": "x", "image": "docker.io/library/busybox:1"}]}}}}
        return _fake_chart(values) + "---\n" + yaml.safe_dump(leak)

    with pytest.raises(LockError, match=r"docker.io/library/busybox:1 \(Job/leak\) is pulled from outside"):
        derive(renders["dev"], leaky_chart)


def test_dockerfile_bases_substitute_args_and_skip_stages():
    dockerfile = ("ARG REGISTRY_HOST\nARG PYTHON_VERSION=3.11\n"
                  "FROM ${REGISTRY_HOST}/astronomer/python:${PYTHON_VERSION}-slim AS build\n"
                  "RUN true\nFROM --platform=linux/amd64 build\nFROM $REGISTRY_HOST/astronomer/ap-base:1\n")
    assert dockerfile_bases(dockerfile, {"REGISTRY_HOST": "artifactory.company.com"}) == [
        "artifactory.company.com/astronomer/python:3.11-slim", "artifactory.company.com/astronomer/ap-base:1"]


def test_a_local_chart_of_another_version_is_refused(tmp_path):
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: astronomer\nversion: 2.0.3\n")
    with pytest.raises(HelmError, match=r"holds chart version 2.0.3, the stack pins 2.1.0"), \
            chart_directory(Path("helm"), "2.1.0", tmp_path, "https://unused.example.com", None):
        pass


def test_credentials_come_from_the_environment_and_are_never_shown(monkeypatch):
    monkeypatch.setenv("ARTIFACTORY_PASSWORD", "s3cret-value")
    monkeypatch.delenv("ARTIFACTORY_USERNAME", raising=False)
    login = artifactory_login("dev", "svc-astronomer-dev")
    assert (login.username, login.password) == ("svc-astronomer-dev", "s3cret-value")
    assert "s3cret-value" not in repr(login)
    monkeypatch.setenv("ARTIFACTORY_USERNAME", "mirror-bot")
    assert artifactory_login("dev", "svc-astronomer-dev").username == "mirror-bot"
    monkeypatch.delenv("ARTIFACTORY_PASSWORD")
    monkeypatch.setenv("PATH", "/nonexistent")  # no pulumi CLI to ask for the stack's secret
    with pytest.raises(CredentialsError, match="set ARTIFACTORY_PASSWORD"):
        artifactory_login("dev", "svc-astronomer-dev")


def test_saved_lock_is_readable_by_all_and_complete(tmp_path):
    lock = load(path_for("dev"))
    target = path_for("dev", tmp_path / "locks")
    save(lock, target)
    assert target.stat().st_mode & 0o777 == 0o644
    assert load(target) == lock
    assert [p.name for p in target.parent.iterdir()] == ["dev.json"], "no partial file left behind"
