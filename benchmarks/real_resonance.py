"""Resonance on real data: the signature classifier against a TF-IDF + logistic regression
baseline fitted on exactly the same training documents, in the same run.

Data (``../shared/data``): the IRA archive with each account's ``account_category``
(``ira/ira-tweets-by-author.tar.xz``), and the organic Brexit control
(``control/brexit-2016-2017-tweets.csv.gz``: 193k tweets by 57k users, 2016-2017, collected by
Brexit keywords). Both are ingested into one store under ``--work`` (reused between runs).

Every task splits **by account** (a seeded, stratified 60/40 split of the accounts: no test
account is seen in training) and **by time** (training documents are posts before the cut,
test documents posts from the cut on). Documents are accounts (all of an account's posts in
the period) or single posts (a seeded sample per account). Tokens come from the store's own
tokenizer (`infoscope.language.tokens`); the baseline reads the raw texts of the same
documents.

Tasks:

- ``a:CATEGORY``: one IRA category against the other English-language IRA categories
  (RightTroll, LeftTroll, NewsFeed, HashtagGamer one-vs-rest), cut 2017-01-01. Confounds:
  categories differ in topic (US right vs left politics, local news, hashtag games), so the
  task rewards topic as much as style; accounts post for years, so the time cut also tests
  drift.
- ``a-small:RightTroll``: the same with only 10 + 10 training accounts (five seeded draws,
  the mean and the spread reported): where a prior should help.
- ``b``: IRA against the organic Brexit control on matched days and matched topic: posts that
  are not retweets, that name Brexit, the EU referendum, UKIP, Farage, Theresa May or Article
  50 (the control was collected with such keywords), on days both sides posted; cut
  2017-01-01. Confounds: the control's keyword sampling is not the same as this filter; IRA
  accounts post about Brexit rarely, so their documents are short.
- ``c:A>B``: transfer between IRA categories: trained on category A against the Brexit control
  (matched days and topic), tested on category B against other control users (40% of the
  control users, held out). Split by account only: most categories' Brexit posts end before
  the cut.
- ``c:en>ru``: the English model of task ``b`` (all of its documents) applied to the
  Russian-language IRA accounts. There is no Russian control, so there is no AUC: the
  figures are the share flagged and, for infoscope, the share marked out of depth (unlike
  the training data), which is what a lexical model should say about another language.

For each task and unit: training and test documents (and targets among them), then for both
models ROC AUC and F1 (with precision and recall) at the threshold each chose on its own
training data (out-of-fold), and infoscope's share of test documents out of depth.

Run on demand (about 40 minutes on 2 cores)::

    python benchmarks/real_resonance.py
    python benchmarks/real_resonance.py --tasks a:RightTroll,b --units account

It prints a message and exits when ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
IRA = SHARED / "ira" / "ira-tweets-by-author.tar.xz"
BREXIT = SHARED / "control" / "brexit-2016-2017-tweets.csv.gz"
BREXIT_MAP = "id=t_id,text=t_text,author_id=user_id,created_at=t_date"
ENGLISH = ("RightTroll", "LeftTroll", "NewsFeed", "HashtagGamer", "Fearmonger", "Commercial",
           "Unknown")  # fmt: skip
BREXIT_TERMS = r"brexit|\beu ?ref|leave ?eu|\bukip\b|farage|theresa may|article 50"
CUT = "2017-01-01"
POSTS_PER_ACCOUNT = 40
MIN_ACCOUNT_TOKENS = 20
MIN_POST_TOKENS = 4
TOKENS: list[Any] = []  # the TokenOptions of this run (set by --tokens)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_store(work: Path) -> Any:
    """The benchmark store, ingesting the IRA archive and the Brexit control when absent."""
    from infoscope.ingest import ingest
    from infoscope.store import Store

    work.mkdir(parents=True, exist_ok=True)
    store = Store.open(work / "store.duckdb")
    if not store.count("posts"):
        say("ingesting the IRA archive and the Brexit control (once)")
        ingest(store, [IRA])
        mapping = dict(pair.split("=") for pair in BREXIT_MAP.split(","))
        ingest(store, [BREXIT], format="generic-csv", mapping=mapping, platform="twitter")
    return store


@dataclass
class Docs:
    """Documents: their ids, account, label, text, and token counts (doc, token, n)."""

    ids: list[str]
    accounts: list[str]
    y: np.ndarray
    texts: list[str]
    counts: Any  # pyarrow table: doc, token, n


def _posts_sql(side: str, *, since: str | None, until: str | None, extra: str = "") -> str:
    """SQL selecting post rows (doc keys and label) of one side."""
    when = ""
    if since:
        when += f" AND p.created_at >= TIMESTAMPTZ '{since}'"
    if until:
        when += f" AND p.created_at < TIMESTAMPTZ '{until}'"
    if side == "ira":
        return f"""
            SELECT p.platform, p.post_id, p.account_id, p.created_at, p.text,
                   l.label_value AS category
            FROM posts p JOIN account_labels l ON l.platform = p.platform
              AND l.account_id = p.account_id AND l.label_key = 'account_category'
            WHERE p.format = 'ira-by-author' {when} {extra}"""
    return f"""
        SELECT p.platform, p.post_id, p.account_id, p.created_at, p.text,
               'control' AS category
        FROM posts p WHERE p.format = 'generic-csv' {when} {extra}"""


def load_docs(
    store: Any, sql: str, *, unit: str, label: Any, seed: int, per_account: int = POSTS_PER_ACCOUNT
) -> Docs:
    """Documents of the posts `sql` selects: one per account, or sampled posts per account;
    `label(category) -> bool`."""
    import ibis
    import pyarrow as pa

    from infoscope.language.detect import posts_with_language
    from infoscope.language.tokens import post_tokens

    if unit == "post":
        sql = f"""SELECT * FROM ({sql}) QUALIFY row_number() OVER (
                    PARTITION BY account_id ORDER BY hash(post_id || '{seed}')) <= {per_account}"""
    chosen = store.con.sql(sql).arrow().read_all()
    if not chosen.num_rows:
        return Docs([], [], np.zeros(0, bool), [], pa.table({"doc": [], "token": [], "n": []}))
    store.ibis.con.register("_bench_posts", chosen.select(["platform", "post_id"]))
    keys = store.ibis.table("_bench_posts")
    posts = posts_with_language(store)
    posts = posts.semi_join(keys, [posts.platform == keys.platform, posts.post_id == keys.post_id])
    tokens = post_tokens(posts, TOKENS[0], keep=("platform", "post_id", "account_id"))
    doc = tokens.account_id if unit == "account" else tokens.post_id
    counted = (
        tokens.mutate(doc=doc).group_by(["doc", "token"]).aggregate(n=ibis._.count()).to_pyarrow()
    )
    store.ibis.con.unregister("_bench_posts")
    rows = chosen.to_pylist()
    texts: dict[str, list[str]] = {}
    accounts: dict[str, str] = {}
    categories: dict[str, str] = {}
    for r in rows:
        key = r["account_id"] if unit == "account" else r["post_id"]
        texts.setdefault(key, []).append(r["text"] or "")
        accounts[key] = r["account_id"]
        categories[key] = r["category"]
    ids = sorted(texts)
    return Docs(
        ids=ids,
        accounts=[accounts[i] for i in ids],
        y=np.array([bool(label(categories[i])) for i in ids]),
        texts=["\n".join(texts[i]) for i in ids],
        counts=counted,
    )


def matrix(docs: Docs, vocabulary: list[str] | None = None) -> Any:
    """The documents as an `AccountTerms` (`infoscope.language.model.documents_matrix`)."""
    from infoscope.language.model import documents_matrix

    return documents_matrix(docs.counts, docs.ids, vocabulary=vocabulary)


def enough(docs: Docs, minimum: int) -> Docs:
    """The documents with at least `minimum` tokens."""
    X = matrix(docs, vocabulary=[])
    keep = np.flatnonzero(X.tokens >= minimum)
    ids = {docs.ids[i] for i in keep}
    import pyarrow.compute as pc

    return Docs(
        ids=[docs.ids[i] for i in keep],
        accounts=[docs.accounts[i] for i in keep],
        y=docs.y[keep],
        texts=[docs.texts[i] for i in keep],
        counts=docs.counts.filter(pc.is_in(docs.counts["doc"], value_set=_array(ids))),
    )


def _array(values: set[str]) -> Any:
    import pyarrow as pa

    return pa.array(sorted(values), pa.string())


def split_accounts(docs: Docs, seed: int, share: float = 0.6) -> set[str]:
    """A stratified `share` of the accounts (by their label), seeded: the training accounts."""
    rng = np.random.default_rng(seed)
    label = {a: bool(y) for a, y in zip(docs.accounts, docs.y, strict=True)}
    out: set[str] = set()
    for value in (True, False):
        group = sorted(a for a, v in label.items() if v is value)
        rng.shuffle(group)
        out |= set(group[: max(1, round(share * len(group)))])
    return out


def subset(docs: Docs, accounts: set[str], keep: bool = True) -> Docs:
    import pyarrow.compute as pc

    pick = [i for i, a in enumerate(docs.accounts) if (a in accounts) is keep]
    ids = {docs.ids[i] for i in pick}
    return Docs(
        ids=[docs.ids[i] for i in pick],
        accounts=[docs.accounts[i] for i in pick],
        y=docs.y[pick],
        texts=[docs.texts[i] for i in pick],
        counts=docs.counts.filter(pc.is_in(docs.counts["doc"], value_set=_array(ids))),
    )


def merge(a: Docs, b: Docs) -> Docs:
    import pyarrow as pa

    return Docs(
        ids=a.ids + b.ids,
        accounts=a.accounts + b.accounts,
        y=np.concatenate([a.y, b.y]),
        texts=a.texts + b.texts,
        counts=pa.concat_tables([a.counts, b.counts]),
    )


def metrics(y: np.ndarray, score: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    both = len(np.unique(y)) == 2
    return {
        "auc": round(float(roc_auc_score(y, score)), 3) if both else None,
        "f1": round(float(f1_score(y, flagged, zero_division=0)), 3) if y.any() else None,
        "precision": round(float(precision_score(y, flagged, zero_division=0)), 3),
        "recall": round(float(recall_score(y, flagged, zero_division=0)), 3) if y.any() else None,
        "flagged": round(float(flagged.mean()), 3) if len(flagged) else None,
    }


def fit_infoscope(train: Docs, unit: str, seed: int) -> Any:
    from infoscope.language.model import SignatureClassifier

    minimum = MIN_ACCOUNT_TOKENS if unit == "account" else MIN_POST_TOKENS
    X = matrix(train)
    return SignatureClassifier(min_tokens=minimum, seed=seed).fit(X, train.y).model_


def score_infoscope(model: Any, test: Docs) -> tuple[np.ndarray, np.ndarray, float]:
    X = matrix(test, vocabulary=model.terms)
    status = model.status(X)
    return model.decision(X), model.predict(X), float(np.mean(status != "scored"))


def fit_baseline(train: Docs, seed: int) -> Any:
    """TF-IDF (words, 1-2 grams, sublinear) + logistic regression, C chosen by 5-fold CV on
    ROC AUC, the F1-best threshold on out-of-fold decisions: the same protocol as infoscope."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from infoscope.common.calibration import best_threshold

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X = vectorizer.fit_transform(train.texts)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    chooser = LogisticRegressionCV(
        Cs=[0.1, 1.0, 10.0, 100.0], cv=folds, scoring="roc_auc", class_weight="balanced",
        max_iter=5000, random_state=seed,
    ).fit(X, train.y)  # fmt: skip
    C = float(chooser.C_[0])
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=seed)
    oof = cross_val_predict(model, X, train.y, cv=folds, method="decision_function")
    threshold = best_threshold(oof, train.y)
    model.fit(X, train.y)
    return vectorizer, model, threshold


