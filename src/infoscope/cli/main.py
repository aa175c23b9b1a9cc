"""The `infoscope` command line: thin commands over the library.

Data goes to stdout, progress and messages to stderr. Errors a user can act on are printed as
one line with a non-zero exit, never a traceback; so is an interruption (Ctrl-C or SIGTERM),
which leaves the command's run marked ``interrupted`` in the store and exits with 130. Each
command group lives in its own module (``cli/ingest.py``, ``cli/corpus.py``...), with its
heavy imports inside its commands so that ``infoscope --help`` is instant; this module only
assembles them.
"""

from __future__ import annotations

import errno
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from infoscope._version import __version__
from infoscope.cli.accounts import accounts
from infoscope.cli.articles import articles
from infoscope.cli.coordination import coordination
from infoscope.cli.corpus import export, stats
from infoscope.cli.doctor import doctor
from infoscope.cli.geo import locate
from infoscope.cli.ingest import formats, ingest
from infoscope.cli.language import monitor, resonance, signature
from infoscope.cli.network import communities
from infoscope.cli.report import report, serve
from infoscope.cli.runs import runs
from infoscope.cli.scenario import demo, evaluate, simulate

__all__ = ["cli"]

INTERRUPTED = "interrupted: the run is marked interrupted; run the command again"


def _raise_interrupt(signum: int, frame: Any) -> None:
    # A second signal gets the default action: a command stuck in its cleanup can still be
    # stopped (its run is then marked interrupted when the store is next opened).
    signal.signal(
        signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler
    )
    raise KeyboardInterrupt


@contextmanager
def _interruptible() -> Iterator[None]:
    """SIGTERM (and Ctrl-C) raise KeyboardInterrupt in the main thread for the duration of the
    block, so the store's run lifecycle records the run as interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, _raise_interrupt)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


_NO_SPACE = "No space left on device"
_READ_ONLY_FS = "Read-only file system"


def _system_failure(exc: BaseException) -> str | None:
    """One line for a failure of the machine rather than the input (a full disk, a read-only
    file system, a file the user may not write), from an OSError or DuckDB's own error."""
    text = str(exc)
    errno_ = getattr(exc, "errno", None)
    where = getattr(exc, "filename", None)
    at = f" ({where})" if where else ""
    if errno_ == errno.ENOSPC or _NO_SPACE in text:
        return (
            f"no space left on the device{at}: {text.splitlines()[0] if text else ''}; free "
            "space (df -h shows it) or pass --store/--out on a disk with room; what was "
            "stored before is kept, and running the command again once there is room completes it"
        )
    if errno_ == errno.EROFS or _READ_ONLY_FS in text:
        return (
            f"cannot write{at}: the file system is read-only ({text.splitlines()[0]}); pass "
            "--store/--out on a writable disk (reading commands open a store read-only)"
        )
    if isinstance(exc, PermissionError):
        return f"permission denied{at}: choose a path you may write (--store/--out)"
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryException":
        first = text.splitlines()[0] if text else "out of memory"
        return (
            f"out of memory ({first}): pass a higher --memory-limit (or set "
            "INFOSCOPE_MEMORY_LIMIT; 60% of the machine by default) or fewer posts; the run is "
            "recorded as failed and nothing stored before it is lost"
        )
    return None


class _Group(click.Group):
    """Translates infoscope's typed errors and interruptions into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        from infoscope.errors import InfoscopeError

        try:
            with _interruptible():
                return super().invoke(ctx)
        except KeyboardInterrupt:
            # The store's lifecycle turns DuckDB's own "query interrupted" error into this too.
            return self._interrupted(INTERRUPTED)
        except InfoscopeError as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            # DuckDB's own error for a signal that lands during a query outside any run.
            if type(exc).__name__ == "InterruptException" or "Query interrupted" in str(exc):
                return self._interrupted(INTERRUPTED)
            message = _system_failure(exc)
            if message is not None:
                raise click.ClickException(message) from None
            raise

    @staticmethod
    def _interrupted(message: str) -> Any:
        click.echo(message, err=True)
        raise click.exceptions.Exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="infoscope")
@click.option(
    "--memory-limit",
    metavar="SIZE",
    help="Memory the engine may use before it spills to disk: 4GB, 512MB or 50% of this "
    "machine (default: $INFOSCOPE_MEMORY_LIMIT, else 60%). Memory held in Python (MinHash "
    "signatures, graphs) comes on top.",
)
def cli(memory_limit: str | None) -> None:
    """infoscope: find and measure influence operations in social media and news.

    \b
    Typical session:
      infoscope ingest tweets.jsonl ira-tweets-by-author.tar.xz
      infoscope stats
      infoscope communities && infoscope runs
      infoscope export posts --out posts.parquet
    """
    if memory_limit is not None:
        from infoscope import store

        store.memory_limit(memory_limit)  # a one-line error now when it is not a size
        os.environ[store.MEMORY_LIMIT_ENV] = memory_limit


# The command modules import only click at load time.
cli.add_command(ingest)
cli.add_command(stats)
cli.add_command(export)
cli.add_command(simulate)
cli.add_command(communities)
cli.add_command(evaluate)
cli.add_command(demo)
cli.add_command(formats)
cli.add_command(locate)
cli.add_command(signature)
cli.add_command(resonance)
cli.add_command(monitor)
cli.add_command(coordination)
cli.add_command(accounts)
cli.add_command(articles)
cli.add_command(report)
cli.add_command(serve)
cli.add_command(runs)
cli.add_command(doctor)

if __name__ == "__main__":  # pragma: no cover
    cli()
