"""Run trivy on one image, its vulnerability database pulled from a mirror (``--db-repository``), and keep
its JSON report. Registry logins reach trivy in a private Docker config that is deleted afterwards, one
entry per host, so a password is only ever sent to its own registry."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from vetting.registry import RegistryAccess

SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class ScanSettings:
    trivy: Path
    db_repository: str
    """the trivy vulnerability database mirrored into Artifactory, e.g. <host>/<repo>/aquasecurity/trivy-db:2"""
    cache_dir: Path
    """trivy's cache; the database is pulled into it once and refreshed when trivy says it is due"""
    reports_dir: Path
    """one JSON report per image: the build artifact"""
    platform: str = "linux/amd64"
    """the cluster nodes' platform: the one scanned in a multi-architecture image"""


class ScanError(RuntimeError):
    pass


def report_path(settings: ScanSettings, source: str) -> Path:
    return settings.reports_dir / (re.sub(r"[^A-Za-z0-9._-]+", "_", source.split("@")[0]) + ".json")


def scan(settings: ScanSettings, image: str, registries: Sequence[RegistryAccess]) -> dict[str, Any]:
    """The trivy report of ``image`` (a reference by digest), also written to the reports directory."""
    report = report_path(settings, image)
    report.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vetting-trivy-") as tmp:
        auths = {a.host: {"auth": base64.b64encode(f"{a.login.username}:{a.login.password}".encode()).decode()}
                 for a in registries if a.login is not None}
        (Path(tmp) / "config.json").write_text(json.dumps({"auths": auths}))
        env = {**os.environ, "DOCKER_CONFIG": tmp}
        for name in ("TRIVY_USERNAME", "TRIVY_PASSWORD", "TRIVY_REGISTRY_TOKEN"):
            env.pop(name, None)
        cas = [a.ca_file for a in registries if a.ca_file is not None]
        if cas:
            bundle = Path(tmp) / "ca.pem"
            system = SYSTEM_CA_BUNDLE.read_text() if SYSTEM_CA_BUNDLE.is_file() else ""
            bundle.write_text(system + "".join(path.read_text() for path in cas))
            env["SSL_CERT_FILE"] = str(bundle)
        args = [str(settings.trivy), "image", "--quiet", "--format", "json", "--output", str(report),
                "--cache-dir", str(settings.cache_dir), "--db-repository", settings.db_repository,
                "--skip-java-db-update", "--scanners", "vuln", "--image-src", "remote",
                "--platform", settings.platform]
        if any(a.plain_http for a in registries):
            args.append("--insecure")
        result = subprocess.run([*args, image], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if "FATAL" in line or "ERROR" in line]
        raise ScanError(f"trivy could not scan {image}: {(lines or result.stderr.splitlines() or ['no output'])[-1]}")
    return cast(dict[str, Any], json.loads(report.read_text()))
