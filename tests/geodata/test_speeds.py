"""Truck speeds decide every travel time; the table and the maxspeed parser must be exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from basuracero.geodata.speeds import SpeedTable, SpeedTableError, parse_maxspeed


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("30", 30.0),
        ("30 km/h", 30.0),
        ("20 mph", 32.18688),
        ("30;50", 30.0),
        ("PE:urban", None),
        ("none", None),
        (None, None),
        ("0", None),
    ],
)
def test_parse_maxspeed(value: str | None, kmh: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(kmh) if kmh is not None else None)


def test_default_table_speed_rules() -> None:
    table = SpeedTable.load()
    assert "residential" in table.drivable and "footway" not in table.drivable
    residential = table.highway_kmh["residential"]
    assert table.speed_kmh("residential") == residential
    assert table.speed_kmh("residential", "10") == 10.0  # a lower posted limit wins
    assert table.speed_kmh("residential", "90") == residential  # a higher one does not
    assert table.speed_kmh("motorway") == min(table.highway_kmh["motorway"], table.truck_max_kmh)


def test_bad_table_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "speeds.toml"
    path.write_text("truck_max_kmh = 40\n[highway_kmh]\nresidential = -3\n", encoding="utf-8")
    with pytest.raises(SpeedTableError, match="field 'residential' must be a positive number"):
        SpeedTable.load(path)
    path.write_text("[highway_kmh]\nresidential = 20\n", encoding="utf-8")
    with pytest.raises(SpeedTableError, match="'truck_max_kmh'"):
        SpeedTable.load(path)
