"""The docs stay true: the README's first commands, the generated configuration reference, every make
target they name, every file of the repository they cite, and every link between them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackfile.reference import BEGIN, END, REFERENCE_PATH, reference
from tests.helpers import ROOT

README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, *PAGES]
# A cited repository path starts with one of the repository's own top-level entries.
TOP_LEVEL = {path.name for path in ROOT.iterdir() if not path.name.startswith(".")} | {".ci", ".github"}


def test_the_configuration_reference_matches_the_models():
    text = REFERENCE_PATH.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == reference(), "run: .venv/bin/python -m stackfile.reference"


def test_the_readme_starts_with_the_two_setup_commands():
    first_block = re.search(r"```sh\n(.*?)```", README.read_text(), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make render", "make test"]


def test_the_readme_is_short_and_links_the_runbooks():
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    for page in ("docs/first-install.md", "docs/add-a-tenant.md"):
        assert f"]({page})" in text, f"the README links {page}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_make_target_named_exists(document: Path):
    makefile = (ROOT / "Makefile").read_text()
    targets = {a or b for a, b in re.findall(r"^\$? ?make ([\w-]+)|`make ([\w-]+)", document.read_text(), re.M)}
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M), target


def _cited_paths(text: str) -> set[str]:
    cited = set()
    for token in re.findall(r"`([^`\s]+)`", text):
        token = token.rstrip(".,:;")
        head = token.split("/")[0]
        if head in TOP_LEVEL and ("/" in token or "." in token) and not re.search(r"[<>*{$]", token):
            cited.add(token.split("::")[0].split(":")[0] if not token.startswith("Pulumi.") else token)
    return cited


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_file_is_in_the_repository(document: Path):
    missing = sorted(path for path in _cited_paths(document.read_text()) if not (ROOT / path).exists())
    assert not missing, f"cited but not in the repository: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(document: Path):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", document.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (document.parent / target).exists(), f"{document.name} links {target}"


def test_every_page_is_reachable_from_the_readme():
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)", README.read_text()))
    linked |= {f"docs/{name}" for page in PAGES for name in re.findall(r"\]\(([\w.-]+\.md)", page.read_text())}
    assert {f"docs/{page.name}" for page in PAGES} <= linked


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_module_command_named_exists(document: Path):
    import importlib.util

    for module in set(re.findall(r"python3? -m ([\w.]+)", document.read_text())):
        spec = importlib.util.find_spec(module)
        assert spec is not None, f"python -m {module}: no such module"
        if spec.submodule_search_locations:  # a package runs its __main__
            assert importlib.util.find_spec(f"{module}.__main__") is not None, f"python -m {module}: no __main__"
