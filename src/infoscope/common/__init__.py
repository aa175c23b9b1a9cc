"""Helpers shared by several analyses: language identification, sentence splitting, stop
words, calibration and thresholds, MinHash near-duplicates and sentence embeddings.

Each lives here once so that every analysis identifies languages, splits sentences and
calibrates scores the same way: `langid`, `sentences`, `stopwords`, `calibration`, `minhash`,
`embeddings`.
"""
