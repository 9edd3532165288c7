"""Several processes and killed processes against one cache: computed once, never a wrong result."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arrowdata import Dataset, cache

_SCRIPT = r'''
import json, os, sys, time
from arrowdata import Dataset

def slow_double(batch):
    with open(os.environ["CALL_LOG"], "a") as log:
        log.write(f"{os.getpid()}\n")
    time.sleep(float(os.environ.get("BATCH_SLEEP", "0.02")))
    return {"y": [v * 2 for v in batch["x"]], "s": [str(v) * 3 for v in batch["x"]]}

ds = Dataset.from_dict({"x": list(range(int(os.environ.get("ROWS", "2000"))))})
open(os.environ["READY"], "w").close()
out = ds.map(slow_double, batched=True, batch_size=50, num_proc=int(os.environ.get("NUM_PROC", "1")) or None)
print(json.dumps({"fp": out.fingerprint, "y_sum": sum(out["y"]), "n": len(out), "files": out.cache_files}))
'''


def _env(tmp_path: Path, **extra: str) -> dict:
    return {**os.environ, "ARROWDATA_CACHE": os.environ["ARROWDATA_CACHE"], "CALL_LOG": str(tmp_path / "calls.log"),
            "READY": str(tmp_path / "ready"), "PYTHONHASHSEED": "random", **extra}


def _expected(rows: int) -> Dataset:
    return Dataset.from_dict({"x": list(range(rows))})


def _rerun_in_process(script_ns: dict, rows: int):
    ds = _expected(rows)
    return ds.map(script_ns["slow_double"], batched=True, batch_size=50)


@pytest.mark.slow
def test_four_processes_same_map_compute_once(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(_SCRIPT)
    env = _env(tmp_path, ROWS="1000", BATCH_SLEEP="0.01")
    procs = [subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r == results[0] for r in results)
    assert results[0]["n"] == 1000 and results[0]["y_sum"] == 2 * sum(range(1000))
    entries = cache.list_entries()
    assert [e.fingerprint for e in entries] == [results[0]["fp"]]
    callers = set((tmp_path / "calls.log").read_text().split())
    assert len(callers) == 1  # one process computed, three waited and reused its result
    assert len((tmp_path / "calls.log").read_text().split()) == 1000 // 50
    assert not any(".tmp-" in p.name for p in cache.transforms_dir().iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("num_proc", ["1", "2"])
def test_sigkill_at_random_moments_then_rerun_is_right(tmp_path, num_proc):
    script = tmp_path / "job.py"
    script.write_text(_SCRIPT)
    rng = random.Random(1234 + int(num_proc))
    rows = 3000
    env = _env(tmp_path, ROWS=str(rows), BATCH_SLEEP="0.02", NUM_PROC=num_proc)
    ready = Path(env["READY"])
    killed_mid_run = 0
    for attempt in range(3):
        ready.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not ready.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 1.0))
        if proc.poll() is None:
            killed_mid_run += 1
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        # Whatever is on disk now: an entry that exists must be complete and right.
        for entry in cache.list_entries():
            assert entry.num_rows == rows
    assert killed_mid_run >= 1
    # The rerun (here, in this process) returns the right rows, recomputing if needed.
    ns: dict = {"__name__": "job"}
    exec(compile(_SCRIPT.split("ds = Dataset")[0], str(script), "exec"), ns)
    os.environ["CALL_LOG"] = env["CALL_LOG"]
    os.environ["BATCH_SLEEP"] = "0"
    try:
        out = _rerun_in_process(ns, rows)
    finally:
        os.environ.pop("CALL_LOG")
        os.environ.pop("BATCH_SLEEP")
    assert out["y"] == [v * 2 for v in range(rows)]
    assert out["s"][:3] == ["000", "111", "222"]
    for f in out.cache_files:
        assert ".tmp-" not in f["filename"]
    # Files the killed runs left are removed once they are recognisably dead.
    old = time.time() - 120
    for p in cache.transforms_dir().iterdir():
        if ".tmp-" in p.name:
            os.utime(p, (old, old))
    cache.clean_debris(force=True)
    assert not any(".tmp-" in p.name for p in cache.transforms_dir().iterdir())
    assert out["y"][-1] == 2 * (rows - 1)  # still readable after cleaning
