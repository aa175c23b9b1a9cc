"""The task's SI metric on hand-made spans (the official scorer's definition), the task's
files (TC input and submissions, SI submission), and the article documents whose offsets
match the source files."""

from __future__ import annotations

import io
import json

import pytest

from infoscope.articles import techniques as T
from infoscope.articles.techniques import semeval as S
from infoscope.errors import BadParameterError

# -- SI, as the task's scorer computes it --------------------------------------------------
# precision = sum over predicted p, gold g of |p & g| / |p|, over the number of predicted
# spans; recall = the same sum of |p & g| / |g| over the number of gold spans; overlapping
# spans of an article are merged first (gold always; predictions as with the scorer's -m).


@pytest.mark.parametrize(
    ("predicted", "gold", "precision", "recall"),
    [
        # half of each span overlaps
        ({"a": [(0, 10)]}, {"a": [(5, 15)]}, 0.5, 0.5),
        # one long prediction over two gold spans: each gold span fully recalled
        ({"a": [(0, 20)]}, {"a": [(0, 5), (10, 15)]}, (5 / 20 + 5 / 20) / 1, (1 + 1) / 2),
        # two techniques on overlapping gold fragments count as one gold span
        ({"a": [(0, 15)]}, {"a": [(0, 10), (5, 15)]}, 1.0, 1.0),
        # a gold article without predictions adds to the recall denominator only
        ({"a": [(0, 4)]}, {"a": [(0, 4)], "b": [(0, 8)]}, 1.0, 0.5),
        # a prediction in an article without gold adds to the precision denominator only
        ({"a": [(0, 4)], "b": [(2, 6)]}, {"a": [(0, 4)]}, 0.5, 1.0),
        # predictions touching without overlap stay two spans, each fully inside gold
        ({"a": [(0, 3), (3, 6)]}, {"a": [(0, 6)]}, 1.0, (3 / 6 + 3 / 6) / 1),
    ],
)
def test_si_score_follows_the_task_scorer(predicted, gold, precision, recall):
    score = T.si_score(predicted, gold)
    assert score["precision"] == pytest.approx(precision)
    assert score["recall"] == pytest.approx(recall)
    f1 = 2 * precision * recall / (precision + recall)
    assert score["f1"] == pytest.approx(f1)


def test_si_score_edge_cases():
    assert T.si_score({}, {})["f1"] == 1.0  # nothing to find, nothing found (the scorer's rule)
    assert T.si_score({"a": []}, {"a": [(0, 5)]})["f1"] == 0.0
    assert T.si_score({"a": [(0, 5)]}, {})["precision"] == 0.0


# -- the task's files ------------------------------------------------------------------------


def test_span_files_round_trip_and_errors(tmp_path):
    path = tmp_path / "tc.txt"
    path.write_text("111\t?\t0\t5\n\n111\tDoubt\t7\t9\n", encoding="utf-8")
    rows = S.read_span_file(path)
    assert rows == [S.SpanRow("111", "?", 0, 5), S.SpanRow("111", "Doubt", 7, 9)]
    out = io.StringIO()
    S.write_tc_file(out, rows, ["Slogans", "Doubt"])
    assert out.getvalue() == "111\tSlogans\t0\t5\n111\tDoubt\t7\t9\n"
    bad = tmp_path / "bad.txt"
    bad.write_text("111\t?\t0\n", encoding="utf-8")
    with pytest.raises(BadParameterError, match=r"bad\.txt:1: expected 4 tab-separated"):
        S.read_span_file(bad)
    bad.write_text("111\t?\t9\t3\n", encoding="utf-8")
    with pytest.raises(BadParameterError, match="bad span 9-3"):
        S.read_span_file(bad)


def test_si_file_merges_overlaps_and_uses_task_ids():
    out = io.StringIO()
    n = S.write_si_file(out, [("article12", 5, 9), ("article12", 0, 6), ("article3", 1, 2)])
    # the scorer refuses overlapping spans of an article: they are merged
    assert out.getvalue() == "3\t1\t2\n12\t0\t9\n" and n == 2
    assert S.semeval_id("article111111111") == "111111111"
    assert S.semeval_id("some-page") == "some-page"


def test_classify_span_rows_gives_repeated_fragments_their_next_technique():
    class Fixed:  # a model that ranks the same techniques for every fragment
        def classify_spans(self, text, spans):
            return [{"technique": "A", "confidence": 0.7, "ranking": ["A", "B", "C"]}] * len(spans)

    rows = [S.SpanRow("1", "?", 0, 4), S.SpanRow("1", "?", 0, 4), S.SpanRow("1", "?", 5, 8)]
    found = S.classify_span_rows(Fixed(), {"1": "abcd efgh"}, rows)
    assert [f["technique"] for f in found] == ["A", "B", "A"]
    with pytest.raises(BadParameterError, match="no text for article 2"):
        S.classify_span_rows(Fixed(), {"1": "abcd"}, [S.SpanRow("2", "?", 0, 1)])
    with pytest.raises(BadParameterError, match="past its end"):
        S.classify_span_rows(Fixed(), {"1": "abcd"}, [S.SpanRow("1", "?", 0, 9)])


# -- documents and file offsets ------------------------------------------------------------

# A PTC-like file: title, blank line, body; the importer keeps title, text and body_offset.
FILE = "Big news today\n\nFirst line of the body.\nSecond line.\n"


def test_offsets_of_title_and_body_map_back_to_the_file():
    title, body_offset = "Big news today", FILE.index("First")
    text = FILE[body_offset:].rstrip()
    raw = json.dumps({"body_offset": body_offset})
    doc, at = S.article_document(title, text)
    assert doc == FILE.rstrip() and at == body_offset  # the PTC layout is the document
    # a span of the title: negative offsets from the start of text
    s, e = doc.index("news") - at, doc.index("news") - at + 4
    assert s < 0 and S.to_file_offsets(s, e, raw) == (FILE.index("news"), FILE.index("news") + 4)
    s = text.index("Second")
    assert S.to_file_offsets(s, s + 6, raw) == (FILE.index("Second"), FILE.index("Second") + 6)
    assert S.aligned_document(title, text, raw) == FILE.rstrip()
    # without file offsets (an HTML page): the document's own offsets
    assert S.to_file_offsets(-5, -1, None) == (-5, -1)


def test_dropped_lines_inside_the_text_are_skipped_with_segments():
    page = "Title\n\nKept one.\nShare this story!\nKept two.\n"
    text = "Kept one.\nKept two."  # the importer dropped the share prompt
    first, second = page.index("Kept one."), page.index("Kept two.")
    raw = {"body_offset": first, "segments": [[0, first, 9], [10, second, 9]]}
    s = text.index("two")
    assert S.to_file_offsets(s, s + 3, raw) == (page.index("two"), page.index("two") + 3)
    aligned = S.aligned_document("Title", text, raw)
    assert aligned[second : second + 9] == "Kept two." and aligned[:5] == "Title"
