"""Progress against the plan: which jobs were served, missed, are still to come, or cannot be told.

Pure logic: the caller matches each truck's track to the streets (``fleet.matching``) and says
where each job lies (``StopPlace``: for a door-to-door street its own line, the streets near it,
its dead ends and its way round); this module weighs the truck's raw fixes and matched path
against the plan. One rule, the same as README's "Progress against the plan":

* **served** only on evidence of the truck there, never on a guess.
  A door-to-door street (``StopPlace.whole_street``) is served once the truck was seen driving
  STREET_SHARE (60 %) of its length, either way, pieces joined, in and back out of a dead end
  included. A fix is *inside* the street when it lies within NEAR_M (20 m) of its line and no
  other street (a corner's cross street, a parallel one) is that near. Between two consecutive
  fixes within NEAR_M of the line (one fix thrown up to 2 NEAR_M off between them is noise) the
  truck drove the stretch between them when a run of such fixes holds SEEN_INSIDE (2) fixes
  inside, or one fix at least DEEP_M (30 m) from any other street, or a stretch of them
  that together weigh 1000 to 1 (RUN_ODDS) that they are the truck on this street rather than on the
  nearest other one (each fix, for Gaussian noise of SIGMA_M, 10 m: (d_other² - d_line²) /
  2σ², at most that of a fix on the line DEEP_M from any other street), and there was no
  time to leave by one end, go round the block and come back by the other. The same weight
  tells a street from a parallel one within DEEP_M, which no single fix can.
  A block too short to hold a fix inside it is served when consecutive fixes went from one
  of its sides to the other (from its corner, or from a street meeting it at that end only, to
  the other corner or a street meeting the other end only) through fixes near it, or the
  matched path ran straight through it between fixes at its ends, with no time between two
  fixes to go round it. Such a run holds only if it still holds without any one of its fixes
  between its ends, bar one DEEP_M from any other street or weighing as much (BRIDGE_WEIGHT;
  one fix thrown towards the street from a truck going round would fake it) and one that no
  truck going round could have thrown: no point of the way round (``StopPlace.way_round``)
  within THROWN_M of it that the truck could have reached from one end since the fix before
  and left for the other end by the fix after (at the streets' speeds with SPEED_MARGIN to
  spare, DEEP_M of head start at each end), and a fix counts
  at a corner only when farther than DEEP_M from the other corner. Evidence that only such a
  fix links still counts as what the fixes may have shown when judging missed.
  The matched path also counts around a fix deep inside. A street whose way round stays within
  DEEP_M of it (a parallel street that near, joined at both corners) is served only by fixes
  inside it or a run of RUN_ODDS. Seen only at its corners, a street is not served.
  A point stop is served by two fixes within NEAR_M of it, one within NEAR_M / 2, or a matched
  pass held by fixes either side as above; a fix counts only when nearer the stop than every
  street near that does not pass it, a lone one only when farther than NEAR_M from them.
  Fixes of a truck standing still (STOOD_S or more all within STOOD_M of where they centre: at
  a stop, for a break) count as two fixes at their median for what was served
  (``Track.standing_merged``): their scatter up and down a street is not the street driven.
  What may have been served unseen is judged on every fix.
* **missed** once the truck is past the job (SKIP_AHEAD jobs served beyond it in planned order,
  or the route's day is over) and the fixes rule out an unseen visit: in no gap between fixes
  could the truck have got from the first fix to the job (at V_TOP_MPS, 50 km/h, entering a
  street only by its ends, round the block to reach the far end), collected what of the street
  no fix would have shown (its clear stretch, at V_SERVE_MPS, twice the crew's pace; a stop:
  passed it; turning round costs U_TURN_S) and got to the next fix. A device that reported and
  fell silent before the truck was due at a job leaves it missed, the silence as its reason.
  A fix within DEEP_M of the street may be the truck on it; a fix farther is not (a 3-sigma
  throw), so the truck reached the street from it only through an end, unless it lies between
  two fixes on the street and within THROWN_M (40 m) of it: one such throw in a few hundred
  fixes is the noise of a day, not the truck elsewhere.
* **unknown**, with a ``reason``, when the fixes cannot tell: such a gap ("sin datos GPS entre
  ..."), fixes on the street yet too few to call it driven, a street beside it within DEEP_M
  driven along ("una calle paralela ..."), a device switched on after the
  truck was due, or a route whose device sent nothing at all ("sin señal GPS"): never served
  nor missed.
* **pending** otherwise (on a silent route, until the job's planned time), with an ETA.

"No time to go round" uses the street's bypass at the streets' own speeds with SPEED_MARGIN to
spare; every distance is straight-line, so each bound errs towards unknown.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from basuracero.fleet.matching import Traversal
from basuracero.fleet.way_round import WayRound

PASS_TOLERANCE_M = 25.0  # GPS and matching error along the street, for a stop's matched pass
NEAR_M = 20.0  # a raw fix this close to a stop is the truck there (trucks turn round inside a
# block, a spike the street matcher smooths away); this close to a street's line, on that street
STREET_SHARE = 0.6  # of a door-to-door street's length driven for it to count as served
V_MAX_MPS = 30.0 / 3.6  # fastest a truck gets round a block of these streets (four corners)
V_TOP_MPS = 50.0 / 3.6  # fastest a truck drives in town (the street graph's top speed)
SPEED_MARGIN = 1.5  # a truck may drive this much faster than the street graph's speeds
V_SERVE_MPS = 12.0 / 3.6  # fastest a crew collects along a street (twice the plan's 6 km/h)
U_TURN_S = 15.0  # a truck turning round in a street (a three-point turn) takes at least this
GPS_SLACK_M = 10.0  # how far a fix may be from the truck when judging what it could have done
SKIP_AHEAD = 3  # jobs served beyond an unserved one before it is judged
LATE_AFTER_S = 15 * 60
ROUTE_GRACE_S = 60 * 60  # after the planned return, the day is over for that route
START_GRACE_S = 5 * 60  # a first fix later than this after the planned departure: a late device
DEEP_M = 1.5 * NEAR_M  # a fix this far from any other street is the truck on this one, for
# the matched path to be taken along it (a corner's fix thrown that far is a 3-sigma event)
SIGMA_M = 10.0  # the GPS noise (standard deviation) the rule is made for
FIX_WEIGHT_MAX = 4.5  # log-odds of one fix at most: a fix on the line DEEP_M from any other street
BRIDGE_WEIGHT = (DEEP_M**2 - NEAR_M**2) / (2 * SIGMA_M**2)  # a fix that alone links a run:
# as sure as the least a fix DEEP_M from every other street and NEAR_M from this one weighs
RUN_ODDS = float(np.log(1000.0))  # log-odds for a run of fixes to be the truck on the street
THROWN_M = 2 * NEAR_M  # a fix between two on a street may be thrown this far off it (4 sigma: one
# in a few hundred fixes strays past DEEP_M, and a day has thousands)
SEEN_INSIDE = 2  # fixes inside a street not seen driven enough: it cannot be called missed
STOOD_S = 90.0  # fixes this long all within STOOD_M of where they centre: the truck stood there
STOOD_M = 3 * SIGMA_M  # (in and back out of a 45 m dead end at the crew's pace takes 75 s)
NO_SIGNAL = "sin señal GPS"
STATUSES = ("served", "missed", "pending", "unknown")


@dataclass(frozen=True)
class StopPlace:
    """Where a job is on the street graph: ``offset_m`` along ``edge``; ``twin`` is the same
    street's other direction (offset ``length_m - offset_m`` there), or -1.

    A door-to-door street also carries its own ``line`` as driven along ``edge`` (metric CRS; a
    stop, its street's), which of its ends are dead ends, ``bypass_m`` / ``bypass_s``, the
    shortest way from one end to the other without it (0 when unknown), and the ``others``
    streets near it with the ``clear`` stretch they leave: without its line only the matched
    path can serve it.
    """

    edge: int
    offset_m: float
    length_m: float
    twin: int = -1
    xy: tuple[float, float] | None = None  # the stop on the street, in the matcher's metric CRS
    whole_street: bool = False  # a door-to-door street: served by driving most of it
    line: LineString | None = field(default=None, compare=False)
    dead_end: tuple[bool, bool] = (False, False)  # at the line's start, at its end
    bypass_m: float = 0.0
    bypass_s: float = 0.0  # the same way round in seconds at the streets' speeds (0: unknown)
    others: BaseGeometry | None = field(default=None, compare=False)  # streets near its line
    clear: tuple[float, float] | None = None  # from-to metres along it with no other street near
    way_round: WayRound | None = field(default=None, compare=False)  # where going round passes


@dataclass
class StopProgress:
    id: str
    status: str  # served | missed | pending | unknown
    planned_at: datetime
    served_at: datetime | None = None
    eta: datetime | None = None
    late: bool = False
    reason: str | None = None  # why unknown (or why missed, when the device fell silent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "planned_at": _iso(self.planned_at),
            "served_at": _iso(self.served_at),
            "eta": _iso(self.eta),
            "late": self.late,
            "reason": self.reason,
        }


@dataclass
class RouteProgress:
    vehicle_id: str
    device_id: int | None
    stops: list[StopProgress]
    finished: bool
    delay_s: int | None
    edges_driven: dict[int, datetime] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for stop in self.stops:
            out[stop.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "vehicle_id": self.vehicle_id,
            "device_id": self.device_id,
            "finished": self.finished,
            "delay_s": self.delay_s,
            **self.counts(),
            "stops": [s.to_dict() for s in self.stops],
        }


@dataclass
class Track:
    """A truck's raw fixes so far: metric x, y and epoch seconds, in time order."""

    xy: NDArray[np.float64]
    t: NDArray[np.float64]
    _tree: shapely.STRtree | None = field(default=None, repr=False)

    @classmethod
    def of(cls, xy: NDArray[np.float64] | None, t: NDArray[np.float64] | None) -> Track:
        points = np.empty((0, 2)) if xy is None else np.asarray(xy, dtype=float).reshape(-1, 2)
        stamps = np.empty(0) if t is None else np.asarray(t, dtype=float).reshape(-1)
        order = np.argsort(stamps, kind="stable")
        return cls(points[order], stamps[order])

    def standing_merged(self) -> Track:
        """The track with each stretch where the truck stood (``_standing``) as two fixes at
        its median, at its first and last times. A truck standing minutes at a stop or for a
        break scatters dozens of fixes up and down the street it stands on, GPS noise that
        would read as that street driven."""
        keep_xy, keep_t, k = [], [], 0
        for start, end in _standing(self.xy, self.t):
            keep_xy.append(self.xy[k:start])
            keep_t.append(self.t[k:start])
            middle = np.median(self.xy[start : end + 1], axis=0)
            keep_xy.append(np.stack([middle, middle]))
            keep_t.append(self.t[[start, end]])
            k = end + 1
        if k == 0:
            return self
        keep_xy.append(self.xy[k:])
        keep_t.append(self.t[k:])
        return Track(np.concatenate(keep_xy), np.concatenate(keep_t))

    def near(self, geometry: Any, distance: float) -> NDArray[np.int64]:
        """Indices, in time order, of the fixes within ``distance`` of ``geometry``."""
        if len(self.t) == 0:
            return np.empty(0, dtype=np.int64)
        if self._tree is None:
            self._tree = shapely.STRtree(shapely.points(self.xy))
        return np.sort(self._tree.query(geometry, predicate="dwithin", distance=distance))


def _standing(xy: NDArray[np.float64], t: NDArray[np.float64]) -> list[tuple[int, int]]:
    """First and last index of each stretch of at least STOOD_S whose fixes all lie within
    STOOD_M of their running mean, bar single fixes thrown farther (one in a hundred at that
    noise), which the stretch takes in."""
    found, start, n = [], 0, len(t)
    while start < n - 2:
        end, total, count = start, xy[start].copy(), 1
        while end + 1 < n:
            centre = total / count
            step = next(
                (j for j in (end + 1, end + 2) if j < n and np.hypot(*(xy[j] - centre)) <= STOOD_M),
                None,
            )
            if step is None:
                break
            total += xy[end + 1 : step + 1].sum(axis=0)
            count += step - end
            end = step
        if t[end] - t[start] >= STOOD_S:
            found.append((start, end))
            start = end + 1
        else:
            start += 1
    return found


@dataclass
class MatchedPath:
    """A matched track's traversals with, per edge, where it is in them (looked up per job)."""

    items: list[Traversal]
    by_edge: dict[int, list[int]]

    @classmethod
    def of(cls, traversals: Sequence[Traversal] | MatchedPath) -> MatchedPath:
        if isinstance(traversals, MatchedPath):
            return traversals
        by_edge: dict[int, list[int]] = {}
        for i, item in enumerate(traversals):
            by_edge.setdefault(item.edge, []).append(i)
        return cls(list(traversals), by_edge)

    def on(self, place: StopPlace) -> list[int]:
        """Positions, in driving order, of the traversals of the place's street either way."""
        found = self.by_edge.get(place.edge, [])
        if place.twin >= 0:
            found = sorted(found + self.by_edge.get(place.twin, []))
        return found


Matched = Sequence[Traversal] | MatchedPath


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_moment(service_date: date, seconds: int, tz: tzinfo) -> datetime:
    """Plan times are seconds after local midnight of the service date, in the area's zone."""
    midnight = datetime.combine(service_date, time(0), tzinfo=tz)
    return midnight + timedelta(seconds=seconds)


def passes(traversals: Matched, place: StopPlace) -> float | None:
    """Epoch seconds when the matched track first passed the place, or None.

    A door-to-door street needs the matched path to drive at least STREET_SHARE of it (in either
    direction: the crew collects both kerbs), not to cross it at a corner.
    """
    if place.whole_street and _driven_m(traversals, place) < STREET_SHARE * place.length_m:
        return None
    path = MatchedPath.of(traversals)
    for item in (path.items[i] for i in path.on(place)):
        if item.edge == place.edge:
            offset = place.offset_m
        elif place.twin >= 0 and item.edge == place.twin:
            offset = place.length_m - place.offset_m
        else:
            continue
        if item.start_m - PASS_TOLERANCE_M <= offset <= item.end_m + PASS_TOLERANCE_M:
            return item.time_at(offset)
    return None


def _matched_spans(
    traversals: Matched, place: StopPlace
) -> list[tuple[float, float, float, float, bool]]:
    """(start_t, end_t, from_m, to_m, forward) of the matched path on the place's street,
    measured along ``place.edge`` whichever direction was driven (forward: along it)."""
    return [span for _, span in _matched_pieces(traversals, place)]


def _matched_pieces(
    traversals: Matched, place: StopPlace
) -> list[tuple[int, tuple[float, float, float, float, bool]]]:
    """The matched spans on the place's street with their positions in ``traversals``."""
    path = MatchedPath.of(traversals)
    pieces = []
    for i in path.on(place):
        item = path.items[i]
        if item.edge == place.edge:
            pieces.append((i, (item.start_t, item.end_t, item.start_m, item.end_m, True)))
        elif place.twin >= 0 and item.edge == place.twin:
            length = place.length_m
            span = (item.start_t, item.end_t, length - item.end_m, length - item.start_m, False)
            pieces.append((i, span))
    return pieces


def _driven_m(traversals: Matched, place: StopPlace) -> float:
    """Metres of the place's street covered by the matched path, either way, pieces joined."""
    spans = [(t1, a, b) for _, t1, a, b, _ in _matched_spans(traversals, place)]
    return _union_m(spans) + PASS_TOLERANCE_M


def _union_m(spans: Sequence[tuple[float, float, float]]) -> float:
    """Length of the union of (time, from_m, to_m) stretches."""
    covered, reach = 0.0, -np.inf
    for a, b in sorted((lo, hi) for _, lo, hi in spans):
        a = max(a, reach)
        if b > a:
            covered += b - a
            reach = b
    return covered


def _first_time_covering(
    spans: Sequence[tuple[float, float, float]], need_m: float
) -> float | None:
    """When the stretches seen so far, taken in time order, first add up to ``need_m`` (the
    union only grows with more of them: a binary search over how many)."""
    ordered = sorted(spans)
    if not ordered or _union_m(ordered) < need_m:
        return None
    low, high = 1, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if _union_m(ordered[:middle]) >= need_m:
            high = middle
        else:
            low = middle + 1
    return ordered[low - 1][0]


def near(
    fixes_xy: NDArray[np.float64], fix_times: NDArray[np.float64], place: StopPlace
) -> float | None:
    """Epoch seconds when raw fixes showed the truck at the stop, or None: a second fix within
    NEAR_M of it (a truck serving a stop stands there), or one within NEAR_M / 2 (a lone fix
    20 m off may be a truck passing the next street, thrown by noise). With the streets near
    it known (``others``: those not passing within NEAR_M / 2 of it), a fix counts only when
    nearer the stop than those streets, and a lone one only when farther than NEAR_M from
    them: a truck going by on the next street 20 m off, or crossing the stop's street at a
    corner 20 m away, throws fixes that near."""
    if place.xy is None or len(fixes_xy) == 0:
        return None
    gaps = np.hypot(fixes_xy[:, 0] - place.xy[0], fixes_xy[:, 1] - place.xy[1])
    to_other = np.full(len(gaps), np.inf)
    if place.others is not None and not place.others.is_empty:
        to_other = shapely.distance(shapely.points(fixes_xy), place.others)
    close = np.flatnonzero((gaps <= NEAR_M) & (gaps < to_other))
    found = [float(fix_times[close[1]])] if len(close) > 1 else []
    alone = close[(gaps[close] <= NEAR_M / 2) & (to_other[close] > NEAR_M)]
    found += [float(fix_times[k]) for k in alone[:1]]
    return min(found) if found else None


def _stop_passed(track: Track, traversals: Matched, place: StopPlace) -> float | None:
    """When the matched path drove past the stop: any pass for a stop placed without its
    street's line, else only a pass the fixes either side hold (``_anchored``)."""
    if place.line is None:
        return passes(traversals, place)
    seen = _fixes_on(track, place)
    if seen is None:
        return None
    path = MatchedPath.of(traversals)
    pieces = [(i, span) for i, span in _matched_pieces(path, place) if _drivable(span)]
    offset = place.line.project(shapely.Point(place.xy)) if place.xy else place.offset_m
    held = [
        t for t, lo, hi in _anchored(track, seen[0], pieces, len(path.items), place)
        if lo - PASS_TOLERANCE_M <= offset <= hi + PASS_TOLERANCE_M
    ]  # fmt: skip
    return min(held) if held else None


def street_spans(
    track: Track, traversals: Matched, place: StopPlace
) -> list[tuple[float, float, float]]:
    """(time, from_m, to_m): stretches of a door-to-door street the truck was seen driving."""
    return street_evidence(track, traversals, place)[0]


def street_evidence(
    track: Track, traversals: Matched, place: StopPlace, *, strict: bool = True
) -> tuple[list[tuple[float, float, float]], int]:
    """The stretches of a street the truck was seen driving (``street_spans``) and how many of
    its fixes were inside the street (going its way, if one way). Not ``strict``: also runs
    that one thrown fix alone links, which may have been the truck on it (what the fixes may
    have shown, when judging whether the rest could have been served unseen)."""
    spans, lenient, inside = _evidence(track, traversals, place)
    return (spans if strict else spans + lenient()), inside


Spans = list[tuple[float, float, float]]


def _evidence(
    track: Track, traversals: Matched, place: StopPlace
) -> tuple[Spans, Callable[[], Spans], int]:
    """``street_evidence``'s strict spans, what the lenient ones add (worked out when asked:
    only an unserved street needs them), and the fixes inside."""
    line = place.line
    path = MatchedPath.of(traversals)
    matched = _matched_spans(path, place)
    if line is None:
        return [(t1, a, b) for _, t1, a, b, _ in matched], list, 0
    seen = _fixes_on(track, place)
    if seen is None:
        return [], list, 0
    index, along, inside, linked = seen
    stamps = track.t[index]
    linked = linked & _no_time_round(stamps, along, place)
    if place.twin < 0:  # one way: only runs of fixes going its way (not the other carriageway)
        linked = linked & _going_its_way(along, linked)
    deep = inside & _inside(track.xy[index], along, place, DEEP_M)
    weighed = _runs_weighed(_weights(track.xy[index], place), linked)
    counted = _runs_seen_inside(inside, deep, linked) | weighed
    if _way_round_near(place):  # links only
        counted = linked & (deep[:-1] | deep[1:]) | weighed
    spans = [
        (float(stamps[k + 1]), *sorted((float(along[k]), float(along[k + 1]))))
        for k in np.flatnonzero(counted)
    ]
    spans += _corner_runs(track, index, linked, place)
    if place.twin < 0:  # one way: a fix inside it counts when its run goes its way
        inside = inside & (np.append(linked, False) | np.insert(linked, 0, False))
        deep = deep & inside
    deep_times = np.sort(stamps[deep])
    for start_t, end_t, a, b, _ in filter(_drivable, matched):
        k = int(np.searchsorted(deep_times, start_t))
        if k < len(deep_times) and deep_times[k] <= end_t:  # around a fix seen deep inside it
            spans.append((end_t, a, b))
    pieces = [(i, span) for i, span in _matched_pieces(path, place) if _drivable(span)]
    spans += _anchored(track, index, pieces, len(path.items), place)

    def lenient() -> Spans:
        return _corner_runs(track, index, linked, place, strict=False) + _anchored(
            track, index, pieces, len(path.items), place, strict=False
        )

    return spans, lenient, int(inside.sum())


def _drivable(span: tuple[float, float, float, float, bool]) -> bool:
    """A matched piece a truck could drive in its time (a matcher explaining noise at a corner
    sometimes runs a whole block in a second)."""
    start_t, end_t, a, b, _ = span
    return b - a <= V_TOP_MPS * max(end_t - start_t, 1.0)


def _runs_seen_inside(
    inside: NDArray[np.bool_], deep: NDArray[np.bool_], linked: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Per link, whether it counts: its run of linked fixes has SEEN_INSIDE fixes inside the
    street or one deep inside it (then the whole run is the truck on it: from inside, it can
    only leave through an end), or the link has a fix deep inside it at either end. One fix
    merely inside may be a truck on the next street thrown by noise."""
    cuts = [0, *(np.flatnonzero(~linked) + 1).tolist(), len(inside)]
    counted = deep[:-1] | deep[1:]
    for lo, hi in itertools.pairwise(cuts):
        if inside[lo:hi].sum() >= SEEN_INSIDE or deep[lo:hi].any():
            counted[lo : hi - 1] = True
    return counted & linked


def _weights(xy: NDArray[np.float64], place: StopPlace) -> NDArray[np.float64]:
    """Per fix, the log-odds that it is the truck on this street rather than on the nearest
    other one, for Gaussian noise of SIGMA_M (the worst the rule is made for), at most
    FIX_WEIGHT_MAX (one fix thrown far from every street must not decide alone)."""
    assert place.line is not None
    points = shapely.points(xy)
    to_line = shapely.distance(points, place.line)
    if place.others is None or place.others.is_empty:
        return np.zeros(len(xy))
    to_other = shapely.distance(points, place.others)
    weight = (to_other**2 - to_line**2) / (2 * SIGMA_M**2)
    return np.minimum(weight, FIX_WEIGHT_MAX)


def _runs_weighed(weights: NDArray[np.float64], linked: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Per link, whether it lies in a stretch of consecutive linked fixes that weighs RUN_ODDS
    or more (``_weights``) that it is the truck on this street: a street with another one near
    it along (a parallel street within DEEP_M, fixes thrown by 10 m noise) is told from it by
    many fixes together, not by any one. A stretch, not the whole run: fixes on the cross
    street the truck turned in from weigh against it and say nothing of the street itself."""
    cuts = [0, *(np.flatnonzero(~linked) + 1).tolist(), len(weights)]
    counted = np.zeros(len(linked), dtype=bool)
    for lo, hi in itertools.pairwise(cuts):
        if hi - lo < 2:
            continue
        prefix = np.concatenate([[0.0], np.cumsum(weights[lo:hi])])
        lowest_before = np.minimum.accumulate(prefix)[:-2]  # per link k: min over i <= k
        highest_after = np.maximum.accumulate(prefix[::-1])[::-1][2:]  # max over j >= k + 2
        counted[lo : hi - 1] = highest_after - lowest_before >= RUN_ODDS
    return counted & linked


def _no_time_round(
    stamps: NDArray[np.float64], along: NDArray[np.float64], place: StopPlace
) -> NDArray[np.bool_]:
    """Per link, whether the truck had no time to get from one fix to the next without driving
    the street between them: leaving by the end behind, round the block and back in by the end
    ahead (``_round_s``). Without a known bypass, every link holds."""
    if _round_s(place) <= 0 or place.line is None:
        return np.ones(len(stamps) - 1, dtype=bool)
    low = np.minimum(along[:-1], along[1:])
    high = np.maximum(along[:-1], along[1:])
    way_round_s = (low + place.line.length - high) / V_TOP_MPS + _round_s(place)
    return np.diff(stamps) < way_round_s


def _round_passes_near(
    place: StopPlace,
    xy: NDArray[np.float64],
    stamps: NDArray[np.float64],
    middle: NDArray[np.int64],
    entry: int | None,
) -> NDArray[np.bool_]:
    """Per fix ``xy`` (at ``stamps[middle]``, between the fixes at ``middle`` - 1 and + 1),
    whether it may be a truck going round the street from its ``entry`` end (either, if None)
    thrown towards it: some point of the way round within THROWN_M of the fix, which the truck
    could reach from that end since the fix before and leave for the other end by the fix after
    (at the streets' speeds with SPEED_MARGIN to spare, DEEP_M of head start at each end).
    Without the way round known, every fix may."""
    way = place.way_round
    if way is None or len(middle) == 0:
        return np.ones(len(middle), dtype=bool)
    before = stamps[middle] - stamps[middle - 1] + DEEP_M / V_TOP_MPS
    after = stamps[middle + 1] - stamps[middle] + DEEP_M / V_TOP_MPS
    close = np.hypot(*(xy[:, None, :] - way.xy[None, :, :]).transpose(2, 0, 1)) <= THROWN_M
    found = np.zeros(len(middle), dtype=bool)
    for start in (0, 1) if entry is None else (entry,):
        reach = way.from_end[start][None, :] / SPEED_MARGIN <= before[:, None]
        leave = way.to_end[1 - start][None, :] / SPEED_MARGIN <= after[:, None]
        found |= np.any(close & reach & leave, axis=1)
    return found


def _way_round_near(place: StopPlace) -> bool:
    """Whether the street's way round may stay within GPS noise of it (a parallel street up to
    DEEP_M away, joined at both corners): then fixes beside it cannot tell it from its bypass,
    and only fixes inside it serve it."""
    length = place.line.length if place.line is not None else place.length_m
    return place.bypass_m < length + 2 * DEEP_M


def _seen_alongside(track: Track, place: StopPlace) -> bool:
    """Whether consecutive fixes within NEAR_M of the street went along STREET_SHARE of it:
    the truck drove it or the street beside it, which the fixes cannot tell apart."""
    if place.line is None or len(track.t) < 2:
        return False
    index = track.near(place.line, NEAR_M)
    along = shapely.line_locate_point(place.line, shapely.points(track.xy[index]))
    pairs = np.flatnonzero(np.diff(index) == 1)
    spans = [(0.0, *sorted((float(along[k]), float(along[k + 1])))) for k in pairs]
    return _union_m(spans) >= STREET_SHARE * place.line.length


def _round_s(place: StopPlace) -> float:
    """Least time to go round the street from one end to the other: its bypass at the streets'
    speeds with SPEED_MARGIN to spare, or its length at V_MAX_MPS; 0 when unknown."""
    if place.bypass_s > 0:
        return place.bypass_s / SPEED_MARGIN
    return place.bypass_m / V_MAX_MPS


def _going_its_way(along: NDArray[np.float64], linked: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Per link, whether the truck was going the street's way there: its progress along the
    street over that link and its linked neighbours (three links smooth out the GPS noise; a
    run coming back on the other carriageway turns negative)."""
    step = np.where(linked, np.diff(along), 0.0)
    cuts = [0, *(np.flatnonzero(~linked) + 1).tolist(), len(linked)]
    ahead = np.zeros(len(linked), dtype=bool)
    for lo, hi in itertools.pairwise(cuts):
        padded = np.pad(step[lo:hi], 1)
        ahead[lo:hi] = padded[:-2] + padded[1:-1] + padded[2:] > 0
    return ahead & linked


def _anchored(
    track: Track,
    index: NDArray[np.int64],
    pieces: Sequence[tuple[int, tuple[float, float, float, float, bool]]],
    n_traversals: int,
    place: StopPlace,
    *,
    strict: bool = True,
) -> list[tuple[float, float, float]]:
    """What the matched path drove straight through the street (not turning on it, which is how
    a matcher explains noise at a corner) between two fixes within NEAR_M of it, the first
    within 2 NEAR_M of its entry end and NEAR_M / 2 nearer it than the exit end, the last
    likewise at its exit end, any fix between them within NEAR_M of it too, when there was never
    time between two of those fixes, nor between two with one fix between them, to go round the
    block instead (``_round_s`` less the way from the outer fixes to their ends at V_TOP_MPS): a
    block too short to hold a fix inside it is seen this way."""
    assert place.line is not None
    line = place.line
    if _way_round_near(place) or len(track.t) < 2:
        return []
    near_set = set(index.tolist())
    ends = shapely.get_coordinates(line)[[0, -1]]
    spans = []
    for run in _straight_runs(pieces, n_traversals):
        start_t, end_t = run[0][0], run[-1][1]
        lo, hi, forward = min(p[2] for p in run), max(p[3] for p in run), run[0][4]
        first = int(np.searchsorted(track.t, start_t, side="right")) - 1
        last = int(np.searchsorted(track.t, end_t, side="left"))
        if first < 0 or last >= len(track.t) or hi - lo <= 0:
            continue
        if any(k not in near_set for k in range(first, last + 1)):
            continue
        entry, leave = (ends[0], ends[1]) if forward else (ends[1], ends[0])
        a, b = track.xy[first], track.xy[last]
        to_entry, to_leave = float(np.hypot(*(a - entry))), float(np.hypot(*(b - leave)))
        if max(to_entry, to_leave) > 2 * NEAR_M:  # farther, the way by road may be longer
            continue
        margin = NEAR_M / 2  # GPS noise: nearer by less tells nothing (a block this short: none)
        plain = (
            float(np.hypot(*(a - leave))) >= to_entry + margin
            and float(np.hypot(*(b - entry))) >= to_leave + margin
        )
        way_round_s = _round_s(place) - (max(to_entry, NEAR_M) + max(to_leave, NEAR_M)) / V_TOP_MPS
        steps = np.diff(track.t[first : last + 1])
        bridged = track.t[first + 2 : last + 1] - track.t[first : last - 1]
        middle = np.arange(first + 1, last)
        held = (_weights(track.xy[middle], place) >= BRIDGE_WEIGHT) | ~_round_passes_near(
            place, track.xy[middle], track.t, middle, 0 if forward else 1
        )
        robust = np.all((bridged < way_round_s) | held) or not strict
        if plain and np.all(steps < way_round_s) and robust:
            spans.append((float(end_t), lo, hi))
    return spans


def _straight_runs(
    pieces: Sequence[tuple[int, tuple[float, float, float, float, bool]]], n_traversals: int
) -> list[list[tuple[float, float, float, float, bool]]]:
    """Consecutive matched pieces on the street in one direction, entered from and left to
    other streets (a run next to another on the same street is a turn on it: left out)."""
    runs: list[list[tuple[int, tuple[float, float, float, float, bool]]]] = []
    for i, span in pieces:
        if runs and runs[-1][-1][0] == i - 1 and runs[-1][-1][1][4] == span[4]:
            runs[-1].append((i, span))
        else:
            runs.append([(i, span)])
    kept = []
    for k, run in enumerate(runs):
        turned_before = k > 0 and runs[k - 1][-1][0] == run[0][0] - 1
        turned_after = k + 1 < len(runs) and runs[k + 1][0][0] == run[-1][0] + 1
        if not (turned_before or turned_after) and run[0][0] > 0 and run[-1][0] < n_traversals - 1:
            kept.append([span for _, span in run])
    return kept


def _fixes_on(
    track: Track, place: StopPlace
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]] | None:
    """The fixes within NEAR_M of the street: their indices, how far along it, whether each is
    inside it, and whether each is linked to the next (the next fix, or the one after when the
    fix between strayed less than 2 NEAR_M: GPS noise, not a drive elsewhere)."""
    assert place.line is not None
    wide = track.near(place.line, 2 * NEAR_M)
    if len(wide) == 0:
        return None
    points = shapely.points(track.xy[wide])
    close = shapely.distance(points, place.line) <= NEAR_M
    index = wide[close]
    if len(index) == 0:
        return None
    along = shapely.line_locate_point(place.line, points[close])
    steps = np.diff(index)
    linked = (steps == 1) | ((steps == 2) & np.isin(index[:-1] + 1, wide))
    return index, along, _inside(track.xy[index], along, place), linked


def _inside(
    xy: NDArray[np.float64], along: NDArray[np.float64], place: StopPlace, margin: float = NEAR_M
) -> NDArray[np.bool_]:
    """Fixes on the street itself: no other street within ``margin`` of them (a corner's cross
    street, a parallel carriageway); without the other streets, ``margin`` from its corners."""
    if place.others is not None:
        if place.others.is_empty:
            return np.ones(len(xy), dtype=bool)
        return shapely.distance(shapely.points(xy), place.others) > margin
    length = place.line.length if place.line is not None else place.length_m
    low = 0.0 if place.dead_end[0] else margin
    high = length - (0.0 if place.dead_end[1] else margin)
    return (along >= low) & (along <= high)


def _corner_runs(
    track: Track,
    index: NDArray[np.int64],
    linked: NDArray[np.bool_],
    place: StopPlace,
    *,
    strict: bool = True,
) -> list[tuple[float, float, float]]:
    """The whole street, when consecutive fixes near it (none thrown off: no bridged link) went
    from one corner to the other with never time between two of them to go round the block
    (``_round_s``) instead, nor without any one fix between (one fix thrown towards the street
    from a truck going round would link the run alone); a corner's fix is farther than DEEP_M
    from the other corner.

    Only for a street whose way round leaves the noise around it (``_way_round_near``: a
    parallel street within DEEP_M would look the same) and whose corners are 2 NEAR_M apart
    (nearer, one fix can look like either).
    """
    assert place.line is not None
    length = place.line.length
    if _way_round_near(place) or length < 2 * NEAR_M:
        return []
    longest_s = _round_s(place) - 2 * NEAR_M / V_TOP_MPS
    ends = shapely.get_coordinates(place.line)[[0, -1]]
    xy = track.xy[index]
    to_start = np.hypot(*(xy - ends[0]).T)
    to_end = np.hypot(*(xy - ends[1]).T)
    at_start = (to_start <= NEAR_M) & (to_end > DEEP_M)  # a truck at the other corner: a
    at_end = (to_end <= NEAR_M) & (to_start > DEEP_M)  # fix thrown this far is 3 sigma
    stamps = track.t[index]
    breaks = ~linked | (np.diff(index) != 1) | (np.diff(stamps) >= longest_s)
    if strict:  # a fix that alone links its run (one thrown towards the street from a truck
        # going round would do it), unless DEEP_M from every other street: 3 sigma
        along = shapely.line_locate_point(place.line, shapely.points(xy))
        deep = _inside(xy, along, place, DEEP_M) | (_weights(xy, place) >= BRIDGE_WEIGHT)
        outer_m = np.minimum(along[2:], along[:-2]) + length - np.maximum(along[2:], along[:-2])
        bridge_s = longest_s + outer_m / V_TOP_MPS  # from fix to fix, round the block
        thrown = (stamps[2:] - stamps[:-2] >= bridge_s) & ~deep[1:-1]
        middle = np.flatnonzero(thrown) + 1
        thrown[middle - 1] = _round_passes_near(place, xy[middle], stamps, middle, None)
        breaks[1:] |= thrown
    cuts = [0, *(np.flatnonzero(breaks) + 1).tolist(), len(index)]
    spans = []
    for lo, hi in itertools.pairwise(cuts):
        starts, finishes = np.flatnonzero(at_start[lo:hi]), np.flatnonzero(at_end[lo:hi])
        if len(starts) and len(finishes):
            both = lo + max(starts[0], finishes[0])
            spans.append((float(track.t[index[both]]), 0.0, float(length)))
    return spans


def _through_runs(
    track: Track, place: StopPlace
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Strict and lenient (as ``street_evidence``): the whole street, when consecutive fixes
    went from one of its sides to the other (a fix on a street meeting it at one end only,
    ``_on_neighbours``, or one at that corner farther than DEEP_M from the other corner)
    through fixes within NEAR_M of it (strict: each one but those DEEP_M from every other
    street bridged in time by the fixes either side of it too), with never time between two of
    them to go round the block instead (``_round_s`` less the way from each fix to its corner
    at V_TOP_MPS, along the street it is on, at least NEAR_M each): the truck crossed it. A
    block too short to hold a fix of its own (a crossing between a divided avenue's
    carriageways, a jog between two corners) is seen driven this way. Not for a street whose
    way round stays near it (``_way_round_near``); a one-way street is crossed only its way.
    """
    line = place.line
    if line is None or _round_s(place) <= 0 or len(track.t) < 3 or _way_round_near(place):
        return [], []
    wide = track.near(line, DEEP_M)
    found = _on_neighbours(place, track.xy[wide]) if len(wide) >= 3 else None
    if found is None:
        return [], []
    inside, to_corner = found
    on_line = shapely.distance(shapely.points(track.xy[wide]), line) <= DEEP_M
    for side in (0, 1):  # at that corner, nearer it than the other by NEAR_M: on that side
        plain = np.hypot(*(track.xy[wide] - shapely.get_coordinates(line)[-side]).T)
        other = to_corner[1 - side]
        at = (plain <= NEAR_M) & (other >= plain + NEAR_M) & (other > DEEP_M)
        inside[side] = inside[side] | at
    consecutive = np.diff(wide) == 1
    steps = np.diff(track.t[wide])
    longest_s = _round_s(place) - 2 * NEAR_M / V_TOP_MPS
    along = shapely.line_locate_point(line, shapely.points(track.xy[wide]))
    deep = on_line & (
        _inside(track.xy[wide], along, place, DEEP_M)
        | (_weights(track.xy[wide], place) >= BRIDGE_WEIGHT)
    )
    both: tuple[list[tuple[float, float, float]], ...] = ([], [])
    ways = [(0, 1)] if place.twin < 0 else [(0, 1), (1, 0)]
    middle = np.arange(1, len(wide) - 1)
    round_near = {}  # per entry end: whether a truck going round may be near fix k
    for entry, _ in ways:
        round_near[entry] = np.ones(len(wide), dtype=bool)
        round_near[entry][middle] = _round_passes_near(
            place, track.xy[wide][middle], track.t[wide], middle, entry
        )
    for (entry, leave), strict in itertools.product(ways, (True, False)):
        spans = both[0 if strict else 1]
        ahead_m = np.maximum(to_corner[entry][:-1], NEAR_M) + np.maximum(
            to_corner[leave][1:], NEAR_M
        )
        way_round_s = _round_s(place) - ahead_m / V_TOP_MPS
        holds = consecutive & (steps < way_round_s)
        since: int | None = None  # the latest fix on the entry side, linked to here
        for k in range(len(wide)):
            if since is not None and (not holds[k - 1] or not (on_line[k] or inside[leave][k])):
                since = None
            if (
                strict
                and since is not None
                and k - 1 > since
                and not deep[k - 1]
                and not (consecutive[k - 2] and track.t[wide[k]] - track.t[wide[k - 2]] < longest_s)
                and round_near[entry][k - 1]
            ):  # fix k - 1 alone links the run: one thrown fix could fake it, unless deep
                since = None
            if since is not None and inside[leave][k]:
                spans.append((float(track.t[wide[k]]), 0.0, float(line.length)))
                since = None
            if inside[entry][k]:
                since = k
    return both[0], both[1]


def _on_neighbours(
    place: StopPlace, xy: NDArray[np.float64]
) -> tuple[list[NDArray[np.bool_]], list[NDArray[np.float64]]] | None:
    """Per end of the street (its line's start, its end): which fixes are the truck on a street
    that meets it at that end only, and how far each fix is from that corner (along the street
    it is on, when on one: the truck's way there; else straight). None without such streets.

    On such a street: within NEAR_M of it, farther than NEAR_M from every other street near
    and weighing BRIDGE_WEIGHT that it is on that side rather than on any other street (a
    fix 20 m from a side street is as likely thrown 20 m from a truck elsewhere),
    farther than NEAR_M from this street or than DEEP_M from its other end (a fix on it may be
    the truck anywhere on it; one thrown that far from the truck is a 3-sigma event), and within
    DEEP_M of it (so that every street near the fix is among ``others``): the truck on that side
    or on this street near that end. A street meeting both ends is a way round, not a side.
    """
    line, others = place.line, place.others
    if line is None or others is None or others.is_empty:
        return None
    ends = shapely.get_coordinates(line)[[0, -1]]
    parts = shapely.get_parts(others)
    tips = np.stack([shapely.get_coordinates(part)[[0, -1]] for part in parts.tolist()])
    touches = [np.any(np.hypot(*(tips - end).T) <= 1.0, axis=0) for end in ends]
    sides = [touches[0] & ~touches[1], touches[1] & ~touches[0]]
    if not (sides[0].any() and sides[1].any()):
        return None
    points = shapely.points(xy)
    to_line = shapely.distance(points, line)
    gaps = np.stack([shapely.distance(points, part) for part in parts.tolist()])  # parts, fixes
    inside, to_corner = [], []
    for side in (0, 1):
        to_side = gaps[sides[side]].min(axis=0)
        to_rest = gaps[~sides[side]].min(axis=0) if (~sides[side]).any() else np.inf
        near_side = to_side <= NEAR_M
        away = (to_rest > NEAR_M) & ((to_rest**2 - to_side**2) / (2 * SIGMA_M**2) >= BRIDGE_WEIGHT)
        off_far_end = np.hypot(*(xy - ends[1 - side]).T) > DEEP_M
        on = near_side & away & ((to_line > NEAR_M) | off_far_end) & (to_line <= DEEP_M)
        road = np.full(len(xy), np.inf)
        for k in np.flatnonzero(sides[side]):
            part, near = parts[k], gaps[k] <= NEAR_M
            corner_first = np.hypot(*(tips[k, 0] - ends[side])) <= 1.0
            along = shapely.line_locate_point(part, points)
            along = along if corner_first else part.length - along
            road = np.where(near, np.minimum(road, along + gaps[k]), road)
        plain = np.hypot(*(xy - ends[side]).T)
        inside.append(on)
        to_corner.append(np.where(on, np.maximum(plain, road), plain))
    return inside, to_corner


def street_verdict(
    track: Track, traversals: Matched, place: StopPlace
) -> tuple[float | None, tuple[float, int]]:
    """A door-to-door street: when it was served (or None) and, for judging it otherwise, the
    metres the fixes may have shown driven (lenient evidence) and the fixes inside it."""
    need = STREET_SHARE * (place.line.length if place.line is not None else place.length_m)
    spans, lenient, inside = _evidence(track, traversals, place)
    found = _first_time_covering(spans, need)
    if found is not None:
        return found, (_union_m(spans), inside)
    strict, loose = _through_runs(track, place)  # crossed whole, between its two sides?
    found = _first_time_covering(spans + strict, need)
    return found, (_union_m(spans + lenient() + strict + loose), inside)


def served_time(track: Track, traversals: Matched, place: StopPlace) -> float | None:
    """Epoch seconds when the job was served, by the rule of this module, or None."""
    if place.whole_street:
        return street_verdict(track, traversals, place)[0]
    found = [t for t in (_stop_passed(track, traversals, place), near(track.xy, track.t, place))
             if t]  # fmt: skip
    return min(found) if found else None


def hidden_gap(
    track: Track, place: StopPlace, covered_m: float = 0.0
) -> tuple[float, float] | None:
    """The longest gap between fixes (``_windows``) in which the truck could have served the
    job unseen: got from the first fix to it at V_TOP_MPS, collected along STREET_SHARE of the
    street at V_SERVE_MPS (or passed within NEAR_M of a stop) and got to the second fix, each
    fix GPS_SLACK_M off. None if there is no such gap.
    """
    if len(track.t) < 2:
        return None
    first, last = _windows(track, place)
    a, b = track.xy[first], track.xy[last]
    if place.line is not None:
        need_s = _detour_s(a, b, place, covered_m)
    elif place.xy is not None:
        spot = np.asarray(place.xy)
        way = np.hypot(*(a - spot).T) + np.hypot(*(spot - b).T) - 2 * NEAR_M
        need_s = way / V_TOP_MPS
    else:
        return None
    gaps = track.t[last] - track.t[first]
    possible = np.flatnonzero(need_s - 2 * GPS_SLACK_M / V_TOP_MPS <= gaps)
    if len(possible) == 0:
        return None
    k = possible[np.argmax(gaps[possible])]
    return float(track.t[first[k]]), float(track.t[last[k]])


def _windows(track: Track, place: StopPlace) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs of fixes between which the truck may have gone unseen: consecutive ones, and two
    fixes within NEAR_M of a street either side of one that strayed less than THROWN_M, or of
    two that strayed less than DEEP_M (the truck on it, those fixes thrown off by noise), all
    beside its clear stretch."""
    n = len(track.t)
    first, last = np.arange(n - 1), np.arange(1, n)
    if not place.whole_street or place.line is None or n < 3:
        return first, last
    wide = track.near(place.line, THROWN_M)
    points = shapely.points(track.xy[wide])
    along = shapely.line_locate_point(place.line, points)
    low, high = _clear_stretch(place)
    by = (along >= low - NEAR_M) & (along <= high + NEAR_M) if _has_clear(place) else True
    beside = {THROWN_M: np.zeros(n, dtype=bool), DEEP_M: np.zeros(n, dtype=bool)}
    close = np.zeros(n, dtype=bool)
    off = shapely.distance(points, place.line)
    beside[THROWN_M][wide[by]] = True
    beside[DEEP_M][wide[by & (off <= DEEP_M)]] = True
    close[wide[off <= NEAR_M]] = True
    firsts, lasts = [first], [last]
    for span, stray in ((2, THROWN_M), (3, DEEP_M)):  # fixes thrown between two on the street
        if n <= span:
            break
        between = np.all([beside[stray][k : n - span + k] for k in range(1, span)], axis=0)
        thrown = ~np.all([close[k : n - span + k] for k in range(1, span)], axis=0)
        start = np.flatnonzero(close[: n - span] & between & thrown & close[span:])
        firsts.append(start)
        lasts.append(start + span)
    return np.concatenate(firsts), np.concatenate(lasts)


def _detour_s(
    a: NDArray[np.float64], b: NDArray[np.float64], place: StopPlace, covered_m: float
) -> NDArray[np.float64]:
    """Least time from each fix ``a`` to the next ``b`` serving the job unseen.

    A street: what of it lies inside (``clear``, no other street near) and was not seen driven
    must be collected between the two fixes, since a fix there would have shown it; a stop:
    the truck must come within NEAR_M of it along its street. A fix within 2 NEAR_M of the
    street may be the truck on it (GPS noise); one farther must get on through an end. In at
    one end and out at the other (along a one-way street only its way), or in and back out at
    one end (turning round takes U_TURN_S), never through a dead end. Off the street, straight
    lines at V_TOP_MPS, except that a fix at one end reaches the other only round the block
    (``bypass_m``): a lower bound.
    """
    assert place.line is not None
    line, length = place.line, place.line.length
    if place.whole_street:
        low, high = _clear_stretch(place)
        need = max(STREET_SHARE * length - covered_m, 0.0)
        pace, clear, allowance = V_SERVE_MPS, _has_clear(place), 0.0
        unseen = max(high - low - covered_m, 0.0)  # of the clear stretch, not seen driven
        deep = (min(low, need), max(high, length - need))
        back = (
            2 * max(need - low, 0.0) / pace + U_TURN_S,
            2 * max(high - (length - need), 0.0) / pace + U_TURN_S,
        )
    else:
        assert place.xy is not None
        low = high = float(line.project(shapely.Point(place.xy)))
        pace, clear, allowance, unseen = V_TOP_MPS, True, 2 * NEAR_M / V_TOP_MPS, 0.0
        deep, back = (low, high), (U_TURN_S, U_TURN_S)
    ends = shapely.get_coordinates(line)[[0, -1]]
    sides = [_on_street(a, line), _on_street(b, line)]

    def reach(fix: int, offset: float, end: int) -> NDArray[np.float64]:
        """Seconds between fix ``a`` (0) or ``b`` (1) and ``offset`` metres along, on the
        ``end`` side: straight when that fix is on the street on that side of the clear
        stretch, else through that end and along the street."""
        xy = a if fix == 0 else b
        on, along = sides[fix]
        point = shapely.get_coordinates(line.interpolate(offset))[0]
        to_end = np.hypot(*(xy - ends[end]).T) / V_TOP_MPS
        at_other = np.hypot(*(xy - ends[1 - end]).T) <= NEAR_M  # round the block from there
        round_s = _round_s(place) - 2 * NEAR_M / V_TOP_MPS
        to_end = np.where(at_other, np.maximum(to_end, round_s), to_end)
        via_end = to_end + (offset if end == 0 else length - offset) / pace
        beside = on & ((along <= high) if end == 0 else (along >= low)) if clear else on
        return np.where(beside, np.hypot(*(xy - point).T) / V_TOP_MPS, via_end)

    options = []
    if not any(place.dead_end):
        options.append(reach(0, low, 0) + unseen / pace + reach(1, high, 1))
        if place.twin >= 0:
            options.append(reach(0, high, 1) + unseen / pace + reach(1, low, 0))
    if not place.dead_end[0]:
        options.append(reach(0, deep[0], 0) + back[0] + reach(1, deep[0], 0))
    if not place.dead_end[1] and place.twin >= 0:
        options.append(reach(0, deep[1], 1) + back[1] + reach(1, deep[1], 1))
    if not options:  # a street with both ends dead: nothing known about how to reach it
        return np.zeros(len(a))
    return np.min(options, axis=0) - allowance


def _on_street(
    xy: NDArray[np.float64], line: LineString
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Which fixes may be the truck on the line (within DEEP_M: GPS noise throws a fix that
    far now and then, farther is a 3-sigma event), and how far along it each one is."""
    points = shapely.points(xy)
    return shapely.distance(points, line) <= DEEP_M, shapely.line_locate_point(line, points)


def _has_clear(place: StopPlace) -> bool:
    """Whether some of the street is far enough from every other street to place a fix on."""
    assert place.line is not None
    low, high = place.clear or (0.0, place.line.length)
    return low <= high


def _clear_stretch(place: StopPlace) -> tuple[float, float]:
    """From-to metres of the street where a fix would be inside it (its middle when none)."""
    assert place.line is not None
    length = place.line.length
    if place.clear is not None:
        low, high = place.clear
    else:
        low = 0.0 if place.dead_end[0] else NEAR_M
        high = length - (0.0 if place.dead_end[1] else NEAR_M)
    return (low, high) if low <= high else (length / 2, length / 2)


def _clock(epoch: float, tz: tzinfo, seconds: bool = False) -> str:
    return datetime.fromtimestamp(epoch, tz=tz).strftime("%H:%M:%S" if seconds else "%H:%M")


@dataclass
class _Day:
    """What judging one route's jobs needs."""

    track: Track
    places: Mapping[str, StopPlace]
    seen: dict[str, tuple[float, int]]  # unserved street: metres seen driven, fixes inside
    departure: datetime | None
    delay_s: int  # the truck's delay on its plan (0 when early or unknown)
    tz: tzinfo


def route_progress(
    route: Mapping[str, Any],
    service_date: date,
    places: Mapping[str, StopPlace],
    traversals: Sequence[Traversal],
    now: datetime,
    device_id: int | None = None,
    fixes_xy: NDArray[np.float64] | None = None,
    fix_times: NDArray[np.float64] | None = None,
    *,
    tz: tzinfo,
) -> RouteProgress:
    """Served, missed, unknown and pending jobs of one planned route, with ETAs for those to
    come (the rule is in this module's docstring)."""
    track = Track.of(fixes_xy, fix_times)
    moving = track.standing_merged()  # what the truck was seen driving: not a standing scatter
    path = MatchedPath.of(traversals)
    visits = route.get("visits", [])
    planned = [
        (v["id"], local_moment(service_date, int(v["arrival_s"]), tz))
        for v in visits
        if v.get("kind") in ("stop", "street")
    ]
    ends = [v for v in visits if v.get("kind") == "depot_end"]
    planned_end = local_moment(service_date, int(ends[-1]["arrival_s"]), tz) if ends else None
    starts = [v for v in visits if v.get("kind") == "depot_start"]
    departure = local_moment(service_date, int(starts[0]["departure_s"]), tz) if starts else None
    served_at: dict[str, datetime] = {}
    covered: dict[str, tuple[float, int]] = {}
    for stop_id, _ in planned:
        place = places.get(stop_id)
        if place is not None and place.whole_street:
            moment, covered[stop_id] = street_verdict(moving, path, place)
            if moment is None and moving is not track:  # judged missed on all the fixes
                covered[stop_id] = street_verdict(track, path, place)[1]
        else:
            moment = None if place is None else served_time(moving, path, place)
        if moment is not None:
            served_at[stop_id] = datetime.fromtimestamp(moment, tz=UTC)
    finished = planned_end is not None and now > planned_end + timedelta(seconds=ROUTE_GRACE_S)
    last_index = _frontier(
        [(served_at[stop_id], i) for i, (stop_id, _) in enumerate(planned) if stop_id in served_at]
    )
    delay_s = None
    if last_index >= 0:
        stop_id, when = planned[last_index]
        delay_s = int((served_at[stop_id] - when).total_seconds())
    day = _Day(track, places, covered, departure, max(delay_s or 0, 0), tz)
    silent = len(track.t) == 0 and not path.items  # the device sent nothing (or there is none)
    stops = []
    for i, (stop_id, when) in enumerate(planned):
        if stop_id in served_at:
            moment = served_at[stop_id]
            late = (moment - when).total_seconds() > LATE_AFTER_S
            stops.append(StopProgress(stop_id, "served", when, served_at=moment, late=late))
        elif finished or i < last_index - SKIP_AHEAD or (silent and now >= when):
            status, reason = _judge(day, stop_id, when)
            stops.append(StopProgress(stop_id, status, when, reason=reason))
        else:
            eta = when + timedelta(seconds=max(delay_s or 0, 0))
            stops.append(StopProgress(stop_id, "pending", when, eta=max(eta, now)))
    driven = {item.edge: datetime.fromtimestamp(item.end_t, tz=UTC) for item in traversals}
    return RouteProgress(
        vehicle_id=str(route.get("vehicle_id")),
        device_id=device_id,
        stops=stops,
        finished=finished,
        delay_s=delay_s,
        edges_driven=driven,
    )


def _judge(day: _Day, stop_id: str, when: datetime) -> tuple[str, str | None]:
    """Missed or unknown, and why, for a job the truck is past without being seen serving it."""
    track, tz = day.track, day.tz
    if len(track.t) == 0:  # nothing to judge by: no fix at all
        return "unknown", NO_SIGNAL
    place = day.places.get(stop_id)
    if place is None:
        return "unknown", "sin ubicación en las calles del área"
    first, last = float(track.t[0]), float(track.t[-1])
    late_device = day.departure is not None and first > day.departure.timestamp() + START_GRACE_S
    if late_device and when.timestamp() < first:  # due before the device was on
        return "unknown", f"{NO_SIGNAL} antes de las {_clock(first, tz)}"
    if last < when.timestamp() + day.delay_s:  # silent before the truck was due there
        return "missed", f"{NO_SIGNAL} desde las {_clock(last, tz)}"
    covered_m, inside = day.seen.get(stop_id, (0.0, 0))
    gap = hidden_gap(track, place, covered_m)
    if gap is not None:
        t0, t1 = gap
        return "unknown", (
            f"sin datos GPS entre {_clock(t0, tz, True)} y {_clock(t1, tz, True)} "
            f"({t1 - t0:.0f} s): pudo pasar sin verse"
        )
    if inside >= SEEN_INSIDE:  # seen on it, yet not seen driving enough of it
        return "unknown", "el GPS la muestra en la calle, pero no recorrida lo bastante"
    if place.whole_street and _way_round_near(place) and _seen_alongside(track, place):
        return "unknown", "una calle paralela a menos de 30 m fue recorrida: el GPS no distingue"
    if (
        not place.whole_street
        and place.xy is not None
        and len(track.near(shapely.Point(place.xy), NEAR_M))
    ):
        return "unknown", "un solo punto GPS cerca: no basta para darla por atendida"
    return "missed", None


def _frontier(passes: list[tuple[datetime, int]]) -> int:
    """How far along its plan the truck is: the last job of the longest run of jobs served in
    planned order (-1 before the first).

    A truck often drives past streets it will serve later (leaving the depot, on its way to the
    first stop). Such a pass is out of order; taking the furthest job passed as the truck's
    position would call everything before it missed.
    """
    tails: list[int] = []  # smallest last plan index of an in-order run of each length
    for _, index in sorted(passes):
        k = bisect.bisect_left(tails, index)
        if k == len(tails):
            tails.append(index)
        else:
            tails[k] = index
    return tails[-1] if tails else -1


UNSERVED_COLUMNS = (
    "id", "lon", "lat", "street", "missed_vehicle", "planned_at",
    "status", "reason", "kind", "task", "stream", "kg", "m3", "date",
)  # fmt: skip


def unserved_rows(
    reports: Sequence[RouteProgress], document: Mapping[str, Any], tz: tzinfo
) -> list[dict[str, Any]]:
    """Every job not confirmed served (missed or unknown, not pending) as points-file rows with
    what it should have collected: tomorrow's plan carries them (``planning.carry_over``).

    One row per waste stream the visit collected (the plan's own loads, ``Plan.collected()``),
    so a mixed-stream visit gives several rows with the same id; ``planned_at`` is local time.
    """
    from basuracero.routing.plan import Plan  # routing is heavier than this module needs

    places = document.get("places") or {}
    collected = Plan.from_dict(document).collected() if document.get("routes") else {}
    rows = []
    for route in reports:
        for stop in route.stops:
            if stop.status not in ("missed", "unknown"):
                continue
            place = places.get(stop.id, {})
            kind = "street" if place.get("kind") == "street" else "stop"
            base = {
                "id": stop.id,
                "lon": place.get("lon"),
                "lat": place.get("lat"),
                "street": place.get("name", ""),
                "missed_vehicle": route.vehicle_id,
                "planned_at": stop.planned_at.astimezone(tz).isoformat(),
                "status": stop.status,
                "reason": stop.reason or "",
                "kind": kind,
                "task": place.get("task", "") if kind == "street" else "",
            }
            loads = collected.get(stop.id) or {"": (0, 0.0)}
            for stream, (kg, m3) in sorted(loads.items()):
                row = {**base, "stream": stream, "kg": kg, "m3": round(m3, 4)}
                rows.append({**row, "date": document.get("date", "")})
    return rows


def missed_rows(
    reports: Sequence[RouteProgress], document: Mapping[str, Any], tz: tzinfo = UTC
) -> list[dict[str, Any]]:
    """The rows of ``missed.csv``: ``unserved_rows`` (kept for callers of the old name)."""
    return unserved_rows(reports, document, tz)
