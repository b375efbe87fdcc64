"""People of the console: a name, a role, the areas they work in, and an argon2 password hash.

Roles: a ``viewer`` reads, a ``manager`` plans and dispatches in their areas, an ``admin`` also
manages users and phones, in every area. Passwords are kept only as argon2id hashes
(argon2-cffi's defaults, re-hashed on login when those defaults grow). A disabled user keeps
their row, so the record of who did what stays readable, but can no longer log in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import BigInteger, Column, Integer, String, Table, select
from sqlalchemy.engine import Engine

from basuracero.errors import InputError
from basuracero.fleet.store import metadata, to_us

ROLES = ("admin", "manager", "viewer")
MIN_PASSWORD = 8  # characters; argon2 makes each guess slow, length makes the space large
MAX_PASSWORD = 1024  # a megabyte "password" would only cost the server hashing time
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_AREA = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("areas", String(1000), nullable=False, default=""),  # comma-separated area ids
    Column("password_hash", String(200), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("disabled_us", BigInteger, nullable=True),
)

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when the name is unknown takes as long as a real check, so the
    answer time does not tell which user names exist."""
    return _hasher.hash("not-a-password-of-anyone")


class UserError(InputError):
    """A user that cannot be added or changed (bad name, role, area or password)."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    areas: tuple[str, ...]
    disabled: bool
    # A digest of the password hash: sessions carry it, so a new password ends them all.
    stamp: str = ""


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise UserError(
            f"name {name!r}: 1 to 64 letters, digits or . _ @ -, starting with a letter or digit",
            field="name",
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}", field="role")
    return role


def check_areas(areas: Iterable[str], known: Iterable[str] | None = None) -> tuple[str, ...]:
    """Area ids in the order given, without repeats; with ``known``, each must be one of them."""
    ordered = tuple(dict.fromkeys(a.strip() for a in areas))
    known_ids = None if known is None else set(known)
    for area in ordered:
        if not _AREA.fullmatch(area):
            raise UserError(f"area {area!r}: not an area id", field="area")
        if known_ids is not None and area not in known_ids:
            raise UserError(
                f"area {area!r} is not served (areas: {', '.join(sorted(known_ids))})",
                field="area",
            )
    return ordered


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"password: at least {MIN_PASSWORD} characters (it has {len(password)})",
            field="password",
        )
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password: at most {MAX_PASSWORD} characters", field="password")
    return password


class UserStore:
    """The users table on the service's database (created here when missing, so a database made
    before the console existed gains it on the first start)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        users.create(engine, checkfirst=True)

    def add(self, name: str, role: str, areas: Iterable[str], password: str) -> User:
        """A new user; the password is stored only as its argon2 hash."""
        name, role = check_name(name), check_role(role)
        area_ids = check_areas(areas)
        if role != "admin" and not area_ids:
            raise UserError(f"a {role} needs at least one --area", field="area")
        digest = _hasher.hash(check_password(password))
        if self.by_name(name) is not None:
            raise UserError(f"user {name!r} already exists", field="name")
        with self.engine.begin() as conn:
            row = conn.execute(
                users.insert()
                .values(
                    name=name,
                    role=role,
                    areas=",".join(area_ids),
                    password_hash=digest,
                    created_us=to_us(datetime.now(UTC)),
                )
                .returning(users.c.id)
            ).one()
        return User(
            id=row.id, name=name, role=role, areas=area_ids, disabled=False, stamp=_stamp(digest)
        )

    def by_name(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return None if row is None else _user(row)

    def all_users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).all()
        return [_user(r) for r in rows]

    def disable(self, name: str) -> User | None:
        """The user can no longer log in and their open sessions end; None: no such user."""
        with self.engine.begin() as conn:
            conn.execute(
                users.update()
                .where((users.c.name == name) & users.c.disabled_us.is_(None))
                .values(disabled_us=to_us(datetime.now(UTC)))
            )
        return self.by_name(name)

    def set_password(self, name: str, password: str) -> User | None:
        """A new password (the user's open sessions end); None: no such user."""
        digest = _hasher.hash(check_password(password))
        with self.engine.begin() as conn:
            conn.execute(users.update().where(users.c.name == name).values(password_hash=digest))
        return self.by_name(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The active user with this name and password, else None (same work either way)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        digest = _dummy_hash() if row is None else row.password_hash
        try:
            _hasher.verify(digest, password[:MAX_PASSWORD])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled_us is not None:
            return None
        if _hasher.check_needs_rehash(digest):  # stronger defaults since it was stored
            with self.engine.begin() as conn:
                conn.execute(
                    users.update()
                    .where(users.c.id == row.id)
                    .values(password_hash=_hasher.hash(password))
                )
            return self.by_name(name)
        return _user(row)


def _user(row: object) -> User:
    areas = tuple(a for a in str(row.areas or "").split(",") if a)  # type: ignore[attr-defined]
    return User(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        role=row.role,  # type: ignore[attr-defined]
        areas=areas,
        disabled=row.disabled_us is not None,  # type: ignore[attr-defined]
        stamp=_stamp(row.password_hash),  # type: ignore[attr-defined]
    )


def _stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]
