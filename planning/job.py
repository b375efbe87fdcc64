"""A plan job's inputs: what a day's plan of an area depends on, checked before it is queued.

The same inputs (area, date, search settings, trucks out, carry-over, and the bytes of the
area's files) give the same key, so asking twice returns the same job and a worker that takes a
job over from a killed one makes the same plan.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from basuracero.errors import InputError
from basuracero.planning.area import Area
from basuracero.planning.carry_over import CarryOver
from basuracero.planning.day import (
    DayInputs,
    DayPlan,
    DayRequest,
    ProgressCallback,
    plan_day,
    read_fleet,
)

MAX_TIME_LIMIT_S = 600.0


@dataclass(frozen=True, kw_only=True)
class PlanJobInputs:
    area: str
    service_date: date
    time_limit_s: float = 30.0
    seed: int = 0
    vehicles_out: tuple[str, ...] = ()
    carry_over: CarryOver | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "date": self.service_date.isoformat(),
            "time_limit_s": self.time_limit_s,
            "seed": self.seed,
            "vehicles_out": list(self.vehicles_out),
            "carry_over": None if self.carry_over is None else self.carry_over.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PlanJobInputs:
        carry = raw.get("carry_over")
        return cls(
            area=str(raw["area"]),
            service_date=date.fromisoformat(raw["date"]),
            time_limit_s=float(raw["time_limit_s"]),
            seed=int(raw["seed"]),
            vehicles_out=tuple(raw.get("vehicles_out") or ()),
            carry_over=None if carry is None else CarryOver.from_dict(carry),
        )

    def key(self, area: Area) -> str:
        """Idempotency key: these inputs and the content of the area's files."""
        text = json.dumps({"inputs": self.to_dict(), "files": area.content_key()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def day_request(self) -> DayRequest:
        return DayRequest(
            service_date=self.service_date,
            time_limit_s=self.time_limit_s,
            seed=self.seed,
            vehicles_out=frozenset(self.vehicles_out),
            carry_over=self.carry_over,
        )


def check_inputs(inputs: PlanJobInputs, areas: Mapping[str, Area]) -> Area:
    """The job's area, once every input is usable; else an InputError naming the field."""
    area = areas.get(inputs.area)
    if area is None:
        raise InputError(
            f"area {inputs.area!r} is not served here (areas: {', '.join(sorted(areas))})",
            field="area",
        )
    if not 0.5 <= inputs.time_limit_s <= MAX_TIME_LIMIT_S:
        raise InputError(
            f"time_limit_s = {inputs.time_limit_s!r}: between 0.5 and {MAX_TIME_LIMIT_S:g}",
            field="time_limit_s",
        )
    trucks = [v.id for v in read_fleet(area.fleet)]
    for index, vehicle in enumerate(inputs.vehicles_out):
        if vehicle not in trucks:
            raise InputError(
                f"vehicles_out[{index}] = {vehicle!r}: no such truck in area {area.id!r} "
                f"(trucks: {', '.join(trucks)})",
                field=f"vehicles_out.{index}",
            )
    if len(set(inputs.vehicles_out)) >= len(trucks):
        raise InputError("vehicles_out: no truck left to plan with", field="vehicles_out")
    return area


def run_plan_job(
    inputs: PlanJobInputs, area: Area, *, on_progress: ProgressCallback | None = None
) -> DayPlan:
    """The job's work: the area's normal day with the job's settings, checked."""
    return plan_day(
        DayInputs.of_area(area), inputs.day_request(), area=area, on_progress=on_progress
    )
