"""What the manager decides about a service day: which plan is published, why a job was missed.

A plan job stores every plan it makes; only the one a manager publishes is the day's plan (the
trucks' phones, the sheets and the public map follow it). A miss the GPS shows gets the reason
the manager picks at the end of the day, so the day report and later planning can tell a closed
street from a breakdown. Both tables live on the shared metadata, created with the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    select,
)
from sqlalchemy.engine import Engine

from basuracero.fleet.store import metadata, to_us

published_plans = Table(
    "published_plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("area", String(64), nullable=False, index=True),
    Column("service_date", String(10), nullable=False),
    Column("plan_id", Integer, ForeignKey("plans.id"), nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("published_us", BigInteger, nullable=False),
)

miss_reasons = Table(
    "miss_reasons",
    metadata,
    Column("plan_id", Integer, ForeignKey("plans.id"), primary_key=True),
    Column("visit_id", String(200), primary_key=True),
    Column("reason", String(32), nullable=False),
    Column("note", String(500), nullable=True),
    Column("set_by", String(200), nullable=False),
    Column("set_us", BigInteger, nullable=False),
)

# The reasons a manager picks for a miss (stored code → Spanish, English label).
MISS_REASONS: dict[str, tuple[str, str]] = {
    "sin_acceso": ("Sin acceso", "No access"),
    "averia": ("Avería", "Breakdown"),
    "calle_cerrada": ("Calle cerrada", "Street closed"),
    "otro": ("Otro", "Other"),
}


@dataclass(frozen=True)
class Publication:
    plan_id: int
    area: str
    service_date: str
    published_by: str
    published_at: datetime


def record_publication(
    engine: Engine, *, plan_id: int, area: str, service_date: str, by: str
) -> Publication:
    """Append a publication: the newest one of an area and date is its plan (history kept)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            published_plans.insert().values(
                area=area, service_date=service_date, plan_id=plan_id, published_by=by,
                published_us=to_us(now),
            )
        )  # fmt: skip
    return Publication(plan_id, area, service_date, by, now)


def published_plan(engine: Engine, *, area: str, service_date: str) -> Publication | None:
    """The plan published last for an area's date, or None."""
    query = (
        select(published_plans)
        .where(published_plans.c.area == area, published_plans.c.service_date == service_date)
        .order_by(published_plans.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return Publication(
        row["plan_id"], row["area"], row["service_date"], row["published_by"],
        datetime.fromtimestamp(row["published_us"] / 1e6, tz=UTC),
    )  # fmt: skip


def set_miss_reason(
    engine: Engine, *, plan_id: int, visit_id: str, reason: str, by: str, note: str | None = None
) -> None:
    """Store (or change) the reason of one missed job; the code must be one of MISS_REASONS."""
    if reason not in MISS_REASONS:
        raise ValueError(f"reason {reason!r}: one of {', '.join(MISS_REASONS)}")
    with engine.begin() as conn:
        conn.execute(
            miss_reasons.delete().where(
                miss_reasons.c.plan_id == plan_id, miss_reasons.c.visit_id == visit_id
            )
        )
        conn.execute(
            miss_reasons.insert().values(
                plan_id=plan_id, visit_id=visit_id, reason=reason, note=note, set_by=by,
                set_us=to_us(datetime.now(UTC)),
            )
        )  # fmt: skip


def reasons_of(engine: Engine, plan_id: int) -> dict[str, str]:
    """Visit id → reason code of a plan's misses that have one."""
    query = select(miss_reasons.c.visit_id, miss_reasons.c.reason).where(
        miss_reasons.c.plan_id == plan_id
    )
    with engine.connect() as conn:
        return {r.visit_id: r.reason for r in conn.execute(query)}
