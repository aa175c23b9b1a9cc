"""Synthetic corpora with planted influence operations, for measuring every analysis.

`generate_scenario` writes an organic population of accounts posting in topic communities,
with one or more influence operations planted in it, in a real source format (so it goes
through the real importers), plus the ground truth: which accounts belong to which operation
and with which persona, which organic accounts sympathise, and which posts are planted and
by what trace. See `infoscope.scenario.generate` for the model and `ScenarioConfig` for the
parameters.

Example::

    from infoscope.scenario import ScenarioConfig, generate_scenario

    manifest = generate_scenario(ScenarioConfig(posts=100_000, operations=3), "out", seed=7)
    print(manifest.counts["planted_posts"], manifest.corpus)
"""

from __future__ import annotations

from infoscope.scenario.api import generate_scenario, scenario_formats
from infoscope.scenario.config import PERSONAS, ScenarioConfig, ScenarioManifest

__all__ = [
    "PERSONAS",
    "ScenarioConfig",
    "ScenarioManifest",
    "generate_scenario",
    "scenario_formats",
]
