"""The language of posts: tokens, languages, keyness signatures and resonance scores.

Stages, one module each: `tokens` (tokenisation in the engine), `detect` (language
identification for posts whose source gave none), `groups` (which accounts or posts make a
target or reference group), `reference` (how far target and reference differ in time,
language and topic; matching them; event terms), `keyness` (G2, log-ratio, log-odds with an
informative Dirichlet prior), `model` (the signature's calibrated classifier),
`signature` (a group's distinctive terms and classifier, stored, exported and imported),
`resonance` (scoring accounts with a signature's classifier) and `monitor` (prevalence by
place and time).

Like every analysis package: `tables` declares its tables, `view` (with ``templates/``) its
report and dashboard sections, `evaluate` its scenario evaluator; the registry
(`infoscope.registry`) names them.
"""

__all__ = []
