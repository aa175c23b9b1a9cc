"""Account links in the interaction network: the same actor's accounts on several platforms
(``account_links``, stated by the analyst or found by exact handle and URL matches, each with
its evidence: `infoscope.account_links`), shown with each community and, on request, pooled.

`community_links` gives each community the links of its members: both accounts (platform, id,
handle and community in the run, None when the account is not in the network), the link's
method, evidence and note, and ``actors``, the members counted once per group of linked
members. Nothing is inferred: accounts without a link row are never joined.

`stored_links` reads the links from the store, `engine_links` from an engine's data (the
``account_links`` table of a Parquet export, on Spark): the same rows in the same order.

`link_groups` and `pool_accounts` treat linked accounts as one actor for Leiden
(``infoscope communities --link-accounts``): the accounts of the network that links join
(transitively: A = B and B = C make one actor) become one vertex carrying all their edges,
weights summed, and edges between two accounts of one actor dropped as an actor's
interactions with itself are (unless self-loops are kept). `expand_communities` gives the
partition found on that graph back to the accounts, so every account keeps its own row,
platform and id, and the linked accounts of an actor share its community and stability.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import igraph as ig

from infoscope.network.communities import Communities, _relabel_by_size
from infoscope.store import Store

if TYPE_CHECKING:
    from infoscope.engine import Engine

__all__ = [
    "community_links",
    "engine_links",
    "expand_communities",
    "link_groups",
    "pool_accounts",
    "stored_links",
]


def stored_links(store: Store) -> list[dict[str, Any]]:
    """Every stored account link with both accounts' handles (none in a store without the
    ``account_links`` table: an older store)."""
    from infoscope.account_links import account_links

    return account_links(store)


# The columns of a link as `stored_links` gives them, and their order (a link is unique by
# its two accounts and its method, so the order is total).
LINK_FIELDS = (
    "platform_a", "account_a", "handle_a", "platform_b", "account_b", "handle_b", "method",
    "evidence", "note", "source", "source_record", "run_id",
)  # fmt: skip
LINK_ORDER = ("platform_a", "account_a", "platform_b", "account_b", "method")


def engine_links(engine: Engine) -> list[dict[str, Any]]:
    """`stored_links` from the data an engine reads (its ``account_links`` and ``accounts``
    tables; none when it has no ``account_links``), on any engine."""
    if not engine.has_table("account_links"):
        return []
    links = engine.table("account_links")
    accounts = engine.table("accounts")
    a = accounts.select(a_platform="platform", a_id="account_id", handle_a="handle")
    b = accounts.select(b_platform="platform", b_id="account_id", handle_b="handle")
    joined = links.left_join(
        a, [links.platform_a == a.a_platform, links.account_a == a.a_id]
    ).left_join(b, [links.platform_b == b.b_platform, links.account_b == b.b_id])
    rows = engine.to_arrow(joined.select(*LINK_FIELDS).order_by(list(LINK_ORDER)))
    return rows.to_pylist()  # type: ignore[no-any-return]


def _ends(link: dict[str, Any]) -> tuple[tuple[str, str], tuple[str, str]]:
    return (link["platform_a"], link["account_a"]), (link["platform_b"], link["account_b"])


def link_groups(
    owners: Sequence[tuple[str, str]], links: Iterable[dict[str, Any]]
) -> tuple[list[int], list[dict[str, Any]]]:
    """Per account (`owners`: ``(platform, account_id)`` of each vertex, in vertex order), its
    actor: accounts joined by links whose two accounts are both among `owners` share one.
    Actors are numbered by their first account in `owners`. Returns the actor of each
    account and the links that joined two accounts."""
    index = {owner: i for i, owner in enumerate(owners)}
    parent = list(range(len(owners)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    used = []
    for link in links:
        a, b = (index.get(end) for end in _ends(link))
        if a is None or b is None or a == b:
            continue
        used.append(link)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    number: dict[int, int] = {}
    actor_of = [number.setdefault(find(i), len(number)) for i in range(len(owners))]
    return actor_of, used


def pool_accounts(
    graph: ig.Graph, actor_of: Sequence[int], *, self_loops: bool = False
) -> ig.Graph:
    """`graph` with the accounts of each actor (`actor_of`, from `link_groups`) as one vertex:
    edges between two actors summed into one edge per direction (``weight`` summed), edges
    within an actor dropped unless `self_loops`. Vertex ``name`` is the actor's first
    account's; ``members`` lists its accounts' names."""
    pooled = graph.copy()
    for name in pooled.es.attributes():
        if name != "weight":
            del pooled.es[name]
    names = graph.vs["name"]
    members: list[list[str]] = [[] for _ in range(max(actor_of, default=-1) + 1)]
    for name, actor in zip(names, actor_of, strict=True):
        members[actor].append(name)
    pooled.contract_vertices(list(actor_of), combine_attrs="first")
    pooled.simplify(multiple=True, loops=not self_loops, combine_edges={"weight": "sum"})
    pooled.vs["members"] = members
    return pooled


def expand_communities(found: Communities, actor_of: Sequence[int]) -> Communities:
    """The partition `found` on the graph of actors, given to every account of each actor
    (its community and stability), communities renumbered by decreasing number of accounts
    (their groups follow them). Quality and modularity stay those of the graph of actors,
    where Leiden ran."""
    by_account = [found.membership[a] for a in actor_of]
    renumbered = _relabel_by_size(by_account) if by_account else []
    new_of = dict(zip(by_account, renumbered, strict=True))
    groups = None
    if found.groups is not None:
        groups = [0] * len(new_of)
        for old, new in new_of.items():
            groups[new] = found.groups[old]
    return replace(
        found,
        membership=renumbered,
        stability=[found.stability[a] for a in actor_of],
        groups=groups,
    )


def community_links(
    owners: Sequence[tuple[str, str]],
    membership: Sequence[int],
    links: Iterable[dict[str, Any]],
    *,
    pooled: bool = False,
    top: int = 10,
) -> dict[int, dict[str, Any]]:
    """Per community of the run (`owners` and `membership` in vertex order): the links with an
    account among its members, the first `top` of them (``linked_accounts``, each end with
    its platform, id, handle and community, None outside the network; ``same_community``;
    ``pooled`` when the run treated both as one actor), how many there are (``links``), its
    members with a link (``linked_members``) and its members counted once per group of
    linked members (``actors``)."""
    community_of = {o: int(c) for o, c in zip(owners, membership, strict=True)}
    sizes: dict[int, int] = {}
    for c in community_of.values():
        sizes[c] = sizes.get(c, 0) + 1
    found: dict[int, list[dict[str, Any]]] = {}
    for link in links:
        ends = _ends(link)
        communities = [community_of.get(e) for e in ends]
        if communities[0] is None and communities[1] is None:
            continue
        entry = {
            **{
                side: {
                    "platform": end[0],
                    "account_id": end[1],
                    "handle": link.get(f"handle_{side}"),
                    "community": c,
                }
                for side, end, c in zip("ab", ends, communities, strict=True)
            },
            "method": link["method"],
            "evidence": link.get("evidence"),
            "note": link.get("note"),
            "same_community": communities[0] is not None and communities[0] == communities[1],
            "pooled": pooled and None not in communities,
        }
        for c in {c for c in communities if c is not None}:
            found.setdefault(c, []).append(entry)
    out: dict[int, dict[str, Any]] = {}
    for c, entries in found.items():
        members = {
            (e[side]["platform"], e[side]["account_id"])
            for e in entries
            for side in "ab"
            if e[side]["community"] == c
        }
        inside = [e for e in entries if e["same_community"]]
        groups, _ = link_groups(sorted(members), _as_links(inside))
        out[c] = {
            "linked_accounts": entries[:top],
            "links": len(entries),
            "linked_members": len(members),
            "actors": sizes[c] - len(members) + len(set(groups)),
        }
    return out


def _as_links(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "platform_a": e["a"]["platform"],
            "account_a": e["a"]["account_id"],
            "platform_b": e["b"]["platform"],
            "account_b": e["b"]["account_id"],
        }
        for e in entries
    ]
