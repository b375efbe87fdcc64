"""Progress tells the truth: served on evidence, missed on evidence, unknown when it cannot tell.

Synthetic blocks (metric x, y) for the rule itself, the bundled Florencia de Mora day through the
service for ``?at=`` in local time and the columns of ``missed.csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import LineString

from basuracero.api.progress import clear_stretch, moment_at
from basuracero.fleet.progress import (
    NO_SIGNAL,
    UNSERVED_COLUMNS,
    StopPlace,
    local_moment,
    passes,
    route_progress,
)
from basuracero.fleet.way_round import WayRound
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayPlan, DayRequest, plan_day
from basuracero.service import create_app
from tests.fleet.conftest import admin_headers, make_settings

AREA = bundled_areas()["florencia-de-mora"]
TZ = AREA.tz  # America/Lima, UTC-5
DAY = date(2026, 11, 30)
START_S = 7 * 3600  # the synthetic truck leaves its depot at 07:00


def street(line: LineString, others: list[LineString], **extra: object) -> StopPlace:
    """A door-to-door street on its own line, with the streets near it as the service finds."""
    near = shapely.MultiLineString(others) if others else shapely.GeometryCollection()
    return StopPlace(
        edge=0, offset_m=line.length / 2, length_m=line.length, twin=1,
        xy=tuple(shapely.get_coordinates(line.interpolate(0.5, normalized=True))[0]),
        whole_street=True, line=line, others=near, clear=clear_stretch(line, near), **extra,
    )  # fmt: skip


def drive(points: list[tuple[float, float]], speeds: list[float], every_s: float,
          noise_m: float = 5.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Fixes every ``every_s`` along a polyline, each leg at its speed (m/s), with noise: the
    drive reaches the job near its planned 07:05, then the truck stands till 07:40."""
    xy = np.asarray([*points, points[-1]], dtype=float)
    seconds = np.hypot(*np.diff(xy[:-1], axis=0).T) / np.asarray(speeds)
    clock = np.concatenate([[0.0], np.cumsum(seconds)])
    clock = np.append(clock, 40 * 60 - 240)
    times = np.arange(0.0, clock[-1], every_s)
    fixes = np.column_stack([np.interp(times, clock, xy[:, 0]), np.interp(times, clock, xy[:, 1])])
    fixes += np.random.default_rng(seed).normal(0.0, noise_m, fixes.shape)
    return fixes, local_moment(DAY, START_S + 240, TZ).timestamp() + times


def one_job_route(job: str = "S1:0", kind: str = "street") -> dict:
    """A route serving one job at 07:05, back at the depot at 07:30."""
    back = START_S + 1800
    return {"vehicle_id": "C1", "visits": [
        {"id": "D", "kind": "depot_start", "arrival_s": START_S, "departure_s": START_S},
        {"id": job, "kind": kind, "arrival_s": START_S + 300, "departure_s": START_S + 360},
        {"id": "D", "kind": "depot_end", "arrival_s": back, "departure_s": back},
    ]}  # fmt: skip


NIGHT = local_moment(DAY, 22 * 3600, TZ)  # the route's day is over


def status_of(place: StopPlace, fixes: np.ndarray, times: np.ndarray, traversals=()) -> tuple:
    report = route_progress(one_job_route(), DAY, {"S1:0": place}, list(traversals), NIGHT,
                            1, fixes, times, tz=TZ)  # fmt: skip
    return report.stops[0].status, report.stops[0].reason


# A dead end 40 m long off a main road (the road along y = 0, the spur up x = 0).
SPUR = LineString([(0, 0), (0, 40)])
ROAD = LineString([(-200, 0), (200, 0)])
SPUR_PLACE = street(SPUR, [ROAD], dead_end=(False, True), bypass_m=1000.0)
IN_AND_BACK = [(-150, 0), (0, 0), (0, 40), (0, 0), (150, 0)]


