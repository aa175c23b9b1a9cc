"""Coordination benchmark: co-action pairs and per-trace detection, against the QUT toolkit.

For each scenario size in ``--posts`` (default 1M and 10M posts, twitter-v2, whose retweets
name the retweeted post and whose timestamps have millisecond precision), the scenario is
generated with ``infoscope simulate``, ingested with ``infoscope ingest`` and exported from
the store to the QUT coordination-network-toolkit's CSV layout with one DuckDB query, so both
tools read exactly the same posts. All of it is kept under ``--out-dir`` (default
``bench-out/coordination/POSTS``) and reused while its ``prepared.json`` matches.

Every measured command runs in a fresh process; its wall time (the whole process) is the
median of ``--repeat`` runs (default 3 below 5M posts, 1 from 5M on) and its peak RSS is the
largest sum of the resident memory of its process tree (the QUT toolkit works in a process
pool), sampled every 0.1 s, or the kernel's ``ru_maxrss`` of the process when that is larger.
A command is stopped, and reported as such, after ``--timeout`` seconds (default 3600) or
above ``--max-rss-mb`` (default 16384 of the machine's 24 GB).

1. Co-action pairs, window 60 s, the same work in both tools:

   - infoscope: ``candidate_pairs(store, "co-retweet" | "co-link", window=60.0)`` in a
     process that imports infoscope, opens the already-ingested store read-only, computes
     the pairs into an Arrow table and writes them to Parquet for the comparison (the time
     of the call alone is printed too);
   - QUT 1.5.2, its own CLI in its own virtual environment ``.venv-qut`` (created from
     ``benchmarks/requirements-qut.txt`` when missing; the toolkit is no dependency of the
     project): ``compute_networks DB preprocess --format csv`` into a fresh SQLite database,
     then ``compute_networks DB compute co_retweet|co_link --time_window W
     --min_edge_weight 1`` (every co-action pair, as ``candidate_pairs`` returns them, before
     any significance filter). Ratios are given against its compute alone and against
     preprocess + compute.

   The two edge sets are then compared as undirected account pairs (QUT's self-loops left
   out, as its own export does), with the weights where the definitions agree, and each
   difference is counted by its cause.

2. Detection per trace: ``run_coordination(store, traces=(trace,),
   options=TraceOptions(windows={trace: 60.0}), seed=0)`` (no window for the traces that take
   none) for each trace in ``--traces``, one process each: null models, evidence, clusters
   and the run stored in the benchmark's store.

How the QUT input is made and why (each point is printed with the results):

- timestamps are integer milliseconds and the window is passed as ``60000``: the toolkit
  only compares timestamps with ``BETWEEN t - w AND t + w`` (both ends included), so this is
  its 60 s window computed exactly, where fractional seconds in doubles would decide pairs
  that are exactly 60 s apart by rounding;
- ``repost_id`` is the retweeted post for retweets, ``reply_id`` the replied-to post for
  replies; quotes are plain messages (the toolkit has no quote type);
- ``urls`` are the store's normalised URLs joined by spaces. The toolkit's CSV preprocess
  stores an empty URL ``''`` for every message that has none (``"".split(" ")`` is
  ``[""]``), after which co_link pairs every two accounts that posted anything without a link
  within the window; the harness deletes those rows right after preprocess and counts that
  time as preprocess time;
- its ``export_network --output_format csv`` fails in 1.5.2 (``output_gephi_csv() got an
  unexpected keyword argument 'n_messages'``), so the edges are read from its SQLite tables.

Results are printed and written to ``OUT_DIR/POSTS/results.json`` and ``report.txt`` (and
``OUT_DIR/report.txt`` for all sizes of the run); the differing pairs go to
``OUT_DIR/POSTS/diff-TRACE.parquet``. Run with ``make bench-coordination`` or
``python benchmarks/bench_coordination.py [--posts 1000000,10000000] [--repeat N]
[--skip-qut] [--traces co-retweet,co-link] [--out-dir DIR]``; ``--posts 100000 --repeat 1``
finishes in a couple of minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
QUT_VENV = REPO / ".venv-qut"
QUT_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-qut.txt"
TRACES = (
    "co-retweet",
    "co-reply",
    "co-link",
    "co-hashtag",
    "near-duplicate",
    "synchronised",
    "fast-retweet",
)
# Traces both tools compute, with the QUT network type and the keyword arguments of
# candidate_pairs that make it the same work.
COMPARED: dict[str, tuple[str, dict[str, Any]]] = {
    "co-retweet": ("co_retweet", {}),
    "co-link": ("co_link", {"link_level": "url"}),
}
FORMAT = "twitter-v2"

# The store's posts in the toolkit's CSV columns (message_id, user_id, username, repost_id,
# reply_id, message, timestamp, urls). NULL is written as an empty field, which the toolkit
# reads as "none" for repost_id and reply_id.
EXPORT_SQL = """
COPY (
  SELECT post_id AS message_id,
         account_id AS user_id,
         coalesce(account_handle, '') AS username,
         CASE WHEN kind = 'retweet' THEN ref_post_id END AS repost_id,
         CASE WHEN kind = 'reply' THEN ref_post_id END AS reply_id,
         coalesce(text, '') AS message,
         epoch_ms(created_at) AS timestamp,
         coalesce(array_to_string(urls, ' '), '') AS urls
  FROM posts
  WHERE account_id IS NOT NULL AND created_at IS NOT NULL
  ORDER BY created_at, post_id
) TO '{path}' (FORMAT csv, HEADER)
"""

_PAIRS_CHILD = """
import json, sys, time
started = time.perf_counter()
from infoscope.coordination import candidate_pairs
from infoscope.store import Store
store_path, trace, window, kwargs, out = sys.argv[1:6]
with Store.open(store_path, read_only=True) as store:
    opened = time.perf_counter()
    table = candidate_pairs(store, trace, window=float(window), **json.loads(kwargs))
    done = time.perf_counter()
