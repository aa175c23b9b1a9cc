"""A page's blocks into items: the main story, secondary items, posts and furniture.

Each block gets a label, first from the rules (a post line, a section marker, furniture cues,
a byline or date, the heading of a furniture list; in HTML also its region and heading tags,
and trafilatura's main text), then, for what the rules leave, from the block classifier
(`infoscope.ingest.pages.model`: heading, body or furniture). A walk over the labelled blocks
then cuts the page into items:

- A **section marker** ("Keep reading", "Related", "More from Opinion", "Recent Posts", "Most
  read", "list of 4 items"; in HTML also an ``<aside>``, sidebar or card region) opens a list:
  each heading in it starts a **secondary item** (a teaser, a sidebar post, a related story);
  the date, byline and up to two short paragraphs after it are its own. The list ends at "end
  of list", at another marker, or when two paragraphs follow each other without a heading: the
  story resumes (inline "Keep reading" boxes sit in the middle of articles).
- Outside lists, a heading followed by a byline or date, or by the page's first paragraph,
  starts a **story**; a heading inside a running story is a crosshead and stays in its text.
  Text before the first story, headings with no text under them, and lines after the story
  that repeat its author's name or describe the author ("Lena Sorokina is a researcher ...")
  are furniture. A page's first line, when no furniture cue holds for it and text follows,
  is its title (the layout of plain-text article corpora).
- A **post line** (``@handle: text``) is a social post; it ends the story before it. A date
  line on its own dates the posts after it.
- **Kinds**: the story with the most text is the **main** item; another story with at least
  half as much text (and 80 words) is main too (a page of several full posts), a shorter one
  is secondary. On a page with posts (or an account's page, "Name (@handle) / Twitter"), a
  story whose heading reads ``Title – Outlet`` is a **repost** of that outlet's article by the
  page's account.

Every block keeps its label, its item and the reason in words (`Segmentation.explain`): what
was dropped, and why, can always be seen (``infoscope articles segment PAGE``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infoscope.ingest._articles import utc_datetime
from infoscope.ingest.pages.blocks import Block
from infoscope.ingest.pages.lexicon import (
    furniture_reason,
    is_list_end,
    list_header,
    normalize,
    section_marker,
)
from infoscope.ingest.pages.meta import (
    Byline,
    outlet_from_line,
    parse_byline,
    split_title_outlet,
    trailing_date,
)
from infoscope.ingest.pages.model import (
    CLASSES,
    BlockClassifier,
    block_features,
    load_block_classifier,
    rule_block_class,
)
from infoscope.ingest.pages.posts import PostLine, parse_post_line

__all__ = [
    "PageItem",
    "PagePost",
    "Segmentation",
    "rule_labels",
    "segment_blocks",
]

MAX_TITLE_CHARS = 300
# A secondary item's own text: at most this many paragraphs of at most this many words.
MAX_EXCERPT_BLOCKS = 2
MAX_EXCERPT_WORDS = 60
# Another story is main too when it has this share of the main story's words, and this many.
MAIN_SHARE = 0.5
MIN_MAIN_WORDS = 80
# A story with no byline yet and fewer words than this is still in its header.
HEADER_WORDS = 60
# After a list, a paragraph this long resumes the story (an inline list without "end of list").
RESUME_WORDS = 25
# A teaser's title has at least this many words (shorter: a kicker, a label, a link).
MIN_TEASER_WORDS = 3
_PAGE_HEADER = re.compile(r"^(?P<name>.*?)\s*\(@(?P<handle>\w{1,15})\)\s*[/|·-]\s*(?:Twitter|X)$")
_HANDLE_ONLY = re.compile(r"^@\w{1,15}$")
_BIO = re.compile(r"^\s*(?P<name>.{3,60}?)\s+(?:is|was|has been|writes|teaches|works)\b")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")

PAGE, LIST, FURNITURE_LIST = "page", "list", "furniture-list"


@dataclass
class PageItem:
    """One item of a page: its `kind` (``main``, ``repost``, ``secondary``), its title and
    the block holding it, its text blocks (`blocks`) and meta blocks, what they state
    (`author`, `published`, `outlet`, `url`), the list it was found in (`section`) and, for a
    repost, the handle of the account that reposted it (`account`). `first`/`last` bound the
    item's blocks (title to last text block)."""

    index: int
    kind: str = "main"
    title: str | None = None
    title_block: int | None = None
    blocks: list[int] = field(default_factory=list)
    meta: list[int] = field(default_factory=list)
    author: str | None = None
    published: datetime | None = None
    outlet: str | None = None
    url: str | None = None
    section: str | None = None
    account: str | None = None
    repost_heading: bool = False

    @property
    def first(self) -> int:
        found = [i for i in (self.title_block, *self.meta, *self.blocks) if i is not None]
        return min(found) if found else -1

    @property
    def last(self) -> int:
        found = [i for i in (self.title_block, *self.meta, *self.blocks) if i is not None]
        return max(found) if found else -1


