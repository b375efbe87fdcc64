"""The day's figures from hand-made evidence, every number worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from basuracero.planning.day_facts import (
    DayEvidence,
    JobOutcome,
    ResidentReport,
    Ticket,
    TruckTrack,
    day_figures,
)

DAY = date(2026, 11, 20)
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def job(job_id: str, status: str, *, kind: str = "street", length_m: float = 0.0,
        late: bool = False) -> JobOutcome:  # fmt: skip
    return JobOutcome(
        plan_id=1, vehicle="C1", job=job_id, kind=kind, street=f"Calle {job_id}",  # type: ignore[arg-type]
        length_m=length_m, status=status, late=late, planned_at=AT,  # type: ignore[arg-type]
        served_at=AT if status == "served" else None,
    )  # fmt: skip


def evidence(**changes) -> DayEvidence:
    base = {
        "area": "florencia-de-mora",
        "day": DAY,
        "plan_ids": (1,),
        "trucks_planned": 2,
        "jobs": (
            job("A", "served", length_m=400),
            job("B", "served", length_m=200, late=True),
            job("C", "missed", length_m=300),
            job("D", "unknown", length_m=100),
            job("S1", "served", kind="stop"),
            job("S2", "missed", kind="stop"),
        ),
        "tracks": (
            TruckTrack(vehicle="C1", fixes=900, km=31.5, hours=6.5),
            TruckTrack(vehicle="C2", fixes=1, km=0.0, hours=0.0),
        ),
        "tickets": (
            Ticket(site="RS-TRUJILLO", stream="mixed", net_kg=5000),
            Ticket(site="CR-EMAUS", stream="recyclables", net_kg=1250),
        ),
        "planned_kg_by_stream": {"mixed": 7000},
        "reports_received": (ResidentReport(received_at=AT),),
        "reports_resolved": (
            ResidentReport(received_at=AT - timedelta(hours=30), resolved_at=AT),
            ResidentReport(received_at=AT - timedelta(hours=2), resolved_at=AT),
            ResidentReport(received_at=AT - timedelta(hours=5), resolved_at=AT),
        ),
    }
    return DayEvidence(**(base | changes))


def test_a_hand_made_day_gives_its_known_figures() -> None:
    figures = day_figures(evidence())
    assert figures.streets.planned == 4
    assert (figures.streets.on_time, figures.streets.late, figures.streets.missed,
            figures.streets.unknown) == (1, 1, 1, 1)  # fmt: skip
    assert (figures.stops.planned, figures.stops.on_time, figures.stops.missed) == (2, 1, 1)
    assert figures.street_km_planned == 1.0
    assert figures.coverage_basis == "street_km"
    assert figures.coverage_pct == 60.0  # 0.4 + 0.2 km of 1.0 km; the unknown 0.1 km is not served
    assert figures.coverage_on_schedule_pct == 40.0
    assert figures.judged_pct == 90.0
    assert figures.trucks_out == 1  # one fix is a phone switched on, not a truck out
    assert figures.hours_worked == 6.5 and figures.km_driven == 31.5
    assert figures.diesel_l == 12.6  # 31.5 km x 0.40 L/km
    assert figures.co2_kg == 33.8  # 12.6 L x 2.68 kg/L
    assert figures.kg_by_stream == {"mixed": 5000, "recyclables": 1250}
    assert figures.kg_by_site == {"CR-EMAUS": 1250, "RS-TRUJILLO": 5000}
    assert figures.kg_source == "tickets" and figures.tickets == 2
    assert figures.diversion_pct == 20.0  # 1250 of 6250 kg kept out of the landfill
    assert figures.reports_received == 1 and figures.reports_resolved == 3
    assert figures.median_resolution_h == 5.0


def test_without_tickets_the_tonnes_are_the_plans_estimate() -> None:
    figures = day_figures(evidence(tickets=()))
    assert figures.kg_source == "estimate"
    assert figures.kg_by_stream == {"mixed": 7000} and figures.kg_by_site == {}
    assert figures.diversion_pct == 0.0


def test_a_day_without_gps_verdicts_has_no_coverage_figure() -> None:
    silent = (
        *tuple(job(j, "unknown", length_m=100) for j in ("A", "B")),
        job("S1", "unknown", kind="stop"),
    )
    figures = day_figures(evidence(jobs=silent, tracks=()))
    assert figures.coverage_pct is None and figures.coverage_on_schedule_pct is None
    assert figures.judged_pct == 0.0
    assert figures.trucks_out == 0 and figures.km_driven == 0 and figures.co2_kg == 0


def test_point_stops_alone_give_coverage_by_stops() -> None:
    stops = (job("S1", "served", kind="stop"), job("S2", "served", kind="stop", late=True),
             job("S3", "missed", kind="stop"), job("S4", "pending", kind="stop"))  # fmt: skip
    figures = day_figures(evidence(jobs=stops))
    assert figures.coverage_basis == "stops"
    assert figures.coverage_pct == 50.0 and figures.coverage_on_schedule_pct == 25.0
    assert figures.stops.pending == 1


def test_an_empty_day_is_sin_datos_not_zero() -> None:
    figures = day_figures(DayEvidence(area="x", day=DAY))
    assert figures.coverage_basis == "none" and figures.coverage_pct is None
    assert figures.kg_source == "none" and figures.diversion_pct is None
    assert figures.median_resolution_h is None