import pyarrow.parquet as pq
pq.write_table(table, out)
print(json.dumps({"in_process_seconds": done - started, "call_seconds": done - opened,
                  "pairs": table.num_rows}))
"""

_DETECT_CHILD = """
import json, sys, time
started = time.perf_counter()
from infoscope.coordination import TraceOptions, run_coordination, registered_traces
from infoscope.store import Store
store_path, trace, window = sys.argv[1:4]
windows = {trace: float(window)} if registered_traces()[trace].windowed else {}
with Store.open(store_path) as store:
    opened = time.perf_counter()
    run = run_coordination(
        store, traces=(trace,), options=TraceOptions(windows=windows), seed=0
    )
    done = time.perf_counter()
stats = run.summary["traces"][trace]
print(json.dumps({"in_process_seconds": done - started, "call_seconds": done - opened,
                  "candidate_pairs": stats.get("candidate_pairs"),
                  "kept_pairs": stats.get("kept_pairs"), "clusters": run.summary["clusters"]}))
"""

_QUT_DROP_EMPTY_URLS = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("DELETE FROM message_url WHERE url = ''").rowcount
db.commit()
print(n)
"""


@dataclass(frozen=True)
class Limits:
    """When a measured process is stopped: after `seconds`, or above `rss_mb` of memory."""

    seconds: float
    rss_mb: float


@dataclass
class Measured:
    """One measured process: wall seconds, peak RSS in MB, its stdout, why it was stopped."""

    seconds: float
    peak_mb: float
    stdout: str
    stopped: str | None = None
    others: float = 0.0

    def record(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "peak_mb": self.peak_mb,
            "stopped": self.stopped,
            "others": self.others,
        }


