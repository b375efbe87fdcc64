"""What a missed-collection report is told, from a plan and its GPS progress (pure rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from basuracero.planning.reports import VisitProgress, plan_answer, served_note

LIMA = ZoneInfo("America/Lima")
DAY = date(2026, 11, 30)
LINE = [[-79.0300, -8.0800], [-79.0290, -8.0800]]  # about 110 m along a parallel
DOCUMENT = {
    "places": {
        "S0007:0": {"kind": "street", "name": "Jr. Los Pinos", "task": "S0007", "line": LINE,
                    "lon": -79.0295, "lat": -8.08},
        "S0007:1": {"kind": "street", "name": "Jr. Los Pinos", "task": "S0007",
                    "line": LINE[::-1], "lon": -79.0295, "lat": -8.08},
    },
    "routes": [{"vehicle_id": "C2", "visits": [
        {"id": "S0007:0", "kind": "street", "arrival_s": 9 * 3600 + 10 * 60,
         "departure_s": 9 * 3600 + 14 * 60},
    ]}],
}  # fmt: skip


def answer(progress: dict, hour: int, *, lon: float = -79.0295, lat: float = -8.0802):  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 30, hour, 0, tzinfo=LIMA).astimezone(UTC)
    return plan_answer(plan_id=4, document=DOCUMENT, progress=progress, lon=lon, lat=lat,
                       street="Jr. Los Pinos", service_date=DAY, tz=LIMA, now=now)  # fmt: skip


def test_served_by_gps_says_when_and_by_which_truck() -> None:
    served = datetime(2026, 11, 30, 9, 42, tzinfo=LIMA)
    found = answer({"S0007:0": VisitProgress("served", served)}, 12)
    assert found.text == "planificada 9:00–9:30, camión C2, pasó a las 9:42 según GPS"
    assert (found.task, found.vehicle, found.plan_id, found.notice) == ("S0007", "C2", 4, None)


def test_before_the_window_ends_the_resident_is_told_when() -> None:
    found = answer({"S0007:0": VisitProgress("pending")}, 8)
    assert found.notice == "El camión pasa por su calle entre 9:00 y 9:30"
    assert found.text.endswith("aún no pasa")


def test_after_the_window_missed_or_unknown_as_the_gps_says() -> None:
    assert answer({"S0007:0": VisitProgress("missed")}, 12).text.endswith("no pasó según GPS")
    unknown = answer({"S0007:0": VisitProgress("unknown")}, 12).text
    assert unknown.endswith("sin datos suficientes del GPS")


def test_streets_not_planned_or_days_without_a_plan_say_so() -> None:
    far = answer({}, 12, lon=-79.0295, lat=-8.0810)  # 110 m away: another street
    assert far.text == "calle no planificada ese día" and far.task is None
    none = plan_answer(plan_id=None, document=None, progress={}, lon=0, lat=0, street=None,
                       service_date=DAY, tz=LIMA, now=datetime.now(UTC))  # fmt: skip
    assert none.text == "sin plan guardado para ese día"


def test_served_note_speaks_of_today_yesterday_or_the_date() -> None:
    now = datetime(2026, 11, 30, 18, 0, tzinfo=LIMA)
    assert (
        served_note(datetime(2026, 11, 30, 10, 14, tzinfo=LIMA), now, LIMA) == "Atendido: hoy 10:14"
    )
    assert (
        served_note(datetime(2026, 11, 29, 7, 5, tzinfo=LIMA), now, LIMA) == "Atendido: ayer 7:05"
    )
    assert served_note(datetime(2026, 11, 2, 7, 5, tzinfo=LIMA), now, LIMA) == (
        "Atendido: 02/11/2026 7:05"
    )
