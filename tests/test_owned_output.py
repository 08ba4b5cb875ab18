"""No command deletes or overwrites what it did not write: the render's folder, the tenant kit, the vetting
reports and the locks replace only what their manifest (or, for a lock, its content) shows they wrote."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.owned import Owner, OwnershipError, claim, replace_folder, save_manifest
from offline.render import RENDER, render
from stackfile.read import validate_file
from tenant_kit.__main__ import main as kit_main
from tenant_kit.manifest import FROM_PLATFORM, MANIFEST, write_kit
from tenant_kit.project import find_tenant, kit_files
from tests.helpers import ROOT, stack_document, write_stack_file
from vetting.lockfile import from_json, path_for, save, to_json

OWNER = Owner(".test-manifest.json", "test command")


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the shared helper -------------------------------------------------------------------------------------

def test_a_new_folder_is_written_with_its_manifest_and_replaced_whole(tmp_path):
    out = tmp_path / "out"
    replace_folder(out, OWNER, {"a.txt": "1", "sub/b.txt": "2"})
    assert set(tree(out)) == {"a.txt", "sub/b.txt", OWNER.manifest}
    replace_folder(out, OWNER, {"c.txt": "3"})
    assert set(tree(out)) == {"c.txt", OWNER.manifest}  # what it wrote before is gone, nothing else was there
    assert not (out / "sub").exists()


@pytest.mark.parametrize("foreign", ["notes.md", "sub/notes.md", "a.txt"])
def test_a_folder_with_anything_it_did_not_write_is_refused_and_untouched(tmp_path, foreign):
    out = tmp_path / "out"
    replace_folder(out, OWNER, {"a.txt": "1", "sub/b.txt": "2"})
    (out / foreign).parent.mkdir(parents=True, exist_ok=True)
    (out / foreign).write_text("the user's")  # a new file, or one of its own files changed
    before = tree(out)
    with pytest.raises(OwnershipError, match=rf"not replaced: {foreign}; move them"):
        replace_folder(out, OWNER, {"c.txt": "3"})
    assert tree(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")], "no staging folder left behind"


def test_an_empty_folder_a_link_and_a_file_in_the_way(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    replace_folder(empty, OWNER, {"a.txt": "1"})
    assert (empty / "a.txt").read_text() == "1"
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(empty)
    for path in (tmp_path / "file", tmp_path / "link"):
        with pytest.raises(OwnershipError, match="not a folder"):
            replace_folder(path, OWNER, {"a.txt": "1"})
    assert (tmp_path / "file").read_text() == "x" and (empty / "a.txt").read_text() == "1"


def test_a_folder_without_the_manifest_is_not_claimed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(OwnershipError, match=r"not empty and not written by the test command \(no .test-manifest.json\)"):
        claim(out, OWNER)
    # The kit's rule: others' files may stay beside its own, but the folder must still be its own.
    with pytest.raises(OwnershipError):
        claim(out, OWNER, others_allowed=True)
    save_manifest(out, OWNER, {})
    assert claim(out, OWNER, others_allowed=True) == {}


def test_a_malformed_manifest_claims_nothing(tmp_path):
    (tmp_path / OWNER.manifest).write_text("not json")
    with pytest.raises(OwnershipError, match="not a manifest of the test command"):
        claim(tmp_path, OWNER)


# --- the render -------------------------------------------------------------------------------------------

def test_render_replaces_its_own_render(tmp_path):
    out = tmp_path / "dev"
    assert render("dev", out) == 0
    assert RENDER.manifest in tree(out)
    assert render("dev", out) == 0


@pytest.mark.parametrize("placed", ["notes.md", "manifests/mine.yaml", "plan.json"])
def test_render_refuses_a_folder_holding_anything_else(tmp_path, capsys, placed):
    out = tmp_path / "dev"
    assert render("dev", out) == 0
    (out / placed).write_text("the user's own")
    before = tree(out)
    assert render("dev", out) == 1
    assert tree(out) == before
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{out}: holds files the render did not write") and placed in line


def test_render_into_a_working_tree_deletes_nothing(tmp_path):
    """`make render OUT=.` in a clone: the folder holds no render manifest, so nothing in it is touched."""
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    (clone / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (clone / "README.md").write_text("mine\n")
    before = tree(clone)
    result = subprocess.run([sys.executable, "-m", "offline.render", "--stack", "dev", "--out", "."], cwd=clone,
                            capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert result.stderr.startswith(".: not empty and not written by the render (no .render-manifest.json)")
    assert "Traceback" not in result.stderr
    assert tree(clone) == before


# --- the tenant kit ---------------------------------------------------------------------------------------

def _kit(tmp_path: Path, variables: dict[str, str] | None = None) -> dict[str, str]:
    document = stack_document("dev")
    document["tenants"][0]["airflow"]["variables"].update(variables or {})
    config = validate_file(write_stack_file(tmp_path / "Pulumi.dev.yaml", document))
    return kit_files(config, find_tenant(config, "finance"))


def test_an_edited_kit_file_is_kept_and_the_stacks_change_lands_beside_it(tmp_path, capsys):
    out = tmp_path / "kit"
    write_kit(out, _kit(tmp_path), force=False)
    (out / "airflow_settings.yaml").write_text("# the team's settings\n")
    result = write_kit(out, _kit(tmp_path, {"cost_center": "FIN-009"}), force=False)
    assert result.kept == ["airflow_settings.yaml"]
    assert result.offered == ["airflow_settings.yaml" + FROM_PLATFORM]
    assert (out / "airflow_settings.yaml").read_text() == "# the team's settings\n"
    assert "variable_value: FIN-009" in (out / f"airflow_settings.yaml{FROM_PLATFORM}").read_text()
    # Again with the same stack: nothing new to bring in, the team's file and the offered one stay as they are.
    before = tree(out)
    again = write_kit(out, _kit(tmp_path, {"cost_center": "FIN-009"}), force=False)
    assert (again.kept, again.offered, tree(out)) == (["airflow_settings.yaml"], [], before)
    # The team merged (took the stack's version) and deleted the offered file: it is not written again.
    (out / "airflow_settings.yaml").write_text((out / f"airflow_settings.yaml{FROM_PLATFORM}").read_text())
    (out / f"airflow_settings.yaml{FROM_PLATFORM}").unlink()
    merged = write_kit(out, _kit(tmp_path, {"cost_center": "FIN-009"}), force=False)
    assert (merged.kept, merged.offered) == ([], [])
    assert not (out / f"airflow_settings.yaml{FROM_PLATFORM}").exists()


def test_the_kit_command_names_the_file_it_wrote_beside_an_edit(tmp_path, capsys):
    out = tmp_path / "kit"
    assert kit_main(["--tenant", "finance", "--out", str(out)]) == 0
    (out / "README.md").write_text("ours\n")
    (out / f"README.md{FROM_PLATFORM}").write_text("stale")  # not the kit's: never overwritten
    capsys.readouterr()
    assert kit_main(["--tenant", "finance", "--out", str(out)]) == 0
    output = capsys.readouterr().out
    assert "kept your changes to README.md" in output
    assert (out / f"README.md{FROM_PLATFORM}").read_text() == "stale"


def test_the_kit_never_touches_the_teams_own_files(tmp_path):
    out = tmp_path / "kit"
    write_kit(out, _kit(tmp_path), force=False)
    (out / "dags" / "team_dag.py").write_text("# the team's DAG\n")
    (out / ".env").write_text("KRB5CCNAME=FILE:/tmp/x\n")
    for force in (False, True):
        write_kit(out, _kit(tmp_path, {"cost_center": "FIN-010"}), force=force)
        assert (out / "dags" / "team_dag.py").read_text() == "# the team's DAG\n"
        assert (out / ".env").read_text() == "KRB5CCNAME=FILE:/tmp/x\n"


@pytest.mark.parametrize("force", [False, True])
def test_the_kit_refuses_a_folder_it_did_not_write(tmp_path, capsys, force):
    out = tmp_path / "project"
    out.mkdir()
    (out / "README.md").write_text("someone else's\n")
    (out / "Dockerfile").write_text("FROM scratch\n")
    before = tree(out)
    assert kit_main(["--tenant", "finance", "--out", str(out), *(["--force"] if force else [])]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"tenant-kit: {out}: not empty and not written by the tenant kit (no {MANIFEST})")
    assert tree(out) == before


# --- the vetting reports and the locks --------------------------------------------------------------------

def test_the_reports_folder_is_vettings_only(tmp_path):
    from vetting.cli import REPORTS

    reports = tmp_path / "reports" / "dev"
    reports.mkdir(parents=True)
    (reports / "mine.json").write_text("{}")
    with pytest.raises(OwnershipError, match="not written by the image vetting"):
        claim(reports, REPORTS)
    (reports / "mine.json").unlink()
    assert claim(reports, REPORTS) == {}


def test_a_lock_replaces_only_the_stacks_own_lock(tmp_path):
    lock = from_json((ROOT / "locks" / "dev.json").read_text())
    target = path_for("dev", tmp_path)
    save(lock, target)
    save(lock, target)  # its own lock: replaced
    assert target.read_text() == to_json(lock)
    for foreign in ("the user's notes\n", to_json(lock).replace('"stack": "dev"', '"stack": "prod"'), "{}"):
        target.write_text(foreign)
        with pytest.raises(OwnershipError, match=r"not a lock of stack dev, so not overwritten"):
            save(lock, target)
        assert target.read_text() == foreign


def test_make_clean_removes_renders_and_nothing_else(tmp_path):
    """`make clean`'s step for rendered/: each render goes whole, a folder holding anything else stays, named."""
    rendered = tmp_path / "rendered"
    replace_folder(rendered / "dev", RENDER, {"plan.json": "[]"})
    replace_folder(rendered / "prod", RENDER, {"plan.json": "[]"})
    (rendered / "prod" / "notes.md").write_text("mine")
    (rendered / "scratch").mkdir()
    (rendered / "scratch" / "todo.txt").write_text("mine")
    result = subprocess.run([sys.executable, "-m", "devtools.owned", "remove", "--manifest", RENDER.manifest,
                             "--what", "render", *map(str, sorted(rendered.iterdir()))], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert not (rendered / "dev").exists()
    assert tree(rendered) == {"prod/notes.md": tree(rendered)["prod/notes.md"], "prod/plan.json":
                              tree(rendered)["prod/plan.json"], f"prod/{RENDER.manifest}":
                              tree(rendered)[f"prod/{RENDER.manifest}"], "scratch/todo.txt":
                              tree(rendered)["scratch/todo.txt"]}
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == [f"kept {rendered / 'prod'}",
                                                                         f"kept {rendered / 'scratch'}"]