def _busy() -> float:
    """CPU seconds the whole machine has spent busy since boot."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def measure(cmd: list[str], log: Path, limits: Limits | None = None) -> Measured:
    """Run `cmd` in a new process group, timing it and sampling its process tree's memory.

    `log` receives its stderr. A process that passes `limits` is stopped (its whole group)
    and reported with ``stopped`` ("time" or "memory"); a command failing otherwise raises.
    ``others`` is the share of the machine's cores that other processes kept busy meanwhile.
    """
    out_path = log.with_suffix(".out")
    busy = _busy()
    # A child's own peak (`ru_maxrss`) starts from this process's resident memory when it is
    # forked (Linux keeps the pre-exec high-water mark): below that, only samples count.
    inherited = psutil.Process().memory_info().rss
    with open(out_path, "w") as out, open(log, "w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        root = psutil.Process(proc.pid)
        peak = 0
        stopped: str | None = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss = 0
            with contextlib.suppress(psutil.Error):
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
            peak = max(peak, rss)
            if limits is not None and stopped is None:
                if time.perf_counter() - started > limits.seconds:
                    stopped = "time"
                elif rss / 2**20 > limits.rss_mb:
                    stopped = "memory"
                if stopped:
                    os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if stopped:
        # the pool's workers of a stopped toolkit run may outlive its main process
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:3])} ... failed ({proc.returncode}): "
            + log.read_text(errors="replace")[-2000:]
        )
    own_peak = usage.ru_maxrss * 1024
    peak_mb = max(peak, own_peak if own_peak > inherited * 1.02 else 0) / 2**20
    own = usage.ru_utime + usage.ru_stime
    others = max(0.0, _busy() - busy - own) / (seconds * (os.cpu_count() or 1))
    return Measured(seconds, peak_mb, out_path.read_text(errors="replace"), stopped, others)


def infoscope_cli() -> str:
    """The ``infoscope`` entry point of the interpreter running this script."""
    return str(Path(sys.executable).parent / "infoscope")


def ensure_qut() -> Path:
    """Create ``.venv-qut`` with the pinned toolkit unless it is there; its bin directory."""
    stamp = QUT_VENV / ".requirements"
    wanted = QUT_REQUIREMENTS.read_text()
    cli = QUT_VENV / "bin" / "compute_networks"
    if cli.exists() and stamp.exists() and stamp.read_text() == wanted:
        return QUT_VENV / "bin"
    print(f"creating {QUT_VENV} from {QUT_REQUIREMENTS.name}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(QUT_VENV)], check=True)
    pip = [str(QUT_VENV / "bin" / "pip"), "install", "--quiet"]
    subprocess.run([*pip, "-r", str(QUT_REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return QUT_VENV / "bin"


def prepare(posts: int, seed: int, work: Path) -> dict[str, Any]:
    """Generate, ingest and export the scenario of `posts` posts in `work`, unless done.

    Returns the ``prepared.json`` record: parameters, timings and counts.
    """
    import duckdb

    from infoscope.store import SCHEMA_VERSION

    key = {"posts": posts, "seed": seed, "format": FORMAT, "schema": SCHEMA_VERSION}
    manifest = work / "prepared.json"
    store, csv_path = work / "store.duckdb", work / "qut.csv"
    if manifest.exists() and store.exists() and csv_path.exists():
        done = json.loads(manifest.read_text())
        if {k: done.get(k) for k in key} == key:
            return dict(done)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    record: dict[str, Any] = dict(key)
    scenario = work / "scenario"
    cmd = [infoscope_cli(), "simulate", "--posts", str(posts), "--seed", str(seed)]
    m = measure([*cmd, "--out", str(scenario), "--format", FORMAT, "-q"], work / "simulate.log")
    record["simulate"] = {"seconds": m.seconds, "peak_mb": m.peak_mb}
    print(f"  simulate: {m.seconds:,.0f} s, peak RSS {m.peak_mb:,.0f} MB", file=sys.stderr)
    corpus = (
        scenario / json.loads((scenario / "scenario.json").read_text())["counts"]["corpus_file"]
    )
    record["corpus_bytes"] = corpus.stat().st_size
    m = measure(
        [infoscope_cli(), "ingest", str(corpus), "--store", str(store), "-q"],
        work / "ingest.log",
    )
    record["ingest"] = {"seconds": m.seconds, "peak_mb": m.peak_mb}
    print(f"  ingest: {m.seconds:,.0f} s, peak RSS {m.peak_mb:,.0f} MB", file=sys.stderr)
    corpus.unlink()  # deterministic from the seed; the store holds everything measured
    started = time.perf_counter()
    con = duckdb.connect(str(store), read_only=True)
    con.execute(EXPORT_SQL.format(path=str(csv_path).replace("'", "''")))
    counts = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE kind = 'retweet'),"
        " count(*) FILTER (WHERE len(urls) > 0),"
        " count(*) FILTER (WHERE epoch_us(created_at) % 1000 <> 0) FROM posts"
    ).fetchall()[0]
    con.close()
    record["export_seconds"] = time.perf_counter() - started
    record["stored_posts"], record["retweets"], record["posts_with_urls"] = counts[:3]
    record["sub_ms_timestamps"] = counts[3]
    print(f"  export to QUT CSV: {record['export_seconds']:,.1f} s", file=sys.stderr)
    manifest.write_text(json.dumps(record, indent=2))
    return record


def run_qut(bin_dir: Path, work: Path, traces: list[str], window: float, limits: Limits) -> dict:
    """One toolkit run: preprocess into a fresh database, then each compared trace's compute."""
    db = work / "qut.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    cn = str(bin_dir / "compute_networks")
    result: dict[str, Any] = {}
    pre = measure(
        [cn, str(db), "preprocess", "--format", "csv", str(work / "qut.csv")],
        work / "qut-preprocess.log",
        limits,
    )
    result["preprocess"] = pre.record()
    if pre.stopped:
        return result
    fix = measure(
        [str(bin_dir / "python"), "-c", _QUT_DROP_EMPTY_URLS, str(db)], work / "qut-fix.log"
    )
    result["preprocess"]["seconds"] += fix.seconds
    result["preprocess"]["peak_mb"] = max(pre.peak_mb, fix.peak_mb)
    result["preprocess"]["empty_urls_dropped"] = int(fix.stdout.strip() or 0)
    for trace in traces:
        network = COMPARED[trace][0]
        window_ms = str(round(window * 1000))
        m = measure(
            [cn, str(db), "compute", network, "--time_window", window_ms, "--min_edge_weight", "1"],
            work / f"qut-{network}.log",
            limits,
        )
        result[trace] = m.record()
    return result


