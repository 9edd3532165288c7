"""The metrics registry, the Metric API, state merging/serialisation and combine()."""
from __future__ import annotations

import math
import textwrap

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

import metrics
from arrowdata.errors import ArrowDataError, UnknownNameError
from metrics.base import Metric
from metrics.registry import BUILTIN_METRICS, MetricLoadError
from metrics.state import CatState, CountState, MetricStateError, decode_states, encode_states
from metrics.validation import MetricInputError

TEXT_METRICS = {"bleu": "metrics.text.bleu", "sacrebleu": "metrics.text.sacrebleu", "chrf": "metrics.text.chrf",
                "ter": "metrics.text.ter", "rouge": "metrics.text.rouge", "meteor": "metrics.text.meteor",
                "wer": "metrics.text.wer", "cer": "metrics.text.cer"}


# --- registry -------------------------------------------------------------------------------------

def test_builtin_table_names_the_text_metric_modules():
    for name, module in TEXT_METRICS.items():
        assert BUILTIN_METRICS[name] == module


@pytest.mark.parametrize("name,config", [("accuracy", None), ("f1", None), ("precision", None), ("recall", None),
                                         ("matthews_correlation", None), ("pearsonr", None), ("spearmanr", None),
                                         ("glue", "mrpc"), ("super_glue", "cb"), ("squad", None),
                                         ("squad_v2", None), ("exact_match", None), ("perplexity", None)])
def test_load_builtins(name, config):
    m = metrics.load(name, config)
    assert isinstance(m, Metric) and m.name == name
    assert m.config_name == config


def test_list_has_names_configs_descriptions():
    infos = {i.name: i for i in metrics.list()}
    assert set(BUILTIN_METRICS) <= set(infos)
    assert "mrpc" in infos["glue"].configs and "wsc.fixed" in infos["super_glue"].configs
    assert infos["accuracy"].description
    assert metrics.list(with_details=False) == sorted(metrics.list(with_details=False))


def test_unknown_name_suggests_closest():
    with pytest.raises(UnknownNameError) as e:
        metrics.load("acurracy")
    assert "'accuracy'" in str(e.value) and isinstance(e.value, ArrowDataError)


def test_unknown_config_lists_valid_ones():
    with pytest.raises(UnknownNameError) as e:
        metrics.load("glue", "mrcp")
    assert "mrpc" in str(e.value) and "qqp" in str(e.value)
    with pytest.raises(MetricInputError, match="needs a config_name"):
        metrics.load("glue")
    with pytest.raises(UnknownNameError):
        metrics.load("accuracy", "whatever")


def test_unknown_option_names_valid_ones():
    with pytest.raises(MetricInputError, match="averag.*valid options: average, labels"):
        metrics.load("f1", averag="macro")
    with pytest.raises(MetricInputError, match="unknown option"):
        metrics.load("accuracy").compute(predictions=[1], references=[1], foo=1)


def test_register_user_metric_and_refuse_silent_clash():
    @metrics.register("test_count_core", configs=["a", "b"], description="Counts examples.")
    class Count(Metric):
        def _init_states(self):
            self.add_state("n", 0, reduce="sum")

        def _update(self, predictions, references):
            self.n += len(predictions)

        def _compute(self, **_):
            return {"n": self.n, "config": self.config_name}

    m = metrics.load("test_count_core", "b")
    assert m.compute(predictions=[1, 2, 3], references=[1, 2, 3]) == {"n": 3, "config": "b"}
    assert metrics.load("test_count_core").config_name == "a"
    with pytest.raises(ValueError, match="already registered"):
        @metrics.register("test_count_core")
        class Other(Metric):
            pass
    with pytest.raises(TypeError):
        metrics.register("not_a_metric")(object)
    metrics.register("test_count_core_alias")(Count)  # a second name for the same class
    assert metrics.load("test_count_core_alias").name == "test_count_core_alias"
    assert metrics.load("test_count_core").name == "test_count_core"


