"""Contraction hierarchy (CH) and bucket many-to-many queries on the packed-key street graph.

Why: a matrix by plain Dijkstra explores most of the city once per source. A CH spends a second
or two once per graph (the result is plain numpy arrays, so it is cached with the graph) ranking
the nodes and adding *shortcut* arcs, after which every shortest path climbs to a top node and
descends. A source or target then only needs a small upward search; the many-to-many matrix comes
from meeting the two kinds of search in per-node buckets (Knopp et al., 2007).

Weights are the packed int64 keys of :mod:`geodata.shortest`, additive and order-preserving, so a
shortcut's weight is an exact sum and the matrix equals ``shortest.many_to_many`` bit for bit.
Witness searches are bounded (settled-node limit): a missed witness only adds a superfluous
shortcut, never a wrong distance.

Hierarchy arrays are indexed by *rank* (position in the contraction order): ``rank[node]`` maps
a graph node to it and ``order[r]`` back. Upward means towards a higher index, so the busy top of
the hierarchy sits together in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import NDArray

from basuracero.geodata.shortest import UNREACHABLE

# Columns of a dynamic-graph pool entry, and of a list's metadata row.
NODE, WEIGHT, HOPS, MIDDLE = 0, 1, 2, 3
START, LENGTH, CAPACITY = 0, 1, 2
WITNESS_SETTLED = 500  # witness-search budget: lower builds faster, adds superfluous shortcuts
CHUNKS_PER_THREAD = 8  # query work units per thread, for load balance between uneven searches


@dataclass
class Hierarchy:
    """A contracted graph as CSR arrays indexed by rank; pickles with the graph cache.

    ``up_*``: arcs ``r -> up_head`` with a higher head rank. ``down_*``: arcs ``down_head -> r``
    (a higher tail rank) stored reversed at ``r``. ``*_middle``: the rank of the node a shortcut
    bypasses, ``-1`` for an original arc, enough to unpack a path.
    """

    n_nodes: int
    rank: NDArray[np.int64]
    order: NDArray[np.int64]
    up_indptr: NDArray[np.int64]
    up_head: NDArray[np.int64]
    up_weight: NDArray[np.int64]
    up_middle: NDArray[np.int64]
    down_indptr: NDArray[np.int64]
    down_head: NDArray[np.int64]
    down_weight: NDArray[np.int64]
    down_middle: NDArray[np.int64]

    @property
    def n_shortcuts(self) -> int:
        return int((self.up_middle >= 0).sum() + (self.down_middle >= 0).sum())


# --- binary heaps ----------------------------------------------------------------------------


@nb.njit(cache=True, inline="always")
def _heap_push(keys, nodes, size, key, node):
    """Insert into a plain binary min-heap (stale entries are skipped by the caller)."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node
    return size + 1


@nb.njit(cache=True, inline="always")
def _heap_pop(keys, nodes, size):
    """Remove the minimum; returns it and the new size."""
    key, node = keys[0], nodes[0]
    size -= 1
    if size > 0:
        last_key, last_node = keys[size], nodes[size]
        i = 0
        while True:
            child = 2 * i + 1
            if child >= size:
                break
            if child + 1 < size and keys[child + 1] < keys[child]:
                child += 1
            if keys[child] >= last_key:
                break
            keys[i] = keys[child]
            nodes[i] = nodes[child]
            i = child
        keys[i] = last_key
        nodes[i] = last_node
    return key, node, size


@nb.njit(cache=True)
def _before(prio, a, b):
    """Strict order of the contraction queue: priority, then node id for determinism."""
    return prio[a] < prio[b] or (prio[a] == prio[b] and a < b)


@nb.njit(cache=True)
def _queue_fix(queue, where, prio, size, node):
    """Restore the indexed heap after ``prio[node]`` changed (the queue needs decrease-key)."""
    i = where[node]
    while i > 0:
        parent = (i - 1) >> 1
        if not _before(prio, node, queue[parent]):
            break
        queue[i] = queue[parent]
        where[queue[i]] = i
        i = parent
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _before(prio, queue[child + 1], queue[child]):
            child += 1
        if not _before(prio, queue[child], node):
            break
        queue[i] = queue[child]
        where[queue[i]] = i
        i = child
    queue[i] = node
    where[node] = i


