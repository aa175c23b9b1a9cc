"""The engine's memory limit: ``--memory-limit`` / $INFOSCOPE_MEMORY_LIMIT, else a share of the
machine; past it the store's engine spills to disk instead of failing."""

from __future__ import annotations

import pytest

from infoscope.errors import BadParameterError
from infoscope.store import (
    DEFAULT_MEMORY_SHARE,
    MEMORY_LIMIT_ENV,
    Store,
    machine_memory_bytes,
    memory_limit,
)

from .conftest import run_cli


@pytest.mark.parametrize(
    ("given", "expected"),
    [("4GB", "3814MiB"), ("4GiB", "4096MiB"), ("512 MiB", "512MiB"), ("1.5gb", "1430MiB"),
     ("2TB", "1907348MiB")],
)  # fmt: skip
def test_sizes(given, expected):
    assert memory_limit(given) == expected


def test_share_of_the_machine(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    total_mb = machine_memory_bytes() >> 20
    default = int(memory_limit().removesuffix("MiB"))
    assert abs(default - total_mb * DEFAULT_MEMORY_SHARE) <= 1
    assert abs(int(memory_limit("25%").removesuffix("MiB")) - total_mb / 4) <= 1


@pytest.mark.parametrize("given", ["lots", "4", "-1GB", "0%", "101%", "10MB", "4 GB of RAM"])
def test_bad_sizes_name_the_accepted_forms(given):
    with pytest.raises(BadParameterError, match="memory limit"):
        memory_limit(given)


def test_the_store_runs_under_the_limit_and_spills(tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "100MB")
    with Store.open(tmp_path / "s.duckdb") as store:
        limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert limit == "95.0 MiB"  # 100 MB
        # A sort of about 300 MB of rows needs more than the limit: it spills, not fails.
        rows = store.con.execute(
            "SELECT count(*) FROM (SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS h "
            "FROM range(4000000) t(i) ORDER BY h)"
        ).fetchone()[0]
        assert rows == 4_000_000


def test_cli_option(tmp_path):
    store = tmp_path / "s.duckdb"
    Store.open(store).close()
    result = run_cli("--memory-limit", "plenty", "stats", "--store", str(store))
    assert result.exit_code != 0
    assert result.stderr.strip().count("\n") == 0 and "is not a size" in result.stderr
    assert run_cli("--memory-limit", "256MB", "stats", "--store", str(store)).exit_code == 0
