"""Flattened twitter-v2 tweets (``twarc2 flatten``) mapped inside the engine.

The Python reader (`infoscope.ingest.twitter_v2`) stays the reference: every line this mapping
maps gives exactly the rows that reader gives, and every line it cannot vouch for is handed to
that reader. DuckDB parses each line once (``json_transform`` with an explicit structure whose
leaves are JSON text, so that the JSON type of every value read is known, as Python tests it
with ``isinstance``); the mapping itself is vectorised Arrow and numpy over the parsed columns.

A line is mapped here when it is a flattened tweet (no ``data``: response pages go to Python)
and nothing in it could be read otherwise by the two parsers or the two mappings:

- no ``null`` anywhere (a missing key and a key set to null, which Python tells apart with
  ``in``, then never meet); no trailing comma, no ``NaN`` or ``Infinity`` literal in any case,
  no number with an exponent of three digits or an integer part of 200 digits (DuckDB accepts
  these, orjson refuses the line as invalid JSON);
- no key read here given twice in the tweet, its reference, their entities or attachments
  (orjson keeps the last value of a repeated key, DuckDB the first);
- ``id`` and ``author_id`` are given; they, ``in_reply_to_user_id`` and the ids of the
  reference and of mentions are decimal digits (a JSON string or integer of at most 19
  digits); ``created_at`` is ``YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]`` with ``Z`` or an offset;
- at most one referenced tweet; no ``note_tweet`` in the tweet whose text is stored;
  ``entities`` is an object with ``hashtags``, ``mentions``, ``urls``, ``annotations`` or
  ``cashtags`` (or absent); URLs' ``expanded_url`` and ``media_keys`` are strings;
  ``public_metrics`` holds no integer beyond 64 bits. Other values of any type are read as
  Python reads them (a ``lang`` or a hashtag that is not a string is left out, and so on).

Users (``author``, ``in_reply_to_user``, mentions that carry a ``name``, the author of the
expanded reference) are read by Python's own `account_from_user`, once per distinct user
object: DuckDB gives each user object as minified JSON text, Python maps each distinct text
(memoised across blocks), and numpy picks, per tweet and user id, the object with the most keys
(the first on a tie), as `_Expansions.add_user` does. An account is staged once per distinct
user object, at its first record: a repeat would add nothing, since the store keeps the first
value of each field. ``public_metrics`` is read by orjson once per distinct text. A user object
or metrics that orjson cannot read send their line to Python.

``raw`` of a post is its line as read; ``raw`` of an account is orjson's serialisation of the
user object, computed from DuckDB's minified text of it (the same values, so the same bytes).
Hashtags and mentions are lower-cased with Python's ``str.lower`` (the engine's ``lower``
differs from it on a few characters, such as a final sigma).

Two differences are left, for JSON no API or exporter writes: a key repeated inside a hashtag,
mention or URL entity is read with its first value here (checking these objects too would
cost a third of DuckDB's own parse), and a value nested more than 1,024 levels deep outside
the user objects and metrics is read here while orjson refuses its line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from infoscope.ingest._columnar import EngineMapping
from infoscope.ingest._json_records import id_text, int_or_none, layout_of
from infoscope.ingest.formats import ReadContext
from infoscope.ingest.sources import Source
from infoscope.records import ACCOUNT_SCHEMA, POST_SCHEMA, Provenance

if TYPE_CHECKING:
    import duckdb

__all__ = ["TwitterV2Engine"]

# Lines DuckDB's JSON reader accepts and orjson refuses: trailing commas, NaN and Infinity in
# any case, numbers beyond a double (an exponent of three digits, or 200 digits and more). A
# value follows a ``:``, a ``,`` or a ``[``: one pattern for each, whose literal first character
# lets the regular expression engine skip to its occurrences.
_WS = r"[\t\r ]*"
_ODD_VALUE = (
    r"(?:[-+]?(?i:nan|inf|infinity)" + _WS + r"[,}\]]"
    r"|-?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]{3}|-?[0-9]{200})"
)
_LENIENT = (
    "," + _WS + r"(?:[\]}]|" + _ODD_VALUE + ")",
    ":" + _WS + _ODD_VALUE,
    r"\[" + _WS + _ODD_VALUE,
)
_ENTITIES = (
    '{"hashtags":[{"tag":"JSON"}],"mentions":[{"username":"JSON","id":"JSON","name":"JSON"}],'
    '"urls":[{"url":"JSON","expanded_url":"JSON","media_key":"JSON"}],'
    '"annotations":"JSON","cashtags":"JSON"}'
)
_KEYS = '{"media_keys":["JSON"]}'
_TWEET = (
    '{"data":"JSON","id":"JSON","text":"JSON","created_at":"JSON","author_id":"JSON",'
    '"lang":"JSON","in_reply_to_user_id":"JSON","public_metrics":"JSON","note_tweet":"JSON",'
    f'"entities":{_ENTITIES},"attachments":{_KEYS},"author":"JSON","in_reply_to_user":"JSON",'
    '"referenced_tweets":[{"type":"JSON","id":"JSON","text":"JSON","author_id":"JSON",'
    f'"author":"JSON","note_tweet":"JSON","entities":{_ENTITIES},"attachments":{_KEYS}}}]}}'
)
# The objects whose keys are read, and those keys: orjson keeps the last value of a key an
# object repeats, DuckDB the first, so a line that repeats one of them goes to Python.
_ENTITY_KEYS = ("hashtags", "mentions", "urls", "annotations", "cashtags")
_READ_KEYS = {
    "$": (
        "data", "id", "text", "created_at", "author_id", "lang", "in_reply_to_user_id",
        "public_metrics", "note_tweet", "entities", "attachments", "author",
        "in_reply_to_user", "referenced_tweets",
    ),
    "$.entities": _ENTITY_KEYS,
    "$.attachments": ("media_keys",),
    "$.referenced_tweets[0]": (
        "type", "id", "text", "author_id", "author", "note_tweet", "entities", "attachments",
    ),
    "$.referenced_tweets[0].entities": _ENTITY_KEYS,
    "$.referenced_tweets[0].attachments": ("media_keys",),
}  # fmt: skip
_PATHS = ", ".join(f"'{path}'" for path in _READ_KEYS)
_ALL_KEYS = sorted({key for keys in _READ_KEYS.values() for key in keys})
# Per path, the keys read there (an index into `_ALL_KEYS`).
_READ_AT = np.array([[key in keys for key in _ALL_KEYS] for keys in _READ_KEYS.values()])
# A line that does not parse gives a row of NULLs (no id: not mapped). No filter on the parsed
# value: DuckDB would then parse each line twice.
_PARSE = f"""
SELECT i, j.*, keys FROM (
  SELECT i, try(json_transform(line, '{_TWEET}')) AS j, try(json_keys(line, [{_PATHS}])) AS keys
  FROM cj_lines
  WHERE cand AND NOT contains(line, 'null')
    AND {" AND ".join(f"NOT regexp_matches(line, '{p}')" for p in _LENIENT)}
)
"""
# The JSON text of the mentions of the tweets whose mentions carry a name (user objects).
_MENTIONS = """
SELECT i, json_transform(line, '{"entities":{"mentions":["JSON"]}}').entities.mentions AS m
FROM cj_lines WHERE i IN (SELECT i FROM cj_named)
"""
_DATE = (
    r"^\"[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])\"$"
)
# An id read here: decimal digits, as a JSON string or integer (Python's `id_text` of both).
_ID = r'^("[0-9]{1,19}"|[0-9]{1,19})$'
_KINDS = {'"retweeted"': "retweet", '"quoted"': "quote", '"replied_to"': "reply"}

_PROVENANCE = ("source", "source_line", "source_record", "format", "ingest_run")
_ACCOUNT_FIELDS = [f.name for f in ACCOUNT_SCHEMA if f.name not in _PROVENANCE]
# Distinct user objects remembered (a few hundred bytes each): past this, the memo starts again,
# which only costs mapping an object again (and staging it again, which changes nothing).
_USERS_LIMIT = 200_000
_BATCH = 1024
_METRICS_LIMIT = 50_000
_INT64 = (-(1 << 63), 1 << 63)


class _UserInfo:
    """What the Python reader makes of one user object (see `_Expansions.add_user`)."""

    __slots__ = ("account", "bad", "handle", "keys", "uid")

    def __init__(
        self, uid: str | None, keys: int, account: dict[str, Any] | None, *, bad: bool = False
    ):
        self.uid = uid
        self.keys = keys
        self.handle = account["handle"] if account else None
        self.account = account  # dropped once staged: a repeat adds nothing to the store
        self.bad = bad  # orjson cannot read it


class TwitterV2Engine(EngineMapping):
    """The engine mapping of ``twitter-v2`` flattened tweets (see the module docstring)."""

    format_name: ClassVar[str] = "twitter-v2"

    def __init__(self) -> None:
        self._users: dict[str, _UserInfo] = {}
        self._metrics: dict[str, list[tuple[str, int]] | None] = {}
        self._platform = "twitter"
        self._block: dict[str, Any] = {}

    def applies(self, source: Source, ctx: ReadContext) -> bool:
        # --date-format reads created_at with strptime layouts: left to Python.
        return not ctx.date_formats and layout_of(source.head) == "lines"

    def start(self, con: duckdb.DuckDBPyConnection, ctx: ReadContext) -> None:
        self._users = {}
        self._metrics = {}
        self._platform = ctx.platform or "twitter"

    def map_lines(
        self, con: duckdb.DuckDBPyConnection, lines: pa.Array, cand: np.ndarray
    ) -> np.ndarray:
        n = len(lines)
        table = pa.table({"i": pa.array(np.arange(n, dtype=np.int32)), "line": lines, "cand": cand})
        # In batches, which DuckDB parses in parallel (one batch is one task).
        con.register("cj_lines", pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH)))
        try:
            t = con.sql(_PARSE).to_arrow_table()
            named = _mentions_with_names(t.column("entities"))
            mention_objects = None
            if named.any():
                con.register("cj_named", pa.table({"i": t.column("i").filter(pa.array(named))}))
                mention_objects = con.sql(_MENTIONS).to_arrow_table()
                con.unregister("cj_named")
        finally:
            con.unregister("cj_lines")
        block = self._map(t, mention_objects)
        mapped = np.zeros(n, dtype=bool)
        mapped[block["i"]] = True
        self._block = block
        return mapped

    # -- mapping -------------------------------------------------------------------------------

    def _map(self, t: pa.Table, mention_objects: pa.Table | None) -> dict[str, Any]:
        """The columns of the posts of the rows that can be mapped here (see the module
        docstring), their users and the ids they name."""
        col = t.column
        n = t.num_rows
        refs = _one(col("referenced_tweets"))
        nref = _np_int(pc.list_value_length(refs))
        r1 = _first_items(refs, nref == 1)
        # The JSON text of a string is the string quoted, whatever escapes it was written with.
        kind = pc.fill_null(_replace(_field(r1, "type"), _KINDS), "original")
        referenced = _np_bool(pc.not_equal(kind, "original"))
        r1_id = _field(r1, "id")
        ref_post_id = _null_unless(_id_value(r1_id), referenced)
        # The reference is expanded (Python's `_Expansions.tweets`) when it has an id and text.
        has_text = _np_bool(pc.is_valid(r1_id)) & _np_bool(pc.is_valid(_field(r1, "text")))
        expanded = referenced & has_text
        from_ref = expanded & _np_bool(pc.equal(kind, "retweet"))
        is_reply = _np_bool(pc.equal(kind, "reply"))

        reply_user = col("in_reply_to_user_id")
        ref_author = _null_unless(_id_value(_field(r1, "author_id")), expanded)
        ref_account_id = pc.coalesce(ref_author, _null_unless(_id_value(reply_user), is_reply))
        text_leaf = _pick(from_ref, _field(r1, "text"), col("text"))
        entities = _pick(from_ref, _field(r1, "entities"), col("entities"))
        note = _pick(from_ref, _field(r1, "note_tweet"), col("note_tweet"))
        content_keys = _pick(
            from_ref,
            _field(_field(r1, "attachments"), "media_keys"),
            _field(col("attachments"), "media_keys"),
        )
        tweet_keys = _field(col("attachments"), "media_keys")

        created_leaf = _one(col("created_at"))
        date_ok = _np_bool(pc.match_substring_regex(created_leaf, _DATE))
        created_at, date_ok = _timestamps(created_leaf, date_ok)

        hashtags, _ = _lists(_field(entities, "hashtags"), lambda v: _leaf_text(_field(v, "tag")))
        mentions, _ = _lists(
            _field(entities, "mentions"), lambda v: _leaf_text(_field(v, "username"))
        )
        urls, urls_ok = _lists(_field(entities, "urls"), _url_values, _url_ok)
        mention_ids, mention_ids_ok = _lists(
            _field(entities, "mentions"),
            lambda v: _id_value(_field(v, "id")),
            lambda v: _id_ok(_field(v, "id")),
        )
        # Lists where the entities are an object (a missing list is then empty), else NULL
        # (Python's `_entity_lists`: the store extracts them from the text).
        has_entities = _np_bool(pc.is_valid(entities))
        hashtags = _valid_where(hashtags, has_entities)
        mentions = _valid_where(mentions, has_entities)
        urls = _valid_where(urls, has_entities)
        keys, keys_ok = _lists(content_keys, _media_key, _is_str)
        top_keys, top_keys_ok = _lists(tweet_keys, _media_key, _is_str)
        media = _first_nonempty(_drop_empty(keys), _drop_empty(top_keys))
        metrics, metrics_ok = self._metrics_of(col("public_metrics"))

        ok = (
            ~_np_bool(pc.is_valid(col("data")))
            & _np_bool(pc.is_valid(col("text")))
            & _id_ok(col("id"), required=True)
            & _id_ok(col("author_id"), required=True)
            & _id_ok(reply_user)
            & date_ok
            & (nref <= 1)
            & _id_ok(r1_id)
            & _id_ok(_field(r1, "author_id"))
            & ~_np_bool(pc.is_valid(note))
            & _entities_ok(entities)
            & urls_ok
            & mention_ids_ok
            & keys_ok
            & top_keys_ok
            & metrics_ok
            & ~_repeats_a_read_key(col("keys"))
        )
        users = _Users(self, self._user_objects(t, r1, has_text, mention_objects))
        ok &= ~users.bad_rows
        keep = np.flatnonzero(ok)
        every = len(keep) == n

        def rows(a: Any) -> Any:
            a = _one(a)
            return a if every else a.take(pa.array(keep))

        return {
            "keep": keep,
            "i_all": _np_int(col("i")),
            "i": _np_int(col("i"))[keep],
            "post_id": rows(_id_value(col("id"))),
            "account_id": rows(_id_value(col("author_id"))),
            "created_at": rows(created_at),
            "text": _leaf_text(rows(text_leaf)),
            "lang": _nonempty(_leaf_text(rows(col("lang")))),
            "kind": rows(kind),
            "ref_post_id": rows(ref_post_id),
            "ref_account_id": rows(ref_account_id),
            "reply_user_id": rows(_id_value(reply_user)),
            "hashtags": _lower_lists(rows(hashtags)),
            "mentions": _lower_lists(rows(mentions)),
            "urls": rows(urls),
            "mention_ids": rows(mention_ids),
            "media_ids": rows(media),
            "metrics": rows(metrics),
            "users": users,
        }

    def _metrics_of(self, texts: Any) -> tuple[pa.Array, np.ndarray]:
        """``metrics`` (every integer of ``public_metrics``, in order; NULL when none), read by
        orjson once per distinct text, and whether each row's can be stored (an integer beyond
        64 bits cannot, on either path)."""
        texts = _one(texts)
        encoded = pc.dictionary_encode(texts)
        distinct = encoded.dictionary.to_pylist()
        parsed = [self._metrics_entries(text) for text in distinct]
        index = _np_int(encoded.indices, fill=-1)
        counts_d = np.array([len(p) if p else 0 for p in parsed], dtype=np.int64)
        bad_d = np.array([p is None for p in parsed], dtype=bool)
        present = index >= 0
        counts = np.where(present, counts_d[np.maximum(index, 0)] if len(distinct) else 0, 0)
        ok = ~(present & (bad_d[np.maximum(index, 0)] if len(distinct) else False))
        counts = np.where(ok, counts, 0)
        offsets = np.zeros(len(texts) + 1, dtype=np.int32)
        offsets[1:] = np.cumsum(counts)
        # Entries of every distinct text, then gathered row by row.
        starts_d = np.zeros(len(distinct) + 1, dtype=np.int64)
        starts_d[1:] = np.cumsum(counts_d)
        keys_d = [k for p in parsed if p for k, _ in p]
        values_d = np.array([v for p in parsed if p for _, v in p], dtype=np.int64)
        rows = np.flatnonzero(counts > 0)
        sizes = counts[rows]
        gather = np.repeat(starts_d[index[rows]], sizes) + (
            np.arange(int(sizes.sum())) - np.repeat(offsets[rows], sizes)
        )
        metrics = pa.MapArray.from_arrays(
            pa.array(offsets),
            pa.array(keys_d, pa.string()).take(pa.array(gather, pa.int64())),
            pa.array(values_d[gather] if len(gather) else np.zeros(0, np.int64)),
            mask=pa.array(counts == 0),
        )
        return metrics, ok

    def _metrics_entries(self, text: str) -> list[tuple[str, int]] | None:
        """The integers of one ``public_metrics`` text (None: one is beyond 64 bits)."""
        entries = self._metrics.get(text, False)
        if entries is not False:
            return entries  # type: ignore[return-value]
        if len(self._metrics) >= _METRICS_LIMIT:
            self._metrics.clear()
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:  # nested too deep for orjson: its line goes to Python
            self._metrics[text] = None
            return None
        found: list[tuple[str, int]] | None = []
        if isinstance(value, dict):
            for key, raw in value.items():
                number = int_or_none(raw)
                if number is None:
                    continue
                if not _INT64[0] <= number < _INT64[1]:
                    found = None
                    break
                found.append((key, number))  # type: ignore[union-attr]
        self._metrics[text] = found
        return found

    # -- users ---------------------------------------------------------------------------------

    def _user_objects(
        self, t: pa.Table, r1: pa.Array, expanded: np.ndarray, mentions: pa.Table | None
    ) -> pa.Array:
        """Per row, the user objects Python's `_Expansions` sees, in its order: the author,
        the replied-to user, mentions with a name, the author of the reference when it is
        `expanded` (it has an id and a text, whatever its type)."""
        n = t.num_rows
        parts = [
            _as_lists(_one(t.column("author"))),
            _as_lists(_one(t.column("in_reply_to_user"))),
        ]
        if mentions is not None and mentions.num_rows:
            at = np.full(n, -1, dtype=np.int64)
            position = {int(i): k for k, i in enumerate(_np_int(t.column("i")).tolist())}
            for k, i in enumerate(_np_int(mentions.column("i")).tolist()):
                at[position[i]] = k
            objs = _one(mentions.column("m")).take(pa.array(np.where(at >= 0, at, 0)))
            objs = _null_where(objs, at < 0)
            objs, _ = _lists(objs, _with_name)
            parts.append(objs)
        parts.append(_as_lists(_null_unless(_field(r1, "author"), expanded)))
        return _concat_lists(parts)

    def _info(self, text: str) -> _UserInfo:
        info = self._users.get(text)
        if info is not None:
            return info
        from infoscope.ingest.twitter_v2 import account_from_user

        if len(self._users) >= _USERS_LIMIT:
            self._users.clear()
        try:
            user = orjson.loads(text)
        except orjson.JSONDecodeError:  # nested too deep for orjson: its line goes to Python
            info = self._users[text] = _UserInfo(None, 0, None, bad=True)
            return info
        uid = None
        account = None
        if isinstance(user, dict) and "id" in user and "username" in user:
            uid = id_text(user["id"])
        if uid is not None:
            mapped = account_from_user(user, self._platform, Provenance("", 0))
            if mapped is not None:
                account = {name: getattr(mapped, name) for name in _ACCOUNT_FIELDS}
        keys = len(user) if isinstance(user, dict) else 0
        info = self._users[text] = _UserInfo(uid, keys, account)
        return info

    # -- tables --------------------------------------------------------------------------------

    def tables(
        self,
        *,
        records: np.ndarray,
        lines: pa.Array,
        source: str,
        first_line: int,
        ctx: ReadContext,
    ) -> list[tuple[str, pa.Table]]:
        m = self._block
        self._block = {}
        i = m["i"]
        n = len(i)
        users: _Users = m["users"]
        rows = m["keep"]  # the rows of the posts among the block's parsed rows
        columns: dict[str, Any] = {
            "platform": pa.repeat(pa.scalar(self._platform, pa.string()), n),
            "post_id": m["post_id"],
            "account_id": m["account_id"],
            "account_handle": users.handle(rows, m["account_id"]),
            "created_at": m["created_at"],
            "text": m["text"],
            "lang": m["lang"],
            "kind": m["kind"],
            "ref_post_id": m["ref_post_id"],
            "ref_account_id": m["ref_account_id"],
            "ref_account_handle": users.handle(rows, m["ref_account_id"]),
            "hashtags": m["hashtags"],
            "mentions": m["mentions"],
            "urls": m["urls"],
            "media_ids": m["media_ids"],
            "metrics": m["metrics"],
            # Every line of the block mapped, in order (the common case): no copy.
            "raw": lines
            if n == len(lines) and bool(np.all(np.diff(i) > 0))
            else lines.take(pa.array(i)),
            "source": pa.repeat(pa.scalar(source, pa.string()), n),
            "source_line": pa.array(first_line + i.astype(np.int64)),
            "source_record": pa.array(records[i].astype(np.int64)),
            "format": pa.repeat(pa.scalar(self.format_name, pa.string()), n),
            "ingest_run": pa.repeat(pa.scalar(ctx.run_id, pa.string()), n),
        }
        posts = pa.table([_as(columns[f.name], f.type) for f in POST_SCHEMA], schema=POST_SCHEMA)
        # The users each tweet names (Python's `named`), as far as the tweet holds them.
        named_rows, named_ids = _named(
            n, [m["account_id"], m["ref_account_id"], m["reply_user_id"]], m["mention_ids"]
        )
        found_rows, objects = users.lookup(rows[named_rows], named_ids)
        accounts = self._accounts(
            found_rows, objects, users, m["i_all"], records, source, first_line, ctx
        )
        tables = [("posts", posts)]
        if accounts.num_rows:
            tables.append(("accounts", accounts))
        return tables

    def _accounts(
        self,
        rows: np.ndarray,
        objects: np.ndarray,
        users: _Users,
        i: np.ndarray,
        records: np.ndarray,
        source: str,
        first_line: int,
        ctx: ReadContext,
    ) -> pa.Table:
        """An account row per user object named here for the first time."""
        order = np.lexsort((rows, objects))
        objects, rows = objects[order], rows[order]
        first = np.ones(len(objects), dtype=bool)
        first[1:] = objects[1:] != objects[:-1]
        out = []
        for obj, row in zip(objects[first].tolist(), rows[first].tolist(), strict=True):
            info = users.infos[obj]
            account = info.account
            if account is None:
                continue
            info.account = None
            line = int(i[row])
            out.append(
                {
                    **account,
                    "source": source,
                    "source_line": first_line + line,
                    "source_record": int(records[line]),
                    "format": self.format_name,
                    "ingest_run": ctx.run_id,
                }
            )
        return pa.Table.from_pylist(out, schema=ACCOUNT_SCHEMA)


class _Users:
    """The user objects of a block's tweets: per tweet and user id, the object Python keeps
    (the most keys, the first on a tie; see `_Expansions.add_user`)."""

    def __init__(self, engine: TwitterV2Engine, users: pa.Array):
        offsets, flat = _list_parts(users)
        counts = np.diff(offsets)
        rows = np.repeat(np.arange(len(users)), counts)
        pos = np.arange(len(flat)) - np.repeat(offsets[:-1], counts)
        encoded = pc.dictionary_encode(flat)
        self.infos = [engine._info(text) for text in encoded.dictionary.to_pylist()]
        # Rows with an object orjson cannot read go to Python.
        bad = np.array([info.bad for info in self.infos] + [False], dtype=bool)
        bad_items = np.zeros(len(flat) + 1, dtype=np.int64)
        bad_items[1:] = np.cumsum(bad[_np_int(encoded.indices)])
        self.bad_rows = bad_items[offsets[1:]] > bad_items[offsets[:-1]]
        uids = [info.uid for info in self.infos]
        self.uid_values = pa.array(sorted({u for u in uids if u is not None}), pa.string())
        codes = {u: k for k, u in enumerate(self.uid_values.to_pylist())}
        obj_uid = np.array([codes.get(u, -1) for u in uids] or [0], dtype=np.int64)
        obj_keys = np.array([info.keys for info in self.infos] or [0], dtype=np.int64)
        obj = _np_int(encoded.indices)
        uid = obj_uid[obj]
        valid = uid >= 0
        rows, pos, obj, uid = rows[valid], pos[valid], obj[valid], uid[valid]
        order = np.lexsort((pos, -obj_keys[obj], uid, rows))
        rows, uid, obj = rows[order], uid[order], obj[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (uid[1:] != uid[:-1])
        self._width = max(len(self.uid_values), 1)
        self._keys = rows[first] * self._width + uid[first]
        self._objects = obj[first]
        self._handles = pa.array([info.handle for info in self.infos] or [None], pa.string())

    def _find(self, rows: np.ndarray, uids: pa.Array) -> np.ndarray:
        """The object each (tweet, user id) pair names, or -1."""
        out = np.full(len(rows), -1, dtype=np.int64)
        if not len(self._keys) or not len(rows):
            return out
        code = pc.index_in(_one(uids), value_set=self.uid_values)
        known = _np_bool(pc.is_valid(code))
        keys = rows[known] * self._width + _np_int(code.filter(pa.array(known)))
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        hit = self._keys[at] == keys
        found = np.full(len(keys), -1, dtype=np.int64)
        found[hit] = self._objects[at[hit]]
        out[known] = found
        return out

    def lookup(self, rows: np.ndarray, uids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """For (tweet, user id) pairs: the pairs whose user the tweet holds, and its object."""
        found = self._find(rows, uids)
        hit = found >= 0
        return rows[hit], found[hit]

    def handle(self, rows: np.ndarray, uids: pa.Array) -> pa.Array:
        """Per tweet, the handle of the user `uids` names (NULL when the tweet lacks it)."""
        found = self._find(rows, uids)
        taken = pc.take(self._handles, pa.array(np.maximum(found, 0)))
        return pc.if_else(pa.array(found >= 0), taken, pa.nulls(len(rows), pa.string()))


def _named(n: int, scalars: list[Any], lists: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(row, user id) for every id of `scalars` and `lists` (NULLs left out)."""
    offsets, flat = _list_parts(lists)
    all_rows = np.concatenate(
        [np.arange(n)] * len(scalars) + [np.repeat(np.arange(n), np.diff(offsets))]
    )
    all_ids = pa.concat_arrays(
        [_one(a).cast(pa.string()) for a in scalars] + [flat.cast(pa.string())]
    )
    keep = _np_bool(pc.is_valid(all_ids))
    return all_rows[keep], all_ids.filter(pa.array(keep))


