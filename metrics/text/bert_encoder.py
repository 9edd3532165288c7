"""Contextual token embeddings from a local transformer folder, for BERTScore (torch/transformers lazily).

:class:`Encoder` tokenizes every distinct sentence once (as ``bert-score``'s ``sent_encode``:
stripped, special tokens added, truncated to the model's maximum length), sorts them by token
count and runs the model in batches of similar length, so little compute goes to padding. The
model keeps only its first ``num_layers`` layers (as ``bert-score`` truncates them), and each
token vector is L2-normalised. Encoders are cached per (folder, layers, device, tokenizer kind).

Example::

    enc = get_encoder("/path/to/minilm", num_layers=4, device="cpu")
    ids, vectors = enc.embed(["a cat", "the dog"], batch_size=64)
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..validation import MetricInputError

logger = logging.getLogger(__name__)

_CACHE: dict[tuple, "Encoder"] = {}
_LOCK = threading.Lock()


def _truncate_layers(model: Any, num_layers: int) -> bool:
    """Keep the first ``num_layers`` transformer layers in place (BERT-like encoders); False if unknown."""
    import torch

    for holder, attr in ((getattr(model, "encoder", None), "layer"), (getattr(model, "transformer", None), "layer"),
                         (model, "layers"), (model, "layer")):
        layers = getattr(holder, attr, None) if holder is not None else None
        if isinstance(layers, torch.nn.ModuleList):
            if not 0 <= num_layers <= len(layers):
                raise MetricInputError(f"num_layers: {num_layers} is not in [0, {len(layers)}] for this model")
            setattr(holder, attr, torch.nn.ModuleList(list(layers)[:num_layers]))
            return True
    return False


class Encoder:
    """A tokenizer and a truncated model on one device; see the module doc."""

    def __init__(self, folder: str, num_layers: int | None, device: str, use_fast: bool) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.folder, self.device = folder, torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, use_fast=use_fast, local_files_only=True)
        model = AutoModel.from_pretrained(folder, local_files_only=True)
        model.eval()
        if hasattr(model, "decoder") and hasattr(model, "encoder"):
            model = model.encoder
        total = int(getattr(model.config, "num_hidden_layers", 0))
        self.num_layers = total if num_layers is None else int(num_layers)
        self._hidden_index = None
        if not _truncate_layers(model, self.num_layers):
            self._hidden_index = self.num_layers  # unknown layout: read that layer's hidden state
        self.model = model.to(self.device)
        self.max_length = min(int(self.tokenizer.model_max_length), 100_000)

    def encode(self, sentences: Sequence[str]) -> list[list[int]]:
        """Token ids of each sentence, with special tokens ('' -> just the special tokens)."""
        out: list[list[int]] = [None] * len(sentences)  # type: ignore[list-item]
        texts = [s.strip() for s in sentences]
        todo = [i for i, t in enumerate(texts) if t]
        if todo:
            enc = self.tokenizer([texts[i] for i in todo], add_special_tokens=True, truncation=True,
                                 max_length=self.max_length)["input_ids"]
            for i, ids in zip(todo, enc):
                out[i] = list(ids)
        empty = self.tokenizer("", add_special_tokens=True)["input_ids"]  # just the special tokens
        return [ids if ids is not None else list(empty) for ids in out]

    def embed(self, sentences: Sequence[str], batch_size: int = 64) -> dict[str, tuple[list[int], Any]]:
        """``{sentence: (token ids, normalised float32 vectors (tokens x dim), numpy)}`` for the distinct
        sentences, computed on the device in length-sorted batches."""
        import torch

        distinct = list(dict.fromkeys(sentences))
        ids = self.encode(distinct)
        order = sorted(range(len(distinct)), key=lambda i: -len(ids[i]))
        pad = self.tokenizer.pad_token_id or 0
        out: dict[str, tuple[list[int], Any]] = {}
        with torch.inference_mode():
            for lo in range(0, len(order), batch_size):
                chunk = order[lo:lo + batch_size]
                width = max(len(ids[i]) for i in chunk)
                x = torch.full((len(chunk), width), pad, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, i in enumerate(chunk):
                    x[row, :len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
                    mask[row, :len(ids[i])] = 1
                x, mask = x.to(self.device), mask.to(self.device)
                if self._hidden_index is None:
                    hidden = self.model(x, attention_mask=mask)[0]
                else:
                    hidden = self.model(x, attention_mask=mask, output_hidden_states=True).hidden_states[
                        self._hidden_index]
                hidden = (hidden / hidden.norm(dim=-1, keepdim=True)).float().cpu().numpy()
                for row, i in enumerate(chunk):
                    out[distinct[i]] = (ids[i], hidden[row, :len(ids[i])])
        return out


def model_folder(model_type: Any, lang: Any) -> str:
    """The local model folder ``model_type`` names (bertscore never downloads)."""
    if model_type is None:
        raise MetricInputError(f"model_type: give a local model folder (lang={lang!r} alone would need a download, "
                               f"and bertscore runs offline)")
    path = Path(os.fspath(model_type)).expanduser()
    if not (path / "config.json").is_file():
        raise MetricInputError(f"model_type: {str(path)!r} is not a local transformers model folder (no config.json);"
                               f" bertscore runs offline")
    return str(path.resolve())


def get_encoder(folder: str, num_layers: int | None, device: str | None, use_fast: bool = False) -> Encoder:
    """A cached :class:`Encoder` (device ``None``: CUDA when available, else CPU)."""
    if device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    key = (folder, num_layers, str(device), bool(use_fast))
    with _LOCK:
        enc = _CACHE.get(key)
        if enc is None:
            logger.info("bertscore: loading %s (%s layers) on %s", folder, num_layers, device)
            enc = _CACHE[key] = Encoder(folder, num_layers, str(device), bool(use_fast))
    return enc


def greedy_maxima(pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each (hypothesis vectors, reference vectors): the best cosine of each hypothesis token
    over the reference tokens, and of each reference token over the hypothesis tokens (numpy: a
    few small matrix products per pair cost less than torch's per-call overhead)."""
    out = []
    for hyp, ref in pairs:
        sim = hyp @ ref.T
        out.append((sim.max(axis=1), sim.max(axis=0)))
    return out
