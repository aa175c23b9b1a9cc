"""Article formats: html-article, html-aggregator, text-article, rss-feed; syndicated copies.

The fixtures under ``fixtures/articles`` are small pages and feeds written for these tests: a
news page full of boilerplate, a roundup page of three items, a blog page of repeated blocks,
a PTC-style text article, an RSS 2.0 and an Atom feed, a truncated feed, a page built by
scripts, and (``syndication/``) one wire story on two outlets plus another story of the same
agency on the same topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from infoscope.articles.syndication import link_syndicated
from infoscope.errors import InputEncodingError, UnknownFormatError
from infoscope.ingest import detect_format, get_format, ingest, sniff
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from .conftest import FIXTURES, rows, run_cli

ARTICLES = FIXTURES / "articles"
SYNDICATION = ARTICLES / "syndication"


def _articles(store: Store) -> list[dict[str, Any]]:
    """The articles a page is about (main items and reposts), not its teasers."""
    return rows(
        store,
        "SELECT * FROM articles WHERE item_kind <> 'secondary' ORDER BY source, source_record",
    )


def _secondary(store: Store) -> list[dict[str, Any]]:
    return rows(
        store,
        "SELECT a.*, l.target_id AS main_id FROM articles a JOIN article_links l "
        "ON l.article_id = a.article_id AND l.relation = 'secondary_of' "
        "WHERE a.item_kind = 'secondary' ORDER BY a.source, a.source_record",
    )


def _only(store: Store) -> dict[str, Any]:
    found = _articles(store)
    assert len(found) == 1, found
    return found[0]


def _detected(path: Path) -> str:
    (source,) = iter_sources(path)
    return detect_format(sniff(source)).name


# -- html-article ------------------------------------------------------------------------------
def test_news_page_keeps_the_story_and_drops_the_boilerplate(store):
    summary = ingest(store, [ARTICLES / "news_page.html"])
    assert summary.formats == {"html-article": 1} and summary.articles == 1
    article = _only(store)
    text = article["text"]
    for sentence in (
        "The Old Mill Bridge reopened to traffic on Thursday morning after two years of "
        "structural repairs",
        "Engineers replaced the corroded steel girders under the deck",
        "Mayor Henrik Aalto cut the ribbon shortly after eight o'clock",
        "Local shop owners on the eastern bank said the closure had halved their trade",
        "a new cycle lane will open on the northern side of the bridge in the summer.",
    ):
        assert sentence in text
    for boilerplate in (
        "cookie",  # the cookie banner and its button
        "Accept all",
        "Local News",  # navigation
        "Subscribe today",
        "Share on Facebook",  # share buttons
        "Email this story",
        "Continue reading",
        "42 comments",
        "Most read",  # related stories
        "Ferry timetable",
        "Copyright 2024",  # footer
        "Privacy policy",
        "Contact the newsroom",
    ):
        assert boilerplate.lower() not in text.lower(), boilerplate
    # The heading is the title, not the first line of the text.
    assert not text.startswith("Old Mill Bridge")
    assert article["title"] == "Old Mill Bridge reopens after two years of repairs"
    assert article["author"] == "Maria Lindqvist"
    assert article["published"] == datetime(2024, 3, 14, 8, 30, tzinfo=UTC)
    assert article["outlet"] == "The Harbour Herald"
    assert article["url"] == (
        "https://www.harbourherald.example/news/2024/03/old-mill-bridge-reopens"
    )
    # The id is the canonical URL in the normal form posts.urls uses.
    assert article["article_id"] == "harbourherald.example/news/2024/03/old-mill-bridge-reopens"
    assert article["lang"] == "en"
    assert (article["format"], article["source_record"], article["ingest_run"]) == (
        "html-article",
        1,
        summary.run_id,
    )
    assert orjson.loads(article["raw"])["date"] == "2024-03-14T09:30:00+0100"
    # The "Most read" links are secondary items of their own, linked to the story.
    teasers = _secondary(store)
    assert [(t["title"], t["url"], t["text"], t["main_id"]) for t in teasers] == [
        (
            "Ferry timetable changes announced for spring",
            "https://www.harbourherald.example/news/ferry",
            None,
            article["article_id"],
        ),
        (
            "Harbour United win the derby",
            "https://www.harbourherald.example/sport/derby",
            None,
            article["article_id"],
        ),
    ]
    assert summary.secondary_items == 2 and summary.article_links == 2


def test_page_without_canonical_url_gets_a_content_hash_id(store, tmp_path):
    page = (ARTICLES / "news_page.html").read_text(encoding="utf-8")
    page = "\n".join(
        line for line in page.splitlines() if "canonical" not in line and "og:url" not in line
    )
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    ingest(store, [tmp_path / "a.html"])
    article = _only(store)
    assert article["url"] is None
    assert article["article_id"].startswith("sha256:") and len(article["article_id"]) == 39
    # The same content under another file name is the same article.
    (tmp_path / "b.html").write_text(page, encoding="utf-8")
    again = ingest(store, [tmp_path / "b.html"])
    assert again.articles == 0 and len(_articles(store)) == 1


# -- html-aggregator ---------------------------------------------------------------------------
def test_aggregator_page_gives_one_article_per_item(store):
    summary = ingest(store, [ARTICLES / "aggregator.html"])
    assert summary.formats == {"html-aggregator": 1} and summary.articles == 3
    items = _articles(store)
    assert [(a["title"], a["author"], a["published"]) for a in items] == [
        (
            "River port expansion approved by regional assembly",
            "Jonas Berg",
            datetime(2024, 5, 2, 8, 15, tzinfo=UTC),
        ),
        (
            "Heatwave warning issued for the southern valleys",
            "Aino Virtanen",
            datetime(2024, 5, 3, 14, 40, tzinfo=UTC),
        ),
        (
            "Central library reopens with a new children's wing",
            "Pekka Laine",
            datetime(2024, 5, 4, 10, 0, tzinfo=UTC),
        ),
    ]
    assert [a["url"] for a in items] == [
        "https://northernwire.example/2024/05/02/river-port-expansion",
        "https://northernwire.example/2024/05/03/heatwave-warning",
        "https://northernwire.example/2024/05/04/library-reopens",
    ]
    assert [a["source_record"] for a in items] == [1, 2, 3]
    assert {a["outlet"] for a in items} == {"Northern Wire"}
    assert {a["lang"] for a in items} == {"en"}
    # Each item has its own body only; the reposted tweet stays in its item.
    assert "two new container berths" in items[0]["text"]
    assert "heatwave" not in items[0]["text"] and "library" not in items[0]["text"]
    assert "Stay hydrated and check on elderly neighbours" in items[1]["text"]
    assert "rooftop reading terrace" in items[2]["text"]
    for item in items:
        for boilerplate in ("Share on", "cookies", "Front page", "Privacy", item["title"]):
            assert boilerplate not in item["text"]
    raw = orjson.loads(items[1]["raw"])
    assert raw["item"] == 2 and raw["page_url"] == "https://northernwire.example/roundup"


def test_page_declared_as_one_article_is_not_split(tmp_path):
    # Long <article> teasers of related stories on a story's page: og:type says it is one.
    page = (ARTICLES / "aggregator.html").read_text(encoding="utf-8")
    assert 'content="website"' in page
    path = tmp_path / "story.html"
    path.write_text(page.replace('content="website"', 'content="article"'), encoding="utf-8")
    assert _detected(path) == "html-article"


def test_aggregator_format_splits_repeated_blocks(store):
    # No <article> elements: a page of <div class="post"> blocks is one article (detected),
    # and two with --format html-aggregator.
    assert _detected(ARTICLES / "blocks.html") == "html-article"
    summary = ingest(store, [ARTICLES / "blocks.html"], format="html-aggregator")
    assert summary.articles == 2
    items = _articles(store)
    assert [(a["title"], a["author"], a["published"], a["url"]) for a in items] == [
        (
            "Market square gets new trees",
            "Ilse Moor",
            datetime(2024, 4, 10, tzinfo=UTC),
            "https://townnotes.example/posts/market-square",
        ),
        (
            "Night bus returns on weekends",
            "Tom Rask",
            datetime(2024, 4, 12, tzinfo=UTC),
            "https://townnotes.example/posts/night-bus",
        ),
    ]
    assert items[0]["text"].startswith("Twelve lime trees were planted")
    assert "Archive" not in items[0]["text"] and "night bus" not in items[0]["text"]


def test_aggregator_format_on_a_page_without_items_quarantines_it(store, tmp_path):
    path = tmp_path / "plain.html"
    path.write_text(
        "<!doctype html><html><body><p>One paragraph and nothing else.</p></body></html>",
        encoding="utf-8",
    )
    summary = ingest(store, [path], format="html-aggregator")
    assert summary.articles == 0
    (q,) = rows(store, "SELECT reason, source FROM quarantine")
    assert q["reason"].startswith("no items") and q["source"] == str(path)


# -- text-article ------------------------------------------------------------------------------
def test_text_article_title_first_line_id_from_file_name(store):
    path = ARTICLES / "article999000001.txt"
    summary = ingest(store, [path])
    assert summary.formats == {"text-article": 1} and summary.articles == 1
    article = _only(store)
    assert article["article_id"] == "article999000001"
    assert article["title"] == "Harbour council votes to ban cruise ships from the old port"
    assert article["text"].startswith("The harbour council voted on Tuesday")
    assert article["text"].endswith("the quarter could no longer cope.")
    assert "\n" in article["text"]  # paragraphs kept
    assert article["lang"] == "en"
    assert (article["url"], article["outlet"], article["published"]) == (None, None, None)
    # Offsets into the whole file map onto the text by subtracting body_offset.
    offset = orjson.loads(article["raw"])["body_offset"]
    whole = path.read_text(encoding="utf-8")
    assert whole[offset : offset + len(article["text"])] == article["text"]


def test_text_article_with_format_option_and_its_quarantines(tmp_path):
    short = tmp_path / "note.md"
    short.write_text("A short note\n\nJust two sentences. Nothing more.\n", encoding="utf-8")
    title_only = tmp_path / "headline.txt"
    title_only.write_text("\n  Only a headline here  \n\n", encoding="utf-8")
    out = str(tmp_path / "cli.duckdb")
    files = [str(short), str(title_only)]
    result = run_cli("ingest", *files, "--format", "text-article", "--store", out, "--quiet")
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "cli.duckdb") as cli_store:
        (article,) = _articles(cli_store)
        assert (article["article_id"], article["title"], article["text"]) == (
            "note",
            "A short note",
            "Just two sentences. Nothing more.",
        )
        (q,) = rows(cli_store, "SELECT reason, raw FROM quarantine")
        assert q["reason"] == "no text after the title line" and "Only a headline" in q["raw"]


def test_text_article_not_in_the_declared_encoding_is_refused(store, tmp_path):
    path = tmp_path / "article1.txt"
    path.write_bytes("Überschrift\n\nDer Text der Meldung, ganz kurz.\n".encode("latin-1"))
    with pytest.raises(InputEncodingError, match="--encoding"):
        ingest(store, [path], format="text-article")
    ingest(store, [path], format="text-article", encoding="latin-1")
    assert _only(store)["title"] == "Überschrift"


# -- rss-feed ----------------------------------------------------------------------------------
def test_rss_feed_one_article_per_entry(store):
    summary = ingest(store, [ARTICLES / "feed.rss"])
    assert summary.formats == {"rss-feed": 1} and summary.articles == 2
    first, second = _articles(store)
    assert first["title"] == "Fishing quotas cut for the third year running"
    assert first["author"] == "Sara Holm"
    assert first["published"] == datetime(2024, 6, 10, 5, 45, tzinfo=UTC)
    assert first["outlet"] == "Coastal Times"
    assert first["lang"] == "en"  # declared en-gb
    # The link as given; the id without its tracking parameters.
    assert first["url"].endswith("fishing-quotas?utm_source=rss&utm_medium=feed")
    assert first["article_id"] == "coastaltimes.example/2024/06/10/fishing-quotas"
    # The full content rather than the summary, as plain text, one paragraph a line.
    assert first["text"] == (
        "Cod quotas in the northern zone will be cut by 18 percent, the ministry said on "
        "Monday, the third reduction in as many years.\n"
        "Fishing associations called the decision a blow to small harbours, while marine "
        "scientists welcomed it as overdue."
    )
    raw = orjson.loads(first["raw"])
    assert raw["id"] == "coastal-1001" and raw["categories"] == ["Fisheries"]
    assert raw["summary"].startswith("Cod quotas") and "<" not in raw["summary"]
    assert second["title"] == "Lighthouse museum opens for the summer season"
    assert second["text"].startswith("The restored lighthouse on Gull Point")
    assert second["published"] == datetime(2024, 6, 11, 12, 0, tzinfo=UTC)
    assert second["author"] == "Erik Dahl"


def test_atom_feed(store):
    summary = ingest(store, [ARTICLES / "feed.atom"])
    assert summary.formats == {"rss-feed": 1}
    entry = _only(store)
    assert entry["title"] == "Neue Seilbahn am Hochkogel eröffnet"
    assert entry["url"] == "https://bergpost.example/2024/07/seilbahn-hochkogel"
    assert entry["author"] == "Lena Gruber"
    assert entry["published"] == datetime(2024, 7, 1, 14, 20, tzinfo=UTC)
    assert entry["outlet"] == "Bergpost"
    assert entry["lang"] == "de"
    assert entry["text"].startswith("Die neue Seilbahn am Hochkogel hat am Montag")
    assert "<p>" not in entry["text"] and "Kurzfassung" not in entry["text"]


# -- detection ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("news_page.html", "html-article"),
        ("script_only.html", "html-article"),
        ("aggregator.html", "html-aggregator"),
        ("article999000001.txt", "text-article"),
        ("feed.rss", "rss-feed"),
        ("feed.atom", "rss-feed"),
        ("truncated_feed.rss", "rss-feed"),
        ("syndication/plains_courier.html", "html-article"),
    ],
)
def test_detection(name, expected):
    assert _detected(ARTICLES / name) == expected


def test_detection_markers_and_what_is_not_an_article(tmp_path):
    body = " ".join(["The story goes on with more words."] * 8)

    def write(name: str, content: str) -> Path:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        return path

    # Markers after a prolog: XML declaration, stylesheet instruction, comment, doctype.
    rdf = write(
        "rdf.xml",
        '<?xml version="1.0"?>\n<?xml-stylesheet href="s.xsl"?>\n<!-- feed -->\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>',
    )
    assert _detected(rdf) == "rss-feed"
    xhtml = write(
        "page.xhtml",
        '<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p></body></html>',
    )
    assert _detected(xhtml) == "html-article"
    assert _detected(write("lower.html", "\ufeff  <html><body>x</body></html>")) == "html-article"
    # A .txt file is a text article only with a body after the title ...
    assert _detected(write("story.txt", f"A headline\n\n{body}\n")) == "text-article"
    for path in (
        write("notes.txt", "lorem ipsum dolor sit amet\nconsectetur adipiscing\n"),
        # ... not documentation, a table, markup, or another suffix.
        write("README.txt", f"About this dataset\n\n{body}\n"),
        write("table.txt", "a;b;c\n1;2;3\n4;5;6\n7;8;9\n" + f"{body}\n"),
        write("page.txt", f"<div>A headline</div>\n{body}\n"),
        write("story.text", f"A headline\n\n{body}\n"),
    ):
        with pytest.raises(UnknownFormatError, match="cannot detect the format"):
            _detected(path)
    # Text mentioning <html> later on is not HTML.
    with pytest.raises(UnknownFormatError):
        _detected(write("mention.md", "Use the <html> element\nlike this\n"))


# -- malformed input ---------------------------------------------------------------------------
def test_page_without_article_text_is_quarantined_not_dropped(store):
    summary = ingest(store, [ARTICLES / "script_only.html"])
    assert summary.articles == 0 and sum(summary.quarantined.values()) == 1
    (q,) = rows(store, "SELECT * FROM quarantine")
    assert q["reason"].startswith("no article text found in the page")
    assert q["format"] == "html-article" and q["source_record"] == 1
    assert q["source"] == str(ARTICLES / "script_only.html") and '<div id="root">' in q["raw"]


def test_truncated_feed_keeps_entries_and_quarantines_the_damage(store):
    summary = ingest(store, [ARTICLES / "truncated_feed.rss"])
    assert summary.articles == 1
    assert _only(store)["title"] == "Ferry strike called off after pay deal"
    (q,) = rows(store, "SELECT * FROM quarantine")
    assert q["reason"].startswith("malformed feed: ") and "no element found" in q["reason"]
    assert q["source_record"] == 2 and "Harvest festival" in q["raw"]


def test_feed_with_no_readable_entry_is_quarantined_whole(store, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text('<?xml version="1.0"?>\n<rss version="2.0"><channel><ti', encoding="utf-8")
    summary = ingest(store, [path])
    assert summary.formats == {"rss-feed": 1} and summary.articles == 0
    (q,) = rows(store, "SELECT reason, source_record, raw FROM quarantine")
    assert q["reason"].startswith("malformed feed") and "no entry could be read" in q["reason"]
    assert q["source_record"] == 1 and q["raw"].startswith("<?xml")


def test_document_over_the_record_limit_is_quarantined(store):
    summary = ingest(store, [ARTICLES / "news_page.html"], max_record_bytes=1024)
    assert summary.articles == 0
    (q,) = rows(store, "SELECT reason FROM quarantine")
    assert q["reason"].startswith("record too large") and "--max-record-bytes" in q["reason"]


# -- duplicates --------------------------------------------------------------------------------
def test_ingesting_the_same_files_twice_stores_nothing_twice(store, tmp_path):
    files = [ARTICLES / n for n in ("news_page.html", "aggregator.html", "feed.rss")]
    files.append(ARTICLES / "article999000001.txt")
    first = ingest(store, files)
    assert first.articles == 7
    before = rows(store, "SELECT article_id, source, ingest_run FROM articles ORDER BY 1")
    again = ingest(store, files)
    assert again.articles == 0 and again.skipped_files == [str(f) for f in files]
    # The same articles in files that differ (saved again, a byte more): read again, and
    # every article is a duplicate.
    copies = []
    for f in files:
        copy = tmp_path / f.name
        copy.write_bytes(f.read_bytes() + b"\n")
        copies.append(copy)
    third = ingest(store, copies)
    # 7 articles and the news page's 2 teasers ("Most read"), each a record of its page.
    assert third.records == first.records == 9
    assert third.articles == 0 and not third.skipped_files
    assert rows(store, "SELECT article_id, source, ingest_run FROM articles ORDER BY 1") == before


# -- syndicated copies -------------------------------------------------------------------------
def test_syndicated_copies_are_linked_and_other_stories_are_not(store):
    ingest(store, sorted(SYNDICATION.glob("*.html")))
    ingest(store, [ARTICLES / "news_page.html", ARTICLES / "feed.rss"])
    before = {t: store.count(t) for t in ("articles", "quarantine")}
    links = link_syndicated(store)
    assert links.column_names == ["article_id", "group_id", "similarity"]
    gazette = "valleygazette.example/farming/drought-cattle-sales"
    courier = "plainscourier.example/news/2024/08/20/farmers-sell-herds-drought"
    assert sorted(links.column("article_id").to_pylist()) == sorted([gazette, courier])
    assert set(links.column("group_id").to_pylist()) == {min(gazette, courier)}
    assert all(0.8 <= s < 1.0 for s in links.column("similarity").to_pylist())
    # The agency's other drought story is not a copy; nothing was written to the store.
    assert (
        "valleygazette.example/region/villages-ration-water"
        not in links.column("article_id").to_pylist()
    )
    assert {t: store.count(t) for t in before} == before
    # A threshold above the copies' similarity links nothing.
    assert link_syndicated(store, threshold=0.99).num_rows == 0


def test_link_syndicated_on_an_empty_store(store):
    links = link_syndicated(store)
    assert links.num_rows == 0 and links.column_names == ["article_id", "group_id", "similarity"]


def test_formats_are_registered():
    for name in ("html-article", "html-aggregator", "text-article", "rss-feed"):
        assert get_format(name).name == name
