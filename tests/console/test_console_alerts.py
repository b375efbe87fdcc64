"""The live day's alerts, rule by rule (fleet/alerts.py is pure: no clock, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shapely.geometry import LineString

from basuracero.fleet.alerts import (
    OFF_ROUTE_S,
    TruckDay,
    behind,
    missed,
    no_signal,
    off_route,
    off_route_since,
    truck_alerts,
)

LIMA = ZoneInfo("America/Lima")
START = datetime(2026, 12, 2, 6, 0, tzinfo=LIMA).astimezone(UTC)
END = START + timedelta(hours=8)
PATH = LineString([(0, 0), (1000, 0)])


def day(**changes: object) -> TruckDay:
    return TruckDay(truck="C1", shift_start=START, shift_end=END, planned_path=PATH,
                    **changes)  # type: ignore[arg-type]  # fmt: skip


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def test_silence_counts_only_during_the_shift() -> None:
    assert no_signal(day(), at(4), LIMA) is None  # the shift is 4 min old
    first = no_signal(day(), at(6), LIMA)
    assert first is not None and "desde el inicio del turno (06:00)" in first.text
    fixes = {"fix_times": [at(60).timestamp()], "fix_xy": [(10.0, 0.0)]}
    assert no_signal(day(**fixes), at(64), LIMA) is None
    late = no_signal(day(**fixes), at(66), LIMA)
    assert late is not None and late.text == "Sin señal GPS desde las 07:00"  # local clock
    assert no_signal(day(**fixes), END + timedelta(minutes=30), LIMA) is None  # shift over


def test_off_route_needs_every_latest_fix_far_for_three_minutes() -> None:
    times = [at(m).timestamp() for m in (0, 1, 2, 3, 4, 5)]
    on_then_off = [5.0, 10.0, 80.0, 90.0, 120.0, 100.0]
    assert off_route_since(times, on_then_off) == times[2]  # off from 2 to 5 min: 3 min
    assert off_route_since(times[:5], on_then_off[:5]) is None  # 2 min off: a detour
    assert off_route_since(times, [*on_then_off[:5], 30.0]) is None  # back on the route
    assert off_route_since(times, [59.0] * 6) is None  # within 60 m: GPS error
    xy = [(100.0 * i, d) for i, d in enumerate(on_then_off)]
    alert = off_route(day(fix_times=times, fix_xy=xy), at(5), LIMA)
    assert alert is not None and alert.text.startswith("Fuera de su ruta desde las 06:02 (3 min")
    assert OFF_ROUTE_S == 180


def test_behind_and_missed_name_minutes_and_streets() -> None:
    assert behind(day(delay_s=29 * 60)) is None
    late = behind(day(delay_s=45 * 60))
    assert late is not None and late.text == "45 min de retraso sobre el plan"
    assert late.say("en") == "45 min behind the plan"
    streets = ["Calle A", "Calle B", "Calle A", "Calle C", "Calle D"]
    alert = missed(day(missed=streets))
    assert alert is not None and alert.text == "4 no atendidas: Calle A, Calle B, Calle C y 1 más"
    assert alert.say("en") == "4 not served: Calle A, Calle B, Calle C and 1 more"
    kinds = [a.kind for a in truck_alerts(day(delay_s=3600, missed=["Calle A"]), at(10), LIMA)]
    assert kinds == ["no_signal", "behind", "missed"]