def _repeats_a_read_key(keys: Any) -> np.ndarray:
    """Rows one of whose objects of `_READ_KEYS` (a list of key lists, one per path) names a
    key read there twice."""
    keys = _one(keys)
    n = len(keys)
    path_offsets, per_path = _list_parts(keys)  # n rows x paths
    key_offsets, names = _list_parts(per_path)
    index = pc.index_in(names, value_set=pa.array(_ALL_KEYS, pa.string()))
    known = np.flatnonzero(_np_bool(pc.is_valid(index)))
    if not len(known):
        return np.zeros(n, dtype=bool)
    # The (row, path) group of each key that is one of the keys read anywhere.
    group = np.searchsorted(key_offsets, known, side="right") - 1
    path = group - path_offsets[np.searchsorted(path_offsets, group, side="right") - 1]
    code = _np_int(index)[known]
    read = _READ_AT[path, code]
    pairs = np.sort(group[read] * len(_ALL_KEYS) + code[read])
    repeated = pairs[1:][pairs[1:] == pairs[:-1]] // len(_ALL_KEYS)
    out = np.zeros(n, dtype=bool)
    out[np.searchsorted(path_offsets, repeated, side="right") - 1] = True
    return out


def _mentions_with_names(entities: Any) -> np.ndarray:
    """Rows whose top-level mentions carry a name (each is then a user object)."""
    mentions = _field(entities, "mentions")
    offsets, flat = _list_parts(mentions)
    named = _np_bool(pc.is_valid(_field(flat, "name"))).astype(np.int64)
    total = np.zeros(len(flat) + 1, dtype=np.int64)
    total[1:] = np.cumsum(named)
    return total[offsets[1:]] > total[offsets[:-1]]


