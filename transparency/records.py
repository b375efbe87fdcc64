"""Closed days: their figures, the evidence they came from, and every revision with when and why.

A day is closed once (``close_day``); its figures are stored with the evidence behind them and a
key of that evidence. Closing it again recomputes from the stored facts and changes the figures
only when the facts changed; a late ticket re-counts the tonnes of its closed day at once. Each
change is a row of ``day_revisions``: when, why, and each figure's value before and after.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, select

from basuracero.errors import InputError
from basuracero.fleet.store import Store, from_us, metadata, to_us
from basuracero.planning.area import Area
from basuracero.planning.day_facts import (
    DayEvidence,
    DayFigures,
    JobOutcome,
    ResidentReport,
    Ticket,
    TruckTrack,
    day_figures,
)
from basuracero.transparency.gather import day_weighings, gather_evidence, ticket_of

day_closes = Table(
    "day_closes",
    metadata,
    Column("area", String(64), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("figures_json", Text, nullable=False),
    Column("evidence_json", Text, nullable=False),
    Column("facts_key", String(64), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("closed_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)

day_revisions = Table(
    "day_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("area", String(64), nullable=False, index=True),
    Column("day", String(10), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("changes_json", Text, nullable=False),
)


class DayNotOver(InputError):
    """A day that has not begun on the area's clock cannot be closed."""


@dataclass(frozen=True, kw_only=True)
class ClosedDay:
    area: str
    day: str
    figures: dict[str, Any]
    revision: int
    closed_at: datetime
    updated_at: datetime
    changed: bool = False  # this call changed the stored figures

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "date": self.day,
            "closed": True,
            "revision": self.revision,
            "closed_at": _iso(self.closed_at),
            "updated_at": _iso(self.updated_at),
            "changed": self.changed,
            "figures": self.figures,
        }


def close_day(
    store: Store, area: Area, day: date, *, now: datetime | None = None, reason: str | None = None
) -> ClosedDay:
    """Compute the day's figures from its stored facts and keep them; again: only on new facts."""
    now = now or datetime.now(UTC)
    if day > now.astimezone(area.tz).date():
        raise DayNotOver(f"{day.isoformat()} has not begun in {area.timezone}", field="date")
    evidence = gather_evidence(store, area, day, now=now)
    return _keep(store, evidence, now=now, reason=reason)


def refresh_tickets(store: Store, area: Area, day: date, *, reason: str) -> ClosedDay | None:
    """A ticket of a closed day arrived: re-count its tonnes from the day's stored evidence and
    the tickets now stored (None: the day is not closed, nothing to revise)."""
    found = _row(store, area.id, day.isoformat())
    if found is None:
        return None
    evidence = evidence_from_json(found["evidence_json"])
    tickets = tuple(ticket_of(w) for w in day_weighings(store, area, day))
    return _keep(store, replace(evidence, tickets=tickets), now=datetime.now(UTC), reason=reason)


def _keep(store: Store, evidence: DayEvidence, *, now: datetime, reason: str | None) -> ClosedDay:
    figures = day_figures(evidence).to_dict()
    text = evidence_to_json(evidence)
    key = hashlib.sha256(text.encode()).hexdigest()
    area, day = evidence.area, evidence.day.isoformat()
    with store.engine.begin() as conn:
        old = (
            conn.execute(
                select(day_closes).where((day_closes.c.area == area) & (day_closes.c.day == day))
            )
            .mappings()
            .first()
        )
        if old is not None and old["facts_key"] == key:
            return _closed(old)
        revision = 1 if old is None else int(old["revision"]) + 1
        before = {} if old is None else json.loads(old["figures_json"])
        values = {"figures_json": json.dumps(figures, ensure_ascii=False), "evidence_json": text,
                  "facts_key": key, "revision": revision, "updated_us": to_us(now)}  # fmt: skip
        if old is None:
            conn.execute(day_closes.insert().values(area=area, day=day, closed_us=to_us(now),
                                                    **values))  # fmt: skip
        else:
            conn.execute(
                day_closes.update()
                .where((day_closes.c.area == area) & (day_closes.c.day == day))
                .values(**values)
            )
        changes = changed_figures(before, figures)
        why = reason or ("cierre del día" if old is None else _facts_reason(old, evidence))
        conn.execute(
            day_revisions.insert().values(
                area=area, day=day, revision=revision, at_us=to_us(now), reason=why,
                changes_json=json.dumps(changes, ensure_ascii=False),
            )
        )  # fmt: skip
        row = (
            conn.execute(
                select(day_closes).where((day_closes.c.area == area) & (day_closes.c.day == day))
            )
            .mappings()
            .one()
        )
    return replace(_closed(row), changed=True)