def test_entry_point_metric(monkeypatch):
    import importlib.metadata as md
    from metrics import registry

    class EP:
        name, value = "test_ep_metric", "fake:Cls"

        def load(self):
            class FromPlugin(Metric):
                references_required = False

                def _update(self, predictions, references):
                    pass

                def _compute(self, **_):
                    return {"plugin": 1.0}
            return FromPlugin

    monkeypatch.setattr(md, "entry_points", lambda group=None: [EP()] if group == registry.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(registry, "_ENTRY_POINTS_LOADED", False)
    assert metrics.load("test_ep_metric").compute(predictions=[0]) == {"plugin": 1.0}
    assert "test_ep_metric" in metrics.list(with_details=False)


def test_local_file_needs_trust_code(tmp_path):
    path = tmp_path / "my_local_metric.py"
    path.write_text(textwrap.dedent("""
        from metrics.base import Metric

        class Longest(Metric):
            def _init_states(self):
                self.add_state("longest", 0, reduce="max")
            def _update(self, predictions, references):
                self.longest = max(self.longest, max(len(p) for p in predictions))
            def _compute(self, **_):
                return {"longest": self.longest}
    """))
    marker = tmp_path / "ran.txt"
    path.write_text(f"open({str(marker)!r}, 'w').close()\n" + path.read_text())
    with pytest.raises(MetricLoadError, match="trust_code=True"):
        metrics.load(str(path))
    assert not marker.exists(), "the file's code ran without trust_code"
    m = metrics.load(str(path), trust_code=True)
    assert marker.exists()
    assert m.name == "my_local_metric"
    assert m.compute(predictions=["ab", "abcd"], references=["", ""]) == {"longest": 4}
    with pytest.raises(ArrowDataError):
        metrics.load(str(tmp_path / "missing.py"), trust_code=True)
    folder = tmp_path / "folder_metric"  # evaluate's layout: <name>/<name>.py
    folder.mkdir()
    (folder / "folder_metric.py").write_text(path.read_text().replace("Longest", "Longest2"))
    assert metrics.load(str(folder), trust_code=True).name == "folder_metric"


def test_load_never_touches_network(monkeypatch):
    import socket

    def no_net(*a, **k):
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "create_connection", no_net)
    monkeypatch.setattr(socket.socket, "connect", no_net)
    for name in ("accuracy", "squad", "perplexity"):
        metrics.load(name)
    metrics.load("glue", "stsb").compute(predictions=[1.0, 2.0, 3.5], references=[1.0, 2.5, 3.0])


# --- Metric API -----------------------------------------------------------------------------------

def test_add_add_batch_compute_then_reset():
    m = metrics.load("accuracy")
    m.add(prediction=1, reference=1)
    m.add_batch(predictions=[0, 1], references=[1, 1])
    assert m.compute() == {"accuracy": 2 / 3}
    with pytest.raises(MetricInputError, match="no examples"):
        m.compute()  # state was cleared
    assert m.compute(predictions=np.array([1, 0]), references=pa.array([1, 1])) == {"accuracy": 0.5}


def test_framework_inputs():
    torch = pytest.importorskip("torch")
    import pandas as pd

    expected = metrics.load("f1").compute(predictions=[1, 0, 1], references=[1, 1, 1])
    assert metrics.load("f1").compute(predictions=torch.tensor([1, 0, 1]), references=pd.Series([1, 1, 1])) == expected
    assert metrics.load("f1").compute(predictions=pa.chunked_array([[1], [0, 1]]), references=(1, 1, 1)) == expected


def test_results_are_plain_python():
    r = metrics.load("f1", average=None).compute(predictions=np.array([0, 1, 2]), references=np.array([0, 1, 1]))
    assert type(r["f1"]) is list and all(type(x) is float for x in r["f1"])
    r = metrics.load("pearsonr").compute(predictions=np.float32([1, 2, 3]), references=[1, 3, 2])
    assert type(r["pearsonr"]) is float