def _with_name(objects: pa.Array) -> pa.Array:
    """Mention objects that are user objects (an object with ``name``); others NULL. One that
    orjson cannot read is kept: its tweet then goes to Python (see `_UserInfo.bad`)."""
    objects = _one(objects)
    keep = []
    for text in objects.to_pylist():
        if not isinstance(text, str) or not text.startswith("{"):
            keep.append(False)
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            keep.append(True)
            continue
        keep.append(isinstance(value, dict) and "name" in value)
    return pc.if_else(pa.array(keep, pa.bool_()), objects, pa.nulls(len(objects), pa.string()))


# -- Arrow helpers over JSON text leaves ---------------------------------------------------------


def _one(column: Any) -> Any:
    """An array of a chunked array (no copy when it has one chunk)."""
    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column


def _field(structs: Any, name: str) -> pa.Array:
    """A struct field, NULL where the struct is NULL."""
    return pc.struct_field(_one(structs), name)


def _np_bool(a: Any) -> np.ndarray:
    a = _one(a)
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _np_int(a: Any, fill: int = 0) -> np.ndarray:
    a = _one(a)
    return np.asarray(pc.fill_null(a, fill).to_numpy(zero_copy_only=False), dtype=np.int64)


def _null_unless(a: Any, mask: np.ndarray) -> pa.Array:
    a = _one(a)
    return pc.if_else(pa.array(mask), a, pa.nulls(len(a), a.type))


