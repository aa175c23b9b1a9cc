"""Communities benchmark: edge building, Leiden and the whole command on a 1M-post scenario.

Generates a scenario (``--posts``, default 1M, in ``--format``, default io-archive, whose CSV
ingests fastest), ingests it into a temporary store, then times each stage ``--runs`` times
(default 3) and prints the medians:

- edges: the Ibis edge queries (retweet, quote, reply, mention; combined) run by DuckDB into
  Arrow, plus the node table;
- graph: the igraph graph from those tables;
- leiden x1: one Leiden run (modularity, iterated to convergence);
- leiden x10: ten seeded runs with the stability figures (what `infoscope communities` does);
- centrality: PageRank, strengths and sampled betweenness;
- command: the whole `run_communities` (edges, Leiden x10, centrality, profiles, storing).

Baseline: networkx's Louvain (``louvain_communities``, the usual pure-Python choice), one run
on the same undirected graph, with the modularity both reach; skipped with ``--no-baseline``.
It also prints the NMI/ARI of the stored run against the planted groups. Run with
``make bench`` or ``python benchmarks/bench_communities.py [--posts N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", default="io-archive")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    from infoscope.evaluate import evaluate, load_truth
    from infoscope.ingest import ingest
    from infoscope.network import (
        EdgeSelection,
        build_graph,
        combine_edges,
        detect_communities,
        interaction_edges,
        rank_accounts,
        run_communities,
    )
    from infoscope.network.edges import network_nodes
    from infoscope.scenario import ScenarioConfig, generate_scenario
    from infoscope.store import Store

    with tempfile.TemporaryDirectory(prefix="bench-communities-") as tmp:
        out = Path(tmp)
        seconds, manifest = timed(
            lambda: generate_scenario(
                ScenarioConfig(posts=args.posts, seed=args.seed),
                out / "scenario",
                format=args.format,
            )
        )
        print(f"scenario: {args.posts:,} posts ({args.format}) in {seconds:.1f} s", file=sys.stderr)
        corpus = out / "scenario" / manifest.counts["corpus_file"]
        with Store.open(out / "bench.duckdb") as store:
            seconds, summary = timed(lambda: ingest(store, [corpus]))
            print(f"ingest: {summary.posts:,} posts in {seconds:.1f} s", file=sys.stderr)
            sel = EdgeSelection(platform=store.default_platform())
            posts, accounts = store.ibis.table("posts"), store.ibis.table("accounts")

            def edges() -> Any:
                per_type = interaction_edges(posts, accounts, sel)
                table = store.arrow_reader(combine_edges(per_type)).read_all()
                nodes = store.arrow_reader(network_nodes(posts, accounts, per_type, sel)).read_all()
                return table, nodes

            stages: dict[str, list[float]] = {}
            graph = None
            found = None
            run = None
            for i in range(args.runs):
                t, (table, nodes) = timed(edges)
                stages.setdefault("edges", []).append(t)
                t, graph = timed(lambda table=table, nodes=nodes: build_graph(table, nodes))
                stages.setdefault("graph", []).append(t)
                t, _ = timed(lambda g=graph, s=args.seed + i: detect_communities(g, runs=1, seed=s))
                stages.setdefault("leiden x1", []).append(t)
                t, found = timed(
                    lambda g=graph, s=args.seed + i: detect_communities(g, runs=10, seed=s)
                )
                stages.setdefault("leiden x10 + stability", []).append(t)
                t, _ = timed(lambda g=graph: rank_accounts(g, seed=args.seed))
                stages.setdefault("centrality", []).append(t)
                t, run = timed(lambda: run_communities(store, sel, seed=args.seed))
                stages.setdefault("command (run_communities)", []).append(t)
                print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in stages.items()))
            scores = evaluate(store, load_truth(out / "scenario"))["communities"]

        assert graph is not None and found is not None and run is not None
        print()
        print(
            f"{args.posts:,} posts -> {graph.vcount():,} accounts, {graph.ecount():,} edges, "
            f"{found.count:,} communities; mean NMI between runs {found.mean_nmi:.3f}, "
            f"modularity {found.modularity:.3f}"
        )
        print(f"median of {args.runs}:")
        for name, values in stages.items():
            print(f"  {name:<28} {statistics.median(values):8.2f} s")
        print(
            "against the planted groups: "
            + ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if k != "accounts_scored")
        )
        if not args.no_baseline:
            import networkx as nx

            from infoscope.network.communities import _undirected

            simple = _undirected(graph)
            g = nx.Graph()
            g.add_nodes_from(range(simple.vcount()))
            g.add_weighted_edges_from(
                (e.source, e.target, w) for e, w in zip(simple.es, simple.es["weight"], strict=True)
            )
            t, parts = timed(lambda: nx.community.louvain_communities(g, seed=args.seed))
            q = nx.community.modularity(g, parts)
            leiden = statistics.median(stages["leiden x1"])
            print(
                f"baseline networkx Louvain x1: {t:.2f} s, modularity {q:.3f}, "
                f"{len(parts):,} communities; Leiden x1 is {t / leiden:.1f}x faster"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
