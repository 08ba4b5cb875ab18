"""A container registry on 127.0.0.1: Debian's ``docker-registry`` (the CNCF Distribution registry), plain,
or with TLS and htpasswd logins where it stands in for Artifactory. It speaks the same registry API
Artifactory's Docker repositories do; nothing about Artifactory itself (permissions, repository layout,
remote repositories) is reproduced.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunningRegistry:
    host: str
    """``127.0.0.1:<port>``, as an image reference names it"""
    url: str
    ca_file: Path | None = None
    """the self-signed certificate the TLS registry serves (its own CA)"""
    logins: Mapping[str, str] = field(default_factory=dict[str, str], repr=False)
    """user -> password the registry accepts"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def registry(directory: Path, logins: Mapping[str, str] | None = None,
             storage: Path | None = None) -> Generator[RunningRegistry]:
    """A registry until the block ends: plain HTTP without ``logins``; TLS and htpasswd with them.
    ``storage`` keeps the blobs elsewhere than ``directory`` (a cache that outlives the run)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    http: dict[str, Any] = {"addr": f"127.0.0.1:{port}"}
    config: dict[str, Any] = {"version": 0.1, "log": {"level": "error"}, "http": http,
                              "storage": {"filesystem": {"rootdirectory": str(storage or directory / "data")}}}
    ca_file = None
    if logins:
        ca_file, key = directory / "ca.pem", directory / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(ca_file)], check=True, capture_output=True)
        lines = [subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True,
                                text=True).stdout.strip() for user, password in logins.items()]
        (directory / "htpasswd").write_text("\n".join(lines) + "\n")
        http["tls"] = {"certificate": str(ca_file), "key": str(key)}
        config["auth"] = {"htpasswd": {"realm": "artifactory", "path": str(directory / "htpasswd")}}
    (directory / "config.yml").write_text(json.dumps(config))  # YAML is a superset of JSON
    process = subprocess.Popen(["docker-registry", "serve", str(directory / "config.yml")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"docker-registry did not listen on 127.0.0.1:{port}")
            time.sleep(0.05)
        scheme = "https" if logins else "http"
        yield RunningRegistry(f"127.0.0.1:{port}", f"{scheme}://127.0.0.1:{port}", ca_file, dict(logins or {}))
    finally:
        process.terminate()
        process.wait(timeout=10)