def _pick(mask: np.ndarray, a: Any, b: Any) -> pa.Array:
    return pc.if_else(pa.array(mask), _one(a), _one(b))


def _replace(a: Any, mapping: dict[str, str]) -> pa.Array:
    """`a` mapped through `mapping`; NULL for values it lacks."""
    keys = list(mapping)
    index = pc.index_in(_one(a), value_set=pa.array(keys, pa.string()))
    return pc.take(pa.array([mapping[k] for k in keys], pa.string()), index)


def _first_items(lists: pa.Array, mask: np.ndarray) -> pa.Array:
    """The first item of the lists where `mask` is set (NULL elsewhere)."""
    offsets, flat = _list_parts(lists)
    index = np.where(mask, offsets[:-1], 0)
    if not len(flat):
        return pa.nulls(len(lists), lists.type.value_type)
    return flat.take(pa.array(index, mask=~mask))


def _is_str(v: Any) -> np.ndarray:
    return _np_bool(pc.starts_with(_one(v), '"'))


def _leaf_text(v: Any) -> pa.Array:
    """A JSON string leaf as its value; NULL for a leaf of another type (Python's
    ``isinstance(value, str)``)."""
    v = _one(v)
    if len(v) == 0:
        return pa.array([], pa.string())
    is_str = _is_str(v)
    out = pc.if_else(
        pa.array(is_str), pc.utf8_slice_codeunits(v, 1, -1), pa.nulls(len(v), pa.string())
    )
    escaped = is_str & _np_bool(pc.match_substring(v, "\\"))
    if escaped.any():
        decoded = [orjson.loads(x) for x in v.filter(pa.array(escaped)).to_pylist()]
        out = pc.replace_with_mask(out, pa.array(escaped), pa.array(decoded, pa.string()))
    return out


