"""Image vetting against real registries: two Debian `docker-registry` processes on 127.0.0.1, one plain
(the upstream), one with TLS and a password (Artifactory); test images and a two-architecture index pushed
into the upstream over the registry HTTP API; regctl copies; trivy scans with a small database the test
builds (tests/data/vetting/trivy-db) and serves from the Artifactory stand-in with --db-repository."""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from standins.registry import registry
from vetting import tools
from vetting.cli import REPORTS
from vetting.exceptions import GatePolicy, load_policy
from vetting.gate import Verdict, decide, findings
from vetting.lockfile import Entry, Lock, load, path_for, save
from vetting.mirror import Gate, mirror
from vetting.progress import Progress
from vetting.reference import parse
from vetting.registry import Login, RegistryAccess, RegistryError, session
from vetting.scanner import ScanSettings, scan

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "vetting"
USER, PASSWORD = "mirror-bot", "correct horse battery"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
# What the test image's package database holds: trivy matches these against the test database.
DPKG_STATUS = "".join(
    f"Package: {name}\nStatus: install ok installed\nVersion: {version}\nArchitecture: all\n\n"
    for name, version in (("demo-lib", "1.0-1"), ("demo-tool", "2.0-1")))
# The gate's "today" in these tests, before the expiry dates in tests/data/vetting/.
TODAY = datetime.date(2026, 11, 1)
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'


@dataclasses.dataclass(frozen=True)
class Registry:
    host: str
    url: str
    auth: tuple[str, str] | None = None
    ca: Path | None = None

    @property
    def verify(self) -> str | bool:
        return str(self.ca) if self.ca else True

    def push_blob(self, name: str, data: bytes) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        start = requests.post(f"{self.url}/v2/{name}/blobs/uploads/", auth=self.auth, verify=self.verify, timeout=10)
        start.raise_for_status()
        location = start.headers["Location"]
        location = location if location.startswith("http") else self.url + location
        separator = "&" if "?" in location else "?"
        requests.put(f"{location}{separator}digest={digest}", data=data, auth=self.auth, verify=self.verify,
                     headers={"Content-Type": "application/octet-stream"}, timeout=30).raise_for_status()
        return {"digest": digest, "size": len(data)}

    def push_manifest(self, name: str, reference: str, manifest: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(manifest).encode()
        requests.put(f"{self.url}/v2/{name}/manifests/{reference}", data=body, auth=self.auth, verify=self.verify,
                     headers={"Content-Type": manifest["mediaType"]}, timeout=10).raise_for_status()
        return {"mediaType": manifest["mediaType"], "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                "size": len(body)}


@pytest.fixture(scope="module")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Registry]]:
    base = tmp_path_factory.mktemp("registries")
    with registry(base / "upstream") as upstream, registry(base / "artifactory", {USER: PASSWORD}) as artifactory:
        yield (Registry(upstream.host, upstream.url),
               Registry(artifactory.host, artifactory.url, (USER, PASSWORD), artifactory.ca_file))