def changed_figures(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Each figure whose value changed: ``{name: [before, after]}`` (all of them at first)."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _facts_reason(old: Mapping[str, Any], new: DayEvidence) -> str:
    """Which kinds of facts differ from those of the stored figures (when no reason is given)."""
    was = json.loads(old["evidence_json"])
    now = json.loads(evidence_to_json(new))
    parts = {"plan_ids": "plan", "jobs": "GPS de los recorridos", "tracks": "GPS (km y horas)",
             "tickets": "tickets de balanza", "reports_received": "reportes",
             "reports_resolved": "reportes"}  # fmt: skip
    kinds = sorted({label for key, label in parts.items() if was.get(key) != now.get(key)})
    return "hechos nuevos: " + (", ".join(kinds) or "otros")


def closed_day(store: Store, area: str, day: date) -> ClosedDay | None:
    found = _row(store, area, day.isoformat())
    return None if found is None else _closed(found)


def closed_days(
    store: Store, *, areas: Iterable[str] | None = None, since: date, until: date
) -> list[tuple[str, str, dict[str, Any]]]:
    """(area, day, figures) of the closed days in ``[since, until]``, by day then area."""
    query = select(
        day_closes.c.area, day_closes.c.day, day_closes.c.figures_json, day_closes.c.revision
    ).where((day_closes.c.day >= since.isoformat()) & (day_closes.c.day <= until.isoformat()))
    if areas is not None:
        query = query.where(day_closes.c.area.in_(sorted(areas)))
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(day_closes.c.day, day_closes.c.area)).all()
    return [(r.area, r.day, {**json.loads(r.figures_json), "revision": r.revision}) for r in rows]


def closed_jobs(
    store: Store, *, area: str, since: date, until: date
) -> list[tuple[str, list[dict[str, Any]]]]:
    """(day, jobs) of an area's closed days: what the GPS said of each planned street and stop."""
    query = select(day_closes.c.day, day_closes.c.evidence_json).where(
        (day_closes.c.area == area)
        & (day_closes.c.day >= since.isoformat())
        & (day_closes.c.day <= until.isoformat())
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(day_closes.c.day)).all()
    return [(r.day, json.loads(r.evidence_json)["jobs"]) for r in rows]


def revisions(store: Store, area: str, day: date) -> list[dict[str, Any]]:
    query = (
        select(day_revisions)
        .where((day_revisions.c.area == area) & (day_revisions.c.day == day.isoformat()))
        .order_by(day_revisions.c.revision)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        {
            "revision": r["revision"],
            "at": _iso(from_us(r["at_us"])),
            "reason": r["reason"],
            "changes": json.loads(r["changes_json"]),
        }
        for r in rows
    ]


def _row(store: Store, area: str, day: str) -> Mapping[str, Any] | None:
    with store.engine.connect() as conn:
        return (
            conn.execute(
                select(day_closes).where((day_closes.c.area == area) & (day_closes.c.day == day))
            )
            .mappings()
            .first()
        )


def _closed(row: Mapping[str, Any]) -> ClosedDay:
    return ClosedDay(
        area=row["area"], day=row["day"], figures=json.loads(row["figures_json"]),
        revision=int(row["revision"]), closed_at=from_us(row["closed_us"]),
        updated_at=from_us(row["updated_us"]),
    )  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- evidence as JSON ----------------------------------------------------------------------------
def evidence_to_json(evidence: DayEvidence) -> str:
    """Canonical JSON (sorted keys, ISO times): the same facts always give the same text."""
    return json.dumps(asdict(evidence), default=_default, sort_keys=True, ensure_ascii=False)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value) if value.microsecond == 0 else value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def evidence_from_json(text: str) -> DayEvidence:
    raw = json.loads(text)

    def moment(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))

    return DayEvidence(
        area=raw["area"],
        day=date.fromisoformat(raw["day"]),
        plan_ids=tuple(raw["plan_ids"]),
        trucks_planned=raw["trucks_planned"],
        jobs=tuple(
            JobOutcome(
                **{**j, "planned_at": moment(j["planned_at"]), "served_at": moment(j["served_at"])}
            )
            for j in raw["jobs"]
        ),
        tracks=tuple(TruckTrack(**t) for t in raw["tracks"]),
        tickets=tuple(Ticket(**t) for t in raw["tickets"]),
        planned_kg_by_stream=dict(raw["planned_kg_by_stream"]),
        reports_received=tuple(
            ResidentReport(
                received_at=moment(r["received_at"]),  # type: ignore[arg-type]
                resolved_at=moment(r["resolved_at"]),
            )
            for r in raw["reports_received"]
        ),
        reports_resolved=tuple(
            ResidentReport(
                received_at=moment(r["received_at"]),  # type: ignore[arg-type]
                resolved_at=moment(r["resolved_at"]),
            )
            for r in raw["reports_resolved"]
        ),
    )


def figures_now(store: Store, area: Area, day: date, *, now: datetime | None = None) -> dict:
    """A closed day's stored figures, or today's (any open day's) computed on demand."""
    stored = closed_day(store, area.id, day)
    if stored is not None:
        return stored.to_dict()
    now = now or datetime.now(UTC)
    figures: DayFigures = day_figures(gather_evidence(store, area, day, now=now))
    return {"area": area.id, "date": day.isoformat(), "closed": False,
            "at": _iso(now), "figures": figures.to_dict()}  # fmt: skip
