"""Where the public benchmark instances are: ``--data``, ``$BASURACERO_BENCHMARKS_DIR``, or
``../shared/benchmarks`` beside the repository (how the project's machines lay them out)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def benchmarks_dir() -> Path:
    """The folder holding ``X/``, ``carp/``, ``wcvrptw/``... (callers say what is missing)."""
    configured = os.environ.get("BASURACERO_BENCHMARKS_DIR")
    return Path(configured) if configured else REPO.parent / "shared" / "benchmarks"
