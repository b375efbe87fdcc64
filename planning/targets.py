"""An area's public goals (``[targets]`` of area.toml), against which /transparencia shows each
figure as met, not met or "sin datos suficientes".

    [targets]
    coverage_pct = 98       # streets served on schedule, % of street km planned
    diversion_pct = 10      # tasa de valorización: % of collected kg kept out of the landfill
    resolution_h = 48       # residents' reports resolved within this median time (hours)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from basuracero.errors import InputError

# name → (lowest, highest) allowed value
TARGET_RANGES = {"coverage_pct": (0.0, 100.0), "diversion_pct": (0.0, 100.0),
                 "resolution_h": (0.0, 24.0 * 365)}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Targets:
    coverage_pct: float | None = None  # at least
    diversion_pct: float | None = None  # at least
    resolution_h: float | None = None  # at most

    def status(self, name: str, value: float | None) -> str:
        """met | not_met | no_data | no_target for one figure against its goal."""
        goal = getattr(self, name)
        if goal is None:
            return "no_target"
        if value is None:
            return "no_data"
        met = value <= goal if name == "resolution_h" else value >= goal
        return "met" if met else "not_met"


def read_targets(table: Any, source: Path) -> Targets:
    """``[targets]`` of area.toml, checked (an unknown key or a bad number names the field)."""
    if table is None:
        return Targets()
    if not isinstance(table, Mapping):
        raise InputError(f"{source}: [targets] must be a table", field="targets")
    unknown = sorted(set(table) - set(TARGET_RANGES))
    if unknown:
        raise InputError(f"{source}: [targets] has unknown keys {unknown}", field="targets")
    values: dict[str, float] = {}
    for key, raw in table.items():
        low, high = TARGET_RANGES[key]
        ok = isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw)
        if not ok or not low <= float(raw) <= high:
            raise InputError(
                f"{source}: targets.{key} = {raw!r}: a number from {low:g} to {high:g}",
                field=f"targets.{key}",
            )
        values[key] = float(raw)
    return Targets(**values)
