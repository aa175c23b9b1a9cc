"""A Spark cluster on this machine for the benchmarks: a standalone master, one worker and,
on request, a Spark Connect server, all from the pyspark package's own scripts.

`standalone()` starts ``spark-class org.apache.spark.deploy.master.Master`` and one
``org.apache.spark.deploy.worker.Worker`` (``--cores``, ``--memory``) on free local ports,
waits until the worker has registered, yields the master's URL (``spark://127.0.0.1:PORT``)
and stops both. `connect_server(master)` starts a Spark Connect server (Spark's
``SparkConnectServer`` through ``spark-submit``) whose session runs on `master` and yields its
URL (``sc://127.0.0.1:PORT``). Logs go to the folder given.

A driver that joins the master (``infoscope ... --engine spark --spark-master spark://...``)
runs in its own process and starts its executors in the worker; executors run Python (the
near-duplicate signatures) with the interpreter the driver names (``PYSPARK_PYTHON``, which
infoscope sets to its own interpreter when unset).

Run alone to try it: ``python benchmarks/spark_cluster.py [--connect]`` starts the cluster,
runs ``infoscope stats`` on the Parquet folder given by ``--data`` against it and stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["connect_server", "standalone"]


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["SPARK_HOME"] = str(_spark_home())
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return env


def _start(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        cmd, stdout=handle, stderr=subprocess.STDOUT, env=_env(), start_new_session=True
    )


def _wait_for(proc: subprocess.Popen[bytes], log: Path, marker: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if marker in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{log.name}: the process ended before {marker!r} (see {log})")
        time.sleep(0.5)
    raise RuntimeError(f"{log.name}: no {marker!r} after {seconds:.0f} s (see {log})")


def _stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def standalone(logs: Path, *, cores: int = 2, memory: str = "4g") -> Iterator[str]:
    """A standalone master and one worker of `cores` cores and `memory`; yields the URL."""
    logs.mkdir(parents=True, exist_ok=True)
    spark_class = str(_spark_home() / "bin" / "spark-class")
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    master = _start(
        [
            spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
            "--port", str(port), "--webui-port", str(_free_port()),
        ],
        logs / "master.log",
    )  # fmt: skip
    worker = None
    try:
        _wait_for(master, logs / "master.log", "I have been elected leader", 120)
        worker = _start(
            [
                spark_class, "org.apache.spark.deploy.worker.Worker", "--cores", str(cores),
                "--memory", memory, "--work-dir", str(logs / "work"),
                "--webui-port", str(_free_port()), url,
            ],
            logs / "worker.log",
        )  # fmt: skip
        _wait_for(worker, logs / "worker.log", "Successfully registered with master", 120)
        yield url
    finally:
        _stop(*[p for p in (worker, master) if p is not None])


@contextlib.contextmanager
def connect_server(master: str, logs: Path, *, memory: str = "2g") -> Iterator[str]:
    """A Spark Connect server whose session runs on `master`; yields ``sc://...``."""
    logs.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    server = _start(
        [
            str(_spark_home() / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--name", "infoscope-connect", "--master", master,
            "--conf", f"spark.connect.grpc.binding.port={port}",
            "--conf", "spark.sql.session.timeZone=UTC",
            "--conf", f"spark.executor.memory={memory}",
            "spark-internal",
        ],
        logs / "connect.log",
    )  # fmt: skip
    try:
        _wait_for(server, logs / "connect.log", "Spark Connect server started", 180)
        yield f"sc://127.0.0.1:{port}"
    finally:
        _stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a Parquet export")
    parser.add_argument("--logs", type=Path, default=Path("bench-out/spark-cluster"))
    parser.add_argument("--connect", action="store_true", help="through Spark Connect")
    args = parser.parse_args()
    cli = str(Path(sys.executable).parent / "infoscope")
    with standalone(args.logs) as master:
        target = master
        with contextlib.ExitStack() as stack:
            if args.connect:
                target = stack.enter_context(connect_server(master, args.logs))
            print(f"running infoscope stats on {target}", file=sys.stderr)
            cmd = [cli, "stats", "--engine", "spark", "--data", str(args.data)]
            subprocess.run([*cmd, "--spark-master", target], check=True, env=_env())


if __name__ == "__main__":
    main()
