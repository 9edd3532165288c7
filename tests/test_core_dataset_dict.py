"""DatasetDict: every Dataset method and property, split by split."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from arrowdata import Dataset, DatasetDict
from arrowdata.errors import ArrowDataError


@pytest.fixture()
def dd():
    return DatasetDict({"train": Dataset.from_dict({"a": [1, 2, 3], "b": ["x", "y", "z"]}, split="train"),
                        "test": Dataset.from_dict({"a": [4], "b": ["w"]}, split="test")})


def test_properties_are_per_split(dd):
    assert dd.num_rows == {"train": 3, "test": 1}
    assert dd.column_names == {"train": ["a", "b"], "test": ["a", "b"]}
    assert dd.shape == {"train": (3, 2), "test": (1, 2)}
    assert dd.cache_files == {"train": [], "test": []}
    assert set(dd.fingerprint) == {"train", "test"}


def test_methods_are_per_split(dd):
    np_dd = dd.with_format("numpy")
    assert isinstance(np_dd, DatasetDict) and isinstance(np_dd["train"]["a"], np.ndarray)
    assert dd["train"]["a"] == [1, 2, 3]  # the original is unchanged
    dd.set_format("numpy", columns=["a"])
    assert list(dd["test"][0]) == ["a"]
    dd.reset_format()
    assert dd["test"][0] == {"a": 4, "b": "w"}
    assert dd.to_dict() == {"train": {"a": [1, 2, 3], "b": ["x", "y", "z"]}, "test": {"a": [4], "b": ["w"]}}
    assert {k: [b["a"] for b in it] for k, it in dd.iter(batch_size=2).items()} == {"train": [[1, 2], [3]],
                                                                                    "test": [[4]]}
    with dd.formatted_as("arrow"):
        assert dd["train"][:1].num_rows == 1
    assert isinstance(dd["train"][0], dict)


def test_per_split_kwargs(dd):
    if not hasattr(Dataset, "shuffle"):
        pytest.skip("shuffle not available yet")
    out = dd.shuffle(seeds={"train": 1, "test": 2})
    assert isinstance(out, DatasetDict) and sorted(out["train"]["a"]) == [1, 2, 3]
    with pytest.raises(ArrowDataError, match="'test'"):
        dd.shuffle(seeds={"train": 1})


def test_unknown_attribute_and_dir(dd):
    with pytest.raises(AttributeError, match="nonsense"):
        dd.nonsense
    assert "with_format" in dir(dd) and "save_to_disk" in dir(dd)


def test_pickle_and_repr(dd):
    back = pickle.loads(pickle.dumps(dd))
    assert isinstance(back, DatasetDict) and back["train"]["b"] == ["x", "y", "z"]
    assert "train" in repr(dd) and "num_rows: 3" in repr(dd)


def test_save_checks(dd, tmp_path):
    with pytest.raises(ArrowDataError, match="split name"):
        DatasetDict({"a/b": dd["train"]}).save_to_disk(tmp_path / "x")
    with pytest.raises(ArrowDataError, match="num_shards"):
        dd.save_to_disk(tmp_path / "x", num_shards={"train": 1})
    dd.save_to_disk(tmp_path / "ok", num_shards={"train": 2, "test": 1})
    assert sorted(p.name for p in (tmp_path / "ok" / "train").glob("*.arrow")) == [
        "data-00000-of-00002.arrow", "data-00001-of-00002.arrow"]