def score_baseline(fitted: Any, test: Docs) -> tuple[np.ndarray, np.ndarray]:
    vectorizer, model, threshold = fitted
    decision = model.decision_function(vectorizer.transform(test.texts))
    return decision, decision >= threshold


def compare(name: str, unit: str, train: Docs, test: Docs, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    ours = fit_infoscope(train, unit, seed)
    base = fit_baseline(train, seed)
    o_score, o_flag, out_of_depth = score_infoscope(ours, test)
    b_score, b_flag = score_baseline(base, test)
    row = {
        "task": name,
        "unit": unit,
        "train": f"{len(train.ids):,} ({int(train.y.sum()):,})",
        "test": f"{len(test.ids):,} ({int(test.y.sum()):,})",
        "infoscope": metrics(test.y, o_score, o_flag),
        "baseline": metrics(test.y, b_score, b_flag),
        "out_of_depth": round(out_of_depth, 3),
        "model": {k: ours.parameters[k] for k in ("ngrams", "size", "C", "prior_weight")},
        "seconds": round(time.perf_counter() - started, 1),
    }
    say(json.dumps(row))
    return row


# -- tasks -------------------------------------------------------------------------------------


def task_a(store: Any, category: str, unit: str, seed: int, small: bool = False) -> list[dict]:
    english = ", ".join(f"'{c}'" for c in ENGLISH)
    extra = f"AND l.label_value IN ({english})"
    label = lambda c: c == category  # noqa: E731
    minimum = MIN_ACCOUNT_TOKENS if unit == "account" else MIN_POST_TOKENS
    early = enough(
        load_docs(store, _posts_sql("ira", since=None, until=CUT, extra=extra), unit=unit,
                  label=label, seed=seed), minimum,
    )  # fmt: skip
    late = enough(
        load_docs(store, _posts_sql("ira", since=CUT, until=None, extra=extra), unit=unit,
                  label=label, seed=seed), minimum,
    )  # fmt: skip
    train_accounts = split_accounts(merge(early, late), seed)
    train, test = subset(early, train_accounts), subset(late, train_accounts, keep=False)
    if not small:
        return [compare(f"a:{category}", unit, train, test, seed)]
    rows = []
    for draw in range(5):
        rng = np.random.default_rng(seed + draw)
        accounts = sorted(set(train.accounts))
        by_label = {a: bool(y) for a, y in zip(train.accounts, train.y, strict=True)}
        chosen = set(rng.choice([a for a in accounts if by_label[a]], 10, replace=False))
        chosen |= set(rng.choice([a for a in accounts if not by_label[a]], 10, replace=False))
        rows.append(compare(f"a-small:{category}", unit, subset(train, chosen), test, seed))
    return [_mean_row(rows)]


def _mean_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = dict(rows[0])
    for side in ("infoscope", "baseline"):
        out[side] = {}
        for k in rows[0][side]:
            values = [r[side][k] for r in rows if r[side][k] is not None]
            if values:
                out[side][k] = round(float(np.mean(values)), 3)
                out[side][k + "_sd"] = round(float(np.std(values)), 3)
    out["out_of_depth"] = round(float(np.mean([r["out_of_depth"] for r in rows])), 3)
    out["draws"] = len(rows)
    return out


def _brexit_docs(
    store: Any, unit: str, seed: int, *, ira_extra: str = "", since: str | None = None,
    until: str | None = None,
) -> Docs:  # fmt: skip
    """Posts naming Brexit (IRA: not retweets) on days both sides posted, in [since, until)."""
    topic = (
        f"AND regexp_matches(lower(p.text), '{BREXIT_TERMS}') "
        "AND p.created_at::DATE IN (SELECT created_at::DATE FROM posts "
        "WHERE format = 'generic-csv' INTERSECT SELECT created_at::DATE FROM posts "
        "WHERE format = 'ira-by-author')"
    )
    minimum = MIN_ACCOUNT_TOKENS if unit == "account" else MIN_POST_TOKENS
    ira_sql = _posts_sql(
        "ira", since=since, until=until, extra=f"AND p.kind <> 'retweet' {topic} {ira_extra}"
    )
    control_sql = _posts_sql("control", since=since, until=until, extra=topic)
    ira = load_docs(store, ira_sql, unit=unit, label=lambda c: True, seed=seed)
    control = load_docs(store, control_sql, unit=unit, label=lambda c: False, seed=seed)
    return enough(merge(ira, control), minimum)


def task_b(store: Any, unit: str, seed: int) -> list[dict]:
    early = _brexit_docs(store, unit, seed, until=CUT)
    late = _brexit_docs(store, unit, seed, since=CUT)
    train_accounts = split_accounts(merge(early, late), seed)
    train, test = subset(early, train_accounts), subset(late, train_accounts, keep=False)
    return [compare("b", unit, train, test, seed)]


def task_c(store: Any, source: str, target: str, unit: str, seed: int) -> list[dict]:
    """Category `source` against the control, tested on `target` against other control
    users; split by account only (most categories' Brexit posts end before the cut)."""
    trained = _brexit_docs(store, unit, seed, ira_extra=f"AND l.label_value = '{source}'")
    tested = _brexit_docs(store, unit, seed, ira_extra=f"AND l.label_value = '{target}'")
    control = {a for a, y in zip(trained.accounts, trained.y, strict=True) if not y}
    rng = np.random.default_rng(seed)
    held = set(rng.choice(sorted(control), round(0.4 * len(control)), replace=False))
    train = subset(trained, held, keep=False)
    test = subset(tested, {a for a, y in zip(tested.accounts, tested.y, strict=True) if y} | held)
    return [compare(f"c:{source}>{target}", unit, train, test, seed)]


def task_c_language(store: Any, unit: str, seed: int) -> list[dict]:
    trained = _brexit_docs(store, unit, seed)
    minimum = MIN_ACCOUNT_TOKENS if unit == "account" else MIN_POST_TOKENS
    russian_sql = _posts_sql(
        "ira", since=None, until=None, extra="AND l.label_value = 'NonEnglish' AND p.lang = 'ru'"
    )
    russian = enough(
        load_docs(store, russian_sql, unit=unit, label=lambda c: True, seed=seed), minimum
    )
    return [compare("c:en>ru", unit, trained, russian, seed)]


def run_task(store: Any, task: str, unit: str, seed: int) -> list[dict]:
    kind, _, arg = task.partition(":")
    if kind == "a":
        return task_a(store, arg, unit, seed)
    if kind == "a-small":
        return task_a(store, arg, unit, seed, small=True)
    if kind == "b":
        return task_b(store, unit, seed)
    if kind == "c" and arg == "en>ru":
        return task_c_language(store, unit, seed)
    if kind == "c":
        source, target = arg.split(">")
        return task_c(store, source, target, unit, seed)
    raise SystemExit(f"unknown task {task!r}")


DEFAULT_TASKS = (
    "a:RightTroll,a:LeftTroll,a:NewsFeed,a:HashtagGamer,a-small:RightTroll,b,"
    "c:RightTroll>LeftTroll,c:RightTroll>HashtagGamer,c:en>ru"
)


def print_table(rows: list[dict[str, Any]]) -> None:
    def cell(m: dict[str, Any], k: str) -> str:
        v = m.get(k)
        sd = m.get(k + "_sd")
        return "–" if v is None else (f"{v:.3f}" + (f"±{sd:.2f}" if sd is not None else ""))

    header = (
        "| task | unit | train (targets) | test (targets) | AUC infoscope | AUC baseline | "
        "F1 infoscope | F1 baseline | P / R infoscope | P / R baseline | out of depth |"
    )
    print(header)
    print("|" + "---|" * 11)
    for r in rows:
        o, b = r["infoscope"], r["baseline"]
        print(
            f"| {r['task']} | {r['unit']} | {r['train']} | {r['test']} | {cell(o, 'auc')} | "
            f"{cell(b, 'auc')} | {cell(o, 'f1')} | {cell(b, 'f1')} | "
            f"{cell(o, 'precision')} / {cell(o, 'recall')} | "
            f"{cell(b, 'precision')} / {cell(b, 'recall')} | {r['out_of_depth']:.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "bench-out" / "real_resonance")
    parser.add_argument("--tasks", default=DEFAULT_TASKS)
    parser.add_argument("--units", default="account,post")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="Also write the rows as JSON here.")
    parser.add_argument(
        "--tokens",
        default="classifier",
        choices=["classifier", "words", "style"],
        help="infoscope's documents: the classifier's tokens, as `signature learn` makes them "
        "(stop words kept, word bigrams added), words without stop words (words), or words with "
        "them (style): for comparing tokenisations.",
    )
    args = parser.parse_args()
    from infoscope.language.signature import classifier_tokens
    from infoscope.language.tokens import TokenOptions

    TOKENS.append(
        classifier_tokens(TokenOptions())
        if args.tokens == "classifier"
        else TokenOptions(stop_words=args.tokens == "style")
    )
    if not IRA.exists() or not BREXIT.exists():
        print(f"real data absent ({SHARED}): nothing to benchmark", file=sys.stderr)
        return
    started = time.perf_counter()
    store = open_store(args.work)
    rows: list[dict[str, Any]] = []
    try:
        for task in args.tasks.split(","):
            for unit in args.units.split(","):
                say(f"task {task}, per {unit}")
                rows += run_task(store, task.strip(), unit.strip(), args.seed)
    finally:
        store.close()
    print_table(rows)
    print(f"\n{time.perf_counter() - started:.0f} s; cut {CUT}; seed {args.seed}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
