"""Child process that writes a scenario's corpus (see `infoscope.scenario.api._ProcessSink`).

Messages are pickles framed by an 8-byte length, on stdin (from the parent) and stdout (to
it). The first message is ``(format, out_dir, population, config)``, then for each slice a
`Batch` or the bytes the parent already serialised, then None. Each slice is acknowledged
with one byte ``.``; the final answer is ``("ok", digest)`` or ``("error", exception)``. Pickles
come only from the parent process that started this one.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from infoscope.scenario._pipe import receive_message, send_message

__all__ = ["main"]


def main() -> None:
    from infoscope.scenario.writers import CORPUS_WRITERS

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    try:
        first = receive_message(stdin)
        if first is None:
            return
        format, out, pop, config = first
        corpus = CORPUS_WRITERS[format](pop, config)
        corpus.open(Path(out))
        while (message := receive_message(stdin)) is not None:
            if isinstance(message, bytes):  # serialised by the parent
                corpus.write_bytes(message)
            else:
                corpus.write(message)
            stdout.write(b".")  # one byte per slice: the parent balances the work with it
            stdout.flush()
        send_message(stdout, ("ok", corpus.close()))
    except BrokenPipeError:  # the parent went away
        return
    except BaseException as exc:
        with contextlib.suppress(BrokenPipeError):
            send_message(stdout, ("error", exc))


if __name__ == "__main__":
    main()
