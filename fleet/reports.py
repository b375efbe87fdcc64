"""Residents' reports and their photos: durable storage on the service's own database.

A report and its photo are written in one transaction that commits before the client hears
"201": a crash after the answer loses nothing, a crash before it leaves nothing half-written.
Photos live in the database (``report_photos``), not in a folder beside it: they are small once
re-encoded (a few hundred kB), the one backup of the database then holds everything a report
is, and the same code runs on SQLite and PostgreSQL without a shared disk between workers.

Moderation has its own ``state`` (new, accepted, rejected, merged, resolved); the Open311
``status`` (open, closed) follows from it and is stored beside it so that the public list can be
filtered by an index.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from basuracero.fleet.store import metadata, to_us

NEW, ACCEPTED, REJECTED, MERGED, RESOLVED = "new", "accepted", "rejected", "merged", "resolved"
OPEN_STATES = (NEW, ACCEPTED)
STATES = (NEW, ACCEPTED, REJECTED, MERGED, RESOLVED)

reports = Table(
    "reports",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("area", String(64), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status", String(8), nullable=False),  # Open311: open | closed
    Column("token", String(64), nullable=False, unique=True),
    Column("requested_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("service_date", String(10), nullable=False),  # the area's local date of the report
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("address_string", String(300)),
    Column("street", String(200)),  # the area's street it was matched to (nearest within 60 m)
    Column("edge", Integer),  # that street's edge in the area's street graph
    Column("description", Text, nullable=False, default=""),
    Column("email", String(254)),
    Column("phone", String(40)),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("api_key_sha256", String(64)),
    Column("service_notice", Text),
    Column("plan_answer", Text),  # "planificada 9:00–11:00, camión C2, pasó a las 9:42 según GPS"
    Column("plan_id", Integer),
    Column("vehicle", String(200)),
    Column("task", String(64)),  # the street task of that plan
    Column("window_end_us", BigInteger),  # when the planned window on that street ends
    Column("served_us", BigInteger),  # when GPS showed the street served
    Column("status_notes", Text),
    Column("reason", Text),  # why a moderator rejected it
    Column("merged_into", BigInteger),
    Column("closed_us", BigInteger),
    Column("volume_m3", Float),  # a dump's volume, as estimated
    Column("has_photo", Integer, nullable=False, default=0),
    Index("ix_reports_area_requested", "area", "requested_us"),
    Index("ix_reports_area_status_requested", "area", "status", "requested_us"),
    Index("ix_reports_area_service_requested", "area", "service_code", "requested_us"),
    Index("ix_reports_area_state", "area", "state"),
    Index("ix_reports_area_date", "area", "service_date"),  # a day's duplicates, to merge
)

report_photos = Table(
    "report_photos",
    metadata,
    Column("report_id", ForeignKey("reports.id"), primary_key=True),
    Column("media_type", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)


@dataclass(frozen=True)
class Photo:
    media_type: str
    data: bytes


@dataclass(frozen=True)
class ReportQuery:
    """The public list's filters (Open311 ``GET /requests.json``) and its page."""

    area: str
    ids: tuple[int, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = 50
    include_hidden: bool = False  # moderators see rejected reports too
    states: tuple[str, ...] = ()


def status_of(state: str) -> str:
    return "open" if state in OPEN_STATES else "closed"


class ReportStore:
    """Every read and write of reports; one short transaction each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, row: dict[str, Any], photo: Photo | None) -> dict[str, Any]:
        """Store a report (and its photo) and return it as stored, committed."""
        values = {
            **row,
            "state": NEW,
            "status": "open",
            "token": secrets.token_urlsafe(16),
            "updated_us": row["requested_us"],
            "has_photo": int(photo is not None),
        }
        with self.engine.begin() as conn:
            report_id = conn.execute(reports.insert().values(**values)).inserted_primary_key[0]
            if photo is not None:
                conn.execute(report_photos.insert().values(
                    report_id=report_id, media_type=photo.media_type, data=photo.data
                ))  # fmt: skip
        found = self.get(int(report_id))
        assert found is not None
        return found

    def get(self, report_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(reports).where(reports.c.id == report_id)).mappings().first()
        return None if row is None else dict(row)

    def by_token(self, token: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(reports).where(reports.c.token == token)).mappings().first()
        return None if row is None else dict(row)

    def photo(self, report_id: int) -> Photo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(report_photos.c.media_type, report_photos.c.data).where(
                    report_photos.c.report_id == report_id
                )
            ).first()
        return None if row is None else Photo(row.media_type, bytes(row.data))

    def find(self, query: ReportQuery) -> tuple[list[dict[str, Any]], int]:
        """One page of reports, newest first, and how many match in all."""
        where = [reports.c.area == query.area]
        if query.ids:
            where.append(reports.c.id.in_(query.ids))
        if query.service_codes:
            where.append(reports.c.service_code.in_(query.service_codes))
        if query.statuses:
            where.append(reports.c.status.in_(query.statuses))
        if query.states:
            where.append(reports.c.state.in_(query.states))
        if not query.include_hidden:
            where.append(reports.c.state != REJECTED)
        if query.start is not None:
            where.append(reports.c.requested_us >= to_us(query.start))
        if query.end is not None:
            where.append(reports.c.requested_us <= to_us(query.end))
        condition = and_(*where)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(reports).where(condition))
            rows = conn.execute(
                select(reports)
                .where(condition)
                .order_by(reports.c.requested_us.desc(), reports.c.id.desc())
                .limit(query.page_size)
                .offset((query.page - 1) * query.page_size)
            ).mappings()
            return [dict(r) for r in rows], int(total.scalar() or 0)

    def open_reports(self, area: str, *, limit: int = 500) -> list[dict[str, Any]]:
        """Open reports of an area with a street, oldest first (what auto-closing looks at)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reports)
                .where(reports.c.area == area, reports.c.status == "open")
                .order_by(reports.c.requested_us)
                .limit(limit)
            ).mappings()
            return [dict(r) for r in rows]

    def accepted_for_plan(self, area: str, codes: Sequence[str]) -> list[dict[str, Any]]:
        """Accepted, unresolved reports of these services: what the next plan must serve."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reports)
                .where(
                    reports.c.area == area,
                    reports.c.state == ACCEPTED,
                    reports.c.service_code.in_(list(codes)),
                )
                .order_by(reports.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def change(
        self, report_id: int, *, expect_states: Sequence[str], now: datetime, **values: Any
    ) -> dict[str, Any] | None:
        """Move a report on (state, notes, ...) if it is still in one of ``expect_states``;
        None when it was not (another moderator was first): nothing is written then."""
        state = values.get("state")
        if state is not None:
            values["status"] = status_of(state)
            if values["status"] == "closed":
                values.setdefault("closed_us", to_us(now))
        with self.engine.begin() as conn:
            done = conn.execute(
                update(reports)
                .where(reports.c.id == report_id, reports.c.state.in_(list(expect_states)))
                .values(**values, updated_us=to_us(now))
            )
            if not done.rowcount:
                return None
        return self.get(report_id)

    def insert_many(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Bulk rows as they are (benchmarks and tests seed the table with this)."""
        conn.execute(reports.insert(), rows)

    def duplicates_of(
        self, rows: Sequence[dict[str, Any]], *, limit: int = 20
    ) -> dict[int, list[dict[str, Any]]]:
        """Per report, the reports it may be merged into: same area, service, street and day,
        neither rejected nor merged themselves, newest first (one query for a page of them)."""
        if not rows:
            return {}
        areas = sorted({r["area"] for r in rows})
        days = sorted({r["service_date"] for r in rows})
        codes = sorted({r["service_code"] for r in rows})
        with self.engine.connect() as conn:
            found = conn.execute(
                select(reports)
                .where(
                    reports.c.area.in_(areas),
                    reports.c.service_date.in_(days),
                    reports.c.service_code.in_(codes),
                    reports.c.state.not_in([REJECTED, MERGED]),
                )
                .order_by(reports.c.requested_us.desc(), reports.c.id.desc())
            ).mappings()
            by_place: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
            for other in found:
                key = (other["area"], other["service_code"], other["service_date"], other["street"])
                by_place.setdefault(key, []).append(dict(other))
        place = ("area", "service_code", "service_date", "street")
        return {
            r["id"]: [
                o for o in by_place.get(tuple(r[k] for k in place), []) if o["id"] != r["id"]
            ][:limit]
            for r in rows
        }

    def count_new(self, area: str) -> int:
        """New reports of an area (the console's badge: one index lookup)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.count())
                .select_from(reports)
                .where(reports.c.area == area, reports.c.state == NEW)
            )
            return int(found.scalar() or 0)

    def count_states(self, area: str) -> dict[str, int]:
        """How many reports of an area are in each moderation state (absent: none)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reports.c.state, func.count())
                .where(reports.c.area == area)
                .group_by(reports.c.state)
            )
            return {str(state): int(count) for state, count in rows}