@dataclass
class PagePost:
    """A post line of the page, the date it was posted when the page says (the date line above
    it: `date_from` ``"date line"``; else None) and the block it is."""

    block: int
    post: PostLine
    date: datetime | None = None
    date_from: str | None = None


@dataclass
class Segmentation:
    """A segmented page: its blocks (each with kind, reason and item), items and posts, and
    what the page says about itself (`account`: "Name (@handle) / Twitter"; `outlet`: a
    copyright line or disclaimer; `date`: its first date line)."""

    blocks: list[Block]
    items: list[PageItem]
    posts: list[PagePost]
    account: str | None = None
    outlet: str | None = None
    date: datetime | None = None
    classifier: bool = False

    @property
    def main(self) -> PageItem | None:
        return next((i for i in self.items if i.kind == "main"), None)

    def item_text(self, item: PageItem) -> str:
        """The item's text blocks, one a line."""
        return "\n".join(self.blocks[i].text for i in item.blocks)

    def explain(self) -> list[dict[str, Any]]:
        """One row per block: line, kind, item (index and kind), reason and text."""
        kinds = {item.index: item.kind for item in self.items}
        return [
            {
                "line": b.line,
                "kind": b.kind,
                "item": b.item,
                "item_kind": kinds.get(b.item) if b.item is not None else None,
                "reason": b.reason,
                "text": b.text,
            }
            for b in self.blocks
        ]


def _rule(text: str) -> tuple[str | None, str, Any]:
    """The rules' label for a block's text, the reason, and what it parsed (or None)."""
    post = parse_post_line(text)
    if post is not None:
        if post.handle is None:
            return "post", f"a retweet of @{post.ref_handle} by the page's account", post
        return "post", f"social post by @{post.handle}", post
    header = _PAGE_HEADER.match(text.strip())
    if header is not None:
        return "page_header", f"the saved page's title (account @{header['handle']})", header
    if is_list_end(text):
        return "list_end", "closes an inline list of other stories", None
    marker = section_marker(text)
    if marker is not None:
        return "marker", f"heads a list of other stories ({marker!r})", marker
    reason = furniture_reason(text)
    if reason is not None:
        return "furniture", reason, None
    header_words = list_header(text)
    if header_words is not None:
        return "list_header", f"heads a list of links ({header_words!r})", header_words
    if _HANDLE_ONLY.match(text.strip()):
        return "furniture", "an account handle on its own", None
    byline = parse_byline(text)
    if byline is not None:
        return "meta", f"byline or date ({byline.cue})", byline
    return None, "", None


def rule_labels(texts: Sequence[str]) -> list[str | None]:
    """What the rules decide for each block text (``post``, ``marker``, ``furniture``,
    ``meta``, ``list_header``, ``list_end``; None: left to the classifier)."""
    out: list[str | None] = []
    for text in texts:
        label = _rule(text)[0]
        out.append("furniture" if label == "page_header" else label)
    return out


