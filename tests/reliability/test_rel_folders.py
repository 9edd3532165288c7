"""Classes 3, 5, 6 and 9 on saved folders: atomic save over a folder, special files and hostile
metadata, fingerprints bound to the files, clear errors naming file and field."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from arrowdata import Dataset, DatasetDict, load_from_disk
from arrowdata.errors import ArrowDataError, MetadataError, MissingFileError


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "ds"
    Dataset.from_dict({"a": [1, 2, 3], "t": ["x", "y", "z"]}).save_to_disk(str(path))
    return path


# ----------------------------------------------------------------------------- class 3: atomic save

def _save_killed_at_rename(target: str, nth: int, mode: str) -> str:
    """In a forked child: save over ``target``, SIGKILLed just before the ``nth`` rename."""
    import arrowdata.folder_swap as fs

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
    from stress import arm_rename_crash

    if mode == "journal":  # no RENAME_EXCHANGE: force the journal path
        fs._exchange = lambda a, b: False
    arm_rename_crash(nth, group=False)  # only this child: not pytest's process group
    Dataset.from_dict({"a": [10, 20, 30, 40], "t": list("abcd")}).save_to_disk(target, num_shards=2)
    return "finished"


@pytest.mark.parametrize("mode", ["exchange", "journal"])
def test_save_over_a_folder_killed_before_each_rename(tmp_path, mode, child):
    in_child = child
    old_rows = [{"a": 1, "t": "x"}, {"a": 2, "t": "y"}, {"a": 3, "t": "z"}]
    new_rows = [{"a": v, "t": t} for v, t in zip([10, 20, 30, 40], "abcd")]
    nth, seen = 1, set()
    while True:
        target = tmp_path / f"d{nth}"
        Dataset.from_list(old_rows).save_to_disk(str(target))
        status, _ = in_child(_save_killed_at_rename, str(target), nth, mode)
        rows = load_from_disk(str(target)).to_list()  # the next access recovers
        assert rows in (old_rows, new_rows), (nth, rows)
        seen.add("new" if rows == new_rows else "old")
        Dataset.from_list(new_rows).save_to_disk(str(target))  # a save over it works, and sweeps the debris
        assert load_from_disk(str(target)).to_list() == new_rows
        assert sorted(p for p in os.listdir(tmp_path) if p.startswith(f"d{nth}")) == [f"d{nth}"]
        if status == 0:
            break
        assert status == -9, status
        nth += 1
    assert nth >= 3 and seen == {"old", "new"}


def test_concurrent_readers_never_see_a_missing_folder(folder):
    stop, errors = threading.Event(), []

    def read():
        while not stop.is_set():
            try:
                assert len(load_from_disk(str(folder))) in (3, 4)
            except Exception as e:  # noqa: BLE001
                errors.append(e)

    t = threading.Thread(target=read)
    t.start()
    for i in range(20):
        Dataset.from_dict({"a": list(range(3 + i % 2)), "t": ["q"] * (3 + i % 2)}).save_to_disk(str(folder))
    stop.set()
    t.join()
    assert not errors, errors[:2]  # RENAME_EXCHANGE: the folder is never missing, never half-swapped


# ----------------------------------------------------------------------------- class 5: special files, metadata


@pytest.mark.parametrize("name", ["state.json", "dataset_info.json"])
@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink_to_dev_zero"])
def test_special_metadata_files_are_refused_not_hung(folder, name, kind, child):
    path = folder / name
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        os.symlink("/dev/zero", path)
    def load():
        try:
            load_from_disk(str(folder))
        except ArrowDataError as e:
            return f"{type(e).__name__}: {e}"
        return "loaded"

    status, text = child(load, timeout=30)
    assert status == 0, (status, text)
    assert name in text and "regular file" in text


HOSTILE_INFO = {
    "classlabel_huge": {"features": {"a": {"_type": "ClassLabel", "num_classes": 10**12}}},
    "classlabel_names_type": {"features": {"a": {"_type": "ClassLabel", "names": "abc"}}},
    "array_huge": {"features": {"a": {"_type": "Array2D", "shape": [10**9, 10**9], "dtype": "int8"}}},
    "list_length_huge": {"features": {"a": {"_type": "List", "feature": {"_type": "Value", "dtype": "int8"},
                                            "length": 10**18}}},
    "features_list": {"features": [{"a": 1}]},
    "features_number": {"features": 7},
    "value_dtype_number": {"features": {"a": {"_type": "Value", "dtype": 5}}},
    "type_list": {"features": {"a": {"_type": ["Value"]}}},
    "null": None,
    "array": [1, 2],
    "description_object": {"description": {"x": 1}},
    "names_file": {"features": {"a": {"_type": "ClassLabel", "names_file": "/etc/passwd"}}},
}


@pytest.mark.parametrize("case", sorted(HOSTILE_INFO))
def test_hostile_dataset_info_names_file_and_field(folder, case):
    (folder / "dataset_info.json").write_text(json.dumps(HOSTILE_INFO[case]))
    with pytest.raises(MetadataError) as e:
        load_from_disk(str(folder))
    assert "dataset_info.json" in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, ArrowDataError)


def _deep(n):
    return "[" * n + "]" * n


HOSTILE_STATE = {
    "format_columns_number": lambda s: {**s, "_format_columns": 5},
    "format_kwargs_list": lambda s: {**s, "_format_kwargs": [1]},
    "format_type_number": lambda s: {**s, "_format_type": 3},
    "split_object": lambda s: {**s, "_split": {"a": 1}},
    "data_files_null": lambda s: {**s, "_data_files": None},
    "data_files_strings": lambda s: {**s, "_data_files": ["data-00000-of-00001.arrow"]},
    "filename_number": lambda s: {**s, "_data_files": [{"filename": 3}]},
    "fingerprint_list": lambda s: {**s, "_fingerprint": [1]},
    "whole_null": lambda s: None,
    "whole_array": lambda s: [s],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_STATE) + ["deep", "not_utf8", "huge_int"])
def test_hostile_state_json_names_file_and_field(folder, case):
    state_path = folder / "state.json"
    state = json.loads(state_path.read_text())
    if case == "deep":
        state_path.write_text(_deep(100000))
    elif case == "not_utf8":
        state_path.write_bytes(b"\xff\xfe{}")
    elif case == "huge_int":
        state_path.write_text('{"_data_files": ' + "9" * 100000 + "}")
    else:
        state_path.write_text(json.dumps(HOSTILE_STATE[case](state)))
    with pytest.raises(MetadataError) as e:
        load_from_disk(str(folder))
    assert "state.json" in str(e.value)


def test_dataset_dict_hostile_and_missing_splits(tmp_path):
    path = tmp_path / "dd"
    DatasetDict({"train": Dataset.from_dict({"a": [1]}), "test": Dataset.from_dict({"a": [2]})}).save_to_disk(str(path))
    for bad in ({"splits": "train"}, {"splits": [1]}, {"splits": ["a/b"]}, [], {"splits": ["train", "train"]}):
        (path / "dataset_dict.json").write_text(json.dumps(bad))
        with pytest.raises(MetadataError, match="dataset_dict.json"):
            load_from_disk(str(path))
    (path / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "validation"]}))
    with pytest.raises(MissingFileError, match="validation") as e:
        load_from_disk(str(path))
    assert isinstance(e.value, FileNotFoundError) and "dataset_dict.json" in str(e.value)


def test_head_on_bad_metadata_names_the_file(folder):
    (folder / "dataset_info.json").write_text(json.dumps({"features": {"a": 5}}))
    proc = subprocess.run([sys.executable, "-m", "arrowdata.cli", "head", str(folder)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    assert "dataset_info.json" in proc.stderr and "not iterable" not in proc.stderr and "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------- class 6: fingerprints


def test_saved_folder_keeps_its_fingerprint_and_a_move_keeps_it(folder, tmp_path):
    ds = load_from_disk(str(folder))
    original = Dataset.from_dict({"a": [1, 2, 3], "t": ["x", "y", "z"]})
    assert ds.fingerprint == original.fingerprint  # sealed by this user: the claim is trusted
    moved = tmp_path / "moved"
    os.rename(folder, moved)
    assert load_from_disk(str(moved)).fingerprint == ds.fingerprint


def test_rewritten_shard_misses_the_cache(folder):
    ds = load_from_disk(str(folder))
    first = ds.map(lambda r: {"b": r["a"] * 2})
    assert first["b"] == [2, 4, 6]
    from arrowdata.writer import ArrowWriter
    import pyarrow as pa
    shard = folder / "data-00000-of-00001.arrow"
    schema = pa.ipc.open_stream(pa.memory_map(str(shard))).schema
    size, st = shard.stat().st_size, shard.stat()
    with ArrowWriter(shard, schema=schema) as w:  # same size, same mtime, other values
        w.write(pa.table({"a": [7, 8, 9], "t": ["x", "y", "z"]}, schema=schema))
    assert shard.stat().st_size == size
    os.utime(shard, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = load_from_disk(str(folder))
    assert again.fingerprint != ds.fingerprint
    assert again.map(lambda r: {"b": r["a"] * 2})["b"] == [14, 16, 18]


def test_forged_fingerprint_does_not_poison_another_folder(tmp_path):
    victim, forger = tmp_path / "victim", tmp_path / "forger"
    Dataset.from_dict({"a": [1, 2, 3]}).save_to_disk(str(victim))
    Dataset.from_dict({"a": [100, 200, 300]}).save_to_disk(str(forger))
    v_state = json.loads((victim / "state.json").read_text())
    f_state = json.loads((forger / "state.json").read_text())
    for forged in ({**f_state, "_fingerprint": v_state["_fingerprint"]},  # claim copied, own digests and seal
                   {**v_state}):  # the victim's whole state.json copied over
        (forger / "state.json").write_text(json.dumps(forged))
        fake = load_from_disk(str(forger))
        assert fake.fingerprint != load_from_disk(str(victim)).fingerprint
        assert fake.map(lambda r: {"b": r["a"] + 1})["b"] == [101, 201, 301]
    assert load_from_disk(str(victim)).map(lambda r: {"b": r["a"] + 1})["b"] == [2, 3, 4]


def test_folder_from_another_user_is_bound_not_trusted(folder, tmp_path, monkeypatch):
    import arrowdata.file_identity as fi

    claimed = json.loads((folder / "state.json").read_text())["_fingerprint"]
    monkeypatch.setattr(fi, "_key", None)
    monkeypatch.setenv("ARROWDATA_SEAL_KEY", str(tmp_path / "other-user.key"))
    other = load_from_disk(str(folder)).fingerprint
    assert other != claimed and other == load_from_disk(str(folder)).fingerprint  # stable, just not the claim


def _read_every_row(folder: str, fmt: str | None) -> str:
    ds = load_from_disk(folder).with_format(fmt)
    try:
        list(ds)
        ds[:]
        ds.to_list()
        ds.to_dict()
    except UnicodeDecodeError as e:  # the raw error this test forbids
        return f"RAW {type(e).__name__}: {e}"
    except ArrowDataError as e:
        return f"{type(e).__name__}: {e}"
    return "read"


@pytest.mark.parametrize("fmt", [None, "pandas", "numpy", "torch"])
def test_invalid_utf8_written_into_a_saved_shard_names_the_file(tmp_path, child, fmt):
    texts = [f"row {i} caf\u00e9" for i in range(50)]
    Dataset.from_dict({"text": texts}).save_to_disk(str(tmp_path / "ds"))
    shard = next((tmp_path / "ds").glob("*.arrow"))
    data = bytearray(shard.read_bytes())
    at = data.index("row 7 caf\u00e9".encode()) + len("row 7 caf")
    data[at] = 0xFF  # the lead byte of 'é' becomes invalid UTF-8; the size does not change
    shard.write_bytes(bytes(data))

    status, text = child(_read_every_row, str(tmp_path / "ds"), fmt)
    assert status == 0, text  # no crash of the interpreter
    assert not text.startswith("RAW"), text
    if text != "read":  # a format that decodes strings must say which file is damaged
        assert text.startswith("CorruptFileError") and shard.name in text and "verify=True" in text, text
    # and verify=True refuses the folder up front
    with pytest.raises(ArrowDataError):
        load_from_disk(str(tmp_path / "ds"), verify=True)
