"""Weighbridge tickets: the net kg each truck unloaded at a disposal site, as the site weighed it.

A ticket is the only evidence of tonnes collected; the plan's kg are an estimate. Tickets are
stored all together or not at all (a day's CSV with one bad row stores nothing), and a ticket
number is unique per area and site, so a file sent twice is refused rather than counted twice.
No person is named in a ticket: the vehicle is the fleet's id, never the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy import exc as sa_exc

from basuracero.errors import InputError
from basuracero.fleet.store import Store, from_us, metadata, to_us

weighings = Table(
    "weighings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("area", String(64), nullable=False, index=True),
    Column("site", String(200), nullable=False),
    Column("stream", String(64), nullable=False),
    Column("vehicle", String(200), nullable=False),
    Column("time_us", BigInteger, nullable=False, index=True),
    Column("net_kg", Integer, nullable=False),
    Column("ticket", String(100), nullable=True),
    Column("created_us", BigInteger, nullable=False),
    UniqueConstraint("area", "site", "ticket", name="uq_weighing_ticket"),
)


@dataclass(frozen=True, kw_only=True)
class Weighing:
    """One weighbridge ticket, checked against its area (``stream`` from the site's files)."""

    area: str
    site: str
    stream: str
    vehicle: str
    time: datetime  # aware, UTC when read back
    net_kg: int
    ticket: str | None = None
    id: int | None = None
    recorded_at: datetime | None = None


class DuplicateTicket(InputError):
    """A ticket number already stored for the same area and site."""


def add_weighings(store: Store, items: Sequence[Weighing]) -> list[int]:
    """Store every ticket in one transaction, or none; returns their ids in order."""
    now = to_us(datetime.now(UTC))
    _refuse_repeated_numbers(items)
    try:
        with store.engine.begin() as conn:
            ids = []
            for item in items:
                row = conn.execute(
                    weighings.insert()
                    .values(
                        area=item.area,
                        site=item.site,
                        stream=item.stream,
                        vehicle=item.vehicle,
                        time_us=to_us(item.time),
                        net_kg=item.net_kg,
                        ticket=item.ticket,
                        created_us=now,
                    )
                    .returning(weighings.c.id)
                ).one()
                ids.append(int(row.id))
            return ids
    except sa_exc.IntegrityError:
        raise DuplicateTicket(
            "a ticket with this number is already stored for this area and site", field="ticket"
        ) from None


def _refuse_repeated_numbers(items: Sequence[Weighing]) -> None:
    seen: set[tuple[str, str, str]] = set()
    for index, item in enumerate(items):
        if item.ticket is None:
            continue
        key = (item.area, item.site, item.ticket)
        if key in seen:
            raise DuplicateTicket(
                f"row {index + 1}: ticket {item.ticket!r} appears twice", field="ticket"
            )
        seen.add(key)


def weighings_between(
    store: Store, *, area: str | None, since: datetime, until: datetime
) -> list[Weighing]:
    """Tickets weighed in ``[since, until)`` (one area, or every area with None), by time."""
    query = select(weighings).where(
        (weighings.c.time_us >= to_us(since)) & (weighings.c.time_us < to_us(until))
    )
    if area is not None:
        query = query.where(weighings.c.area == area)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(weighings.c.time_us, weighings.c.id)).mappings().all()
    return [
        Weighing(
            id=row["id"],
            area=row["area"],
            site=row["site"],
            stream=row["stream"],
            vehicle=row["vehicle"],
            time=from_us(row["time_us"]),
            net_kg=row["net_kg"],
            ticket=row["ticket"],
            recorded_at=from_us(row["created_us"]),
        )
        for row in rows
    ]


def count_weighings(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(weighings)).scalar_one())
