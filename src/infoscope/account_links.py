"""The same actor's accounts on several platforms: links stated by the analyst or found by exact
matches, each with its evidence. Never guessed.

A link ties two accounts (``platform_a, account_a`` and ``platform_b, account_b``, stored in
that order of platform then id) in the store's ``account_links`` table with its ``method``,
``evidence``, ``note`` and provenance (the file and row, or the matching run). Methods:

- ``analyst``: a row of a CSV file the analyst supplies (`add_account_links`): columns
  ``platform_a, account_a, platform_b, account_b`` and optionally ``note``. An account is
  named by its id, or by its handle (``@name`` or ``name``) when that handle is one account's
  on its platform in the store.
- ``profile-url`` (`match_account_links`): an account's profile URL (``accounts.url``) is the
  profile address of an account of another platform (``https://twitter.com/name``,
  ``t.me/name``, ``facebook.com/name``, ``instagram.com/name``, ``youtube.com/@name``,
  ``tiktok.com/@name``, ``vk.com/name``, ``bsky.app/profile/name``, ``https://host/@user`` on
  Mastodon), whose handle (or id) is exactly that name; the evidence names the URL.
- ``same-url``: two accounts of two platforms give the same profile URL (a website, a
  link-in-bio page), each the only account of its platform to give it; the evidence is the
  URL.
- ``same-handle``: two accounts of two platforms have the same handle (case-folded), each the
  only one with it on its platform; only on request, since common names are held by
  different people.

A match that would tie an account to several accounts of one platform is left out (counted
as ambiguous): exact and unique, or nothing. The analyses show linked accounts together and
never merge them (`infoscope.coordination.profiles`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from infoscope.errors import BadParameterError, MissingColumnError
from infoscope.records import ACCOUNT_LINK_SCHEMA
from infoscope.store import Store

__all__ = [
    "LINK_COLUMNS",
    "MATCH_METHODS",
    "LinkSummary",
    "account_links",
    "add_account_links",
    "match_account_links",
    "profile_target",
]

COMMAND = "account-links"
LINK_COLUMNS = ("platform_a", "account_a", "platform_b", "account_b")
MATCH_METHODS = ("profile-url", "same-url", "same-handle")
DEFAULT_MATCH = ("profile-url", "same-url")

# Profile addresses: host (without www./m./mobile.) -> platform, and the path's name pattern.
_PROFILE_HOSTS: dict[str, tuple[str, re.Pattern[str]]] = {
    "twitter.com": ("twitter", re.compile(r"^/([A-Za-z0-9_]{1,50})/?$")),
    "x.com": ("twitter", re.compile(r"^/([A-Za-z0-9_]{1,50})/?$")),
    "facebook.com": ("facebook", re.compile(r"^/([A-Za-z0-9.\-_]{2,80})/?$")),
    "fb.com": ("facebook", re.compile(r"^/([A-Za-z0-9.\-_]{2,80})/?$")),
    "t.me": ("telegram", re.compile(r"^/(?:s/)?([A-Za-z0-9_]{4,64})/?$")),
    "telegram.me": ("telegram", re.compile(r"^/(?:s/)?([A-Za-z0-9_]{4,64})/?$")),
    "instagram.com": ("instagram", re.compile(r"^/([A-Za-z0-9._]{1,50})/?$")),
    "youtube.com": ("youtube", re.compile(r"^/(?:@|c/|user/)([A-Za-z0-9._\-]{1,100})/?$")),
    "tiktok.com": ("tiktok", re.compile(r"^/@([A-Za-z0-9._]{1,50})/?$")),
    "vk.com": ("vk", re.compile(r"^/([A-Za-z0-9._]{1,64})/?$")),
    "bsky.app": ("bluesky", re.compile(r"^/profile/([A-Za-z0-9.:\-_]{1,253})/?$")),
}
# Paths of those hosts that are not profiles.
_NOT_PROFILES = frozenset(
    {"home", "share", "sharer", "sharer.php", "intent", "search", "hashtag", "i", "pages",
     "groups", "events", "watch", "profile.php", "people", "login", "joinchat", "explore",
     "settings", "about", "help", "privacy", "feed", "wall", "results", "channel"}
)  # fmt: skip
# A links file: comma-separated with a header, short rows padded (a row without its note).
_CSV = "header = true, all_varchar = true, delim = ',', quote = '\"', null_padding = true"
_MASTODON = re.compile(r"^/@([A-Za-z0-9_]{1,64})/?$")


@dataclass
class LinkSummary:
    """What an add or a match did: links stored per method, links already stored, and what
    was left out and why."""

    run_id: str = ""
    added: Counter[str] = field(default_factory=Counter)
    known: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_accounts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "added": dict(self.added),
            "already_stored": self.known,
            "skipped": dict(self.skipped),
            "accounts_not_in_store": self.unknown_accounts,
        }


def _host(url: str) -> tuple[str, str] | None:
    text = url.strip()
    if not text:
        return None
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "mobile."):
        host = host.removeprefix(prefix)
    return (host, parts.path or "/") if host else None


def profile_target(url: str) -> tuple[str, str] | None:
    """The (platform, name) whose profile address `url` is, or None.

    >>> profile_target("https://www.twitter.com/Heimat_TW/")
    ('twitter', 'heimat_tw')
    >>> profile_target("t.me/s/heimat_news")
    ('telegram', 'heimat_news')
    >>> profile_target("https://example.org/about") is None
    True
    """
    found = _host(url)
    if found is None:
        return None
    host, path = found
    if host in _PROFILE_HOSTS:
        platform, pattern = _PROFILE_HOSTS[host]
        match = pattern.match(path)
        if match is None or match[1].lower() in _NOT_PROFILES:
            return None
        return platform, match[1].lower()
    match = _MASTODON.match(path)
    if match is not None and "." in host:
        return "mastodon", f"{match[1]}@{host}".lower()
    return None


def _same_url_key(url: str) -> str | None:
    """A profile URL compared as text: host without www., path without a trailing slash."""
    found = _host(url)
    if found is None:
        return None
    host, path = found
    return (host + path).rstrip("/").lower() or None


def _ordered(a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str, str, str]:
    first, second = sorted([a, b])
    return (*first, *second)


def _accounts(store: Store) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (str(r[0]), str(r[1]), r[2], r[3])
        for r in store.con.execute(
            "SELECT platform, account_id, handle, url FROM accounts ORDER BY platform, account_id"
        ).fetchall()
    ]


def _store_links(
    store: Store, rows: list[dict[str, Any]], run_id: str, summary: LinkSummary
) -> None:
    """Insert `rows` (link dicts) not stored yet for the same pair and method."""
    if not rows:
        return
    table = pa.Table.from_pylist(
        [{**r, "run_id": run_id} for r in rows], schema=ACCOUNT_LINK_SCHEMA
    )
    con = store.con
    con.register("_new_links", table)
    try:
        inserted = con.execute(
            """
            INSERT INTO account_links BY NAME
            SELECT * FROM _new_links n WHERE NOT EXISTS (
              SELECT 1 FROM account_links l WHERE l.platform_a = n.platform_a
                AND l.account_a = n.account_a AND l.platform_b = n.platform_b
                AND l.account_b = n.account_b AND l.method = n.method)
            QUALIFY row_number() OVER (PARTITION BY platform_a, account_a, platform_b, account_b,
                                       method ORDER BY source_record) = 1
            RETURNING method
            """
        ).fetchall()
    finally:
        con.unregister("_new_links")
    added = Counter(str(r[0]) for r in inserted)
    summary.added.update(added)
    summary.known += len(rows) - sum(added.values())


def add_account_links(store: Store, path: str | Path, *, note: str | None = None) -> LinkSummary:
    """Store the links of the analyst's CSV file `path` (method ``analyst``; see the module
    docstring); `note` is kept with the rows that give none. Returns what was stored."""
    path = Path(path)
    if not path.is_file():
        raise BadParameterError(f"{path}: no such file")
    con = store.con
    columns = [
        str(r[0])
        for r in con.execute(f"DESCRIBE SELECT * FROM read_csv(?, {_CSV})", [str(path)]).fetchall()
    ]
    missing = [c for c in LINK_COLUMNS if c not in columns]
    if missing:
        raise MissingColumnError(
            f"{path}: missing column(s) {', '.join(missing)}; a links file has the columns "
            f"{', '.join(LINK_COLUMNS)} and optionally note (one row per pair of accounts)"
        )
    has_note = "note" in columns
    rows = con.execute(
        f"SELECT platform_a, account_a, platform_b, account_b, "
        f"{'note' if has_note else 'NULL'} FROM read_csv(?, {_CSV})",
        [str(path)],
    ).fetchall()
    accounts = _accounts(store)
    ids = {(p, a) for p, a, _, _ in accounts}
    by_handle: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p, a, h, _ in accounts:
        if h:
            by_handle[(p, h.lower())].append(a)
    summary = LinkSummary()
    found: list[dict[str, Any]] = []
    for number, (pa_, aa, pb, ab, row_note) in enumerate(rows, start=1):
        values = [(v or "").strip() for v in (pa_, aa, pb, ab)]
        if not all(values):
            summary.skipped["incomplete row"] += 1
            continue
        ends = []
        for platform, name in ((values[0], values[1]), (values[2], values[3])):
            resolved, known = _resolve(platform, name, ids, by_handle)
            if resolved is None:
                summary.skipped["handle held by several accounts"] += 1
                break
            summary.unknown_accounts += 0 if known else 1
            ends.append((platform, resolved))
        if len(ends) < 2:
            continue
        if ends[0] == ends[1]:
            summary.skipped["an account linked to itself"] += 1
            continue
        a_platform, a_id, b_platform, b_id = _ordered(ends[0], ends[1])
        found.append(
            {
                "platform_a": a_platform,
                "account_a": a_id,
                "platform_b": b_platform,
                "account_b": b_id,
                "method": "analyst",
                "evidence": f"stated in {path.name}, row {number}",
                "note": (row_note or "").strip() or note,
                "source": str(path),
                "source_record": number,
            }
        )
    with store.run(COMMAND, {"file": str(path), "note": note}, tables=("account_links",)) as run:
        summary.run_id = run.run_id
        _store_links(store, found, run.run_id, summary)
        run.counts = summary.as_dict()
    return summary


def _resolve(
    platform: str,
    name: str,
    ids: set[tuple[str, str]],
    by_handle: dict[tuple[str, str], list[str]],
) -> tuple[str | None, bool]:
    """An account id from an id or a handle: (id, whether the store has it); (None, True)
    when the handle is several accounts'."""
    if (platform, name) in ids:
        return name, True
    held = by_handle.get((platform, name.removeprefix("@").lower()), [])
    if len(held) == 1:
        return held[0], True
    if len(held) > 1:
        return None, True
    return name, False