# Moderation: the rules of moving a report on, shared by the admin API and the console page.


class ModerationRefused(Exception):
    """A moderation step not taken: HTTP status, a message for people, the field at fault.
    Each caller answers it in its own way (the API's error shape, a console page)."""

    def __init__(self, status: int, message: str, field: str = "report_id") -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def existing_report(store: ReportStore, report_id: int) -> dict[str, Any]:
    row = store.get(report_id)
    if row is None:
        raise ModerationRefused(404, f"no report {report_id}")
    return row


def move_report(
    store: ReportStore, report_id: int, states: tuple[str, ...], *, now: datetime, **values: Any
) -> dict[str, Any]:
    """Move a report on if it is in one of ``states``; the stored row, or ModerationRefused
    (404 none, 409 in another state or changed meanwhile by another moderator)."""
    row = existing_report(store, report_id)
    if row["state"] not in states:
        raise ModerationRefused(
            409, f"report {report_id} is {row['state']}; this needs {' or '.join(states)}"
        )
    done = store.change(report_id, expect_states=states, now=now, **values)
    if done is None:
        raise ModerationRefused(409, f"report {report_id} changed meanwhile; reload")
    return done


def accept_report(
    store: ReportStore, report_id: int, *, now: datetime, volume_m3: float | None = None
) -> dict[str, Any]:
    """Accept: a missed collection or a dump goes into the area's next plan job."""
    values: dict[str, Any] = {"state": ACCEPTED}
    if volume_m3 is not None:
        values["volume_m3"] = volume_m3
    return move_report(store, report_id, (NEW, ACCEPTED), now=now, **values)