def _layer(files: dict[str, str]) -> tuple[bytes, str]:
    """A gzipped tar layer and its diff id (digest of the uncompressed tar)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    uncompressed = raw.getvalue()
    return gzip.compress(uncompressed, mtime=0), "sha256:" + hashlib.sha256(uncompressed).hexdigest()


def push_image(registry: Registry, name: str, tag: str, arch: str = "amd64", note: str = "") -> dict[str, Any]:
    """A one-layer Debian-looking image (os-release and a dpkg status naming the test packages)."""
    layer, diff_id = _layer({"etc/os-release": OS_RELEASE, "etc/debian_version": "12.5\n",
                             "var/lib/dpkg/status": DPKG_STATUS,
                             "etc/test-image": f"{name}:{tag} {arch} {note}\n"})
    config = json.dumps({"architecture": arch, "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **registry.push_blob(name, config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            **registry.push_blob(name, layer)}]}
    return registry.push_manifest(name, tag, manifest)


def push_index(registry: Registry, name: str, tag: str) -> dict[str, Any]:
    """A two-architecture OCI index, plus a cosign-style signature tag (`sha256-<digest>.sig`) beside it."""
    children = [{**push_image(registry, name, f"{tag}-{arch}", arch), "platform": {"architecture": arch, "os": "linux"}}
                for arch in ("amd64", "arm64")]
    index = registry.push_manifest(name, tag, {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children})
    push_image(registry, name, index["digest"].replace(":", "-") + ".sig", note="signature stand-in")
    return index


@pytest.fixture(scope="module")
def trivy_db(registries: tuple[Registry, Registry], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database, built and pushed into the Artifactory stand-in as trivy's DB artifact."""
    directory = tmp_path_factory.mktemp("trivy-db")
    subprocess.run(["go", "run", ".", str(directory)], cwd=DATA / "trivy-db", check=True, capture_output=True)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name in ("trivy.db", "metadata.json"):
            tar.add(directory / name, arcname=name)
    artifactory = registries[1]
    repository = "aquasecurity/trivy-db"
    config = artifactory.push_blob(repository, b"{}")
    layer = artifactory.push_blob(repository, archive.getvalue())
    artifactory.push_manifest(repository, "2", {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.aquasec.trivy.config.v1+json",
        "config": {"mediaType": "application/vnd.aquasec.trivy.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip", **layer,
                    "annotations": {"org.opencontainers.image.title": "db.tar.gz"}}]})
    return f"{artifactory.host}/{repository}:2"


def _access(upstream: Registry, artifactory: Registry, password: str = PASSWORD) -> list[RegistryAccess]:
    return [RegistryAccess(upstream.host, plain_http=True),
            RegistryAccess(artifactory.host, Login(USER, password), artifactory.ca)]


def _scan_settings(tmp_path: Path, db: str) -> ScanSettings:
    return ScanSettings(tools.trivy(), db, tmp_path / "trivy-cache", tmp_path / "reports")


def _gate(settings: ScanSettings, access: list[RegistryAccess], policy: GatePolicy) -> Gate:
    def gate(entry: Entry, pinned: str) -> Verdict:
        return decide(entry.source, scan(settings, pinned, access), policy, TODAY)
    return gate


def test_trivy_report_on_the_test_image_is_the_committed_fixture(registries, trivy_db, tmp_path):
    upstream, artifactory = registries
    pushed = push_image(upstream, "astronomer/ap-scanned", "1.0")
    report = scan(_scan_settings(tmp_path, trivy_db), f"{upstream.host}/astronomer/ap-scanned@{pushed['digest']}",
                  _access(upstream, artifactory))
    assert [(f.cve, f.severity, f.package) for f in findings(report)] == [
        ("CVE-2099-0001", "HIGH", "demo-lib"), ("CVE-2099-0002", "LOW", "demo-tool")]
    fixture = json.loads((DATA / "trivy-report-demo.json").read_text())
    assert findings(report) == findings(fixture)
    assert list((tmp_path / "reports").glob("*ap-scanned*.json")), "the report is kept as an artifact"


def _lock_for(entries: list[Entry]) -> Lock:
    return Lock(stack="test", chart_version="2.1.0", runtime_versions=("11.10.0",), values_fingerprint="sha256:x",
                entries=tuple(entries))


