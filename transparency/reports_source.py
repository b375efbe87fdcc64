"""Residents' reports as the figures and the open data need them, read from the reports table.

The reports module (``basuracero.fleet.reports``) may provide either function itself; until it
does, its ``reports`` table is read here, columns checked first: without the module or those
columns the counts are zero and the CSV is its header, never an error. A report rejected by
moderation or merged into another is not counted (spam and duplicates); "resolved" is the
moderators' state, with the time it was closed. No contact data leaves this module: a report
is its kind, its street and its times.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select

from basuracero.fleet.store import Store, from_us, to_us
from basuracero.planning.day_facts import ResidentReport

NEEDED = {"area", "service_code", "state", "requested_us", "closed_us", "street"}
NOT_COUNTED = ("rejected", "merged")
RESOLVED = "resolved"


def _module() -> Any:
    try:
        from basuracero.fleet import reports as module  # type: ignore[attr-defined]
    except ImportError:
        return None
    return module


def _table() -> Table | None:
    table = getattr(_module(), "reports", None)
    if not isinstance(table, Table) or not set(table.c.keys()) >= NEEDED:
        return None
    return table


def reports_for_figures(
    store: Store, *, area: str, since: datetime, until: datetime
) -> tuple[list[ResidentReport], list[ResidentReport]]:
    """(received, resolved) in ``[since, until)``: the reports received then, and those resolved
    then (whenever received)."""
    own = getattr(_module(), "reports_for_figures", None)
    if own is not None:
        received, resolved = own(store, area=area, since=since, until=until)
        return list(received), list(resolved)
    table = _table()
    if table is None:
        return [], []
    low, high = to_us(since), to_us(until)
    counted = (table.c.area == area) & table.c.state.notin_(NOT_COUNTED)
    with store.engine.connect() as conn:
        got = conn.execute(
            select(table.c.requested_us, table.c.closed_us, table.c.state).where(
                counted & (table.c.requested_us >= low) & (table.c.requested_us < high)
            )
        ).all()
        done = conn.execute(
            select(table.c.requested_us, table.c.closed_us).where(
                counted & (table.c.state == RESOLVED)
                & (table.c.closed_us >= low) & (table.c.closed_us < high)
            )
        ).all()  # fmt: skip
    return (
        [ResidentReport(received_at=from_us(r.requested_us)) for r in got],
        [ResidentReport(received_at=from_us(r.requested_us), resolved_at=from_us(r.closed_us))
         for r in done],
    )  # fmt: skip


def reports_for_open_data(
    store: Store, *, area: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The reports received in ``[since, until)``: kind, street, received, resolved, status."""
    own = getattr(_module(), "reports_for_open_data", None)
    if own is not None:
        return list(own(store, area=area, since=since, until=until))
    table = _table()
    if table is None:
        return []
    query = (
        select(table.c.service_code, table.c.street, table.c.requested_us, table.c.closed_us,
               table.c.state)
        .where((table.c.area == area) & table.c.state.notin_(NOT_COUNTED)
               & (table.c.requested_us >= to_us(since)) & (table.c.requested_us < to_us(until)))
        .order_by(table.c.requested_us)
    )  # fmt: skip
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "category": r.service_code,
            "street": r.street,
            "received_at": from_us(r.requested_us),
            "resolved_at": from_us(r.closed_us) if r.state == RESOLVED and r.closed_us else None,
            "status": "closed" if r.state == RESOLVED else "open",
        }
        for r in rows
    ]