def match_account_links(store: Store, *, by: tuple[str, ...] = DEFAULT_MATCH) -> LinkSummary:
    """Find and store links by exact matches (`MATCH_METHODS`, see the module docstring),
    each with the URL or handle that matched. Returns what was stored."""
    unknown = [m for m in by if m not in MATCH_METHODS]
    if unknown or not by:
        raise BadParameterError(
            f"match method {', '.join(unknown) or '(none)'}: choose from {', '.join(MATCH_METHODS)}"
        )
    accounts = _accounts(store)
    summary = LinkSummary()
    found: list[dict[str, Any]] = []

    def link(a: tuple[str, str], b: tuple[str, str], method: str, evidence: str) -> None:
        a_platform, a_id, b_platform, b_id = _ordered(a, b)
        found.append(
            {
                "platform_a": a_platform,
                "account_a": a_id,
                "platform_b": b_platform,
                "account_b": b_id,
                "method": method,
                "evidence": evidence,
                "note": None,
                "source": f"match:{method}",
                "source_record": len(found) + 1,
            }
        )

    handles: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p, a, h, _ in accounts:
        if h:
            handles[(p, h.lower().removeprefix("@"))].append(a)
    ids = {(p, a) for p, a, _, _ in accounts}
    if "profile-url" in by:
        for p, a, _, url in accounts:
            target = profile_target(url) if url else None
            if target is None or target[0] == p:
                continue
            held = handles.get(target, [])
            if not held and target in ids:
                held = [target[1]]
            if len(held) > 1:
                summary.skipped["profile URL naming several accounts"] += 1
            elif held:
                link(
                    (p, a),
                    (target[0], held[0]),
                    "profile-url",
                    f"{p} account {a} gives the profile URL {url} ({target[0]} {target[1]})",
                )
    if "same-url" in by:
        holders: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for p, a, _, url in accounts:
            key = _same_url_key(url) if url else None
            if key:
                holders[key][p].append(a)
        for key, per_platform in sorted(holders.items()):
            if len(per_platform) < 2:
                continue
            if any(len(v) > 1 for v in per_platform.values()):
                summary.skipped["URL given by several accounts of one platform"] += 1
                continue
            for one, other in _pairs(per_platform):
                link(one, other, "same-url", f"both give {key}")
    if "same-handle" in by:
        per_handle: dict[str, dict[str, list[str]]] = defaultdict(dict)
        for (p, h), held in handles.items():
            per_handle[h][p] = held
        for h, per_platform in sorted(per_handle.items()):
            if len(per_platform) < 2:
                continue
            if any(len(v) > 1 for v in per_platform.values()):
                summary.skipped["handle held by several accounts of one platform"] += 1
                continue
            for one, other in _pairs(per_platform):
                link(one, other, "same-handle", f"handle @{h} on both")
    with store.run(COMMAND, {"match": list(by)}, tables=("account_links",)) as run:
        summary.run_id = run.run_id
        _store_links(store, found, run.run_id, summary)
        run.counts = summary.as_dict()
    return summary


