"""A tenant's ``dags`` section: how the team's DAGs reach its Airflow deployment.

The repository credential (an SSH private key or an HTTPS token) is not here: it is the tenant's entry in
the secret ``dagRepositoryCredentials`` (config.secrets).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated

from pydantic import Field

from config.base import Issue, Model, PositiveInt, rule
from config.rules import Bound, NonEmptyStr, Rule
from domain.dag_deploys import DagMechanism, GitAuth, git_auths_offered

# What git accepts as a remote that a platform may clone from: https://host/path or an SSH remote
# (ssh://[user@]host[:port]/path or the scp-like user@host:path). http://, git:// and file:// are refused.
_HTTPS_REMOTE = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[^\s]+")
_SSH_REMOTE = re.compile(r"(ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/[^\s]+"
                         r"|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*)")


def _is_remote(value: str) -> bool:
    return bool(_HTTPS_REMOTE.fullmatch(value) or _SSH_REMOTE.fullmatch(value))


GitRemote = Annotated[str, Field(strict=True), Rule(
    "is not a git remote the platform can clone: https://host/path, ssh://[user@]host/path or user@host:path",
    test=_is_remote,
)]
# A known_hosts line: hosts, key type and base64 key (ssh-keyscan prints them so).
KnownHostsLine = Annotated[str, Field(strict=True), Rule(
    "is not a known_hosts line ('<host> <key type> <base64 key>', as ssh-keyscan prints it)",
    pattern=r"[^\s#][^\s]* (ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}",
)]
SyncSeconds = Annotated[PositiveInt, Bound(3600, "a DAG change would wait over an hour to reach the deployment")]


class GitSync(Model):
    """The repository the deployment's git-sync pulls DAGs from."""

    repository_url: GitRemote
    """the repository: https://host/path with auth httpsToken or none, an SSH remote with auth ssh"""
    branch: NonEmptyStr = "main"
    """the branch git-sync follows"""
    rev: NonEmptyStr | None = None
    """a tag or commit to hold the deployment at instead of the branch's head (e.g. a release tag in prod)"""
    directory: NonEmptyStr = "dags"
    """the DAG directory inside the repository"""
    sync_interval_seconds: SyncSeconds = 60
    """seconds between pulls (at most an hour)"""
    auth: GitAuth
    """ssh (a deploy key), httpsToken (a personal or project access token; chart 2.1 and later) or none (a
    repository the platform may read without credentials)"""
    known_hosts: KnownHostsLine | None = None
    """with ssh: the repository host's known_hosts line, so git-sync verifies the host it pulls from"""
    https_username: NonEmptyStr | None = None
    """with httpsToken: the user name the token belongs to, where the git server wants one"""

    @property
    def has_credential(self) -> bool:
        return self.auth != "none"

    @rule
    def _auth_fits_the_url(self) -> Iterator[Issue]:
        https = self.repository_url.startswith("https://")
        if self.auth == "ssh" and https:
            yield Issue("auth", "is ssh, but repositoryUrl is an https:// URL; give the SSH remote (git@host:path)")
        if self.auth != "ssh" and not https:
            yield Issue("auth", f"is {self.auth}, but repositoryUrl is an SSH remote; use auth: ssh, or the "
                        "https:// URL")

    @rule
    def _ssh_verifies_the_host(self) -> Iterator[Issue]:
        if self.auth == "ssh" and self.known_hosts is None:
            yield Issue("knownHosts", "is required with auth ssh: without the host's key git-sync cannot verify "
                        "the server it pulls DAGs from (ssh-keyscan <host> prints the line)")
        if self.auth != "ssh" and self.known_hosts is not None:
            yield Issue("knownHosts", "is only for auth ssh; remove it")

    @rule
    def _username_with_a_token(self) -> Iterator[Issue]:
        if self.https_username is not None and self.auth != "httpsToken":
            yield Issue("httpsUsername", "is only for auth httpsToken; remove it")


class TenantDags(Model):
    """How the team's DAGs reach its deployment."""

    deploy: DagMechanism = "image"
    """image (DAGs inside the tenant's image), dagOnly (astro deploy --dags uploads them) or gitSync (the
    deployment pulls them from a repository)"""
    git_sync: GitSync | None = None
    """the repository, with deploy: gitSync"""

    @rule
    def _git_sync_with_its_repository(self) -> Iterator[Issue]:
        if self.deploy == "gitSync" and self.git_sync is None:
            yield Issue("gitSync", "is required with deploy: gitSync: name the repository")
        if self.deploy != "gitSync" and self.git_sync is not None:
            yield Issue("gitSync", f"is only for deploy: gitSync (deploy is {self.deploy}); remove it")


def line_issues(dags: TenantDags, chart_version: str) -> Iterator[Issue]:
    """What chart ``chart_version`` cannot do of a tenant's ``dags``; keys under the tenant's ``dags``."""
    git = dags.git_sync
    if git is None or git.auth in git_auths_offered(chart_version):
        return
    if git.auth == "httpsToken":
        yield Issue("dags.gitSync.auth", f"httpsToken is not offered by chart {chart_version}: Houston takes an "
                    "HTTPS token for git-sync from 2.1 on; use an SSH deploy key (auth: ssh)")
    else:
        yield Issue("dags.gitSync.auth", f"ssh is not managed by this program on chart {chart_version}: from 2.1 "
                    "Houston names git-sync's credential by authType, and the public sources name only "
                    "HTTPS_NONE and HTTPS_PAT; use auth httpsToken or none")
