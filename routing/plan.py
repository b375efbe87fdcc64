"""A day's plan: routes of timed visits and the stops left out, each with its reason.

`Plan.to_dict()` is the plan.json schema documented in routing/README_routing.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VISIT_KINDS = ("depot_start", "stop", "street", "unload", "break", "depot_end")
SERVICE_KINDS = ("stop", "street")  # visits that collect: a point, or a street driven door to door


@dataclass(frozen=True)
class Visit:
    """One step of a route. `arrival_s` is when service starts (any wait happens before it).

    Loads are what the truck carries after the visit, in total and per stream. A `street`
    visit serves its `task` (a street segment) in the direction its id names: `arrival_s` is
    when the truck enters the street and `departure_s` when it leaves the other end.
    """

    kind: str
    id: str
    arrival_s: int
    departure_s: int
    load_kg: int
    load_m3: float
    load_by_stream: dict[str, tuple[int, float]] = field(default_factory=dict)
    task: str | None = None

    @property
    def job(self) -> str:
        return self.task if self.task is not None else self.id

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Visit:
        load = raw["load"]
        return cls(
            kind=raw["kind"],
            id=raw["id"],
            arrival_s=int(raw["arrival_s"]),
            departure_s=int(raw["departure_s"]),
            load_kg=int(load["kg"]),
            load_m3=float(load["m3"]),
            load_by_stream={
                s: (int(x["kg"]), float(x["m3"])) for s, x in load.get("by_stream", {}).items()
            },
            task=raw.get("task"),
        )

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.task is None else {"task": self.task}
        return {
            "id": self.id,
            "kind": self.kind,
            **extra,
            "arrival_s": self.arrival_s,
            "departure_s": self.departure_s,
            "load": {
                "kg": self.load_kg,
                "m3": round(self.load_m3, 6),
                "by_stream": {
                    s: {"kg": kg, "m3": round(m3, 6)}
                    for s, (kg, m3) in sorted(self.load_by_stream.items())
                },
            },
        }


@dataclass(frozen=True)
class Route:
    vehicle_id: str
    visits: tuple[Visit, ...]
    distance_m: int
    duration_s: int
    cost: float

    @property
    def stop_ids(self) -> list[str]:
        """Ids of the collecting visits: stops and street directions."""
        return [v.id for v in self.visits if v.kind in SERVICE_KINDS]

    @property
    def job_ids(self) -> list[str]:
        """What the route serves: stop ids, and task ids for streets."""
        return [v.job for v in self.visits if v.kind in SERVICE_KINDS]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Route:
        return cls(
            vehicle_id=raw["vehicle_id"],
            visits=tuple(Visit.from_dict(v) for v in raw["visits"]),
            distance_m=int(raw["distance_m"]),
            duration_s=int(raw["duration_s"]),
            cost=float(raw["cost"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "vehicle_id": self.vehicle_id,
            "distance_m": self.distance_m,
            "duration_s": self.duration_s,
            "cost": round(self.cost, 6),
            "visits": [v.to_dict() for v in self.visits],
        }


@dataclass(frozen=True)
class Unassigned:
    id: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def duration_s(self) -> int:
        return sum(r.duration_s for r in self.routes)

    @property
    def cost(self) -> float:
        return sum(r.cost for r in self.routes)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Plan:
        """Read a plan.json (what :meth:`to_dict` wrote): maps, progress and tests read plans
        as objects; a malformed document raises KeyError/TypeError/ValueError."""
        return cls(
            routes=tuple(Route.from_dict(r) for r in raw["routes"]),
            unassigned=tuple(Unassigned(u["id"], u["reason"]) for u in raw.get("unassigned", [])),
            stats=dict(raw.get("stats") or {}),
        )

    def collected(self) -> dict[str, dict[str, tuple[int, float]]]:
        """What each collecting visit put in its truck, per stream: (kg, m³) by visit id.

        The rise of the load at the visit, so it is exact for the kg the plan carried (integer
        kg) and needs nothing but the plan itself.
        """
        found: dict[str, dict[str, tuple[int, float]]] = {}
        for route in self.routes:
            for prev, visit in zip(route.visits, route.visits[1:], strict=False):
                if visit.kind not in SERVICE_KINDS:
                    continue
                before = prev.load_by_stream
                found[visit.id] = {
                    stream: (kg - before.get(stream, (0, 0.0))[0],
                             max(0.0, m3 - before.get(stream, (0, 0.0))[1]))
                    for stream, (kg, m3) in visit.load_by_stream.items()
                    if kg > before.get(stream, (0, 0.0))[0]
                }  # fmt: skip
        return found

    def route_of(self, vehicle_id: str) -> Route | None:
        return next((r for r in self.routes if r.vehicle_id == vehicle_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "routes": [r.to_dict() for r in self.routes],
            "unassigned": [u.to_dict() for u in self.unassigned],
            "totals": {
                "vehicles": len(self.routes),
                "stops_served": sum(v.kind == "stop" for r in self.routes for v in r.visits),
                "streets_served": sum(
                    v.kind == "street" for r in self.routes for v in r.visits
                ),
                "stops_unassigned": len(self.unassigned),
                "distance_m": self.distance_m,
                "duration_s": self.duration_s,
                "cost": round(self.cost, 6),
            },
            "stats": dict(self.stats),
        }