class _Walk:
    """The walk over labelled blocks that cuts them into items (see the module docstring)."""

    def __init__(self, blocks: list[Block], labels: list[str], parsed: list[Any], html: bool):
        self.blocks = blocks
        self.labels = labels
        self.parsed = parsed
        self.html = html
        self.items: list[PageItem] = []
        self.posts: list[PagePost] = []
        self.story: PageItem | None = None  # the running story
        self.secondary: PageItem | None = None  # the running secondary item of a list
        self.pending: list[int] = []  # headings not yet resolved
        self.context = PAGE
        self.list_name: str | None = None
        self.list_region = 0
        self.date_line: datetime | None = None
        self.has_posts = any(label == "post" for label in labels)
        self.entry_starts = False
        self.first_title: int | None = None
        self.paused = False  # a list came after the running story

    # -- helpers ----------------------------------------------------------------------------
    def mark(self, i: int, kind: str, reason: str, item: PageItem | None = None) -> None:
        b = self.blocks[i]
        b.kind, b.reason = kind, reason
        b.item = item.index if item is not None else None

    def new_item(self, kind: str) -> PageItem:
        item = PageItem(len(self.items), kind=kind)
        self.items.append(item)
        return item

    def next_significant(self, i: int) -> str | None:
        for j in range(i + 1, min(i + 6, len(self.blocks))):
            if self.labels[j] not in ("furniture", "page_header"):
                return self.labels[j]
        return None

    def byline_follows(self, i: int) -> bool:
        """Whether a byline or date follows block `i`, directly or after one short paragraph
        (a standfirst)."""
        following = [
            j
            for j in range(i + 1, min(i + 6, len(self.blocks)))
            if self.labels[j] not in ("furniture", "page_header")
        ]
        if following and self.labels[following[0]] == "meta":
            return True
        return (
            len(following) > 1
            and self.labels[following[0]] == "body"
            and self.blocks[following[0]].words <= MAX_EXCERPT_WORDS
            and self.labels[following[1]] == "meta"
        )

    def drop_pending(self, reason: str = "heading with no text under it") -> None:
        for j in self.pending:
            self.mark(j, "furniture", reason)
        self.pending = []

    def start_story(self, i_title: int | None) -> PageItem:
        """A new story titled by block `i_title`; earlier pending headings are furniture.
        The page's first-line title titles the first story whatever comes between it and the
        text (captions, notes: they are the story's text)."""
        self.story = self.new_item("main")
        if self.first_title is not None and self.first_title in self.pending:
            i_title = self.first_title
            self.pending.remove(i_title)
            for j in self.pending:
                self.story.blocks.append(j)
                self.mark(j, "body", "a line between the title and the text", self.story)
            self.pending = []
        elif i_title is not None:
            self.pending.remove(i_title)
            self.drop_pending()
        if i_title is not None:
            text = self.blocks[i_title].text
            self.story.title, self.story.title_block = text, i_title
            split = split_title_outlet(text)
            if split is not None and self.has_posts:
                self.story.title, self.story.outlet = split
                self.story.repost_heading = True
            self.mark(i_title, "title", "the story's title", self.story)
        return self.story

    def meta_into(self, item: PageItem, i: int, reason: str) -> None:
        byline: Byline = self.parsed[i]
        item.meta.append(i)
        if byline.author and item.author is None:
            item.author = byline.author
        # An HTML <time datetime> is more precise than the date written beside it.
        when = utc_datetime(self.blocks[i].when) if self.blocks[i].when else None
        when = when or byline.date
        if when is not None and byline.published and item.published is None:
            item.published = when
        self.mark(i, "meta", reason, item)

    # -- the walk ---------------------------------------------------------------------------
    def run(self) -> None:
        for i, label in enumerate(self.labels):
            b = self.blocks[i]
            if (
                self.context == LIST
                and self.html
                and self.list_region
                and (b.region_id != self.list_region)
            ):
                self.context, self.secondary = PAGE, None
            if label == "post":
                self.on_post(i)
            elif label == "page_header":
                self.mark(i, "furniture", b.reason)
            elif label == "list_end":
                self.mark(i, "furniture", b.reason)
                self.context, self.secondary, self.paused = PAGE, None, False
            elif label == "marker":
                self.open_list(i, str(self.parsed[i]))
            elif label == "list_header":
                self.drop_pending()
                self.mark(i, "furniture", b.reason)
                self.context, self.list_name = FURNITURE_LIST, str(self.parsed[i])
                self.paused = self.story is not None
            elif label == "furniture":
                self.mark(i, "furniture", b.reason)
                if self.context == LIST and b.reason == "screen-reader list text":
                    self.entry_starts = not is_list_end(b.text)
            elif (
                self.context == FURNITURE_LIST
                and (b.words <= 6 or label == "meta")
                and not (label == "meta" and self.next_significant(i) == "post")
            ):
                self.mark(i, "furniture", f"in the {self.list_name!r} list")
            else:
                if self.context == FURNITURE_LIST:
                    self.context = PAGE
                if self.context == LIST and self.in_list(i, label):
                    continue
                self.in_page(i, label)
        self.drop_pending()

    def open_list(self, i: int, name: str) -> None:
        self.drop_pending()
        b = self.blocks[i]
        self.mark(i, "furniture", b.reason)
        if not (self.context == LIST and self.secondary is None and name.startswith("list of")):
            self.list_name = name
        self.context, self.secondary = LIST, None
        self.list_region = b.region_id if self.html and b.region == "aside" else 0
        self.paused = self.story is not None

    def on_post(self, i: int) -> None:
        self.drop_pending()
        post: PostLine = self.parsed[i]
        date_from = "date line" if self.date_line is not None else None
        self.posts.append(PagePost(i, post, self.date_line, date_from))
        self.mark(i, "post", self.blocks[i].reason)
        self.story, self.secondary, self.context = None, None, PAGE

    def in_list(self, i: int, label: str) -> bool:
        """Handle block `i` inside a list of other stories; False when the list has ended
        and the block belongs to the page."""
        b = self.blocks[i]
        sec = self.secondary
        if label in ("heading", "body"):
            # In a list the shape settles it: a headline starts a teaser, a sentence is text;
            # after "list 2 of 4" comes a title.
            shape = _list_shape(b.text)
            if self.entry_starts or shape == "heading":
                label = "heading"
            elif shape == "body":
                label = "body"
            self.entry_starts = False
        if label == "heading":
            title, when = _title_and_date(b.text)
            if len(title.split()) < MIN_TEASER_WORDS:
                self.mark(i, "furniture", f"a kicker or label in the {self.list_name!r} list")
                return True
            sec = self.secondary = self.new_item("secondary")
            sec.section, sec.title, sec.title_block, sec.url = self.list_name, title, i, b.href
            sec.published = when
            self.mark(i, "title", f"a teaser's title, in the {self.list_name!r} list", sec)
            return True
        if label == "meta":
            if sec is not None:
                self.meta_into(sec, i, "the teaser's byline or date")
            else:
                self.mark(i, "furniture", "a date in a list, outside any teaser")
            return True
        # body
        headline = b.words <= 25 and not _SENTENCE_END.search(b.text)
        if headline and (sec is None or sec.blocks):
            # A headline taken for a sentence: no teaser is open, or the open one has its text.
            self.labels[i] = "heading"
            return self.in_list(i, "heading")
        if (
            sec is not None
            and len(sec.blocks) < MAX_EXCERPT_BLOCKS
            and b.words <= MAX_EXCERPT_WORDS
            and (not sec.blocks or b.words <= 30)
        ):
            sec.blocks.append(i)
            self.mark(i, "body", "the teaser's text", sec)
            return True
        if self.html and self.list_region:
            self.mark(i, "furniture", f"text in the {self.list_name!r} region, outside a teaser")
            return True
        self.context, self.secondary = PAGE, None
        return False

    def in_page(self, i: int, label: str) -> None:
        b = self.blocks[i]
        story = self.story
        if label == "heading":
            self.pending.append(i)
            return
        if label == "meta":
            byline: Byline = self.parsed[i]
            standalone = byline.cue == "date" and self.next_significant(i) == "post"
            running = story is not None and len(story.blocks) >= 2 and not self.has_posts
            if self.pending and running and byline.author is None and not standalone:
                # Inside a running story a heading over a date (a letter's date, a dated
                # update) is its text; only a byline naming an author starts another story.
                assert story is not None
                for j in [*self.pending, i]:
                    story.blocks.append(j)
                    self.mark(j, "body", "a heading or date inside the story's text", story)
                self.pending = []
            elif self.pending and self.in_header(story) and not standalone:
                # A byline after a few lines of notes or bullets under the title: the
                # story's own (the headings between are its text).
                assert story is not None
                for j in self.pending:
                    story.blocks.append(j)
                    self.mark(j, "body", "a line between the title and the byline", story)
                self.pending = []
                self.meta_into(story, i, "the story's byline or date")
            elif self.pending and not standalone:
                story = self.start_story(self.pending[-1])
                self.meta_into(story, i, "the story's byline or date")
            elif story is not None and len(story.blocks) <= 1 and not standalone:
                self.meta_into(story, i, "the story's byline or date")
            elif story is not None and story.blocks and not standalone:
                story.blocks.append(i)
                self.mark(i, "body", "a date line inside the story's text", story)
            else:
                if byline.date is not None:
                    self.date_line = byline.date
                self.story = None
                self.mark(i, "meta", "a date line outside any item (it dates the posts after it)")
            return
        # body
        if (
            self.pending
            and story is None
            and self.first_title not in self.pending
            and not self.adjacent(self.pending[-1], i)
        ):
            self.drop_pending()
        if self.pending:
            if story is None or self.is_repost_heading(self.pending[-1]):
                story = self.start_story(self.pending[-1])
            else:
                # Headings over text inside a running story: crossheads, list entries, a
                # subtitle under the byline; the title said again is furniture.
                for j in self.pending:
                    if story.title and normalize(self.blocks[j].text) == normalize(story.title):
                        self.mark(j, "furniture", "the story's title, repeated")
                        continue
                    story.blocks.append(j)
                    self.mark(j, "body", "a crosshead inside the story", story)
                self.pending = []
        elif story is not None and self.paused and b.words < RESUME_WORDS:
            # After a list, a short line is not the story going on: a notice, a trailer.
            self.mark(i, "furniture", "a short text after a list, outside any item")
            return
        elif story is None:
            if self.items and not self.has_posts and self.items[-1].kind != "secondary":
                story = self.story = self.items[-1]  # the story resumes after a list
            elif len(b.text) <= MAX_TITLE_CHARS and b.words <= 30 and self.byline_follows(i):
                # A headline written as a sentence: the byline under it makes it a title.
                self.pending.append(i)
                return
            else:
                story = self.start_story(None)
        self.paused = False
        story.blocks.append(i)
        reason = "in trafilatura's main text" if b.in_main else "the story's text"
        self.mark(i, "body", reason, story)

    def in_header(self, story: PageItem | None) -> bool:
        """Whether `story` is still in its header: titled, with no byline yet and fewer than
        `HEADER_WORDS` words of text (notes, bullets, a caption)."""
        return (
            story is not None
            and story.title is not None
            and not story.meta
            and not self.has_posts
            and sum(self.blocks[j].words for j in story.blocks) < HEADER_WORDS
        )

    def adjacent(self, title: int, i: int) -> bool:
        """Whether heading `title` can title a story whose first block is `i`: only bylines,
        dates and cue-list furniture (a share bar, "Save articles...") lie between them."""
        between = range(title + 1, i)
        return len(between) <= 4 and all(
            self.labels[j] in ("meta", "furniture")
            and not self.blocks[j].reason.startswith(
                ("shape", "classifier", "heading with no text")
            )
            for j in between
        )

    def is_repost_heading(self, i: int) -> bool:
        return self.has_posts and split_title_outlet(self.blocks[i].text) is not None