def run_pairs(work: Path, trace: str, window: float, limits: Limits) -> dict:
    """One infoscope `candidate_pairs` run in a fresh process; pairs go to pairs-TRACE.parquet."""
    out = work / f"pairs-{trace}.parquet"
    m = measure(
        [
            sys.executable,
            "-c",
            _PAIRS_CHILD,
            str(work / "store.duckdb"),
            trace,
            str(window),
            json.dumps(COMPARED[trace][1]),
            str(out),
        ],
        work / f"pairs-{trace}.log",
        limits,
    )
    if m.stopped:
        return m.record()
    return {**json.loads(m.stdout.strip().splitlines()[-1]), **m.record()}


def run_detect(work: Path, trace: str, window: float, limits: Limits) -> dict:
    """One `run_coordination` run of one trace in a fresh process."""
    m = measure(
        [sys.executable, "-c", _DETECT_CHILD, str(work / "store.duckdb"), trace, str(window)],
        work / f"detect-{trace}.log",
        limits,
    )
    if m.stopped:
        return m.record()
    return {**json.loads(m.stdout.strip().splitlines()[-1]), **m.record()}


def compare_edges(work: Path, trace: str, window: float) -> dict[str, Any]:
    """Compare the toolkit's network of `trace` with infoscope's pairs, counting each cause.

    QUT's table has both orientations of each pair: weight(u1, u2) is the number of u1's
    messages that u2 matched within the window. Pairs found by one tool only, and pairs whose
    weights disagree, are written to diff-TRACE.parquet and recounted from the store (see
    `recount`).
    """
    import duckdb
    import pyarrow as pa

    network = COMPARED[trace][0]
    src = sqlite3.connect(work / "qut.db")
    rows = src.execute(
        f"SELECT user_1, user_2, weight FROM {network}_network WHERE user_1 != user_2"
    ).fetchall()
    src.close()
    qut = pa.table(
        {
            "u1": pa.array([str(r[0]) for r in rows], pa.string()),
            "u2": pa.array([str(r[1]) for r in rows], pa.string()),
            "w": pa.array([int(r[2]) for r in rows], pa.int64()),
        }
    )
    del rows
    con = duckdb.connect()
    con.register("qut_raw", qut)
    con.execute(f"CREATE VIEW info AS SELECT * FROM read_parquet('{_sql_path(work, trace)}')")
    con.execute(
        """
        CREATE TABLE joined AS
        WITH q AS (
          SELECT least(u1, u2) AS a, greatest(u1, u2) AS b,
                 max(w) FILTER (WHERE u1 < u2) AS w_ab, max(w) FILTER (WHERE u1 > u2) AS w_ba
          FROM qut_raw GROUP BY 1, 2
        )
        SELECT coalesce(q.a, i.account_a) AS account_a, coalesce(q.b, i.account_b) AS account_b,
               q.w_ab, q.w_ba, i.objects, i.co_actions
        FROM q FULL JOIN info i ON q.a = i.account_a AND q.b = i.account_b
        """
    )
    [(both, only_qut, only_info, asym, w_equal)] = con.execute(
        """
        SELECT count(*) FILTER (WHERE w_ab IS NOT NULL AND objects IS NOT NULL),
               count(*) FILTER (WHERE objects IS NULL),
               count(*) FILTER (WHERE w_ab IS NULL),
               count(*) FILTER (WHERE w_ab <> w_ba),
               count(*) FILTER (WHERE w_ab = w_ba AND w_ab = objects)
        FROM joined
        """
    ).fetchall()
    diff = work / f"diff-{trace}.parquet"
    con.execute(
        "COPY (SELECT * FROM joined WHERE w_ab IS NULL OR objects IS NULL OR w_ab <> objects"
        f" OR w_ba <> objects) TO '{_quote(diff)}' (FORMAT parquet)"
    )
    con.close()
    return {
        "qut_pairs": both + only_qut,
        "infoscope_pairs": both + only_info,
        "both": both,
        "only_qut": only_qut,
        "only_infoscope": only_info,
        "qut_asymmetric": asym,
        "weight_equal": w_equal,
        "causes": recount(work, trace, window) if both + only_info - w_equal or only_qut else {},
    }


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _sql_path(work: Path, trace: str) -> str:
    return _quote(work / f"pairs-{trace}.parquet")


