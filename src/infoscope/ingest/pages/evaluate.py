"""How well pages are cut into items, against expected items written by hand.

`score_pages` reads each annotated page through its ingest format (the records ingest would
store, without a store) and compares them with the annotations (the format of
``tests/fixtures/articles/pages/expected.json``):

- **Item boundaries**: each item has two boundaries, its first line (its title, else its first
  text line) and its last text line (its title when it has no text); posts are items of one
  line. A predicted boundary is right when the same kind of boundary of an expected item of the
  same page starts with the same words (the annotations give the first 30 characters; case
  and spacing ignored). Precision, recall and F1 count boundaries, one-to-one.
- **Title, author, date, outlet accuracy**: over the expected items with the field stated
  (null included: a page that does not name an author must give none), the item predicted
  with the same first boundary must have the same value (dates: the same day); an expected
  item with no such prediction counts as wrong.
- **Furniture share**: the characters of the main items' and reposts' predicted text whose
  line is no line of the expected text of the page's main items and reposts, over all their
  characters: the teasers, menus and prompts left in what the analyses read. **Main-text
  recall**: the characters of the expected lines found in the predicted text.
- **Posts**: each expected post found (its text's start), with the right account, kind,
  referenced account and day; reposts linked to the right account.

`baseline_items` is what infoscope stored before pages were segmented, the baseline to beat:
a text page is one article whose title is its first line; an HTML page is trafilatura's
extraction, one article.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infoscope.ingest.pages.lexicon import normalize

__all__ = ["PageScore", "baseline_items", "page_items", "score_pages"]

PREFIX_CHARS = 30


@dataclass
class PageScore:
    """The counts behind the scores, for one page or summed over pages (`add`)."""

    pages: int = 0
    gold_items: int = 0
    predicted_items: int = 0
    gold_boundaries: int = 0
    predicted_boundaries: int = 0
    right_boundaries: int = 0
    fields: dict[str, list[int]] = field(default_factory=dict)  # name -> [right, total]
    main_chars: int = 0
    furniture_chars: int = 0
    gold_main_chars: int = 0
    found_main_chars: int = 0
    posts: list[int] = field(default_factory=lambda: [0, 0])  # [right, total]
    repost_links: list[int] = field(default_factory=lambda: [0, 0])
    errors: list[str] = field(default_factory=list)

    def add(self, other: PageScore) -> None:
        for name in (
            "pages", "gold_items", "predicted_items", "gold_boundaries", "predicted_boundaries",
            "right_boundaries", "main_chars", "furniture_chars", "gold_main_chars",
            "found_main_chars",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, (right, total) in other.fields.items():
            mine = self.fields.setdefault(key, [0, 0])
            mine[0] += right
            mine[1] += total
        for mine, theirs in ((self.posts, other.posts), (self.repost_links, other.repost_links)):
            mine[0] += theirs[0]
            mine[1] += theirs[1]
        self.errors += other.errors

    def as_dict(self) -> dict[str, Any]:
        p = self.right_boundaries / self.predicted_boundaries if self.predicted_boundaries else 0.0
        r = self.right_boundaries / self.gold_boundaries if self.gold_boundaries else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out: dict[str, Any] = {
            "pages": self.pages,
            "items_expected": self.gold_items,
            "items_predicted": self.predicted_items,
            "boundary_precision": round(p, 4),
            "boundary_recall": round(r, 4),
            "boundary_f1": round(f1, 4),
            "furniture_share": round(self.furniture_chars / self.main_chars, 4)
            if self.main_chars
            else 0.0,
            "main_text_recall": round(self.found_main_chars / self.gold_main_chars, 4)
            if self.gold_main_chars
            else 0.0,
        }
        for key, (right, total) in sorted(self.fields.items()):
            out[f"{key}_accuracy"] = round(right / total, 4) if total else None
            out[f"{key}_n"] = total
        out["posts_right"] = f"{self.posts[0]}/{self.posts[1]}"
        out["repost_links_right"] = f"{self.repost_links[0]}/{self.repost_links[1]}"
        return out


def _lines(text: str | None) -> list[str]:
    return [line for line in (text or "").split("\n") if line.strip()]


def _key(text: str | None) -> str:
    return normalize(text or "")[: PREFIX_CHARS - 2]


def _matches(predicted: str | None, expected: str | None) -> bool:
    if predicted is None or expected is None:
        return False
    want = _key(expected)
    return bool(want) and normalize(predicted).startswith(want)


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if hasattr(value, "date") else str(value)[:10]


def page_items(path: Path, *, fmt: str | None = None) -> list[dict[str, Any]]:
    """The items and posts ingest would store for the page at `path` (detected format, or
    `fmt`), as dicts: kind, title, author, published, outlet, text, start, end (and, for
    posts, account, ref and the repost links)."""
    from infoscope.ingest.formats import ReadContext, detect_format, get_format, sniff
    from infoscope.ingest.sources import iter_sources
    from infoscope.records import Article, ArticleLink, Post

    records: list[Any] = []
    for source in iter_sources(path):  # the file stays open while the generator runs
        found = get_format(fmt) if fmt else detect_format(sniff(source))
        records += found.parse(source, ReadContext())  # type: ignore[attr-defined]
    items: list[dict[str, Any]] = []
    links: dict[str, str] = {}
    for record in records:
        if isinstance(record, Article):
            lines = _lines(record.text)
            items.append(
                {
                    "id": record.article_id,
                    "kind": record.item_kind,
                    "title": record.title,
                    "author": record.author,
                    "published": record.published,
                    "outlet": record.outlet,
                    "text": lines,
                    "start": record.title or (lines[0] if lines else None),
                    "end": lines[-1] if lines else record.title,
                }
            )
        elif isinstance(record, Post):
            items.append(
                {
                    "kind": "post",
                    "account": record.account_id,
                    "post_kind": record.kind,
                    "ref": record.ref_account_id,
                    "published": record.created_at,
                    "post_id": record.post_id,
                    "text": [record.text or ""],
                    "start": record.text,
                    "end": record.text,
                }
            )
        elif isinstance(record, ArticleLink) and record.relation == "reposted_by":
            links[record.article_id] = record.target_id
    for item in items:
        if item["kind"] == "repost":
            item["reposted_by"] = links.get(item["id"])
    return items


def baseline_items(path: Path) -> list[dict[str, Any]]:
    """What infoscope stored before segmentation (see the module docstring)."""
    data = path.read_bytes()
    head = data[:4096].decode("utf-8", "replace").lstrip("\ufeff").lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        from infoscope.ingest._articles import utc_datetime, without_title
        from infoscope.ingest.articles_html import extract_page
        from infoscope.ingest.formats import ReadContext

        _, doc, text = extract_page(data, ReadContext())
        lines = _lines(without_title(text, doc.title if doc else None))
        title = doc.title if doc else None
        return [
            {
                "kind": "main",
                "title": title,
                "author": doc.author if doc else None,
                "published": utc_datetime(doc.date) if doc else None,
                "outlet": doc.sitename if doc else None,
                "text": lines,
                "start": title or (lines[0] if lines else None),
                "end": lines[-1] if lines else title,
            }
        ]
    lines = _lines(data.decode("utf-8").lstrip("\ufeff"))
    title, body = (lines[0], lines[1:]) if lines else (None, [])
    return [
        {
            "kind": "main",
            "title": title,
            "author": None,
            "published": None,
            "outlet": None,
            "text": body,
            "start": title,
            "end": body[-1] if body else title,
        }
    ]


def _boundaries(items: list[dict[str, Any]]) -> Iterator[tuple[str, str | None]]:
    for item in items:
        yield "start", item.get("start")
        yield "end", item.get("end")


def _field_right(key: str, predicted: dict[str, Any], gold: dict[str, Any]) -> bool:
    """Whether the predicted item has the expected `key` (title, author, date, kind, outlet)."""
    if key == "title":
        return bool(predicted["title"]) and normalize(predicted["title"]) == normalize(
            gold["title"]
        )
    if key == "author":
        return normalize(predicted["author"] or "") == normalize(gold["author"] or "")
    if key == "date":
        return _day(predicted["published"]) == gold["published"]
    if key == "outlet":
        return (predicted["outlet"] or None) == gold["outlet"]
    return bool(predicted[key] == gold[key])


def _score_page(expected: dict[str, Any], predicted: list[dict[str, Any]], name: str) -> PageScore:
    score = PageScore(pages=1)
    gold_items = list(expected["items"])
    gold_posts = list(expected.get("posts", []))
    gold_all = gold_items + [
        {"kind": "post", "start": p["text"], "end": p["text"]} for p in gold_posts
    ]
    score.gold_items = len(gold_all)
    score.predicted_items = len(predicted)
    # Boundaries, one-to-one.
    gold_points = list(_boundaries(gold_all))
    used = [False] * len(gold_points)
    pred_points = list(_boundaries(predicted))
    score.gold_boundaries, score.predicted_boundaries = len(gold_points), len(pred_points)
    for kind, text in pred_points:
        for k, (gkind, gtext) in enumerate(gold_points):
            if not used[k] and gkind == kind and _matches(text, gtext):
                used[k] = True
                score.right_boundaries += 1
                break
    for k, (gkind, gtext) in enumerate(gold_points):
        if not used[k]:
            score.errors.append(f"{name}: expected {gkind} boundary not found: {gtext!r}")
    # Fields, by the item starting the same way.
    articles = [p for p in predicted if p["kind"] != "post"]
    for gold in gold_items:
        match = next((p for p in articles if _matches(p["start"], gold["start"])), None)
        scope = "main" if gold["kind"] in ("main", "repost") else "secondary"
        keys = ["title", "author", "date", "kind"] + (["outlet"] if "outlet" in gold else [])
        for key in keys:
            for where in (f"{scope}_{key}", f"all_{key}"):
                cell = score.fields.setdefault(where, [0, 0])
                cell[1] += 1
                if match is not None and _field_right(key, match, gold):
                    cell[0] += 1
                elif where.startswith("all"):
                    got = match.get(key if key != "date" else "published") if match else "(none)"
                    score.errors.append(f"{name}: {key} of {gold['start']!r}: got {got!r}")
        if gold["kind"] == "repost":
            score.repost_links[1] += 1
            if match is not None and match.get("reposted_by") == gold.get("reposted_by"):
                score.repost_links[0] += 1
    # Furniture left in what the analyses read.
    gold_lines = [t for g in gold_items if g["kind"] in ("main", "repost") for t in g["text"]]
    for item in articles:
        if item["kind"] not in ("main", "repost"):
            continue
        for line in item["text"]:
            score.main_chars += len(line)
            if not any(_matches(line, g) for g in gold_lines):
                score.furniture_chars += len(line)
                score.errors.append(f"{name}: furniture in main text: {line[:60]!r}")
    predicted_lines = [
        line for p in articles if p["kind"] in ("main", "repost") for line in p["text"]
    ]
    for g in gold_lines:
        found = next((line for line in predicted_lines if _matches(line, g)), None)
        # A line's length is known only from the prediction; a missing one counts its prefix.
        size = len(found) if found is not None else len(g)
        score.gold_main_chars += size
        if found is not None:
            score.found_main_chars += size
        else:
            score.errors.append(f"{name}: main text line missing: {g!r}")
    # Posts.
    posts = [p for p in predicted if p["kind"] == "post"]
    for gold in gold_posts:
        score.posts[1] += 1
        match = next((p for p in posts if _matches(p["start"], gold["text"])), None)
        if match is None:
            score.errors.append(f"{name}: post not found: {gold['text']!r}")
            continue
        right = (
            match["account"] == gold["account"]
            and match["post_kind"] == gold["kind"]
            and match["ref"] == gold["ref"]
            and _day(match["published"]) == gold["date"]
            and match["post_id"] == gold.get("post_id", match["post_id"])
        )
        score.posts[0] += right
        if not right:
            score.errors.append(f"{name}: post {gold['text']!r}: got {match}")
    return score


def score_pages(
    expected_file: Path,
    *,
    items: Callable[[Path], list[dict[str, Any]]] = page_items,
) -> tuple[PageScore, dict[str, PageScore]]:
    """Score `items` (default: what ingest reads) on every page of `expected_file` (its paths
    are relative to the folder above it); returns the totals and the score of each page."""
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    root = expected_file.parent.parent
    total = PageScore()
    per_page: dict[str, PageScore] = {}
    for name, page in expected["pages"].items():
        score = _score_page(page, items(root / name), name)
        per_page[name] = score
        total.add(score)
    return total, per_page