def test_a_dead_end_served_in_and_back_out_is_served_on_the_raw_fixes() -> None:
    """The matcher smooths such a spur away: with no matched traversal at all, the fixes along
    the spur's own line (in and back, pieces joined) serve it."""
    assert passes([], SPUR_PLACE) is None  # the matched path alone would not serve it
    fixes, times = drive(IN_AND_BACK, [6.0, 1.7, 6.0, 6.0], every_s=5)
    assert status_of(SPUR_PLACE, fixes, times) == ("served", None)
    fixes, times = drive(IN_AND_BACK, [6.0, 1.7, 6.0, 6.0], every_s=10, noise_m=8.0, seed=3)
    assert status_of(SPUR_PLACE, fixes, times)[0] == "served"


def test_driving_past_the_spur_is_missed_with_dense_fixes() -> None:
    fixes, times = drive([(-150, 0), (150, 0)], [6.0], every_s=5)
    assert status_of(SPUR_PLACE, fixes, times) == ("missed", None)


def test_fixes_too_sparse_to_tell_are_unknown_with_the_gap_as_reason() -> None:
    """Every 2 minutes, the truck could have gone up the spur and back between two fixes: the
    fixes cannot tell served from missed, so neither is said."""
    fixes, times = drive(IN_AND_BACK, [6.0, 1.7, 6.0, 6.0], every_s=120)
    status, reason = status_of(SPUR_PLACE, fixes, times)
    assert status == "unknown"
    assert reason is not None and "sin datos GPS" in reason and "(120 s)" in reason


# An 80 m block of a two-way street (y = 0, x 0..80) between two cross streets, and a parallel
# street 60 m south: skipping it means going round that block.
BLOCK = LineString([(0, 0), (80, 0)])
CROSS = [LineString([(0, -100), (0, 100)]), LineString([(80, -100), (80, 100)])]
BLOCK_PLACE = street(BLOCK, CROSS, bypass_m=200.0)


@pytest.mark.parametrize("every_s", [5, 10])
def test_a_skipped_block_is_missed_and_a_driven_one_served(every_s: float) -> None:
    round_it = [(-100, 0), (0, 0), (0, -60), (80, -60), (80, 0), (180, 0)]
    fixes, times = drive(round_it, [6.0] * 5, every_s=every_s, seed=1)
    assert status_of(BLOCK_PLACE, fixes, times)[0] == "missed"
    along = [(-100, 0), (0, 0), (80, 0), (180, 0)]
    fixes, times = drive(along, [6.0, 1.7, 6.0], every_s=every_s, seed=1)
    assert status_of(BLOCK_PLACE, fixes, times)[0] == "served"


def test_one_fix_thrown_35_m_off_a_driven_block_does_not_make_it_missed() -> None:
    """A fix every 10 s along the block at the crew's pace, one of them thrown 35 m off its
    middle (with 10 m noise one fix in a few hundred strays that far): however little the
    others show, the block is not missed."""
    along = [(-100, 0), (0, 0), (80, 0), (180, 0)]
    fixes, times = drive(along, [6.0, 1.7, 6.0], every_s=10, noise_m=0.5, seed=4)
    middle = int(np.argmin(np.hypot(fixes[:, 0] - 40, fixes[:, 1])))
    # one fix inside the block, the next thrown 35 m off its middle, the next near a corner
    fixes[middle - 1 : middle + 2] = [(22.0, 14.0), (39.0, 35.0), (65.0, -5.0)]
    assert status_of(BLOCK_PLACE, fixes, times)[0] != "missed"


def test_seen_only_at_its_corner_a_block_is_not_served() -> None:
    """A truck crossing the block's end, however often, has not driven it."""
    crossing = [(0, -100), (0, 100), (0, -100), (0, 100)]
    fixes, times = drive(crossing, [4.0] * 3, every_s=5, noise_m=8.0)
    assert status_of(BLOCK_PLACE, fixes, times)[0] != "served"


