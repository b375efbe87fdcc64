"""Contraction hierarchy: its matrices must equal the plain Dijkstra kernel's, bit for bit.

``geodata.shortest.many_to_many`` is the reference: the hierarchy is only a faster way to the same
packed keys, including ``UNREACHABLE`` for pairs with no path.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from basuracero.geodata import ch, shortest
from basuracero.geodata.matrix import edge_weights
from basuracero.geodata.streets import StreetGraph

Arcs = tuple[int, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def dijkstra(arcs: Arcs, sources: NDArray[np.int64], targets: NDArray[np.int64]):
    """The reference matrix, from the same arc list laid out as CSR."""
    n_nodes, tail, head, weight = arcs
    order = np.argsort(tail, kind="stable")
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
    return shortest.many_to_many(indptr, head[order], weight[order], sources, targets)


def street_arcs(graph: StreetGraph) -> Arcs:
    duration_ms, distance_dm = edge_weights(graph)
    tail = graph.edge_u.astype(np.int64)
    head = graph.edge_v.astype(np.int64)
    return graph.n_nodes, tail, head, shortest.pack(duration_ms, distance_dm)


@pytest.fixture(scope="module")
def florencia(florencia_graph: StreetGraph) -> tuple[Arcs, ch.Hierarchy]:
    arcs = street_arcs(florencia_graph)
    return arcs, ch.build_hierarchy(*arcs)


def test_florencia_all_pairs_match_dijkstra(florencia: tuple[Arcs, ch.Hierarchy]) -> None:
    arcs, hierarchy = florencia
    nodes = np.arange(arcs[0], dtype=np.int64)
    expected = dijkstra(arcs, nodes, nodes)
    assert (expected < shortest.UNREACHABLE).all()  # a real, connected street network
    np.testing.assert_array_equal(ch.many_to_many(hierarchy, nodes, nodes), expected)


def test_hierarchy_is_well_formed(florencia: tuple[Arcs, ch.Hierarchy]) -> None:
    """Ranks are a permutation, arcs climb, and every shortcut is the sum of its two halves."""
    arcs, h = florencia
    n = arcs[0]
    np.testing.assert_array_equal(np.sort(h.rank), np.arange(n))
    np.testing.assert_array_equal(h.order[h.rank], np.arange(n))
    up_tail = np.repeat(np.arange(n), np.diff(h.up_indptr))
    down_tail = np.repeat(np.arange(n), np.diff(h.down_indptr))
    assert (h.up_head > up_tail).all() and (h.down_head > down_tail).all()
    assert h.n_shortcuts > 0
    up = {(a, b): w for a, b, w in zip(up_tail, h.up_head, h.up_weight, strict=True)}
    down = {(b, a): w for a, b, w in zip(down_tail, h.down_head, h.down_weight, strict=True)}
    arc_weight = up | down  # (from rank, to rank) -> weight
    for a, b, w, m in zip(up_tail, h.up_head, h.up_weight, h.up_middle, strict=True):
        if m >= 0:
            assert arc_weight[a, m] + arc_weight[m, b] == w
    for b, a, w, m in zip(down_tail, h.down_head, h.down_weight, h.down_middle, strict=True):
        if m >= 0:
            assert arc_weight[a, m] + arc_weight[m, b] == w


def test_hierarchy_pickles(florencia: tuple[Arcs, ch.Hierarchy]) -> None:
    arcs, hierarchy = florencia
    again = pickle.loads(pickle.dumps(hierarchy))
    nodes = np.arange(0, arcs[0], 7, dtype=np.int64)
    np.testing.assert_array_equal(
        ch.many_to_many(again, nodes, nodes), ch.many_to_many(hierarchy, nodes, nodes)
    )


@st.composite
def multigraphs(draw: st.DrawFn) -> Arcs:
    """Small directed multigraphs: parallel arcs, self-loops, one-way pieces, tied weights."""
    n_nodes = draw(st.integers(1, 24))
    node = st.integers(0, n_nodes - 1)
    weight = st.one_of(st.integers(1, 3), st.integers(1, 2**40))  # ties, and packed-key sizes
    arcs = draw(st.lists(st.tuples(node, node, weight), max_size=4 * n_nodes))
    if arcs:  # the same arcs again, with other weights: parallel arcs
        doubled = draw(st.lists(st.sampled_from(arcs), max_size=len(arcs)))
        arcs += [(a, b, draw(weight)) for a, b, _ in doubled]
    table = np.array(arcs, dtype=np.int64).reshape(-1, 3)
    return n_nodes, table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy()


@settings(max_examples=50, deadline=None)
@given(arcs=multigraphs(), data=st.data())
def test_random_multigraphs_match_dijkstra(arcs: Arcs, data: st.DataObject) -> None:
    hierarchy = ch.build_hierarchy(*arcs)
    nodes = np.arange(arcs[0], dtype=np.int64)
    np.testing.assert_array_equal(
        ch.many_to_many(hierarchy, nodes, nodes), dijkstra(arcs, nodes, nodes)
    )
    picks = st.lists(st.integers(0, arcs[0] - 1), max_size=10)  # repeats and any order
    sources = np.array(data.draw(picks), dtype=np.int64)
    targets = np.array(data.draw(picks), dtype=np.int64)
    np.testing.assert_array_equal(
        ch.many_to_many(hierarchy, sources, targets), dijkstra(arcs, sources, targets)
    )


def test_retries_with_more_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """Running out of pool or arc-list room restarts the build bigger, with the same result."""
    monkeypatch.setattr(ch, "_initial_room", lambda n_nodes, n_arcs: (1, 1))
    rng = np.random.default_rng(3)
    arcs = (40, rng.integers(0, 40, 160), rng.integers(0, 40, 160), rng.integers(1, 9, 160))
    nodes = np.arange(40, dtype=np.int64)
    keys = ch.many_to_many(ch.build_hierarchy(*arcs), nodes, nodes)
    np.testing.assert_array_equal(keys, dijkstra(arcs, nodes, nodes))


def test_empty_requests_and_no_arcs() -> None:
    empty = np.empty(0, dtype=np.int64)
    hierarchy = ch.build_hierarchy(3, empty, empty, empty)
    nodes = np.arange(3, dtype=np.int64)
    keys = ch.many_to_many(hierarchy, nodes, nodes)
    np.testing.assert_array_equal(keys, np.where(np.eye(3, dtype=bool), 0, shortest.UNREACHABLE))
    assert ch.many_to_many(hierarchy, empty, nodes).shape == (0, 3)
    assert ch.many_to_many(hierarchy, nodes, empty).shape == (3, 0)


@pytest.mark.parametrize(
    ("tail", "head", "weight"),
    [([0], [3], [1]), ([-1], [0], [1]), ([0], [1], [-5]), ([0, 1], [1], [1])],
)
def test_rejects_bad_arcs(tail: list[int], head: list[int], weight: list[int]) -> None:
    with pytest.raises(ValueError):
        ch.build_hierarchy(3, np.array(tail), np.array(head), np.array(weight))


def test_rejects_unknown_nodes() -> None:
    hierarchy = ch.build_hierarchy(2, np.array([0]), np.array([1]), np.array([1]))
    with pytest.raises(ValueError):
        ch.many_to_many(hierarchy, np.array([0]), np.array([2]))
