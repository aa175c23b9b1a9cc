"""Bot Repository account datasets: profiles (``*_profiles.json``) and labels (``*.tsv``).

The Bot Repository of the Botometer team (Yang et al., "Arming the public with artificial
intelligence to counter social bots", 2019; https://botometer.osome.iu.edu/bot-repository/)
publishes labelled account sets (verified humans, bots bought from vendors, ...), each as two
files, and the two are separate inputs here:

- ``<name>_profiles.json`` (format ``botrepo-profiles``): a JSON array of
  ``{"created_at": <when the profile was fetched>, "user": <Twitter API v1.1 user object>}``,
  streamed item by item. Each item gives one `Account`; the ``user`` fields map to
  ``account_id`` (``id_str``), ``handle`` (``screen_name``), ``display_name``,
  ``description``, ``location``, ``profile_lang`` (``lang``), ``time_zone``, ``created_at``,
  ``followers``, ``following`` (``friends_count``), ``posts_count`` (``statuses_count``),
  ``favourites``, ``listed``, ``verified`` and ``url`` (the expanded profile link, else the
  ``t.co`` one). ``raw`` keeps the rest: the fetch time as ``fetched_at`` and the unmapped user
  fields. An item that is not an object with a user id is quarantined; an unparseable
  ``created_at`` leaves the account's ``created_at`` NULL with the text kept in ``raw``.
- ``<name>.tsv`` (format ``botrepo-labels``): one ``<user id><TAB><label>`` line per account,
  the label ``human`` or ``bot``, with or without a header line (``id<TAB>class``: two names,
  the first not a number; it is skipped). Each line gives the label ``botrepo_label``
  (lower-case) of that account; an account only labelled (no profile) is stored with its id
  alone. A file is detected as this format when every complete line of its first 64 KiB after
  the optional header is a numeric id, a tab and ``human`` or ``bot``; other label files need
  ``--format botrepo-labels``. A line that is not an id, a tab and a label is quarantined.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import IO, Any, cast

import ijson
import orjson

from infoscope.ingest.formats import (
    JSON_KINDS,
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    register,
)
from infoscope.ingest.reading import Oversized, iter_lines, to_utf8
from infoscope.ingest.sources import Source
from infoscope.ingest.twitter_v1 import account_from_user as v1_account
from infoscope.records import Account, Provenance

__all__ = ["BotrepoLabels", "BotrepoProfiles", "account_from_user"]

TWITTER_DATE = "%a %b %d %H:%M:%S %z %Y"
LABEL_KEY = "botrepo_label"
_DIGITS = re.compile(r"[0-9]+")
_LABEL_LINE = re.compile(r"[0-9]+\t(?:human|bot)\r?")
# A header line: two column names, the first not a number (``id\tclass``, ``user_id\tlabel``).
_HEADER_LINE = re.compile(r"\ufeff?[A-Za-z_][A-Za-z0-9_ .-]*\t[A-Za-z_][A-Za-z0-9_ .-]*\r?")
_WRAPPER_KEYS = frozenset({"created_at", "user"})
# User fields mapped to Account fields (the rest of the user object stays in ``raw``).
_MAPPED_USER_FIELDS = frozenset(
    {
        "id",
        "id_str",
        "screen_name",
        "name",
        "description",
        "location",
        "lang",
        "time_zone",
        "created_at",
        "followers_count",
        "friends_count",
        "statuses_count",
        "favourites_count",
        "listed_count",
        "verified",
    }
)


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def account_from_user(
    item: dict[str, Any],
    platform: str,
    provenance: Provenance,
    *,
    date_formats: tuple[str, ...] = (),
) -> Account | None:
    """The `Account` of one ``{"created_at", "user"}`` item, None when it has no user id.

    The user object maps as in `twitter_v1.account_from_user`; ``raw`` holds the fetch time
    and the user fields no column holds (and ``created_at`` when it does not parse: it is read
    with `date_formats`, ``--date-format``, first, then as Twitter writes it).
    """
    user = item.get("user")
    if not isinstance(user, dict):
        return None
    account = v1_account(user, platform, provenance, date_formats=date_formats)
    if account is None:
        return None
    rest = {k: v for k, v in user.items() if k not in _MAPPED_USER_FIELDS}
    if account.created_at is None and user.get("created_at") is not None:
        rest["created_at"] = user["created_at"]
    raw: dict[str, Any] = {"fetched_at": item.get("created_at"), "user": rest}
    raw.update({k: v for k, v in item.items() if k not in _WRAPPER_KEYS})
    account.raw = orjson.dumps(raw).decode("utf-8")
    account.provenance = provenance
    return account


class BotrepoProfiles(RecordFormat):
    name = "botrepo-profiles"
    containers = JSON_KINDS
    description = "Bot Repository profiles: JSON array of {created_at, user: v1.1 user object}"

    def detect(self, sniff: Sniff) -> int:
        first = sniff.first
        if sniff.kind != "json-array" or not isinstance(first, dict):
            return 0
        user = first.get("user")
        if set(first) != _WRAPPER_KEYS or not isinstance(user, dict):
            return 0
        return 20 if {"screen_name", "followers_count"} <= set(user) else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or "twitter"
        stream: IO[bytes] = source.stream
        if not _is_utf8(ctx.encoding):
            stream = cast(IO[bytes], codecs.EncodedFile(stream, "utf-8", ctx.encoding))
        record = 0
        try:
            for item in ijson.items(stream, "item", use_float=True):
                record += 1
                account = None
                if isinstance(item, dict):
                    prov = Provenance(source=source.name, record=record)
                    account = account_from_user(item, platform, prov, date_formats=ctx.date_formats)
                if account is None:
                    raw = orjson.dumps(item).decode("utf-8")
                    yield Quarantined("not a profile: no user id", raw, record)
                    continue
                yield account
        except ijson.JSONError as exc:
            # Parsing the data, not detecting its format: a file cut short keeps the profiles
            # read before the damage, and the rest is reported once.
            yield Quarantined(
                f"invalid JSON: {exc}; the rest of the array is not read", None, record + 1
            )


def _complete_lines(sn: Sniff) -> list[str]:
    """The non-blank lines of the sniffed head, without a last line the head may cut."""
    lines = sn.text.split("\n")
    if len(lines) > 1:
        lines = lines[:-1]  # "" after a final newline, or a line the head may have cut
    return [line for line in lines if line.strip()]


class BotrepoLabels(RecordFormat):
    name = "botrepo-labels"
    description = "Bot Repository labels: headerless TSV of <user id><TAB>human|bot"

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind not in ("text", "csv"):
            return 0
        lines = _complete_lines(sniff)
        if lines and _HEADER_LINE.fullmatch(lines[0]):
            lines = lines[1:]
        if lines and all(_LABEL_LINE.fullmatch(line) for line in lines):
            return 20
        return 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or "twitter"
        record = 0
        for line_no, line in iter_lines(source.stream, max_record_bytes=ctx.max_record_bytes):
            if isinstance(line, Oversized):
                record += 1
                yield Quarantined(line.reason, line.preview, record, line_no)
                continue
            text = to_utf8(line, ctx.encoding, source.name, line_no).decode("utf-8")
            text = text.lstrip("\ufeff").rstrip("\r\n")
            if not text.strip():
                continue
            if record == 0 and _HEADER_LINE.fullmatch(text):
                continue  # the header line
            record += 1
            parts = [part.strip() for part in text.split("\t")]
            if len(parts) != 2 or not _DIGITS.fullmatch(parts[0]) or not parts[1]:
                yield Quarantined("not <user id><TAB><label>", text, record, line_no)
                continue
            yield Account(
                platform=platform,
                account_id=parts[0],
                labels={LABEL_KEY: parts[1].lower()},
                provenance=Provenance(source=source.name, record=record, line=line_no),
            )


register(BotrepoProfiles())
register(BotrepoLabels())
