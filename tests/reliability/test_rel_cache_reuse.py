"""Class 2: a reused cache entry is checked at least as strictly as a saved folder.

Bytes changed in place (same size) must never crash the interpreter nor raise a raw
SystemError/UnicodeDecodeError: the entry is validated, discarded with a warning and recomputed.
Each damage runs in a child process, so a segfault would fail the test instead of killing pytest.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import json, logging, os, sys
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    import arrowdata
    from arrowdata import cache
    sys.path.insert(0, sys.argv[3])
    from test_rel_cache_reuse import damage
    kind, root = sys.argv[1], sys.argv[2]
    ds = arrowdata.Dataset.from_dict({"text": ["row %d " % i * 3 for i in range(3000)],
                                      "ids": [list(range(i % 7)) for i in range(3000)], "n": list(range(3000))})
    calls = []
    def fn(batch):
        calls.append(1)
        return {"upper": [t.upper() for t in batch["text"]], "tok": [t.split() for t in batch["text"]]}
    def run():
        calls.clear()
        if kind == "map":
            out = ds.map(fn, batched=True, batch_size=500)
            expected = [{**r, "upper": r["text"].upper(), "tok": r["text"].split()} for r in ds.to_list()]
            files = [str(f) for f in out._data_files]
        else:
            out = ds.filter(lambda b: [x % 3 == 0 for x in b["n"]], batched=True)
            expected = [r for r in ds.to_list() if r["n"] % 3 == 0]
            files = [str(cache.entry_path(out.fingerprint))]
        return out.to_list() == expected, bool(calls), files
    results = {}
    for how in sys.argv[4].split(","):
        os.environ["ARROWDATA_CACHE"] = os.path.join(root, how)
        ok1, _, files = run()
        for f in files:
            damage(f, how)
        sys.stderr.write("--- " + how + "\\n")
        ok2, computed2, _ = run()
        ok3, computed3, _ = run()
        results[how] = [ok1, ok2, computed2, ok3, computed3]
    print(json.dumps(results))
''')

DAMAGES = ["flip_middle", "offsets", "utf8", "zero_tail", "header"]


def damage(path: str, how: str) -> None:
    """Change bytes of ``path`` in place, keeping its size and even its mtime."""
    data = bytearray(open(path, "rb").read())
    n = len(data)
    if how == "flip_middle":
        for i in range(n // 3, n // 3 + 64):
            data[i] ^= 0xFF
    elif how == "offsets":  # overwrite an int32 run with a huge value somewhere in the first half
        for i in range(n // 4, n // 4 + 256, 4):
            data[i:i + 4] = (0x7FFFFFF0).to_bytes(4, "little")
    elif how == "utf8":
        i = data.find(b"ROW ")
        data[i if i >= 0 else n // 2] ^= 0x80
    elif how == "zero_tail":
        data[n - 600:n - 8] = bytes(592)
    elif how == "header":
        data[8:64] = bytes(56)
    st = os.stat(path)
    with open(path, "r+b") as f:
        f.write(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("kind", ["map", "filter"])
def test_damaged_entry_is_discarded_and_recomputed(tmp_path, kind):
    """Five kinds of same-size damage, each in a fresh cache; one child process (a segfault fails the test)."""
    proc = subprocess.run([sys.executable, "-c", SCRIPT, kind, str(tmp_path), os.path.dirname(__file__),
                           ",".join(DAMAGES)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"interpreter died (rc={proc.returncode}): {proc.stderr[-3000:]}"
    assert "SystemError" not in proc.stderr and "UnicodeDecodeError" not in proc.stderr
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for how, (ok1, ok2, computed2, ok3, computed3) in results.items():
        assert ok1 and ok2 and ok3, (how, proc.stderr[-3000:])
        if kind == "map":
            assert computed2 and not computed3, how  # recomputed once, then a clean hit
    assert proc.stderr.count("discarding it and recomputing") >= len(DAMAGES)


def _run(kind: str, env: dict) -> dict:
    script = textwrap.dedent('''
        import json, sys
        import arrowdata
        ds = arrowdata.Dataset.from_dict({"text": ["row %d" % i for i in range(3000)]})
        calls = []
        def fn(b):
            calls.append(1)
            return {"u": [t.upper() for t in b["text"]]}
        out = ds.map(fn, batched=True)
        print(json.dumps({"ok": out["u"] == [t.upper() for t in ds["text"]], "computed": bool(calls)}))
    ''')
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_copied_cache_still_hits_after_full_validation(tmp_path):
    import shutil

    env = {**os.environ, "ARROWDATA_CACHE": str(tmp_path / "cache")}
    assert _run("map", env)["ok"]
    shutil.copytree(tmp_path / "cache", tmp_path / "copy")  # new inodes: identity changed, bytes intact
    env["ARROWDATA_CACHE"] = str(tmp_path / "copy")
    again = _run("map", env)
    assert again["ok"] and not again["computed"]


def test_indices_out_of_range_are_refused(tmp_path):
    import numpy as np
    import pyarrow as pa

    import arrowdata
    from arrowdata import cache
    from arrowdata.writer import ArrowWriter

    ds = arrowdata.Dataset.from_dict({"n": list(range(100))})
    out = ds.filter(lambda r: r["n"] < 10)
    path = cache.entry_path(out.fingerprint)
    size = path.stat().st_size
    with ArrowWriter(path, schema=pa.schema([("indices", pa.uint64())])) as w:  # same size, rows 10**9
        w.write(pa.table({"indices": pa.array(np.arange(10, dtype=np.uint64) + 10**9)}))
    assert path.stat().st_size == size
    assert ds.filter(lambda r: r["n"] < 10)["n"] == list(range(10))


def test_hostile_sidecar_fields_never_raise(tmp_path):
    import arrowdata
    from arrowdata import cache

    ds = arrowdata.Dataset.from_dict({"x": [1, 2, 3]})
    out = ds.map(lambda r: {"y": r["x"]})
    side = cache.sidecar_path(out.fingerprint)
    good = json.loads(side.read_text())
    for bad in ({"sizes": "big"}, {"sizes": [None]}, {"sizes": [-1]}, {"files": None}, {"files": [1]},
                {"num_rows": "x"}, {"stats": "x"}, {"stats": [[1, 2]]}, {"parent": {"a": 1}}, {"op": [1]}):
        side.write_text(json.dumps({**good, **bad}))
        assert ds.map(lambda r: {"y": r["x"]})["y"] == [1, 2, 3]
        cache.list_all()
    for raw in ("[]", "null", "{", "\xff", "[" * 100000):
        side.write_text(raw, errors="surrogateescape") if raw != "\xff" else side.write_bytes(b"\xff")
        assert ds.map(lambda r: {"y": r["x"]})["y"] == [1, 2, 3]
    os.unlink(side)
    os.mkfifo(side)  # a FIFO sidecar must not hang the lookup
    assert ds.map(lambda r: {"y": r["x"]})["y"] == [1, 2, 3]
    cache.list_all()
