"""Turn-by-turn directions from a leg's street steps, worded for the driver.

A leg is a chain of street-edge pieces. Consecutive pieces of the same street become one
instruction (a driver thinks in streets, not in OSM ways); where the street changes, the angle
between the bearing leaving the previous piece and the bearing entering the next one says whether
to go straight, turn, turn sharply or make a U-turn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.ops import substring

from basuracero.geodata.matrix import LegStep
from basuracero.geodata.streets import StreetGraph
from basuracero.maps.i18n import Lang

STRAIGHT_DEG = 30.0  # below this change of heading the driver simply keeps going
SHARP_DEG = 135.0
UTURN_DEG = 165.0
MIN_SEGMENT_M = 0.5  # shorter pieces give meaningless bearings
MIN_STEP_M = 10.0  # a street driven for less than this is no step for a truck (it prints "0 m")


@dataclass(frozen=True)
class Instruction:
    """``action`` is depart, continue, left, right, sharp_left, sharp_right or uturn."""

    action: str
    street: str
    distance_m: float


def bearing(dx: float, dy: float) -> float:
    """Compass bearing in degrees (0 = grid north, clockwise) of a UTM displacement."""
    return math.degrees(math.atan2(dx, dy)) % 360.0


def turn_action(before_deg: float, after_deg: float) -> str:
    """Classify the change of heading; positive (clockwise) changes are right turns."""
    delta = (after_deg - before_deg + 180.0) % 360.0 - 180.0
    size = abs(delta)
    if size < STRAIGHT_DEG:
        return "continue"
    if size >= UTURN_DEG:
        return "uturn"
    side = "right" if delta > 0 else "left"
    return f"sharp_{side}" if size >= SHARP_DEG else side


def _end_bearings(graph: StreetGraph, step: LegStep) -> tuple[float, float] | None:
    """Bearing entering and leaving the driven piece of the edge (None if too short)."""
    line = graph.edge_geometry[step.edge]
    part = substring(line, step.start, step.end, normalized=True)
    xy = shapely.get_coordinates(part)
    if len(xy) < 2:
        return None
    seg = xy[1:] - xy[:-1]
    keep = (seg**2).sum(axis=1) >= MIN_SEGMENT_M**2
    if not keep.any():
        return None
    seg = seg[keep]
    return bearing(*seg[0]), bearing(*seg[-1])


@dataclass(frozen=True)
class _Piece:
    """One instruction before tiny pieces are folded away, with its end bearings."""

    action: str
    street: str
    distance_m: float
    enter_deg: float | None
    leave_deg: float | None


def _pieces(graph: StreetGraph, steps: Sequence[LegStep]) -> list[_Piece]:
    """Steps grouped by street: a new piece where the street changes or the truck turns round."""
    out: list[_Piece] = []
    last_bearing: float | None = None
    for step in steps:
        name = str(graph.edge_name[step.edge])
        length = float(graph.edge_length_m[step.edge]) * (step.end - step.start)
        ends = _end_bearings(graph, step)
        action = "depart" if not out else "continue"
        if out and ends is not None and last_bearing is not None:
            action = turn_action(last_bearing, ends[0])
        if out and out[-1].street == name and action != "uturn":
            prev = out[-1]
            leave = ends[1] if ends is not None else prev.leave_deg
            out[-1] = _Piece(prev.action, name, prev.distance_m + length, prev.enter_deg, leave)
        else:
            enter, leave = ends if ends is not None else (None, None)
            out.append(_Piece(action, name, length, enter, leave))
        if ends is not None:
            last_bearing = ends[1]
    return out


def directions(graph: StreetGraph, steps: Sequence[LegStep]) -> list[Instruction]:
    """Grouped instructions for one leg, the first one being ``depart`` (or the turn the truck
    makes at once when it starts a few metres from a corner).

    A piece shorter than MIN_STEP_M (a stop at the very end of a street, a jog across a
    junction) is no step for a truck driver and would print as "0 m": its metres go to the next
    instruction, whose turn is judged from the last street kept, and a street that continues
    after the jog stays one instruction.
    """
    pieces = _pieces(graph, steps)
    kept: list[_Piece] = []
    carried = 0.0
    for piece in pieces:
        if piece.distance_m < MIN_STEP_M:
            carried += piece.distance_m
            continue
        kept.append(_fold(kept, piece, carried))
        carried = 0.0
    if not kept:
        total = sum(p.distance_m for p in pieces)
        longest = max(pieces, key=lambda p: p.distance_m, default=None)
        if longest is None or total < MIN_STEP_M:  # the next job is a few metres on: no step
            return []
        return [Instruction("depart", longest.street, total)]
    if carried:
        last = kept[-1]
        kept[-1] = _Piece(last.action, last.street, last.distance_m + carried, last.enter_deg,
                          last.leave_deg)  # fmt: skip
    merged: list[_Piece] = []
    for piece in kept:
        if merged and merged[-1].street == piece.street and piece.action != "uturn":
            prev = merged[-1]
            merged[-1] = _Piece(prev.action, prev.street, prev.distance_m + piece.distance_m,
                                prev.enter_deg, piece.leave_deg)  # fmt: skip
        else:
            merged.append(piece)
    return [Instruction(p.action, p.street, p.distance_m) for p in merged]


def _fold(kept: list[_Piece], piece: _Piece, carried: float) -> _Piece:
    """``piece`` with the metres of the tiny pieces before it, its action judged again from
    the last kept piece (a first piece after a dropped start keeps its own turn)."""
    action = piece.action
    if kept and kept[-1].leave_deg is not None and piece.enter_deg is not None:
        action = turn_action(kept[-1].leave_deg, piece.enter_deg)
    elif not kept and piece.action == "continue":
        action = "depart"
    return _Piece(action, piece.street, piece.distance_m + carried, piece.enter_deg,
                  piece.leave_deg)  # fmt: skip


def describe(instruction: Instruction, lang: Lang) -> str:
    """``Gire a la derecha en Jr. Túpac Amaru`` (without the distance)."""
    street = instruction.street or lang._("an unnamed street")
    templates = {
        "depart": lang._("Head out on {street}"),
        "continue": lang._("Continue onto {street}"),
        "left": lang._("Turn left onto {street}"),
        "right": lang._("Turn right onto {street}"),
        "sharp_left": lang._("Turn sharp left onto {street}"),
        "sharp_right": lang._("Turn sharp right onto {street}"),
        "uturn": lang._("Make a U-turn on {street}"),
    }
    return templates[instruction.action].format(street=street)
