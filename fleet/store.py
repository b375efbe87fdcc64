"""Durable storage of devices, pings and plans: SQLite by default, PostgreSQL by URL.

SQLAlchemy Core keeps one code path for both databases. A ping insert returns only after its
transaction commits, so an acknowledged ping survives the process being killed; the unique key
(device, time) makes re-sent pings harmless.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
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
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine

from basuracero.errors import InputError
from basuracero.fleet.pings import Ping, clean_text, text_problem
from basuracero.fleet.writer import GroupWriter, StoreClosed

log = logging.getLogger("basuracero.store")

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
    Column("revoked_us", BigInteger, nullable=True),
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
_ADDED_COLUMNS = {
    ("devices", "area"): "VARCHAR(64)",
    ("plans", "area"): "VARCHAR(64)",
    ("devices", "revoked_us"): "BIGINT",
}

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
    revoked_us: int | None = None


@dataclass(frozen=True)
class InsertResult:
    accepted: int
    duplicates: int


class TokenRevoked(Exception):
    """The device token was revoked or rotated after this process had seen it."""


@dataclass(frozen=True)
class PingWrite:
    """One request's rows for the group writer, and the token hash that must still be the
    device's when they are committed (None: an internal caller, no check)."""

    device_id: int
    rows: list[dict[str, Any]]
    token_hash: str | None = None


def unavailable(exc: BaseException) -> bool:
    """True when the failure is the database's (unreachable, restarting, pool exhausted), not
    the request's: the client should retry later, and nothing is gained by retrying alone."""
    if isinstance(
        exc,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.DisconnectionError
        | sa_exc.TimeoutError
        | StoreClosed,
    ):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"[:300]


@dataclass
class Availability:
    """Whether the database answers, so an outage is logged once when it starts and once when it
    ends, never a traceback per refused request."""

    down_since: float | None = None
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.refused += 1
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        log.error("database unreachable (%s); answering 503 until it is back", _first_line(exc))

    def reachable(self) -> None:
        if self.down_since is None:  # the common case: no lock, no work
            return
        with self._lock:
            if self.down_since is None:
                return
            lasted, refused = time.monotonic() - self.down_since, self.refused
            self.down_since, self.refused = None, 0
        log.warning(
            "database reachable again after %.1f s; %d requests were answered 503",
            lasted,
            refused,
        )


TOKEN_CACHE_S = 60.0  # only spares the lookup: every ping's commit re-checks the token


