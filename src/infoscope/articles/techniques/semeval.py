"""SemEval-2020 Task 11 files and article documents: what the official scorers read and write.

- Article documents (`article_document`, `to_file_offsets`): detection runs on an article's
  title and text together, as ``title + "\\n\\n" + text`` (the PTC layout: the title, a blank
  line, the body). Offsets kept in the store count from the start of ``text``, so a span of
  the title has negative offsets (``-len(title) - 2`` is the title's first character).
  `to_file_offsets` turns them into offsets of the file the article was read from, with the
  ``body_offset`` (and ``segments``, when lines were dropped inside the text) that the
  plain-text importer keeps in ``articles.raw``; the title is taken to end two characters
  before the body, as in the PTC. Without them (an HTML page), the document offsets are
  returned.
- The task's files (`read_span_file`, `write_si_file`, `write_tc_file`): the TC input
  (``article_id<TAB>technique<TAB>start<TAB>end``, technique ``?`` when unknown), the TC
  submission (the same four columns) and the SI submission (``article_id<TAB>start<TAB>end``,
  overlapping spans of an article merged: the SI scorer refuses overlapping spans unless
  asked to merge them). Article ids are the corpus's numbers (`semeval_id` strips the
  ``article`` prefix of infoscope's ids, ``article111111111`` -> ``111111111``).
- `read_article_folder`: the ``article<ID>.txt`` files of a folder, as the task ships them.
- `classify_span_rows`: the technique of each row of a TC input file; the rows of one
  fragment listed k times (a fragment with k techniques) get the k most probable techniques,
  as the task's systems did.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from infoscope.articles.techniques.metrics import merge_spans
from infoscope.errors import BadParameterError

__all__ = [
    "SpanRow",
    "aligned_document",
    "article_document",
    "classify_span_rows",
    "classify_technique_spans",
    "detect_article_folder",
    "read_article_folder",
    "read_span_file",
    "semeval_id",
    "to_file_offsets",
    "write_si_file",
    "write_tc_file",
]

TITLE_SEPARATOR = "\n\n"
_ARTICLE_ID = re.compile(r"article(\d+)")


@dataclass(frozen=True)
class SpanRow:
    """A row of a TC file: the article's id, the technique (``?`` when unknown) and the
    fragment's character offsets (end exclusive)."""

    article_id: str
    technique: str
    start: int
    end: int


def semeval_id(article_id: str) -> str:
    """The task's id of an article: ``article111111111`` -> ``111111111``; others as given."""
    m = _ARTICLE_ID.fullmatch(article_id)
    return m.group(1) if m else article_id


def article_document(title: str | None, text: str) -> tuple[str, int]:
    """The text detection reads (title, blank line, text) and where `text` starts in it."""
    head = (title or "") + TITLE_SEPARATOR
    return head + text, len(head)


def to_file_offsets(start: int, end: int, raw: str | Mapping[str, Any] | None) -> tuple[int, int]:
    """Offsets counted from the start of ``text`` (negative in the title) as offsets of the
    article's source file, from ``articles.raw`` (see the module docstring)."""
    info = _raw_info(raw)
    body = info.get("body_offset")
    if not isinstance(body, int):
        return start, end  # no file offsets known: the document's own (title + blank line)
    segments = info.get("segments") or [[0, body, 1 << 62]]

    def one(x: int, is_end: bool) -> int:
        if x < 0:
            return body + x
        for at, file_at, length in segments:
            if at <= x < at + length or (is_end and at < x <= at + length):
                return int(file_at) + x - int(at)
        at, file_at, length = segments[-1]
        return int(file_at) + x - int(at)

    return one(start, False), one(end, True)


