"""Every analysis killed with SIGKILL at a seeded random point of its work leaves a store that
opens, with its run marked ``interrupted`` (or, killed before its run began, no new run), none
of the killed run's rows in the analysis' tables, readers still given the previous completed
run, and running the command again completes it.

A 3,000-post scenario is ingested and every analysis run once (the completed runs readers fall
back to); each run's duration after its first progress line is measured. Then, per analysis,
a copy of that store gets the command again in a subprocess, killed once it has printed its
first progress line plus a seeded share of that duration.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infoscope.registry import get_analysis
from infoscope.store import Store

from .conftest import run_cli

# (analysis, command) in the order they depend on each other.
COMMANDS = {
    "communities": ("communities", "--runs", "3"),
    "signature": ("signature", "learn", "--target", "community:0", "--name", "c0", "--replace"),
    "resonance": ("resonance", "--signature", "c0", "--period", "week"),
    "locate": ("locate",),
    "monitor": ("monitor",),
    "coordination": ("coordination",),
    "accounts": ("accounts",),
}


def _start(store: Path, args: tuple[str, ...]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "infoscope.cli.main", *args, "--store", str(store)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _first_line(proc: subprocess.Popen[str]) -> float:
    """Wait for the command's first progress line (or its end, for a command that prints
    none); return when it came."""
    assert proc.stderr is not None
    proc.stderr.readline()
    return time.monotonic()


def _end(proc: subprocess.Popen[str], timeout: float) -> str:
    _, stderr = proc.communicate(timeout=timeout)
    return stderr


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[bool, float]]]:
    """The scenario ingested and every analysis run once; per analysis, whether it prints
    progress and the seconds of work after its first line (or after it started)."""
    from infoscope.scenario import ScenarioConfig, generate_scenario

    tmp = tmp_path_factory.mktemp("kill")
    manifest = generate_scenario(ScenarioConfig(posts=3_000, seed=1), tmp / "scen", workers=1)
    path = tmp / "store.duckdb"
    result = run_cli("ingest", str(manifest.corpus), "--store", str(path), "-q")
    assert result.exit_code == 0, result.output
    work: dict[str, tuple[bool, float]] = {}
    for name, args in COMMANDS.items():
        started = time.monotonic()
        proc = _start(path, args)
        first = _first_line(proc)
        stderr = _end(proc, 300)
        assert proc.returncode == 0, stderr
        ended = time.monotonic()
        prints = ended - first > 0.05
        work[name] = (prints, ended - first if prints else ended - started)
    return path, work


@pytest.mark.parametrize("name", list(COMMANDS))
def test_killed_anywhere_the_store_opens_and_a_rerun_completes(ran, tmp_path, name):
    path, work = ran
    store_path = Path(shutil.copy(path, tmp_path / "copy.duckdb"))
    analysis = get_analysis(name)
    with Store.open(store_path, read_only=True) as store:
        before = store.latest_run_id(name)
    prints, seconds = work[name]
    rng = random.Random(f"kill-{name}")
    # After its first progress line, anywhere in its work; a command that prints nothing,
    # anywhere in the second half of its whole time (imports take the first).
    share = rng.uniform(0.0, 0.9) if prints else rng.uniform(0.5, 0.95)
    proc = _start(store_path, COMMANDS[name])
    if prints:
        _first_line(proc)
    time.sleep(share * seconds)
    proc.send_signal(signal.SIGKILL)
    stderr = _end(proc, 60)
    if proc.returncode == 0:  # finished before the signal landed: nothing to test
        pytest.skip(f"{name} finished before it could be killed ({seconds:.1f} s)")
    assert proc.returncode == -signal.SIGKILL, stderr

    with Store.open(store_path) as store:  # opens read-write after the kill
        runs = [r for r in store.runs() if r.command == name]
        new = [r for r in runs if r.run_id != before]
        # Killed in its run: interrupted; killed after its commit (printing): completed.
        assert {r.status for r in new} <= {"interrupted", "completed"}, new
        completed = [r.run_id for r in new if r.status == "completed"]
        for run in (r for r in new if r.status == "interrupted"):
            for table in analysis.run_tables():
                (left,) = store.con.execute(
                    f"SELECT count(*) FROM {table} WHERE run_id = ?", [run.run_id]
                ).fetchone()
                assert left == 0, f"{table} keeps {left} rows of the killed run"
        # Readers get the latest completed run: the one from before, unless this one
        # completed before the kill.
        readable = completed[-1] if completed else before
        assert store.latest_run_id(name) == readable
        assert analysis.function("load")(store).run_id == readable

    again = run_cli(*COMMANDS[name], "--store", str(store_path))
    assert again.exit_code == 0, again.output
    with Store.open(store_path, read_only=True) as store:
        latest = store.latest_run_id(name)
        assert latest not in (before, readable)
        assert store.get_run(latest).status == "completed"