def test_mirror_copies_keeps_digests_and_index_then_copies_nothing(registries, trivy_db, tmp_path):
    upstream, artifactory = registries
    single = push_image(upstream, "astronomer/ap-commander", "2.1.19")
    index = push_index(upstream, "astronomer/ap-base", "2026.8.3")
    lock = _lock_for([
        Entry(f"{artifactory.host}/mirror/ap-commander:2.1.19", f"{upstream.host}/astronomer/ap-commander:2.1.19",
              ("Deployment/astronomer-commander",)),
        Entry(f"{artifactory.host}/mirror/ap-base:2026.8.3", f"{upstream.host}/astronomer/ap-base:2026.8.3",
              ("StatefulSet/astronomer-elasticsearch-data",))])
    access = _access(upstream, artifactory)
    policy = GatePolicy("CRITICAL")  # the test image has a HIGH finding: this run is about copying
    lines: list[str] = []
    gate = _gate(_scan_settings(tmp_path, trivy_db), access, policy)
    with session(tools.ensure("regctl"), access) as regctl:
        first = Progress(2, out=lines.append)
        updated = mirror(lock, regctl, gate, first)
        assert first.summary() == 0
        assert [o.status for o in first.outcomes] == ["copied", "copied"]
        digests = {e.destination.rsplit("/", 1)[-1]: e.digest for e in updated.entries}
        assert digests == {"ap-commander:2.1.19": single["digest"], "ap-base:2026.8.3": index["digest"]}
        copied_index = regctl.manifest(f"{artifactory.host}/mirror/ap-base:2026.8.3")
        assert [m["platform"]["architecture"] for m in copied_index["manifests"]] == ["amd64", "arm64"]
        for child in copied_index["manifests"]:
            assert regctl.digest(f"{artifactory.host}/mirror/ap-base@{child['digest']}") == child["digest"]
        signature = index["digest"].replace(":", "-") + ".sig"
        assert regctl.digest(f"{artifactory.host}/mirror/ap-base:{signature}") is not None
        assert any("left after this" in line and "bytes" in line for line in lines)

        again = Progress(2, out=lines.append)
        started = time.monotonic()
        assert mirror(updated, regctl, gate, again) == updated
        print(f"mirror run with nothing to copy: {time.monotonic() - started:.2f} s for 2 images")
        assert [o.status for o in again.outcomes] == ["present", "present"]


def test_missing_upstream_image_fails_by_name_and_leaves_the_lock(registries, trivy_db, tmp_path, capsys):
    upstream, artifactory = registries
    push_image(upstream, "astronomer/ap-redis", "8.8.1-1")
    lock = _lock_for([
        Entry(f"{artifactory.host}/mirror/ap-redis:8.8.1-1", f"{upstream.host}/astronomer/ap-redis:8.8.1-1", ("x",)),
        Entry(f"{artifactory.host}/mirror/ap-gone:1.0", f"{upstream.host}/astronomer/ap-gone:1.0", ("y",))])
    path = tmp_path / "locks" / "test.json"
    save(lock, path)
    before = path.read_text()
    access = _access(upstream, artifactory)
    with session(tools.ensure("regctl"), access) as regctl:
        progress = Progress(2, out=lambda _line: None)
        mirror(load(path), regctl, _gate(_scan_settings(tmp_path, trivy_db), access, GatePolicy("CRITICAL")), progress)
    assert progress.summary() == 1
    failed = {o.image: o.why for o in progress.failed()}
    assert list(failed) == [f"{artifactory.host}/mirror/ap-gone:1.0"]
    assert "not found upstream" in failed[f"{artifactory.host}/mirror/ap-gone:1.0"]
    assert f"FAILED {artifactory.host}/mirror/ap-gone:1.0" in capsys.readouterr().err
    assert path.read_text() == before


def test_wrong_password_is_a_clear_error(registries, tmp_path):
    upstream, artifactory = registries
    with (pytest.raises(RegistryError, match=f"cannot log in to {artifactory.host} as {USER}: .*refused the credentials"),
          session(tools.ensure("regctl"), _access(upstream, artifactory, password="wrong"))):
        pass


def test_gate_fails_a_high_finding_before_any_copy(registries, trivy_db, tmp_path):
    upstream, artifactory = registries
    push_image(upstream, "astronomer/ap-houston-api", "2.1.21")
    entry = Entry(f"{artifactory.host}/mirror/ap-houston-api:2.1.21",
                  f"{upstream.host}/astronomer/ap-houston-api:2.1.21", ("Deployment/astronomer-houston",))
    access = _access(upstream, artifactory)
    settings = _scan_settings(tmp_path, trivy_db)
    with session(tools.ensure("regctl"), access) as regctl:
        progress = Progress(1, out=lambda _line: None)
        mirror(_lock_for([entry]), regctl, _gate(settings, access, load_policy(DATA / "gate-high.yaml")), progress)
        assert regctl.digest(entry.destination) is None
    [failure] = progress.failed()
    assert "scan gate: CVE-2099-0001 HIGH in demo-lib 1.0-1, fixed in 1.0-2" in failure.why
    assert list((tmp_path / "reports").glob("*ap-houston-api*.json"))


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vetting", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


