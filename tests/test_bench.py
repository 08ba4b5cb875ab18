"""The benchmark: its same-kinds floor replays exactly the program's custom resources, flat."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pulumi_docker as docker
import pulumi_kubernetes as k8s
import pytest

from benchmarks import program as bench
from standins import mock_engine as engine
from tests.test_offline import box_program

LAST_LINE = re.compile(
    r"fanout tenants=(?P<tenants>\d+) data_planes=(?P<data_planes>\d+) resources=(?P<resources>\d+) "
    r"seconds=(?P<seconds>[\d.]+) "
    r"floor_seconds=(?P<floor_seconds>[\d.]+) ratio=(?P<ratio>[\d.]+) "
    r"same_kinds_seconds=(?P<same_kinds_seconds>[\d.]+) overhead=(?P<overhead>[\d.]+) peak_rss_mb=(?P<peak_rss_mb>\d+)"
)


def kept(r: engine.Registration, names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """What a replay must keep of a registration; URNs as (type, name), since the replay's differ."""
    def named(urns: tuple[str, ...]) -> list[tuple[str, str]]:
        # A read (the program's stack reference) is no registration and is not replayed.
        return sorted(names[urn] for urn in urns if urn in names)

    return {
        "inputs": engine.reveal(r.inputs), "redacted": engine.redact(r.inputs), "protect": r.protect,
        "retain_on_delete": r.retain_on_delete, "ignore_changes": r.ignore_changes, "aliases": r.declared_aliases,
        "delete_before_replace": r.delete_before_replace, "replace_on_changes": r.replace_on_changes,
        # The SDK class adds a Secret's own again in the replay: compared as sets.
        "additional_secret_outputs": set(r.additional_secret_outputs), "custom_timeouts": r.custom_timeouts,
        "provider": named((r.provider.rpartition("::")[0],) if r.provider else ()),
        "dependencies": named(r.dependencies), "replace_with": named(r.replace_with),
        "deleted_with": named((r.deleted_with,) if r.deleted_with else ()),
    }


def by_type_and_name(recording: engine.Recording) -> dict[tuple[str, str], dict[str, Any]]:
    names = {r.urn: (r.type, r.name) for r in recording.resources}
    return {(r.type, r.name): kept(r, names) for r in recording.resources if r.custom}


@pytest.fixture(scope="module")
def programs(recordings) -> dict[str, engine.Recording]:
    """Both committed stacks (prod builds images) and a program with every option the replay keeps."""
    return {**recordings, "box": engine.run({}, [], program=box_program)}


@pytest.mark.parametrize("program", ["dev", "prod", "box"])
def test_the_replay_registers_the_programs_custom_resources_flat(programs, program):
    recording = programs[program]
    replay = engine.run({}, [], program=bench.replay_program(recording.resources))
    custom = [(r.type, r.name) for r in recording.resources if r.custom]
    assert len(custom) < len(recording.resources)  # there were components to leave out
    assert Counter((r.type, r.name) for r in replay.resources) == Counter(custom)
    assert all(r.custom and r.parent.split("::")[2] == "pulumi:pulumi:Stack" for r in replay.resources)
    expected, replayed = by_type_and_name(recording), by_type_and_name(replay)
    for key, registration in expected.items():
        assert replayed[key] == registration, key


@pytest.mark.parametrize(("type_token", "cls"), [
    ("kubernetes:networking.k8s.io/v1:NetworkPolicy", k8s.networking.v1.NetworkPolicy),
    ("kubernetes:core/v1:ConfigMap", k8s.core.v1.ConfigMap),
    ("kubernetes:helm.sh/v3:Release", k8s.helm.v3.Release),
    ("docker:index/image:Image", docker.Image),
    ("pulumi:providers:kubernetes", k8s.Provider),
    ("pulumi:providers:docker", docker.Provider),
])
def test_type_tokens_resolve_to_their_sdk_classes(type_token, cls):
    assert bench.sdk_class(type_token) is cls


def test_an_unknown_type_token_is_an_error():
    with pytest.raises(LookupError, match="kubernetes:core/v1:Nothing"):
        bench.sdk_class("kubernetes:core/v1:Nothing")


@pytest.mark.slow  # three fresh processes
def test_the_last_line_has_both_floors(capsys):
    assert bench.main(["--tenants", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines[:-1]] == ["program", "same-kinds", "configmaps"]
    last = LAST_LINE.fullmatch(lines[-1])
    assert last, lines[-1]
    values = {key: float(value) for key, value in last.groupdict().items()}
    assert values["tenants"] == 2 and values["resources"] > 2 and values["peak_rss_mb"] > 0
    # Both from unrounded seconds: equal up to the rounding of small figures.
    assert values["overhead"] == pytest.approx(values["seconds"] / values["same_kinds_seconds"], rel=0.05)
    assert values["ratio"] == pytest.approx(values["seconds"] / values["floor_seconds"], rel=0.05)


def test_the_probe_times_each_kind(capsys):
    assert bench.main(["--probe", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == [f"kind={kind}" for kind in bench.PROBES]
    assert all(" objects=3 " in line for line in lines)
