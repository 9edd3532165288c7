"""``perplexity``: exp of the mean negative log-likelihood per token.

Predictions are one sequence of token log-probabilities per text (natural log, as
``log_softmax`` gives; ``base=2`` or ``10`` for other logs), so any model, framework
or API can be scored without this library running it. With torch installed,
:func:`perplexity_from_model` runs a causal language model callable over token ids and
feeds the log-probabilities of each next token.

Results: ``perplexities`` (one per sequence, as ``evaluate``'s perplexity), ``mean_perplexity``
(their plain mean, ``evaluate``'s headline number) and ``perplexity`` (corpus level: exp of
the token-weighted mean NLL, what language-model papers report).

Example:
    >>> import math, metrics
    >>> ppl = metrics.load("perplexity")
    >>> r = ppl.compute(predictions=[[math.log(0.5), math.log(0.5)], [math.log(0.25)]])
    >>> [round(x, 6) for x in r["perplexities"]], round(r["mean_perplexity"], 6), round(r["perplexity"], 6)
    ([2.0, 4.0], 3.0, 2.519842)
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import validation as v
from .base import Metric
from .registry import register
from .validation import MetricInputError


@register("perplexity", description="exp(mean token NLL) per sequence and over the corpus, from log-probabilities.")
class Perplexity(Metric):
    """Perplexity from token log-probabilities; ``references`` are not used."""

    references_required = False
    default_options = {"base": math.e}
    state_options = ("base",)

    def _init_states(self) -> None:
        import pyarrow as pa

        base = self.options["base"]
        if not isinstance(base, (int, float)) or not base > 1 or not math.isfinite(base):
            raise MetricInputError(f"base: expected a finite number > 1 (the log base), got {base!r}")
        self.add_state("seq_nll", pa.float64(), reduce="cat")      # per-sequence mean NLL, natural log
        self.add_state("total_nll", 0.0, reduce="sum")
        self.add_state("total_tokens", 0, reduce="sum")

    def _update(self, predictions: Any, references: Any = None) -> None:
        seqs = v.as_sequence("predictions", predictions)
        scale = math.log(self.options["base"])  # log_b(p) * ln(b) = ln(p)
        means = []
        for i, seq in enumerate(seqs):
            lp = v.floats(f"predictions[{i}]", seq)
            if len(lp) == 0:
                raise MetricInputError(f"predictions[{i}]: a sequence needs at least one token log-probability")
            if np.any(lp > 1e-9):
                bad = int(np.argmax(lp > 1e-9))
                raise MetricInputError(f"predictions[{i}][{bad}]: {float(lp[bad])!r} is not a log-probability (must be <= 0)")
            nll = -lp.sum() * scale
            means.append(nll / len(lp))
            self.total_nll += float(nll)
            self.total_tokens += len(lp)
        self.seq_nll.append(np.asarray(means, dtype=np.float64))

    def add_model_batch(self, model: Callable, input_ids: Any, attention_mask: Any = None) -> None:
        """Score a batch of token ids with a causal LM callable (torch); see :func:`token_log_probs`."""
        self.add_batch(predictions=token_log_probs(model, input_ids, attention_mask))

    def _compute(self, **_) -> dict:
        nll = self.seq_nll.to_numpy()
        if not len(nll):
            raise MetricInputError("perplexity: no sequences to score")
        ppl = np.exp(nll)
        return {"perplexities": ppl.tolist(), "mean_perplexity": float(np.mean(ppl)),
                "perplexity": math.exp(self.total_nll / self.total_tokens)}


def token_log_probs(model: Callable, input_ids: Any, attention_mask: Any = None) -> list[np.ndarray]:
    """Natural-log probability of each next token under ``model``, one array per sequence.

    ``model(input_ids)`` (or ``model(input_ids, attention_mask=mask)``) must return logits of shape
    ``(batch, length, vocab)``, or an object with a ``.logits`` attribute (Hugging Face models).
    Position ``t``'s logits predict token ``t + 1``; padding (mask 0) is skipped, so each sequence
    of ``n`` real tokens yields ``n - 1`` log-probabilities.

    Example:
        >>> import torch
        >>> model = lambda ids: torch.zeros(ids.shape[0], ids.shape[1], 4)   # uniform over 4 tokens
        >>> [round(float(x), 4) for x in token_log_probs(model, torch.tensor([[1, 2, 3]]))[0]]
        [-1.3863, -1.3863]
    """
    import torch

    ids = input_ids if isinstance(input_ids, torch.Tensor) else torch.as_tensor(np.asarray(input_ids))
    if ids.ndim != 2:
        raise MetricInputError(f"input_ids: expected shape (batch, length), got {tuple(ids.shape)}")
    mask = None
    if attention_mask is not None:
        mask = attention_mask if isinstance(attention_mask, torch.Tensor) else torch.as_tensor(np.asarray(attention_mask))
        if mask.shape != ids.shape:
            raise MetricInputError(f"attention_mask: shape {tuple(mask.shape)} differs from input_ids {tuple(ids.shape)}")
    with torch.no_grad():
        out = model(ids) if mask is None else model(ids, attention_mask=mask)
        logits = getattr(out, "logits", out)
        if not isinstance(logits, torch.Tensor) or logits.ndim != 3 or logits.shape[:2] != ids.shape:
            raise MetricInputError(f"model: expected logits of shape (batch, length, vocab) for input_ids "
                                   f"{tuple(ids.shape)}, got {getattr(logits, 'shape', type(logits).__name__)}")
        logp = torch.log_softmax(logits[:, :-1].double(), dim=-1)
        picked = logp.gather(-1, ids[:, 1:].long().unsqueeze(-1)).squeeze(-1)
    keep = torch.ones_like(picked, dtype=torch.bool) if mask is None else (mask[:, 1:] != 0) & (mask[:, :-1] != 0)
    rows = []
    for i in range(ids.shape[0]):
        row = picked[i][keep[i]].cpu().numpy()
        if not len(row):
            raise MetricInputError(f"input_ids[{i}]: fewer than two real tokens, nothing to predict")
        rows.append(row)
    return rows


def perplexity_from_model(model: Callable, input_ids: Any, attention_mask: Any = None, *,
                          batch_size: int = 16) -> dict:
    """Perplexity of ``model`` on token ids (torch), batch by batch; the same keys as the metric.

    Example:
        >>> import torch
        >>> model = lambda ids: torch.zeros(ids.shape[0], ids.shape[1], 8)
        >>> round(perplexity_from_model(model, torch.tensor([[1, 2, 3], [4, 5, 6]]))["perplexity"], 6)
        8.0
    """
    metric = Perplexity()
    n = len(input_ids)
    for start in range(0, n, batch_size):
        mask = None if attention_mask is None else attention_mask[start:start + batch_size]
        metric.add_model_batch(model, input_ids[start:start + batch_size], mask)
    return metric.compute()
