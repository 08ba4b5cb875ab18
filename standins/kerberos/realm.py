"""A throwaway MIT Kerberos realm (on 127.0.0.1 unless told another address): its own database, KDC
process and keytabs.

Everything lives under one temporary directory; nothing touches /etc or the machine's realm.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

REALM = "MANAGER.TEST"
# Debian's packages for the commands used here and by the manager.
APT_PACKAGES = "krb5-kdc krb5-admin-server krb5-user"
COMMANDS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit", "klist")


def require_commands() -> None:
    """Fail (never skip) when MIT Kerberos is missing, naming what to install."""
    missing = [command for command in COMMANDS if not _which(command)]
    if missing:
        raise RuntimeError(f"missing {', '.join(missing)}: apt-get install {APT_PACKAGES}")


def _which(command: str) -> str | None:
    # kadmin.local and krb5kdc live in /usr/sbin, not on every user's PATH.
    return shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Realm:
    """A realm with a database in ``directory``; ``start()`` runs its KDC on a free port. ``name`` lets a
    test give the realm the one its principals already name (the e2e stack's)."""

    def __init__(self, directory: Path, max_life_seconds: int = 86400, name: str = REALM,
                 address: str = "127.0.0.1", port: int | None = None, prefix: Sequence[str] = ()) -> None:
        """``prefix`` runs the KDC under another command (``ip netns exec <namespace>``), whose network
        holds ``address``."""
        require_commands()
        self.name = name
        self.directory = directory
        self.address = address
        self.port = port or free_port()
        self.prefix = list(prefix)
        self.krb5_conf = directory / "krb5.conf"
        self.kdc_conf = directory / "kdc.conf"
        self._kdc: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self.kdc_conf.write_text(
            f"[kdcdefaults]\n kdc_ports = {self.port}\n kdc_tcp_ports = {self.port}\n"
            f"[realms]\n {self.name} = {{\n"
            f"  database_name = {directory}/principal\n"
            f"  key_stash_file = {directory}/stash\n"
            f"  acl_file = {directory}/kadm5.acl\n"
            f"  max_life = {max_life_seconds}s\n"
            "  max_renewable_life = 0\n"
            "  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n"
            " }\n"
            f"[logging]\n kdc = FILE:{directory}/kdc.log\n"
        )
        # TCP only and one try: a stopped KDC is then reported at once, not after UDP retries.
        self.krb5_conf.write_text(
            f"[libdefaults]\n default_realm = {self.name}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"
            " noaddresses = true\n udp_preference_limit = 1\n max_retries = 1\n"
            f"[realms]\n {self.name} = {{\n  kdc = {address}:{self.port}\n }}\n"
        )
        (directory / "kadm5.acl").write_text("")
        self._run(["kdb5_util", "-r", self.name, "create", "-s", "-P", secrets.token_urlsafe(24)])

    @property
    def env(self) -> dict[str, str]:
        """The environment the realm's tools (and kinit/klist against it) run with."""
        return {**os.environ, "KRB5_CONFIG": str(self.krb5_conf), "KRB5_KDC_PROFILE": str(self.kdc_conf)}

    def _run(self, args: list[str], stdin: str | None = None) -> str:
        result = subprocess.run([_which(args[0]) or args[0], *args[1:]], input=stdin, env=self.env,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip()}")
        return result.stdout

    def kadmin(self, queries: Iterable[str]) -> None:
        """Run kadmin.local queries in one process (one process per query is slow for 100 tenants)."""
        self._run(["kadmin.local", "-r", self.name], stdin="".join(f"{query}\n" for query in queries))

    def add_principals(self, names: Iterable[str], keytab_dir: Path) -> dict[str, Path]:
        """Random-key principals and one keytab each; returns {principal: keytab path}."""
        keytab_dir.mkdir(parents=True, exist_ok=True)
        keytabs = {f"{name}@{self.name}": keytab_dir / f"{name.replace('/', '_')}.keytab" for name in names}
        queries: list[str] = []
        for principal, keytab in keytabs.items():
            queries += [f"addprinc -randkey {principal}", f"ktadd -k {keytab} -norandkey {principal}"]
        self.kadmin(queries)
        return keytabs

    def rekey(self, principal: str) -> None:
        """New random keys: keytabs made before no longer match."""
        self.kadmin([f"cpw -randkey {principal}"])

    def start(self) -> None:
        log = (self.directory / "krb5kdc.out").open("ab")
        self._kdc = subprocess.Popen([*self.prefix, _which("krb5kdc") or "krb5kdc", "-n", "-r", self.name],
                                     env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._kdc.poll() is not None:
                raise RuntimeError(f"krb5kdc exited: {(self.directory / 'krb5kdc.out').read_text()}")
            try:
                socket.create_connection((self.address, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("krb5kdc did not listen within 20 s")

    def stop(self) -> None:
        if self._kdc is not None:
            self._kdc.terminate()
            self._kdc.wait(timeout=10)
            self._kdc = None
