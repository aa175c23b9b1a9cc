"""What every view shares: the `Filters` a page is narrowed to, the SQL and Ibis conditions
they become, and small helpers to read rows as JSON-ready data.

Filters (date range, community, language, region) narrow posts and accounts:
- dates and language select posts (by ``created_at`` and detected or declared ``lang``);
- community selects the accounts of one community in the latest ``communities`` run;
- region selects the accounts placed in one country by the latest ``locate`` run
  (``unknown`` selects the accounts with no place).
Views of accounts keep the accounts that match; views of posts keep the posts of matching
accounts that match the dates and language.

The analysis views (``infoscope.<analysis>.view``) import this module; it imports no analysis
package, so reading it never pulls one in.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis

from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = [
    "NO_FILTERS",
    "Filters",
    "account_filter",
    "filtered_posts",
    "iso",
    "loads",
    "post_filter",
    "post_texts",
    "records",
    "run_info",
]


def _parse_day(name: str, value: str | date | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadParameterError(
            f"{name}={value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"
        ) from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    """What a view is narrowed to. Empty filters select everything.

    `until` is exclusive when it has a time and covers the whole day when it is a date.
    """

    since: datetime | None = None
    until: datetime | None = None
    community: int | None = None
    lang: str | None = None
    region: str | None = None
    _until_day: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def parse(
        cls,
        *,
        since: str | date | None = None,
        until: str | date | None = None,
        community: int | str | None = None,
        lang: str | None = None,
        region: str | None = None,
    ) -> Filters:
        """Filters from query-string or CLI values, checked; a bad value raises a one-line
        `BadParameterError` naming it."""
        start = _parse_day("since", since)
        end = _parse_day("until", until)
        day = isinstance(until, date) and not isinstance(until, datetime)
        day = day or (isinstance(until, str) and len(until.strip()) == 10)
        if start and end and end < start:
            raise BadParameterError(f"until={until} is before since={since}: swap them")
        number = None
        if community not in (None, ""):
            try:
                number = int(community)  # type: ignore[arg-type]
            except ValueError:
                raise BadParameterError(
                    f"community={community!r} is not a community number (see the communities "
                    "page or `infoscope communities`)"
                ) from None
        return cls(
            since=start,
            until=end,
            community=number,
            lang=(lang or None) and lang.strip().lower(),
            region=(region or None) and region.strip(),
            _until_day=day,
        )

    @property
    def until_exclusive(self) -> datetime | None:
        if self.until is None:
            return None
        if self._until_day:
            return self.until + timedelta(days=1)
        return self.until

    @property
    def empty(self) -> bool:
        return not any((self.since, self.until, self.community is not None, self.lang, self.region))

    @property
    def accounts_filtered(self) -> bool:
        return self.community is not None or bool(self.region)

    def posts_only(self) -> Filters:
        """These filters without the account selection (community and region)."""
        return Filters(
            since=self.since, until=self.until, lang=self.lang, _until_day=self._until_day
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_until_day")
        for key in ("since", "until"):
            if data[key] is not None:
                value = data[key]
                data[key] = (
                    value.date().isoformat()
                    if self._until_day and key == "until"
                    else (value.isoformat())
                )
        return data


# No filter: every post and account (the default of every view).
NO_FILTERS = Filters()


# -- rows as JSON-ready data -----------------------------------------------------------------


def loads(value: Any) -> Any:
    """A JSON column's value (None stays None)."""
    return None if value is None else json.loads(value)


def iso(value: Any) -> Any:
    """Dates and times as ISO 8601 text; anything else unchanged."""
    return value.isoformat() if isinstance(value, datetime | date) else value


