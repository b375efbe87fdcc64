"""Dates people read: a plan is for tomorrow on the area's clock unless told otherwise."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from typer.testing import CliRunner

from basuracero.cli import app
from basuracero.planning.area import bundled_areas

AREA = bundled_areas()["florencia-de-mora"]


def test_tomorrow_is_on_the_areas_clock() -> None:
    # 02:00 UTC on 2 December is still 1 December in Lima (UTC-5): tomorrow is the 2nd.
    assert AREA.tomorrow(datetime(2026, 12, 2, 2, 0, tzinfo=UTC)) == date(2026, 12, 2)
    assert AREA.tomorrow(datetime(2026, 12, 2, 6, 0, tzinfo=UTC)) == date(2026, 12, 3)


def test_plan_without_a_date_is_for_tomorrow_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(
        app, ["plan", "--area", AREA.id, "--time-limit", "1", "--quiet", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["date"] == AREA.tomorrow().isoformat()
    assert f"{AREA.tomorrow().isoformat()} (mañana)" in result.output
    assert document["area"] == AREA.id and document["timezone"] == "America/Lima"


def test_a_bad_date_is_refused_naming_the_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plan", "--date", "2026-02-30", "--out", str(tmp_path / "p")])
    assert result.exit_code == 2 and "--date '2026-02-30'" in result.output
