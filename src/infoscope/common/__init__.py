"""Helpers shared by several analyses, each in one place so that every analysis does the same
thing the same way:

- `langid`: the one language identifier (py3langid);
- `sentences`: the one sentence splitter (and paragraphs), with character offsets;
- `stopwords`: stop-word lists by language code;
- `calibration`: Platt scaling and the F1-best threshold;
- `minhash`: near-duplicate texts (MinHash/LSH);
- `embeddings`: multilingual sentence embeddings (USE v3);
- `urls`: the domain of a URL column, and shortener domains.
"""

__all__: list[str] = []
