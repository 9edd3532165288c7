"""Corrupt, truncated, empty or foreign `.arrow` files raise CorruptFileError naming the file; never crash.

Each scenario runs in a child process so that a crash of the interpreter (a segfault in
native code) would show up as a failed test instead of taking the test run down.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from arrowdata import Dataset, load_from_disk
from arrowdata.errors import CorruptFileError

SHARD = "data-00000-of-00001.arrow"


@pytest.fixture()
def saved(tmp_path):
    ds = Dataset.from_dict({"a": list(range(3000)), "s": [f"text {i}" * (i % 5) for i in range(3000)],
                            "l": [[i] * (i % 4) for i in range(3000)]})
    ds.save_to_disk(tmp_path / "d")
    return tmp_path / "d", (tmp_path / "d" / SHARD).read_bytes()


def _check_in_child(folder, cases: list[bytes], verify: str = "None") -> list[str]:
    """Write each case over the shard, open and fully read it in a child; return one outcome per case."""
    script = textwrap.dedent(f"""
        import json, sys
        from arrowdata import load_from_disk
        from arrowdata.errors import CorruptFileError
        folder, shard, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
        out = []
        for i in range(n):
            with open(f"{{folder}}.case{{i}}", "rb") as f:
                data = f.read()
            with open(shard, "wb") as f:
                f.write(data)
            try:
                ds = load_from_disk(folder, verify={verify})
                ds.to_list()
                out.append("ok")
            except CorruptFileError as e:
                out.append("corrupt" if shard in str(e) else "unnamed: " + str(e))
            except Exception as e:
                out.append(f"other: {{type(e).__name__}}: {{e}}")
        print(json.dumps(out))
    """)
    for i, data in enumerate(cases):
        with open(f"{folder}.case{i}", "wb") as f:
            f.write(data)
    proc = subprocess.run([sys.executable, "-c", script, str(folder), str(folder / SHARD), str(len(cases))],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"child crashed (rc={proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_truncation_at_many_offsets(saved):
    folder, data = saved
    offsets = sorted({0, 1, 4, 8, 100, 400, len(data) // 3, len(data) // 2, len(data) - 9, len(data) - 8,
                      len(data) - 4, len(data) - 1} | set(np.random.default_rng(0).integers(1, len(data), 12).tolist()))
    outcomes = _check_in_child(folder, [data[:k] for k in offsets])
    assert outcomes == ["corrupt"] * len(offsets), dict(zip(offsets, outcomes))


def test_garbage_and_empty_files(saved):
    folder, data = saved
    rng = np.random.default_rng(1)
    cases = [b"", rng.bytes(len(data)), b"ARROW1" + rng.bytes(500), b"PAR1" + rng.bytes(100) + b"PAR1",
             b"\xff\xff\xff\xff" + rng.bytes(1000), json.dumps({"a": 1}).encode()]
    assert _check_in_child(folder, cases) == ["corrupt"] * len(cases)


def test_random_byte_damage_never_crashes(saved):
    folder, data = saved
    rng = np.random.default_rng(2)
    cases = []
    for _ in range(40):
        b = bytearray(data)
        start = int(rng.integers(0, len(b) - 64))
        b[start:start + 64] = rng.bytes(64)
        cases.append(bytes(b))
    outcomes = _check_in_child(folder, cases)
    # By default offsets are checked (what would crash a read); damaged text may still surface
    # as a UnicodeDecodeError when read, and damage inside integers is undetectable without checksums.
    assert all(o in ("ok", "corrupt") or o.startswith("other: UnicodeDecodeError") for o in outcomes), outcomes
    assert outcomes.count("corrupt") >= 5
    # verify=True runs the full validation: text damage becomes CorruptFileError on open too.
    full = _check_in_child(folder, cases, verify="True")
    assert set(full) <= {"ok", "corrupt"}, full
    assert full.count("corrupt") >= outcomes.count("corrupt")


def test_corrupt_error_is_raised_in_process(saved):
    folder, data = saved
    (folder / SHARD).write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match=SHARD):
        load_from_disk(folder)
    (folder / SHARD).write_bytes(b"")
    with pytest.raises(CorruptFileError, match="empty"):
        load_from_disk(folder)
    # A truncation exactly at a batch boundary leaves a readable stream without its end marker.
    (folder / SHARD).write_bytes(data[:-8])
    with pytest.raises(CorruptFileError, match="end-of-stream"):
        load_from_disk(folder)
    with pytest.raises(CorruptFileError):
        Dataset.from_file(folder / SHARD)


def test_no_pickle_on_load_path(saved, monkeypatch):
    import pickle

    folder, _ = saved

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling on a load path")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert load_from_disk(folder).num_rows == 3000
    assert all(not name.endswith((".pkl", ".pickle")) for name in os.listdir(folder))