def _title_and_date(text: str) -> tuple[str, datetime | None]:
    """A list entry's title and the date written after it ("Who insures the dark fleet?
    November 15, 2022"), or the text and None."""
    found = trailing_date(text)
    if found is None:
        return text, None
    title, when = found
    return (title, when) if len(title.split()) >= MIN_TEASER_WORDS else (text, None)


def _list_shape(text: str) -> str | None:
    """``heading`` for a headline (at most 25 words, no closing full stop; a question of at
    most 15 words), ``body`` for a sentence of 8 words or more, else None."""
    words = len(text.split())
    ended = _SENTENCE_END.search(text.rstrip())
    if words <= 25 and (not ended or (text.rstrip().endswith("?") and words <= 15)):
        return "heading"
    if ended and words >= 8:
        return "body"
    return None


def _first_line_title(blocks: list[Block], labels: list[str], reasons: list[str]) -> int | None:
    """The page's first line is its title when no furniture cue holds for it and text
    follows it (see the module docstring); returns its index, or None."""
    if (
        labels
        and labels[0] in ("heading", "body", "furniture")
        and reasons[0].startswith(("classifier", "shape"))
        and len(blocks[0].text) <= MAX_TITLE_CHARS
        and len(labels) > 1
        and labels[1] in ("heading", "body", "meta")
        and "body" in labels[1:]
    ):
        # The layout of article corpora: the first line is the title, whatever follows it
        # (a caption, a standfirst, a note) before the text.
        labels[0], reasons[0] = "heading", "the page's first line: its title"
        return 0
    for i, label in enumerate(labels):
        learned = reasons[i].startswith(("classifier", "shape"))
        if i == 0 and label == "furniture" and learned:
            label = "heading"  # the very first line: a title the classifier found too short
        if label in ("furniture", "page_header", "list_header", "list_end", "marker"):
            continue
        if label not in ("heading", "body") or len(blocks[i].text) > MAX_TITLE_CHARS:
            return None
        following = [x for x in labels[i + 1 : i + 8] if x not in ("furniture", "page_header")]
        if following and following[0] in ("body", "meta") and learned:
            labels[i], reasons[i] = "heading", "the page's first line: its title"
            return i
        return None
    return None


