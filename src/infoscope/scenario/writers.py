"""Writers of generated posts in real source formats, and of the ground truth.

Each corpus writer turns the batches of `infoscope.scenario.generate` into one file that the
matching importer of `infoscope.ingest` reads (detected without ``--format``):

- ``twitter-v2``: ``tweets.jsonl``, one tweet a line as ``twarc2 flatten`` writes it (X API v2
  tweet fields with ``author``, ``in_reply_to_user`` and the expanded ``referenced_tweets``
  inline, ``entities`` with character offsets, ``public_metrics``, the ``__twarc`` stamp).
  Mentioned users are not merged into ``entities.mentions`` (twarc does): an account that is
  only ever mentioned is therefore not stored as an account by ingest.
- ``io-archive``: ``tweets.csv`` in the 31 columns of Twitter's information-operations archive
  (``tweet_time`` to the minute, as in the archive; user ids are not hashed).
- ``telegram``: ``result.json``, the Telegram Desktop export of one public supergroup where
  every account writes; retweets are forwards (``forwarded_from``), replies and quotes are
  replies (``reply_to_message_id``); Telegram has no profile locations.
- ``mastodon``: ``statuses.jsonl``, Mastodon API statuses (boosts, 4.4 quotes, replies), in
  `infoscope.scenario.mastodon_writer`.
- ``bluesky-jetstream``: ``jetstream.jsonl``, Jetstream commit events of posts and reposts
  with identity events and profiles, in `infoscope.scenario.bluesky_writer`.

Writers are registered by name in `CORPUS_WRITERS` (`register_writer` for those in their own
module); `TruthWriter` writes ``truth_posts.parquet``
(streamed, one row group per slice) and ``truth_accounts.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import queue
import threading
from pathlib import Path
from typing import IO, Any, ClassVar, Literal

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from infoscope.scenario.batch import KINDS, QUOTE, REPLY, RETWEET, TRACES, Batch, Parts
from infoscope.scenario.config import PERSONAS, ScenarioConfig
from infoscope.scenario.population import CITY_TZ, ORGANIC, Population

__all__ = [
    "CorpusWriter",
    "HashingFile",
    "IoArchiveWriter",
    "TelegramWriter",
    "TruthWriter",
    "TwitterV2Writer",
    "file_digest",
    "iso_times",
    "register_writer",
    "trace_names",
]


class HashingFile:
    """A binary file written by a background thread that keeps its SHA-256 and length.

    Writing to disk and hashing release the GIL, so they overlap with serialising the next
    slice. At most a few slices wait in the queue, which keeps memory bounded.
    """

    def __init__(self, path: Path):
        self.path = path
        self._file: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._hash = hashlib.sha256()
        self.bytes = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="scenario-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                self._file.write(data)
                self._hash.update(data)
            except BaseException as exc:  # handed to the caller at the next write or close
                self._error = exc

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self.bytes += len(data)
        self._queue.put(data)

    def close(self) -> dict[str, Any]:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._file.close()
        if self._error is not None:
            raise self._error
        return {"sha256": self._hash.hexdigest(), "bytes": self.bytes}


def file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "bytes": size}


def iso_times(t_ms: np.ndarray, unit: Literal["D", "m", "s", "ms"] = "ms") -> list[str]:
    """``2024-01-01T10:00:00.000`` strings (UTC, no zone suffix) for epoch milliseconds
    (``2024-01-01`` for the unit ``D``)."""
    return np.datetime_as_string(t_ms.astype("datetime64[ms]"), unit=unit).tolist()


def _display_url(url: str) -> str:
    bare = url.split("://", 1)[-1]
    return bare if len(bare) <= 26 else bare[:25] + "…"


class CorpusWriter:
    """A corpus file in one format, written batch by batch.

    A writer knows the ids its format gives accounts and posts (`account_ids`,
    `post_id_array`) before any file is opened, so the ground truth can be written in one
    process while the corpus is serialised in another.
    """

    name: ClassVar[str]
    filename: ClassVar[str]
    # The platform the importer stores the posts under (what the truth is joined on).
    platform: ClassVar[str] = "twitter"
    # How the format writes each kind of post (Telegram has no quotes: they are replies).
    kinds: ClassVar[tuple[str, ...]] = KINDS

    def __init__(self, pop: Population, config: ScenarioConfig):
        self.pop = pop
        self.config = config
        self.file: HashingFile | None = None
        self.id_text = [str(i) for i in pop.ids.tolist()]
        self.lang_code = [config.languages[k] for k in pop.lang.tolist()]

    def account_ids(self) -> list[str]:
        """Every account's id as the importer stores it, by account number."""
        return self.id_text

    def post_id_array(self, batch: Batch) -> pa.Array:
        """The posts' ids as the importer stores them."""
        return pa.array(batch.uid, pa.int64()).cast(pa.string())

    def open(self, out_dir: Path) -> None:
        self.file = HashingFile(out_dir / self.filename)
        self.file.write(self.header())

    def header(self) -> bytes:
        return b""

    def footer(self) -> bytes:
        return b""

    def serialise(self, batch: Batch) -> bytes:
        """The batch's posts in the format (no state: any process may serialise any batch)."""
        raise NotImplementedError

    def write_bytes(self, data: bytes) -> None:
        """Append serialised posts to the file, in order."""
        assert self.file is not None, "open() the writer first"
        self.file.write(data)

    def write(self, batch: Batch) -> None:
        self.write_bytes(self.serialise(batch))

    def close(self) -> dict[str, Any]:
        assert self.file is not None, "open() the writer first"
        self.file.write(self.footer())
        return self.file.close()


