"""Directed, typed events between actors in articles: who does what to whom (CAMEO).

`extract` codes sentences from spaCy's dependency parse (source, verb, target, CAMEO code,
quad class, negation, modality, evidence), `russian` Russian ones from natasha's parse with
a hand-written verb list; `dictionaries` reads PETRARCH2's verb, actor and
agent dictionaries from a folder the user gives; `run` stores a run (``articles-events``),
`tables` declares its tables, `view` its report section, `evaluate` scores the coder on
PETRARCH2's unit-test records.
"""

__all__: list[str] = []
