"""Blocks: what a neighbour looks up on the public map, and what the trucks' GPS says of each.

A neighbour asks about *their* block, not about a street name: a long street is served block by
block, often by different trucks at different hours, and on a bad day some blocks are skipped.
So the public map draws one feature per block (a street served door to door, or the street piece
a stop stands on) and says of each block only what that block's own GPS evidence shows: its
last pass, that the truck did not come, or that there is not enough data to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from basuracero.maps.day import DayView, VisitView, physical_edge
from basuracero.maps.i18n import Lang

SERVED, MISSED, PENDING, UNKNOWN = "served", "missed", "pending", "unknown"
STATUSES = (SERVED, MISSED, PENDING, UNKNOWN)


@dataclass(frozen=True)
class Block:
    """One block as planned: where it is, what it is called, who serves it and when."""

    id: str  # the plan's visit id (its place id): GPS progress reports are keyed by it
    key: str  # the same block in every plan of a week: a street's task, else the place id
    name: str
    between: tuple[str, str]  # cross streets at its two ends ("" where there is none)
    vehicle_id: str
    time_s: int  # planned arrival, seconds after local midnight
    edges: tuple[int, ...]  # physical street edges drawn for it


@dataclass(frozen=True)
class BlockStatus:
    """What the fleet service knows of one block on the plan's day."""

    status: str  # served | missed | pending | unknown
    served_at: datetime | None = None
    eta: datetime | None = None
    rescheduled_for: date | None = None  # a later plan carries the missed block over

    @classmethod
    def of(
        cls,
        status: str,
        served_at: datetime | None = None,
        eta: datetime | None = None,
        rescheduled_for: date | None = None,
    ) -> BlockStatus:
        """A status as reported; any state this map does not know reads as "unknown", so a new
        state in the fleet service can never show as a pass."""
        known = status if status in STATUSES else UNKNOWN
        return cls(
            known,
            served_at if known == SERVED else None,
            eta if known == PENDING else None,
            rescheduled_for if known == MISSED else None,
        )


Progress = Mapping[str, BlockStatus]  # visit id -> what the GPS says of that block


@dataclass
class _Visit:
    """A collecting visit with the street edges it claims: its own and the ones driven to it."""

    visit: VisitView
    vehicle_id: str
    own: list[int]
    legs: list[tuple[int, int]]  # (edge, time) driven from the previous stop


def _collecting(day: DayView) -> list[_Visit]:
    """Every stop and street visit, with its own edge and, for a stop reached from another stop,
    the streets driven between the two (corner-stop plans collect along them)."""
    graph = day.graph
    found: list[_Visit] = []
    for route in day.routes:
        previous: VisitView | None = None
        for visit in route.visits:
            place = visit.place
            if visit.kind in ("stop", "street") and place is not None:
                own = [physical_edge(graph, place.edge)] if place.edge >= 0 else []
                legs: list[tuple[int, int]] = []
                joined = previous is not None and previous.kind == "stop" == visit.kind
                if joined and previous is not None and visit.leg_in is not None:
                    middle = (previous.departure_s + visit.arrival_s) // 2
                    legs = [(physical_edge(graph, s.edge), middle) for s in visit.leg_in.steps]
                found.append(_Visit(visit, route.vehicle_id, own, legs))
            if visit.kind != "break":
                previous = visit
    return found


def _first_passes(visits: list[_Visit]) -> dict[int, tuple[int, int]]:
    """Per physical edge, the earliest planned pass and the index of the visit making it."""
    first: dict[int, tuple[int, int]] = {}
    for index, item in enumerate(visits):
        marks = [(e, item.visit.arrival_s) for e in item.own] + item.legs
        for edge, time_s in marks:
            if edge not in first or time_s < first[edge][0]:
                first[edge] = (time_s, index)
    return first


def served_blocks(day: DayView) -> list[Block]:
    """The day's blocks in planned order. A block always draws its own street piece; a street
    driven between two stops goes to the stop whose drive passes it first, and to none when it
    is some block's own piece."""
    visits = _collecting(day)
    first = _first_passes(visits)
    owned = {e for item in visits for e in item.own}
    blocks = []
    for index, item in enumerate(visits):
        place = item.visit.place
        assert place is not None
        legs = [e for e, _ in item.legs if e not in owned and first[e][1] == index]
        edges = tuple(dict.fromkeys(item.own + legs))
        key = place.task if place.kind == "street" and place.task else place.id
        blocks.append(Block(place.id, key, place.name, place.between, item.vehicle_id,
                            item.visit.arrival_s, edges))  # fmt: skip
    return blocks


@dataclass
class ServedEdge:
    edge: int
    street: str
    vehicle_id: str
    time_s: int


def served_edges(day: DayView) -> dict[int, ServedEdge]:
    """Street segments where a truck collects, each with its first planned pass."""
    visits = _collecting(day)
    return {
        edge: ServedEdge(edge, str(day.graph.edge_name[edge]), visits[index].vehicle_id, time_s)
        for edge, (time_s, index) in _first_passes(visits).items()
    }


def status_text(
    found: BlockStatus, lang: Lang, *, now: datetime, service_date: date | None, tz: tzinfo
) -> str:
    """One line for the block's popup: ``Último paso: hoy 07:50``, ``Hoy no pasó:
    reprogramado para mañana``, ``Sin datos suficientes``. "Today" and "tomorrow" are the
    reader's, on the plan's clock."""
    today = now.astimezone(tz).date()
    if found.status == SERVED and found.served_at is not None:
        when = lang.when_served(found.served_at, now, tz=tz)
        return lang._("Last pass: {when}").format(when=when)
    if found.status == MISSED:
        text = _missed(service_date or today, today, lang)
        if found.rescheduled_for is not None:
            text = f"{text}: {_rescheduled(found.rescheduled_for, today, lang)}"
        return text
    if found.status == PENDING:
        if found.eta is not None:
            clock = lang.short_clock(_seconds(found.eta.astimezone(tz)))
            return lang._("Not yet; expected around {time}").format(time=clock)
        return lang._("Not yet")
    return lang._("Not enough data")


def _seconds(moment: datetime) -> int:
    return moment.hour * 3600 + moment.minute * 60


def _missed(day: date, today: date, lang: Lang) -> str:
    age = (today - day).days
    if age == 0:
        return lang._("Not collected today")
    if age == 1:
        return lang._("Not collected yesterday")
    return lang._("Not collected on {date}").format(date=lang.day_label(day, heading=False))


def _rescheduled(day: date, today: date, lang: Lang) -> str:
    ahead = (day - today).days
    if ahead == 0:
        return lang._("rescheduled for today")
    if ahead == 1:
        return lang._("rescheduled for tomorrow")
    return lang._("rescheduled for {date}").format(date=lang.day_label(day, heading=False))