def test_cli_mirror_reports_progress_fails_by_name_and_records_digests(registries, trivy_db, tmp_path):
    """`python -m vetting mirror` as `make mirror` runs it, on a lock of the real dev lock's first images,
    moved onto the two test registries, plus one image the upstream does not have."""
    upstream, artifactory = registries
    real = sorted(load(path_for("dev")).entries, key=lambda e: e.destination)[:3]
    entries = []
    for entry in real:
        name, tag = parse(entry.source).repository, parse(entry.source).tag or "latest"
        push_image(upstream, name, tag)
        entries.append(Entry(f"{artifactory.host}/cli/{parse(entry.destination).basename}:{tag}",
                             f"{upstream.host}/{name}:{tag}", entry.origins))
    missing = Entry(f"{artifactory.host}/cli/ap-missing:1.0", f"{upstream.host}/astronomer/ap-missing:1.0", ("x",))
    locks = tmp_path / "locks"
    save(_lock_for([*entries, missing]), path_for("dev", locks))
    before = path_for("dev", locks).read_text()
    gate_file = tmp_path / "gate.yaml"
    gate_file.write_text("severityThreshold: CRITICAL\nexceptions: []\n")
    args = ["--lock-dir", str(locks), "mirror", "--stack", "dev", "--db-repository", trivy_db,
            "--reports", str(tmp_path / "reports"), "--exceptions", str(gate_file)]
    env = {"ARTIFACTORY_USERNAME": USER, "ARTIFACTORY_PASSWORD": PASSWORD, "VETTING_CA_FILE": str(artifactory.ca),
           "VETTING_PLAIN_HTTP_HOSTS": upstream.host}

    wrong = _cli(args, {**env, "ARTIFACTORY_PASSWORD": "wrong"})
    assert wrong.returncode == 1
    assert f"error: cannot log in to {artifactory.host} as {USER}: the registry refused the credentials" in wrong.stderr
    assert "wrong" not in wrong.stdout + wrong.stderr
    assert path_for("dev", locks).read_text() == before

    first = _cli(args, env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert f"FAILED {missing.destination}: source {missing.source} not found upstream" in first.stderr
    assert "[1/4, 3 left after this]" in first.stdout and "summary: 4 images: 3 copied, 1 failed" in first.stdout
    assert PASSWORD not in first.stdout + first.stderr
    assert path_for("dev", locks).read_text() == before, "a failed run leaves the lock unchanged"

    save(_lock_for(entries), path_for("dev", locks))
    second = _cli(args, env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "summary: 3 images: 3 present" in second.stdout
    recorded = load(path_for("dev", locks))
    with session(tools.ensure("regctl"), _access(upstream, artifactory)) as regctl:
        assert all(e.digest == regctl.digest(e.source) == regctl.digest(e.destination) for e in recorded.entries)
    print(second.stdout.splitlines()[-1])

    # `make vet` rescans every source whatever Artifactory holds: under the HIGH gate each one fails by name.
    vetted = _cli([*args[:2], "vet", *args[3:-1], str(DATA / "gate-high.yaml")], env)
    assert vetted.returncode == 1
    for entry in entries:
        assert f"FAILED {entry.source}: CVE-2099-0001 HIGH in demo-lib 1.0-1, fixed in 1.0-2" in vetted.stderr
    reports = tmp_path / "reports" / "dev"
    listed = json.loads((reports / REPORTS.manifest).read_text())["files"]  # vetting's own: a later run may replace
    assert sorted(listed) == sorted(p.name for p in reports.glob("*.json") if p.name != REPORTS.manifest)
    assert len(listed) == len(entries)
