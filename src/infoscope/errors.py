"""Typed exceptions. The CLI turns each into one line and a non-zero exit."""

from __future__ import annotations

__all__ = [
    "BadParameterError",
    "CorruptInputError",
    "InfoscopeError",
    "InputEncodingError",
    "MissingColumnError",
    "MissingComponentError",
    "NotFoundError",
    "StoreLockedError",
    "StoreVersionError",
    "UnknownFormatError",
]


class InfoscopeError(Exception):
    """Base class for errors a user can act on; the message names the problem and the fix."""


class UnknownFormatError(InfoscopeError):
    """The input's format is not registered or could not be detected from its markers."""


class MissingColumnError(InfoscopeError):
    """A tabular input lacks a column its format requires."""


class MissingComponentError(InfoscopeError):
    """A component a command loads at run time (a parser, a language model, an encoder) is
    missing or broken in this environment: `problem` names it, `fix` is the command that
    fixes it, and the message is both on one line (see `infoscope.components`)."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; fix: {fix}")
        self.problem = problem
        self.fix = fix


class InputEncodingError(InfoscopeError):
    """The input is not in the declared text encoding."""


class CorruptInputError(InfoscopeError):
    """A compressed file or archive is truncated or corrupt."""


class StoreVersionError(InfoscopeError):
    """The store was written with an incompatible schema version."""


class StoreLockedError(InfoscopeError):
    """Another process holds the store open for writing."""


class BadParameterError(InfoscopeError):
    """A parameter value is out of range or malformed."""


class NotFoundError(InfoscopeError):
    """Something asked for by name or id (an account, a run) is not in the store."""
