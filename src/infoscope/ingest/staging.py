"""Finalising staged records into the store, in SQL, one relation at a time.

A staged relation has the columns of its canonical schema (missing ones read as NULL). Posts:

1. rows without an id or a parsable date go to ``quarantine`` with the reason and the raw row;
2. hashtags, mentions and URLs the payload does not give are extracted from the text, URLs are
   normalised (`infoscope.text`), language names become ISO 639 codes (`infoscope.langs`);
3. repeats within the relation and posts already stored are counted as duplicates and skipped
   (key: platform + post id).

Ids that cannot be trusted are never merged on. A tabular format gives the id as written
(``_id_raw``) and may flag ids it knows to be rounded (``_id_suspect``); an id is untrusted when
it is flagged, when it was written in float or scientific notation with more digits than a
float holds exactly (``5.70306E+17``: a spreadsheet kept 6 of its 18 digits), or when rows of
the relation share it with different texts. Such a post is keyed by its id, ``-`` and 8 hex
digits of the MD5 of its lower-case handle and text (``570306000000000000-1a2b3c4d``): the
same tweet read twice is still one post, two tweets sharing a rounded id are two, and they are
counted (`StoreCounts.untrusted_ids`) for the summary's warning.

A posts relation with ``_object_type`` and ``_object_id`` columns (`infoscope.ingest.shares`)
has one row per share: each share is added to ``shares`` once (key: platform, post, object type
and object), and each post once, from its first row. A row is a duplicate when it adds
nothing: its share (or, for a row without an object, its post) is already stored.

Accounts are merged: a field already known is kept, a missing one is filled in. Labels and
quarantine rows are added once. Articles are added once per ``article_id`` (the first read
wins); article links once per (item, relation, target).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from infoscope.ingest.dates import DATE_FIX
from infoscope.langs import language_code
from infoscope.records import ACCOUNT_SCHEMA, LABEL_SCHEMA, POST_SCHEMA

__all__ = ["Stager", "StoreCounts"]

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

_DUCK = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "bool": "BOOLEAN",
    "timestamp[us, tz=UTC]": "TIMESTAMPTZ",
    "list<item: string>": "VARCHAR[]",
    "map<string, int64>": "MAP(VARCHAR, BIGINT)",
}

_PROVENANCE = frozenset({"source", "source_line", "source_record", "format", "ingest_run"})
_VALID = "post_id IS NOT NULL AND post_id <> '' AND created_at IS NOT NULL"
_NOT_STORED_QUARANTINE = (
    "NOT EXISTS (SELECT 1 FROM quarantine x WHERE x.source = q.source "
    "AND x.source_record IS NOT DISTINCT FROM q.source_record)"
)


@dataclass
class StoreCounts:
    posts: int = 0
    shares: int = 0
    accounts: int = 0
    labels: int = 0
    articles: int = 0
    secondary_items: int = 0
    article_links: int = 0
    duplicates: int = 0
    untrusted_ids: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()}


def _select(have: set[str], schema: pa.Schema, alias: str = "") -> list[str]:
    """Expressions selecting `schema`'s columns, NULL (typed) for those `have` lacks."""
    prefix = f"{alias}." if alias else ""
    return [
        f"{prefix}{f.name}" if f.name in have else f"NULL::{_DUCK[str(f.type)]}" for f in schema
    ]


_DATE_FIX_SQL = "'; " + DATE_FIX.replace("'", "''") + "'"
# An id written as a float: '5.70306E+17', '570306000000000000.0'.
_FLOAT_NOTATION = r"[0-9]*\.[0-9]*([eE][+-]?[0-9]+)?|[0-9]+([eE][+-]?[0-9]+)"
# Integers of 16 digits or more are past what a double holds exactly (2**53).
_INEXACT_IN_FLOAT = "[0-9]{16,}"


def _rekeyed(columns: str, created_raw: str, have: set[str], staged: str) -> str:
    """Staged posts with ``_untrusted`` (see the module docstring) and untrusted ids rekeyed."""
    id_raw = "trim(_id_raw)" if "_id_raw" in have else "NULL::VARCHAR"
    suspect = "coalesce(_id_suspect, false)" if "_id_suspect" in have else "false"
    untrusted = (
        f"({suspect} OR coalesce(regexp_full_match({id_raw}, '{_FLOAT_NOTATION}') "
        f"AND regexp_full_match(post_id, '{_INEXACT_IN_FLOAT}'), false) "
        "OR (post_id IS NOT NULL AND post_id <> '' "
        "AND min(text) OVER same_id IS DISTINCT FROM max(text) OVER same_id))"
    )
    digest = "left(md5(concat_ws(chr(31), lower(account_handle), text)), 8)"
    return (
        f"SELECT * REPLACE (CASE WHEN _untrusted THEN post_id || '-' || {digest} "
        "ELSE post_id END AS post_id) "
        f"FROM (SELECT {columns}, {created_raw} AS _created_raw, {untrusted} AS _untrusted "
        f"FROM {staged} WINDOW same_id AS (PARTITION BY platform, post_id))"
    )