def _media_key(v: pa.Array) -> pa.Array:
    """A media key kept by Python's ``[k for k in keys if k]`` (strings only here)."""
    return _nonempty(_leaf_text(v))


def _nonempty(v: pa.Array) -> pa.Array:
    """``text_or_none``: an empty string as NULL."""
    return pc.if_else(pc.equal(v, ""), pa.nulls(len(v), pa.string()), v)


def _id_value(v: Any) -> pa.Array:
    """``id_text`` of a leaf `_id_ok` accepts: its digits."""
    v = _one(v)
    return pc.utf8_trim(v.cast(pa.string()), '"')


def _id_ok(v: Any, *, required: bool = False) -> np.ndarray:
    """Whether a leaf is an id read here (decimal digits; missing unless `required`)."""
    v = _one(v)
    digits = _np_bool(pc.match_substring_regex(v, _ID))
    return digits if required else digits | ~_np_bool(pc.is_valid(v))


def _timestamps(leaf: pa.Array, ok: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """``created_at`` of the rows whose date has the shape `_DATE` (and is a real date)."""
    typ = pa.timestamp("us", tz="UTC")
    text = pc.utf8_slice_codeunits(_null_unless(leaf, ok), 1, -1)
    try:
        return pc.cast(text, typ), ok
    except pa.ArrowInvalid:
        pass  # a date that does not exist (2022-02-30): parsed one by one, as Python does
    from datetime import UTC, datetime

    values: list[Any] = []
    ok = ok.copy()
    for k, value in enumerate(text.to_pylist()):
        parsed = None
        if value is not None:
            try:
                parsed = datetime.fromisoformat(value).astimezone(UTC)
            except ValueError:
                ok[k] = False
        values.append(parsed)
    return pa.array(values, typ), ok


def _entities_ok(entities: Any) -> np.ndarray:
    """An entities struct that is surely an object: absent, or with a known key (a value that
    is not an object transforms to a struct of NULLs, as an empty object does)."""
    entities = _one(entities)
    known = np.zeros(len(entities), dtype=bool)
    for name in ("hashtags", "mentions", "urls", "annotations", "cashtags"):
        known |= _np_bool(pc.is_valid(_field(entities, name)))
    return known | ~_np_bool(pc.is_valid(entities))


def _url_values(v: pa.Array) -> pa.Array:
    """The URL of each entity (``expanded_url``, else ``url``; NULL for media and none)."""
    expanded = _leaf_text(_field(v, "expanded_url"))
    url = _leaf_text(_field(v, "url"))
    chosen = pc.if_else(pc.fill_null(pc.not_equal(expanded, ""), False), expanded, url)
    chosen = _nonempty(chosen)
    media = pc.is_valid(_field(v, "media_key"))
    return pc.if_else(media, pa.nulls(len(v), pa.string()), chosen)


def _url_ok(v: pa.Array) -> np.ndarray:
    expanded = _field(v, "expanded_url")
    return ~_np_bool(pc.is_valid(expanded)) | _is_str(expanded)


def _list_parts(lists: Any) -> tuple[np.ndarray, pa.Array]:
    """Offsets from 0 and the values of a list array (slices and NULL lists included)."""
    lists = _one(lists)
    offsets = _np_int(lists.offsets)
    flat = lists.values.slice(offsets[0], offsets[-1] - offsets[0])
    return offsets - offsets[0], flat


def _lists(
    lists: Any,
    values: Callable[[pa.Array], pa.Array],
    checks: Callable[[pa.Array], np.ndarray] | None = None,
) -> tuple[pa.Array, np.ndarray]:
    """Lists of `values(items)` without NULLs (a NULL list stays NULL), and per list whether
    `checks(items)` holds for every item."""
    lists = _one(lists)
    offsets, flat = _list_parts(lists)
    mapped = values(flat)
    in_valid = np.repeat(_np_bool(pc.is_valid(lists)), np.diff(offsets))
    keep = _np_bool(pc.is_valid(mapped)) & in_valid
    kept = np.zeros(len(flat) + 1, dtype=np.int64)
    kept[1:] = np.cumsum(keep)
    ok = np.ones(len(lists), dtype=bool)
    if checks is not None and len(flat):
        bad = np.zeros(len(flat) + 1, dtype=np.int64)
        bad[1:] = np.cumsum(~checks(flat) & in_valid)
        ok = bad[offsets[1:]] == bad[offsets[:-1]]
    out = pa.ListArray.from_arrays(
        pa.array(kept[offsets].astype(np.int32)),
        mapped.filter(pa.array(keep)),
        mask=pc.is_null(lists),
    )
    return out, ok


def _as_lists(values: pa.Array) -> pa.Array:
    """Each value as a list of itself (an empty list for NULL)."""
    valid = _np_bool(pc.is_valid(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum(valid)
    return pa.ListArray.from_arrays(pa.array(offsets), values.filter(pa.array(valid)))


def _concat_lists(parts: list[pa.Array]) -> pa.Array:
    """Row by row, the items of every list of `parts` in order (NULL lists as empty)."""
    n = len(parts[0])
    counts = np.zeros(n, dtype=np.int64)
    pieces = []
    for lists in parts:
        offsets, flat = _list_parts(lists)
        counts += np.diff(offsets)
        pieces.append((offsets, flat))
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    # Item k of part p in row r goes to offsets[r] + (items of earlier parts in r) + k.
    index_parts = []
    taken = np.zeros(n, dtype=np.int64)
    values = []
    base = 0
    for part_offsets, flat in pieces:
        sizes = np.diff(part_offsets)
        rows = np.repeat(np.arange(n), sizes)
        within = np.arange(len(flat)) - np.repeat(part_offsets[:-1], sizes)
        index_parts.append(offsets[rows] + taken[rows] + within)
        taken += sizes
        values.append(flat.cast(pa.string()))
        base += len(flat)
    flat_all = pa.concat_arrays(values)
    order = np.argsort(np.concatenate(index_parts), kind="stable")
    return pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), flat_all.take(pa.array(order))
    )


def _valid_where(lists: pa.Array, valid: np.ndarray) -> pa.Array:
    """`lists` with exactly the rows of `valid` valid (a NULL list there becomes empty; the
    lists of `_lists` hold no items under a NULL)."""
    offsets, flat = _list_parts(lists)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), flat, mask=pa.array(~valid))