# A 12 m crossing between a divided avenue's two carriageways (y = 0 and y = 12, split at the
# crossing's corners as the street graph is), with the cross street going on straight at both
# ends: too short for a fix to tell it from the avenue.
MEDIAN = LineString([(0, 0), (0, 12)])
AVENUE = [LineString([(-150, y), (0, y)]) for y in (0, 12)] + [
    LineString([(0, y), (150, y)]) for y in (0, 12)
]
CROSS_ON = [LineString([(0, 0), (0, -80)]), LineString([(0, 12), (0, 92)])]
MEDIAN_PLACE = street(MEDIAN, AVENUE + CROSS_ON, bypass_m=200.0, bypass_s=40.0)


@pytest.mark.parametrize("every_s", [5, 10])
def test_a_short_crossing_driven_straight_through_is_served(every_s: float) -> None:
    """From inside the street before it to inside the street after it, every fix between near
    it, with never time to go round the block: the truck crossed it, though no fix of its own
    can show it."""
    through = [(0, -80), (0, 0), (0, 12), (0, 92)]
    fixes, times = drive(through, [1.7] * 3, every_s=every_s)
    assert status_of(MEDIAN_PLACE, fixes, times)[0] == "served"


def test_a_short_crossing_gone_round_or_turned_at_is_not_served() -> None:
    """Up the cross street, round by the avenue and another crossing 100 m on, down the cross
    street again; or along the avenue past it: never served."""
    round_it = [(0, -80), (0, 0), (100, 0), (100, 12), (0, 12), (0, 92)]
    fixes, times = drive(round_it, [1.7, 6.0, 6.0, 6.0, 1.7], every_s=5)
    assert status_of(MEDIAN_PLACE, fixes, times)[0] != "served"
    turned = [(0, -80), (0, 0), (150, 0)]
    fixes, times = drive(turned, [1.7, 6.0], every_s=5)
    assert status_of(MEDIAN_PLACE, fixes, times)[0] != "served"


# A 30 m block between two cross streets, its way round by a back street 60 m north.
SHORT = LineString([(0, 0), (30, 0)])
AROUND_SHORT = [
    LineString([(-80, 0), (0, 0)]), LineString([(30, 0), (110, 0)]),
    LineString([(0, 0), (0, 60)]), LineString([(0, 0), (0, -60)]),
    LineString([(30, 0), (30, 60)]), LineString([(30, 0), (30, -60)]),
]  # fmt: skip
SHORT_PLACE = street(SHORT, AROUND_SHORT, bypass_m=150.0, bypass_s=36.0)


@pytest.mark.parametrize("every_s", [5, 10])
def test_going_round_a_short_block_by_the_streets_at_its_corners_is_not_served(
    every_s: float,
) -> None:
    """In from the street before it, up the cross street at one corner, along the back street,
    down the cross street at the other corner and on: the fixes stay near the streets meeting
    its ends, yet leave it: not served. Driven straight, it is."""
    round_it = [(-80, 0), (0, 0), (0, 60), (30, 60), (30, 0), (110, 0)]
    fixes, times = drive(round_it, [6.0] * 5, every_s=every_s, seed=2)
    assert status_of(SHORT_PLACE, fixes, times)[0] != "served"
    through = [(-80, 0), (0, 0), (30, 0), (110, 0)]
    fixes, times = drive(through, [1.7] * 3, every_s=every_s, seed=2)
    assert status_of(SHORT_PLACE, fixes, times)[0] == "served"


def timed_points(line: LineString, speed: float, start_s: float = 0.0) -> tuple:
    """Points every 3 m along a line and the seconds to each from its start (plus start_s)."""
    along = np.arange(0.0, line.length + 1e-9, 3.0)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, along))
    return xy, start_s + along / speed


