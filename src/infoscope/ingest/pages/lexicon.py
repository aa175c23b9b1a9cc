"""What page furniture says: navigation, share prompts, section markers, footers.

Saved pages carry the site around the story: menus ("Skip to content", "Connect with us"),
share prompts ("Share this:", "Click to share on Twitter (Opens in new window)"), screen-reader
text ("list of 4 items", "list 1 of 4", "end of list"), newsletter and cookie notices,
disclaimers, comment counts and footers. This module names them, each with the reason a block
is dropped, so that `infoscope articles segment` can show why.

- `furniture_reason`: the reason a block is furniture (``navigation or site link``, ``share
  prompt``, ``screen-reader list text``...), or None.
- `section_marker`: the heading of a list of other stories ("Keep reading", "Related",
  "More from Opinion", "Recent Posts", "Most read"...): what follows are secondary items.
- `list_header`: the heading of a list that is furniture (categories, tags, archives, blogroll,
  meta links): what follows, while short, is furniture too.
- `is_list_end`: "end of list", which closes an inline list and resumes the story.

Everything is matched on `normalize` (case-folded, whitespace collapsed, bullets, arrows,
pipes, counters and trailing colons trimmed); phrases are English, as the cue lists of a
boilerplate classifier are (Kohlschütter et al. 2010 used such lists beside shallow text
features). A phrase is furniture only as a whole block: "Share" is, "Share prices fell" is not.
"""

from __future__ import annotations

import re

__all__ = [
    "furniture_reason",
    "is_list_end",
    "list_header",
    "normalize",
    "section_marker",
]

_TRIM = re.compile(r"^[\s\W_]+|[\s\W_]+$", re.UNICODE)
# Bullets, arrows, pipes and a trailing colon at the edges (patterns read the rest as written).
_EDGES = re.compile(r"^[\s•·*|>»«→←\-–—]+|[\s•·*|>»«→←\-–—:]+$")
_SPACES = re.compile(r"\s+")

# Whole-block navigation and site links (normalised).
_NAVIGATION = frozenset(
    """
home|menu|main menu|navigation|navigation menu|toggle navigation|skip links|skip to content|
skip to main content|skip navigation|skip to navigation|search|search for|search this site|
submit|go|log in|login|log out|sign in|sign up|sign out|register|create account|my account|
subscribe|subscribe now|subscribe today|subscribe here|newsletter|newsletters|
get the newsletter|play live|live|watch live|listen live|more|close|open|next|previous|
back to top|top|connect with us|follow us|stay connected|connect|contact|contact us|about|
about us|who we are|our team|donate|support us|become a member|advertise|advertise with us|
careers|jobs|work for us|privacy|privacy policy|privacy notice|cookie policy|
cookie preferences|cookie settings|manage cookies|cookies|terms|terms of use|
terms of service|terms and conditions|sitemap|site map|rss|rss feed|feeds|accessibility|help|
faq|code of ethics|editorial standards|corrections|meta|entries feed|comments feed|
entries rss|comments rss|wordpress.org|user accounts help|submit a tip|tv schedule|
channel finder|podcasts|newsletter sign up|all rights reserved|hq|x|
eu/eea regulatory notice|regulatory notice|imprint|impressum|legal|legal notice|
opens in new window|print this page|email this page|view comments|show comments|
hide comments|permalink|trackback|pingback|edit|
""".replace("\n", "").split("|")
) - {""}

_SHARE = frozenset(
    """
share|share this|share this article|share this story|share this post|share this page|
share on facebook|share on twitter|share on whatsapp|share on linkedin|share on telegram|
share on reddit|share via email|share via|tweet|tweet this|email|email this|
email this story|print|whatsapp|facebook|twitter|linkedin|reddit|telegram|pinterest|
instagram|youtube|tiktok|flipboard|copy link|copy|copied|link copied|like this|like|
like loading|loading|comments|comment|leave a comment|leave a reply|post a comment|
add a comment|add comment|reply|cancel reply|join the conversation|show more|load more|
view all|see all|see more|read more|read full article|read the full story|
continue reading|keep scrolling|advertisement|advertisements|sponsored|
sponsored content|ad|story continues below|article continues below|
story continues below advertisement|scroll to continue|listen|listen to this article|
watch|video|photo|gallery|
""".replace("\n", "").split("|")
) - {""}

