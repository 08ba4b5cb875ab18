"""The Debian packages whose commands the tests and the end-to-end harness run, installed when missing.

``python -m devtools.system_packages`` names what it installs, then installs it with apt-get (the
machines and CI run as root; otherwise it names the packages and stops). ``.ci/run`` and ``make test``
call it before the tests, which fail, not skip, without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# Debian package of each command the harness and the ticket manager's tests (a throwaway realm:
# tests/test_kerberos_manager_kdc.py) run, installed by ensure_system_packages.
SYSTEM_PACKAGES = {"etcd": "etcd-server", "openssl": "openssl", "krb5kdc": "krb5-kdc", "kdb5_util": "krb5-kdc",
                   "kadmin.local": "krb5-admin-server", "kinit": "krb5-user", "klist": "krb5-user",
                   # the image vetting tests' two local registries (tests/test_vetting_*.py)
                   "docker-registry": "docker-registry", "htpasswd": "apache2-utils",
                   # the alert rules' and routing's proofs (tests/test_monitoring_*.py)
                   "promtool": "prometheus", "amtool": "prometheus-alertmanager",
                   # the end-to-end test's node (e2e/node.py) and its images (e2e/images.py)
                   "containerd": "containerd", "ctr": "containerd", "runc": "runc",
                   "/usr/lib/cni/ptp": "containernetworking-plugins", "iptables": "iptables", "nft": "nftables",
                   "ip": "iproute2", "mmdebstrap": "mmdebstrap", "gcc": "gcc",
                   "/usr/lib/x86_64-linux-gnu/libc.a": "libc6-dev", "umount": "mount"}


def _missing(command: str) -> bool:
    return not Path(command).exists() if command.startswith("/") else shutil.which(command) is None


def ensure() -> None:
    """Install the Debian packages of SYSTEM_PACKAGES whose command is missing (the machines run
    as root), saying which first; apt-get's own output only when it fails."""
    commands = sorted(command for command in SYSTEM_PACKAGES if _missing(command))
    missing = sorted({SYSTEM_PACKAGES[command] for command in commands})
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"missing commands {commands}: install the Debian packages {missing} (apt-get install)")
    print(f"installing the Debian packages {' '.join(missing)} (for the commands {' '.join(commands)})",
          file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["update"], ["install", "-y", "--no-install-recommends", *missing]):
        result = subprocess.run(["apt-get", "-qq", *args], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"apt-get {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


if __name__ == "__main__":
    ensure()
    sys.exit(0)
