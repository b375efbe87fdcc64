"""Shared fixtures: one short demo run (CLI), one planned day and one planned week, reused by
every maps test."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))  # headless_chrome helper

from basuracero.cli.demo_cmd import demo
from basuracero.cli.plan_cmd import DEMO, DEMO_AREA, solve_scenario
from basuracero.maps.day import DayView, build_day, vehicle_names
from basuracero.planning.day import DayInputs, DayRequest, load_scenario, plan_document
from basuracero.planning.week import plan_week

DATE = "2026-09-24"  # a Thursday in September: "setiembre" in es-PE
TIMEZONE = "America/Lima"


@pytest.fixture(scope="session")
def maps_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory, maps_cache: Path) -> Path:
    """``basuracero demo`` with a short search, no tiles (no internet in tests), Spanish, as a
    template for Monday to Saturday (``--days``: a plan without it is for its date only)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("BASURACERO_CACHE_DIR", str(maps_cache))
    out = tmp_path_factory.mktemp("demo") / "out"
    app = typer.Typer()
    app.command("demo")(demo)
    app.command("noop")(lambda: None)  # keeps "demo" a sub-command, as in the real CLI
    args = ["demo", "--out", str(out), "--time-limit", "2", "--tiles", "none", "--date", DATE,
            "--days", "lun-sab"]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--quiet"])
    mp.undo()
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out


@pytest.fixture(scope="session")
def demo_day(maps_cache: Path) -> DayView:
    mp = pytest.MonkeyPatch()
    mp.setenv("BASURACERO_CACHE_DIR", str(maps_cache))
    scenario = load_scenario(DayInputs(
        streets=DEMO / "streets.osm.pbf", points=DEMO / "points.csv", sites=DEMO / "sites.csv",
        fleet=DEMO / "fleet.toml", max_snap_m=60,
    ))  # fmt: skip
    plan = solve_scenario(scenario, 2, 0, quiet=True)
    mp.undo()
    document = plan_document(scenario, plan, DATE)
    document["timezone"] = TIMEZONE  # the demo area's, as the planning layer writes it
    return build_day(document, scenario, vehicle_names(DEMO / "fleet.toml"))


WeekViews = list[tuple[str, frozenset[int], DayView]]


@pytest.fixture(scope="session")
def week_views(maps_cache: Path) -> WeekViews:
    """The demo's week door to door (mixed waste every other day, recyclables once a week per
    sector): each stream's plans with their weekdays, as the weekly map takes them."""
    mp = pytest.MonkeyPatch()
    mp.setenv("BASURACERO_CACHE_DIR", str(maps_cache))
    scenario = load_scenario(DayInputs.of_area(DEMO_AREA))
    request = DayRequest(time_limit_s=1, seed=0)
    schedule = DEMO_AREA.week or DEMO / "week.toml"
    views: WeekViews = []
    for stream in ("mixed", "recyclables"):  # plan_week keeps the day views of one stream
        week = plan_week(scenario, schedule, date(2026, 11, 23), request, views_of=stream)
        views += [(stream, days, view) for days, view in week.views]
    mp.undo()
    return views
