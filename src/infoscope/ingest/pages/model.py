"""The block classifier: is a block a heading, body text or furniture?

The cue lists (`infoscope.ingest.pages.lexicon`) and the byline, date and post patterns
(`infoscope.ingest.pages.meta`, `infoscope.ingest.pages.posts`) decide most blocks. What they
leave (a short line that may be a menu entry, a category, a headline or a crosshead; a sentence
that may be a teaser's excerpt or a paragraph) goes to a small multinomial logistic regression
over shallow features of the block and its neighbours, as in boilerplate detection with shallow
text features (Kohlschütter, Fankhauser & Nejdl 2010, "Boilerplate detection using shallow
text features"): its length in words, how it ends, its capitalisation, digits and separators,
whether it repeats on the page, the run of short blocks around it, whether a byline or a long
paragraph follows or precedes it, and its position on the page (`FEATURES`).

Training data (`synthetic_pages`): clean articles (the PTC articles, one paragraph a line)
dressed as saved pages: menus and site names before the title, a kicker, an optional
standfirst, bylines and dates, share prompts and advertisements between paragraphs, crossheads,
lists of other stories (another article's title, a date, its first sentence) after a section
marker, category lists and footers, each block labelled by construction. The shipped
coefficients (`_weights.py`) were fitted with `train_block_classifier` on pages built from the
300 PTC training articles (``benchmarks/bench_pages.py --train`` rebuilds them); the page
fixtures of the tests, written by hand, are never used for training: they are the evaluation.

`rule_block_class` is the rules-only fallback (and the benchmark's baseline): ≥ 12 words or a
sentence of ≥ 8 words is body, a capitalised line of 2-25 words without a final full stop is a
heading, anything shorter is furniture.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CLASSES",
    "FEATURES",
    "BlockClassifier",
    "block_features",
    "load_block_classifier",
    "rule_block_class",
    "synthetic_pages",
    "train_block_classifier",
]

CLASSES = ("heading", "body", "furniture")
FEATURES = (
    "log_words",
    "words_le_3",
    "words_le_6",
    "words_ge_15",
    "words_ge_40",
    "ends_sentence",
    "ends_full_stop",
    "ends_colon",
    "starts_upper",
    "title_case_share",
    "all_caps",
    "digit_share",
    "separator",
    "comma",
    "quote_start",
    "handle_or_link",
    "repeated",
    "short_run",
    "prev_short",
    "next_short",
    "prev_meta",
    "next_meta",
    "prev_long",
    "next_long",
    "prev_furniture",
    "next_furniture",
    "position",
    "page_head",
    "page_tail",
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_SEPARATOR = re.compile(r"\s[|/·•»›]\s|^[|/·•»›]|[|/·•»›]$")
_LINKISH = re.compile(r"@\w|https?://|www\.|\.com\b")
_SHORT = 4
_LONG = 25


def _words(text: str) -> list[str]:
    return text.split()


def _is_short(text: str) -> bool:
    return len(_words(text)) <= _SHORT and not _SENTENCE_END.search(text)


def block_features(texts: Sequence[str], rule_labels: Sequence[str | None]) -> np.ndarray:
    """The `FEATURES` of each block of a page (`texts` in page order, `rule_labels` what the
    rules decided: ``meta``, ``furniture``, ``marker``... or None)."""
    n = len(texts)
    counts = Counter(" ".join(t.casefold().split()) for t in texts)
    short = [_is_short(t) for t in texts]
    runs = [0] * n
    i = 0
    while i < n:
        j = i
        while j < n and short[j]:
            j += 1
        for k in range(i, j):
            runs[k] = j - i
        i = max(j, i + 1)
    rows = np.zeros((n, len(FEATURES)))
    for i, text in enumerate(texts):
        words = _words(text)
        w = len(words)
        letters = [c for c in text if c.isalpha()]
        stripped = text.rstrip()
        capitalised = sum(1 for x in words if x[:1].isupper())
        prev_label = rule_labels[i - 1] if i > 0 else "furniture"
        next_label = rule_labels[i + 1] if i + 1 < n else "furniture"
        prev_words = len(_words(texts[i - 1])) if i > 0 else 0
        next_words = len(_words(texts[i + 1])) if i + 1 < n else 0
        rows[i] = (
            math.log1p(w),
            w <= 3,
            w <= 6,
            w >= 15,
            w >= 40,
            bool(_SENTENCE_END.search(stripped)),
            stripped.endswith("."),
            stripped.endswith(":"),
            text[:1].isupper() or text[:1] in "\"“'‘",
            capitalised / w if w else 0.0,
            len(letters) >= 2 and all(c.isupper() for c in letters),
            sum(c.isdigit() for c in text) / max(len(text), 1),
            bool(_SEPARATOR.search(text)),
            "," in text,
            text[:1] in "\"“'‘«",
            bool(_LINKISH.search(text)),
            counts[" ".join(text.casefold().split())] > 1,
            math.log1p(runs[i]),
            i > 0 and short[i - 1],
            i + 1 < n and short[i + 1],
            prev_label == "meta",
            next_label == "meta",
            prev_words >= _LONG and prev_label is None,
            next_words >= _LONG and next_label is None,
            prev_label in ("furniture", "marker", "list_header", "list_end"),
            next_label in ("furniture", "marker", "list_header", "list_end"),
            i / max(n - 1, 1),
            i < 0.15 * n,
            i > 0.85 * n,
        )
    return rows


def rule_block_class(text: str) -> str:
    """Heading, body or furniture by length and shape alone (see the module docstring)."""
    words = _words(text)
    w = len(words)
    ends = bool(_SENTENCE_END.search(text.rstrip()))
    if w >= 12 or (ends and w >= 8):
        return "body"
    if 2 <= w <= 25 and text[:1].isupper() and not text.rstrip().endswith((".", ",", ";")):
        return "heading"
    return "furniture" if w <= 3 else "body"


@dataclass(frozen=True)
class BlockClassifier:
    """Multinomial logistic regression over `FEATURES` (coefficients, one row per class of
    `CLASSES`; features standardised with `mean` and `scale`)."""

    coef: np.ndarray
    intercept: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    info: dict[str, Any]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros((0, len(CLASSES)))
        z = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def as_dict(self) -> dict[str, Any]:
        return {
            "classes": list(CLASSES),
            "features": list(FEATURES),
            "coef": np.round(self.coef, 6).tolist(),
            "intercept": np.round(self.intercept, 6).tolist(),
            "mean": np.round(self.mean, 6).tolist(),
            "scale": np.round(self.scale, 6).tolist(),
            "info": self.info,
        }


def load_block_classifier(weights: dict[str, Any] | None = None) -> BlockClassifier | None:
    """The classifier from `weights` (default: the shipped ones), or None when the shipped
    weights are absent or were fitted on other features."""
    if weights is None:
        from infoscope.ingest.pages._weights import WEIGHTS

        weights = WEIGHTS
    if not weights or list(weights.get("features", [])) != list(FEATURES):
        return None
    if list(weights.get("classes", [])) != list(CLASSES):
        return None
    return BlockClassifier(
        np.asarray(weights["coef"], dtype=float),
        np.asarray(weights["intercept"], dtype=float),
        np.asarray(weights["mean"], dtype=float),
        np.asarray(weights["scale"], dtype=float),
        dict(weights.get("info", {})),
    )


# -- synthetic training pages -------------------------------------------------------------------
_MENU = (
    "Home", "News", "World", "Politics", "Business", "Markets", "Economy", "Opinion", "Sport",
    "Football", "Culture", "Science", "Tech", "Health", "Climate", "Travel", "Food", "Style",
    "Lifestyle", "Weather", "Local", "Video", "Podcasts", "Features", "Investigations",
    "Explained", "Books", "Music", "Film", "Obituaries", "Puzzles", "Crosswords", "Games",
    "Jobs", "Education", "Environment", "Africa", "Asia", "Europe", "Americas", "Australia",
    "Ukraine", "Elections", "Magazine", "Live", "Newsletters", "Subscribe", "Search", "Menu",
    "More", "Archive", "Events", "Photos", "Graphics", "Data", "Letters", "Editorials",
    "Columnists", "Reviews", "Podcast", "Shop", "Donate", "About", "Contact", "Middle East",
    "Latin America", "US & Canada", "Asia Pacific", "Human Rights", "Climate Crisis", "Live TV",
    "Real estate", "Science & Tech", "Arts & Culture", "Money", "Company news", "Your money",
    "Fact check", "Long reads", "The big picture", "Global development", "Work for us",
    "Ads info", "Help Center", "Press office", "Media kit", "Our journalists", "Reader's editor",
    "Text size", "Dark mode",
)  # fmt: skip
_SITE_WORDS = (
    "Daily", "Morning", "Evening", "Herald", "Times", "Post", "Observer", "Ledger", "Courier",
    "Gazette", "Wire", "Review", "Chronicle", "Tribune", "Standard", "Journal", "Monitor",
    "Report", "Desk", "Dispatch", "Sentinel", "Bulletin", "Digest",
)  # fmt: skip
_PLACES = (
    "Northern", "Baltic", "Eastern", "Western", "Harbour", "Valley", "River", "Central",
    "Capital", "National", "Global", "Free", "Open", "Independent", "Coastal", "Mountain",
    "Island", "City", "Metro",
)  # fmt: skip
_INLINE_FURNITURE = (
    "Advertisement", "Story continues below", "Share this article", "Read more",
    "Continue reading", "Related", "Sign up for our newsletter", "Photo: Reuters",
    "Listen to this article", "3 min read", "Share", "Tweet", "Email",
)  # fmt: skip
_MARKER_WORDS = (
    "Related", "Keep reading", "More from Opinion", "Recent Posts", "Most read",
    "You may also like", "Recommended", "More stories", "Latest news", "Read next",
)  # fmt: skip
_FOOTER = (
    "About us", "Contact us", "Privacy policy", "Terms of use", "Cookie settings",
    "Advertise with us", "Careers", "Sitemap", "Accessibility", "Code of ethics",
    "Corrections", "Newsletters", "RSS", "Help", "Licensing", "Syndication",
    "Editorial guidelines", "Complaints", "Modern slavery statement",
)  # fmt: skip
_CATEGORY_HEADERS = ("Categories", "Tags", "Archives", "Topics", "Blogroll")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _date_text(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.choice(_MONTHS), rng.randint(2005, 2024)
    return rng.choice(
        (
            f"{month} {day}, {year}",
            f"{day} {month[:3]} {year}",
            f"Published On {day} {month[:3]} {year}",
            f"{year}-{_MONTHS.index(month) + 1:02d}-{day:02d}",
            f"Updated {month} {day}, {year}",
        )
    )


def _person(rng: random.Random) -> str:
    first = rng.choice(
        [
            "Anna",
            "Tomas",
            "Lena",
            "Marko",
            "Irina",
            "Pavel",
            "Jonas",
            "Sara",
            "Erik",
            "Ilse",
            "Aino",
            "Pekka",
        ]
    )
    last = rng.choice(
        [
            "Kivi",
            "Reyes",
            "Sorokina",
            "Tamm",
            "Volkova",
            "Dremov",
            "Berg",
            "Holm",
            "Dahl",
            "Moor",
            "Laine",
        ]
    )
    return f"{first} {last}"


def _site(rng: random.Random) -> str:
    return f"The {rng.choice(_PLACES)} {rng.choice(_SITE_WORDS)}"


def _first_sentence(paragraphs: Sequence[str]) -> str:
    for p in paragraphs:
        words = p.split()
        if len(words) >= 12:
            cut = re.split(r"(?<=[.!?])\s", p, maxsplit=1)[0]
            return " ".join(cut.split()[:40])
    return " ".join(paragraphs[0].split()[:30]) if paragraphs else ""


def _crosshead(paragraph: str, rng: random.Random) -> str:
    words = re.sub(r"[^\w\s'’-]", "", paragraph).split()
    if len(words) < 4:
        return "A turning point"
    n = rng.randint(2, min(6, len(words)))
    start = rng.randint(0, max(len(words) - n, 0))
    text = " ".join(words[start : start + n])
    return text[:1].upper() + text[1:]


def synthetic_pages(
    articles: Sequence[tuple[str, Sequence[str]]], *, pages: int = 600, seed: int = 0
) -> list[list[tuple[str, str]]]:
    """Saved-page shapes built around clean articles ``(title, paragraphs)``: each page a list
    of ``(block text, label)``, the label one of ``heading``, ``body``, ``furniture``, ``meta``
    (see the module docstring)."""
    if len(articles) < 2:
        raise ValueError("synthetic pages need at least two articles (teasers use the others)")
    rng = random.Random(seed)
    out: list[list[tuple[str, str]]] = []
    for n in range(pages):
        title, paragraphs = articles[n % len(articles)]
        others = [a for a in rng.sample(list(articles), min(len(articles), 12)) if a[0] != title]
        page: list[tuple[str, str]] = []
        if rng.random() < 0.8:
            page += [(w, "furniture") for w in rng.sample(_MENU, rng.randint(3, 25))]
        if rng.random() < 0.4:
            page.append((_site(rng), "furniture"))
        if rng.random() < 0.4:
            page.append((rng.choice(_MENU), "furniture"))  # kicker
        page.append((title, "heading"))
        if rng.random() < 0.4:
            page.append((_first_sentence(paragraphs[1:] or paragraphs), "body"))  # standfirst
        if rng.random() < 0.7:
            page.append((f"By {_person(rng)}", "meta"))
        if rng.random() < 0.7:
            page.append((_date_text(rng), "meta"))
        body = list(paragraphs)
        for k, paragraph in enumerate(body):
            page.append((paragraph, "body"))
            r = rng.random()
            if r < 0.04:
                page.append((rng.choice(_INLINE_FURNITURE), "furniture"))
            elif r < 0.08 and k + 1 < len(body):
                page.append((_crosshead(body[k + 1], rng), "heading"))
        if rng.random() < 0.5:
            page += [(w, "furniture") for w in rng.sample(_INLINE_FURNITURE, rng.randint(1, 4))]
        if rng.random() < 0.7 and others:
            page.append((rng.choice(_MARKER_WORDS), "furniture"))
            excerpt = rng.random() < 0.6
            dated = rng.random() < 0.5
            date_first = rng.random() < 0.5  # title, date, excerpt or title, excerpt, date
            for other_title, other_paragraphs in others[: rng.randint(2, 10)]:
                page.append((other_title, "heading"))
                if dated and date_first:
                    page.append((_date_text(rng), "meta"))
                if excerpt:
                    page.append((_first_sentence(other_paragraphs), "body"))
                if dated and not date_first:
                    page.append((_date_text(rng), "meta"))
        if rng.random() < 0.4:
            page.append((rng.choice(_CATEGORY_HEADERS), "furniture"))
            page += [(w, "furniture") for w in rng.sample(_MENU, rng.randint(3, 10))]
        if rng.random() < 0.8:
            page += [(w, "furniture") for w in rng.sample(_FOOTER, rng.randint(2, 12))]
            page.append((f"© {rng.randint(2005, 2024)} {_site(rng)}", "furniture"))
        out.append(page)
    return out


def train_block_classifier(
    articles: Sequence[tuple[str, Sequence[str]]],
    *,
    pages: int = 600,
    c: float = 1.0,
    seed: int = 0,
) -> tuple[BlockClassifier, dict[str, Any]]:
    """Fit the classifier on `synthetic_pages` of `articles`, holding out a fifth of the pages
    (by article) to report its accuracy; returns it (refitted on all pages) and the report."""
    from sklearn.linear_model import LogisticRegression

    from infoscope.ingest.pages.segment import rule_labels

    built = synthetic_pages(articles, pages=pages, seed=seed)
    xs, ys, texts, held_rows = [], [], [], []
    for n, page in enumerate(built):
        page_texts = [t for t, _ in page]
        labels = rule_labels(page_texts)
        features = block_features(page_texts, labels)
        for i, (text, label) in enumerate(page):
            if labels[i] is None and label in CLASSES:
                xs.append(features[i])
                ys.append(CLASSES.index(label))
                texts.append(text)
                held_rows.append(n % len(articles) % 5 == 0)  # a fifth of the articles
    x, y, held = np.asarray(xs), np.asarray(ys), np.asarray(held_rows)

    def fit(rows: np.ndarray, target: np.ndarray) -> BlockClassifier:
        mean = rows.mean(axis=0)
        scale = rows.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit((rows - mean) / scale, target)
        return BlockClassifier(model.coef_, model.intercept_, mean, scale, {})

    predicted = fit(x[~held], y[~held]).predict_proba(x[held]).argmax(axis=1)
    by_rules = np.asarray(
        [CLASSES.index(rule_block_class(t)) for t, h in zip(texts, held, strict=True) if h]
    )
    report = {
        "pages": pages,
        "articles": len(articles),
        "blocks": len(ys),
        "class_counts": {name: int((y == k).sum()) for k, name in enumerate(CLASSES)},
        "held_out_blocks": int(held.sum()),
        "held_out_accuracy": round(float((predicted == y[held]).mean()), 4),
        "rules_held_out_accuracy": round(float((by_rules == y[held]).mean()), 4),
        "seed": seed,
        "C": c,
    }
    final = fit(x, y)
    return BlockClassifier(final.coef, final.intercept, final.mean, final.scale, report), report