# An independent recount of the differing pairs from the store, in exact milliseconds
# (DuckDB's epoch_ms): for each pair, the distinct objects the two co-acted on within the
# window (infoscope's `objects`), the messages of each matched by the other (QUT's weight in
# each orientation), and how many objects have co-actions within a second of the window edge.
_RECOUNT_SQL = """
WITH d AS (SELECT * FROM read_parquet('{diff}')),
acts AS (
  SELECT account_id, {object} AS object, post_id, epoch_ms(created_at) AS ms
  FROM {source}
  WHERE {keep} AND account_id IN (SELECT account_a FROM d UNION SELECT account_b FROM d)
),
j AS (
  SELECT d.account_a, d.account_b, x.object, x.post_id AS px, y.post_id AS py,
         abs(x.ms - y.ms) AS gap
  FROM d JOIN acts x ON x.account_id = d.account_a
         JOIN acts y ON y.account_id = d.account_b AND y.object = x.object
),
r AS (
  SELECT account_a, account_b,
         count(DISTINCT object) FILTER (WHERE gap <= {w}) AS exact_objects,
         count(DISTINCT px) FILTER (WHERE gap <= {w}) AS msgs_a,
         count(DISTINCT py) FILTER (WHERE gap <= {w}) AS msgs_b,
         count(DISTINCT object) FILTER (WHERE gap BETWEEN {w} - 1000 AND {w} + 1000) AS near_edge
  FROM j GROUP BY ALL
)
SELECT d.w_ab, d.w_ba, d.objects, coalesce(r.exact_objects, 0), coalesce(r.msgs_a, 0),
       coalesce(r.msgs_b, 0), coalesce(r.near_edge, 0)
FROM d LEFT JOIN r USING (account_a, account_b)
"""


