"""`generate_scenario`: write a corpus, its ground truth and its manifest."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import os
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import orjson

from infoscope.errors import BadParameterError
from infoscope.scenario._pipe import receive_message, send_message
from infoscope.scenario.batch import KINDS, TRACES, Batch
from infoscope.scenario.config import PERSONAS, ScenarioConfig, ScenarioManifest
from infoscope.scenario.generate import Generator
from infoscope.scenario.population import OPERATION, ORGANIC
from infoscope.scenario.words import TOPICS
from infoscope.scenario.writers import CORPUS_WRITERS, CorpusWriter, TruthWriter, file_digest

# Writers in their own module register themselves when imported.
for _module in ("mastodon_writer", "bluesky_writer"):
    importlib.import_module(f"infoscope.scenario.{_module}")

__all__ = ["generate_scenario", "scenario_formats"]

MANIFEST = "scenario.json"
# From this many posts on, the corpus is serialised in a second process by default.
PARALLEL_FROM = 100_000


class _Sink:
    """Where batches go to be written in the corpus format."""

    def write(self, batch: Batch) -> None:
        raise NotImplementedError

    def close(self) -> dict[str, Any]:
        raise NotImplementedError

    def abort(self) -> None:
        """Stop after an error (the partial output is left as it is)."""


class _LocalSink(_Sink):
    def __init__(self, corpus: CorpusWriter, out: Path):
        self.corpus = corpus
        corpus.open(out)

    def write(self, batch: Batch) -> None:
        self.corpus.write(batch)

    def close(self) -> dict[str, Any]:
        return self.corpus.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.corpus.close()


def _widen_pipe(fd: int) -> None:
    """Let a pipe hold a few slices (Linux: 1 MiB instead of 64 KiB), so neither side waits."""
    with contextlib.suppress(Exception):
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


class _ProcessSink(_Sink):
    """A child process that serialises the corpus; batches reach it as pickles on its stdin.

    The child is ``python -m infoscope.scenario._worker`` (not multiprocessing, whose spawn
    would re-import the caller's main module). Writing blocks while the child is busy, so at
    most a slice or two are in flight. The child builds its writer from the same population,
    so its bytes are those a single process would write.
    """

    def __init__(self, format: str, out: Path, gen: Generator, local: CorpusWriter):
        self.local = local
        self.sent = self.acked = 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infoscope.scenario._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        _widen_pipe(self.stdin.fileno())
        self._send((format, str(out), gen.pop, gen.config))

    def _send(self, message: object) -> None:
        try:
            send_message(self.stdin, message)
        except (BrokenPipeError, ConnectionResetError):
            self._fail()

    def write(self, batch: Batch) -> None:
        # The child acknowledges each slice with one byte. When it is two slices behind, this
        # process serialises the slice itself: the bytes are the same either way.
        self._read_acks()
        self.sent += 1
        if self.sent - self.acked > 2:
            self._send(self.local.serialise(batch))
        else:
            self._send(batch)

    def _read_acks(self) -> None:
        fd = self.stdout.fileno()
        while select.select([fd], [], [], 0)[0]:
            data = os.read(fd, 1 << 16)
            if not data:
                break
            self.acked += len(data)

    def close(self) -> dict[str, Any]:
        self._send(None)
        self.stdin.close()
        status, value = self._answer()
        self.process.wait()
        if status == "error":
            raise value
        return value  # type: ignore[no-any-return]

    def _answer(self) -> tuple[str, Any]:
        """The child's final message, after the acknowledgements still unread."""
        rest = self.stdout.read()
        self.stdout.close()
        answer = receive_message(io.BytesIO(rest.lstrip(b".")))
        if answer is None:
            self.process.wait()
            raise RuntimeError(
                f"the scenario writer process stopped (exit code {self.process.returncode})"
            )
        return answer  # type: ignore[no-any-return]

    def _fail(self) -> NoReturn:
        """The child stopped early: raise its error."""
        status, value = self._answer()
        self.process.wait()
        raise value if status == "error" else RuntimeError("the scenario writer stopped")

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.stdin.close()
        with contextlib.suppress(Exception):
            self.stdout.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def scenario_formats() -> tuple[str, ...]:
    """Names of the formats `generate_scenario` writes (``twitter-v2`` first, the default)."""
    return tuple(CORPUS_WRITERS)


def generate_scenario(
    config: ScenarioConfig,
    out_dir: str | Path,
    *,
    format: str = "twitter-v2",
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    seed: int | None = None,
) -> ScenarioManifest:
    """Generate the scenario `config` into `out_dir` and return its manifest.

    Writes the corpus in `format` (one of `scenario_formats()`: ``tweets.jsonl``,
    ``tweets.csv`` or ``result.json``), ``truth_posts.parquet`` (one row per post: ``post_id``,
    ``account_id``, ``created_at``, ``kind``, ``planted``, ``operation_id``, ``persona``,
    ``trace`` such as ``amplification|hashtag-campaign|link``, and ``narrative``: whether the
    text was written in an operation's vocabulary, true for sympathisers' adopted posts too),
    ``truth_accounts.csv`` (``role`` organic or operation, ``operation_id``, ``persona``,
    ``sympathiser``, claimed location and the time zone it implies, true time zone, posts) and
    ``scenario.json`` (the configuration, file hashes and counts). Ids in the truth files are
    those the importer stores, so the truth joins the store on ``post_id``/``account_id``.

    `workers` is 1 (everything in this process) or 2 (the corpus is serialised in a second
    process while this one generates); by default 2 from 100,000 posts on when the machine has
    two cores. The output does not depend on it. `seed`, when given, replaces ``config.seed``.
    `progress` is called with the number of posts written after each time slice. The same
    configuration always gives the same bytes.
    """
    if seed is not None:
        config = dataclasses.replace(config, seed=seed)
    writer_type = CORPUS_WRITERS.get(format)
    if writer_type is None:
        raise BadParameterError(
            f"scenario: unknown format {format!r}; choose one of: {', '.join(CORPUS_WRITERS)}"
        )
    if workers is None:
        workers = 2 if config.posts >= PARALLEL_FROM and (os.cpu_count() or 1) >= 2 else 1
    if workers not in (1, 2):
        raise BadParameterError(f"scenario: workers must be 1 or 2, got {workers}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    gen = Generator(config)
    pop = gen.pop
    corpus = writer_type(pop, config)
    sink: _Sink = (
        _ProcessSink(format, out, gen, corpus) if workers == 2 else _LocalSink(corpus, out)
    )
    truth = TruthWriter(out, corpus, [op.name for op in pop.operations])
    n_ops = len(pop.operations)
    kinds = np.zeros(len(KINDS), dtype=np.int64)
    traces = np.zeros(len(TRACES), dtype=np.int64)
    by_op = np.zeros(n_ops + 1, dtype=np.int64)
    by_persona = np.zeros(len(PERSONAS) + 1, dtype=np.int64)
    narrative_organic = 0
    try:
        for batch in gen.slices():
            sink.write(batch)
            truth.write(batch)
            kinds += np.bincount(batch.kind, minlength=len(KINDS))
            for i in range(len(TRACES)):
                traces[i] += int(np.count_nonzero(batch.trace & (1 << i)))
            by_op += np.bincount(batch.op + 1, minlength=n_ops + 1)
            by_persona += np.bincount(batch.persona + 1, minlength=len(PERSONAS) + 1)
            narrative_organic += int(np.count_nonzero(batch.narrative & ~batch.planted))
            if progress is not None:
                progress(len(batch))
    except BaseException:
        sink.abort()
        raise
    corpus_digest = sink.close()
    truth.close(pop, gen.post_counts)
    if gen.emitted != config.posts:  # pragma: no cover - an invariant of the generator
        raise AssertionError(f"generated {gen.emitted} posts, expected {config.posts}")

    files = {corpus.filename: corpus_digest}
    for name in (TruthWriter.POSTS, TruthWriter.ACCOUNTS):
        files[name] = file_digest(out / name)
    planted = int(by_op[1:].sum())
    operations = []
    for op in pop.operations:
        info: dict[str, Any] = op.describe()
        info["posts"] = int(by_op[op.index + 1])
        info["sympathisers"] = int(np.count_nonzero(pop.sympathiser == op.index))
        operations.append(info)
    counts: dict[str, Any] = {
        "corpus_file": corpus.filename,
        "posts": int(gen.emitted),
        "planted_posts": planted,
        "organic_posts": int(gen.emitted) - planted,
        "narrative_organic_posts": narrative_organic,
        "by_kind": {name: int(kinds[i]) for i, name in enumerate(KINDS)},
        "by_trace": {name: int(traces[i]) for i, name in enumerate(TRACES)},
        "by_persona": {name: int(by_persona[i + 1]) for i, name in enumerate(PERSONAS)},
        "accounts": pop.n,
        "accounts_with_posts": int(np.count_nonzero(gen.post_counts)),
        "organic_accounts": int(np.count_nonzero(pop.role == ORGANIC)),
        "operation_accounts": int(np.count_nonzero(pop.role == OPERATION)),
        "sympathisers": int(np.count_nonzero(pop.sympathiser >= 0)),
        "communities": int(pop.community_lang.size),
        "community_topics": [
            {
                "community": c,
                "language": config.languages[int(pop.community_lang[c])],
                "topics": [TOPICS[int(t)] for t in pop.community_topics[c]],
                "weights": [float(w) for w in pop.community_topic_p[c]],
            }
            for c in range(int(pop.community_lang.size))
        ],
        "slice_seconds": gen.timeline.slice_s,
        "operations": operations,
    }
    manifest = ScenarioManifest(
        path=out / MANIFEST, config=config, format=format, files=files, counts=counts
    )
    (out / MANIFEST).write_bytes(orjson.dumps(manifest.as_dict(), option=orjson.OPT_INDENT_2))
    return manifest
