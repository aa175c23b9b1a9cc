"""Command-line interface (see `infoscope.cli.main`)."""
