"""Shared names of the transparency tests (every test folder has its own conftest)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import SecretStr

from basuracero.fleet.settings import Settings
from basuracero.fleet.store import Store
from basuracero.service import create_app

ADMIN = "admin-secret-for-transparency-tests-0123"
AREA = "florencia-de-mora"


def make_app(store: Store):
    settings = Settings(database_url=store.url, admin_token=SecretStr(ADMIN))
    return create_app(settings, store)


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def seed_closed_days(store: Store, area: str, last: date, count: int, **figures: object) -> None:
    """``count`` closed days up to ``last``, their figures from hand-made evidence plus the
    given overrides (what a year of closing days leaves in the table)."""
    import json

    from basuracero.fleet.store import to_us
    from basuracero.planning.day_facts import DayEvidence, Ticket, day_figures
    from basuracero.transparency.records import day_closes

    now = to_us(datetime.now(UTC))
    rows = []
    for back in range(count):
        day = last - timedelta(days=back)
        evidence = DayEvidence(
            area=area,
            day=day,
            tickets=(
                Ticket(site="RS-TRUJILLO", stream="mixed", net_kg=9000 + back % 7 * 100),
                Ticket(site="CR-EMAUS", stream="recyclables", net_kg=500),
            ),
        )
        values = day_figures(evidence).to_dict() | figures
        rows.append({"area": area, "day": day.isoformat(), "figures_json": json.dumps(values),
                     "evidence_json": "{}", "facts_key": "seeded", "revision": 1,
                     "closed_us": now, "updated_us": now})  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(day_closes.insert(), rows)