def _classify(
    blocks: list[Block],
    labels: list[str | None],
    classifier: BlockClassifier | None,
) -> list[tuple[str, str]]:
    """Heading, body or furniture, with the reason, for the blocks the rules left."""
    todo = [i for i, label in enumerate(labels) if label is None]
    out: dict[int, tuple[str, str]] = {}
    if classifier is not None and todo:
        features = block_features([b.text for b in blocks], labels)[todo]
        for i, probs in zip(todo, classifier.predict_proba(features), strict=True):
            k = int(probs.argmax())
            out[i] = (CLASSES[k], f"classifier: {CLASSES[k]} (p={probs[k]:.2f})")
    else:
        for i in todo:
            cls = rule_block_class(blocks[i].text)
            out[i] = (cls, f"shape: {cls}")
    return [out.get(i, ("", "")) for i in range(len(blocks))]


def _html_hint(b: Block, title: str | None) -> tuple[str, str] | None:
    """What an HTML block's markup says, when it settles the label."""
    if title and normalize(b.text) == normalize(title):
        return "heading", "the page's title (its metadata)"
    if b.in_main:
        return "body", "in trafilatura's main text"
    if b.region == "nav":
        return "furniture", "in the page's navigation, header, footer or share bar"
    if b.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return "heading", f"a heading element <{b.tag}>"
    if b.region == "aside" and b.href and b.words >= 3:
        return "heading", "a link in a sidebar or list of stories"
    return None