# One tweet line, filled with bytes formatting (much faster than building dicts): the fields
# and their order are those of twarc2 flatten's output.
_TWEET = (
    b'{"id":"%d","text":%b,"created_at":"%bZ","author_id":"%b","conversation_id":"%d",'
    b'"lang":"%b","edit_history_tweet_ids":["%d"],"possibly_sensitive":false,'
    b'"reply_settings":"everyone","public_metrics":{"retweet_count":%d,"reply_count":%d,'
    b'"like_count":%d,"quote_count":%d,"bookmark_count":%d,"impression_count":%d}%b,'
    b'"author":%b,"__twarc":%b}'
)
_REFERENCED = (
    b'"referenced_tweets":[{"type":"%b","id":"%d","text":%b,"created_at":"%bZ",'
    b'"author_id":"%b","conversation_id":"%d","lang":"%b","edit_history_tweet_ids":["%d"]%b,'
    b'"author":%b}]'
)


class TwitterV2Writer(CorpusWriter):
    name = "twitter-v2"
    filename = "tweets.jsonl"

    def __init__(self, pop: Population, config: ScenarioConfig):
        super().__init__(pop, config)
        end_ms = int(config.start_datetime.timestamp()) * 1000 + config.days * 86_400_000
        self.twarc = orjson.dumps(
            {
                "url": "https://api.twitter.com/2/tweets/search/all",
                "version": "2.14.0",
                "retrieved_at": iso_times(np.array([end_ms]))[0] + "+00:00",
            }
        )
        self._users: dict[int, bytes] = {}
        self._refs: dict[Any, Any] = {}
        self.created = [t + "Z" for t in iso_times(pop.created_s * 1000)]
        self.id_bytes = [i.encode() for i in self.id_text]
        self.lang_bytes = [code.encode() for code in self.lang_code]

    def _user(self, a: int) -> bytes:
        """The v2 user object of account `a` as JSON, serialised once (bounded cache)."""
        data = self._users.get(a)
        if data is None:
            pop = self.pop
            user: dict[str, Any] = {
                "id": self.id_text[a],
                "username": pop.handle[a],
                "name": pop.name[a],
                "created_at": self.created[a],
                "description": pop.description[a],
                "protected": False,
                "verified": bool(pop.verified[a]),
                "public_metrics": {
                    "followers_count": int(pop.followers[a]),
                    "following_count": int(pop.following[a]),
                    "tweet_count": int(pop.statuses[a]),
                    "listed_count": int(pop.listed[a]),
                    "like_count": int(pop.favourites[a]),
                },
            }
            if pop.location[a]:
                user["location"] = pop.location[a]
            if len(self._users) > 100_000:
                self._users.clear()
            # orjson's result keeps spare capacity (2-3 KB here): cache an exact-size copy.
            data = self._users[a] = bytes(memoryview(orjson.dumps(user)))
        return data

    def _render(self, parts: Parts, offset: int = 0) -> tuple[str, dict[str, Any] | None]:
        """Tweet text (mentions first, hashtags and t.co links last) and its entities.

        Entity offsets are in characters (code points) and start at `offset`.
        """
        body, tags, mentions, urls = parts
        if not (tags or mentions or urls):
            return body, None
        handles, ids = self.pop.handle, self.id_text
        pieces: list[str] = []
        entities: dict[str, Any] = {}
        pos = offset
        if mentions:
            found = []
            for m in mentions:
                h = handles[m]
                found.append({"start": pos, "end": pos + len(h) + 1, "username": h, "id": ids[m]})
                pieces.append("@" + h)
                pos += len(h) + 2
            entities["mentions"] = found
        pieces.append(body)
        pos += len(body) + 1
        if tags:
            found = []
            for t in tags:
                found.append({"start": pos, "end": pos + len(t) + 1, "tag": t})
                pieces.append("#" + t)
                pos += len(t) + 2
            entities["hashtags"] = found
        if urls:
            found = []
            for code, expanded in urls:
                short = "https://t.co/" + code
                found.append(
                    {
                        "start": pos,
                        "end": pos + len(short),
                        "url": short,
                        "expanded_url": expanded,
                        "display_url": _display_url(expanded),
                    }
                )
                pieces.append(short)
                pos += len(short) + 1
            entities["urls"] = found
        return " ".join(pieces), entities

    def _retweeted(
        self, parts: Parts, rid: int, ra: int, created: bytes
    ) -> tuple[bytes, bytes, bytes]:
        """A retweet's text (JSON), its entities and referenced tweet, and its language."""
        text, entities = self._render(parts)
        h = self.pop.handle[ra]
        # The retweet's own text and entities: "RT @user: " then the original's, moved.
        rt_entities: dict[str, Any] = {
            "mentions": [{"start": 3, "end": 4 + len(h), "username": h, "id": self.id_text[ra]}]
        }
        if entities:
            _, moved = self._render(parts, len(h) + 6)
            for key, items in (moved or {}).items():
                rt_entities[key] = rt_entities.get(key, []) + items
        original = _REFERENCED % (
            b"retweeted", rid, orjson.dumps(text), created, self.id_bytes[ra], rid,
            self.lang_bytes[ra], rid,
            b',"entities":' + orjson.dumps(entities) if entities else b"", self._user(ra),
        )  # fmt: skip
        extra = b',"entities":' + orjson.dumps(rt_entities) + b"," + original
        text_json = bytes(memoryview(orjson.dumps(f"RT @{h}: {text}")))  # exact size, cached
        return text_json, extra, self.lang_bytes[ra]

    def _answered(self, parts: Parts, k: int, rid: int, ra: int, created: bytes) -> bytes:
        """The referenced tweet of a reply or quote (and the replied-to user) as JSON fields."""
        text, entities = self._render(parts)
        out = b"," + _REFERENCED % (
            b"replied_to" if k == REPLY else b"quoted", rid, orjson.dumps(text), created,
            self.id_bytes[ra], rid, self.lang_bytes[ra], rid,
            b',"entities":' + orjson.dumps(entities) if entities else b"", self._user(ra),
        )  # fmt: skip
        if k == REPLY:
            out += b',"in_reply_to_user_id":"%b","in_reply_to_user":%b' % (
                self.id_bytes[ra],
                self._user(ra),
            )
        return out

    def serialise(self, batch: Batch) -> bytes:
        created = np.datetime_as_string(batch.t_ms.astype("datetime64[ms]"), unit="ms")
        created_b = created.astype("S").tolist()
        ref_created = np.datetime_as_string(
            np.maximum(batch.ref_t_ms, 0).astype("datetime64[ms]"), unit="ms"
        )
        ref_created_b = ref_created.astype("S").tolist()
        uids = batch.uid.tolist()
        authors = batch.author.tolist()
        kinds = batch.kind.tolist()
        ref_uid = batch.ref_uid.tolist()
        ref_author = batch.ref_author.tolist()
        conv = batch.conv_uid.tolist()
        likes, rts = batch.likes.tolist(), batch.retweets.tolist()
        replies, quotes = batch.replies.tolist(), batch.quotes.tolist()
        ref_parts = batch.ref_parts.tolist()
        id_b, lang_b = self.id_bytes, self.lang_bytes
        user, render, twarc, dumps = self._user, self._render, self.twarc, orjson.dumps
        tweet_t = _TWEET
        lines = []
        refs = self._refs
        if len(refs) > 20_000:
            refs.clear()
        for i, parts in enumerate(batch.parts.tolist()):
            a, k, uid = authors[i], kinds[i], uids[i]
            if k == RETWEET:
                # Retweets of one post differ only in their own fields: the rest is cached.
                rid = ref_uid[i]
                cached = refs.get(rid)
                if cached is None:
                    cached = refs[rid] = self._retweeted(
                        parts, rid, ref_author[i], ref_created_b[i]
                    )
                text_json, extra, lang = cached
            else:
                text, entities = render(parts)
                text_json, lang = dumps(text), lang_b[a]
                extra = b',"entities":' + dumps(entities) if entities else b""
                if k in (REPLY, QUOTE):
                    key = (k, ref_uid[i])
                    answered = refs.get(key)
                    if answered is None:
                        answered = refs[key] = self._answered(
                            ref_parts[i], k, ref_uid[i], ref_author[i], ref_created_b[i]
                        )
                    extra += answered
            values = (
                uid, text_json, created_b[i], id_b[a], conv[i], lang, uid,
                rts[i], replies[i], likes[i], quotes[i], likes[i] // 20, 30 * likes[i] + 11,
                extra, user(a), twarc,
            )  # fmt: skip
            lines.append(tweet_t % values)
        lines.append(b"")
        return b"\n".join(lines)


