"""Tag sequences as numpy arrays of prefix codes and type ids, and chunk extraction on them.

Every batch of sentences becomes one flat array with an ``O`` separator after each sentence,
so entity boundaries never cross sentences and an entity is identified by its position in
that array. Labels are parsed once per distinct label (there are few), never per token.

Two extraction rules, both as vectorised numpy over consecutive pairs ``(previous, current)``:

* :func:`conll_chunks`: the default, lenient rule (conlleval's, as ``seqeval``'s ``get_entities``):
  a chunk ends/starts on prefix changes (B, I, E, S, O) or type changes.
* :func:`strict_chunks`: a scheme's grammar (IOB1, IOE1, IOB2, IOE2, IOBES, BILOU), as
  ``seqeval``'s ``mode="strict"``: a chunk starts at a start pattern, runs while the inside
  pattern holds, and counts only if the token after it closes it by an end pattern.

Example:
    >>> t = encode_batch([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "O"]], suffix=False)
    >>> c = conll_chunks(t.pred_prefix, t.pred_type)
    >>> [(t.type_names[k], int(b), int(e)) for k, b, e in zip(c.types, c.begins, c.ends)]
    [('PER', 0, 1), ('LOC', 3, 3)]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from ..validation import MetricInputError

#: prefix letters with a code each; anything else is OTHER
PREFIXES = "OBIESUL."
O, B, I, E, S, U, L, DOT = range(8)
OTHER = 8
N_PREFIX = 9


@dataclass
class TagBatch:
    """One batch, flattened with an ``O`` after every sentence (``*_prefix`` codes, ``*_type`` ids)."""

    pred_prefix: np.ndarray
    pred_type: np.ndarray
    ref_prefix: np.ndarray
    ref_type: np.ndarray
    pred_labels: np.ndarray  # label id per real token (accuracy), shared dictionary with refs
    ref_labels: np.ndarray
    labels: list[str]        # label id -> label text
    type_names: list[str]    # type id -> type name
    sentence_of: np.ndarray  # flat position -> sentence index in the batch (separators included)
    start_of_sentence: np.ndarray  # sentence index -> flat position of its first token
    ref_token_prefixes: np.ndarray  # distinct prefix codes of the real reference tokens (no separators)


def _as_list_array(name: str, values: Any) -> pa.ListArray:
    if isinstance(values, (str, bytes)):
        raise MetricInputError(f"{name}: expected a list of tag sequences, got one string")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    try:
        if isinstance(values, pa.Array):
            arr = values.cast(pa.list_(pa.string()))
        else:
            if isinstance(values, np.ndarray):
                values = values.tolist()
            arr = pa.array(values, type=pa.list_(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as e:
        bad = next((i for i, s in enumerate(values) if isinstance(s, str) or not all(isinstance(t, str) for t in s)),
                   None) if hasattr(values, "__iter__") else None
        where = f"{name}[{bad}]" if bad is not None else name
        raise MetricInputError(f"{where}: expected a list of tag strings per sentence ({e})") from None
    if arr.null_count:
        raise MetricInputError(f"{name}[{arr.to_pylist().index(None)}]: a sentence is None")
    flat = arr.flatten()
    if flat.null_count:
        at = int(np.flatnonzero(~flat.is_valid().to_numpy(zero_copy_only=False))[0])
        offsets = arr.offsets.to_numpy()
        sent = int(np.searchsorted(offsets, at, side="right")) - 1
        raise MetricInputError(f"{name}[{sent}][{at - offsets[sent]}]: a tag is None, expected a string")
    return arr


def parse_label(label: str, suffix: bool, strict: bool) -> tuple[int, str]:
    """``(prefix code, type)`` of one label, by seqeval's rules for the chosen mode."""
    if not label:
        raise ValueError("an empty tag")
    ch = label[-1] if suffix else label[0]
    rest = label[:-1] if suffix else label[1:]
    if strict:
        kind = rest.strip("-") or "_"
    elif suffix:
        kind = rest.rsplit("-", 1)[0] or "_"
    else:
        kind = rest.split("-", 1)[-1] or "_"
    return PREFIXES.index(ch) if ch in PREFIXES else OTHER, kind


