"""The images the end-to-end node runs, built here without a container engine or a public registry.

- ``pause``: the pod sandbox, one static binary built from ``e2e/images/pause.c``;
- ``base``: a Debian root filesystem from Debian's packages (``mmdebstrap``: Python, MIT Kerberos' client
  tools, CA certificates);
- ``datakit``: the base whose entrypoint is ``klist``, so a datakit pod prints the ticket in the cache it
  mounts;
- ``airflow``: the base with Apache Airflow and the cncf.kubernetes provider at the versions the tenant's
  Runtime ships (the tenant kit's DagBag virtualenv, ``tenant_kit.dag_check``) and a metadata database
  migrated ahead (SQLite), so ``airflow tasks test`` runs at once.

They are written as one OCI image layout (shared layers, one ``org.opencontainers.image.ref.name`` per
image) under the project cache, keyed by everything they are made from: a second run builds nothing.
``push`` copies them into the registry that stands in for Artifactory; ``pause_archive`` is the sandbox
image as an archive for ``ctr images import`` (containerd never pulls it).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.cache import PROJECT_CACHE
from tenant_kit.dag_check import virtualenv
from tenant_kit.runtime_versions import AirflowPins

HERE = Path(__file__).resolve().parent / "images"
CACHE = PROJECT_CACHE / "e2e-images"
# Change when the recipe below changes: the cache key holds it.
RECIPE = "3"
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("python3", "krb5-user", "ca-certificates", "libstdc++6")
PYTHON = "3.11"  # bookworm's python3: the Airflow virtualenv is made for the same minor version
PAUSE = "e2e.invalid/pause:1"  # never pulled: imported into containerd before the node starts
LAYER = "application/vnd.oci.image.layer.v1.tar"
AIRFLOW_HOME = "/opt/airflow"
SITE_PACKAGES = f"{AIRFLOW_HOME}/site-packages"
DAGS = f"{AIRFLOW_HOME}/dags"
DATABASE = f"{AIRFLOW_HOME}/airflow.db"


@dataclass(frozen=True)
class Built:
    layout: Path
    """the OCI image layout holding every image, by ref name (pause, base, datakit, airflow)"""
    pause_archive: Path
    """the sandbox image alone, as an OCI archive"""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Layout:
    """An OCI image layout being written: blobs by digest, and an index of named manifests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.blobs.mkdir(parents=True)
        (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
        self.manifests: list[dict[str, Any]] = []

    def _store(self, data: bytes) -> dict[str, Any]:
        digest = hashlib.sha256(data).hexdigest()
        (self.blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    def layer(self, tar: Path) -> dict[str, Any]:
        """An uncompressed layer (no compression to spend time on: it never leaves this machine)."""
        digest = _sha256_file(tar)
        target = self.blobs / digest
        if not target.exists():
            shutil.copyfile(tar, target)
        return {"mediaType": LAYER, "digest": f"sha256:{digest}", "size": target.stat().st_size}

    def image(self, name: str, layers: list[dict[str, Any]], config: dict[str, Any]) -> None:
        image_config = {
            "architecture": "amd64", "os": "linux", "config": config,
            "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        }
        manifest = {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       **self._store(json.dumps(image_config, sort_keys=True).encode())},
            "layers": layers,
        }
        self.manifests.append({"mediaType": manifest["mediaType"], **self._store(json.dumps(manifest).encode()),
                               "annotations": {"org.opencontainers.image.ref.name": name}})

    def close(self) -> None:
        (self.root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": self.manifests}))


def _tar(path: Path, members: dict[str, tuple[bytes | Path | None, int]]) -> Path:
    """A layer tar of ``{name in the image: (content, a directory to copy, or None for a new directory;
    mode)}``, owned by root."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, (content, mode) in members.items():
            if content is None:
                info = tarfile.TarInfo(name)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, 0
                tar.addfile(info)
                continue
            if isinstance(content, Path):
                def owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
                    info.uid = info.gid = 0
                    info.uname = info.gname = "root"
                    return info
                tar.add(content, arcname=name, filter=owned)
                continue
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), mode, 0
            tar.addfile(info, io.BytesIO(content))
    return path


def _pause(workdir: Path) -> Path:
    binary = workdir / "pause"
    subprocess.run(["gcc", "-static", "-Os", "-o", str(binary), str(HERE / "pause.c")], check=True,
                   capture_output=True)
    return _tar(workdir / "pause.tar", {"pause": (binary.read_bytes(), 0o755)})


def _root_filesystem(workdir: Path) -> Path:
    target = workdir / "base.tar"
    result = subprocess.run(["mmdebstrap", "--variant=essential", f"--include={','.join(PACKAGES)}",
                             "--format=tar", "--quiet", SUITE, str(target), MIRROR], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"mmdebstrap failed: {result.stderr.strip()[-2000:]}")
    return target


def _airflow(workdir: Path, python: Path) -> Path:
    """The virtualenv's packages and a migrated SQLite metadata database."""
    home = workdir / "airflow-home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env |= {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"}
    result = subprocess.run([str(python), "-m", "airflow", "db", "migrate"], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed: {result.stderr.strip()[-2000:]}")
    site = next((python.parent.parent / "lib").glob("python3*/site-packages"))
    return _tar(workdir / "airflow.tar", {
        AIRFLOW_HOME.lstrip("/"): (None, 0o755), DAGS.lstrip("/"): (None, 0o755),
        SITE_PACKAGES.lstrip("/"): (site, 0), DATABASE.lstrip("/"): ((home / "airflow.db").read_bytes(), 0o644),
    })


def _key(pins: AirflowPins) -> str:
    inputs = {"recipe": RECIPE, "suite": SUITE, "packages": PACKAGES, "pins": pins.requirements(),
              "pause": hashlib.sha256((HERE / "pause.c").read_bytes()).hexdigest()}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def build(pins: AirflowPins) -> Built:
    """Every image, from the cache when its inputs are unchanged."""
    root = CACHE / _key(pins)
    built = Built(layout=root / "layout", pause_archive=root / "pause.tar")
    if (root / ".complete").exists():
        print(f"    images: cached in {root}", flush=True)
        return built
    # Earlier recipes' images: this module wrote them, and nothing uses them any more.
    for stale in CACHE.glob("*") if CACHE.is_dir() else []:
        shutil.rmtree(stale, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="e2e-images-") as tmp:
        workdir = Path(tmp)
        python = virtualenv(pins, sys.executable, PYTHON)
        layout = _Layout(built.layout)
        pause = layout.layer(_pause(workdir))
        layout.image(PAUSE, [pause], {"Entrypoint": ["/pause"]})
        base = layout.layer(_root_filesystem(workdir))
        print(f"    images: Debian root filesystem in {time.monotonic() - started:.0f} s", flush=True)
        layout.image("base", [base], {"Cmd": ["/bin/sh"]})
        layout.image("datakit", [base], {"Entrypoint": ["klist"]})
        airflow = layout.layer(_airflow(workdir, python))
        layout.image("airflow", [base, airflow], {
            "Entrypoint": ["python3", "-m", "airflow"],
            "Env": [f"PYTHONPATH={SITE_PACKAGES}", f"AIRFLOW_HOME={AIRFLOW_HOME}", f"AIRFLOW__CORE__DAGS_FOLDER={DAGS}",
                    f"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///{DATABASE}", "AIRFLOW__CORE__LOAD_EXAMPLES=False",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        })
        layout.close()
        _archive_pause(built, pause)
    (root / ".complete").write_text("")
    print(f"    images: built in {time.monotonic() - started:.0f} s into {root}", flush=True)
    return built


def _archive_pause(built: Built, layer: dict[str, Any]) -> None:
    """The sandbox image alone as an OCI archive: its manifest, config and layer out of the layout."""
    index = json.loads((built.layout / "index.json").read_text())
    manifest = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == PAUSE)
    blobs = built.layout / "blobs" / "sha256"
    config = json.loads((blobs / manifest["digest"].split(":")[1]).read_text())["config"]
    with tarfile.open(built.pause_archive, "w") as tar:
        tar.add(built.layout / "oci-layout", arcname="oci-layout")
        for digest in (manifest["digest"], config["digest"], layer["digest"]):
            tar.add(blobs / digest.split(":")[1], arcname=f"blobs/sha256/{digest.split(':')[1]}")
        data = json.dumps({"schemaVersion": 2, "manifests": [manifest]}).encode()
        info = tarfile.TarInfo("index.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