def short_way_round(speed: float) -> WayRound:
    """Where a truck going round SHORT could be: the back street way (150 m), and the streets
    beyond each corner, with the times a street graph would give at ``speed``."""
    total = 150.0 / speed
    xy, seconds = timed_points(LineString([(0, 0), (0, 60), (30, 60), (30, 0)]), speed)
    parts = [(xy, np.stack([seconds, total - seconds]), np.stack([seconds, total - seconds]))]
    for line, corner in ((LineString([(0, 0), (-80, 0)]), 0), (LineString([(0, 0), (0, -60)]), 0),
                         (LineString([(30, 0), (110, 0)]), 1),
                         (LineString([(30, 0), (30, -60)]), 1)):  # fmt: skip
        xy, seconds = timed_points(line, speed)
        near, far = seconds, seconds + total  # from its own corner, from the other one
        times = np.stack([near, far] if corner == 0 else [far, near])
        parts.append((xy, times, times))
    return WayRound(
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts], axis=1),
        np.concatenate([p[2] for p in parts], axis=1),
    )


def test_the_way_round_tells_a_fix_in_a_short_block_from_one_thrown_by_a_truck_going_round(
) -> None:  # fmt: skip
    """The 30 m block, its way round taking 24 s: at 10 s a run across it hangs on fixes whose
    neighbours are 20 s apart, time enough to go round, so any such fix might have been
    thrown from a truck going round. Knowing where the way round passes, a fix near the
    block's middle is seen to lie too far from any point the truck could have reached in 10 s
    from one corner while still reaching the other in the next 10 s: more blocks driven are
    served, and gone round, still none."""
    slow = replace(SHORT_PLACE, bypass_s=24.0)
    known = replace(slow, way_round=short_way_round(150.0 / 24.0))
    through = [(-80, 0), (0, 0), (30, 0), (110, 0)]
    round_it = [(-80, 0), (0, 0), (0, 60), (30, 60), (30, 0), (110, 0)]
    said: dict[str, list[str]] = {"known": [], "unknown": [], "round": []}
    for seed in range(30):
        fixes, times = drive(through, [1.7] * 3, every_s=10, noise_m=8.0, seed=seed)
        said["known"].append(status_of(known, fixes, times)[0])
        said["unknown"].append(status_of(slow, fixes, times)[0])
        fixes, times = drive(round_it, [6.0] * 5, every_s=10, noise_m=8.0, seed=seed)
        said["round"].append(status_of(known, fixes, times)[0])
    assert said["known"].count("served") >= said["unknown"].count("served") + 5
    assert "missed" not in said["known"] and "served" not in said["round"]


def fixes_at(points: list[tuple[float, float]], every_s: float = 5.0) -> tuple:
    """Given fixes, one every ``every_s`` from the job's planned 07:05."""
    start = local_moment(DAY, START_S + 300, TZ).timestamp()
    return np.asarray(points, dtype=float), start + every_s * np.arange(len(points))


def test_a_truck_standing_at_one_corner_is_not_seen_at_the_other() -> None:
    """A truck standing at a 42 m block's east corner, one fix thrown 25 m towards the west
    one (within NEAR_M of it, 29 m from the east): no corner-to-corner drive."""
    block = LineString([(0, 0), (42, 0)])
    cross = [LineString([(x, -80), (x, 0)]) for x in (0, 42)] + [
        LineString([(x, 0), (x, 80)]) for x in (0, 42)
    ]
    place = street(block, cross, bypass_m=161.0, bypass_s=29.0)
    standing = [(42 + dx, 3 + dy) for dx, dy in [(-2, 1), (1, -2), (-3, 2), (2, 0)]]
    fixes, times = fixes_at([*standing, (14, 9), *standing])
    assert status_of(place, fixes, times)[0] != "served"


def test_a_fix_thrown_near_the_other_corners_street_does_not_make_a_crossing() -> None:
    """A truck turning round at a 40 m block's east corner and leaving north: one fix thrown
    21 m west of it lands 19 m from the street north of the west corner and 21 m from the
    truck's own street. That is no sign the truck was on the west side: the block was not
    crossed."""
    block = LineString([(0, 0), (40, 0)])
    around = [LineString([(x, y0), (x, y1)]) for x in (0, 40) for y0, y1 in ((0, 80), (0, -80))]
    around += [LineString([(-80, 0), (0, 0)]), LineString([(40, 0), (120, 0)])]
    place = street(block, around, bypass_m=200.0, bypass_s=24.0)
    at_east = [(41, 2), (38, -1), (42, 1), (39, 3)]
    fixes, times = fixes_at([(40, -60), (41, -30), *at_east, (19, 22), (40, 45), (41, 70)])
    assert status_of(place, fixes, times)[0] != "served"