IO_COLUMNS = (
    "tweetid",
    "userid",
    "user_display_name",
    "user_screen_name",
    "user_reported_location",
    "user_profile_description",
    "user_profile_url",
    "follower_count",
    "following_count",
    "account_creation_date",
    "account_language",
    "tweet_language",
    "tweet_text",
    "tweet_time",
    "tweet_client_name",
    "in_reply_to_userid",
    "in_reply_to_tweetid",
    "quoted_tweet_tweetid",
    "is_retweet",
    "retweet_userid",
    "retweet_tweetid",
    "latitude",
    "longitude",
    "quote_count",
    "reply_count",
    "like_count",
    "retweet_count",
    "hashtags",
    "urls",
    "user_mentions",
    "poll_choices",
)
CLIENTS = ("Twitter for iPhone", "Twitter for Android", "Twitter Web App")
PERSONA_CLIENTS = ("TweetDeck", "Twitter Web App", "dlvr.it", "Twitter for Android")


class IoArchiveWriter(CorpusWriter):
    name = "io-archive"
    filename = "tweets.csv"

    def __init__(self, pop: Population, config: ScenarioConfig):
        super().__init__(pop, config)
        self.created_day = [s[:10] for s in iso_times(pop.created_s * 1000)]
        self._profiles: dict[int, tuple[Any, ...]] = {}

    def header(self) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(IO_COLUMNS)
        return buffer.getvalue().encode("utf-8")

    def _profile(self, a: int) -> tuple[Any, ...]:
        row = self._profiles.get(a)
        if row is None:
            pop = self.pop
            url = ""
            if pop.persona[a] == 0:  # news-fronts link their site
                url = pop.description[a].rsplit(" ", 1)[-1]
            row = (
                self.id_text[a],
                pop.name[a],
                pop.handle[a],
                pop.location[a],
                pop.description[a],
                url,
                int(pop.followers[a]),
                int(pop.following[a]),
                self.created_day[a],
                self.lang_code[a],
            )
            if len(self._profiles) > 200_000:
                self._profiles.clear()
            self._profiles[a] = row
        return row

    def _client(self, a: int) -> str:
        persona = int(self.pop.persona[a])
        if persona >= 0:
            return PERSONA_CLIENTS[persona]
        return CLIENTS[(a * 2654435761) % 4294967296 % len(CLIENTS)]

    def _text(self, parts: Parts) -> str:
        body, tags, mentions, urls = parts
        if not (tags or mentions or urls):
            return body
        handles = self.pop.handle
        pieces = ["@" + handles[m] for m in mentions]
        pieces.append(body)
        pieces.extend("#" + t for t in tags)
        pieces.extend("https://t.co/" + code for code, _ in urls)
        return " ".join(pieces)

    def serialise(self, batch: Batch) -> bytes:
        ids = [str(u) for u in batch.uid.tolist()]
        times = [s.replace("T", " ") for s in iso_times(batch.t_ms, unit="m")]
        authors = batch.author.tolist()
        kinds = batch.kind.tolist()
        ref_uid = batch.ref_uid.tolist()
        ref_author = batch.ref_author.tolist()
        likes, rts = batch.likes.tolist(), batch.retweets.tolist()
        replies, quotes = batch.replies.tolist(), batch.quotes.tolist()
        id_text, langs, handles = self.id_text, self.lang_code, self.pop.handle
        rows = []
        for i, parts in enumerate(batch.parts):
            a, k = authors[i], kinds[i]
            text = self._text(parts)
            _, tags, mentions, urls = parts
            reply_user = reply_tweet = quoted = rt_user = rt_tweet = ""
            lang = langs[a]
            if k == RETWEET:
                ra = ref_author[i]
                text = f"RT @{handles[ra]}: {text}"
                rt_user, rt_tweet = id_text[ra], str(ref_uid[i])
                lang = langs[ra]
                mentions = (ra, *mentions)
            elif k == REPLY:
                reply_user, reply_tweet = id_text[ref_author[i]], str(ref_uid[i])
            elif k == QUOTE:
                quoted = str(ref_uid[i])
            rows.append(
                (
                    ids[i],
                    *self._profile(a),
                    lang,
                    text,
                    times[i],
                    self._client(a),
                    reply_user,
                    reply_tweet,
                    quoted,
                    "true" if k == RETWEET else "false",
                    rt_user,
                    rt_tweet,
                    "absent",
                    "absent",
                    quotes[i],
                    replies[i],
                    likes[i],
                    rts[i],
                    "[" + ", ".join(tags) + "]" if tags else "",
                    "[" + ", ".join(u for _, u in urls) + "]" if urls else "",
                    "[" + ", ".join(id_text[m] for m in mentions) + "]" if mentions else "",
                    "",
                )
            )
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode("utf-8")