def _raw_info(raw: str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    if isinstance(raw, str):
        try:
            loaded = json.loads(raw)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return raw or {}


def aligned_document(title: str | None, text: str, raw: str | Mapping[str, Any] | None) -> str:
    """The article laid out at the offsets of its source file: the title ending two
    characters before the body, each kept run of the text at its file offset, line breaks
    between (see the module docstring); without file offsets, `article_document`'s text."""
    info = _raw_info(raw)
    body = info.get("body_offset")
    if not isinstance(body, int):
        return article_document(title, text)[0]
    segments = info.get("segments") or [[0, body, len(text)]]
    pieces: list[tuple[int, str]] = []
    head = title or ""
    if head and body - len(head) - len(TITLE_SEPARATOR) >= 0:
        pieces.append((body - len(head) - len(TITLE_SEPARATOR), head))
    for at, file_at, length in segments:
        pieces.append((int(file_at), text[int(at) : int(at) + int(length)]))
    out: list[str] = []
    pos = 0
    for at, piece in sorted(pieces):
        if at < pos:
            continue
        out.append("\n" * (at - pos))
        out.append(piece)
        pos = at + len(piece)
    return "".join(out)


def read_span_file(path: str | Path | IO[str]) -> list[SpanRow]:
    """The rows of a TC input or submission file (4 tab-separated columns; see the module
    docstring); blank lines are skipped."""
    name = getattr(path, "name", str(path))
    is_path = isinstance(path, (str, Path))
    text = Path(path).read_text(encoding="utf-8") if is_path else path.read()  # type: ignore[union-attr, arg-type]
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise BadParameterError(
                f"{name}:{n}: expected 4 tab-separated columns "
                f"(article_id, technique or ?, start, end), got {len(parts)}"
            )
        aid, technique, s, e = (p.strip() for p in parts)
        try:
            start, end = int(s), int(e)
        except ValueError:
            raise BadParameterError(f"{name}:{n}: start and end must be integers") from None
        if not 0 <= start < end:
            raise BadParameterError(f"{name}:{n}: bad span {start}-{end}")
        rows.append(SpanRow(aid, technique, start, end))
    return rows


def read_article_folder(folder: str | Path) -> dict[str, str]:
    """``article<ID>.txt`` files of `folder` by the task's id; texts read as UTF-8 with
    newlines kept, so the task's offsets index them."""
    root = Path(folder)
    files = sorted(root.glob("article*.txt"))
    if not files:
        raise BadParameterError(f"{root}: no article<ID>.txt files")
    out = {}
    for path in files:
        with path.open(encoding="utf-8", newline="") as fh:
            out[semeval_id(path.stem)] = fh.read()
    return out


def classify_span_rows(
    model: Any, texts: Mapping[str, str], rows: Sequence[SpanRow]
) -> list[dict[str, Any]]:
    """The technique of each row (`model.classify_spans` on the article's text): per row
    ``technique``, ``confidence`` and ``ranking``. Rows whose article is missing from
    `texts` or whose span lies outside its text are refused with their article id."""
    by_article: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        key = semeval_id(r.article_id)
        if key not in texts:
            raise BadParameterError(f"no text for article {r.article_id} (row {i + 1})")
        if r.end > len(texts[key]):
            raise BadParameterError(
                f"article {r.article_id}: span {r.start}-{r.end} is past its end "
                f"({len(texts[key])} characters)"
            )
        by_article[key].append(i)
    out: list[dict[str, Any]] = [{} for _ in rows]
    for key, idx in by_article.items():
        unique = sorted({(rows[i].start, rows[i].end) for i in idx})
        found = dict(zip(unique, model.classify_spans(texts[key], unique), strict=True))
        used: Counter[tuple[int, int]] = Counter()
        for i in idx:
            span = (rows[i].start, rows[i].end)
            res = found[span]
            rank = min(used[span], len(res["ranking"]) - 1)
            used[span] += 1
            technique = res["ranking"][rank]
            out[i] = {
                "technique": technique,
                "confidence": res["confidence"] if rank == 0 else None,
                "ranking": res["ranking"],
            }
    return out


def write_tc_file(fh: IO[str], rows: Sequence[SpanRow], techniques: Sequence[str]) -> int:
    """Write the TC submission (the rows with their predicted technique); returns the rows
    written."""
    if len(rows) != len(techniques):
        raise BadParameterError(f"{len(techniques)} techniques for {len(rows)} rows")
    for r, t in zip(rows, techniques, strict=True):
        fh.write(f"{semeval_id(r.article_id)}\t{t}\t{r.start}\t{r.end}\n")
    return len(rows)


def write_si_file(fh: IO[str], spans: Iterable[tuple[str, int, int]]) -> int:
    """Write the SI submission: per article (by id), its spans merged where they overlap,
    in order; returns the lines written."""
    per: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for aid, s, e in spans:
        per[semeval_id(aid)].append((int(s), int(e)))
    n = 0
    for aid in sorted(per, key=lambda a: (len(a), a)):
        for s, e in merge_spans(per[aid]):
            fh.write(f"{aid}\t{s}\t{e}\n")
            n += 1
    return n


def classify_technique_spans(
    spans_file: str | Path,
    *,
    store: str | Path | None = None,
    articles_dir: str | Path | None = None,
    model: str | None = None,
) -> tuple[list[SpanRow], list[dict[str, Any]]]:
    """The rows of a TC input file and the technique of each (`classify_span_rows`), the
    articles' texts read from `articles_dir` (``article<ID>.txt``) or from the store at
    `store` (laid out at their file offsets, `aligned_document`); `model` a registered
    name or a model folder."""
    from infoscope.articles.techniques.model import resolve_technique_model

    if (store is None) == (articles_dir is None):
        raise BadParameterError("read the articles from a store or from a folder, not both")
    rows = read_span_file(spans_file)
    detector = resolve_technique_model(model)
    if articles_dir is not None:
        texts = read_article_folder(articles_dir)
    elif store is not None:
        from infoscope.store import Store

        with Store.open(store, read_only=True) as st:
            found = st.con.execute(
                "SELECT article_id, title, text, raw FROM articles WHERE text IS NOT NULL"
            ).fetchall()
        texts = {semeval_id(a): aligned_document(t, x, r) for a, t, x, r in found}
    return rows, classify_span_rows(detector, texts, rows)


def detect_article_folder(
    folder: str | Path,
    *,
    model: str | None = None,
    span_threshold: float | None = None,
    flags_per_1000_words: float | None = None,
) -> list[tuple[str, str, int, int]]:
    """Spans detected in the ``article<ID>.txt`` files of `folder` (title and body, as
    the files hold them): (task id, technique, start, end), offsets of the files."""
    from infoscope.articles.techniques.corpus import Article
    from infoscope.articles.techniques.model import detect_techniques, resolve_technique_model

    texts = read_article_folder(folder)
    found = detect_techniques(
        [Article(aid, text) for aid, text in texts.items()],
        model=resolve_technique_model(model),
        span_threshold=span_threshold,
        flags_per_1000_words=flags_per_1000_words,
    )
    return [(r["id"], x["technique"], x["start"], x["end"]) for r in found for x in r["spans"]]