# Headings of lists of other stories: what follows are secondary items.
_MARKERS = frozenset(
    """
keep reading|related|related posts|related articles|related stories|related content|
related news|related coverage|related reading|more stories|more news|more articles|
most read|most popular|most viewed|most shared|most commented|popular|popular posts|
popular stories|popular now|recent posts|recent articles|recent stories|recent news|
latest|latest news|latest posts|latest stories|latest articles|recommended|
recommended for you|recommended stories|recommended reading|you may also like|
you might also like|you may have missed|you might be interested in|read next|up next|
also read|read also|see also|trending|trending now|trending stories|top stories|
editor's picks|editors' picks|editor’s picks|don't miss|don’t miss|in other news|
around the web|from the archive|from our archive|more coverage|other stories|
further reading|what to read next|elsewhere|read more
""".replace("\n", "").split("|")
) - {""}
_MARKER_PATTERN = re.compile(r"^(?:more (?:from|on|in|about)|latest (?:from|in|on)) \S.{0,40}$")
_LIST_OF = re.compile(r"^list of \d+ items?$")
_LIST_OF_EMPTY = re.compile(r"^(?:keep reading )?list of \d+ items? end of list$")
_LIST_ITEM = re.compile(r"^list \d+ of \d+$")

# Headings of lists that are furniture themselves (what follows, while short, is furniture).
_LIST_HEADERS = frozenset(
    """
categories|category|tags|tag cloud|archives|archive|blogroll|links|meta|recent comments|
topics|sections|follow|follow us on|useful links|quick links|explore|departments|
more sections|browse|subscribe to|our network|about the author|about this author|
""".replace("\n", "").split("|")
) - {""}

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), reason)
    for p, reason in (
        (r"^click to (?:share|email|print|tweet)\b.*", "share prompt"),
        (r"^share (?:on|via|to) \S+(?: \S+)?$", "share prompt"),
        (
            r"^(?:share|tweet|email|print|pin)(?: (?:this|it|article|story|post))?(?: \S+)?$",
            "share prompt",
        ),
        (
            r"^\d[\d,.]*k? (?:comments?|replies|reply|responses?|shares?|likes?|views?|reads?)$",
            "comment or share count",
        ),
        (r"^\d+ min(?:ute)?s? (?:read|listen)$", "reading time"),
        (
            r"^(?:url|source|saved from|link|address|from): ?https?://\S+$",
            "the saved page's address",
        ),
        (r"^(?:comments?|replies|responses) ?\(?\d+\)?$", "comment or share count"),
        (
            r"^(?:sign in|log in|login|register|subscribe) to (?:comment|reply|read|continue)\b.*",
            "sign-in prompt",
        ),
        (
            r"^(?:read )?(?:more|all (?:stories|articles|posts)) (?:by|from) \S+(?: \S+){0,3}$",
            "author link",
        ),
        (
            r"^(?:additional )?(?:reporting|writing) by\b[^.]{0,160}(?:;|\bediting by\b)[^.]*\.?$",
            "credits line",
        ),
        (r"^(?:copyright|©|\(c\)).{0,120}$", "copyright line"),
        (r"^.{0,80}\ball rights reserved\b.{0,40}$", "copyright line"),
        (r"^(?:proudly )?powered by \S.{0,60}$", "site footer"),
        (r"^theme:? \S.{0,60}$", "site footer"),
        (r"^(?:filed|posted) (?:under|in):? \S.{0,120}$", "category or tag line"),
        (
            r"^(?:tagged|tags|tagged with|categories|category|topics):? \S.{0,160}$",
            "category or tag line",
        ),
        (r"^in [\"“][^\"”]{1,40}[\"”]$", "category or tag line"),
        (
            r"^(?:previous|next|older|newer) (?:post|article|story|entry|entries|posts)\b.{0,120}$",
            "previous/next link",
        ),
        (r"^(?:we|this (?:site|website)) uses? cookies\b.*", "cookie notice"),
        (
            r".{0,200}\bcookies?\b.{0,120}\b(?:accept|consent|agree|preferences)\b.{0,80}",
            "cookie notice",
        ),
        (r"^(?:by continuing to (?:browse|use)).*\bcookies?\b.*", "cookie notice"),
        (r"^the views expressed in this (?:article|piece|column|post) are\b.*", "disclaimer"),
        (r"^the opinions expressed (?:here|in this (?:article|piece)) are\b.*", "disclaimer"),
        (r"^save articles to read later\b.*", "reading-list prompt"),
        (
            r"^(?:sign up|subscribe)(?: (?:now|today|here|free))?(?: (?:for|to)\b.{0,120})?$",
            "newsletter prompt",
        ),
        (r"^(?:get|receive) (?:our|the) .{0,40}newsletter\b.{0,80}$", "newsletter prompt"),
        (r"^you (?:may|can) (?:opt out|unsubscribe)\b.{0,60}$", "newsletter prompt"),
        (r"^(?:thank you|thanks) for (?:signing up|subscribing)\b.{0,60}$", "newsletter prompt"),
        (r"^email \*?$|^name \*?$|^website$|^e-mail address$", "form field"),
        (r"^follow (?:us|@\w+|[\w .]{1,30}) on \S.{0,40}$", "follow prompt"),
        (r"^(?:search|skip) (?:to|for|this)\b.{0,40}$", "navigation or site link"),
        (r"^(?:image|photo|picture)(?: credit| source)?: ?\S+(?: \S+){0,4}$", "image credit"),
        (r"^(?:advertisement|sponsored)\b.{0,40}$", "advertisement"),
        (
            r"^(?:[\w.-]+@[\w-]+\.[\w.]+|(?:www\.)?(?:twitter|facebook|instagram|x)\.com/\S+)$",
            "contact link",
        ),
        (r"^(?:[a-z0-9-]+\.)+(?:com|org|net|co\.uk|info|news)(?:/\S*)?$", "site link"),
    )
)


