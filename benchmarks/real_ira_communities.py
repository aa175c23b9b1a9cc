"""Communities on the real IRA archive plus the GOP-debate control: how cleanly they separate.

Ingests ``../shared/data/ira/ira-tweets-by-author.tar.xz`` and
``../shared/data/control/gop-debate-2015-tweets.csv`` into a store (``--store``, reused when it
already holds them), runs `run_communities` with the given options, and prints, over the
accounts that post (IRA accounts come from the archive, control accounts from the CrowdFlower
file):

- the largest communities by posting accounts, with their IRA and control counts and the IRA
  categories inside them;
- separation: the NMI between community and side (IRA or control), the purity (share of
  accounts whose community's majority is their own side), and the share of each side in
  communities where it is at least 90% of the posting accounts;
- how IRA categories map onto communities: per category, its accounts' top communities, and
  the NMI between category and community among IRA accounts.

Run on demand: ``python benchmarks/real_ira_communities.py [--types mention] [--drop-outside]
[--min-weight 2] [--resolution 1] [--seed 1] [--store PATH]``.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
IRA = SHARED / "ira" / "ira-tweets-by-author.tar.xz"
CONTROL = SHARED / "control" / "gop-debate-2015-tweets.csv"


def nmi(a: list[object], b: list[object]) -> float:
    import igraph as ig

    def codes(values: list[object]) -> list[int]:
        index: dict[object, int] = {}
        return [index.setdefault(v, len(index)) for v in values]

    return float(ig.compare_communities(codes(a), codes(b), method="nmi"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", default="ira-control.duckdb")
    parser.add_argument("--types", default="retweet,quote,reply,mention")
    parser.add_argument("--drop-outside", action="store_true")
    parser.add_argument("--min-weight", type=float, default=1.0)
    parser.add_argument("--resolution", type=float)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=12)
    args = parser.parse_args()
    if not IRA.exists() or not CONTROL.exists():
        sys.exit(f"the shared data is absent ({IRA.parent.parent}); nothing to measure")

    from infoscope.ingest import ingest
    from infoscope.network import EdgeSelection, run_communities
    from infoscope.network.edges import parse_types
    from infoscope.store import Store

    with Store.open(args.store) as store:
        ingest(store, [IRA, CONTROL])  # a no-op when both are already in the store
        selection = EdgeSelection(
            types=parse_types(args.types),
            platform="twitter",
            outside=not args.drop_outside,
            min_weight=args.min_weight,
        )
        run = run_communities(store, selection, resolution=args.resolution, seed=args.seed)
        rows = store.con.execute(
            """
            WITH side AS (
              SELECT account_id,
                     CASE WHEN any_value(format) = 'ira-by-author' THEN 'IRA' ELSE 'control' END
                       AS side
              FROM posts WHERE platform = 'twitter' GROUP BY account_id),
            category AS (
              SELECT account_id, any_value(label_value) AS category FROM account_labels
              WHERE label_key = 'account_category' GROUP BY account_id)
            SELECT n.community, s.side, coalesce(c.category, '-') AS category
            FROM network_nodes n JOIN side s USING (account_id)
            LEFT JOIN category c USING (account_id)
            WHERE n.run_id = ?
            """,
            [run.run_id],
        ).fetchall()
    s = run.summary
    print(
        f"{s['nodes']:,} accounts ({s['nodes_in_corpus']:,} posting), {s['edges']:,} edges, "
        f"{s['communities']:,} communities, modularity {s['modularity']:.3f}, mean NMI between "
        f"runs {s['mean_nmi']:.3f}, seconds {s['seconds']}"
    )
    per = collections.defaultdict(collections.Counter)
    cats = collections.defaultdict(collections.Counter)
    for community, side, category in rows:
        per[community][side] += 1
        if side == "IRA":
            cats[community][category] += 1
    total = collections.Counter(side for _, side, _ in rows)
    print(f"posting accounts in the network: {dict(total)}")
    print(f"\nlargest communities by posting accounts (of {len(per):,} with any):")
    for community, counts in sorted(per.items(), key=lambda kv: -sum(kv[1].values()))[: args.show]:
        top = ", ".join(f"{k} {v}" for k, v in cats[community].most_common(4))
        print(
            f"  community {community:>4}: IRA {counts['IRA']:>5,}  control {counts['control']:>5,}"
            f"   {top}"
        )
    sides = [side for _, side, _ in rows]
    communities = [c for c, _, _ in rows]
    purity = sum(max(c.values()) for c in per.values()) / len(rows)
    print("\nseparation of IRA from control (posting accounts):")
    print(f"  NMI(community, side)       {nmi(communities, sides):.3f}")
    print(f"  purity                     {purity:.3f}")
    for side in ("IRA", "control"):
        clean = sum(c[side] for c in per.values() if c[side] / sum(c.values()) >= 0.9)
        print(f"  {side:<8} in >=90% {side:<8} communities  {clean / total[side]:.3f}")
    ira = [(c, cat) for c, side, cat in rows if side == "IRA"]
    print("\nIRA categories over communities:")
    by_cat = collections.defaultdict(collections.Counter)
    for community, category in ira:
        by_cat[category][community] += 1
    for category, counts in sorted(by_cat.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(counts.values())
        tops = ", ".join(f"c{c} {k / n:.0%}" for c, k in counts.most_common(3))
        print(f"  {category:<13} {n:>5,} accounts: {tops}")
    score = nmi([c for c, _ in ira], [k for _, k in ira])
    print(f"  NMI(category, community) among IRA accounts: {score:.3f}")


if __name__ == "__main__":
    main()