def _null_where(lists: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return lists
    offsets, flat = _list_parts(lists)
    return pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)),
        flat,
        mask=pa.array(mask | ~_np_bool(pc.is_valid(lists))),
    )


def _drop_empty(lists: pa.Array) -> pa.Array:
    """Empty lists as NULL (``keys or None``)."""
    return _null_where(lists, _np_int(pc.list_value_length(lists)) == 0)


def _first_nonempty(a: pa.Array, b: pa.Array) -> pa.Array:
    return pc.if_else(pc.is_valid(a), a, b)


def _lower_lists(lists: pa.Array) -> pa.Array:
    """Lists of strings lower-cased as Python's ``str.lower`` does (the engine's and Arrow's
    ``lower`` differ from it on a few characters, such as a final sigma)."""
    offsets, values = _list_parts(lists)
    if len(values) == 0:
        return lists
    ascii_mask = pc.string_is_ascii(values)
    lowered = pc.ascii_lower(values)
    if not pc.all(ascii_mask).as_py():
        other = pc.filter(values, pc.invert(ascii_mask))
        distinct = pc.unique(other).to_pylist()
        mapping = pa.array([v.lower() for v in distinct], pa.string())
        index = pc.index_in(values, value_set=pa.array(distinct, pa.string()))
        lowered = pc.if_else(ascii_mask, lowered, pc.take(mapping, index))
    return pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), lowered, mask=pc.is_null(_one(lists))
    )


def _as(column: Any, type_: pa.DataType) -> Any:
    column = _one(column)
    return column if column.type == type_ else column.cast(type_)