# --- dynamic graph: per-node out/in lists in one growable pool ----------------------------------
# List ``2 * v`` holds v's outgoing arcs, ``2 * v + 1`` its incoming ones; a full list moves to the
# end of the pool with twice the room. If the pool runs out the build reports it and is retried.


@nb.njit(cache=True)
def _find(pool, meta, lst, node):
    start = meta[lst, START]
    for i in range(start, start + meta[lst, LENGTH]):
        if pool[i, NODE] == node:
            return i
    return -1


@nb.njit(cache=True)
def _append(pool, meta, top, lst, node, weight, hops, middle):
    """Append an entry to a list; False when the pool is full."""
    length = meta[lst, LENGTH]
    if length == meta[lst, CAPACITY]:
        room = max(4, 2 * length)
        if top[0] + room > pool.shape[0]:
            return False
        start = meta[lst, START]
        pool[top[0] : top[0] + length] = pool[start : start + length]
        meta[lst, START] = top[0]
        meta[lst, CAPACITY] = room
        top[0] += room
    i = meta[lst, START] + length
    pool[i, NODE] = node
    pool[i, WEIGHT] = weight
    pool[i, HOPS] = hops
    pool[i, MIDDLE] = middle
    meta[lst, LENGTH] = length + 1
    return True


@nb.njit(cache=True)
def _remove(pool, meta, lst, node):
    """Swap-remove ``node`` from a list (it must be there)."""
    i = _find(pool, meta, lst, node)
    last = meta[lst, START] + meta[lst, LENGTH] - 1
    pool[i] = pool[last]
    meta[lst, LENGTH] -= 1


@nb.njit(cache=True)
def _set_entry(pool, i, weight, hops, middle):
    pool[i, WEIGHT] = weight
    pool[i, HOPS] = hops
    pool[i, MIDDLE] = middle


@nb.njit(cache=True)
def _add_arc(pool, meta, top, u, v, weight, hops, middle):
    """Insert arc u->v, or lower an existing one: only the cheapest of parallel arcs matters."""
    i = _find(pool, meta, 2 * u, v)
    if i >= 0:
        if weight < pool[i, WEIGHT]:
            _set_entry(pool, i, weight, hops, middle)
            _set_entry(pool, _find(pool, meta, 2 * v + 1, u), weight, hops, middle)
        return True
    return _append(pool, meta, top, 2 * u, v, weight, hops, middle) and _append(
        pool, meta, top, 2 * v + 1, u, weight, hops, middle
    )


# --- contraction -----------------------------------------------------------------------------


@nb.njit(cache=True)
def _witness_search(pool, meta, source, skip, limit, n_marked, work):
    """Bounded Dijkstra from ``source`` avoiding ``skip``; returns how many labels to reset.

    Stops at ``limit``, after ``WITNESS_SETTLED`` nodes, or once every marked node is settled;
    whatever ``dist`` holds then is a real path length, so it is a valid witness.
    """
    dist, heap_key, heap_node, touched, mark, stamp = work
    dist[source] = 0
    touched[0] = source
    n_touched = 1
    heap_key[0] = 0
    heap_node[0] = source
    size = 1
    settled = 0
    while size > 0:
        key, node, size = _heap_pop(heap_key, heap_node, size)
        if key > dist[node]:
            continue
        settled += 1
        if mark[node] == stamp[0]:
            n_marked -= 1
            if n_marked == 0:
                break
        if settled >= WITNESS_SETTLED:
            break
        lst = 2 * node
        start = meta[lst, START]
        for i in range(start, start + meta[lst, LENGTH]):
            nxt = pool[i, NODE]
            cand = key + pool[i, WEIGHT]
            if nxt == skip or cand > limit or cand >= dist[nxt]:
                continue
            if dist[nxt] == UNREACHABLE:
                touched[n_touched] = nxt
                n_touched += 1
            dist[nxt] = cand
            size = _heap_push(heap_key, heap_node, size, cand, nxt)
    return n_touched


