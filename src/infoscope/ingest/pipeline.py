"""The ingest pipeline: sources -> formats -> staged batches -> the store.

Records are gathered in batches (Arrow tables); each batch is finalised and stored in one
transaction:

1. rows without an id or a parsable date go to ``quarantine`` with the reason;
2. hashtags, mentions and URLs missing from the payload are extracted from the text, URLs are
   normalised, language names become ISO 639 codes;
3. repeats within the batch and posts already in the store are counted as duplicates and skipped
   (key: platform + post id), so ingesting a file twice adds nothing;
4. accounts are merged (a field already known is kept, a missing one is filled in).

An input file whose ingest completes is written to the ledger under its content hash, and is
skipped the next time. A file interrupted part-way is simply ingested again: the batches already
committed are recognised as duplicates.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from infoscope.errors import InfoscopeError, MissingColumnError, UnknownFormatError
from infoscope.ingest.formats import (
    Format,
    Quarantined,
    ReadContext,
    RecordFormat,
    TabularFormat,
    detect_format,
    get_format,
    sniff,
)
from infoscope.ingest.reading import Oversized, iter_csv_blocks, to_utf8
from infoscope.ingest.sources import Source, fingerprint, iter_sources
from infoscope.records import (
    ACCOUNT_SCHEMA,
    ARTICLE_SCHEMA,
    LABEL_SCHEMA,
    POST_SCHEMA,
    Account,
    Article,
    Post,
    record_to_row,
)
from infoscope.store import Store
from infoscope.text import install_sql_functions

DEFAULT_BATCH_ROWS = 250_000
_STAGE_EXTRA = [pa.field("_created_raw", pa.string()), pa.field("_raw_record", pa.string())]
STAGE_POST_SCHEMA = pa.schema([*POST_SCHEMA, *_STAGE_EXTRA])
QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string()),
        pa.field("source_line", pa.int64()),
        pa.field("source_record", pa.int64()),
        pa.field("format", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.string()),
        pa.field("ingest_run", pa.string()),
    ]
)
_QUARANTINE_RAW_LIMIT = 4096


@dataclass
class IngestSummary:
    """What an ingest did: counts of stored, duplicate and quarantined records."""

    run_id: str = ""
    files: list[str] = field(default_factory=list)
    formats: Counter[str] = field(default_factory=Counter)
    records: int = 0
    posts: int = 0
    accounts: int = 0
    labels: int = 0
    articles: int = 0
    duplicates: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    skipped_files: list[str] = field(default_factory=list)
    skipped_members: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "files": self.files,
            "formats": dict(self.formats),
            "records": self.records,
            "posts": self.posts,
            "accounts": self.accounts,
            "labels": self.labels,
            "articles": self.articles,
            "duplicates": self.duplicates,
            "quarantined": sum(self.quarantined.values()),
            "quarantined_by_reason": dict(self.quarantined),
            "skipped_files": self.skipped_files,
            "skipped_members": self.skipped_members,
            "seconds": round(self.seconds, 3),
        }


def _reason_key(reason: str) -> str:
    return reason.split(":", 1)[0]


class _Batch:
    """Records gathered for one store transaction."""

    def __init__(self) -> None:
        self.raw: dict[str, list[pa.Table]] = {}
        self.posts: list[dict[str, Any]] = []
        self.accounts: list[dict[str, Any]] = []
        self.labels: list[dict[str, Any]] = []
        self.articles: list[dict[str, Any]] = []
        self.quarantine: list[dict[str, Any]] = []
        self.rows = 0

    def add_quarantine(self, q: Quarantined, source: str, fmt: str, run_id: str) -> None:
        raw = q.raw
        if isinstance(raw, bytes):
            raw = raw[:_QUARANTINE_RAW_LIMIT].decode("utf-8", errors="replace")
        elif isinstance(raw, str):
            raw = raw[:_QUARANTINE_RAW_LIMIT]
        self.quarantine.append(
            {
                "source": source,
                "source_line": q.line,
                "source_record": q.record,
                "format": fmt,
                "reason": q.reason,
                "raw": raw,
                "ingest_run": run_id,
            }
        )
        self.rows += 1


class Ingester:
    """Ingests files into a store; see `ingest`."""

    def __init__(
        self,
        store: Store,
        ctx: ReadContext,
        *,
        format_name: str | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        progress: Callable[[int], None] | None = None,
    ):
        self.store = store
        self.ctx = ctx
        self.fixed_format = get_format(format_name) if format_name else None
        self.batch_rows = batch_rows
        self.progress = progress
        self.summary = IngestSummary(run_id=ctx.run_id)
        self.batch = _Batch()
        install_sql_functions(store.con)

    # -- reading ----------------------------------------------------------------------------
    def ingest_file(self, path: Path) -> None:
        fp = fingerprint(path)
        options = f"{self.fixed_format.name if self.fixed_format else ''}|{sorted(self.ctx.mapping.items())}|{self.ctx.encoding}|{self.ctx.delimiter}|{self.ctx.date_format}|{self.ctx.platform}"
        key = hashlib.sha256(f"{fp}|{options}".encode()).hexdigest()
        self.summary.files.append(str(path))
        done_by = self.store.ledger_has(key)
        if done_by is not None:
            self.summary.skipped_files.append(str(path))
            return
        formats_seen: set[str] = set()
        for source in iter_sources(path):
            fmt = self._format_for(source, is_member="!" in source.name)
            if fmt is None:
                self.summary.skipped_members.append(source.name)
                continue
            formats_seen.add(fmt.name)
            self.summary.formats[fmt.name] += 1
            if isinstance(fmt, TabularFormat):
                self._read_tabular(fmt, source)
            elif isinstance(fmt, RecordFormat):
                self._read_records(fmt, source)
        self.flush()
        self.store.ledger_add(key, str(path), fp, ",".join(sorted(formats_seen)), self.ctx.run_id)

    def _format_for(self, source: Source, *, is_member: bool) -> Format | None:
        if self.fixed_format is not None:
            if is_member and self.fixed_format.detect(sniff(source)) == 0:
                return None
            return self.fixed_format
        sn = sniff(source, delimiter=self.ctx.delimiter or ",")
        if is_member:
            if sn.kind == "empty":
                return None
            try:
                return detect_format(sn)
            except UnknownFormatError:
                # Archives hold README files and statistics next to the data; they are listed
                # in the summary as skipped members.
                return None
        return detect_format(sn)

    def _count(self, n: int) -> None:
        self.summary.records += n
        if self.progress is not None:
            self.progress(n)

    def _read_records(self, fmt: RecordFormat, source: Source) -> None:
        run_id = self.ctx.run_id
        batch = self.batch
        last_record = 0
        for item in fmt.parse(source, self.ctx):
            # A format may yield several records from one input record (a post and its
            # author): progress counts input records.
            record = item.record if isinstance(item, Quarantined) else _record_of(item)
            if record != last_record:
                last_record = record
                self._count(1)
            if isinstance(item, Quarantined):
                batch.add_quarantine(item, source.name, fmt.name, run_id)
            else:
                prov = item.provenance
                if prov is not None:
                    prov.run_id = run_id
                    prov.format = fmt.name
                row = record_to_row(item)
                if isinstance(item, Post):
                    batch.posts.append(row)
                elif isinstance(item, Account):
                    batch.accounts.append(row)
                    for key, value in item.labels.items():
                        label = {k: row[k] for k in ("platform", "account_id", *_PROV_COLS)}
                        label.update(label_key=key, label_value=value)
                        batch.labels.append(label)
                else:
                    batch.articles.append(row)
                batch.rows += 1
            if batch.rows >= self.batch_rows:
                self.flush()
                batch = self.batch

    def _read_tabular(self, fmt: TabularFormat, source: Source) -> None:
        stream = source.stream
        header_raw = stream.readline(self.ctx.max_record_bytes)
        header_text = to_utf8(header_raw, self.ctx.encoding, source.name, 1).decode("utf-8")
        delimiter = self.ctx.delimiter or fmt.delimiter
        columns = _header_columns(header_text, delimiter)
        required = fmt.required_columns(self.ctx)
        missing = sorted(required - set(columns))
        if missing:
            shown = ", ".join(columns[:10])
            hint = ""
            if len(columns) == 1 and any(sep in columns[0] for sep in ";\t|"):
                hint = " (is the delimiter right? pass --delimiter)"
            raise MissingColumnError(
                f"{source.name}: missing required column(s) {', '.join(missing)} for format "
                f"{fmt.name!r}; the header has: {shown}{hint}"
            )
        for part in iter_csv_blocks(stream, max_record_bytes=self.ctx.max_record_bytes):
            if isinstance(part, Oversized):
                self.batch.add_quarantine(
                    Quarantined(part.reason, part.preview, part.record, part.line),
                    source.name,
                    fmt.name,
                    self.ctx.run_id,
                )
                self._count(1)
                continue
            data = to_utf8(part.data, self.ctx.encoding, source.name, part.first_line)
            table = self._parse_block(fmt, source.name, columns, delimiter, data, part)
            if table is not None and table.num_rows:
                self.batch.raw.setdefault(fmt.name, []).append(table)
                self.batch.rows += table.num_rows
            self._count(part.records)
            if self.batch.rows >= self.batch_rows:
                self.flush()

    def _parse_block(
        self,
        fmt: TabularFormat,
        source_name: str,
        columns: list[str],
        delimiter: str,
        data: bytes,
        block: Any,
    ) -> pa.Table | None:
        invalid: list[Any] = []

        def on_invalid(row: Any) -> str:
            invalid.append(row)
            return "skip"

        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                column_names=columns, use_threads=False, block_size=len(data) + 1
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        n_total = table.num_rows + len(invalid)
        lines = block.record_lines()
        bad = {row.number for row in invalid}
        for row in invalid:
            idx = row.number - 1
            self.batch.add_quarantine(
                Quarantined(
                    f"expected {row.expected_columns} columns, found {row.actual_columns}",
                    row.text,
                    block.first_record + idx,
                    lines[idx] if idx < len(lines) else None,
                ),
                source_name,
                fmt.name,
                self.ctx.run_id,
            )
        if bad:
            positions = np.array([i for i in range(n_total) if i + 1 not in bad], dtype=np.int64)
        else:
            positions = np.arange(n_total, dtype=np.int64)
        line_arr = np.asarray(lines, dtype=np.int64)[positions] if len(lines) >= n_total else None
        table = table.append_column("_source", pa.array([source_name] * table.num_rows, pa.string()))
        table = table.append_column("_record", pa.array(positions + block.first_record))
        table = table.append_column(
            "_line", pa.array(line_arr if line_arr is not None else positions + block.first_line)
        )
        return table

    # -- storing ------------------------------------------------------------------------------
    def flush(self) -> None:
        batch = self.batch
        if not batch.rows:
            return
        self.batch = _Batch()
        con = self.store.con
        s = self.summary
        with self.store.transaction():
            staged_posts: list[str] = []
            staged_accounts: list[str] = []
            staged_labels: list[str] = []
            for name, tables in batch.raw.items():
                fmt = get_format(name) if self.fixed_format is None else self.fixed_format
                assert isinstance(fmt, TabularFormat)
                raw = pa.concat_tables(tables, promote_options="permissive")
                con.register("raw", raw)
                cols = tuple(c for c in raw.column_names if not c.startswith("_"))
                sql = fmt.stage_sql(cols, self.ctx)
                for kind, target in (
                    ("posts", staged_posts),
                    ("accounts", staged_accounts),
                    ("labels", staged_labels),
                ):
                    if kind in sql:
                        tname = f"stage_{kind}_{len(target)}"
                        con.execute(f"CREATE OR REPLACE TEMP TABLE {tname} AS {sql[kind]}")
                        target.append(tname)
                con.unregister("raw")
            if batch.posts:
                con.register(
                    "stage_posts_records",
                    pa.Table.from_pylist(batch.posts, schema=POST_SCHEMA),
                )
                staged_posts.append("stage_posts_records")
            if batch.accounts:
                con.register(
                    "stage_accounts_records",
                    pa.Table.from_pylist(batch.accounts, schema=ACCOUNT_SCHEMA),
                )
                staged_accounts.append("stage_accounts_records")
            if batch.labels:
                con.register(
                    "stage_labels_records", pa.Table.from_pylist(batch.labels, schema=LABEL_SCHEMA)
                )
                staged_labels.append("stage_labels_records")
            if batch.quarantine:
                con.register(
                    "stage_quarantine",
                    pa.Table.from_pylist(batch.quarantine, schema=QUARANTINE_SCHEMA),
                )
                self._store_quarantine("stage_quarantine")
                con.unregister("stage_quarantine")
            if staged_posts:
                self._store_posts(staged_posts)
            if staged_accounts:
                s.accounts += self._store_accounts(staged_accounts)
            if staged_labels:
                s.labels += self._store_labels(staged_labels)
            if batch.articles:
                con.register(
                    "stage_articles", pa.Table.from_pylist(batch.articles, schema=ARTICLE_SCHEMA)
                )
                s.articles += _count_of(
                    con.execute(
                        "INSERT INTO articles BY NAME SELECT * FROM stage_articles s WHERE NOT "
                        "EXISTS (SELECT 1 FROM articles a WHERE a.article_id = s.article_id) "
                        "QUALIFY row_number() OVER (PARTITION BY article_id) = 1"
                    )
                )
                con.unregister("stage_articles")
            for name in ("stage_posts_records", "stage_accounts_records", "stage_labels_records"):
                if name in staged_posts + staged_accounts + staged_labels:
                    con.unregister(name)
            for name in staged_posts + staged_accounts + staged_labels:
                if not name.endswith("_records"):
                    con.execute(f"DROP TABLE IF EXISTS {name}")

    def _store_quarantine(self, relation: str) -> None:
        con = self.store.con
        for (reason,) in con.execute(
            f"SELECT reason FROM {relation} q WHERE NOT EXISTS (SELECT 1 FROM quarantine x "
            "WHERE x.source = q.source AND x.source_record IS NOT DISTINCT FROM q.source_record)"
        ).fetchall():
            self.summary.quarantined[_reason_key(reason)] += 1
        con.execute(
            f"INSERT INTO quarantine BY NAME SELECT * FROM {relation} q WHERE NOT EXISTS "
            "(SELECT 1 FROM quarantine x WHERE x.source = q.source "
            "AND x.source_record IS NOT DISTINCT FROM q.source_record)"
        )

    def _store_posts(self, relations: list[str]) -> None:
        con = self.store.con
        cols = ", ".join(f.name for f in STAGE_POST_SCHEMA)
        union = " UNION ALL ".join(
            f"SELECT {_select_cols(con, r, STAGE_POST_SCHEMA)} FROM {r}" for r in relations
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE stage_all ({_ddl(STAGE_POST_SCHEMA)})")
        con.execute(f"INSERT INTO stage_all ({cols}) {union}")
        self._store_quarantine(
            "(SELECT source, source_line, source_record, format, "
            "CASE WHEN post_id IS NULL OR post_id = '' THEN 'missing post id' "
            "ELSE 'unparseable date: ' || coalesce(_created_raw, '(empty)') END AS reason, "
            "_raw_record AS raw, ingest_run FROM stage_all "
            "WHERE post_id IS NULL OR post_id = '' OR created_at IS NULL)"
        )
        lang_map = self._language_map()
        con.register("lang_map", lang_map)
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE batch_posts AS
            SELECT s.* EXCLUDE (_created_raw, _raw_record, hashtags, mentions, urls, lang),
                   coalesce(m.code, s.lang) AS lang,
                   coalesce(s.hashtags, is_hashtags(s.text)) AS hashtags,
                   coalesce(s.mentions, is_mentions(s.text)) AS mentions,
                   is_normalize_urls(coalesce(s.urls, is_urls(s.text))) AS urls
            FROM stage_all s LEFT JOIN lang_map m ON s.lang = m.raw
            WHERE s.post_id IS NOT NULL AND s.post_id <> '' AND s.created_at IS NOT NULL
            QUALIFY row_number() OVER (
                PARTITION BY s.platform, s.post_id ORDER BY s.source, s.source_record) = 1
            """
        )
        con.unregister("lang_map")
        valid = con.execute(
            "SELECT count(*) FROM stage_all WHERE post_id IS NOT NULL AND post_id <> '' "
            "AND created_at IS NOT NULL"
        ).fetchone()
        inserted = _count_of(
            con.execute(
                "INSERT INTO posts BY NAME SELECT * FROM batch_posts b WHERE NOT EXISTS "
                "(SELECT 1 FROM posts p WHERE p.platform = b.platform AND p.post_id = b.post_id)"
            )
        )
        self.summary.posts += inserted
        self.summary.duplicates += int(valid[0] if valid else 0) - inserted
        con.execute("DROP TABLE batch_posts")
        con.execute("DROP TABLE stage_all")

    def _language_map(self) -> pa.Table:
        from infoscope.langs import language_code

        names = [
            r[0]
            for r in self.store.con.execute(
                "SELECT DISTINCT lang FROM stage_all WHERE lang IS NOT NULL "
                "AND NOT regexp_full_match(lang, '[a-z]{2,3}(-[A-Za-z0-9]+)*')"
            ).fetchall()
        ]
        return pa.table(
            {"raw": pa.array(names, pa.string()), "code": [language_code(n) for n in names]}
        )

    def _store_accounts(self, relations: list[str]) -> int:
        con = self.store.con
        union = " UNION ALL ".join(
            f"SELECT {_select_cols(con, r, ACCOUNT_SCHEMA)} FROM {r}" for r in relations
        )
        value_cols = [f.name for f in ACCOUNT_SCHEMA if f.name not in ("platform", "account_id")]
        firsts = ", ".join(
            f"arg_min({c}, coalesce(source_record, 0)) FILTER (WHERE {c} IS NOT NULL) AS {c}"
            for c in value_cols
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE batch_accounts AS SELECT platform, account_id, {firsts} "
            f"FROM ({union}) WHERE account_id IS NOT NULL AND account_id <> '' GROUP BY ALL"
        )
        new = con.execute(
            "SELECT count(*) FROM batch_accounts b WHERE NOT EXISTS (SELECT 1 FROM accounts a "
            "WHERE a.platform = b.platform AND a.account_id = b.account_id)"
        ).fetchone()
        fill = ", ".join(f"{c} = coalesce(accounts.{c}, excluded.{c})" for c in value_cols)
        con.execute(
            f"INSERT INTO accounts BY NAME SELECT * FROM batch_accounts "
            f"ON CONFLICT (platform, account_id) DO UPDATE SET {fill}"
        )
        con.execute("DROP TABLE batch_accounts")
        return int(new[0]) if new else 0

    def _store_labels(self, relations: list[str]) -> int:
        con = self.store.con
        union = " UNION ALL ".join(
            f"SELECT {_select_cols(con, r, LABEL_SCHEMA)} FROM {r}" for r in relations
        )
        return _count_of(
            con.execute(
                f"INSERT INTO account_labels BY NAME SELECT * FROM ({union}) s "
                "WHERE s.label_value IS NOT NULL AND s.label_value <> '' AND NOT EXISTS ("
                "SELECT 1 FROM account_labels l WHERE l.platform = s.platform "
                "AND l.account_id = s.account_id AND l.label_key = s.label_key "
                "AND l.label_value = s.label_value) "
                "QUALIFY row_number() OVER (PARTITION BY platform, account_id, label_key, "
                "label_value ORDER BY source_record) = 1"
            )
        )


