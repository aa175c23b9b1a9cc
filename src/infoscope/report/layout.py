"""Positions for the network map: communities placed apart, each laid out on its own.

A force-directed layout of tens of thousands of accounts is slow (DRL took minutes at 60k
nodes) and packs communities into one hairball. Here the communities are placed first, by a
Fruchterman-Reingold layout of the graph of communities (edge weight: the weight between
them), spread by their size; then each community's own subgraph is laid out with
Fruchterman-Reingold (grid variant, linear per iteration) inside a disc whose area grows with
its size. Seeded, so the same run draws the same map.
"""

from __future__ import annotations

import random
from collections import defaultdict

import igraph as ig
import numpy as np

from infoscope.store import Store

__all__ = ["community_layout", "layout_communities"]

_CACHE: dict[tuple[str, str, int], dict[str, tuple[float, float]]] = {}


def community_layout(store: Store, run_id: str, *, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Map of node key (the account id, or ``platform:account_id`` in a run of several
    platforms: `infoscope.network.run.node_key_sql`) to (x, y) for the nodes of communities
    run `run_id`.

    Runs are immutable once completed, so a layout is computed once per process and run.
    """
    from infoscope.network.run import node_key_sql

    key = (str(store.path), run_id, seed)
    if key not in _CACHE:
        # Nodes by their key in the run's edges (platform:id in a run of several platforms).
        node_key = node_key_sql(store, run_id)
        nodes = store.con.execute(
            f"SELECT {node_key} AS node_key, community FROM network_nodes WHERE run_id = ? "
            "ORDER BY node_key",
            [run_id],
        ).fetchall()
        edges = store.con.execute(
            "SELECT source, target, weight FROM network_edges WHERE run_id = ? "
            "ORDER BY source, target",
            [run_id],
        ).fetchall()
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = layout_communities(nodes, edges, seed=seed)
    return _CACHE[key]


def layout_communities(
    nodes: list[tuple[str, int]],
    edges: list[tuple[str, str, float]],
    *,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Positions of `nodes` ((id, community) pairs) given weighted `edges`, each community in
    its own disc, discs placed by how strongly communities connect."""
    rng = random.Random(seed)
    community = {n: c for n, c in nodes}
    members: dict[int, list[str]] = defaultdict(list)
    for n, c in nodes:
        members[c].append(n)
    order = sorted(members, key=lambda c: (-len(members[c]), c))
    slot = {c: i for i, c in enumerate(order)}
    inside: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    between: dict[tuple[int, int], float] = defaultdict(float)
    for s, t, w in edges:
        cs, ct = community.get(s), community.get(t)
        if cs is None or ct is None:
            continue
        if cs == ct:
            inside[cs].append((s, t, w))
        else:
            key = (slot[cs], slot[ct]) if slot[cs] < slot[ct] else (slot[ct], slot[cs])
            between[key] += w
    radius = np.array([np.sqrt(len(members[c])) for c in order], dtype=float)
    centres = _place_discs(len(order), between, radius, rng)
    positions: dict[str, tuple[float, float]] = {}
    for c in order:
        local = _inside(members[c], inside[c], rng)
        cx, cy = centres[slot[c]]
        r = radius[slot[c]]
        for n, (x, y) in local.items():
            positions[n] = (round(float(cx + r * x), 3), round(float(cy + r * y), 3))
    return positions


def _place_discs(
    count: int, between: dict[tuple[int, int], float], radius: np.ndarray, rng: random.Random
) -> np.ndarray:
    """Disc centres: a weighted Fruchterman-Reingold layout of the community graph, then
    pushed apart until no two discs overlap."""
    if count == 1:
        return np.zeros((1, 2))
    graph = ig.Graph(n=count, edges=list(between), directed=False)
    weights = [np.log1p(w) for w in between.values()]
    random.seed(rng.random())
    start = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(count)]
    layout = graph.layout_fruchterman_reingold(weights=weights or None, seed=start, niter=500)
    xy = np.array(layout.coords, dtype=float)
    xy -= xy.mean(axis=0)
    scale = np.abs(xy).max() or 1.0
    xy *= radius.sum() / scale / 6
    gap = 1.15
    for _ in range(200):
        moved = False
        for i in range(count):
            d = xy[i] - xy
            dist = np.hypot(d[:, 0], d[:, 1])
            need = (radius[i] + radius) * gap
            clash = (dist < need) & (np.arange(count) != i)
            if clash.any():
                moved = True
                for j in np.flatnonzero(clash):
                    direction = d[j] / dist[j] if dist[j] > 1e-9 else np.array([1.0, 0.0])
                    push = (need[j] - dist[j]) / 2
                    xy[i] += direction * push
                    xy[j] -= direction * push
        if not moved:
            break
    return xy


def _inside(
    members: list[str], edges: list[tuple[str, str, float]], rng: random.Random
) -> dict[str, tuple[float, float]]:
    """A community's own layout scaled into the unit disc."""
    if len(members) == 1:
        return {members[0]: (0.0, 0.0)}
    index = {n: i for i, n in enumerate(members)}
    graph = ig.Graph(n=len(members), edges=[(index[s], index[t]) for s, t, _ in edges])
    graph.es["weight"] = [w for *_, w in edges]
    # One undirected edge per pair (A->B and B->A summed): half the work per iteration.
    graph.simplify(multiple=True, loops=True, combine_edges="sum")
    # Start spread over the area the layout will fill: the grid variant bins nodes into unit
    # cells, so starting them all within one cell would make it quadratic again.
    half = max(1.0, len(members) ** 0.5 / 2)
    start = [[rng.uniform(-half, half), rng.uniform(-half, half)] for _ in members]
    random.seed(rng.random())
    # The grid variant repels only nearby nodes, linear per iteration instead of quadratic:
    # the exact variant took 55 s on the communities of a 1M-post scenario (58k accounts).
    layout = graph.layout_fruchterman_reingold(
        weights="weight" if graph.ecount() else None,
        seed=start,
        niter=200 if len(members) > 300 else 500,
        grid=len(members) > 300,
    )
    xy = np.array(layout.coords, dtype=float)
    xy -= np.median(xy, axis=0)
    # Scale to the disc by a high quantile so a few outliers do not shrink the rest.
    norm = np.hypot(xy[:, 0], xy[:, 1])
    scale = float(np.quantile(norm, 0.98)) or 1.0
    xy /= scale
    norm = np.hypot(xy[:, 0], xy[:, 1])
    outside = norm > 1
    xy[outside] /= norm[outside, None]
    return {n: (xy[i, 0], xy[i, 1]) for n, i in index.items()}