def test_a_parallel_street_within_noise_does_not_serve_the_block() -> None:
    """The truck drives a street 23 m north of the block, joined to it at both corners: fixes
    near both corners and along the block cannot tell which of the two it drove, so the block
    is neither served nor missed."""
    block = LineString([(0, 0), (82, 0)])
    parallel = [LineString([(0, 23), (82, 23)])]
    cross = [LineString([(x, 0), (x, 23)]) for x in (0, 82)]
    place = street(block, parallel + cross, bypass_m=128.0, bypass_s=15.4)
    along = [(2, 15), (17, 16), (32, 17), (47, 16), (62, 15), (80, 15)]
    fixes, times = fixes_at(along)
    status, reason = status_of(place, fixes, times)
    assert status == "unknown" and reason is not None and "calle paralela" in reason


# An 82 m block with a parallel street 25 m north joined to it at both corners: its way round
# stays within GPS noise of it.
NEAR_BLOCK = LineString([(0, 0), (82, 0)])
NEAR_STREETS = [LineString([(0, 25), (82, 25)])] + [
    LineString([(x, y0), (x, y1)]) for x in (0, 82) for y0, y1 in ((0, 25), (0, -80))
]
NEAR_PLACE = street(NEAR_BLOCK, NEAR_STREETS, bypass_m=132.0, bypass_s=16.0)


def test_a_block_beside_a_parallel_street_is_told_from_it_by_its_fixes_together() -> None:
    """No single fix can be sure to be on the block rather than on the street 25 m away, yet
    fixes every 5 s at the crew's pace along the block, 8 m noise, mostly weigh more than 1000
    to 1 that it was the block (the rest stay unknown); the same drives along the parallel
    street never serve it."""
    on_block = [(-60, 0), (0, 0), (82, 0), (82, -80)]
    on_parallel = [(-60, 25), (0, 25), (82, 25), (82, 105)]
    said = {"block": [], "parallel": []}
    for seed in range(30):
        for name, path in (("block", on_block), ("parallel", on_parallel)):
            fixes, times = drive(path, [6.0, 1.7, 6.0], every_s=5, noise_m=8.0, seed=seed)
            said[name].append(status_of(NEAR_PLACE, fixes, times)[0])
    assert said["block"].count("served") >= 24 and "missed" not in said["block"]
    assert "served" not in said["parallel"]