def _count(cursor: Any) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row else 0


class Stager:
    """Moves staged relations into the store's tables, counting what happened."""

    def __init__(self, con: duckdb.DuckDBPyConnection, counts: StoreCounts):
        self.con = con
        self.counts = counts

    def quarantine(self, relation: str) -> None:
        """Add quarantine rows (QUARANTINE_SCHEMA) not already stored for the same record."""
        for (reason,) in self.con.execute(
            f"SELECT reason FROM {relation} q WHERE {_NOT_STORED_QUARANTINE}"
        ).fetchall():
            self.counts.quarantined[reason.split(":", 1)[0]] += 1
        self.con.execute(
            f"INSERT INTO quarantine BY NAME SELECT * FROM {relation} q "
            f"WHERE {_NOT_STORED_QUARANTINE}"
        )

    def posts(self, staged: str, *, raw_record_sql: str | None = None) -> None:
        """Store the posts of relation `staged`; `raw_record_sql` (a correlated expression over
        the staged row ``s``) gives the raw text kept for a quarantined row."""
        con = self.con
        have = _columns(con, staged)
        if "_object_type" in have:
            self._shares(staged, raw_record_sql)
            return
        # Every post column, NULL where the staged relation lacks it.
        columns = ", ".join(
            f"{e} AS {f.name}" for f, e in zip(POST_SCHEMA, _select(have, POST_SCHEMA), strict=True)
        )
        created_raw = "_created_raw" if "_created_raw" in have else "NULL::VARCHAR"
        checked_ids = "_id_raw" in have or "_id_suspect" in have
        if checked_ids:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE staged_post_rows AS "
                f"{_rekeyed(columns, created_raw, have, staged)}"
            )
        else:
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW staged_post_rows AS "
                f"SELECT {columns}, {created_raw} AS _created_raw FROM {staged}"
            )
        relation = "staged_post_rows"
        raw_expr = raw_record_sql or "s.raw"
        valid_s = _VALID.replace("post_id", "s.post_id").replace("created_at", "s.created_at")
        valid = _count(con.execute(f"SELECT count(*) FROM {relation} WHERE {_VALID}"))
        if checked_ids:
            self.counts.untrusted_ids += _count(
                con.execute(f"SELECT count(*) FROM {relation} WHERE _untrusted AND {_VALID}")
            )
        total = _count(con.execute(f"SELECT count(*) FROM {relation}"))
        if valid < total:
            self.quarantine(
                f"""(SELECT s.source, s.source_line, s.source_record, s.format,
                        CASE WHEN s.post_id IS NULL OR s.post_id = '' THEN 'missing post id'
                             ELSE 'unparseable date: ' || coalesce(nullif(s._created_raw, ''),
                                  '(empty)') || {_DATE_FIX_SQL}
                        END AS reason,
                        {raw_expr} AS raw, s.ingest_run
                     FROM {relation} s WHERE NOT ({valid_s}))"""
            )
        # Repeats inside the relation: keep the first occurrence (a narrow query; repeats are
        # rare, so the main insert only anti-joins this small list).
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE repeats AS
                SELECT platform, post_id, source, source_record FROM (
                  SELECT platform, post_id, source, source_record,
                         row_number() OVER (PARTITION BY platform, post_id
                                            ORDER BY source, source_record) AS n
                  FROM {relation}
                  WHERE (platform, post_id) IN (
                      SELECT (platform, post_id) FROM {relation} WHERE {_VALID}
                      GROUP BY ALL HAVING count(*) > 1))
                WHERE n > 1"""
        )
        con.register("lang_map", self._language_map(relation))
        exprs = []
        for f in POST_SCHEMA:
            expr = f"s.{f.name}"
            if f.name == "lang":
                expr = "coalesce(m.code, s.lang)"
            elif f.name == "hashtags":
                expr = "coalesce(s.hashtags, is_hashtags(s.text))"
            elif f.name == "mentions":
                expr = "coalesce(s.mentions, is_mentions(s.text))"
            elif f.name == "urls":
                expr = "is_normalize_urls(coalesce(s.urls, is_urls(s.text)))"
            exprs.append(f"{expr} AS {f.name}")
        inserted = _count(
            con.execute(
                f"""INSERT INTO posts BY NAME
                SELECT {", ".join(exprs)}
                FROM {relation} s LEFT JOIN lang_map m ON s.lang = m.raw
                WHERE {valid_s}
                  AND NOT EXISTS (SELECT 1 FROM posts p
                                  WHERE p.platform = s.platform AND p.post_id = s.post_id)
                  AND NOT EXISTS (SELECT 1 FROM repeats r
                                  WHERE r.platform = s.platform AND r.post_id = s.post_id
                                    AND r.source = s.source
                                    AND r.source_record = s.source_record)"""
            )
        )
        con.unregister("lang_map")
        con.execute("DROP TABLE repeats")
        con.execute(f"DROP {'TABLE' if checked_ids else 'VIEW'} staged_post_rows")
        self.counts.posts += inserted
        self.counts.duplicates += valid - inserted

    def _shares(self, staged: str, raw_record_sql: str | None) -> None:
        """Store the shares of a relation with one row per share, then its posts (see the
        module docstring)."""
        con = self.con
        con.execute(f"CREATE OR REPLACE TEMP TABLE staged_share_rows AS SELECT * FROM {staged}")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE new_shares AS
            SELECT platform, post_id, account_id, created_at, _object_type AS object_type,
                   _object_id AS object_id, source, source_line, source_record, format,
                   ingest_run
            FROM staged_share_rows s
            WHERE {_VALID} AND _object_id IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM shares x WHERE x.platform = s.platform AND x.post_id = s.post_id
                AND x.object_type = s._object_type AND x.object_id = s._object_id)
            QUALIFY row_number() OVER (PARTITION BY platform, post_id, _object_type, _object_id
                                       ORDER BY source, source_record) = 1"""
        )
        con.execute("INSERT INTO shares BY NAME SELECT * FROM new_shares")
        # One row per post (its first), and one per record that cannot be stored, so that a
        # record is quarantined once whatever the number of its shares.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE staged_share_posts AS
            SELECT * EXCLUDE (_object_type) FROM staged_share_rows WHERE {_VALID}
            QUALIFY row_number() OVER (PARTITION BY platform, post_id
                                       ORDER BY source, source_record, _object_id) = 1
            UNION ALL BY NAME
            SELECT * EXCLUDE (_object_type) FROM staged_share_rows WHERE NOT ({_VALID})
            QUALIFY row_number() OVER (PARTITION BY source, source_record
                                       ORDER BY _object_id) = 1"""
        )
        duplicates = self.counts.duplicates
        self.posts("staged_share_posts", raw_record_sql=raw_record_sql)
        # A record is a duplicate when it adds nothing: no new share and, for a record without
        # an object, no new post.
        row = con.execute(
            f"""SELECT
              (SELECT count(DISTINCT (source, source_record)) FROM staged_share_rows
               WHERE {_VALID}),
              (SELECT count(*) FROM new_shares),
              (SELECT count(DISTINCT (source, source_record)) FROM (
                 SELECT source, source_record FROM new_shares
                 UNION ALL
                 SELECT s.source, s.source_record FROM staged_share_posts s
                 WHERE s._object_id IS NULL AND {_VALID} AND EXISTS (
                   SELECT 1 FROM posts p WHERE p.platform = s.platform
                     AND p.post_id = s.post_id AND p.source = s.source
                     AND p.source_record = s.source_record
                     AND p.ingest_run IS NOT DISTINCT FROM s.ingest_run)))"""
        ).fetchone()
        assert row is not None  # an aggregate without GROUP BY gives one row
        records, inserted, added = (int(v or 0) for v in row)
        for table in ("staged_share_posts", "staged_share_rows", "new_shares"):
            con.execute(f"DROP TABLE {table}")
        self.counts.shares += inserted
        self.counts.duplicates = duplicates + records - added

    def _language_map(self, relation: str) -> pa.Table:
        names = [
            r[0]
            for r in self.con.execute(
                f"SELECT DISTINCT lang FROM {relation} WHERE lang IS NOT NULL "
                "AND NOT regexp_full_match(lang, '[a-z]{2,3}(-[A-Za-z0-9]+)*')"
            ).fetchall()
        ]
        return pa.table(
            {"raw": pa.array(names, pa.string()), "code": [language_code(n) for n in names]}
        )

    def accounts(self, relation: str) -> None:
        """Merge accounts: per field the first non-null value of the batch, and a stored value
        is never overwritten; provenance is that of the account's first record, kept whole."""
        con = self.con
        have = _columns(con, relation)
        names = [f.name for f in ACCOUNT_SCHEMA]
        selected = dict(zip(names, _select(have, ACCOUNT_SCHEMA), strict=True))
        prov = [c for c in names if c in _PROVENANCE]
        values = [c for c in names if c not in ("platform", "account_id") and c not in prov]
        order = "coalesce(source_record, 0)" if "source_record" in have else "0"
        firsts = [
            f"arg_min({selected[c]}, {order}) FILTER (WHERE {selected[c]} IS NOT NULL) AS {c}"
            for c in values
        ]
        first_prov = (
            "arg_min({"
            + ", ".join(f"'{c}': {selected[c]}" for c in prov)
            + f"}}, {order}) AS _prov"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE batch_accounts AS "
            f"SELECT platform, account_id, {', '.join(values)}, "
            + ", ".join(f"_prov.{c} AS {c}" for c in prov)
            + f" FROM (SELECT platform, account_id, {', '.join(firsts)}, {first_prov} "
            f"FROM {relation} WHERE account_id IS NOT NULL AND account_id <> '' GROUP BY ALL)"
        )
        # New accounts are inserted; a stored account is updated only when the batch fills a
        # field it lacks (accounts recur in every batch: rewriting them all would be costly).
        self.counts.accounts += _count(
            con.execute(
                "INSERT INTO accounts BY NAME SELECT * FROM batch_accounts b WHERE NOT EXISTS "
                "(SELECT 1 FROM accounts a "
                "WHERE a.platform = b.platform AND a.account_id = b.account_id)"
            )
        )
        gains = " OR ".join(f"(a.{c} IS NULL AND b.{c} IS NOT NULL)" for c in values)
        fill = ", ".join(f"{c} = coalesce(accounts.{c}, excluded.{c})" for c in values)
        con.execute(
            "INSERT INTO accounts BY NAME SELECT b.* FROM batch_accounts b JOIN accounts a "
            f"ON a.platform = b.platform AND a.account_id = b.account_id WHERE {gains} "
            f"ON CONFLICT (platform, account_id) DO UPDATE SET {fill}"
        )
        con.execute("DROP TABLE batch_accounts")

    def labels(self, relation: str) -> None:
        have = _columns(self.con, relation)
        cols = ", ".join(
            f"{e} AS {f.name}"
            for f, e in zip(LABEL_SCHEMA, _select(have, LABEL_SCHEMA), strict=True)
        )
        self.counts.labels += _count(
            self.con.execute(
                f"INSERT INTO account_labels BY NAME "
                f"SELECT * FROM (SELECT {cols} FROM {relation}) s "
                "WHERE s.label_value IS NOT NULL AND s.label_value <> '' "
                "AND s.account_id IS NOT NULL AND s.account_id <> '' AND NOT EXISTS ("
                "SELECT 1 FROM account_labels l WHERE l.platform = s.platform "
                "AND l.account_id = s.account_id AND l.label_key = s.label_key "
                "AND l.label_value = s.label_value) "
                "QUALIFY row_number() OVER (PARTITION BY platform, account_id, label_key, "
                "label_value ORDER BY source_record) = 1"
            )
        )

    def articles(self, relation: str) -> None:
        """Add articles not stored yet (key: ``article_id``); secondary items (teasers,
        sidebar posts) are counted apart from the articles."""
        row = self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()
        staged = row[0] if row else 0
        kinds = self.con.execute(
            f"INSERT INTO articles BY NAME SELECT * FROM {relation} s WHERE NOT EXISTS "
            "(SELECT 1 FROM articles a WHERE a.article_id = s.article_id) "
            "QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY source_record) = 1 "
            "RETURNING item_kind"
        ).fetchall()
        secondary = sum(1 for (kind,) in kinds if kind == "secondary")
        self.counts.articles += len(kinds) - secondary
        self.counts.secondary_items += secondary
        self.counts.duplicates += int(staged) - len(kinds)

    def article_links(self, relation: str) -> None:
        """Add the links not stored yet (one per item, relation and target: the first page
        that states it is its provenance)."""
        row = self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()
        staged = int(row[0]) if row else 0
        inserted = _count(
            self.con.execute(
                f"INSERT INTO article_links BY NAME SELECT * FROM {relation} s WHERE NOT EXISTS "
                "(SELECT 1 FROM article_links l WHERE l.article_id = s.article_id "
                "AND l.relation = s.relation AND l.target_id = s.target_id) "
                "QUALIFY row_number() OVER (PARTITION BY article_id, relation, target_id "
                "ORDER BY source, source_record) = 1"
            )
        )
        self.counts.article_links += inserted
        self.counts.duplicates += staged - inserted
