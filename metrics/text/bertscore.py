"""``bertscore``: BERTScore precision, recall and F1 per prediction, equal to the ``bert-score``
package (as evaluate's module calls it), from a LOCAL model folder, offline, on CPU or CUDA.

Each token of the prediction is matched to its most similar reference token (cosine of
contextual embeddings) and vice versa; P and R average those maxima (IDF-weighted with
``idf=True``), F1 is their harmonic mean; with several references the best of each is kept.

State: the model work happens when a batch is added, and only its results are kept, in Arrow:
per (prediction, reference) pair the token ids and each token's best similarity, plus the
reference document frequencies of every token id (an additive count) for IDF. IDF depends on
all references, so the weighting happens at ``compute()``; states merge across processes.

Example::

    bs = metrics.load("bertscore", model_type="/path/to/local/model", num_layers=4)
    bs.compute(predictions=["the cat sat"], references=["a cat was sitting"], idf=False)
    # {'precision': [...], 'recall': [...], 'f1': [...], 'hashcode': '..._L4_no-idf_...'}
"""
from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pyarrow as pa

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError
from . import bert_encoder
from .mt_inputs import predictions_and_references

_IDS = pa.list_(pa.int32())
_SIMS = pa.list_(pa.float32())


def _flat(state) -> tuple[np.ndarray, np.ndarray]:
    """(flattened values, per-row lengths) of a list-typed cat state."""
    arr = state.to_arrow()
    return (arr.flatten().to_numpy(zero_copy_only=False),
            arr.value_lengths().to_numpy(zero_copy_only=False).astype(np.int64))


def _segment_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    return np.add.reduceat(values, starts) if len(values) else np.zeros(len(lengths))


def _chunk_max(lengths: np.ndarray, size: int) -> np.ndarray:
    """For each row, the longest row of its chunk of ``size`` consecutive rows."""
    chunks = np.arange(len(lengths)) // size
    starts = np.flatnonzero(np.r_[True, chunks[1:] != chunks[:-1]])
    return np.maximum.reduceat(lengths, starts)[chunks]


def read_baseline(path: Any, num_layers: int) -> np.ndarray:
    """P, R, F baselines of layer ``num_layers`` from a bert-score baseline file (CSV with a header
    row, then ``layer,P,R,F`` per layer)."""
    from arrowdata.errors import MissingFileError

    if not os.path.isfile(os.fspath(path)):
        raise MissingFileError(os.fspath(path))
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except ValueError as e:
        raise MetricInputError(f"baseline_path: {path}: not a bert-score baseline file ({e})") from None
    if not 0 <= num_layers < len(table) or table.shape[1] < 4:
        raise MetricInputError(f"baseline_path: {path} has no row for layer {num_layers}")
    return table[num_layers, 1:4].astype(np.float32)


