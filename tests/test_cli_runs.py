"""`infoscope runs` lists the store's runs per analysis, and an interrupted command (Ctrl-C,
SIGTERM, SIGKILL) leaves its run marked interrupted."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infoscope.cli.main import INTERRUPTED
from infoscope.store import Store

from .conftest import run_cli


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 5,000-post scenario ingested, then one communities and one locate run: three
    completed runs, no other."""
    from infoscope.scenario import ScenarioConfig, generate_scenario

    tmp = tmp_path_factory.mktemp("runs")
    manifest = generate_scenario(ScenarioConfig(posts=5_000, seed=0), tmp / "scen", workers=1)
    path = tmp / "runs.duckdb"
    for args in (("ingest", str(manifest.corpus)), ("communities", "--runs", "2"), ("locate",)):
        result = run_cli(*args, "--store", str(path), "-q")
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def copy(ran: Path, tmp_path: Path) -> Path:
    """A copy of the module's store, for tests that add runs to it."""
    return Path(shutil.copy(ran, tmp_path / "copy.duckdb"))


def _runs(path: Path, *args: str) -> list[dict]:
    result = run_cli("runs", "--store", str(path), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_runs_lists_every_analysis_that_ran_in_registry_order(ran):
    result = run_cli("runs", "--store", str(ran))
    assert result.exit_code == 0, result.output
    out = result.stdout
    headers = [line for line in out.splitlines() if line and not line.startswith(" ")]
    # ingest first, then the analyses in registry order (communities before locate).
    assert headers == [
        "ingest: 1 run(s) (1 completed)",
        "communities: 1 run(s) (1 completed)",
        "locate: 1 run(s) (1 completed)",
    ]
    with Store.open(ran, read_only=True) as store:
        stored = store.runs()
    for run in stored:
        line = next(line for line in out.splitlines() if run.run_id in line)
        assert "completed" in line and f"seed {run.seed if run.seed is not None else '-'}" in line
    # The parameter summary: communities' own parameters, on the line below its run.
    assert "objective=modularity" in out and "runs=2" in out
    # ... and the engine it ran on by name, last (its versions and data are in --json).
    assert "engine=duckdb" in out and "engine.versions" not in out
    assert "error:" not in out


def test_runs_json_is_the_stored_runs(ran):
    data = _runs(ran)
    with Store.open(ran, read_only=True) as store:
        stored = {r.run_id: r.as_dict() for r in store.runs()}
    assert len(data) == len(stored) == 3
    assert {row["run_id"]: row for row in data} == stored
    assert [row["command"] for row in data] == ["ingest", "communities", "locate"]
    assert all(row["status"] == "completed" and row["error"] is None for row in data)


def test_runs_filters_by_analysis_and_status(ran):
    (row,) = _runs(ran, "--analysis", "communities")
    assert row["command"] == "communities" and row["parameters"]["runs"] == 2
    assert _runs(ran, "--analysis", "coordination") == []
    assert _runs(ran, "--status", "failed") == []
    result = run_cli("runs", "--store", str(ran), "--status", "failed")
    assert result.exit_code == 0 and result.stdout.strip().startswith("no failed runs in")
    # --analysis offers ingest and the registered analyses, nothing else.
    result = run_cli("runs", "--store", str(ran), "--analysis", "nope")
    assert result.exit_code == 2 and "'ingest', 'communities'" in result.output


def test_runs_limit_shows_the_latest(copy):
    for _ in range(2):
        assert run_cli("locate", "--store", str(copy), "-q").exit_code == 0
    rows = _runs(copy, "--analysis", "locate", "--limit", "2")
    with Store.open(copy, read_only=True) as store:
        latest = [r.run_id for r in reversed(store.runs("locate"))][:2]
    assert [r["run_id"] for r in rows] == latest
    result = run_cli("runs", "--store", str(copy), "--analysis", "locate", "--limit", "2")
    assert "locate: 3 run(s) (3 completed)" in result.stdout
    assert "... 1 older run(s): --limit 3" in result.stdout


def test_a_failed_run_shows_failed_with_its_error(copy):
    # No post in language xx: no interactions, and communities fails inside its run.
    result = run_cli("communities", "--store", str(copy), "--lang", "xx", "-q")
    assert result.exit_code == 1 and "Traceback" not in result.output
    (failed,) = _runs(copy, "--status", "failed")
    assert failed["command"] == "communities" and "interactions" in failed["error"]
    out = run_cli("runs", "--store", str(copy), "--analysis", "communities").stdout
    assert "communities: 2 run(s) (1 completed, 1 failed)" in out
    assert f"  {failed['run_id']}  failed" in out
    assert f"      error: {failed['error']}" in out


def test_running_out_of_memory_is_one_line_and_a_failed_run(copy, monkeypatch):
    import duckdb

    import infoscope.network.run as network_run

    def too_big(store, *args, **kwargs):
        with store.run("communities", {"big": True}):
            raise duckdb.OutOfMemoryException(
                "Out of Memory Error: failed to allocate data of size 256.0 MiB (1.7 GiB/1.8 "
                "GiB used)\n\nPossible solutions: ..."
            )

    monkeypatch.setattr(network_run, "run_communities", too_big)
    result = run_cli("communities", "--store", str(copy))
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert "out of memory (Out of Memory Error: failed to allocate" in line
    assert "--memory-limit" in line and "Possible solutions" not in line
    (failed,) = _runs(copy, "--status", "failed")
    assert failed["parameters"] == {"big": True} and "Out of Memory" in failed["error"]


def test_ctrl_c_marks_the_run_interrupted(copy, monkeypatch):
    import infoscope.network.run as network_run

    def interrupted(store, *args, **kwargs):
        with store.run("communities", {"interrupted": True}):
            raise KeyboardInterrupt

    monkeypatch.setattr(network_run, "run_communities", interrupted)
    before = signal.getsignal(signal.SIGTERM)
    result = run_cli("communities", "--store", str(copy))
    assert result.exit_code == 130
    assert result.stderr.strip() == INTERRUPTED and "Aborted" not in result.output
    # The CLI's SIGTERM handler lives only as long as the command.
    assert signal.getsignal(signal.SIGTERM) == before
    (row,) = _runs(copy, "--status", "interrupted")
    assert row["parameters"] == {"interrupted": True}
    assert row["error"] == "interrupted (Ctrl-C or SIGTERM)"


def _start_and_signal(store: Path, sig: int) -> subprocess.CompletedProcess[str]:
    """Run communities in a subprocess and send it `sig` once it is inside its run (Leiden)."""
    command = [sys.executable, "-m", "infoscope.cli.main", "communities", "--store", str(store)]
    # 300 Leiden runs and their pairwise stability take seconds after "Leiden on ...".
    proc = subprocess.Popen(
        [*command, "--runs", "300"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    seen, deadline = [], time.monotonic() + 30
    while not any(line.startswith("Leiden on") for line in seen):
        line = proc.stderr.readline()
        assert line and time.monotonic() < deadline, f"no progress from the command: {seen}"
        seen.append(line)
    time.sleep(0.2)
    assert proc.poll() is None, "the command finished before it could be interrupted"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(command, proc.returncode, stdout, "".join(seen) + stderr)


def test_a_killed_run_shows_interrupted(copy):
    done = _start_and_signal(copy, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL
    latest = _runs(copy, "--analysis", "communities")[0]
    # Nothing could be recorded: the store, opened read-only, reports the run interrupted.
    assert latest["status"] == "interrupted" and latest["ended_at"] is None
    assert "killed" in latest["error"]
    out = run_cli("runs", "--store", str(copy), "--analysis", "communities").stdout
    assert f"  {latest['run_id']}  interrupted" in out and "(1 completed, 1 interrupted)" in out


def test_sigterm_marks_the_run_interrupted_and_exits_130(copy):
    done = _start_and_signal(copy, signal.SIGTERM)
    assert done.returncode == 130, done.stderr
    assert done.stderr.splitlines()[-1] == INTERRUPTED
    assert "Traceback" not in done.stderr and done.stdout == ""
    latest = _runs(copy, "--analysis", "communities")[0]
    assert latest["status"] == "interrupted" and latest["ended_at"] is not None
    assert latest["error"] == "interrupted (Ctrl-C or SIGTERM)"
    # Its rows are gone; the completed run's are still there.
    with Store.open(copy, read_only=True) as store:
        kept = store.con.execute("SELECT DISTINCT run_id FROM network_nodes").fetchall()
        assert kept == [(store.latest_run_id("communities"),)]