_PROV_COLS = ("source", "source_line", "source_record", "format", "ingest_run")
_DUCK = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "bool": "BOOLEAN",
    "timestamp[us, tz=UTC]": "TIMESTAMPTZ",
    "list<item: string>": "VARCHAR[]",
    "map<string, int64>": "MAP(VARCHAR, BIGINT)",
}


def _ddl(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name} {_DUCK[str(f.type)]}" for f in schema)


def _select_cols(con: Any, relation: str, schema: pa.Schema) -> str:
    """Select `schema`'s columns from `relation`, with NULL for those it lacks."""
    have = {r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()}
    return ", ".join(
        (f.name if f.name in have else f"NULL::{_DUCK[str(f.type)]} AS {f.name}") for f in schema
    )


def _count_of(cursor: Any) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def _header_columns(header: str, delimiter: str) -> list[str]:
    import csv

    names = next(csv.reader([header.lstrip("\ufeff").rstrip("\r\n")], delimiter=delimiter), [])
    seen: Counter[str] = Counter()
    out = []
    for i, name in enumerate(n.strip() for n in names):
        base = name or f"_c{i}"
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return out


def ingest(
    store: Store,
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    encoding: str = "utf-8",
    mapping: dict[str, str] | None = None,
    platform: str | None = None,
    delimiter: str | None = None,
    date_format: str | None = None,
    max_record_bytes: int | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Ingest files into `store` and return what was stored, skipped and quarantined.

    Formats are detected from each file's markers unless `format` names one (see
    `registered_formats()`). The run is recorded in the store's ``runs`` table.
    """
    from infoscope.ingest.formats import DEFAULT_MAX_RECORD_BYTES

    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.is_file():
            raise InfoscopeError(f"{p}: no such file")
    params = {
        "paths": [str(p) for p in paths],
        "format": format,
        "encoding": encoding,
        "mapping": mapping or {},
        "platform": platform,
        "delimiter": delimiter,
        "date_format": date_format,
        "max_record_bytes": max_record_bytes or DEFAULT_MAX_RECORD_BYTES,
    }
    input_fp = hashlib.sha256("".join(fingerprint(p) for p in paths).encode()).hexdigest()
    run_id = store.begin_run("ingest", params, input_fingerprint=input_fp)
    ctx = ReadContext(
        run_id=run_id,
        encoding=encoding,
        max_record_bytes=max_record_bytes or DEFAULT_MAX_RECORD_BYTES,
        platform=platform,
        mapping=mapping or {},
        date_format=date_format,
        delimiter=delimiter,
    )
    ingester = Ingester(store, ctx, format_name=format, batch_rows=batch_rows, progress=progress)
    started = time.perf_counter()
    status = "failed"
    try:
        for path in paths:
            ingester.ingest_file(path)
        status = "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        ingester.summary.seconds = time.perf_counter() - started
        store.end_run(run_id, status=status, counts=ingester.summary.as_dict())
    return ingester.summary


def _record_of(item: Post | Account | Article) -> int:
    return item.provenance.record if item.provenance is not None else 0