def normalize(text: str) -> str:
    """`text` case-folded, whitespace collapsed, with what is not a letter or digit trimmed at
    both ends (bullets, arrows, pipes, counters, a colon) except a closing question mark
    (``"» Share this: "`` -> ``"share this"``)."""
    low = _SPACES.sub(" ", text).strip().casefold()
    trimmed = _TRIM.sub("", low)
    return trimmed + "?" if trimmed and low.endswith("?") else trimmed


def _edges_trimmed(text: str) -> str:
    return _EDGES.sub("", _SPACES.sub(" ", text).strip().casefold())


def section_marker(text: str) -> str | None:
    """The marker's own words when `text` heads a list of other stories, else None."""
    norm = normalize(text)
    if not norm or len(norm) > 60:
        return None
    if norm in _MARKERS or _MARKER_PATTERN.match(norm) or _LIST_OF.match(norm):
        return _SPACES.sub(" ", text).strip().rstrip(":")
    return None


def list_header(text: str) -> str | None:
    """The header's words when `text` heads a list that is furniture (categories, archives,
    tags, blogroll), else None."""
    norm = normalize(text)
    return _SPACES.sub(" ", text).strip().rstrip(":") if norm in _LIST_HEADERS else None


def is_list_end(text: str) -> bool:
    """Whether `text` closes an inline list ("end of list")."""
    return normalize(text) == "end of list"


def furniture_reason(text: str) -> str | None:
    """Why `text`, as a whole block, is page furniture; None when it is not."""
    norm = normalize(text)
    raw = _SPACES.sub(" ", text).strip()
    if not norm:
        return "no words (separator or symbol)" if raw else "empty"
    if _LIST_ITEM.match(norm) or _LIST_OF_EMPTY.match(norm) or norm == "end of list":
        return "screen-reader list text"
    if norm in _NAVIGATION:
        return "navigation or site link"
    if norm in _SHARE:
        return "share, comment or read-more prompt"
    low = _edges_trimmed(text)
    if low.count(" ") < 40:
        for pattern, reason in _PATTERNS:
            if pattern.match(low):
                return reason
    return None
