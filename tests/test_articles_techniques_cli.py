"""The techniques command for the task's scorers: classify given spans (--spans) from a
folder of article files or from the store, and write SI and TC files whose offsets are those
of the article files (the title included)."""

from __future__ import annotations

from pathlib import Path

from infoscope.articles.techniques import TECHNIQUES
from infoscope.articles.techniques import semeval as S

from .conftest import cli_json, run_cli

# A PTC-layout article written for this test: title, blank line, one sentence a line.
ARTICLE = (
    "Corrupt traitors betray our great nation\n\n"
    "The corrupt, treasonous traitors of the deep state are destroying our great nation!\n"
    "They are evil, disgusting liars and everyone knows it.\n"
    "The committee met on Tuesday to discuss the budget for the coming year.\n"
    "Wake up, America, before it is too late!\n"
)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "article123456789.txt").write_text(ARTICLE, encoding="utf-8")
    return folder


def test_spans_are_classified_from_a_folder_and_written_as_a_tc_submission(tmp_path):
    folder = _folder(tmp_path)
    start = ARTICLE.index("traitors")
    spans = tmp_path / "tc-input.txt"
    spans.write_text(
        f"123456789\t?\t{start}\t{start + 8}\n123456789\t?\t{start}\t{start + 8}\n",
        encoding="utf-8",
    )
    out = tmp_path / "tc.txt"
    result = run_cli("articles", "techniques", "--spans", str(spans), "--articles",
                     str(folder), "--tc-out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = S.read_span_file(out)
    assert [(r.article_id, r.start, r.end) for r in rows] == [("123456789", start, start + 8)] * 2
    # the same fragment listed twice gets its two most probable techniques
    assert rows[0].technique != rows[1].technique
    assert all(r.technique in TECHNIQUES for r in rows)
    result = run_cli("articles", "techniques", "--spans", str(spans), "--articles",
                     str(folder), "--si-out", str(tmp_path / "si.txt"))  # fmt: skip
    assert result.exit_code != 0 and "SI spans come from detection" in result.output


def test_detection_on_title_and_body_writes_file_offsets(tmp_path):
    folder = _folder(tmp_path)
    store = tmp_path / "s.duckdb"
    ingest = run_cli("articles", "ingest", str(folder / "article123456789.txt"),
                     "--store", str(store))  # fmt: skip
    assert ingest.exit_code == 0, ingest.output
    si, tc = tmp_path / "si.txt", tmp_path / "tc.txt"
    found = cli_json("articles", "techniques", "--store", str(store), "--threshold", "0.01",
                     "--si-out", str(si), "--tc-out", str(tc))  # fmt: skip
    assert found["spans"] > 0
    lines = [line.split("\t") for line in si.read_text(encoding="utf-8").splitlines()]
    assert lines and all(aid == "123456789" for aid, _, _ in lines)
    for _, s, e in lines:  # offsets of the file itself
        assert 0 <= int(s) < int(e) <= len(ARTICLE) and ARTICLE[int(s) : int(e)].strip()
    title_end = ARTICLE.index("\n")
    rows = S.read_span_file(tc)
    texts = {(r.start, r.end): ARTICLE[r.start : r.end] for r in rows}
    assert any(e <= title_end for _, e in texts)  # the title is read too
    # the same file from a folder gives the same spans without a store
    again = tmp_path / "si2.txt"
    result = run_cli("articles", "techniques", "--articles", str(folder), "--threshold",
                     "0.01", "--si-out", str(again))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert again.read_text(encoding="utf-8") == si.read_text(encoding="utf-8")
    # the given spans, classified from the store's copy of the article
    out = tmp_path / "tc2.txt"
    result = run_cli("articles", "techniques", "--store", str(store), "--spans", str(tc),
                     "--tc-out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [(r.start, r.end) for r in S.read_span_file(out)] == [(r.start, r.end) for r in rows]


def test_model_names_and_options_are_checked(tmp_path):
    folder = _folder(tmp_path)
    result = run_cli("articles", "techniques", "--articles", str(folder), "--model",
                     "roberta")  # fmt: skip
    assert result.exit_code != 0 and "unknown technique model 'roberta'" in result.output
    assert "fast, transformer" in result.output
    result = run_cli("articles", "techniques", "--articles", str(folder), "--threshold", "0.5",
                     "--per-1000-words", "3")  # fmt: skip
    assert result.exit_code != 0 and "not both" in result.output
