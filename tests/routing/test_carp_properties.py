"""Property test: on random small connected graphs every solution passes the checker."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basuracero.routing.carp import CarpInstance, Edge
from basuracero.routing.carp_check import check_solution, floyd_warshall
from basuracero.routing.carp_solver import CarpOptions, solve_carp


@st.composite
def instances(draw: st.DrawFn) -> CarpInstance:
    """A random spanning tree plus extra edges; a random non-empty subset is required."""
    n = draw(st.integers(2, 8))
    pairs = [(draw(st.integers(1, v - 1)), v) for v in range(2, n + 1)]
    extra = draw(st.lists(st.tuples(st.integers(1, n), st.integers(1, n)), max_size=6))
    pairs += [(a, b) for a, b in extra if a != b]
    edges = [Edge(a, b, draw(st.integers(0, 20)), draw(st.integers(0, 6))) for a, b in pairs]
    flags = draw(st.lists(st.booleans(), min_size=len(edges), max_size=len(edges)))
    if not any(flags):
        flags[0] = True
    req = [e for e, f in zip(edges, flags, strict=True) if f]
    other = [Edge(e.u, e.v, e.cost) for e, f in zip(edges, flags, strict=True) if not f]
    capacity = draw(st.integers(max(1, max(e.demand for e in req)), 20))
    depot = draw(st.integers(1, n))
    return CarpInstance("random", n, capacity, depot, req, other)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances(), engine=st.sampled_from(["auto", "ortools"]))
def test_random_graphs_pass_the_checker(inst: CarpInstance, engine: str) -> None:
    opts = CarpOptions(
        time_limit_s=5.0,
        seed=0,
        engine=engine,  # type: ignore[arg-type]
        pyvrp_iterations=50,
        ortools_solution_limit=20,
    )
    sol = solve_carp(inst, opts)
    ids = [[k for k, _, _ in r] for r in sol.routes]
    assert check_solution(inst, sol.pairs(), sol.cost, edge_ids=ids) == []
    assert sorted(k for r in ids for k in r) == list(range(len(inst.required)))
    for route in sol.routes:
        assert sum(inst.required[k].demand for k, _, _ in route) <= inst.capacity
    # Lower bounds: all service, and a closed walk out to the farthest required edge.
    dist = floyd_warshall(inst)
    far = max(min(dist[inst.depot, e.u], dist[inst.depot, e.v]) for e in inst.required)
    assert sol.cost >= max(inst.service_cost, 2 * far)