def _drop_author_box(seg: Segmentation) -> None:
    """Lines at the end of the main story that name or describe its author are furniture, and
    so is the author's biography wherever it stands (after a list, inside a teaser)."""
    for item in seg.items:
        if item.kind != "main" or not item.author or len(item.blocks) < 3:
            continue
        names = {normalize(a) for a in re.split(r",|\band\b", item.author) if a.strip()}
        for other in seg.items:
            if other is item:
                continue
            for j in list(other.blocks):
                bio = _BIO.match(seg.blocks[j].text)
                if bio and normalize(bio["name"]) in names:
                    b = seg.blocks[j]
                    b.kind, b.reason, b.item = "furniture", "the author's biography", None
                    other.blocks.remove(j)
        kept = list(item.blocks)
        while kept:
            b = seg.blocks[kept[-1]]
            bio = _BIO.match(b.text)
            if normalize(b.text) in names or (bio and normalize(bio["name"]) in names):
                b.kind, b.reason, b.item = "furniture", "the author's name or biography", None
                kept.pop()
                continue
            break
        item.blocks = kept


def _keep_lists_in_text(seg: Segmentation) -> None:
    """Short lines the classifier (or the shape) took for furniture, and headings with no
    text, that sit between two text blocks of the same story are its text: a list of names or
    places, short quoted replies. Cue-list furniture (share prompts, "Advertisement") stays
    out."""
    for item in seg.items:
        if item.kind != "main" or len(item.blocks) < 2:
            continue
        first, last = min(item.blocks), max(item.blocks)
        inside = [
            b.index
            for b in seg.blocks[first : last + 1]
            if b.kind == "furniture"
            and b.item is None
            and b.reason.startswith(("classifier", "shape", "heading with no text"))
        ]
        for j in inside:
            b = seg.blocks[j]
            b.kind, b.reason, b.item = "body", "a short line inside the story's text", item.index
        item.blocks = sorted(item.blocks + inside)


