"""Municipalities bring extracts of every kind: clipped ways, no streets, wrong boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import box

from basuracero.geodata.osm import StreetsError, load_streets
from basuracero.geodata.osm_filter import OsmFileError

NODES = [
    (1, -79.0200, -8.0800),
    (2, -79.0190, -8.0800),
    (3, -79.0190, -8.0790),
    (4, -79.0200, -8.0790),
    (5, -79.0180, -8.0790),
]


def osm_xml(ways: list[tuple[int, list[int], dict[str, str]]], nodes=NODES) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, lon, lat in nodes:
        lines.append(f'  <node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "area.osm"
    path.write_text(text, encoding="utf-8")
    return path


def test_way_with_nodes_missing_from_the_file_is_truncated_not_fatal(tmp_path: Path) -> None:
    """A bounding-box extract cuts ways whose far nodes are absent; the rest must still load."""
    ring = (10, [1, 2, 3, 4, 1], {"highway": "residential", "name": "Jr. Uno"})
    stub = (11, [3, 5, 99], {"highway": "residential"})  # node 99 is not in the file
    path = write(tmp_path, osm_xml([ring, stub]))
    graph = load_streets(path, cache_dir=False)
    assert graph.report.ways_truncated == 1
    # The stub keeps its present part (3-5); the ring's corners simplify away.
    assert set(graph.node_osmid.tolist()) == {3, 5}
    assert set(graph.edge_name) == {"Jr. Uno", ""}
    assert graph.street_km() == pytest.approx(0.44 + 0.11, abs=0.01)


def test_file_without_drivable_streets_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, osm_xml([(10, [1, 2, 3], {"highway": "footway"})]))
    with pytest.raises(StreetsError, match="no drivable streets"):
        load_streets(path, cache_dir=False)


def test_boundary_far_from_the_streets_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, osm_xml([(10, [1, 2, 3, 4, 1], {"highway": "residential"})]))
    elsewhere = box(-70.0, -10.0, -69.9, -9.9)
    with pytest.raises(StreetsError, match="inside the boundary"):
        load_streets(path, elsewhere, cache_dir=False)


def test_unknown_or_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(OsmFileError, match="not found"):
        load_streets(tmp_path / "absent.osm.pbf", cache_dir=False)
    other = tmp_path / "streets.txt"
    other.write_text("hello", encoding="utf-8")
    with pytest.raises(OsmFileError, match="unknown OSM file type"):
        load_streets(other, cache_dir=False)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"not a pbf at all")
    with pytest.raises(OsmFileError, match=r"broken\.osm\.pbf"):
        load_streets(broken, cache_dir=False)