@nb.njit(cache=True)
def _shortcuts(x, apply, pool, meta, top, work):
    """Shortcuts that contracting ``x`` needs: (count, their hops, ok); added if ``apply``.

    ``ok`` is False only when the pool overflowed while adding.
    """
    dist, _, _, touched, mark, stamp = work
    out_start, n_out = meta[2 * x, START], meta[2 * x, LENGTH]
    in_start, n_in = meta[2 * x + 1, START], meta[2 * x + 1, LENGTH]
    stamp[0] += 1
    for j in range(out_start, out_start + n_out):
        mark[pool[j, NODE]] = stamp[0]
    added = 0
    added_hops = 0
    for i in range(in_start, in_start + n_in):
        u, w_in, h_in = pool[i, NODE], pool[i, WEIGHT], pool[i, HOPS]
        limit = np.int64(-1)
        for j in range(out_start, out_start + n_out):
            if pool[j, NODE] != u:
                limit = max(limit, w_in + pool[j, WEIGHT])
        if limit < 0:
            continue
        n_touched = _witness_search(pool, meta, u, x, limit, n_out, work)
        ok = True
        for j in range(out_start, out_start + n_out):
            v, w = pool[j, NODE], w_in + pool[j, WEIGHT]
            if v == u or dist[v] <= w:
                continue
            added += 1
            added_hops += h_in + pool[j, HOPS]
            if apply and ok:
                ok = _add_arc(pool, meta, top, u, v, w, h_in + pool[j, HOPS], x)
        for k in range(n_touched):
            dist[touched[k]] = UNREACHABLE
        if not ok:
            return added, added_hops, False
    return added, added_hops, True


@nb.njit(cache=True)
def _priority(x, pool, meta, top, work, level):
    """Importance of ``x``: search depth plus shortcuts (and hops) added per arc removed.

    The ratio form (as in RoutingKit) keeps the hierarchy shallow and the shortcut count low.
    """
    added, added_hops, _ = _shortcuts(x, False, pool, meta, top, work)
    removed = meta[2 * x, LENGTH] + meta[2 * x + 1, LENGTH]
    removed_hops = 0
    for lst in (2 * x, 2 * x + 1):
        start = meta[lst, START]
        for i in range(start, start + meta[lst, LENGTH]):
            removed_hops += pool[i, HOPS]
    return level[x] + added / max(removed, 1) + added_hops / max(removed_hops, 1)


@nb.njit(cache=True)
def _record(x, pool, meta, rec, n_rec):
    """Copy the arcs of ``x`` (all to not-yet-contracted nodes) into the hierarchy's arc list."""
    for lst in (2 * x, 2 * x + 1):
        start = meta[lst, START]
        for i in range(start, start + meta[lst, LENGTH]):
            if n_rec >= rec.shape[0]:
                return -1
            other = pool[i, NODE]
            rec[n_rec, 0] = x if lst == 2 * x else other
            rec[n_rec, 1] = other if lst == 2 * x else x
            rec[n_rec, 2] = pool[i, WEIGHT]
            rec[n_rec, 3] = pool[i, MIDDLE]
            n_rec += 1
    return n_rec


@nb.njit(cache=True)
def _detach(x, pool, meta, level, work, neighbours):
    """Drop ``x`` from its neighbours' lists; returns them (deduplicated) for re-prioritising."""
    mark, stamp = work[4], work[5]
    stamp[0] += 1
    n_nb = 0
    for lst in (2 * x, 2 * x + 1):
        start = meta[lst, START]
        for i in range(start, start + meta[lst, LENGTH]):
            other = pool[i, NODE]
            # an out-arc of x sits in other's in-list, and the other way round
            _remove(pool, meta, 2 * other + (1 if lst == 2 * x else 0), x)
            level[other] = max(level[other], level[x] + 1)
            if mark[other] != stamp[0]:
                mark[other] = stamp[0]
                neighbours[n_nb] = other
                n_nb += 1
    return n_nb


@nb.njit(cache=True)
def _load_arcs(n_nodes, tail, head, weight, pool, meta, top):
    """Fill the dynamic graph with deduplicated arcs (no self-loops, no parallels)."""
    for lst in range(2 * n_nodes):
        meta[lst, START] = 0
        meta[lst, LENGTH] = 0
        meta[lst, CAPACITY] = 0
    for a in range(tail.shape[0]):
        if not (
            _append(pool, meta, top, 2 * tail[a], head[a], weight[a], 1, -1)
            and _append(pool, meta, top, 2 * head[a] + 1, tail[a], weight[a], 1, -1)
        ):
            return False
    return True