def _drop_loose_text(seg: Segmentation) -> None:
    """A story with no title, no byline and fewer than 25 words (a tagline, a caption, a
    notice) is furniture."""
    for item in seg.items:
        if item.kind != "main" or item.title is not None or item.meta:
            continue
        if sum(seg.blocks[j].words for j in item.blocks) < 25:
            for j in item.blocks:
                b = seg.blocks[j]
                b.kind, b.reason, b.item = "furniture", "a short text outside any story", None
            item.blocks = []


def _kinds(seg: Segmentation, account: str | None) -> None:
    stories = [i for i in seg.items if i.kind == "main"]
    if not stories:
        return
    words = {i.index: sum(seg.blocks[j].words for j in i.blocks) for i in stories}
    for item in stories:
        if item.repost_heading and (seg.posts or account):
            item.kind, item.account = "repost", account
    own = [i for i in stories if i.kind == "main"]
    if not own:
        return
    top = max(own, key=lambda i: (words[i.index], -i.index))
    for item in own:
        if item is top:
            continue
        n = words[item.index]
        if not (n >= MAIN_SHARE * words[top.index] and n >= MIN_MAIN_WORDS):
            item.kind, item.section = "secondary", None


def segment_blocks(
    blocks: list[Block],
    *,
    title: str | None = None,
    html: bool = False,
    classifier: BlockClassifier | bool | None = True,
) -> Segmentation:
    """Label `blocks` and cut them into items (see the module docstring).

    `title` is the page's title when its metadata gives one (HTML); `html` says the blocks
    carry markup hints. `classifier`: True for the shipped block classifier, a
    `BlockClassifier`, or False/None for the rules alone.
    """
    model = load_block_classifier() if classifier is True else classifier or None
    ruled = [_rule(b.text) for b in blocks]
    labels: list[str | None] = []
    reasons: list[str] = []
    parsed: list[Any] = []
    for b, (label, reason, value) in zip(blocks, ruled, strict=True):
        hint = _html_hint(b, title) if html and label is None else None
        if hint is not None:
            label, reason = hint
        labels.append(label)
        reasons.append(reason)
        parsed.append(value)
    classified = _classify(blocks, labels, model)
    final: list[str] = []
    for i, label in enumerate(labels):
        if label is None:
            label, reasons[i] = classified[i]
        final.append(label)
    first_title = None if html else _first_line_title(blocks, final, reasons)
    for b, reason in zip(blocks, reasons, strict=True):
        b.reason = reason
    account = next((p["handle"] for p in parsed if isinstance(p, re.Match)), None)
    walk = _Walk(blocks, final, parsed, html)
    walk.first_title = first_title
    walk.has_posts = walk.has_posts or account is not None
    walk.run()
    seg = Segmentation(
        blocks, walk.items, walk.posts, account=account, classifier=model is not None
    )
    _keep_lists_in_text(seg)
    _drop_author_box(seg)
    _drop_loose_text(seg)
    if account is None and seg.posts:
        handles = {p.post.handle.lower() for p in seg.posts if p.post.handle}
        account = handles.pop() if len(handles) == 1 else None
    seg.account = account
    _kinds(seg, account)
    seg.items = [i for i in seg.items if i.blocks or i.title]
    for n, item in enumerate(seg.items):
        for j in (item.title_block, *item.meta, *item.blocks):
            if j is not None:
                blocks[j].item = n
        item.index = n
    seg.outlet = next(
        (
            o
            for b in reversed(blocks)
            if b.kind == "furniture"
            for o in [outlet_from_line(b.text)]
            if o
        ),
        None,
    )
    seg.date = next(
        (p.date for p, label in zip(parsed, final, strict=True) if label == "meta" and p.date),
        None,
    )
    return seg