def test_validation_errors():
    acc = metrics.load("accuracy")
    with pytest.raises(MetricInputError, match="3 predictions vs 2 references"):
        acc.add_batch(predictions=[1, 0, 1], references=[1, 0])
    with pytest.raises(MetricInputError, match="one string"):
        acc.add_batch(predictions="10", references=[1, 0])
    with pytest.raises(MetricInputError, match="references"):
        metrics.load("exact_match").add_batch(predictions=["a"], references="a")
    with pytest.raises(MetricInputError, match="must be integers"):
        acc.add_batch(predictions=[0.5], references=[1])
    with pytest.raises(MetricInputError, match="flat list of labels"):
        acc.add_batch(predictions=[[1, 2]], references=[1])
    with pytest.raises(MetricInputError, match="flat list of labels"):
        acc.add_batch(predictions=[[1, 2], 3], references=[1, 1])
    with pytest.raises(MetricInputError, match="ints, bools or strings"):
        acc.add_batch(predictions=[None, 1], references=[1, 1])
    with pytest.raises(MetricInputError, match="mix label types"):
        acc.add_batch(predictions=["a"], references=[1])
    with pytest.raises(MetricInputError, match=r"NaN or inf at index 1"):
        metrics.load("pearsonr").add_batch(predictions=[1.0, math.nan], references=[1.0, 2.0])
    with pytest.raises(MetricInputError, match=r"NaN or inf"):
        metrics.load("glue", "stsb").add_batch(predictions=[1.0, 2.0], references=[math.inf, 2.0])
    with pytest.raises(MetricInputError, match="predictions\\[1\\]: expected a string"):
        metrics.load("exact_match").add_batch(predictions=["a", 3], references=["a", "b"])
    with pytest.raises(MetricInputError, match="unknown input"):
        acc.add_batch(predictions=[1], references=[1], weights=[1])
    with pytest.raises(MetricInputError, match="references are missing"):
        acc.add_batch(predictions=[1])
    with pytest.raises(MetricInputError, match="reference is missing"):
        acc.add(prediction=1)
    # a failed batch leaves nothing behind
    acc.add_batch(predictions=[1], references=[1])
    assert acc.compute() == {"accuracy": 1.0}


def test_state_options_recompute_or_refuse():
    em = metrics.load("exact_match")
    assert em.compute(predictions=["A"], references=["a"], ignore_case=True) == {"exact_match": 1.0}
    em.add_batch(predictions=["A"], references=["a"])
    with pytest.raises(MetricInputError, match="ignore_case"):
        em.compute(ignore_case=True)
    assert em.compute() == {"exact_match": 0.0}


# --- state ----------------------------------------------------------------------------------------

def _split(seq, cuts):
    cuts = sorted({c % (len(seq) + 1) for c in cuts})
    bounds = [0, *cuts, len(seq)]
    return [seq[a:b] for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40),
       st.lists(st.integers(0, 50), max_size=4), st.sampled_from(["accuracy", "f1", "matthews_correlation"]))
def test_merge_and_batches_equal_one_pass(pairs, cuts, name):
    opts = {} if name != "f1" else {"average": "macro"}
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    whole = metrics.load(name, **opts).compute(predictions=preds, references=refs)
    parts = []
    for chunk in _split(pairs, cuts):
        m = metrics.load(name, **opts)
        if chunk:
            m.add_batch(predictions=[p for p, _ in chunk], references=[r for _, r in chunk])
        parts.append(m)
    head = parts[0]
    for other in parts[1:]:
        head.merge(metrics.load(name, **opts).from_bytes(other.to_bytes()))
    assert head.compute() == whole


