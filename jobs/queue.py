"""The queue engine: Huey, on a SQLite file by default and on Redis for several machines.

Why Huey: its SQLite storage needs no server (the README's first command keeps working), the
same task code runs on Redis when one machine is not enough, and it is small and well kept.
Huey does not hand a killed worker's message to another worker by itself; the job's row does
(heartbeat and takeover, see fleet/job_store.py), so the queue only has to carry job ids.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from huey import RedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper
from sqlalchemy.engine import make_url

from basuracero.errors import InputError
from basuracero.fleet.settings import Settings

QUEUE_NAME = "basuracero-plan-jobs"


def queue_file(settings: Settings) -> Path:
    """The SQLite queue used without a broker: configured, else beside a SQLite database."""
    if settings.queue_file:
        return Path(settings.queue_file)
    url = make_url(settings.database_url)
    if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
        database = Path(url.database)
        return database.with_name(database.stem + "-jobs.sqlite")
    # A server database: the queue file goes to the temporary folder, one per database. Losing
    # it loses nothing: job rows are in the database and a starting worker re-enqueues them.
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"basuracero-jobs-{digest}.sqlite"


def make_queue(settings: Settings) -> Huey:
    """The Huey instance for these settings (the service and the workers build the same)."""
    broker = settings.broker_url
    if broker is None:
        path = queue_file(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    if broker.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=broker, results=False)
    raise InputError(
        f"broker_url = {broker!r}: expected redis://HOST:PORT/DB (or none for SQLite)",
        field="broker_url",
    )


def solve_task(huey: Huey) -> TaskWrapper:
    """The plan-job task registered on ``huey``: its message carries only the job id."""
    from basuracero.jobs.runner import solve_plan_job

    wrapper = getattr(huey, "_basuracero_solve", None)
    if wrapper is None:  # Huey refuses to register one task twice
        wrapper = huey.task(name="solve_plan_job")(solve_plan_job)
        huey._basuracero_solve = wrapper  # type: ignore[attr-defined]
    return wrapper
