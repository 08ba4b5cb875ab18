"""``python -m vetting``: lock, check, vet, mirror (docs/image-vetting.md)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from devtools.cache import PROJECT_CACHE
from devtools.owned import Owner, OwnershipError, claim, digest, save_manifest
from stackfile.read import validate_file
from vetting import tools
from vetting.check import problems
from vetting.credentials import CredentialsError, artifactory_access, artifactory_login, upstream_access
from vetting.derive import LockError, derive
from vetting.exceptions import EXCEPTIONS_FILE, GatePolicy, PolicyError, load_policy
from vetting.gate import Verdict, decide
from vetting.helm import HelmError, chart_directory, templater
from vetting.lockfile import LOCK_DIR, Entry, Lock, load, path_for, save
from vetting.mirror import Gate, mirror, today, vet
from vetting.progress import Progress
from vetting.reference import parse
from vetting.registry import RegistryAccess, RegistryError, session
from vetting.render_view import ROOT, render_stack
from vetting.scanner import ScanSettings, report_path, scan

STACKS = ("dev", "prod")
REPORTS_DIR = ROOT / "build" / "vetting-reports"
# The manifest that shows a stack's reports folder holds vetting's reports only (devtools.owned).
REPORTS = Owner(".vetting-reports-manifest.json", "image vetting")
TRIVY_CACHE = PROJECT_CACHE / "trivy"


def _keep_digests(new: Lock, old: Lock | None) -> Lock:
    """Digests of entries whose source did not change survive a relock."""
    if old is None:
        return new
    known = {e.destination: e for e in old.entries}
    return replace(new, entries=tuple(
        replace(e, digest=known[e.destination].digest)
        if e.destination in known and known[e.destination].source == e.source else e for e in new.entries))


def cmd_lock(args: argparse.Namespace) -> int:
    helm = tools.ensure("helm")
    for stack in args.stack:
        render = render_stack(stack)
        platform = render.config.platform
        local = args.chart or (Path(platform.chart_path) if platform.chart_path else None)
        login = None if local else artifactory_login(stack, render.config.artifactory.username)
        with chart_directory(helm, platform.chart_version, local, render.config.artifactory.helm_repo_url,
                             login) as chart:
            lock = derive(render, templater(helm, chart, platform.release_name, platform.namespace))
        path = path_for(stack, args.lock_dir)
        lock = _keep_digests(lock, load(path) if path.is_file() else None)
        save(lock, path)
        print(f"{path}: {len(lock.entries)} images for chart {lock.chart_version}, "
              f"Runtime {', '.join(lock.runtime_versions)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    failed = 0
    for stack in args.stack:
        path = path_for(stack, args.lock_dir)
        found = problems(load(path), render_stack(stack)) if path.is_file() else [f"no lock {path}"]
        for line in found:
            print(f"{stack}: {line}", file=sys.stderr)
        failed += bool(found)
        if not found:
            print(f"{path}: current")
    return 1 if failed else 0


def _gate(settings: ScanSettings, registries: list[RegistryAccess], policy: GatePolicy,
          written: dict[str, str]) -> Gate:
    """The scan gate; ``written`` records each report it writes (relative path -> sha256)."""
    def gate(entry: Entry, pinned: str) -> Verdict:
        report = report_path(settings, pinned)
        try:
            return decide(entry.source, scan(settings, pinned, registries), policy, today())
        finally:
            if report.is_file():
                written[str(report.relative_to(settings.reports_dir))] = digest(report.read_bytes())
    return gate


def _run(args: argparse.Namespace, action: str) -> int:
    policy = load_policy(args.exceptions)
    status = 0
    for stack in args.stack:
        path = path_for(stack, args.lock_dir)
        lock = load(path)
        host = parse(lock.entries[0].destination).registry
        artifactory = artifactory_access(host, artifactory_login(stack, validate_file(
            ROOT / f"Pulumi.{stack}.yaml").artifactory.username))
        registries = [*upstream_access({parse(e.source).registry for e in lock.entries} - {host}), artifactory]
        settings = ScanSettings(tools.trivy(), args.db_repository or f"{host}/aquasecurity/trivy-db:2",
                                TRIVY_CACHE, args.reports / stack)
        # Reports replace earlier reports only: a folder holding anything else is refused before any scan.
        written = claim(settings.reports_dir, REPORTS)
        gate = _gate(settings, registries, policy, written)
        try:
            with session(tools.ensure("regctl"), registries) as regctl:
                progress = Progress(len(lock.entries))
                if action == "mirror":
                    updated = mirror(lock, regctl, gate, progress)
                    if not progress.failed():
                        save(updated, path)
                else:
                    vet(lock, regctl, gate, progress)
        finally:
            if written:
                save_manifest(settings.reports_dir, REPORTS, written)
        status |= progress.summary()
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vetting", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lock-dir", type=Path, default=LOCK_DIR)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("lock", "derive locks/<stack>.json from the pinned chart (needs the chart)"),
                            ("check", "offline: the lock still matches the program's render"),
                            ("vet", "the scan gate on every source image; reports per image"),
                            ("mirror", "scan gate, then copy what Artifactory lacks; record digests")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--stack", action="append", choices=STACKS, help="repeatable; default: every stack")
        if name == "lock":
            command.add_argument("--chart", type=Path, help="a local chart directory instead of the Helm repository")
        if name in ("vet", "mirror"):
            command.add_argument("--db-repository",
                                 help="trivy DB mirror; default <artifactory>/aquasecurity/trivy-db:2")
            command.add_argument("--reports", type=Path, default=REPORTS_DIR)
            command.add_argument("--exceptions", type=Path, default=EXCEPTIONS_FILE)
    args = parser.parse_args(argv)
    args.stack = args.stack or list(STACKS)
    try:
        if args.command == "lock":
            return cmd_lock(args)
        if args.command == "check":
            return cmd_check(args)
        return _run(args, args.command)
    except (CredentialsError, HelmError, LockError, OwnershipError, PolicyError, RegistryError,
            tools.ToolError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
