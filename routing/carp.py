"""Capacitated Arc Routing instances (CARP) and a parser for Belenguer's CARPLIB files.

Door-to-door collection serves street segments, not points; CARP is its single-depot skeleton.
The classic test beds (gdb, val, egl, Beullens) use Belenguer's format with Spanish keywords:

    NOMBRE : gdb1
    VERTICES : 12
    CAPACIDAD : 5
    LISTA_ARISTAS_REQ :
     ( 1, 2)  coste 13 demanda 1
    LISTA_ARISTAS_NOREQ :
     ( 3, 4)  coste 7
    DEPOSITO :   1

The parser is tolerant where files are known to vary (spacing, padding, trailing dots, unknown
header keys, counts that disagree with the lists, missing optional fields) and strict where a
mistake would silently change the problem (an edge line it cannot read, a vertex out of range, a
demand no vehicle can carry, a required edge the depot cannot reach). Every error names the file
and the line, so a manager can fix the data rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

from basuracero.errors import InputError

_EDGE = re.compile(
    r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*coste\s+(\d+)(?:\.0*)?(?:\s+demanda\s+(\d+)(?:\.0*)?)?\s*$",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^([A-Za-z_]+)\s*:\s*(.*?)\s*$")
_INT = re.compile(r"^(\d+)(?:\.0*)?$")
_LISTS = {"LISTA_ARISTAS_REQ": "req", "LISTA_ARISTAS_NOREQ": "noreq"}


class CarpError(InputError):
    """Invalid CARP instance; the message names the file and, when it applies, the line."""


@dataclass(frozen=True)
class Edge:
    """An undirected street segment {u, v}; `cost` is both its service and traversal cost."""

    u: int
    v: int
    cost: int
    demand: int = 0


@dataclass
class CarpInstance:
    """An undirected CARP: serve every required edge once, unlimited fleet of capacity Q.

    Vertices are numbered 1..n as in the file. `vehicles` is informative only (the literature
    treats the fleet as unlimited); `warnings` collects what the parser tolerated.
    """

    name: str
    n_vertices: int
    capacity: int
    depot: int
    required: list[Edge]
    other: list[Edge] = field(default_factory=list)
    vehicles: int | None = None
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def distances(self) -> np.ndarray:
        """All-pairs shortest-path costs over every edge, indexed by vertex number (row 0 unused).

        Parallel edges keep the cheapest; unreachable pairs are `np.inf`.
        """
        n = self.n_vertices + 1
        dense = np.full((n, n), np.inf)
        for e in (*self.required, *self.other):
            if e.cost < dense[e.u, e.v]:
                dense[e.u, e.v] = dense[e.v, e.u] = e.cost
        np.fill_diagonal(dense, 0)
        graph = csgraph_from_dense(dense, null_value=np.inf)
        return dijkstra(graph, directed=False)

    @property
    def service_cost(self) -> int:
        """Sum of service costs, the constant part of every solution's cost."""
        return sum(e.cost for e in self.required)

    @property
    def total_demand(self) -> int:
        return sum(e.demand for e in self.required)


def parse_carp(text: str, source: str = "<text>") -> CarpInstance:
    """Parse CARPLIB text; `source` (usually the file name) prefixes every error message."""
    header: dict[str, tuple[str, int]] = {}
    lists: dict[str, list[tuple[Edge, int]]] = {"req": [], "noreq": []}
    current: str | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.upper() in {"EOF", "END", "FIN"}:
            continue
        if line.startswith("("):
            if current is None:
                raise CarpError(f"{source}:{lineno}: edge line outside LISTA_ARISTAS_*: {line!r}")
            m = _EDGE.match(line)
            if not m:
                raise CarpError(
                    f"{source}:{lineno}: cannot read edge line {line!r} "
                    "(expected '( u, v) coste C [demanda D]')"
                )
            u, v, cost = int(m[1]), int(m[2]), int(m[3])
            demand = int(m[4]) if m[4] is not None else 0
            lists[current].append((Edge(u, v, cost, demand), lineno))
            continue
        m = _HEADER.match(line)
        if not m:
            raise CarpError(f"{source}:{lineno}: cannot read line {line!r}")
        key, value = m[1].upper(), m[2]
        if key in _LISTS:
            current = _LISTS[key]
            continue
        current = None
        header[key] = (value, lineno)
    return _build(header, lists, source)


