"""The README stays true: its config reference matches the models, its commands exist."""

from __future__ import annotations

import re

from stackfile.reference import BEGIN, END, reference
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()


def test_config_reference_matches_the_models():
    start, end = README.index(BEGIN), README.index(END) + len(END)
    assert README[start:end] == reference(), "run: python -m stackfile.reference, and paste it into the README"


def test_readme_starts_with_the_two_setup_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make render", "make test"]


def test_every_makefile_target_named_in_the_readme_exists():
    makefile = (ROOT / "Makefile").read_text()
    for target in {a or b for a, b in re.findall(r"^make ([\w-]+)|`make ([\w-]+)", README, re.M)}:
        assert re.search(rf"^{target}:", makefile, re.M), target