def recount(work: Path, trace: str, window: float) -> dict[str, int]:
    """Count the differing pairs by which tool agrees with an exact recount from the store."""
    import duckdb

    if trace == "co-retweet":
        source, obj, keep = "posts", "ref_post_id", "kind = 'retweet' AND ref_post_id IS NOT NULL"
    else:  # links of the accounts' own posts, as both tools read them
        source = (
            "(SELECT account_id, post_id, created_at, unnest(urls) AS url FROM posts "
            "WHERE kind IS NULL OR kind <> 'retweet')"
        )
        obj, keep = "url", "url <> ''"
    con = duckdb.connect(str(work / "store.duckdb"), read_only=True)
    sql = _RECOUNT_SQL.format(
        diff=_quote(work / f"diff-{trace}.parquet"),
        object=obj,
        source=source,
        keep=keep,
        w=round(window * 1000),
    )
    rows = con.execute(sql).fetchall()
    con.close()
    causes: dict[str, int] = {}
    for w_ab, w_ba, objects, exact, msgs_a, msgs_b, near in rows:
        info_ok = (objects or 0) == exact
        qut_ok = (w_ab or 0) == msgs_a and (w_ba or 0) == msgs_b
        edge = " (with a co-action within 1 s of the window edge)" if near else ""
        if info_ok and qut_ok:
            cause = "both exact: QUT counts matched messages, infoscope distinct objects"
        elif qut_ok:
            cause = f"QUT exact, infoscope off the exact count{edge}"
        elif info_ok:
            cause = f"infoscope exact, QUT off the exact count{edge}"
        else:
            cause = f"neither matches the exact count{edge}"
        causes[cause] = causes.get(cause, 0) + 1
    return causes


def med(values: list[float]) -> float:
    return statistics.median(values)


def _stopped(runs: list[dict[str, Any]]) -> str | None:
    reasons = {r.get("stopped") for r in runs} - {None}
    return ", ".join(sorted(str(r) for r in reasons)) or None