def read_carp(path: str | Path) -> CarpInstance:
    """Read a CARPLIB `.dat` file (UTF-8 or Latin-1)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CarpError(f"{path}: cannot read file ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    instance = parse_carp(text, str(path))
    if not instance.name:
        instance.name = path.stem
    return instance


def _int_field(
    header: dict[str, tuple[str, int]], key: str, source: str, minimum: int = 0
) -> int | None:
    if key not in header:
        return None
    value, lineno = header[key]
    m = _INT.match(value.split()[0] if value.split() else "")
    if not m or int(m[1]) < minimum:
        raise CarpError(f"{source}:{lineno}: {key} must be an integer >= {minimum}, got {value!r}")
    return int(m[1])


def _build(
    header: dict[str, tuple[str, int]],
    lists: dict[str, list[tuple[Edge, int]]],
    source: str,
) -> CarpInstance:
    warnings: list[str] = []
    req = [e for e, _ in lists["req"]]
    other = [e for e, _ in lists["noreq"]]
    if not req:
        raise CarpError(f"{source}: no required edges (LISTA_ARISTAS_REQ is missing or empty)")
    top = max(max(e.u, e.v) for e in (*req, *other))
    n = _int_field(header, "VERTICES", source, minimum=1)
    if n is None:
        n = top
        warnings.append(f"VERTICES missing; using the largest vertex number, {n}")
    for e, lineno in (*lists["req"], *lists["noreq"]):
        if not (1 <= e.u <= n and 1 <= e.v <= n):
            raise CarpError(
                f"{source}:{lineno}: edge ({e.u}, {e.v}) has a vertex outside 1..{n} (VERTICES)"
            )
    for key, found in (("ARISTAS_REQ", len(req)), ("ARISTAS_NOREQ", len(other))):
        declared = _int_field(header, key, source)
        if declared is not None and declared != found:
            line = header[key][1]
            warnings.append(f"line {line}: {key} says {declared}, the list has {found} edges")
    depot = _int_field(header, "DEPOSITO", source, minimum=1)
    if depot is None:
        depot = 1
        warnings.append("DEPOSITO missing; using vertex 1")
    elif depot > n:
        raise CarpError(f"{source}:{header['DEPOSITO'][1]}: DEPOSITO {depot} is not in 1..{n}")
    capacity = _int_field(header, "CAPACIDAD", source, minimum=1)
    if capacity is None:
        capacity = max(1, sum(e.demand for e in req))
        warnings.append("CAPACIDAD missing; one vehicle carries everything")
    for e, lineno in lists["req"]:
        if e.demand > capacity:
            raise CarpError(
                f"{source}:{lineno}: demand {e.demand} of edge ({e.u}, {e.v}) exceeds "
                f"CAPACIDAD {capacity}; no vehicle can serve it"
            )
    name = header.get("NOMBRE", ("", 0))[0].strip()
    instance = CarpInstance(
        name=name,
        n_vertices=n,
        capacity=capacity,
        depot=depot,
        required=req,
        other=other,
        vehicles=_int_field(header, "VEHICULOS", source),
        warnings=warnings,
    )
    dist = instance.distances[depot]
    for e, lineno in lists["req"]:
        if not np.isfinite(dist[e.u]):
            raise CarpError(
                f"{source}:{lineno}: required edge ({e.u}, {e.v}) cannot be reached from "
                f"the depot {depot} (graph not connected)"
            )
    return instance
