"""Open data: each area's Frictionless package, over HTTP and from the CLI, valid before any day
is closed (header-only CSVs) and after, with no personal data in it."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from day_fixtures import DAY, TICKETS, post_csv
from frictionless import validate
from transparency_helpers import AREA, admin
from typer.testing import CliRunner

from basuracero.cli import app as cli_app


def fetch_package(client, area: str, folder: Path) -> Path:
    """Download a package as a portal harvester would: the descriptor, then each resource by
    its relative path."""
    descriptor = client.get(f"/open-data/{area}/datapackage.json")
    assert descriptor.status_code == 200
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "datapackage.json").write_bytes(descriptor.content)
    for resource in descriptor.json()["resources"]:
        answer = client.get(f"/open-data/{area}/{resource['path']}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        (folder / resource["path"]).write_bytes(answer.content)
    return folder / "datapackage.json"


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_every_package_is_valid_before_any_day_is_closed(client, tmp_path: Path) -> None:
    page = client.get("/open-data/")
    assert page.status_code == 200
    linked = re.findall(r'href="/open-data/([a-z0-9-]+)/datapackage.json"', page.text)
    assert sorted(linked) == ["florencia-de-mora", "la-esperanza"]
    for area in linked:
        descriptor = fetch_package(client, area, tmp_path / area)
        report = validate(str(descriptor))
        assert report.valid, report.flatten(["type", "note"])
        package = json.loads(descriptor.read_text(encoding="utf-8"))
        assert package["licenses"][0]["name"] == "CC-BY-4.0" and package["sources"]
        for resource in package["resources"]:
            text = (descriptor.parent / resource["path"]).read_text(encoding="utf-8")
            assert text.count("\n") == 1  # the header alone
            fields = {f["name"]: f for f in resource["schema"]["fields"]}
            assert all(f["type"] for f in fields.values())
        daily = next(r for r in package["resources"] if r["name"] == "daily_figures")
        units = {f["name"]: f.get("unit") for f in daily["schema"]["fields"]}
        assert units["km_driven"] == "km" and units["kg_mixed"] == "kg"
        assert units["coverage_pct"] == "%"


def test_the_closed_day_exported_by_the_cli_is_valid_and_exact(
    day_world, stored_day, tmp_path: Path
) -> None:
    client, store = stored_day
    assert post_csv(client, TICKETS).status_code == 201
    runner = CliRunner()
    closed = runner.invoke(
        cli_app, ["close-day", "--area", AREA, "--date", DAY.isoformat(), "--db", store.url]
    )
    assert closed.exit_code == 0, closed.output
    assert "revisión 1" in closed.output
    out = tmp_path / "portal"
    exported = runner.invoke(cli_app, ["export", "open-data", "--area", AREA, "--since",
                                       "2026-11-01", "--until", "2026-11-30", "--db", store.url,
                                       "--out", str(out)])  # fmt: skip
    assert exported.exit_code == 0, exported.output
    report = validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    daily = rows(out / "daily_figures.csv")
    assert len(daily) == 1
    day = daily[0]
    assert day["date"] == DAY.isoformat() and day["revision"] == "1"
    assert day["kg_mixed"] == "4200" and day["kg_recyclables"] == "800"
    assert day["kg_source"] == "tickets" and day["diversion_pct"] == "16.0"
    assert int(day["streets_missed"]) == len(day_world["far"])
    weighings = rows(out / "weighings.csv")
    assert [(w["ticket"], w["net_kg"], w["stream"]) for w in weighings] == [
        ("BAL-101", "4200", "mixed"), ("EM-7", "800", "recyclables")]  # fmt: skip
    assert set(weighings[0]) == {
        "area",
        "date",
        "time",
        "site",
        "stream",
        "vehicle",
        "net_kg",
        "ticket",
    }  # fmt: skip  (a truck, never a driver)
    streets = rows(out / "street_service.csv")
    missed = {r["job"] for r in streets if r["status"] == "missed"}
    assert missed == set(day_world["far"])
    assert {r["job"] for r in streets if r["status"] in ("on_time", "late")} == set(
        day_world["driven"]
    )
    assert rows(out / "reports.csv") == []  # no report yet: the header alone
    # The same package over HTTP says the same.
    served = fetch_package(client, AREA, tmp_path / "http")
    assert validate(str(served)).valid
    assert rows(served.parent / "daily_figures.csv") == daily


def test_close_day_cli_names_a_bad_date(stored_day) -> None:
    _client, store = stored_day
    answer = CliRunner().invoke(
        cli_app, ["close-day", "--area", AREA, "--date", "19/11/2026", "--db", store.url]
    )
    assert answer.exit_code != 0 and "--date" in answer.output


def test_close_day_cli_names_an_unknown_area(stored_day) -> None:
    _client, store = stored_day
    answer = CliRunner().invoke(
        cli_app, ["close-day", "--area", "lima", "--date", DAY.isoformat(), "--db", store.url]
    )
    assert answer.exit_code != 0 and "--area" in answer.output


def test_the_admin_close_and_open_data_agree(stored_day) -> None:
    client, _store = stored_day
    body = client.post(f"/api/v1/days/{AREA}/{DAY.isoformat()}/close", headers=admin()).json()
    csv_text = client.get(f"/open-data/{AREA}/daily_figures.csv").text
    row = next(csv.DictReader(io.StringIO(csv_text)))
    assert float(row["km_driven"]) == body["figures"]["km_driven"]
    assert row["kg_source"] == "estimate"  # no ticket: the plan's kg, labelled