@nb.njit(cache=True)
def _contract_all(n_nodes, tail, head, weight, pool_size, rec_size):
    """Contract every node in lazy-updated priority order.

    Returns ``(status, rank, arcs, n_arcs)``; status 0 is success, 1 means the pool or the arc
    list was too small and the caller should retry with more room.
    """
    pool = np.empty((pool_size, 4), dtype=np.int64)
    meta = np.empty((2 * n_nodes, 3), dtype=np.int64)
    top = np.zeros(1, dtype=np.int64)
    rank = np.full(n_nodes, -1, dtype=np.int64)
    rec = np.empty((rec_size, 4), dtype=np.int64)
    if not _load_arcs(n_nodes, tail, head, weight, pool, meta, top):
        return 1, rank, rec, 0
    work = (
        np.full(n_nodes, UNREACHABLE, dtype=np.int64),
        np.empty(pool_size + 1, dtype=np.int64),
        np.empty(pool_size + 1, dtype=np.int64),
        np.empty(n_nodes, dtype=np.int64),
        np.zeros(n_nodes, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
    )
    level = np.zeros(n_nodes, dtype=np.int64)
    prio = np.empty(n_nodes, dtype=np.float64)
    for x in range(n_nodes):
        prio[x] = _priority(x, pool, meta, top, work, level)
    queue = np.argsort(prio, kind="mergesort")  # sorted is a heap; stable sort breaks ties by id
    where = np.empty(n_nodes, dtype=np.int64)
    where[queue] = np.arange(n_nodes)
    neighbours = np.empty(n_nodes, dtype=np.int64)
    size, n_rec = n_nodes, 0
    while size > 0:
        x = queue[0]
        prio[x] = _priority(x, pool, meta, top, work, level)  # lazy update
        _queue_fix(queue, where, prio, size, x)
        if queue[0] != x:
            continue
        if not _shortcuts(x, True, pool, meta, top, work)[2]:
            return 1, rank, rec, 0
        n_rec = _record(x, pool, meta, rec, n_rec)
        if n_rec < 0:
            return 1, rank, rec, 0
        rank[x] = n_nodes - size
        size -= 1
        last = queue[size]
        queue[0] = last
        where[last] = 0
        _queue_fix(queue, where, prio, size, last)
        for k in range(_detach(x, pool, meta, level, work, neighbours)):
            other = neighbours[k]
            prio[other] = _priority(other, pool, meta, top, work, level)
            _queue_fix(queue, where, prio, size, other)
    return 0, rank, rec, n_rec


def _csr(
    n_nodes: int, tail: NDArray[np.int64], head: NDArray[np.int64], *values: NDArray[np.int64]
) -> tuple[NDArray[np.int64], ...]:
    """CSR arrays sorted by (tail, head): neighbours read in increasing memory order."""
    order = np.lexsort((head, tail))
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
    return (indptr, head[order], *(v[order] for v in values))


def _clean_arcs(
    n_nodes: int, tail: NDArray[np.int64], head: NDArray[np.int64], weight: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Validate; drop self-loops and all but the cheapest of parallel arcs."""
    tail, head, weight = (np.asarray(a, dtype=np.int64) for a in (tail, head, weight))
    if not tail.shape == head.shape == weight.shape or tail.ndim != 1:
        raise ValueError("tail, head and weight must be 1-D arrays of one length")
    if len(tail) and (min(tail.min(), head.min()) < 0 or max(tail.max(), head.max()) >= n_nodes):
        raise ValueError("arc end outside 0..n_nodes-1")
    if len(weight) and (weight.min() < 0 or weight.max() >= UNREACHABLE):
        raise ValueError("weights must be in 0..UNREACHABLE-1")
    keep = tail != head
    tail, head, weight = tail[keep], head[keep], weight[keep]
    order = np.lexsort((weight, head, tail))
    tail, head, weight = tail[order], head[order], weight[order]
    first = np.ones(len(tail), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    return tail[first], head[first], weight[first]


def build_hierarchy(
    n_nodes: int, tail: NDArray[np.int64], head: NDArray[np.int64], weight: NDArray[np.int64]
) -> Hierarchy:
    """Contract the graph of arcs ``tail[i] -> head[i]`` (packed-key ``weight[i]``, ≥ 0)."""
    tail, head, weight = _clean_arcs(n_nodes, tail, head, weight)
    pool_size, rec_size = _initial_room(n_nodes, len(tail))
    while True:
        status, rank, rec, n_rec = _contract_all(n_nodes, tail, head, weight, pool_size, rec_size)
        if status == 0:
            break
        pool_size, rec_size = 2 * pool_size, 2 * rec_size
    rec = rec[:n_rec]
    a, b = rank[rec[:, 0]], rank[rec[:, 1]]
    up = b > a
    up_csr = _csr(n_nodes, a[up], b[up], rec[up, 2], _rank_of(rank, rec[up, 3]))
    down = ~up
    down_csr = _csr(n_nodes, b[down], a[down], rec[down, 2], _rank_of(rank, rec[down, 3]))
    return Hierarchy(
        n_nodes,
        rank,
        np.argsort(rank),
        *up_csr,
        *down_csr,
    )


def _initial_room(n_nodes: int, n_arcs: int) -> tuple[int, int]:
    """Pool entries and hierarchy arcs to start with: road networks rarely need a retry."""
    return 8 * n_arcs + 8 * n_nodes + 64, 4 * n_arcs + 64


def _rank_of(rank: NDArray[np.int64], nodes: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.where(nodes >= 0, rank[np.maximum(nodes, 0)], -1)


# --- queries ---------------------------------------------------------------------------------


@nb.njit(cache=True)
def _upward(graph, stall, source, dist, heap_key, heap_node, reached, found_node, found_key):
    """Dijkstra on upward arcs from ``source`` with stall-on-demand; returns how many found.

    A node is stalled when an arc from an already-reached higher node proves its label too long
    (strictly): its label cannot lie on a shortest up-down path, so it is neither expanded nor
    reported. ``dist`` is reset before returning.
    """
    indptr, head, weight = graph
    stall_indptr, stall_head, stall_weight = stall
    dist[source] = 0
    reached[0] = source
    n_reached = 1
    heap_key[0] = 0
    heap_node[0] = source
    size = 1
    n_found = 0
    while size > 0:
        key, node, size = _heap_pop(heap_key, heap_node, size)
        if key > dist[node]:
            continue
        stalled = False
        for e in range(stall_indptr[node], stall_indptr[node + 1]):
            if dist[stall_head[e]] + stall_weight[e] < key:
                stalled = True
                break
        if stalled:
            continue
        found_node[n_found] = node
        found_key[n_found] = key
        n_found += 1
        for e in range(indptr[node], indptr[node + 1]):
            nxt = head[e]
            cand = key + weight[e]
            if cand < dist[nxt]:
                if dist[nxt] == UNREACHABLE:
                    reached[n_reached] = nxt
                    n_reached += 1
                dist[nxt] = cand
                size = _heap_push(heap_key, heap_node, size, cand, nxt)
    for i in range(n_reached):
        dist[reached[i]] = UNREACHABLE
    return n_found


def _chunks(n_items: int) -> NDArray[np.int64]:
    """Boundaries of the parallel work units."""
    n_chunks = max(1, min(n_items, CHUNKS_PER_THREAD * nb.get_num_threads()))
    return (np.arange(n_chunks + 1, dtype=np.int64) * n_items) // n_chunks


@nb.njit(cache=True)
def _scratch(n_nodes, n_arcs):
    """Per-thread arrays for ``_upward``."""
    return (
        np.full(n_nodes, UNREACHABLE, dtype=np.int64),
        np.empty(n_arcs + 1, dtype=np.int64),
        np.empty(n_arcs + 1, dtype=np.int64),
        np.empty(n_nodes, dtype=np.int64),
        np.empty(n_nodes, dtype=np.int64),
        np.empty(n_nodes, dtype=np.int64),
    )


@nb.njit(cache=True, parallel=True)
def _target_spaces(down, up, targets, bounds, offsets, nodes, keys, fill):
    """Backward upward search of every target: its size (``fill`` False) or its entries."""
    n_nodes = down[0].shape[0] - 1
    for c in nb.prange(bounds.shape[0] - 1):
        dist, heap_key, heap_node, reached, found_node, found_key = _scratch(
            n_nodes, down[1].shape[0]
        )
        for t in range(bounds[c], bounds[c + 1]):
            n = _upward(
                down, up, targets[t], dist, heap_key, heap_node, reached, found_node, found_key
            )
            if fill:
                nodes[offsets[t] : offsets[t] + n] = found_node[:n]
                keys[offsets[t] : offsets[t] + n] = found_key[:n]
            else:
                offsets[t + 1] = n


@nb.njit(cache=True)
def _buckets(n_nodes, offsets, nodes, keys):
    """Regroup the target search spaces by node (CSR), each bucket in target order."""
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for node in nodes:
        indptr[node + 1] += 1
    for v in range(n_nodes):
        indptr[v + 1] += indptr[v]
    fill = indptr[:-1].copy()
    bucket_target = np.empty(nodes.shape[0], dtype=np.int64)
    bucket_key = np.empty(nodes.shape[0], dtype=np.int64)
    for t in range(offsets.shape[0] - 1):
        for i in range(offsets[t], offsets[t + 1]):
            b = fill[nodes[i]]
            fill[nodes[i]] += 1
            bucket_target[b] = t
            bucket_key[b] = keys[i]
    return indptr, bucket_target, bucket_key


@nb.njit(cache=True, parallel=True)
def _scan_sources(up, down, sources, bounds, buckets, out):
    """Forward upward search of every source, meeting the targets in the buckets it settles."""
    bucket_indptr, bucket_target, bucket_key = buckets
    n_nodes = up[0].shape[0] - 1
    for c in nb.prange(bounds.shape[0] - 1):
        dist, heap_key, heap_node, reached, found_node, found_key = _scratch(
            n_nodes, up[1].shape[0]
        )
        for s in range(bounds[c], bounds[c + 1]):
            row = out[s]
            row[:] = UNREACHABLE
            n = _upward(
                up, down, sources[s], dist, heap_key, heap_node, reached, found_node, found_key
            )
            for i in range(n):
                key = found_key[i]
                node = found_node[i]
                # branch-free min: whether an entry improves is unpredictable, a select is not
                for b in range(bucket_indptr[node], bucket_indptr[node + 1]):
                    t = bucket_target[b]
                    row[t] = min(row[t], key + bucket_key[b])


def many_to_many(
    h: Hierarchy, sources: NDArray[np.int64], targets: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Packed keys ``[len(sources), len(targets)]`` of the shortest paths, UNREACHABLE if none.

    Exactly ``geodata.shortest.many_to_many`` on the arcs the hierarchy was built from.
    """
    src = _ranks(h, sources)
    dst = _ranks(h, targets)
    up = (h.up_indptr, h.up_head, h.up_weight)
    down = (h.down_indptr, h.down_head, h.down_weight)
    offsets = np.zeros(len(dst) + 1, dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    _target_spaces(down, up, dst, _chunks(len(dst)), offsets, empty, empty, False)
    np.cumsum(offsets, out=offsets)
    nodes = np.empty(offsets[-1], dtype=np.int64)
    keys = np.empty(offsets[-1], dtype=np.int64)
    _target_spaces(down, up, dst, _chunks(len(dst)), offsets, nodes, keys, True)
    buckets = _buckets(h.n_nodes, offsets, nodes, keys)
    out = np.empty((len(src), len(dst)), dtype=np.int64)
    _scan_sources(up, down, src, _chunks(len(src)), buckets, out)
    return out


def _ranks(h: Hierarchy, nodes: NDArray[np.int64]) -> NDArray[np.int64]:
    nodes = np.asarray(nodes, dtype=np.int64).ravel()
    if len(nodes) and (nodes.min() < 0 or nodes.max() >= h.n_nodes):
        raise ValueError("node outside 0..n_nodes-1")
    return h.rank[nodes]
