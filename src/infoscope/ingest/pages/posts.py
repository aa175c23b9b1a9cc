"""Social posts written as lines of a page: ``@handle: text``.

Aggregator pages (a "Categories (@handle) / Twitter" page saved from a browser, a blog that
mirrors an account's timeline, a newsletter of reposted tweets) show each post as one line, the
account's handle first::

    @newsgrazer: RT @harbourwire: Dock workers in Klaipeda vote to strike https://t.co/Kd82 #strike
    @newsgrazer: Worth reading in full. RT @eastledger: Auditors find gaps in port accounts
    @newsgrazer: The money trail goes through Cyprus. https://t.co/Zz19 #corruption

`parse_post_line` reads such a line: the account (the handle before the colon), the kind
(``retweet`` when the text starts ``RT @other:`` or ``MT @other:``; ``quote`` when it starts
``QT @other:`` or a comment comes before ``RT``/``QT``/``MT @other:``, the old manual quote;
else ``original``), the referenced account,
and a status id when the line links to one (``twitter.com/<handle>/status/<id>``; the post's own
when the handle is the account's, the referenced post's otherwise). The text is kept as
written, as posts from CSV exports keep their ``RT @user:`` prefix; hashtags, mentions and
links are read from it when the post is stored.

A line ``RT @other: text`` with no handle before it is a retweet whose account the line does
not name (`PostLine.handle` None): on an account's page it is that account's retweet, elsewhere
it is quarantined (`infoscope.ingest.pages.records`), never made a post of ``@other``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PostLine", "parse_post_line"]

_HANDLE = r"[A-Za-z0-9_]{1,15}"
_LINE = re.compile(rf"^@(?P<handle>{_HANDLE})\s*:\s+(?P<text>\S.*)$")
_BARE_RETWEET = re.compile(rf"^(?:RT|MT)\s+@{_HANDLE}\s*:\s+\S")
_RETWEET = re.compile(rf"^(?:RT|MT)\s+@(?P<ref>{_HANDLE})\s*:\s*")
_QUOTE = re.compile(rf"(?:^|\s)(?:RT|QT|MT)\s+@(?P<ref>{_HANDLE})\s*:\s*\S")
_STATUS = re.compile(
    rf"(?:https?://)?(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<handle>{_HANDLE})/status(?:es)?/"
    r"(?P<id>\d{5,25})"
)


@dataclass(frozen=True)
class PostLine:
    """One post read from a line: the account's handle as written (None for a bare ``RT
    @other:`` line), the text as written, the kind, the referenced account's handle (lower
    case) and the post ids a status link gives."""

    handle: str | None
    text: str
    kind: str
    ref_handle: str | None = None
    post_id: str | None = None
    ref_post_id: str | None = None


def parse_post_line(line: str) -> PostLine | None:
    """The post a line ``@handle: text`` states, or None when the line is not one."""
    line = re.sub(r"\s+", " ", line).strip()
    m = _LINE.match(line)
    if m is not None:
        handle: str | None = m.group("handle")
        text = m.group("text").strip()
    elif _BARE_RETWEET.match(line):
        handle, text = None, line
    else:
        return None
    kind, ref = "original", None
    retweet = _RETWEET.match(text)
    if retweet is not None:
        kind, ref = "retweet", retweet.group("ref").lower()
    else:
        quote = _QUOTE.search(text)
        if quote is not None:
            kind, ref = "quote", quote.group("ref").lower()
    own = other = None
    for status in _STATUS.finditer(text):
        if handle and status.group("handle").lower() == handle.lower() and own is None:
            own = status.group("id")
        elif ref is not None and status.group("handle").lower() == ref and other is None:
            other = status.group("id")
    return PostLine(handle, text, kind, ref, own, other)
