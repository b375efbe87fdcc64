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


def directions(graph: StreetGraph, steps: Sequence[LegStep]) -> list[Instruction]:
    """Grouped instructions for one leg, the first one being ``depart``."""
    out: list[Instruction] = []
    last_bearing: float | None = None
    for step in steps:
        name = str(graph.edge_name[step.edge])
        length = float(graph.edge_length_m[step.edge]) * (step.end - step.start)
        ends = _end_bearings(graph, step)
        action = "depart" if not out else "continue"
        if out and ends is not None and last_bearing is not None:
            action = turn_action(last_bearing, ends[0])
        same_street = bool(out) and out[-1].street == name
        if same_street and action != "uturn":
            out[-1] = Instruction(out[-1].action, name, out[-1].distance_m + length)
        else:
            out.append(Instruction(action, name, length))
        if ends is not None:
            last_bearing = ends[1]
    return out


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
