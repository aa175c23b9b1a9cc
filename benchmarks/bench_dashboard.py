"""Dashboard load benchmark: latency and errors of `infoscope serve` under concurrent readers.

The dashboard over a store with every analysis run (the demo's, ``demo-out/demo.duckdb`` after
``make demo``, or ``--store``) is served by uvicorn on a free loopback port, as ``infoscope
serve`` does. ``--requests`` requests (2,000) are sent by ``--concurrency`` (20) client threads,
cycling over the pages and JSON endpoints an analyst opens (overview, communities,
coordination, accounts with paging and a search, runs, filters) plus, one in ten, a request
with a foreign ``Host`` header (a DNS-rebinding attempt), which must be refused with 421.
Printed per round and as medians over ``--rounds``: requests per second, latency p50, p95 and
maximum, the errors (any unexpected status, timeout or connection failure) and the foreign-host
requests answered with anything but 421.

Run with ``python benchmarks/bench_dashboard.py [--store S] [--requests N] [--concurrency N]``.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = (
    "/",
    "/api/overview",
    "/communities",
    "/api/communities",
    "/api/coordination",
    "/accounts?limit=50",
    "/api/accounts?limit=50&offset=100",
    "/api/accounts?q=an&sort=handle",
    "/api/runs",
    "/api/filters",
)
FOREIGN = "evil.example"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def start(store: Path) -> tuple[str, object]:
    import uvicorn

    from infoscope.report.dashboard import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(store), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/api/filters", timeout=2):
                return url, server
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the dashboard did not answer within 30 s")


def one(url: str, path: str, foreign: bool) -> tuple[float, int | str]:
    request = urllib.request.Request(url + path, headers={"Host": FOREIGN} if foreign else {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status: int | str = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        status = type(error).__name__
    return time.perf_counter() - started, status


def round_(url: str, requests: int, concurrency: int) -> dict[str, float]:
    jobs = [(PATHS[i % len(PATHS)], i % 10 == 9) for i in range(requests)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda job: one(url, *job), jobs))
    wall = time.perf_counter() - started
    served = [t for (t, s), (_, foreign) in zip(results, jobs, strict=True) if not foreign]
    errors = sum(
        1 for (_, s), (_, foreign) in zip(results, jobs, strict=True) if not foreign and s != 200
    )
    leaks = sum(
        1 for (_, s), (_, foreign) in zip(results, jobs, strict=True) if foreign and s != 421
    )
    q = statistics.quantiles(served, n=100)
    return {
        "rps": requests / wall,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "max": max(served) * 1000,
        "errors": errors,
        "foreign_not_refused": leaks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, default=ROOT / "demo-out" / "demo.duckdb")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.store.exists():
        raise SystemExit(f"no store at {args.store}: run `make demo` first, or give --store")
    url, _server = start(args.store)
    say(f"dashboard over {args.store} at {url}; warming up")
    round_(url, len(PATHS) * 2, 2)
    rows = []
    for i in range(args.rounds):
        row = round_(url, args.requests, args.concurrency)
        rows.append(row)
        say(
            f"round {i + 1}: {row['rps']:.0f} req/s, p50 {row['p50']:.0f} ms, p95 "
            f"{row['p95']:.0f} ms, max {row['max']:.0f} ms, {row['errors']} errors, "
            f"{row['foreign_not_refused']} foreign-host requests not refused"
        )
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(
        f"{args.requests:,} requests x {args.rounds} rounds at concurrency {args.concurrency} "
        f"(medians): {med['rps']:.0f} req/s, latency p50 {med['p50']:.0f} ms, p95 "
        f"{med['p95']:.0f} ms, max {med['max']:.0f} ms; errors {sum(r['errors'] for r in rows)}; "
        f"foreign-host requests not refused {sum(r['foreign_not_refused'] for r in rows)}"
    )


if __name__ == "__main__":
    main()