def test_state_dict_round_trip_and_mismatch():
    m = metrics.load("spearmanr")
    m.add_batch(predictions=[1.0, 2.0, 2.0], references=[3.0, 1.0, 0.5])
    sd = m.state_dict()
    other = metrics.load("spearmanr")
    other.load_state_dict(sd)
    assert other.compute() == m.compute()
    with pytest.raises(MetricStateError, match="missing"):
        metrics.load("spearmanr").load_state_dict({"preds": sd["preds"]})
    with pytest.raises(MetricStateError, match="cannot merge"):
        metrics.load("accuracy").merge(metrics.load("f1"))
    with pytest.raises(MetricStateError, match="option 'ignore_case' differs"):
        metrics.load("exact_match").merge(metrics.load("exact_match", ignore_case=True))


def test_from_bytes_refuses_garbage_and_other_metrics():
    with pytest.raises(MetricStateError, match="bad magic"):
        metrics.load("accuracy").from_bytes(b"\x80\x04pickle")
    blob = metrics.load("accuracy").to_bytes()
    with pytest.raises(MetricStateError, match="cannot decode"):
        metrics.load("accuracy").from_bytes(blob[:-10])
    with pytest.raises(MetricStateError, match="expected f1"):
        metrics.load("f1").from_bytes(blob)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(-1e6, 1e6), max_size=5), max_size=5), st.integers(-5, 5), st.floats(-3, 3))
def test_encode_decode_states_round_trip(chunks, n, x):
    cat = CatState()
    for c in chunks:
        cat.append(c)
    counts = CountState(["a", "b"])
    counts.add({"a": ["x", "y", "x"], "b": [1, 2, 1]})
    arr = np.arange(6, dtype=np.float64).reshape(2, 3) * x
    states = {"cat": cat, "n": n, "x": x, "arr": arr, "counts": counts}
    reduces = {"cat": "cat", "n": "sum", "x": "max", "arr": "sum", "counts": "counts"}
    out, extra = decode_states(encode_states(states, reduces, {"k": 1}), {"cat": None, "counts": ["a", "b"]})
    assert extra == {"k": 1}
    assert out["cat"].to_pylist() == [v for c in chunks for v in c]
    assert out["n"] == n and type(out["n"]) is int and out["x"] == x
    np.testing.assert_array_equal(out["arr"], arr)
    assert sorted(out["counts"].to_table().to_pylist(), key=str) == sorted(
        [{"a": "x", "b": 1, "count": 2}, {"a": "y", "b": 2, "count": 1}], key=str)


def test_cat_state_keeps_2d_rows():
    s = CatState()
    s.append(np.ones((2, 3)))
    s.append(np.zeros((1, 3)))
    assert s.to_numpy().shape == (3, 3)


# --- combine --------------------------------------------------------------------------------------

def test_combine_matches_members_and_prefixes_clashes():
    preds, refs = [0, 1, 1, 0, 1], [0, 1, 0, 0, 0]
    combo = metrics.combine(["accuracy", "f1", "precision", "recall"])
    combo.add_batch(predictions=preds[:2], references=refs[:2])
    combo.add(prediction=preds[2], reference=refs[2])
    out = combo.compute(predictions=preds[3:], references=refs[3:])
    expected = {}
    for name in ("accuracy", "f1", "precision", "recall"):
        expected.update(metrics.load(name).compute(predictions=preds, references=refs))
    assert out == expected
    clash = metrics.combine([metrics.load("glue", "mrpc"), "f1"]).compute(predictions=preds, references=refs)
    assert set(clash) == {"accuracy", "glue_f1", "f1_f1"} and clash["glue_f1"] == clash["f1_f1"]
    assert metrics.combine(["accuracy"], force_prefix=True).compute(
        predictions=[1], references=[1]) == {"accuracy_accuracy": 1.0}
    with pytest.raises(MetricInputError, match="no metric takes"):
        metrics.combine(["accuracy"]).compute(predictions=[1], references=[1], average="macro")
    with pytest.raises(MetricInputError):
        metrics.combine([])
