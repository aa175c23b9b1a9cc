"""Bad-input cases run through the CLI, shared by ``tests/test_bad_input.py`` (which asserts
each outcome) and ``benchmarks/bad_inputs.py`` (which prints them as a table).

Every case starts from a store holding three good posts, runs one command on one bad input (or
on a damaged store), and reports the exit code, the message (the one stderr line of an error,
else the summary line that matters) and what became of the store: ``unchanged``, or what was
added (quarantined records, posts of the readable part) with the three good posts intact.
Inputs are a few bytes written at run time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from click.testing import CliRunner

IRA_HEADER = (
    "author_id,content,region,language,publish_date,harvested_date,following,followers,"
    "updates,post_type,retweet"
)


def ira_row(author: str, content: str, date: str, sep: str = ",") -> str:
    fields = [author, content, "US", "English", date, date, "1", "2", "3", "", "0"]
    return sep.join(fields)


def ira_csv(rows: int, *, author: str = "bad_acct", date: str = "2017-05-0{i} 10:00:00") -> str:
    body = [ira_row(author, f"tweet {i}", date.format(i=i)) for i in range(1, rows + 1)]
    return "\n".join([IRA_HEADER, *body]) + "\n"


def status_line(i: int) -> str:
    return json.dumps(
        {
            "id_str": str(i),
            "created_at": "Wed Oct 10 20:19:24 +0000 2018",
            "text": f"hello {i}",
            "user": {"id_str": "10", "screen_name": "alice"},
        }
    )


@dataclass
class Outcome:
    exit_code: int
    message: str
    store: str  # "unchanged", or what was added with the good posts intact
    intact: bool  # the good posts are all there, none duplicated


@dataclass
class Case:
    name: str
    # Writes the input under the folder and returns the CLI arguments (after the command's
    # --store, which the runner adds); may damage the store at the given path instead.
    build: Callable[[Path, Path], list[str]]
    exit_code: int
    needles: tuple[str, ...]
    store: str = "unchanged"  # or a prefix of the expected description
    # "full" or "read-only": the store lives on a small tmpfs of its own (mounting needs
    # root; the case is skipped where it is not allowed), made read-only before the command.
    disk: str | None = None


# Connections and processes a case holds while its command runs; released after it.
_HELD: list[Any] = []
_DISK_BYTES = 4 << 20


def _mount_tmpfs(where: Path) -> str | None:
    """Mount a small tmpfs at `where`; None, or why it cannot be."""
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        return "mounting a tmpfs needs root"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={_DISK_BYTES}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if done.returncode == 0 else f"cannot mount a tmpfs: {done.stderr.strip()}"


def _lock_from_this_process(folder: Path, store: Path) -> list[str]:
    _HELD.append(duckdb.connect(str(store), read_only=True))  # a notebook's open store
    return _ingest(_write(folder, "more.jsonl", status_line(900) + "\n"))


def _lock_from_another_process(folder: Path, store: Path) -> list[str]:
    ready = folder / "holder-ready"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, pathlib, sys, time\n"
         "con = duckdb.connect(sys.argv[1], read_only=True)\n"
         "pathlib.Path(sys.argv[2]).touch()\n"
         "time.sleep(120)",
         str(store), str(ready)],
    )  # fmt: skip
    _HELD.append(holder)
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline and holder.poll() is None:
        time.sleep(0.05)
    return _ingest(_write(folder, "more.jsonl", status_line(900) + "\n"))


def _more_than_the_disk_holds(folder: Path, store: Path) -> list[str]:
    lines = (
        json.dumps({"id": str(10**6 + i), "text": f"post {i} " + os.urandom(96).hex(),
                    "user": f"u{i % 500}", "t": "2021-03-01T10:00:00Z"})
        for i in range(40_000)
    )  # fmt: skip
    big = _write(folder, "big.jsonl", "\n".join(lines) + "\n")
    return _ingest(
        big, "--format", "generic-jsonl", "--map", "id=id,text=text,author=user,created_at=t"
    )


def _release() -> None:
    while _HELD:
        held = _HELD.pop()
        if isinstance(held, subprocess.Popen):
            held.kill()
            held.wait()
        else:
            held.close()


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _ingest(path: Path, *options: str) -> list[str]:
    return ["ingest", str(path), *options, "--quiet"]


def _truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def _tar_xz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# A CSV big enough that a cut compressed stream loses rows, not only its trailer.
_BIG_CSV = ira_csv(1, author="a").encode() + b"".join(
    (ira_row("bulk", f"bulk tweet number {i} " + os.urandom(24).hex(), "2017-06-01 10:00:00")
     + "\n").encode()
    for i in range(400)
)  # fmt: skip


def _store_damage(kind: str) -> Callable[[Path, Path], list[str]]:
    def build(folder: Path, store: Path) -> list[str]:
        if kind == "not duckdb":
            store.unlink()
            store.write_text("not a database\n")
        elif kind == "foreign":
            store.unlink()
            con = duckdb.connect(str(store))
            con.execute("CREATE TABLE measurements (x INTEGER)")
            con.close()
        elif kind == "future schema":
            con = duckdb.connect(str(store))
            con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
            con.close()
        elif kind == "truncated store":
            data = store.read_bytes()
            store.write_bytes(data[: len(data) // 3])
        good = _write(folder, "more.jsonl", status_line(900) + "\n")
        return _ingest(good)

    return build


CASES: list[Case] = [
    Case("empty file", lambda d, s: _ingest(_write(d, "empty.csv", b"")), 1, ("empty",)),
    Case(
        "binary file",
        lambda d, s: _ingest(_write(d, "photo.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)),
        1,
        ("photo.jpg", "binary data, not text"),
    ),
    Case(
        "truncated JSON Lines (last line cut)",
        lambda d, s: _ingest(_write(d, "cut.jsonl", status_line(1) + "\n" + status_line(2)[:40])),
        0,
        ("quarantined", "invalid JSON"),
        store="+1 posts, +1 quarantined",
    ),
    Case(
        "truncated JSON array",
        lambda d, s: _ingest(
            _write(d, "cut.json", "[" + status_line(1) + ",\n" + status_line(2)[:40])
        ),
        0,
        ("quarantined", "invalid JSON"),
        store="+1 posts, +1 quarantined",
    ),
    Case(
        "truncated CSV (cut inside a quoted field)",
        lambda d, s: _ingest(
            _write(d, "cut.csv", ira_csv(2) + 'bad_acct,"an unfinished quote, 2017')
        ),
        0,
        ("quarantined", "malformed CSV"),
        store="+2 posts, +1 quarantined",
    ),
    Case(
        "truncated .gz",
        lambda d, s: _ingest(_write(d, "cut.csv.gz", _truncated(gzip.compress(_BIG_CSV)))),
        1,
        ("cut.csv.gz", "truncated or corrupt", "download or copy it again"),
    ),
    Case(
        "corrupt .gz (bytes flipped)",
        lambda d, s: _ingest(
            _write(
                d,
                "flipped.csv.gz",
                (lambda b: b[:40] + bytes(x ^ 0xFF for x in b[40:80]) + b[80:])(
                    gzip.compress(_BIG_CSV)
                ),
            )
        ),
        1,
        ("flipped.csv.gz", "truncated or corrupt"),
    ),
    Case(
        "truncated .tar.xz",
        lambda d, s: _ingest(
            _write(d, "cut.tar.xz", _truncated(_tar_xz({"a.csv": _BIG_CSV, "b.csv": _BIG_CSV})))
        ),
        1,
        ("cut.tar.xz", "truncated or corrupt"),
    ),
    Case(
        "truncated .xz",
        lambda d, s: _ingest(_write(d, "cut.csv.xz", _truncated(lzma.compress(_BIG_CSV)))),
        1,
        ("cut.csv.xz", "truncated or corrupt"),
    ),
    Case(
        "truncated .zip",
        lambda d, s: _ingest(_write(d, "cut.zip", _truncated(_zip({"a.csv": _BIG_CSV})))),
        1,
        ("cut.zip", "truncated or corrupt"),
    ),
    Case(
        "wrong encoding (Latin-1 read as UTF-8)",
        lambda d, s: _ingest(
            _write(
                d,
                "latin1.csv",
                (IRA_HEADER + "\n" + ira_row("fr", "café", "2017-03-02 10:00:00") + "\n").encode(
                    "latin-1"
                ),
            )
        ),
        1,
        ("line 2", "not valid UTF-8", "--encoding latin-1"),
    ),
    Case(
        "unknown --encoding name",
        lambda d, s: _ingest(_write(d, "ok.csv", ira_csv(1)), "--encoding", "latin-9x"),
        1,
        ("unknown text encoding 'latin-9x'", "--encoding latin-1"),
    ),
    Case(
        "--encoding that is no text codec",
        lambda d, s: _ingest(_write(d, "ok.csv", ira_csv(1)), "--encoding", "base64"),
        1,
        ("unknown text encoding 'base64'",),
    ),
    Case(
        "UTF-16 file without --encoding",
        lambda d, s: _ingest(_write(d, "utf16.csv", ira_csv(1).encode("utf-16"))),
        1,
        ("utf16.csv", "UTF-16", "iconv"),
    ),
    Case(
        "--encoding utf-16",
        lambda d, s: _ingest(
            _write(d, "u.csv", ira_csv(1).encode("utf-16")), "--encoding", "utf-16"
        ),
        1,
        ("convert the file to UTF-8",),
    ),
    Case(
        "CSV forced through --format twitter-v2",
        lambda d, s: _ingest(_write(d, "tweets.csv", ira_csv(2)), "--format", "twitter-v2"),
        1,
        (
            "--format twitter-v2 reads JSON",
            "delimited text (CSV)",
            "'ira-by-author': drop --format",
        ),
    ),
    Case(
        "JSON Lines forced through --format ira-by-author",
        lambda d, s: _ingest(
            _write(d, "t.jsonl", status_line(1) + "\n"), "--format", "ira-by-author"
        ),
        1,
        ("missing required column(s)",),
    ),
    Case(
        "unknown --format name",
        lambda d, s: _ingest(_write(d, "ok.csv", ira_csv(1)), "--format", "twitter-v9"),
        2,
        ("twitter-v9",),
    ),
    Case(
        "';'-delimited CSV",
        lambda d, s: _ingest(_write(d, "semi.csv", ira_csv(1).replace(",", ";"))),
        1,
        ("';'-delimited", "--delimiter ';'"),
    ),
    Case(
        "required column missing",
        lambda d, s: _ingest(
            _write(d, "nodate.csv", "author_id,content\nx,hello\n"), "--format", "ira-by-author"
        ),
        1,
        ("missing required column(s) publish_date",),
    ),
    Case(
        "generic-csv without --map",
        lambda d, s: _ingest(_write(d, "any.csv", "a,b\n1,2\n"), "--format", "generic-csv"),
        1,
        ("--map",),
    ),
    Case(
        "no such file",
        lambda d, s: _ingest(d / "missing.csv"),
        1,
        ("missing.csv", "no such file or folder"),
    ),
    Case(
        "every date unparseable",
        lambda d, s: _ingest(_write(d, "dates.csv", ira_csv(3, date="soon {i}"))),
        1,
        ("3 of 3 records were quarantined: unparseable date (3)", "--date-format"),
        store="+3 quarantined",
    ),
    Case(
        "dates in another layout, --date-format given",
        lambda d, s: _ingest(
            _write(d, "eu.csv", ira_csv(3, date="0{i}.05.2017 10:00")),
            "--date-format",
            "%d.%m.%Y %H:%M",
        ),
        0,
        ("posts stored",),
        store="+3 posts",
    ),
    Case(
        "header only",
        lambda d, s: _ingest(_write(d, "header.csv", IRA_HEADER + "\n")),
        0,
        ("posts stored",),
    ),
    Case(
        "ids in float notation (5.70306E+17)",
        lambda d, s: _ingest(
            _write(
                d,
                "floats.csv",
                "tweet_id,name,text,tweet_created,tweet_location,user_timezone\n"
                "5.70306E+17,a,first tweet,24-02-2015 11:35,,\n"
                "5.70306E+17,b,second tweet,24-02-2015 11:35,,\n",
            )
        ),
        0,
        ("warning: 2 post ids could not be trusted",),
        store="+2 posts",
    ),
    Case(
        "a 50 MB field in one CSV row",
        lambda d, s: _ingest(
            _write(
                d,
                "huge.csv",
                ira_csv(2, author="fine", date="2017-05-1{i} 10:00:00")
                + ira_row("huge", "x" * (50 << 20), "2017-05-09 10:00:00")
                + "\n",
            )
        ),
        0,
        ("record too large: 1",),
        store="+2 posts, +1 quarantined",
    ),
    Case(
        "blank lines and rows of bare delimiters (a spreadsheet's CSV)",
        lambda d, s: _ingest(
            _write(
                d,
                "spaced.csv",
                "\n".join(
                    [
                        IRA_HEADER,
                        "",
                        ira_row("spaced", "first", "2017-06-01 10:00:00"),
                        "," * 10,
                        "",
                        ira_row("spaced", "second", "2017-06-02 10:00:00"),
                        "",
                    ]
                ),
            )
        ),
        0,
        ("blank rows skipped 3",),
        store="+2 posts",
    ),
    Case(
        "a 10 MB item in a JSON array",
        lambda d, s: _ingest(
            _write(
                d,
                "statuses.json",
                "["
                + status_line(902)
                + ","
                + status_line(901).replace("hello 901", "x" * (10 << 20))
                + "]",
            )
        ),
        0,
        ("record too large: 1",),
        store="+1 posts, +1 quarantined",
    ),
    Case(
        "a first JSON line longer than detection's 64 KiB head",
        lambda d, s: _ingest(
            _write(
                d,
                "long_first.jsonl",
                status_line(903).replace("hello 903", "y" * 100_000)
                + "\n"
                + status_line(904)
                + "\n",
            )
        ),
        0,
        ("posts stored 2",),
        store="+2 posts",
    ),
    Case(
        "store: held read-only by this process (a notebook)",
        _lock_from_this_process,
        1,
        ("already open read-only in this process", "close that store"),
    ),
    Case(
        "store: held read-only by another process",
        _lock_from_another_process,
        1,
        ("is locked by process", "close it or wait"),
    ),
    Case(
        "disk full under the store (4 MB tmpfs)",
        _more_than_the_disk_holds,
        1,
        ("no space left on the device", "running the command again"),
        disk="full",
    ),
    Case(
        "store: on a read-only file system",
        lambda d, s: _ingest(_write(d, "more.jsonl", status_line(900) + "\n")),
        1,
        ("read-only file system", "commands that only read it"),
        disk="read-only",
    ),
    Case("store: not a DuckDB file", _store_damage("not duckdb"), 1, ("cannot be opened",)),
    Case(
        "store: DuckDB file of another program",
        _store_damage("foreign"),
        1,
        ("not an infoscope store",),
    ),
    Case(
        "store: future schema version",
        _store_damage("future schema"),
        1,
        ("schema version 999", "--store NEW"),
    ),
    Case(
        "store: truncated file",
        _store_damage("truncated store"),
        1,
        ("the file is damaged", "--store"),
    ),
]


def _contents(store: Path) -> dict[str, Any] | None:
    try:
        con = duckdb.connect(str(store), read_only=True)
    except duckdb.Error:
        return None
    try:
        return {
            "posts": con.execute(
                "SELECT platform, post_id, text FROM posts ORDER BY ALL"
            ).fetchall(),
            "quarantine": con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0],
        }
    except duckdb.Error:
        return None
    finally:
        con.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def run_case(case: Case, folder: Path) -> Outcome:
    """Run one case in an empty `folder` and say what happened."""
    if case.disk is None:
        return _run_case(case, folder, folder / "store.duckdb")
    disk = folder / "disk"
    why = _mount_tmpfs(disk)
    if why is not None:
        return Outcome(-1, f"SKIPPED: {why}", "unchanged", True)
    try:
        return _run_case(case, folder, disk / "store.duckdb")
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def _run_case(case: Case, folder: Path, store: Path) -> Outcome:
    from infoscope.cli.main import cli

    runner = CliRunner()
    good = _write(folder, "good.csv", ira_csv(3, author="good_acct", date="2017-01-0{i} 10:00:00"))
    first = runner.invoke(cli, ["ingest", str(good), "--store", str(store), "--quiet"])
    assert first.exit_code == 0, first.output
    before = _contents(store)
    if case.disk == "read-only":
        subprocess.run(["mount", "-o", "remount,ro", str(store.parent)], check=True)
    try:
        args = case.build(folder, store)
        damaged = _digest(store)
        result = runner.invoke(cli, [*args, "--store", str(store)])
    finally:
        _release()
    if result.exit_code == 2:  # click's usage error: usage lines, then the error's line
        message = result.stderr.strip().splitlines()[-1]
    elif result.exit_code != 0:
        message = result.stderr.strip()
    else:
        # The summary lines that matter: those the case names, and the quarantine reasons.
        raw = result.stdout.splitlines()
        picked = [
            line.strip()
            for line in raw
            if (line.startswith("    ") and not line.startswith("     "))
            or any(n in " ".join(line.split()) for n in case.needles)
        ]
        message = "; ".join(" ".join(line.split()) for line in dict.fromkeys(picked)) or raw[-1]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        message = f"CRASH: {result.exception!r}"  # an uncaught exception: a traceback
    after = _contents(store)
    if case.name.startswith("store:"):
        unchanged = _digest(store) == damaged
        return Outcome(
            result.exit_code, message, "unchanged" if unchanged else "CHANGED", unchanged
        )
    assert before is not None
    if after is None:
        return Outcome(result.exit_code, message, "UNREADABLE", False)
    old, new = set(before["posts"]), after["posts"]
    intact = old <= set(new) and len(new) == len(set(new))
    added = []
    if len(new) != len(old):
        added.append(f"+{len(new) - len(old)} posts")
    if after["quarantine"] != before["quarantine"]:
        added.append(f"+{after['quarantine'] - before['quarantine']} quarantined")
    return Outcome(result.exit_code, message, ", ".join(added) or "unchanged", intact)
