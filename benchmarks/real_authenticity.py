"""Authenticity signals on real data: IRA accounts against the GOP-debate control.

Uses an ingested store of the IRA archive and the control (``--store``; copied, never
changed; ``benchmarks/real_coordination.py ira`` makes one), runs `infoscope accounts` on
the copy, then prints per group (accounts with IRA posts, accounts with control posts) and
per IRA category: the median of each behaviour feature, and the share of accounts with each
flag. Also prints the throughput of the features on that store.

Caveats printed with the figures: the control is one night of tweets (13,838 tweets by 9,829
users), so its per-account volume, regularity and switching features are mostly unknown
(too few posts); the IRA archive has minute-precision times. Compare shares among accounts
with enough posts, which the script reports.

Run with ``python benchmarks/real_authenticity.py --store STORE``, e.g. the store
``bench-out/real-coordination/ira-control.duckdb``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

IRA_FORMAT = "ira-by-author"
CONTROL_FORMAT = "crowdflower-tweets"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--min-posts", type=int, default=20)
    args = parser.parse_args()
    from infoscope.authenticity import run_accounts
    from infoscope.authenticity.behaviour import FEATURES
    from infoscope.store import Store

    out = Path("bench-out") / "real-authenticity"
    out.mkdir(parents=True, exist_ok=True)
    copy = out / "store.duckdb"
    shutil.copyfile(args.store, copy)
    with Store.open(copy) as store:
        started = time.perf_counter()
        run = run_accounts(store, progress=print)
        seconds = time.perf_counter() - started
        posts = store.count("posts")
        groups = f"""
            CREATE TEMP TABLE _groups AS
            SELECT platform, account_id,
                   CASE WHEN bool_or(format = '{IRA_FORMAT}') THEN 'ira' ELSE 'control' END AS grp
            FROM posts GROUP BY ALL
        """
        store.con.execute(groups)
        store.con.execute(
            "CREATE TEMP TABLE _cats AS SELECT account_id, any_value(label_value) AS category "
            "FROM account_labels WHERE label_key = 'account_category' GROUP BY ALL"
        )
        results: dict[str, object] = {
            "run_id": run.run_id,
            "posts": posts,
            "seconds": round(seconds, 1),
            "posts_per_second": round(posts / seconds),
            "timings": run.summary["seconds"],
        }
        medians = {}
        for feature in FEATURES:
            medians[feature] = dict(
                store.con.execute(
                    """
                    SELECT g.grp, round(median(f.value), 3) FROM account_features f
                    JOIN _groups g USING (platform, account_id)
                    WHERE f.run_id = ? AND f.feature = ? GROUP BY ALL ORDER BY 1
                    """,
                    [run.run_id, feature],
                ).fetchall()
            )
        results["feature_medians"] = medians
        for min_posts in (1, args.min_posts):
            rows = store.con.execute(
                """
                SELECT g.grp, coalesce(c.category, '-') AS category, count(*) AS accounts,
                       avg((len(s.automation) > 0)::INT) AS automation,
                       avg((list_contains(s.automation, 'regular_intervals'))::INT) AS regular,
                       avg((list_contains(s.automation, 'high_volume'))::INT) AS high_volume,
                       avg((list_contains(s.automation, 'copy_paste'))::INT) AS copy_paste,
                       avg((len(s.amplification) > 0)::INT) AS amplification,
                       avg((len(s.persona) > 0)::INT) AS persona,
                       avg((list_contains(s.persona, 'language_switch'))::INT) AS lang_switch,
                       avg((list_contains(s.persona, 'topic_switch'))::INT) AS topic_switch,
                       avg((list_contains(s.persona, 'creation_cluster'))::INT) AS creation,
                       median(s.profile_probability) AS profile_median
                FROM account_signals s JOIN _groups g USING (platform, account_id)
                LEFT JOIN _cats c ON c.account_id = s.account_id
                WHERE s.run_id = ? AND s.posts >= ?
                GROUP BY GROUPING SETS ((g.grp), (g.grp, c.category))
                ORDER BY 1, 2
                """,
                [run.run_id, min_posts],
            )
            names = [d[0] for d in rows.description]
            results[f"flags_min_posts_{min_posts}"] = [
                {
                    k: (round(v, 4) if isinstance(v, float) else v)
                    for k, v in zip(names, r, strict=True)
                }
                for r in rows.fetchall()
            ]
    text = json.dumps(results, indent=2, default=str)
    (out / "results.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