def _pairs(per_platform: dict[str, list[str]]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """The one account of each platform paired with the one of every other."""
    ends = sorted((p, v[0]) for p, v in per_platform.items())
    return [(a, b) for i, a in enumerate(ends) for b in ends[i + 1 :]]


def account_links(
    store: Store, *, platform: str | None = None, account: str | None = None
) -> list[dict[str, Any]]:
    """The stored links (of accounts on `platform`, of `account` by id or handle), each with
    both accounts' handles, its method, evidence, note and provenance."""
    if not store.has_table("account_links"):
        return []
    cur = store.con.execute(
        """
        SELECT l.platform_a, l.account_a, a.handle AS handle_a, l.platform_b, l.account_b,
               b.handle AS handle_b, l.method, l.evidence, l.note, l.source, l.source_record,
               l.run_id
        FROM account_links l
        LEFT JOIN accounts a ON a.platform = l.platform_a AND a.account_id = l.account_a
        LEFT JOIN accounts b ON b.platform = l.platform_b AND b.account_id = l.account_b
        WHERE (?::VARCHAR IS NULL OR l.platform_a = ? OR l.platform_b = ?)
          AND (?::VARCHAR IS NULL OR l.account_a = ? OR l.account_b = ?
               OR lower(a.handle) = lower(?) OR lower(b.handle) = lower(?))
        ORDER BY l.platform_a, l.account_a, l.platform_b, l.account_b, l.method
        """,
        [platform, platform, platform, account, account, account]
        + [None if account is None else account.removeprefix("@")] * 2,
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