def report(record: dict[str, Any], res: dict[str, Any], limits: Limits) -> list[str]:
    """The printed lines for one scenario size."""
    repeat = res["repeat"]
    lines = [
        "",
        f"== {record['stored_posts']:,} posts ({FORMAT}, seed {record['seed']}; "
        f"{record['retweets']:,} retweets, {record['posts_with_urls']:,} posts with links), "
        f"median of {repeat} ==",
        f"preparation (once): simulate {record['simulate']['seconds']:,.0f} s "
        f"(peak {record['simulate']['peak_mb']:,.0f} MB), ingest "
        f"{record['ingest']['seconds']:,.0f} s (peak {record['ingest']['peak_mb']:,.0f} MB), "
        f"export to the QUT CSV {record['export_seconds']:,.1f} s (counted for neither tool)",
    ]
    if record.get("sub_ms_timestamps"):
        lines.append(
            f"  note: {record['sub_ms_timestamps']:,} posts have sub-millisecond times, "
            "truncated to milliseconds in the QUT CSV"
        )
    measured = [
        *(r for runs in res.get("pairs", {}).values() for r in runs),
        *(r for runs in res.get("detect", {}).values() for r in runs),
        *(v for r in res.get("qut", []) for v in r.values()),
    ]
    if measured:
        shares = [r["others"] for r in measured]
        lines.append(
            f"other processes on the machine kept {statistics.mean(shares):.0%} of its "
            f"{os.cpu_count()} cores busy during the measured runs on average "
            f"(at most {max(shares):.0%} during one)"
        )
    stop = f"stopped after {limits.seconds:,.0f} s or above {limits.rss_mb:,.0f} MB"
    pairs, qut = res.get("pairs", {}), res.get("qut", [])
    if pairs or qut:
        lines.append(f"co-action pairs, window {res['window']:g} s (wall: whole process):")
        lines.append(
            f"  {'trace':<11} {'tool':<26} {'wall s':>9} {'peak MB':>9} {'pairs':>9} "
            f"{'QUT/infoscope':>14}"
        )
    for trace in COMPARED:
        runs = pairs.get(trace, [])
        ok = [r for r in runs if not r.get("stopped")]
        info = med([r["seconds"] for r in ok]) if ok and len(ok) == len(runs) else None
        if runs:
            shown = f"{info:9.2f}" if info is not None else f"{'stopped':>9}"
            found = f"{ok[-1]['pairs']:9,}" if ok else f"{'':>9}"
            lines.append(
                f"  {trace:<11} {'infoscope candidate_pairs':<26} {shown} "
                f"{max(r['peak_mb'] for r in runs):9,.0f} {found}"
            )
            if info is not None:
                call = med([r["call_seconds"] for r in ok])
                lines.append(f"  {'':<11} {'  of which the call':<26} {call:9.2f}")
        done = [r for r in qut if trace in r]
        if not done:
            continue
        stopped = _stopped([r[trace] for r in done])
        comp = med([r[trace]["seconds"] for r in done])
        pre = med([r["preprocess"]["seconds"] for r in done])
        peak = max(r[trace]["peak_mb"] for r in done)
        pre_peak = max(r["preprocess"]["peak_mb"] for r in done)
        mark = ">" if stopped else " "
        n = res.get("compare", {}).get(trace, {}).get("qut_pairs")
        found = f"{n:9,}" if n is not None else f"{'':>9}"
        for label, secs, pk in (
            ("QUT compute", comp, peak),
            ("QUT preprocess + compute", pre + comp, max(peak, pre_peak)),
        ):
            ratio = f"{mark}{secs / info:.1f}x" if info else ""
            lines.append(f"  {'':<11} {label:<26}{mark}{secs:8.2f} {pk:9,.0f} {found} {ratio:>14}")
        if stopped:
            lines.append(f"  {'':<11} (QUT {stop}: {stopped})")
    if qut:
        pre = med([r["preprocess"]["seconds"] for r in qut])
        last = qut[-1]["preprocess"]
        if last.get("stopped"):
            lines.append(f"  QUT preprocess {stop} ({last['stopped']}): > {pre:,.0f} s")
        else:
            lines.append(
                f"  QUT preprocess alone: {pre:.2f} s, peak {last['peak_mb']:,.0f} MB, including "
                f"the deletion of {last['empty_urls_dropped']:,} empty-URL rows it stores for "
                "messages without links"
            )
    for trace, cmp_ in res.get("compare", {}).items():
        lines.append(
            f"edge sets, {trace}: {cmp_['both']:,} pairs in both, {cmp_['only_qut']:,} only in "
            f"QUT, {cmp_['only_infoscope']:,} only in infoscope; weights equal on "
            f"{cmp_['weight_equal']:,} of {cmp_['both']:,}; QUT weight differs by orientation "
            f"on {cmp_['qut_asymmetric']:,}"
        )
        if cmp_["causes"]:
            lines.append("  the pairs that differ, recounted exactly from the store:")
        for cause, n in sorted(cmp_["causes"].items()):
            lines.append(f"    {n:,} {cause}")
    detect = res.get("detect", {})
    if detect:
        lines.append(
            f"run_coordination, one trace at a time (window {res['window']:g} s for the "
            "windowed traces, seed 0; pairs that co-acted, kept as significant, clusters):"
        )
        lines.append(
            f"  {'trace':<16} {'wall s':>9} {'peak MB':>9} {'pairs':>11} {'kept':>9} "
            f"{'clusters':>9}"
        )
        for trace, runs in detect.items():
            peak = max(r["peak_mb"] for r in runs)
            stopped = _stopped(runs)
            if stopped:
                secs = max(r["seconds"] for r in runs)
                lines.append(f"  {trace:<16} >{secs:8.0f} {peak:9,.0f}  {stop} ({stopped})")
                continue
            last = runs[-1]
            lines.append(
                f"  {trace:<16} {med([r['seconds'] for r in runs]):9.2f} {peak:9,.0f} "
                f"{last['candidate_pairs'] or 0:11,} {last['kept_pairs'] or 0:9,} "
                f"{last['clusters']:9,}"
            )
    return lines