def encode_batch(predictions: Any, references: Any, *, suffix: bool, strict: bool = False) -> TagBatch:
    """Validate both inputs (equal sentence lengths) and encode them into one :class:`TagBatch`."""
    preds = _as_list_array("predictions", predictions)
    refs = _as_list_array("references", references)
    if len(preds) != len(refs):
        raise MetricInputError(f"predictions and references differ in length: {len(preds)} predictions vs "
                               f"{len(refs)} references")
    lp = preds.value_lengths().to_numpy(zero_copy_only=False)
    lr = refs.value_lengths().to_numpy(zero_copy_only=False)
    if not np.array_equal(lp, lr):
        i = int(np.flatnonzero(lp != lr)[0])
        raise MetricInputError(f"predictions[{i}] has {lp[i]} tags but references[{i}] has {lr[i]}")
    pflat, rflat = preds.flatten(), refs.flatten()
    n = len(pflat)
    encoded = pa.concat_arrays([pflat, rflat]).dictionary_encode()
    ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    labels = encoded.dictionary.to_pylist()
    type_index: dict[str, int] = {}
    prefix_lut = np.empty(len(labels) + 1, dtype=np.int8)
    type_lut = np.empty(len(labels) + 1, dtype=np.int64)
    for k, label in enumerate(labels + ["O"]):  # the last entry is the separator
        try:
            code, kind = parse_label(label, suffix, strict)
        except ValueError as e:
            raise MetricInputError(f"{_where(ids, k, n, lp)}: {e}") from None
        prefix_lut[k] = code
        type_lut[k] = type_index.setdefault(kind, len(type_index))
    sep = len(labels)
    n_sent = len(lp)
    sentence_of_token = np.repeat(np.arange(n_sent), lp)
    pos = np.arange(n) + sentence_of_token  # each earlier sentence added one separator
    size = n + n_sent
    out = []
    for part in (ids[:n], ids[n:]):
        full = np.full(size, sep, dtype=np.int64)
        full[pos] = part
        out.append(full)
    starts = np.r_[0, np.cumsum(lp + 1)[:-1]] if n_sent else np.zeros(0, dtype=np.int64)
    return TagBatch(prefix_lut[out[0]], type_lut[out[0]], prefix_lut[out[1]], type_lut[out[1]],
                    ids[:n], ids[n:], labels, list(type_index), np.repeat(np.arange(n_sent), lp + 1), starts,
                    np.unique(prefix_lut[np.unique(ids[n:])]))


def _where(ids: np.ndarray, label_id: int, n: int, lengths: np.ndarray) -> str:
    """``predictions[i][j]`` for the first token holding label ``label_id``."""
    flat = int(np.flatnonzero(ids == label_id)[0])
    name = "predictions" if flat < n else "references"
    flat = flat if flat < n else flat - n
    bounds = np.cumsum(lengths)
    sent = int(np.searchsorted(bounds, flat, side="right"))
    return f"{name}[{sent}][{flat - (bounds[sent - 1] if sent else 0)}]"


@dataclass
class Chunks:
    """Chunks as parallel arrays: type id, first and last flat position (inclusive)."""

    types: np.ndarray
    begins: np.ndarray
    ends: np.ndarray


def _prev(a: np.ndarray, first: int) -> np.ndarray:
    out = np.empty_like(a)
    out[0] = first
    out[1:] = a[:-1]
    return out


def conll_chunks(prefix: np.ndarray, types: np.ndarray) -> Chunks:
    """The lenient (conlleval) chunks of one flat sequence; see the module doc."""
    p, t = _prev(prefix, O), prefix
    same = _prev(types, -1) == types
    p_es, p_bi = (p == E) | (p == S), (p == B) | (p == I)
    end = p_es | (p_bi & ((t == B) | (t == S) | (t == O))) | ((p != O) & (p != DOT) & ~same)
    start = (t == B) | (t == S) | ((p_es | (p == O)) & ((t == E) | (t == I))) | ((t != O) & (t != DOT) & ~same)
    idx = np.arange(len(prefix))
    last_start = np.maximum.accumulate(np.where(start, idx, -1))
    at = np.flatnonzero(end[1:]) + 1  # a chunk closes at i when it ends before token i
    begins = np.maximum(last_start[at - 1], 0)  # the start seen before i (position 0 if none, as seqeval)
    return Chunks(types[at - 1], begins, at - 1)


