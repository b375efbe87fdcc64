"""Writing an output folder so that a crash never leaves a half-written file behind.

Everything is first written to a private staging folder next to the target (same file system);
only when every file is complete is each one moved into place with an atomic rename. If anything
fails before that, the staging folder is removed and the target is left exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

STATIC_DIR = Path(str(files(__package__).joinpath("static")))


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Yield a staging folder; on success move its files into ``target`` one atomic rename each."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = target.parent / f".{target.name}.partial-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    try:
        yield stage
        _commit(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _commit(stage: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in stage.rglob("*") if p.is_file()):
        destination = target / path.relative_to(stage)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def copy_static(folder: Path) -> None:
    """The vendored Leaflet files (with their licences) next to the maps, for offline use."""
    shutil.copytree(
        STATIC_DIR,
        folder / "static",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("README.md", "__pycache__"),
    )


def safe_name(text: str) -> str:
    """A file name from a vehicle id: letters, digits, dash and underscore only."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in text)
    return cleaned or "route"