class Store:
    """All database access of the fleet service."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:  # an unreachable host must fail in seconds, not after the kernel's TCP timeout
            kwargs.update(
                pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=10,
                connect_args={"connect_timeout": 5},
            )  # fmt: skip
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine, sqlite_synchronous)
        metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        self.availability = Availability()
        event.listen(self.engine, "checkout", lambda *_: self.availability.reachable())
        self._tokens: dict[str, tuple[Device, float]] = {}
        self._tokens_lock = threading.Lock()
        self._plans: dict[int, dict[str, Any]] = {}
        self.assignments_changed = 0  # counts assign() calls: readers' cached rows go stale
        # plan id -> (read at, assignments_changed then, row, assignments): kept a second by
        # api.read_cache.stored_plan for the public reads
        self.plan_rows: dict[int, tuple[float, int, Any, tuple[Any, ...]]] = {}
        self._plans_lock = threading.Lock()
        self._writer: GroupWriter[PingWrite] = GroupWriter(
            self._write_batch,
            isolate=lambda exc: not unavailable(exc),
            size=lambda write: len(write.rows),
        )

    def close(self) -> None:
        self._writer.close()
        self.engine.dispose()

    # -- devices ---------------------------------------------------------------------------
    def create_device(
        self, name: str, vehicle: str | None, area: str | None = None
    ) -> tuple[Device, str]:
        """A new device and its token; the token is returned once and stored only hashed."""
        name = clean_text("name", name, 200, required=True) or ""
        vehicle = clean_text("vehicle", vehicle, 200)
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

    def revoke_device(self, device_id: int) -> Device | None:
        """The device's token stops working at once (its pings stay); None: no such device.

        The stored hash becomes a value no token hashes to, so the lookup fails, and every
        process's next commit of a ping made with the old token fails its token check.
        """
        now = to_us(datetime.now(UTC))
        with self.engine.begin() as conn:
            done = conn.execute(
                devices.update()
                .where(devices.c.id == device_id)
                .values(
                    token_hash=f"revoked:{device_id}:{secrets.token_hex(8)}",
                    revoked_us=func.coalesce(devices.c.revoked_us, now),
                )
            )
        self._forget_device(device_id)
        return self.device(device_id) if done.rowcount else None

    def rotate_token(self, device_id: int) -> tuple[Device, str] | None:
        """A new token for the device (the old one stops working; a revoked device is active
        again); None: no such device."""
        token = secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            done = conn.execute(
                devices.update()
                .where(devices.c.id == device_id)
                .values(token_hash=hash_token(token), revoked_us=None)
            )
        self._forget_device(device_id)
        device = self.device(device_id) if done.rowcount else None
        return None if device is None else (device, token)

    def cached_device(self, token: str) -> Device | None:
        """The device of a token seen lately, without touching the database."""
        digest = hash_token(token)
        with self._tokens_lock:
            found = self._tokens.get(digest)
            if found is None:
                return None
            if found[1] < time.monotonic():
                del self._tokens[digest]
                return None
            return found[0]

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
            self._tokens[digest] = (device, time.monotonic() + TOKEN_CACHE_S)
        return device

    def forget_token(self, token: str) -> None:
        """Drop a token this process learnt was revoked elsewhere."""
        with self._tokens_lock:
            self._tokens.pop(hash_token(token), None)

    def _forget_device(self, device_id: int) -> None:
        with self._tokens_lock:
            for digest in [d for d, (dev, _) in self._tokens.items() if dev.id == device_id]:
                del self._tokens[digest]

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
        self,
        device_id: int,
        items: Iterable[Ping],
        source: str,
        client_id: str | None = None,
        *,
        token: str | None = None,
    ) -> tuple[Future[int], int]:
        """Queue pings for the next group commit; returns (future accepted count, pings given).

        The future resolves after the transaction holding the rows has committed. With a
        ``token``, that transaction also checks it is still the device's (else TokenRevoked).
        """
        rows, total = _ping_rows(device_id, items, source, client_id)
        if not rows and token is None:
            done: Future[int] = Future()
            done.set_result(0)
            return done, total
        write = PingWrite(device_id, rows, None if token is None else hash_token(token))
        return self._writer.submit(write), total

    def insert_pings(
        self,
        device_id: int,
        items: Iterable[Ping],
        source: str,
        client_id: str | None = None,
        *,
        token: str | None = None,
    ) -> InsertResult:
        """Store pings and wait for the commit; (device, time) already stored are skipped."""
        future, total = self.submit_pings(device_id, items, source, client_id, token=token)
        stored = future.result()
        return InsertResult(accepted=stored, duplicates=total - stored)

    def _write_batch(self, writes: list[PingWrite]) -> list[int | Exception]:
        """One transaction for many requests; each learns how many of its rows were new, or
        that its token is no longer the device's (checked inside the same transaction, so a
        revocation committed before it is seen by every process)."""
        with self.engine.begin() as conn:
            refused = _stale_tokens(conn, writes)
            every = [row for i, w in enumerate(writes) if i not in refused for row in w.rows]
            new = self._insert_rows(conn, every) if every else set()
        results: list[int | Exception] = []
        for index, write in enumerate(writes):
            if index in refused:
                results.append(TokenRevoked(f"device {write.device_id}: token revoked"))
                continue
            count = 0
            for row in write.rows:
                key = (row["device_id"], row["time_us"])
                if key in new:
                    new.discard(key)  # a later request with the same ping is the duplicate
                    count += 1
            results.append(count)
        return results

    def _insert_rows(self, conn: Connection, rows: list[dict[str, Any]]) -> set[tuple[int, int]]:
        if self.is_sqlite:
            statement = (
                sqlite.insert(pings)
                .on_conflict_do_nothing(index_elements=["device_id", "time_us"])
                .returning(pings.c.device_id, pings.c.time_us)
            )
            found = conn.execute(statement, rows)
        else:  # one statement over arrays: far fewer round trips than multi-row VALUES
            found = conn.execute(_PG_UNNEST_INSERT, _columns(rows))
        return {(r.device_id, r.time_us) for r in found}

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

    def latest_fix(self, device_id: int, since: datetime, until: datetime) -> dict[str, Any] | None:
        """The device's newest unflagged fix between two moments (the public map shows a truck
        only from the start of its shift, never where its phone was the night before)."""
        query = (
            select(pings)
            .where(
                (pings.c.device_id == device_id)
                & (pings.c.time_us >= to_us(since))
                & (pings.c.time_us <= to_us(until))
                & (pings.c.flags == "")
            )
            .order_by(pings.c.time_us.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _ping_dict(row)

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

    def plans_with_assignments(self, service_dates: Iterable[str]) -> list[dict[str, Any]]:
        """Plans of these dates with their route → device assignments, without the documents
        (what the live map needs each time it is asked)."""
        dates = sorted(set(service_dates))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(plans.c.id, plans.c.service_date, plans.c.area)
                .where(plans.c.service_date.in_(dates))
                .order_by(plans.c.id)
            ).all()
            ids = [r.id for r in rows]
            assigned = conn.execute(
                select(assignments).where(assignments.c.plan_id.in_(ids))
            ).all() if ids else []  # fmt: skip
        found: dict[int, dict[str, Any]] = {
            r.id: {"id": r.id, "date": r.service_date, "area": r.area, "assignments": {}}
            for r in rows
        }
        for a in assigned:
            found[a.plan_id]["assignments"][a.route_id] = a.device_id
        return list(found.values())

    def plan_document(self, plan_id: int) -> dict[str, Any] | None:
        """A stored plan.json, kept in memory once read: stored plans never change."""
        with self._plans_lock:
            cached = self._plans.get(plan_id)
        if cached is not None:
            return cached
        with self.engine.connect() as conn:
            raw = conn.execute(select(plans.c.plan_json).where(plans.c.id == plan_id)).scalar()
        if raw is None:
            return None
        document = json.loads(raw)
        with self._plans_lock:
            if len(self._plans) >= 32:
                del self._plans[next(iter(self._plans))]
            self._plans[plan_id] = document
        return document

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
        for route_id in mapping:
            problem = text_problem(route_id)
            if problem is not None:
                raise InputError(f"route id {route_id!r} {problem}", field="assignments")
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
        self.assignments_changed += 1


_DEVICE_COLUMNS = (
    devices.c.id,
    devices.c.name,
    devices.c.vehicle,
    devices.c.area,
    devices.c.revoked_us,
)


def _device(row: Any) -> Device:
    return Device(
        id=row.id, name=row.name, vehicle=row.vehicle, area=row.area, revoked_us=row.revoked_us
    )


def _ping_rows(
    device_id: int, items: Iterable[Ping], source: str, client_id: str | None
) -> tuple[list[dict[str, Any]], int]:
    """Rows of a request's pings, one per time (the first wins), and how many pings it gave."""
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
    return list(rows.values()), total


