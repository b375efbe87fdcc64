"""An area's goals ([targets] of area.toml): read, checked, and judged met / not met / no data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from basuracero.errors import InputError
from basuracero.planning.area import bundled_areas, load_area
from basuracero.planning.targets import Targets


def area_with(tmp_path: Path, targets: str) -> Path:
    source = bundled_areas()["la-esperanza"].folder
    folder = tmp_path / "area"
    shutil.copytree(source, folder)
    text = (folder / "area.toml").read_text(encoding="utf-8").split("[targets]")[0]
    (folder / "area.toml").write_text(text + targets, encoding="utf-8")
    return folder


def test_the_bundled_areas_follow_the_plans_goals() -> None:
    for area in bundled_areas().values():
        assert area.targets == Targets(coverage_pct=98.0, diversion_pct=10.0)


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ("[targets]\ncoverage_pct = 120\n", "targets.coverage_pct"),
        ("[targets]\ndiversion_pct = 'diez'\n", "targets.diversion_pct"),
        ("[targets]\ncoverage = 98\n", "targets"),
    ],
)
def test_a_bad_goal_names_its_field(tmp_path: Path, table: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        load_area(area_with(tmp_path, table))
    assert caught.value.field == field


def test_an_area_without_goals_has_none(tmp_path: Path) -> None:
    assert load_area(area_with(tmp_path, "")).targets == Targets()


def test_goals_are_judged_met_not_met_or_without_data() -> None:
    goals = Targets(coverage_pct=98, diversion_pct=10, resolution_h=48)
    assert goals.status("coverage_pct", 98.0) == "met"
    assert goals.status("coverage_pct", 97.9) == "not_met"
    assert goals.status("coverage_pct", None) == "no_data"
    assert goals.status("resolution_h", 50) == "not_met"  # at most 48 h
    assert goals.status("resolution_h", 12) == "met"
    assert Targets().status("diversion_pct", 30) == "no_target"