class TelegramWriter(CorpusWriter):
    name = "telegram"
    filename = "result.json"
    platform = "telegram"
    kinds = ("original", "retweet", "reply", "reply")
    CHAT_ID = 1_500_000_000

    def __init__(self, pop: Population, config: ScenarioConfig):
        super().__init__(pop, config)
        self.first = True

    def header(self) -> bytes:
        return (
            '{\n "name": "infoscope scenario",\n "type": "public_supergroup",\n'
            f' "id": {self.CHAT_ID},\n "messages": [\n'
        ).encode()

    def footer(self) -> bytes:
        return b"\n ]\n}\n"

    def account_ids(self) -> list[str]:
        return ["user" + i for i in self.id_text]

    def post_id_array(self, batch: Batch) -> pa.Array:
        seq = pa.array(batch.seq + 1, pa.int64()).cast(pa.string())
        return pc.binary_join_element_wise(f"{self.CHAT_ID}/", seq, "")

    def _text(self, parts: Parts) -> tuple[Any, list[dict[str, str]]]:
        """``text`` (a string, or a list of strings and entity objects) and ``text_entities``."""
        body, tags, mentions, urls = parts
        if not (tags or mentions or urls):
            return body, [{"type": "plain", "text": body}]
        handles = self.pop.handle
        entities: list[dict[str, str]] = []
        for m in mentions:
            entities.append({"type": "mention", "text": "@" + handles[m]})
            entities.append({"type": "plain", "text": " "})
        entities.append({"type": "plain", "text": body})
        for t in tags:
            entities.append({"type": "plain", "text": " "})
            entities.append({"type": "hashtag", "text": "#" + t})
        for _, url in urls:
            entities.append({"type": "plain", "text": " "})
            entities.append({"type": "link", "text": url})
        text = [e["text"] if e["type"] == "plain" else e for e in entities]
        return text, entities

    def serialise(self, batch: Batch) -> bytes:
        pop = self.pop
        dates = [s for s in iso_times(batch.t_ms, unit="s")]
        unix = (batch.t_ms // 1000).tolist()
        seqs = batch.seq.tolist()
        authors = batch.author.tolist()
        kinds = batch.kind.tolist()
        ref_author = batch.ref_author.tolist()
        ref_seq = batch.ref_seq.tolist()
        likes = batch.likes.tolist()
        id_text, names = self.id_text, pop.name
        out = []
        for i, parts in enumerate(batch.parts):
            a, k = authors[i], kinds[i]
            message: dict[str, Any] = {
                "id": seqs[i] + 1,
                "type": "message",
                "date": dates[i],
                "date_unixtime": str(unix[i]),
                "from": names[a],
                "from_id": "user" + id_text[a],
            }
            if k == RETWEET:
                message["forwarded_from"] = names[ref_author[i]]
                message["forwarded_from_id"] = "user" + id_text[ref_author[i]]
            elif k in (REPLY, QUOTE) and ref_seq[i] >= 0:
                message["reply_to_message_id"] = ref_seq[i] + 1
            message["text"], message["text_entities"] = self._text(parts)
            if likes[i]:
                message["reactions"] = [{"type": "emoji", "count": likes[i], "emoji": "👍"}]
            out.append(b"  " + orjson.dumps(message))
        return b",\n".join(out)

    def write_bytes(self, data: bytes) -> None:
        """Messages are separated by commas, also across batches."""
        if data:
            super().write_bytes(data if self.first else b",\n" + data)
            self.first = False


CORPUS_WRITERS: dict[str, type[CorpusWriter]] = {
    w.name: w for w in (TwitterV2Writer, IoArchiveWriter, TelegramWriter)
}


def register_writer(writer: type[CorpusWriter]) -> type[CorpusWriter]:
    """Register a corpus writer by its name (a class decorator, for writers in their own
    module: ``infoscope.scenario.mastodon_writer``, ``bluesky_writer``)."""
    if writer.name in CORPUS_WRITERS and CORPUS_WRITERS[writer.name] is not writer:
        raise ValueError(f"a scenario writer named {writer.name!r} is already registered")
    CORPUS_WRITERS[writer.name] = writer
    return writer


TRUTH_POST_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("planted", pa.bool_(), nullable=False),
        pa.field("operation_id", pa.string()),
        pa.field("persona", pa.string()),
        pa.field("trace", pa.string()),
        pa.field("narrative", pa.bool_(), nullable=False),
    ]
)
TRUTH_ACCOUNT_COLUMNS = (
    "account_id",
    "handle",
    "role",
    "operation_id",
    "persona",
    "sympathiser",
    "adopts_narrative_of",
    "claimed_location",
    "claimed_timezone",
    "true_timezone",
    "language",
    "community",
    "posts",
)