# Scheme grammars: "<prev><cur><tag>" with '*' for any prefix and '=', '!', '*' for same, different, any type
SCHEMES: dict[str, dict[str, str]] = {
    "IOB1": {"allowed": "IOB", "start": "OI* II! BI* IB= BB=", "inside": "BI= II=",
             "end": "II! IO* IB* BO* BI! BB="},
    "IOE1": {"allowed": "IOE", "start": "OI* II! EI* EE=", "inside": "II= IE=",
             "end": "II! IO* IE! EI= EE="},
    "IOB2": {"allowed": "IOB", "start": "*B*", "inside": "BI= II=", "end": "IO* II! IB* BO* BI! BB*"},
    "IOE2": {"allowed": "IOE", "start": "OI* OE* EI* EE* II! IE!", "inside": "IE= II=", "end": "E**"},
    "IOBES": {"allowed": "IOBES", "start": "*B* *S*", "inside": "BI= BE= II= IE=", "end": "S** E**"},
    "BILOU": {"allowed": "BILOU", "start": "*B* *U*", "inside": "BI= BL= II= IL=", "end": "U** L**"},
}


def _table(patterns: str) -> np.ndarray:
    """``table[prev prefix, current prefix, same type]`` -> whether a pattern matches."""
    table = np.zeros((N_PREFIX, N_PREFIX, 2), dtype=bool)
    letters = "IOBESUL"
    for pat in patterns.split():
        prevs = [PREFIXES.index(c) for c in (letters if pat[0] == "*" else pat[0])]
        curs = [PREFIXES.index(c) for c in (letters if pat[1] == "*" else pat[1])]
        sames = {"=": [1], "!": [0], "*": [0, 1]}[pat[2]]
        for a in prevs:
            for b in curs:
                table[a, b, sames] = True
    return table


_TABLES = {name: {k: _table(v) for k, v in spec.items() if k != "allowed"} for name, spec in SCHEMES.items()}


def detect_scheme(prefixes: set[int]) -> str | None:
    """seqeval's auto-detection from the prefixes present in the references (``None`` if none fits)."""
    letters = {PREFIXES[p] for p in prefixes if p < len(PREFIXES)}
    if len(letters) != len(prefixes):
        return None
    for name, core, single in (("IOB2", "B", None), ("IOE2", "E", None), ("IOBES", "BE", "S"), ("BILOU", "BL", "U")):
        allowed = set(SCHEMES[name]["allowed"]) | {"O"}
        if letters <= allowed and (set(core) <= letters or letters == {single}):
            return name
    return None


def invalid_prefix(prefix: np.ndarray, scheme: str) -> np.ndarray:
    """Positions whose prefix the scheme does not allow."""
    allowed = np.zeros(N_PREFIX, dtype=bool)
    allowed[[PREFIXES.index(c) for c in SCHEMES[scheme]["allowed"] + "O"]] = True
    return np.flatnonzero(~allowed[prefix])


def strict_chunks(prefix: np.ndarray, types: np.ndarray, scheme: str) -> Chunks:
    """The chunks a scheme's grammar accepts; see the module doc. Prefixes must be valid for it."""
    tables = _TABLES[scheme]
    p, same = _prev(prefix, O), (_prev(types, -1) == types).astype(np.int8)
    start = tables["start"][p, prefix, same]
    inside = tables["inside"][p, prefix, same]
    closes = tables["end"][p, prefix, same]
    inside[0] = False
    heads = np.flatnonzero(~inside)  # segments [head, next head): one run of inside tokens each
    segment = np.cumsum(~inside) - 1
    starts = np.flatnonzero(start)
    seg_of_start = segment[starts]
    first = np.r_[True, seg_of_start[1:] != seg_of_start[:-1]] if len(starts) else np.zeros(0, dtype=bool)
    begins, segs = starts[first], seg_of_start[first]
    nxt = segs + 1
    ok = nxt < len(heads)
    begins, nxt = begins[ok], nxt[ok]
    stop = heads[nxt]  # the first token after the run
    keep = closes[stop]
    begins, stop = begins[keep], stop[keep]
    return Chunks(types[begins], begins, stop - 1)