def timed_drive(legs: list[tuple[float, float, float]], every_s: float, noise_m: float,
                seed: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Fixes every ``every_s`` along (x, y, seconds to get there) from 07:04: the truck stands
    where a point repeats."""
    xy = np.asarray([(x, y) for x, y, _ in legs], dtype=float)
    clock = np.cumsum([seconds for _, _, seconds in legs])
    times = np.arange(0.0, clock[-1], every_s)
    fixes = np.column_stack([np.interp(times, clock, xy[:, 0]), np.interp(times, clock, xy[:, 1])])
    fixes += np.random.default_rng(seed).normal(0.0, noise_m, fixes.shape)
    return fixes, local_moment(DAY, START_S + 240, TZ).timestamp() + times


def test_a_truck_standing_minutes_near_a_corner_has_not_driven_the_block() -> None:
    """Into a 50 m block 7 m from its corner, four minutes standing there (a stop on it, a
    break), back out: fixes every 5 s with 10 m noise scatter up and down the block, which read
    as driving most of it on a third of the draws; it was never driven."""
    block = LineString([(0, 0), (50, 0)])
    place = street(block, [LineString([(x, -150), (x, 150)]) for x in (0, 50)], bypass_m=220.0)
    legs = [(50, -150, 0), (50, 0, 25), (43, 0, 4), (43, 0, 240), (50, 0, 4), (50, 150, 25),
            (50, 150, 1500)]  # fmt: skip
    said = [status_of(place, *timed_drive(legs, 5, 10.0, seed))[0] for seed in range(20)]
    assert "served" not in said


def stop_status(place: StopPlace, fixes: np.ndarray, times: np.ndarray) -> str:
    report = route_progress(one_job_route("P1", "stop"), DAY, {"P1": place}, [], NIGHT, 1,
                            fixes, times, tz=TZ)  # fmt: skip
    return report.stops[0].status


# A stop in the middle of an 80 m block (y = 0), with a parallel street 22 m north and cross
# streets at both corners.
STOP_STREET = LineString([(0, 0), (80, 0)])
STOP_PLACE = StopPlace(
    edge=0, offset_m=40.0, length_m=80.0, twin=1, xy=(40.0, 0.0), line=STOP_STREET,
    others=shapely.MultiLineString([((-100, 22), (200, 22)), ((0, -100), (0, 100)),
                                    ((80, -100), (80, 100))]),
)  # fmt: skip


def test_a_stop_is_not_served_by_a_truck_on_the_next_street_20_m_off() -> None:
    """Door to door along the parallel street 22 m away, fixes every 10 s with 8 m noise come
    within 20 m of the stop; they are nearer that street than the stop, and do not serve it.
    Standing at the stop two minutes does."""
    beside = [(-100, 22, 0), (200, 22, 180), (200, 22, 1500)]
    said = [stop_status(STOP_PLACE, *timed_drive(beside, 10, 8.0, seed)) for seed in range(20)]
    assert "served" not in said
    at_stop = [(-100, 0, 0), (40, 0, 25), (40, 0, 120), (200, 0, 25), (200, 0, 1500)]
    said = [stop_status(STOP_PLACE, *timed_drive(at_stop, 10, 8.0, seed)) for seed in range(20)]
    assert said.count("served") == 20


def test_a_route_without_pings_is_unknown_once_due_and_pending_before() -> None:
    route = one_job_route("P1", "stop")
    places = {"P1": StopPlace(edge=0, offset_m=10.0, length_m=20.0, xy=(0.0, 0.0))}
    early = local_moment(DAY, START_S + 60, TZ)
    before = route_progress(route, DAY, places, [], early, None, tz=TZ)
    assert [(s.status, s.reason, s.eta is not None) for s in before.stops] == [
        ("pending", None, True)
    ]
    for now in (local_moment(DAY, START_S + 400, TZ), NIGHT):
        after = route_progress(route, DAY, places, [], now, None, tz=TZ)
        assert [(s.status, s.reason) for s in after.stops] == [("unknown", NO_SIGNAL)]
        assert after.counts() == {"served": 0, "missed": 0, "pending": 0, "unknown": 1}
        assert after.to_dict()["stops"][0]["reason"] == NO_SIGNAL


def test_at_without_an_offset_is_the_area_local_time() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert moment_at("2026-12-01T07:50:00", TZ, now) == datetime(2026, 12, 1, 12, 50, tzinfo=UTC)
    assert moment_at("2026-12-01T07:50", TZ, now) == datetime(2026, 12, 1, 12, 50, tzinfo=UTC)
    assert moment_at("2026-12-01T07:50:00Z", TZ, now) == datetime(2026, 12, 1, 7, 50, tzinfo=UTC)
    assert moment_at("2026-12-01T07:50:00-03:00", TZ, now) == datetime(
        2026, 12, 1, 10, 50, tzinfo=UTC
    )
    assert moment_at(None, TZ, now) == now


@dataclass
class Stored:
    client: TestClient
    plan_id: int
    day: DayPlan


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    """Florencia de Mora's door-to-door day, stored with no device assigned to its trucks."""
    folder = tmp_path_factory.mktemp("truth")
    mp = pytest.MonkeyPatch()
    mp.setenv("BASURACERO_CACHE_DIR", str(folder / "cache"))
    day = plan_day(DayInputs.of_area(AREA), DayRequest(service_date=DAY, time_limit_s=2, seed=0),
                   area=AREA)  # fmt: skip
    with TestClient(create_app(make_settings(f"sqlite:///{folder / 'fleet.db'}"))) as client:
        body = {"date": DAY.isoformat(), "plan": day.document}
        created = client.post("/api/v1/plans", json=body, headers=admin_headers())
        assert created.status_code == 201, created.text
        yield Stored(client, created.json()["id"], day)
    mp.undo()


def test_progress_reads_at_in_lima_time_and_counts_unknown(stored: Stored) -> None:
    url = f"/api/v1/plans/{stored.plan_id}/progress"
    dawn = stored.client.get(url, params={"at": "2026-11-30T05:00:00"}).json()
    assert dawn["at"] == "2026-11-30T10:00:00Z"  # 05:00 in Lima, not 05:00 UTC
    assert dawn["totals"]["pending"] > 0 and dawn["totals"]["unknown"] == 0
    assert set(dawn["totals"]) == {"served", "missed", "pending", "unknown"}
    night = stored.client.get(url, params={"at": "2026-11-30T22:00:00"}).json()
    jobs = sum(dawn["totals"].values())
    assert night["totals"] == {"served": 0, "missed": 0, "pending": 0, "unknown": jobs}
    stops = [s for route in night["routes"] for s in route["stops"]]
    assert {s["reason"] for s in stops} == {NO_SIGNAL}
    assert all(route["unknown"] == len(route["stops"]) for route in night["routes"])


def test_missed_csv_lists_every_unserved_job_with_its_waste(stored: Stored) -> None:
    text = stored.client.get(f"/api/v1/plans/{stored.plan_id}/missed.csv",
                             params={"at": "2026-11-30T22:00:00"}).text  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    header = text.splitlines()[0].split(",")
    assert header[:6] == ["id", "lon", "lat", "street", "missed_vehicle", "planned_at"]
    assert header == list(UNSERVED_COLUMNS)
    assert header[6:] == ["status", "reason", "kind", "task", "stream", "kg", "m3", "date"]
    places = stored.day.document["places"]
    jobs = {v["id"] for r in stored.day.document["routes"] for v in r["visits"]
            if v["kind"] in ("stop", "street")}  # fmt: skip
    assert {r["id"] for r in rows} == jobs
    for row in rows:
        assert row["status"] == "unknown" and row["reason"] == NO_SIGNAL
        assert row["planned_at"].startswith("2026-11-30T") and row["planned_at"].endswith("-05:00")
        assert float(row["kg"]) > 0 and float(row["m3"]) > 0 and row["stream"] == "mixed"
        assert row["date"] == DAY.isoformat()
        assert row["kind"] == places[row["id"]]["kind"]
        if row["kind"] == "street":
            assert row["task"] == places[row["id"]]["task"] and row["task"]
        else:
            assert row["task"] == ""
    planned = {r["id"]: r["planned_at"] for r in rows}
    first = stored.day.document["routes"][0]["visits"][1]
    local = local_moment(DAY, first["arrival_s"], TZ).isoformat()
    assert planned[first["id"]] == local  # e.g. 2026-11-30T07:14:09-05:00


def test_an_evening_hour_is_local_too(stored: Stored) -> None:
    """22:00 in Lima is 03:00 UTC the next day: the day is over for every route."""
    report = stored.client.get(f"/api/v1/plans/{stored.plan_id}/progress",
                               params={"at": "2026-11-30T22:00:00-05:00"}).json()  # fmt: skip
    assert report["at"] == (datetime(2026, 11, 30, 22, tzinfo=TZ) + timedelta(0)).astimezone(
        UTC
    ).isoformat().replace("+00:00", "Z")
    assert all(route["finished"] for route in report["routes"])
