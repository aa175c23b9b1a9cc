"""IRA by-author redistribution: per-author CSVs and authors.csv, read from archives."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from infoscope.ingest import ingest

from .conftest import FIXTURES, rows

FIX = FIXTURES / "ira_by_author"


def _tar(tmp_path: Path, compression: str) -> Path:
    """Pack the fixture directory as the real archive is packed (a top folder, one CSV per
    author, authors.csv, and a statistics file that is not a record format)."""
    out = tmp_path / f"ira.tar.{compression}"
    with tarfile.open(out, f"w:{compression}") as tar:
        for f in sorted(FIX.iterdir()):
            tar.add(f, arcname=f"ira-tweets-by-author/{f.name}")
    return out


def test_archive_ingest_maps_posts_accounts_and_labels(store, tmp_path):
    summary = ingest(store, [_tar(tmp_path, "xz")])
    # alice.csv: 4 rows, one an exact repeat of another (a duplicate);
    # boris.csv: 2 rows, one with an unparseable date (quarantined).
    assert summary.posts == 4
    assert summary.duplicates == 1
    assert dict(summary.quarantined) == {"unparseable date": 1}
    assert summary.skipped_members == [
        f"{tmp_path}/ira.tar.xz!ira-tweets-by-author/authors_tweet_language_counts.csv"
    ]
    kinds = {
        r["text"]: (r["kind"], r["ref_account_handle"]) for r in rows(store, "SELECT * FROM posts")
    }
    # IRA retweets carry no original author: kind is retweet, the referenced account unknown.
    assert kinds["Hurricane news #FEMA https://t.co/AbC123"] == ("retweet", None)
    assert kinds["Look at this https://t.co/Xyz9"][0] == "quote"
    post = rows(store, "SELECT * FROM posts WHERE text LIKE 'Привет%'")[0]
    assert post["lang"] == "ru"
    assert post["hashtags"] == ["москва"]
    assert post["mentions"] == ["alice_w"]
    assert post["created_at"].isoformat() == "2016-03-01T10:00:00+00:00"
    labels = {
        (r["account_id"], r["label_key"]): r["label_value"]
        for r in rows(store, "SELECT * FROM account_labels")
    }
    assert labels[("@alice_w", "account_category")] == "RightTroll"
    assert labels[("@boris_k", "account_category")] == "NonEnglish"
    acct = rows(store, "SELECT * FROM accounts WHERE account_id = '@alice_w'")[0]
    assert acct["followers"] == 120  # the latest snapshot
    q = rows(store, "SELECT * FROM quarantine")[0]
    assert q["source"].endswith("!ira-tweets-by-author/boris_k.csv")
    assert q["source_line"] == 3 and "not-a-date" in q["reason"]


def test_gzip_tar_and_plain_file_give_the_same_posts(store, tmp_path):
    ingest(store, [_tar(tmp_path, "gz")])
    before = rows(store, "SELECT post_id FROM posts ORDER BY 1")
    summary = ingest(store, [FIX / "alice_w.csv"])
    assert summary.posts == 0 and summary.duplicates == 4
    assert rows(store, "SELECT post_id FROM posts ORDER BY 1") == before


def test_second_ingest_of_same_file_is_skipped(store, tmp_path):
    archive = _tar(tmp_path, "xz")
    ingest(store, [archive])
    counts = rows(
        store, "SELECT (SELECT count(*) FROM posts) p, (SELECT count(*) FROM quarantine) q"
    )
    again = ingest(store, [archive])
    assert again.skipped_files == [str(archive)] and again.posts == 0
    assert (
        rows(store, "SELECT (SELECT count(*) FROM posts) p, (SELECT count(*) FROM quarantine) q")
        == counts
    )


def test_tar_member_streams_are_read_in_order():

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in ("a.csv", "b.csv"):
            data = f"x,y\n{name},1\n".encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert buf.getvalue()[257:262] == b"ustar"