def trace_names(bits: int) -> str | None:
    """``amplification|hashtag-campaign`` for a trace bit set, None for none."""
    names = [name for i, name in enumerate(TRACES) if bits >> i & 1]
    return "|".join(names) or None


class TruthWriter:
    """``truth_posts.parquet`` (streamed) and ``truth_accounts.csv`` (at the end)."""

    POSTS = "truth_posts.parquet"
    ACCOUNTS = "truth_accounts.csv"
    ROW_GROUP = 65_536

    def __init__(self, out_dir: Path, corpus: CorpusWriter, operations: list[str]):
        self.out_dir = out_dir
        self.corpus = corpus
        self.writer = pq.ParquetWriter(out_dir / self.POSTS, TRUTH_POST_SCHEMA, compression="zstd")
        # Lookup arrays indexed by code + 1 (so that -1, "none", maps to null).
        self.account_ids = pa.array(corpus.account_ids(), pa.string())
        self.op_names = pa.array([None, *operations], pa.string())
        self.persona_names = pa.array([None, *PERSONAS], pa.string())
        self.kind_names = pa.array(list(corpus.kinds), pa.string())
        self.trace_names = pa.array([trace_names(b) for b in range(1 << len(TRACES))], pa.string())
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def write(self, batch: Batch) -> None:
        """Add a batch's rows; they are written as a row group once 64k rows are waiting."""
        table = pa.Table.from_arrays(
            [
                self.corpus.post_id_array(batch),
                self.account_ids.take(pa.array(batch.author)),
                pa.array(batch.t_ms, pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
                self.kind_names.take(pa.array(batch.kind)),
                pa.array(batch.planted),
                self.op_names.take(pa.array(batch.op + 1)),
                self.persona_names.take(pa.array(batch.persona + 1)),
                self.trace_names.take(pa.array(batch.trace)),
                pa.array(batch.narrative),
            ],
            schema=TRUTH_POST_SCHEMA,
        )
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self.writer.write_table(pa.concat_tables(self._pending), row_group_size=1 << 20)
        self._pending, self._pending_rows = [], 0

    def close(self, pop: Population, post_counts: np.ndarray) -> None:
        self._flush()
        self.writer.close()
        ops = [op.name for op in pop.operations]
        ids = self.corpus.account_ids()
        with open(self.out_dir / self.ACCOUNTS, "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(TRUTH_ACCOUNT_COLUMNS)
            for a in range(pop.n):
                op = int(pop.op[a])
                sym = int(pop.sympathiser[a])
                out.writerow(
                    (
                        ids[a],
                        pop.handle[a],
                        "organic" if pop.role[a] == ORGANIC else "operation",
                        ops[op] if op >= 0 else "",
                        PERSONAS[pop.persona[a]] if pop.persona[a] >= 0 else "",
                        "true" if sym >= 0 else "false",
                        ops[sym] if sym >= 0 else "",
                        pop.location[a],
                        CITY_TZ.get(pop.location[a], ""),
                        pop.tz_names[pop.tz[a]],
                        pop.languages[pop.lang[a]],
                        int(pop.community[a]),
                        int(post_counts[a]),
                    )
                )
