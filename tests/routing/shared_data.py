"""The public benchmark files the tests may read: ``$BASURACERO_BENCHMARKS_DIR`` or
``../shared/benchmarks`` beside the repository; tests that need them skip, naming the path."""

from __future__ import annotations

import os
from pathlib import Path


def benchmarks_dir() -> Path:
    """The shared benchmark folder (it may be absent: the caller's skip reason names it)."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"
    return Path(os.environ.get("BASURACERO_BENCHMARKS_DIR", default))
