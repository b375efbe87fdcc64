"""The close of a service day, per route: what was served, late, missed, and driven against plan.

Pure: the caller gives each route's progress (``fleet.progress.route_progress``), the names of
its jobs and its track. Driven kilometres are the sum of the straight steps between the
truck's fixes (a slight undercount on curves); hours are from its first fix to its last. A
route without fixes says so ("sin datos suficientes") instead of showing zeros.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import numpy as np
from numpy.typing import NDArray

from basuracero.fleet.progress import RouteProgress

NO_DATA = "sin datos suficientes"


@dataclass(frozen=True)
class Miss:
    """A job the trucks did not serve by GPS: missed, or unknown (the GPS cannot tell)."""

    visit_id: str
    label: str  # street with its cross streets, or a stop's street and corner
    planned: str  # local clock time
    status: str  # missed | unknown
    evidence: str | None  # what progress says of it (a silent phone, a gap in the GPS)
    reason: str | None  # the manager's reason code (fleet.day_records.MISS_REASONS)


@dataclass(frozen=True)
class RouteClose:
    truck: str
    served: int
    late: int
    missed: int
    unknown: int
    pending: int
    total: int
    km_planned: float
    hours_planned: float
    km_driven: float | None  # None: no fixes
    hours_driven: float | None
    misses: list[Miss] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.__dict__.items() if k != "misses"},
            "misses": [m.__dict__ for m in self.misses],
        }


def driven(xy: NDArray[np.float64], times: NDArray[np.float64]) -> tuple[float, float] | None:
    """Kilometres and hours of a track (metric x, y and epoch seconds in time order)."""
    if len(times) < 2:
        return None
    steps = np.hypot(*np.diff(np.asarray(xy, dtype=float), axis=0).T)
    return round(float(steps.sum()) / 1000, 1), round(float(times[-1] - times[0]) / 3600, 1)


def route_close(
    report: RouteProgress,
    route: Mapping[str, Any],
    labels: Mapping[str, str],
    track: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
    reasons: Mapping[str, str],
    tz: tzinfo,
) -> RouteClose:
    """One route's close: counts by status, late ones, the misses by name, driven vs planned."""
    counts = report.counts()
    misses = [
        Miss(
            visit_id=stop.id,
            label=labels.get(stop.id, "(lugar desconocido)"),
            planned=stop.planned_at.astimezone(tz).strftime("%H:%M"),
            status=stop.status,
            evidence=stop.reason,
            reason=reasons.get(stop.id),
        )
        for stop in report.stops
        if stop.status in ("missed", "unknown")
    ]
    done = driven(*track) if track is not None else None
    return RouteClose(
        truck=report.vehicle_id,
        served=counts["served"],
        late=sum(1 for s in report.stops if s.status == "served" and s.late),
        missed=counts["missed"],
        unknown=counts["unknown"],
        pending=counts["pending"],
        total=len(report.stops),
        km_planned=round(int(route.get("distance_m", 0)) / 1000, 1),
        hours_planned=round(int(route.get("duration_s", 0)) / 3600, 1),
        km_driven=None if done is None else done[0],
        hours_driven=None if done is None else done[1],
        misses=misses,
    )
