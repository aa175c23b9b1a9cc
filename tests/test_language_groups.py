"""Group specs that read another analysis' run: ``community:N`` is community N of the latest
communities run (or of the run named, ``community:RUN:N``)."""

from __future__ import annotations

import pytest

from infoscope.errors import BadParameterError
from infoscope.language.groups import GroupSpec, group_accounts

from .conftest import rows


def test_community_group_is_the_latest_runs_community(demo_store):
    run_id = demo_store.latest_run_id("communities")
    expected = {
        r["account_id"]
        for r in rows(
            demo_store,
            "SELECT account_id FROM network_nodes WHERE run_id = ? AND community = 0",
            [run_id],
        )
    }
    for spec in ("community:0", f"community:{run_id}:0"):
        found = group_accounts(demo_store, GroupSpec.parse(spec), "twitter").to_pyarrow()
        assert set(found["account_id"].to_pylist()) == expected and expected


def test_community_group_without_a_run_says_what_to_run(store):
    with pytest.raises(BadParameterError, match="infoscope communities"):
        group_accounts(store, GroupSpec.parse("community:0"), "twitter")
