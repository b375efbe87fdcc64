"""Durable storage of devices, pings and plans: SQLite by default, PostgreSQL by URL.

SQLAlchemy Core keeps one code path for both databases. A ping insert returns only after its
transaction commits, so an acknowledged ping survives the process being killed; the unique key
(device, time) makes re-sent pings harmless.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine

from basuracero.fleet.pings import Ping
from basuracero.fleet.writer import GroupWriter

metadata = MetaData()

devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("vehicle", String(200), nullable=True),
    Column("area", String(64), nullable=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_us", BigInteger, nullable=False),
)

pings = Table(
    "pings",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("device_id", Integer, ForeignKey("devices.id"), nullable=False),
    Column("time_us", BigInteger, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("speed_mps", Float),
    Column("heading_deg", Float),
    Column("altitude_m", Float),
    Column("accuracy_m", Float),
    Column("battery_pct", Float),
    Column("flags", String(200), nullable=False, default=""),
    Column("source", String(16), nullable=False),
    Column("client_id", String(200)),
    Column("received_us", BigInteger, nullable=False),
    UniqueConstraint("device_id", "time_us", name="uq_ping_device_time"),
)

plans = Table(
    "plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_date", String(10), nullable=False),
    Column("name", String(200)),
    Column("plan_json", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("area", String(64), nullable=True),
)

# A plan job: inputs, status and result live here, not only in the queue's broker, so a job
# survives a broker restart and a killed worker's job can be taken over (see fleet/job_store.py).
plan_jobs = Table(
    "plan_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("area", String(64), nullable=False),
    Column("service_date", String(10), nullable=False),
    Column("inputs_json", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("best_cost", Float),
    Column("plan_id", Integer, ForeignKey("plans.id")),
    Column("error_json", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(200)),
    Column("heartbeat_us", BigInteger),
    Column("created_us", BigInteger, nullable=False),
    Column("started_us", BigInteger),
    Column("finished_us", BigInteger),
)

# Columns added after a table was first released: created on older databases at start-up.
_ADDED_COLUMNS = {("devices", "area"): "VARCHAR(64)", ("plans", "area"): "VARCHAR(64)"}

assignments = Table(
    "assignments",
    metadata,
    Column("plan_id", Integer, ForeignKey("plans.id"), primary_key=True),
    Column("route_id", String(200), primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id"), nullable=False),
)


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to keep them unreadable."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (float timestamps would round)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def iso(value: int) -> str:
    return from_us(value).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Device:
    id: int
    name: str
    vehicle: str | None
    area: str | None = None


@dataclass(frozen=True)
class InsertResult:
    accepted: int
    duplicates: int


class Store:
    """All database access of the fleet service."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine, sqlite_synchronous)
        metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        self._tokens: dict[str, Device] = {}
        self._tokens_lock = threading.Lock()
        self._writer = GroupWriter(self._write_batch)

    def close(self) -> None:
        self._writer.close()
        self.engine.dispose()

    # -- devices ---------------------------------------------------------------------------
    def create_device(
        self, name: str, vehicle: str | None, area: str | None = None
    ) -> tuple[Device, str]:
        """A new device and its token; the token is returned once and stored only hashed."""
        token = secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            row = conn.execute(
                devices.insert()
                .values(
                    name=name,
                    vehicle=vehicle,
                    area=area,
                    token_hash=hash_token(token),
                    created_us=to_us(datetime.now(UTC)),
                )
                .returning(devices.c.id)
            ).one()
        return Device(id=row.id, name=name, vehicle=vehicle, area=area), token

    def cached_device(self, token: str) -> Device | None:
        """The device of a token seen before, without touching the database."""
        with self._tokens_lock:
            return self._tokens.get(hash_token(token))

    def device_for_token(self, token: str) -> Device | None:
        cached = self.cached_device(token)
        if cached is not None:
            return cached
        digest = hash_token(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_DEVICE_COLUMNS).where(devices.c.token_hash == digest)
            ).first()
        if row is None:
            return None
        device = _device(row)
        with self._tokens_lock:
            self._tokens[digest] = device
        return device

    def device(self, device_id: int) -> Device | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_DEVICE_COLUMNS).where(devices.c.id == device_id)).first()
        return None if row is None else _device(row)

    def list_devices(self) -> list[Device]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_DEVICE_COLUMNS).order_by(devices.c.id)).all()
        return [_device(r) for r in rows]

    # -- pings -----------------------------------------------------------------------------
    def submit_pings(
        self, device_id: int, items: Iterable[Ping], source: str, client_id: str | None = None
    ) -> tuple[Future[int], int]:
        """Queue pings for the next group commit; returns (future accepted count, pings given).

        The future resolves after the transaction holding the rows has committed.
        """
        received = to_us(datetime.now(UTC))
        rows: dict[int, dict[str, Any]] = {}
        total = 0
        for ping in items:
            total += 1
            key = to_us(ping.time)
            rows.setdefault(
                key,
                {
                    "device_id": device_id,
                    "time_us": key,
                    "lat": ping.lat,
                    "lon": ping.lon,
                    "speed_mps": ping.speed_mps,
                    "heading_deg": ping.heading_deg,
                    "altitude_m": ping.altitude_m,
                    "accuracy_m": ping.accuracy_m,
                    "battery_pct": ping.battery_pct,
                    "flags": ",".join(ping.flags),
                    "source": source,
                    "client_id": client_id,
                    "received_us": received,
                },
            )
        if not rows:
            done: Future[int] = Future()
            done.set_result(0)
            return done, total
        return self._writer.submit(list(rows.values())), total

    def insert_pings(
        self, device_id: int, items: Iterable[Ping], source: str, client_id: str | None = None
    ) -> InsertResult:
        """Store pings and wait for the commit; (device, time) already stored are skipped."""
        future, total = self.submit_pings(device_id, items, source, client_id)
        stored = future.result()
        return InsertResult(accepted=stored, duplicates=total - stored)

    def _write_batch(self, requests: list[list[dict[str, Any]]]) -> list[int]:
        """One transaction for many requests; each learns how many of its rows were new."""
        every = [row for rows in requests for row in rows]
        with self.engine.begin() as conn:
            if self.is_sqlite:
                statement = (
                    sqlite.insert(pings)
                    .on_conflict_do_nothing(index_elements=["device_id", "time_us"])
                    .returning(pings.c.device_id, pings.c.time_us)
                )
                found = conn.execute(statement, every)
            else:  # one statement over arrays: far fewer round trips than multi-row VALUES
                found = conn.execute(_PG_UNNEST_INSERT, _columns(every))
            new = {(r.device_id, r.time_us) for r in found}
        counts = []
        for rows in requests:
            count = 0
            for row in rows:
                key = (row["device_id"], row["time_us"])
                if key in new:
                    new.discard(key)  # a later request with the same ping is the duplicate
                    count += 1
            counts.append(count)
        return counts

    def pings(
        self,
        device_id: int,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        query = select(pings).where(pings.c.device_id == device_id)
        if since is not None:
            query = query.where(pings.c.time_us >= to_us(since))
        if until is not None:
            query = query.where(pings.c.time_us <= to_us(until))
        query = query.order_by(pings.c.time_us).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_ping_dict(r) for r in rows]

    def count_pings(self, device_id: int | None = None) -> int:
        query = select(func.count()).select_from(pings)
        if device_id is not None:
            query = query.where(pings.c.device_id == device_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def latest_positions(self) -> list[dict[str, Any]]:
        """The newest unflagged fix of every device (what the live map shows)."""
        newest = (
            select(pings.c.device_id, func.max(pings.c.time_us).label("time_us"))
            .where(pings.c.flags == "")
            .group_by(pings.c.device_id)
            .subquery()
        )
        query = (
            select(pings, devices.c.name, devices.c.vehicle)
            .join(
                newest,
                (pings.c.device_id == newest.c.device_id) & (pings.c.time_us == newest.c.time_us),
            )
            .join(devices, devices.c.id == pings.c.device_id)
            .order_by(pings.c.device_id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            {
                "device_id": r["device_id"],
                "name": r["name"],
                "vehicle": r["vehicle"],
                **_ping_dict(r),
            }
            for r in rows
        ]

    # -- plans -----------------------------------------------------------------------------
    def save_plan(
        self, service_date: str, plan: dict[str, Any], name: str | None, area: str | None = None
    ) -> int:
        with self.engine.begin() as conn:
            return insert_plan(conn, service_date, plan, name, area)

    def plan(self, plan_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(plans).where(plans.c.id == plan_id)).mappings().first()
            if row is None:
                return None
            assigned = conn.execute(
                select(assignments.c.route_id, assignments.c.device_id).where(
                    assignments.c.plan_id == plan_id
                )
            ).all()
        return {
            "id": row["id"],
            "date": row["service_date"],
            "name": row["name"],
            "area": row["area"],
            "plan": json.loads(row["plan_json"]),
            "assignments": {a.route_id: a.device_id for a in assigned},
        }

    def list_plans(
        self, service_date: str | None = None, area: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(plans.c.id, plans.c.service_date, plans.c.name, plans.c.area)
        if service_date is not None:
            query = query.where(plans.c.service_date == service_date)
        if area is not None:
            query = query.where(plans.c.area == area)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(plans.c.id)).all()
        return [{"id": r.id, "date": r.service_date, "name": r.name, "area": r.area} for r in rows]

    def assign(self, plan_id: int, mapping: dict[str, int]) -> None:
        """Replace a plan's route → device assignments in one transaction."""
        with self.engine.begin() as conn:
            conn.execute(assignments.delete().where(assignments.c.plan_id == plan_id))
            if mapping:
                conn.execute(
                    assignments.insert(),
                    [
                        {"plan_id": plan_id, "route_id": r, "device_id": d}
                        for r, d in mapping.items()
                    ],
                )


_DEVICE_COLUMNS = (devices.c.id, devices.c.name, devices.c.vehicle, devices.c.area)


def _device(row: Any) -> Device:
    return Device(id=row.id, name=row.name, vehicle=row.vehicle, area=row.area)


def insert_plan(
    conn: Connection, service_date: str, plan: dict[str, Any], name: str | None, area: str | None
) -> int:
    """Insert a plan inside the caller's transaction (a job stores it with its own status)."""
    row = conn.execute(
        plans.insert()
        .values(
            service_date=service_date,
            name=name,
            area=area,
            plan_json=json.dumps(plan, ensure_ascii=False),
            created_us=to_us(datetime.now(UTC)),
        )
        .returning(plans.c.id)
    ).one()
    return int(row.id)


_PING_COLUMNS = {
    "device_id": "integer",
    "time_us": "bigint",
    "lat": "double precision",
    "lon": "double precision",
    "speed_mps": "double precision",
    "heading_deg": "double precision",
    "altitude_m": "double precision",
    "accuracy_m": "double precision",
    "battery_pct": "double precision",
    "flags": "text",
    "source": "text",
    "client_id": "text",
    "received_us": "bigint",
}
_PG_UNNEST_INSERT = text(
    f"INSERT INTO pings ({', '.join(_PING_COLUMNS)}) "
    "SELECT * FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _PING_COLUMNS.items())
    + ") ON CONFLICT (device_id, time_us) DO NOTHING RETURNING device_id, time_us"
)


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in _PING_COLUMNS}


def _ping_dict(row: Any) -> dict[str, Any]:
    return {
        "time": iso(row["time_us"]),
        "lat": row["lat"],
        "lon": row["lon"],
        "speed_mps": row["speed_mps"],
        "heading_deg": row["heading_deg"],
        "altitude_m": row["altitude_m"],
        "accuracy_m": row["accuracy_m"],
        "battery_pct": row["battery_pct"],
        "flags": [f for f in row["flags"].split(",") if f],
        "source": row["source"],
    }


def _add_missing_columns(engine: Engine) -> None:
    """Bring a database made by an earlier release up to date (nullable columns only)."""
    present = inspect(engine)
    for (table, column), kind in _ADDED_COLUMNS.items():
        if column not in {c["name"] for c in present.get_columns(table)}:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


def _sqlite_pragmas(engine: Engine, synchronous: str) -> None:
    """WAL lets readers run beside the writer; NORMAL keeps committed data safe from a killed
    process (FULL also from a power cut, at an fsync per commit)."""
    if synchronous.upper() not in {"NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"sqlite_synchronous must be NORMAL, FULL or EXTRA, got {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
