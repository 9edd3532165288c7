"""Output formats: every registered format, zero-copy numeric columns, ragged lists, transforms."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import arrowdata
from arrowdata import Array2D, Dataset, Features, Value
from arrowdata.errors import UnknownNameError

N = 6
TOK = [[1, 2], [3], [4, 5, 6], [], [7], [8, 9]]


@pytest.fixture()
def ds(tmp_path):
    d = Dataset.from_dict({"x": np.arange(N, dtype=np.float32), "tok": TOK, "s": list("abcdef"),
                           "m": np.arange(N * 4, dtype=np.int32).reshape(N, 2, 2)},
                          features=Features({"x": Value("float32"), "tok": arrowdata.List(Value("int64")),
                                             "s": Value("string"), "m": Array2D(shape=(2, 2), dtype="int32")}))
    d.save_to_disk(tmp_path / "d")
    return arrowdata.load_from_disk(tmp_path / "d")  # memory-mapped, as users have it


M = np.arange(N * 4, dtype=np.int32).reshape(N, 2, 2)


def test_python_is_default(ds):
    assert ds[0] == {"x": 0.0, "tok": [1, 2], "s": "a", "m": [[0, 1], [2, 3]]}
    assert ds.format["type"] is None


def test_numpy_zero_copy_and_shapes(ds):
    d = ds.with_format("numpy")
    x = d["x"]
    assert x.dtype == np.float32 and not x.flags.writeable
    buf = ds.data.column("x").chunk(0).buffers()[1]
    assert x.ctypes.data == buf.address  # a view of the memory map, no copy
    b = d[1:4]
    np.testing.assert_array_equal(b["m"], M[1:4])
    leaf = ds.data.column("m").chunk(0).values.values.buffers()[1]
    assert b["m"].dtype == np.int32 and leaf.address <= b["m"].ctypes.data < leaf.address + leaf.size  # a view
    assert [t.tolist() for t in b["tok"]] == TOK[1:4] and b["tok"].dtype == object
    assert list(b["s"]) == ["b", "c", "d"]
    row = d[2]
    assert row["x"] == np.float32(2.0) and row["tok"].tolist() == [4, 5, 6] and row["m"].shape == (2, 2)
    assert d.with_format("numpy", dtype=np.float64)["x"].dtype == np.float64


def test_numpy_uniform_lists_become_nd(ds):
    d = Dataset.from_dict({"v": [[1, 2], [3, 4]]}).with_format("numpy")
    assert d["v"].shape == (2, 2)


def test_torch(ds):
    torch = pytest.importorskip("torch")
    d = ds.with_format("torch")
    b = d[0:3]
    assert isinstance(b["x"], torch.Tensor) and b["x"].dtype == torch.float32
    assert torch.equal(b["m"], torch.from_numpy(M[0:3]))
    assert [t.tolist() for t in b["tok"]] == TOK[0:3]
    assert b["s"] == ["a", "b", "c"]
    t = d["x"]
    t += 1  # a copy by default: writing is safe and does not touch the dataset
    assert ds["x"][0] == 0.0
    assert d[4]["tok"].tolist() == [7]
    assert d.with_format("torch", dtype=torch.float64)["x"].dtype == torch.float64


def test_tensorflow_ragged(ds):
    tf = pytest.importorskip("tensorflow")
    d = ds.with_format("tensorflow")
    b = d[:]
    assert isinstance(b["tok"], tf.RaggedTensor) and b["tok"].to_list() == TOK
    assert b["m"].shape == (N, 2, 2) and b["m"].dtype == tf.int64  # HF's type for any int width
    assert b["s"].dtype == tf.string and b["s"].numpy().tolist() == [c.encode() for c in "abcdef"]
    nested = Dataset.from_dict({"q": [[[1], [2, 3]], [[4]]]}).with_format("tf")["q"]
    assert isinstance(nested, tf.RaggedTensor) and nested.to_list() == [[[1], [2, 3]], [[4]]]
    assert d[2]["tok"].numpy().tolist() == [4, 5, 6]


def test_jax(ds):
    pytest.importorskip("jax")
    d = ds.with_format("jax")
    b = d[:2]
    assert b["m"].shape == (2, 2, 2) and np.asarray(b["m"]).tolist() == M[:2].tolist()
    assert [np.asarray(t).tolist() for t in b["tok"]] == TOK[:2]
    assert b["s"] == ["a", "b"]


def test_pandas_polars_arrow(ds):
    pdf = ds.with_format("pandas")
    assert pdf[1:3]["s"].tolist() == ["b", "c"] and pdf["x"].tolist() == list(range(N))
    assert pdf[0].shape == (1, 4)
    pl = pytest.importorskip("polars")
    ple = ds.with_format("polars")
    assert isinstance(ple[:2], pl.DataFrame) and ple["s"].to_list() == list("abcdef")
    arr = ds.with_format("arrow")
    assert isinstance(arr[1:3], pa.Table) and arr[1:3].column("s").to_pylist() == ["b", "c"]
    assert isinstance(arr["x"], pa.ChunkedArray)


def test_columns_and_output_all_columns(ds):
    d = ds.with_format("numpy", columns=["x"])
    assert list(d[0]) == ["x"] and list(d[:2]) == ["x"]
    both = ds.with_format("numpy", columns=["x"], output_all_columns=True)
    assert set(both[:2]) == {"x", "tok", "s", "m"} and both[:2]["s"] == ["a", "b"]
    assert isinstance(both[:2]["x"], np.ndarray)
    with pytest.raises(KeyError, match="zzz"):
        ds.with_format("numpy", columns=["zzz"])


def test_set_reset_format_and_fingerprint(ds):
    fp = ds.fingerprint
    ds.set_format("numpy")
    assert isinstance(ds["x"], np.ndarray) and ds.fingerprint == fp
    with ds.formatted_as("arrow"):
        assert isinstance(ds["x"], pa.ChunkedArray)
    assert isinstance(ds["x"], np.ndarray)
    ds.reset_format()
    assert ds["x"] == list(map(float, range(N)))
    assert ds.with_format("torch").fingerprint == fp


def test_iteration_honours_format(ds):
    d = ds.with_format("numpy")
    rows = list(d)
    assert len(rows) == N and isinstance(rows[0]["x"], np.floating)
    batches = list(d.iter(batch_size=4))
    assert [len(b["x"]) for b in batches] == [4, 2] and isinstance(batches[0]["m"], np.ndarray)
    assert [len(b["x"]) for b in d.iter(batch_size=4, drop_last_batch=True)] == [4]


def test_with_transform(ds):
    def upper(batch):
        return {"S": [s.upper() for s in batch["s"]], "n": [len(t) for t in batch["tok"]]}

    d = ds.with_transform(upper)
    assert d[0] == {"S": "A", "n": 2}
    assert d[1:3] == {"S": ["B", "C"], "n": [1, 3]}
    assert [r["S"] for r in d] == list("ABCDEF")
    assert d.fingerprint == ds.fingerprint
    only = ds.with_transform(lambda b: {"k": list(b)}, columns=["s"])
    assert only[0] == {"k": "s"}
    ds.set_transform(upper)
    assert ds[5]["S"] == "F"
    assert ds.format["type"] == "custom"


def test_unknown_format_lists_known():
    with pytest.raises(UnknownNameError, match="numpy"):
        Dataset.from_dict({"a": [1]}).with_format("numpyy")


def test_register_custom_formatter():
    from arrowdata.formatting import Formatter, register_formatter

    class Sum(Formatter):
        def format_row(self, t):
            return sum(t.to_pylist()[0].values())

        def format_batch(self, t):
            return [sum(r.values()) for r in t.to_pylist()]

        def format_column(self, t):
            return sum(t.column(0).to_pylist())

    register_formatter("rowsum", Sum)
    d = Dataset.from_dict({"a": [1, 2], "b": [10, 20]}).with_format("rowsum")
    assert (d[0], d[:], d["b"]) == (11, [11, 22], 30)


@pytest.mark.parametrize("fmt", ["numpy", "torch", "tensorflow", "jax", "pandas", "arrow"])
def test_iterated_rows_equal_indexed_rows(ds, fmt):
    pytest.importorskip({"torch": "torch", "tensorflow": "tensorflow", "jax": "jax"}.get(fmt, "numpy"))
    d = ds.with_format(fmt)
    rows = list(d)
    assert len(rows) == N
    for i, row in enumerate(rows):
        expected = d[i]
        if fmt in ("pandas", "arrow"):
            assert row.equals(expected)
            continue
        assert list(row) == list(expected)
        for k in row:
            got, want = row[k], expected[k]
            if isinstance(got, list) or isinstance(got, str):
                assert got == want
            else:
                np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def _as_lists(x):
    """NumPy output back to nested Python lists, for comparison with the source values."""
    if isinstance(x, np.ndarray):
        return [_as_lists(v) for v in x] if x.dtype == object or x.ndim > 0 else x.item()
    return x.item() if isinstance(x, np.generic) else x


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_leaf = st.integers(-1000, 1000)
_nested = st.recursive(st.lists(_leaf, max_size=4), lambda inner: st.lists(inner, max_size=3), max_leaves=20)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(_nested, min_size=1, max_size=8), with_null=st.booleans())
def test_numpy_conversion_matches_python(values, with_null):
    from arrowdata.formatting.arrays import to_numpy

    try:
        array = pa.array(values + ([None] if with_null else []))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return  # mixed nesting depths are not one Arrow type
    got = to_numpy(array)
    assert len(got) == len(array)
    assert [_as_lists(v) for v in got] == array.to_pylist()


@settings(max_examples=25, deadline=None)
@given(values=st.lists(_nested, min_size=1, max_size=6))
def test_tensorflow_ragged_matches_python(values):
    tf = pytest.importorskip("tensorflow")
    try:
        table = pa.table({"v": pa.array(values)})
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return
    out = Dataset.from_arrow(table).with_format("tf")["v"]
    got = out.to_list() if isinstance(out, tf.RaggedTensor) else out.numpy().tolist()
    assert got == values