def reject_report(
    store: ReportStore, report_id: int, *, reason: str, now: datetime
) -> dict[str, Any]:
    """Reject (the reason stays internal): hidden from the public, photo withdrawn."""
    return move_report(store, report_id, OPEN_STATES, now=now, state=REJECTED, reason=reason)


def merge_report(store: ReportStore, report_id: int, *, into: int, now: datetime) -> dict[str, Any]:
    """Merge a duplicate into the report it repeats: same area, service, street and day."""
    row, target = existing_report(store, report_id), existing_report(store, into)
    if into == report_id:
        raise ModerationRefused(422, "into: a report cannot be merged into itself", "into")
    if target["state"] in (REJECTED, MERGED):
        raise ModerationRefused(422, f"into: report {into} is {target['state']}", "into")
    for key, label in (("area", "area"), ("service_code", "service"),
                       ("service_date", "day"), ("street", "street")):  # fmt: skip
        if row[key] != target[key]:
            raise ModerationRefused(
                422, f"into: report {into} has another {label} "
                f"({target[key]!r}, this one {row[key]!r})", "into",
            )  # fmt: skip
    return move_report(store, report_id, OPEN_STATES, now=now, state=MERGED, merged_into=into)


def resolve_report(
    store: ReportStore, report_id: int, *, note: str, now: datetime
) -> dict[str, Any]:
    """Mark resolved (closed for the public, with the note)."""
    return move_report(store, report_id, OPEN_STATES, now=now, state=RESOLVED, status_notes=note)