def records(cur: Any) -> list[dict[str, Any]]:
    """The rows of an executed query as dicts, dates and times as ISO text."""
    names = [d[0] for d in cur.description]
    return [{k: iso(v) for k, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def run_info(store: Store, run_id: str) -> dict[str, Any]:
    """What the pages say of a run: command, parameters, seed, fingerprint, version, times,
    status and counts (`infoscope.store.Run.as_dict`)."""
    return store.get_run(run_id).as_dict()


def post_texts(store: Store, platform: str | None, post_ids: list[str]) -> dict[str, str]:
    """The text of each post id (of `platform`) found in the store."""
    if not post_ids:
        return {}
    return dict(
        store.con.execute(
            "SELECT post_id, text FROM posts WHERE platform = ? AND post_id IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [platform, sorted(set(post_ids))],
        ).fetchall()
    )


# -- account and post selection ------------------------------------------------------------


def _selection_run(store: Store, which: str) -> str:
    """The run the community (``communities``) or region (``locate``) filter reads."""
    run_id = store.latest_run_id(which)
    if run_id is None:
        what = "community" if which == "communities" else "region"
        raise BadParameterError(
            f"{what} filter: the store has no {which} run; run `infoscope {which}`"
        )
    return run_id


def account_filter(store: Store, filters: Filters, alias: str = "") -> tuple[str, list[Any]]:
    """A SQL condition on ``{alias}platform, {alias}account_id`` for the community and region
    filters (``TRUE`` when neither is set), with its parameters."""
    clauses: list[str] = []
    args: list[Any] = []
    key = f"({alias}platform, {alias}account_id)"
    if filters.community is not None:
        clauses.append(
            f"{key} IN (SELECT platform, account_id FROM network_nodes "
            "WHERE run_id = ? AND community = ?)"
        )
        args += [_selection_run(store, "communities"), filters.community]
    if filters.region:
        clauses.append(
            f"{key} IN (SELECT platform, account_id FROM account_locations "
            "WHERE run_id = ? AND upper(country) = upper(?))"
        )
        args += [_selection_run(store, "locate"), filters.region]
    return (" AND ".join(clauses) or "TRUE"), args


def post_filter(store: Store, filters: Filters, alias: str = "") -> tuple[str, list[Any]]:
    """A SQL condition on the posts (``{alias}created_at``, ``{alias}lang`` and the account
    columns) for every filter, with its parameters."""
    where, args = account_filter(store, filters, alias)
    clauses = [where]
    if filters.since is not None:
        clauses.append(f"{alias}created_at >= ?")
        args.append(filters.since)
    if filters.until_exclusive is not None:
        clauses.append(f"{alias}created_at < ?")
        args.append(filters.until_exclusive)
    if filters.lang:
        clauses.append(f"lower({alias}lang) = ?")
        args.append(filters.lang)
    return " AND ".join(clauses), args


def filtered_posts(store: Store, filters: Filters) -> tuple[ibis.Table, ibis.Table]:
    """The posts and accounts tables narrowed by `filters`, as Ibis expressions."""
    posts = store.ibis.table("posts")
    accounts = store.ibis.table("accounts")
    if filters.since is not None:
        posts = posts.filter(posts.created_at >= filters.since)
    if filters.until_exclusive is not None:
        posts = posts.filter(posts.created_at < filters.until_exclusive)
    if filters.lang:
        posts = posts.filter(posts.lang.lower() == filters.lang)
    selections = []
    if filters.community is not None:
        run_id = _selection_run(store, "communities")
        nodes = store.ibis.table("network_nodes")
        selections.append(
            nodes.filter((nodes.run_id == run_id) & (nodes.community == filters.community))
        )
    if filters.region:
        run_id = _selection_run(store, "locate")
        places = store.ibis.table("account_locations")
        selections.append(
            places.filter(
                (places.run_id == run_id) & (places.country.upper() == filters.region.upper())
            )
        )
    for selected in selections:
        posts = posts.semi_join(
            selected,
            [posts.platform == selected.platform, posts.account_id == selected.account_id],
        )
        accounts = accounts.semi_join(
            selected,
            [accounts.platform == selected.platform, accounts.account_id == selected.account_id],
        )
    return posts, accounts
