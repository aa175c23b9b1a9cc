"""Command-line interface (see `infoscope.cli.main`)."""

__all__ = []