@register("bertscore", description="BERTScore P/R/F1 per prediction, as bert-score, from a local model folder.")
class BertScore(Metric):
    """BERTScore. Inputs: ``predictions`` (strings), ``references`` (a string or a list of strings each).

    Options (evaluate's): ``model_type`` (a local model folder; required), ``num_layers`` (default:
    all), ``idf``, ``rescale_with_baseline`` with ``baseline_path`` (a local baseline file),
    ``batch_size`` (64), ``device`` (``None``: CUDA if available), ``use_fast_tokenizer``;
    ``lang``, ``verbose``, ``nthreads`` are accepted. Returns ``{"precision": [...], "recall": [...],
    "f1": [...], "hashcode": str}``.
    """

    citation = """\
@inproceedings{bert-score, title = {BERTScore: Evaluating Text Generation with BERT},
    author = {Tianyi Zhang and Varsha Kishore and Felix Wu and Kilian Q. Weinberger and Yoav Artzi},
    booktitle = {International Conference on Learning Representations}, year = {2020}}
"""

    default_options = {"model_type": None, "num_layers": None, "idf": False, "rescale_with_baseline": False,
                       "baseline_path": None, "batch_size": 64, "device": None, "use_fast_tokenizer": False,
                       "lang": None, "verbose": False, "nthreads": 4, "all_layers": False}
    state_options = ("model_type", "num_layers", "use_fast_tokenizer")

    def _init_states(self) -> None:
        self.add_state("refs_per_prediction", pa.int32(), reduce="cat")
        self.add_state("hyp_ids", _IDS, reduce="cat")
        self.add_state("hyp_best", _SIMS, reduce="cat")
        self.add_state("ref_ids", _IDS, reduce="cat")
        self.add_state("ref_best", _SIMS, reduce="cat")
        self.add_state("doc_freq", ["token"], reduce="counts")  # references holding each token id
        self.add_state("n_references", 0, reduce="sum")
        if self.options["all_layers"]:
            raise MetricInputError("all_layers: not supported; pick one layer with num_layers")
        if self.options["num_layers"] is not None:
            v.positive_int("num_layers", self.options["num_layers"] + 1)  # 0 (the embeddings) is allowed
        self._folder = None

    def _encoder(self, device: Any = None) -> bert_encoder.Encoder:
        if self._folder is None:
            self._folder = bert_encoder.model_folder(self.options["model_type"], self.options["lang"])
        return bert_encoder.get_encoder(self._folder, self.options["num_layers"], device or self.options["device"],
                                        bool(self.options["use_fast_tokenizer"]))

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = predictions_and_references("bertscore", predictions, references)
        if not preds:
            return
        enc = self._encoder()
        batch_size = v.positive_int("batch_size", self.options["batch_size"])
        pair_preds = [p for p, rs in zip(preds, refs) for _ in rs]
        pair_refs = [r for rs in refs for r in rs]
        emb = enc.embed(pair_refs + pair_preds, batch_size)
        maxima = bert_encoder.greedy_maxima([(emb[p][1], emb[r][1]) for p, r in zip(pair_preds, pair_refs)])
        self.refs_per_prediction.append(pa.array([len(rs) for rs in refs], pa.int32()))
        self.hyp_ids.append(pa.array([emb[p][0] for p in pair_preds], _IDS))
        self.ref_ids.append(pa.array([emb[r][0] for r in pair_refs], _IDS))
        self.hyp_best.append(pa.array([m[0] for m in maxima], _SIMS))
        self.ref_best.append(pa.array([m[1] for m in maxima], _SIMS))
        tokens = np.concatenate([np.unique(emb[r][0]) for r in pair_refs])
        self.doc_freq.add({"token": tokens.astype(np.int64)})
        self.n_references += len(pair_refs)

    def _weights(self, idf: bool, enc: bert_encoder.Encoder, size: int) -> np.ndarray:
        """Weight of every token id below ``size``: IDF over the references, or 1 (0 for CLS/SEP)."""
        if not idf:
            w = np.ones(size)
            for special in (enc.tokenizer.sep_token_id, enc.tokenizer.cls_token_id):
                if special is not None and special < size:
                    w[special] = 0.0
            return w
        m = self.n_references
        w = np.full(size, math.log(m + 1))
        table = self.doc_freq.to_table()
        if table.num_rows:
            tok = table.column("token").to_numpy(zero_copy_only=False).astype(np.int64)
            df = table.column("count").to_numpy(zero_copy_only=False).astype(np.float64)
            keep = tok < size
            w[tok[keep]] = np.log((m + 1) / (df[keep] + 1))
        return w

    def _compute(self, *, idf: bool = False, rescale_with_baseline: bool = False, baseline_path: Any = None,
                 batch_size: int = 64, device: Any = None, **_: Any) -> dict[str, Any]:
        if not len(self.refs_per_prediction):
            raise MetricInputError("bertscore: no predictions were added")
        enc = self._encoder(device)
        batch_size = v.positive_int("batch_size", batch_size)
        hyp_ids, hyp_len = _flat(self.hyp_ids)
        ref_ids, ref_len = _flat(self.ref_ids)
        hyp_best, _ = _flat(self.hyp_best)
        ref_best, _ = _flat(self.ref_best)
        size = int(max(hyp_ids.max(initial=0), ref_ids.max(initial=0))) + 1
        weights = self._weights(bool(idf), enc, size)
        # bert-score pads each chunk of batch_size pairs and zeroes the padded similarities, so a
        # padded pair's best similarity is never below 0; do the same, chunk for chunk
        ref_padded = np.repeat(ref_len < _chunk_max(ref_len, batch_size), hyp_len)
        hyp_padded = np.repeat(hyp_len < _chunk_max(hyp_len, batch_size), ref_len)
        hyp_best = np.where(ref_padded, np.maximum(hyp_best, 0), hyp_best).astype(np.float64)
        ref_best = np.where(hyp_padded, np.maximum(ref_best, 0), ref_best).astype(np.float64)
        hw, rw = weights[hyp_ids], weights[ref_ids]
        with np.errstate(invalid="ignore", divide="ignore"):
            p = _segment_sums(hyp_best * hw, hyp_len) / _segment_sums(hw, hyp_len)
            r = _segment_sums(ref_best * rw, ref_len) / _segment_sums(rw, ref_len)
            f = 2 * p * r / (p + r)
        empty = (hyp_len == 2) | (ref_len == 2)  # only [CLS] [SEP]: bert-score zeroes P and R (not F)
        p[empty], r[empty] = 0.0, 0.0
        f[np.isnan(f)] = 0.0
        scores = np.stack([p, r, f], axis=1)
        counts = self.refs_per_prediction.to_numpy().astype(np.int64)
        scores = np.maximum.reduceat(scores, np.r_[0, np.cumsum(counts)[:-1]], axis=0)
        if rescale_with_baseline:
            if baseline_path is None:
                raise MetricInputError("baseline_path: rescale_with_baseline needs a local baseline file "
                                       "(bert-score's rescale_baseline/<lang>/<model>.tsv format)")
            base = read_baseline(baseline_path, enc.num_layers).astype(np.float64)
            scores = (scores - base) / (1 - base)
        return {"precision": scores[:, 0].tolist(), "recall": scores[:, 1].tolist(), "f1": scores[:, 2].tolist(),
                "hashcode": self._hashcode(enc, idf, rescale_with_baseline, baseline_path)}

    def _hashcode(self, enc: bert_encoder.Encoder, idf: bool, rescaled: bool, baseline_path: Any) -> str:
        import transformers

        msg = (f"{self.options['model_type']}_L{enc.num_layers}{'_idf' if idf else '_no-idf'}"
               f"_version=arrowdata(hug_trans={transformers.__version__})")
        if rescaled:
            msg += "-custom-rescaled" if baseline_path is not None else "-rescaled"
        return msg + ("_fast-tokenizer" if self.options["use_fast_tokenizer"] else "")
