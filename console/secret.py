"""The key that signs the console's session cookies.

Configured (``BASURACERO_SESSION_SECRET``), or made on the first start and kept in a file, so a
restart keeps everyone logged in and the README's first command needs no setting: beside a
SQLite database (``basuracero.db`` → ``basuracero-session.key``), else in the cache folder, one
file per database URL. Several server processes starting at once agree on one key: the file
appears whole or not at all (written aside, then hard-linked into place).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from basuracero.fleet.settings import Settings

MIN_SECRET = 32  # characters


def session_secret(settings: Settings) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    return _kept_secret(secret_file(settings))


def secret_file(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
        database = Path(url.database)
        return database.with_name(database.stem + "-session.key")
    base = os.environ.get("BASURACERO_CACHE_DIR") or str(Path.home() / ".cache" / "basuracero")
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return Path(base) / f"session-{digest}.key"


def _kept_secret(path: Path) -> str:
    with contextlib.suppress(FileNotFoundError):
        kept = path.read_text(encoding="ascii").strip()
        if len(kept) >= MIN_SECRET:
            return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, aside = tempfile.mkstemp(dir=path.parent, prefix=".session-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:  # mkstemp: readable by the owner only
            out.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:  # another process won the race (or left a short file)
            kept = path.read_text(encoding="ascii").strip()
            if len(kept) >= MIN_SECRET:
                return kept
            os.replace(aside, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside)
    return path.read_text(encoding="ascii").strip()