NOTES = """
How to read it: infoscope's time is its whole process (imports, opening the already-ingested
store, candidate_pairs into Arrow); the QUT toolkit's is its CLI process, compute alone (it
builds its indexes and the network table in SQLite) or with preprocess (CSV into SQLite).
Both produce every co-action pair (QUT --min_edge_weight 1) for a 60 s window, boundaries
included (QUT reads integer milliseconds with --time_window 60000); both leave the links of
retweets out of co-link. Peak RSS is that of the process tree (QUT runs a process pool).
QUT's weight(u1, u2) counts u1's messages matched by u2 within the window, so it can differ
by orientation; infoscope's objects counts the distinct shared objects (posts retweeted,
URLs). They agree unless an account repeats an object (retweets a post twice, posts a URL
twice) or one message carries two shared URLs. Every pair found by one tool only, or with
different weights, is recounted exactly from the store (DuckDB epoch_ms) with both
definitions; the lines under "edge sets" say which tool the recount agrees with.
""".strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--posts",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1_000_000, 10_000_000],
        help="comma-separated scenario sizes (default 1000000,10000000)",
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs per measurement (3 below 5M, else 1)"
    )
    parser.add_argument("--skip-qut", action="store_true", help="do not run the QUT toolkit")
    parser.add_argument(
        "--traces",
        type=lambda s: [t for t in s.split(",") if t],
        default=list(TRACES),
        help="comma-separated traces for detection (co-retweet and co-link are also compared)",
    )
    parser.add_argument("--out-dir", type=Path, default=REPO / "bench-out" / "coordination")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="stop a measured command after this (s)"
    )
    parser.add_argument(
        "--max-rss-mb",
        type=float,
        default=16_384.0,
        help="stop a measured command whose processes hold more memory than this",
    )
    parser.add_argument("--prepare-only", action="store_true", help="only generate and ingest")
    parser.add_argument("--no-detect", action="store_true", help="skip run_coordination")
    args = parser.parse_args()
    unknown = sorted(set(args.traces) - set(TRACES))
    if unknown:
        parser.error(f"unknown trace(s) {', '.join(unknown)}; choose from {', '.join(TRACES)}")
    limits = Limits(args.timeout, args.max_rss_mb)
    compared = [t for t in COMPARED if t in args.traces]
    bin_dir = None if args.skip_qut or args.prepare_only else ensure_qut()
    printed: list[str] = []
    for posts in args.posts:
        repeat = args.repeat or (3 if posts < 5_000_000 else 1)
        work = args.out_dir / str(posts)
        print(f"{posts:,} posts in {work}", file=sys.stderr)
        record = prepare(posts, args.seed, work)
        if args.prepare_only:
            continue
        results: dict[str, Any] = {"prepared": record, "repeat": repeat, "window": args.window}
        out = work / "results.json"

        def save(results: dict[str, Any] = results, out: Path = out) -> None:
            out.write_text(json.dumps(results, indent=2))

        def say(what: str, run: dict[str, Any]) -> None:
            print(f"  {what}: {json.dumps(run)}", file=sys.stderr)

        if bin_dir is not None and compared:
            results["qut"] = []
            for i in range(repeat):
                results["qut"].append(run_qut(bin_dir, work, compared, args.window, limits))
                save()
                say(f"QUT run {i + 1}", results["qut"][-1])
        results["pairs"] = {}
        for trace in compared:
            runs: list[dict[str, Any]] = []
            results["pairs"][trace] = runs
            for i in range(repeat):
                runs.append(run_pairs(work, trace, args.window, limits))
                save()
                say(f"infoscope {trace} run {i + 1}", runs[-1])
        if bin_dir is not None:
            results["compare"] = {}
            for trace in compared:
                last_qut = results["qut"][-1].get(trace, {"stopped": "preprocess"})
                last_info = results["pairs"][trace][-1]
                if not last_qut["stopped"] and not last_info["stopped"]:
                    results["compare"][trace] = compare_edges(work, trace, args.window)
            save()
        if not args.no_detect:
            results["detect"] = {}
            for trace in args.traces:
                runs = []
                results["detect"][trace] = runs
                for i in range(repeat):
                    runs.append(run_detect(work, trace, args.window, limits))
                    save()
                    say(f"detect {trace} run {i + 1}", runs[-1])
        lines = report(record, results, limits)
        print("\n".join(lines), flush=True)
        (work / "report.txt").write_text("\n".join([*lines, "", NOTES]) + "\n")
        printed.extend(lines)
    if printed:
        print()
        print(NOTES)
        (args.out_dir / "report.txt").write_text("\n".join([*printed, "", NOTES]) + "\n")


if __name__ == "__main__":
    main()