def _stale_tokens(conn: Connection, writes: list[PingWrite]) -> set[int]:
    """Indexes of the writes whose token hash is no longer their device's."""
    wanted = {w.device_id for w in writes if w.token_hash is not None}
    if not wanted:
        return set()
    current = dict(
        conn.execute(
            select(devices.c.id, devices.c.token_hash).where(devices.c.id.in_(wanted))
        ).all()
    )
    return {
        i
        for i, w in enumerate(writes)
        if w.token_hash is not None and current.get(w.device_id) != w.token_hash
    }


def insert_plan(
    conn: Connection, service_date: str, plan: dict[str, Any], name: str | None, area: str | None
) -> int:
    """Insert a plan inside the caller's transaction (a job stores it with its own status).

    Text neither database can hold is refused here, naming the field, rather than failing the
    transaction: a NUL in the name, a lone surrogate anywhere in the plan (JSON escapes NUL).
    """
    name = clean_text("name", name, 200)
    document = json.dumps(plan, ensure_ascii=False)
    if text_problem(document) is not None:
        raise InputError("the plan holds text that is not valid Unicode (a lone surrogate)",
                         field="plan")  # fmt: skip
    row = conn.execute(
        plans.insert()
        .values(
            service_date=service_date,
            name=name,
            area=area,
            plan_json=document,
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
