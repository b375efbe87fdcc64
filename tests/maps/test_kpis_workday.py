"""Each crew's working day said plainly: departure, return, hours, the spread between crews, and
a notice (Spanish by default) when a shift-paid crew is free for more than an hour of its shift
or the work is not shared within the fleet's balance share."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

from typer.testing import CliRunner

from basuracero.cli import app
from basuracero.cli.plan_cmd import workday_lines
from basuracero.maps.day import DayView
from basuracero.maps.i18n import get_lang
from basuracero.maps.kpis import crew_notices, day_kpis, kpi_rows
from basuracero.maps.plan_map import plan_map_html
from basuracero.maps.sheets import sheet_context, sheet_html
from basuracero.routing.plan import Plan, Route, Visit
from basuracero.routing.workday import plan_crew_days, spread

H = 3600
SHIFT = {"crew_pay": "shift", "shift_start_s": 6 * H, "shift_end_s": 14 * H}

# kpis.json keys programs already read: they stay.
CONTRACT_KEYS = {
    "date", "km", "hours", "kg_total", "kg_by_stream", "diversion_rate", "stops_served",
    "streets_served", "street_km_served", "stops_unassigned", "trucks_used", "trucks_available",
    "unloads", "fuel_l", "co2_kg", "factors", "routes", "attribution",
}  # fmt: skip
ROUTE_KEYS = {"vehicle_id", "km", "hours", "kg", "stops", "streets", "unloads", "start", "end",
              "fuel_l"}  # fmt: skip


def route(vid: str, out_s: int, back_s: int) -> Route:
    visits = (
        Visit("depot_start", "D", out_s, out_s, 0, 0.0),
        Visit("depot_end", "D", back_s, back_s, 0, 0.0),
    )
    return Route(vid, visits, distance_m=10_000, duration_s=back_s - out_s, cost=0.0)


def hand_made(routes: list[Route], crews: dict, limit: float | None = 0.25) -> Plan:
    return Plan(tuple(routes), (), {"crews": crews, "balance": {"limit": limit}})


def notices(plan: Plan, code: str = "es") -> list[str]:
    return workday_lines(plan, get_lang(code))[1]


def test_a_crew_home_early_is_free_part_of_its_shift() -> None:
    plan = hand_made(
        [route("C1", 6 * H, 13 * H + 30 * 60), route("C2", 6 * H, 10 * H + 50 * 60)],
        {"C1": SHIFT, "C2": SHIFT},
        limit=None,
    )
    # C1 is back 30 min before the shift end: not reported; C2 3 h 10 min early.
    assert notices(plan) == [
        "C2 queda libre 3 h 10 min de su turno (06:00–14:00): regresa a las 10:50"
    ]
    assert notices(plan, "en") == [
        "C2 is free 3 h 10 min of its shift (06:00–14:00): back at 10:50"
    ]


def test_a_late_departure_counts_as_free_time() -> None:
    # 1 h 30 min before leaving and 10 min at the end (too short to name on its own).
    plan = hand_made([route("C1", 7 * H + 30 * 60, 13 * H + 50 * 60)], {"C1": SHIFT})
    assert notices(plan) == [
        "C1 queda libre 1 h 40 min de su turno (06:00–14:00): sale a las 07:30"
    ]
    both = hand_made([route("C1", 7 * H, 13 * H)], {"C1": SHIFT})
    assert notices(both) == [
        "C1 queda libre 2 h 00 min de su turno (06:00–14:00): sale a las 07:00 y regresa a "
        "las 13:00"
    ]


def test_crews_paid_by_the_hour_or_of_unknown_shift_are_not_reported() -> None:
    hourly = {**SHIFT, "crew_pay": "hour"}
    plan = hand_made([route("K1", 8 * H, 10 * H), route("K2", 8 * H, 10 * H)],
                     {"K1": hourly}, limit=None)  # fmt: skip
    assert notices(plan) == []
    summary, _ = workday_lines(plan)
    assert summary == "Reparto entre cuadrillas: la ruta más larga (K1, 2 h 00 min) supera en " \
        f"{get_lang('es').percent(0)} a la media (2 h 00 min)"  # fmt: skip


def test_work_not_shared_within_the_balance_share_says_so() -> None:
    plan = hand_made(
        [route("C1", 6 * H, 13 * H), route("C2", 6 * H, 9 * H)],
        {"C1": SHIFT, "C2": SHIFT},
        limit=0.25,
    )
    es = get_lang("es")
    found = spread(plan_crew_days(plan), 0.25)
    assert found is not None and not found.met and round(found.share, 2) == 0.4
    texts = notices(plan)
    assert texts[-1] == (
        "El trabajo no queda repartido como se pidió: la ruta más larga (C1, 7 h 00 min) "
        f"supera en {es.percent(0.4)} a la media (5 h 00 min); el límite es {es.percent(0.25)}"
    )
    kinds = [n["kind"] for n in crew_notices(plan_crew_days(plan), found, es)]
    assert kinds == ["crew_idle", "balance_not_met"]  # C1: exactly 1 h free, not more
    shared = hand_made([route("C1", 6 * H, 13 * H), route("C2", 6 * H, 12 * H)],
                       {"C1": SHIFT, "C2": SHIFT})  # fmt: skip
    assert all("repartido" not in t for t in notices(shared))


def test_kpis_keep_their_keys_and_add_the_working_day(demo_day: DayView) -> None:
    kpis = day_kpis(demo_day)
    assert set(kpis) >= CONTRACT_KEYS
    assert {"first_departure", "last_return", "spread", "notices"} <= set(kpis)
    for row, view in zip(kpis["routes"], demo_day.routes, strict=True):
        assert set(row) >= ROUTE_KEYS
        out_s, back_s = view.shift
        assert row["departure"] == get_lang("es").clock(out_s)
        assert row["return"] == get_lang("es").clock(back_s)
        assert row["work_hours"] == round((back_s - out_s) / H, 2)
        # The bundled fleet pays its crews by the shift, 06:00-14:00.
        assert (row["crew_pay"], row["shift_start"], row["shift_end"]) == ("shift", "06:00",
                                                                          "14:00")  # fmt: skip
        assert row["idle_hours"] == round(((out_s - 6 * H) + (14 * H - back_s)) / H, 2)
    spread_ = kpis["spread"]
    hours = [r["work_hours"] for r in kpis["routes"]]
    assert abs(spread_["longest_h"] - max(hours)) < 0.01
    assert abs(spread_["share"] - (max(hours) / (sum(hours) / len(hours)) - 1)) < 0.01
    idle = [r["vehicle_id"] for r in kpis["routes"] if r["idle_hours"] > 1]
    assert [n["vehicle_id"] for n in kpis["notices"] if n["kind"] == "crew_idle"] == idle
    assert all("queda libre" in n["text"] for n in kpis["notices"] if n["kind"] == "crew_idle")
    labels = dict(kpi_rows(kpis, get_lang("es")))
    assert labels["Primera salida"] == kpis["first_departure"]
    assert labels["Último regreso"] == kpis["last_return"]


def test_the_sheet_prints_departure_return_and_hours(demo_day: DayView) -> None:
    route_ = demo_day.routes[0]
    context = sheet_context(demo_day, route_, get_lang("es"))
    out_s, back_s = route_.shift
    assert context["shift"] == "06:00–14:00"  # the crew's shift, not the route's hours
    assert (context["departure"], context["return_time"]) == (
        get_lang("es").clock(out_s), get_lang("es").clock(back_s))  # fmt: skip
    html = sheet_html(demo_day, route_, get_lang("es"))
    assert f"Salida: <b>{context['departure']}</b>" in html
    assert f"Regreso: <b>{context['return_time']}</b>" in html
    assert f"Horas de trabajo: <b>{get_lang('es').duration(back_s - out_s)}</b>" in html
    assert "Departure" in sheet_html(demo_day, route_, get_lang("en"))


def test_the_plan_command_prints_the_working_day(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BASURACERO_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "plan.json"
    args = ["plan", "--out", str(out), "--time-limit", "3", "--quiet", "--date", "2026-12-01"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = result.output
    for heading in ("Camión", "Salida", "Regreso", "Horas"):
        assert heading in text
    document = json.loads(out.read_text(encoding="utf-8"))
    plan = Plan.from_dict(document)
    assert set(document["stats"]["crews"]) == {r.vehicle_id for r in plan.routes}
    for r in plan.routes:
        out_s, back_s = r.visits[0].departure_s, r.visits[-1].arrival_s
        minutes = round((back_s - out_s) / 60)
        hours = f"{minutes // 60}:{minutes % 60:02d}"
        line = next(line for line in text.splitlines() if line.strip().startswith(r.vehicle_id))
        assert get_lang("es").clock(out_s) in line and get_lang("es").clock(back_s) in line
        assert hours in line
    assert "Reparto entre cuadrillas: la ruta más larga" in text
    # The demo's crews are home hours before their 14:00 shift end: the manager is told.
    for r in plan.routes:
        assert f"⚠ {r.vehicle_id} queda libre" in text
    english = CliRunner().invoke(app, [*args, "--lang", "en"])
    assert english.exit_code == 0, english.output
    assert "Departure" in english.output and "is free" in english.output


def test_the_managers_map_shows_hours_spread_and_notices(demo_day: DayView) -> None:
    html = unescape(plan_map_html(demo_day, get_lang("es"), tiles="none"))
    for r in demo_day.routes:
        out_s, back_s = r.shift
        es = get_lang("es")
        hours = f"{es.clock(out_s)}–{es.clock(back_s)} ({es.duration(back_s - out_s)})"
        assert hours in html, hours
    assert "Reparto entre cuadrillas: la ruta más larga" in html
    for notice in day_kpis(demo_day)["notices"]:
        assert notice["text"] in html


def test_an_unknown_language_is_refused_naming_the_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plan", "--lang", "fr", "--out", str(tmp_path / "p.json")])
    assert result.exit_code == 2
    assert "--lang 'fr': expected one of es, en" in result.output
    assert not (tmp_path / "p.json").exists()
