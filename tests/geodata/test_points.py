"""Points files are the manager's input: a bad one must be refused whole, with a precise message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from basuracero.geodata.sites import PointsError, read_points

GOOD = "id,lon,lat,demand_kg\nA,-79.02,-8.08,12.5\nB,-79.03,-8.09,7\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_csv_with_extra_attributes(tmp_path: Path) -> None:
    points = read_points(write(tmp_path, "p.csv", GOOD))
    assert points.ids == ["A", "B"]
    assert points.lonlat.tolist() == [[-79.02, -8.08], [-79.03, -8.09]]
    assert points.attributes[0] == {"demand_kg": "12.5"}


@pytest.mark.parametrize(
    ("row", "field", "value", "fragment"),
    [
        ("C,-79.0,91,1", "lat", "91", "between -90 and 90"),
        ("C,-181,-8,1", "lon", "-181", "between -180 and 180"),
        ("C,abc,-8,1", "lon", "abc", "not a number"),
        ("C,-79.0,,1", "lat", "", "missing value"),
        ("A,-79.0,-8.0,1", "id", "A", "duplicate id (first at row 2)"),
        (",-79.0,-8.0,1", "id", "", "missing id"),
        ("C,nan,-8,1", "lon", "nan", "between -180 and 180"),
    ],
)
def test_bad_row_names_file_row_field_and_value(
    tmp_path: Path, row: str, field: str, value: str, fragment: str
) -> None:
    path = write(tmp_path, "bad.csv", GOOD + row + "\n")
    with pytest.raises(PointsError) as info:
        read_points(path)
    message = str(info.value)
    assert str(path) in message
    assert "row 4" in message
    assert f"field {field!r} = {value!r}" in message
    assert fragment in message
    assert "nothing loaded" in message


def test_all_problems_listed_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", "id,lon,lat\nA,x,-8\nB,-79,95\nA,-79,-8\n")
    with pytest.raises(PointsError) as info:
        read_points(path)
    assert len(info.value.problems) == 3
    assert {p.field for p in info.value.problems} == {"lon", "lat", "id"}


def test_missing_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PointsError, match="field 'lat' = None: required column missing"):
        read_points(write(tmp_path, "p.csv", "id,lon\nA,-79\n"))


def test_empty_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(PointsError, match="no points in file"):
        read_points(write(tmp_path, "p.csv", "id,lon,lat\n"))
    with pytest.raises(PointsError, match=r"expected a \.csv"):
        read_points(write(tmp_path, "p.txt", GOOD))
    with pytest.raises(PointsError, match="file not found"):
        read_points(tmp_path / "absent.csv")


def feature(fid: str | None, geometry: dict | None) -> dict:
    props = {} if fid is None else {"id": fid}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def test_geojson_points(tmp_path: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature("D1", {"type": "Point", "coordinates": [-79.02, -8.08]}),
            feature("S1", {"type": "Point", "coordinates": [-79.05, -8.1]}),
        ],
    }
    points = read_points(write(tmp_path, "p.geojson", json.dumps(collection)))
    assert points.ids == ["D1", "S1"]
    assert points.lonlat[1].tolist() == pytest.approx([-79.05, -8.1])


def test_geojson_non_point_and_missing_id_refused(tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[-79.0, -8.0], [-79.1, -8.1]]}
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature("A", {"type": "Point", "coordinates": [-79.02, -8.08]}),
            feature("B", line),
            feature(None, {"type": "Point", "coordinates": [-79.02, -8.08]}),
        ],
    }
    with pytest.raises(PointsError) as info:
        read_points(write(tmp_path, "p.geojson", json.dumps(collection)))
    message = str(info.value)
    assert "feature 2 (id 'B'), field 'geometry'" in message
    assert "must be a Point, got LineString" in message
    assert "feature 3" in message and "missing id" in message
