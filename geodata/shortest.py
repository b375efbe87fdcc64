"""Compiled Dijkstra kernels over a CSR graph with int64 lexicographic weights.

Why not ``scipy.sparse.csgraph.dijkstra``: it holds the GIL (one core only), works on floats, and
would need a second pass to read the distance of the fastest path. Here one weight carries both
(``duration_ms << DIST_BITS | distance_dm``), so the fastest path, ties broken by the shorter, and
its length come out of one exact integer search, and the sources run in parallel threads. scipy
remains the reference the tests and the benchmark compare against.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

DIST_BITS = 26  # a path may be up to 2**26 dm = 6,710 km long
DIST_MASK = (1 << DIST_BITS) - 1
UNREACHABLE = np.int64(2**62)


def pack(duration_ms: NDArray[np.int64], distance_dm: NDArray[np.int64]) -> NDArray[np.int64]:
    """One int64 per edge: durations add in the high bits, distances in the low bits."""
    return (duration_ms.astype(np.int64) << DIST_BITS) | distance_dm.astype(np.int64)


def unpack(key: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    return key >> DIST_BITS, key & DIST_MASK


@nb.njit(cache=True, nogil=True)
def _search(indptr, head, weight, source, dist, pred, heap_key, heap_node, is_target, n_targets):
    """Binary-heap Dijkstra from ``source``; stops once every target is settled.

    ``pred`` (edge index into ``head``) is filled when it has one slot per node, skipped otherwise.
    """
    dist[:] = UNREACHABLE
    track = pred.shape[0] == dist.shape[0]
    if track:
        pred[:] = -1
    dist[source] = 0
    heap_key[0] = 0
    heap_node[0] = source
    size = 1
    left = n_targets
    while size > 0:
        key = heap_key[0]
        node = heap_node[0]
        size -= 1
        if size > 0:  # sift the last item down from the root
            last_key = heap_key[size]
            last_node = heap_node[size]
            i = 0
            while True:
                child = 2 * i + 1
                if child >= size:
                    break
                if child + 1 < size and heap_key[child + 1] < heap_key[child]:
                    child += 1
                if heap_key[child] >= last_key:
                    break
                heap_key[i] = heap_key[child]
                heap_node[i] = heap_node[child]
                i = child
            heap_key[i] = last_key
            heap_node[i] = last_node
        if key > dist[node]:
            continue  # stale entry
        if is_target[node]:
            left -= 1
            if left == 0:
                break
        for e in range(indptr[node], indptr[node + 1]):
            nxt = head[e]
            cand = key + weight[e]
            if cand < dist[nxt]:
                dist[nxt] = cand
                if track:
                    pred[nxt] = e
                i = size  # sift the new item up
                size += 1
                while i > 0:
                    parent = (i - 1) // 2
                    if heap_key[parent] <= cand:
                        break
                    heap_key[i] = heap_key[parent]
                    heap_node[i] = heap_node[parent]
                    i = parent
                heap_key[i] = cand
                heap_node[i] = nxt


@nb.njit(cache=True, parallel=True)
def many_to_many(indptr, head, weight, sources, targets):
    """Packed keys from every source to every target (``UNREACHABLE`` where none)."""
    n_nodes = indptr.shape[0] - 1
    is_target = np.zeros(n_nodes, dtype=np.bool_)
    n_targets = 0
    for t in targets:
        if not is_target[t]:
            is_target[t] = True
            n_targets += 1
    out = np.empty((sources.shape[0], targets.shape[0]), dtype=np.int64)
    no_pred = np.empty(0, dtype=np.int64)
    for s in nb.prange(sources.shape[0]):
        dist = np.empty(n_nodes, dtype=np.int64)
        heap_key = np.empty(head.shape[0] + 1, dtype=np.int64)
        heap_node = np.empty(head.shape[0] + 1, dtype=np.int64)
        _search(
            indptr,
            head,
            weight,
            sources[s],
            dist,
            no_pred,
            heap_key,
            heap_node,
            is_target,
            n_targets,
        )
        for t in range(targets.shape[0]):
            out[s, t] = dist[targets[t]]
    return out


@nb.njit(cache=True)
def shortest_tree(indptr, head, weight, source):
    """Packed keys and predecessor edges of the whole shortest-path tree from ``source``."""
    n_nodes = indptr.shape[0] - 1
    dist = np.empty(n_nodes, dtype=np.int64)
    pred = np.empty(n_nodes, dtype=np.int64)
    heap_key = np.empty(head.shape[0] + 1, dtype=np.int64)
    heap_node = np.empty(head.shape[0] + 1, dtype=np.int64)
    no_target = np.zeros(n_nodes, dtype=np.bool_)
    _search(indptr, head, weight, source, dist, pred, heap_key, heap_node, no_target, -1)
    return dist, pred
