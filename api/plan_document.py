"""plan.json as the service accepts it: every field the checker, progress and maps rely on.

A plan missing its places, a visit without times, or a stop that is not among the places would
be stored and then fail every reader (progress 409s, maps break). Validating at the door turns
that into a 422 naming the field (``plan.routes.0.visits.3.arrival_s``). Unknown extra keys are
kept as they came: plan.json grows, and older readers must not lose what newer writers add.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from basuracero.routing.plan import SERVICE_KINDS

VisitKind = Literal["depot_start", "stop", "street", "unload", "break", "depot_end"]
SECONDS_2_DAYS = 2 * 24 * 3600


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class LoadIn(_Open):
    kg: int = Field(..., ge=0)
    m3: float = Field(..., ge=0)
    by_stream: dict[str, dict[str, float]] = Field(default_factory=dict)


class VisitIn(_Open):
    id: str = Field(..., min_length=1, max_length=200)
    kind: VisitKind
    task: str | None = Field(None, max_length=200)
    arrival_s: int = Field(..., ge=0, le=SECONDS_2_DAYS)
    departure_s: int = Field(..., ge=0, le=SECONDS_2_DAYS)
    load: LoadIn

    @model_validator(mode="after")
    def _leaves_after_arriving(self) -> VisitIn:
        if self.departure_s < self.arrival_s:
            raise ValueError(f"visit {self.id!r}: departure_s before arrival_s")
        return self


class RouteIn(_Open):
    vehicle_id: str = Field(..., min_length=1, max_length=200)
    visits: list[VisitIn] = Field(..., min_length=2, max_length=20_000)
    distance_m: int = Field(..., ge=0)
    duration_s: int = Field(..., ge=0)
    cost: float = Field(..., ge=0)


class UnassignedIn(_Open):
    id: str = Field(..., min_length=1, max_length=200)
    reason: str = Field(..., max_length=2000)


class PlaceIn(_Open):
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    kind: str = Field(..., min_length=1, max_length=40)
    name: str = Field("", max_length=500)


class PlanDocumentIn(_Open):
    """A plan.json as ``basuracero plan`` and plan jobs write it."""

    routes: list[RouteIn] = Field(..., max_length=2000)
    unassigned: list[UnassignedIn] = Field(default_factory=list)
    places: dict[str, PlaceIn] = Field(..., description="Where every visited place is.")
    date: str | None = Field(None, description="The plan's own service date, if it says one.")
    area: str | None = Field(None, max_length=64)

    @model_validator(mode="after")
    def _every_visit_has_a_place(self) -> PlanDocumentIn:
        for r, route in enumerate(self.routes):
            for v, visit in enumerate(route.visits):
                if visit.kind in SERVICE_KINDS and visit.id not in self.places:
                    raise ValueError(
                        f"routes.{r}.visits.{v}: {visit.kind} {visit.id!r} is not in places"
                    )
        return self
