"""Recognising transformers collators whose work the native padding does exactly.

A ported script passes ``collate_fn=DataCollatorWithPadding(tokenizer)`` to ``to_tf_dataset``.
Run as given, that collator costs a Python call per row and per batch; its result, though, is a
plain per-batch padding: ``input_ids`` with ``tokenizer.pad_token_id``, ``token_type_ids`` with
``pad_token_type_id``, ``attention_mask`` with 0 (created when the tokenizer's model takes one),
``special_tokens_mask`` with 1, on the tokenizer's ``padding_side``, widths rounded up to
``pad_to_multiple_of``, and ``label``/``label_ids`` renamed ``labels``. When the collator and the
columns it would receive fit that description exactly, the loaders do the same padding natively
(in the tf.data graph); otherwise the collator runs as given. A translator is registered per
collator class (exact class: a subclass may change ``__call__``).

Example:
    >>> import pyarrow as pa
    >>> class DataCollatorWithPadding:  # stands in for transformers' class in this example
    ...     pass
    >>> native_padding(DataCollatorWithPadding(), None, pa.schema([("input_ids", pa.list_(pa.int32()))]),
    ...                ["input_ids"], {"input_ids": None}) is None  # not transformers' class
    True
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa

from .padding import column_kind

#: Token columns ``tokenizer.pad`` pads, with the value it pads them with (None: from the tokenizer).
TOKEN_COLUMNS = {"input_ids": None, "token_type_ids": None, "attention_mask": 0, "special_tokens_mask": 1}
RENAMED = {"label": "labels", "label_ids": "labels"}

#: ``(module, class name)`` -> function(collator) -> PaddingCollator options, or None when it cannot be native.
TRANSLATORS: dict[tuple[str, str], Callable[[Any], dict[str, Any] | None]] = {}


def register_translator(module: str, name: str, translate: Callable[[Any], dict[str, Any] | None]) -> None:
    """Declare that collators of class ``module.name`` can run as native padding, with options from ``translate``."""
    TRANSLATORS[(module, name)] = translate


def _with_padding(collator: Any) -> dict[str, Any] | None:
    tokenizer = getattr(collator, "tokenizer", None)
    padding = getattr(collator, "padding", None)
    if tokenizer is None or getattr(collator, "max_length", None) is not None:
        return None
    if not (padding is True or padding == "longest"):
        return None
    pad_id, type_id = getattr(tokenizer, "pad_token_id", None), getattr(tokenizer, "pad_token_type_id", 0)
    side = getattr(tokenizer, "padding_side", "right")
    if pad_id is None or side not in ("right", "left"):
        return None  # tokenizer.pad raises without a pad token: let it say so
    return {"pad_token_id": int(pad_id),
            "pad_values": {"token_type_ids": int(type_id), "attention_mask": 0, "special_tokens_mask": 1},
            "pad_to_multiple_of": getattr(collator, "pad_to_multiple_of", None), "padding_side": side,
            "rename": dict(RENAMED),
            "return_attention_mask": "attention_mask" in getattr(tokenizer, "model_input_names", ["attention_mask"])}


register_translator("transformers.data.data_collator", "DataCollatorWithPadding", _with_padding)


def native_padding(collate_fn: Any, collate_fn_args: Mapping[str, Any] | None, schema: pa.Schema,
                   columns: list[str], signature: Mapping[str, Any]) -> dict[str, Any] | None:
    """Options of :func:`loaders.to_tf_dataset` that pad ``columns`` exactly as ``collate_fn`` would,
    with the dtypes of ``signature`` (the collator's outputs); None when the collator must run itself."""
    translate = TRANSLATORS.get((type(collate_fn).__module__, type(collate_fn).__name__))
    if translate is None or collate_fn_args:
        return None
    options = translate(collate_fn)
    if options is None:
        return None
    outputs = []
    for name in columns:
        kind = column_kind(schema.field(name).type)
        ragged_int = kind == "ragged" and pa.types.is_integer(schema.field(name).type.value_type)
        if name in TOKEN_COLUMNS and ragged_int:
            pass
        elif name in TOKEN_COLUMNS or kind != "scalar":
            return None  # lists the tokenizer would not pad, nested or non-numeric values
        outputs.append(options["rename"].get(name, name))
    if options["return_attention_mask"] and "input_ids" in columns and "attention_mask" not in outputs:
        outputs.append("attention_mask")
    options["return_attention_mask"] = options["return_attention_mask"] and "input_ids" in columns
    if len(set(outputs)) < len(outputs) or set(outputs) != set(signature):
        return None  # e.g. both label and labels, or a collator output we would not produce
    options["dtypes"] = {name: spec.dtype.as_numpy_dtype for name, spec in signature.items()}
    return {"columns": list(columns), **options}
