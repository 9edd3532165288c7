"""Concurrency on one key, and a short hypothesis fuzz of the readers (the long one is tools/stress.py)."""
from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import arrowdata
from arrowdata import cache, load_dataset
from arrowdata.errors import ArrowDataError


def _compute(batch):
    open(os.path.join(os.environ["REL_MARKERS"], f"computed-{os.getpid()}"), "w").close()
    time.sleep(0.05)
    return {"y": [v * 3 for v in batch["x"]]}


def _map_in_child(marker_dir: str, i: int) -> str:
    ds = arrowdata.Dataset.from_dict({"x": list(range(5000))})
    os.environ["REL_MARKERS"] = marker_dir  # the function reads it at run time: the same key in every process
    out = ds.map(_compute, batched=True, batch_size=1000)
    return json.dumps(out["y"] == [v * 3 for v in range(5000)])


def test_eight_processes_on_one_key_compute_once(tmp_path):
    """8 forked processes run the same map at once: one computes, the others wait and reuse it."""
    markers = tmp_path / "markers"
    markers.mkdir()
    pids = []
    for i in range(8):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ok = _map_in_child(str(markers), i)
                code = 0 if ok == "true" else 2
            except BaseException:  # noqa: BLE001
                code = 3
            os._exit(code)
        pids.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    assert all(os.WIFEXITED(s) and os.WEXITSTATUS(s) == 0 for s in statuses), statuses
    computed_by = {name.split("-")[1] for name in os.listdir(markers)}  # pids that ran the function
    assert len(computed_by) == 1, computed_by
    assert len(cache.list_entries()) == 1


CELL = st.one_of(st.text(alphabet=st.sampled_from(list('ab1,."\n\r\\ é')), max_size=8), st.integers().map(str))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=4), min_size=1, max_size=12), junk=st.binary(max_size=4))
def test_fuzz_csv_loads_or_raises_arrowdata_error(tmp_path_factory, rows, junk):
    p = tmp_path_factory.mktemp("fz") / "f.csv"
    p.write_bytes("\n".join(",".join(r) for r in rows).encode() + junk)
    try:
        ds = load_dataset("csv", data_files=str(p), split="train", progress=False)
    except ArrowDataError:
        return
    for field in ds.features.values():  # never a text column silently turned binary
        assert getattr(field, "dtype", None) != "binary"
    ds.to_list()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(which=st.sampled_from(["state.json", "dataset_info.json"]), body=JSON)
def test_fuzz_metadata_loads_or_raises_arrowdata_error(tmp_path_factory, which, body):
    folder = tmp_path_factory.mktemp("fm") / "ds"
    arrowdata.Dataset.from_dict({"a": [1, 2]}).save_to_disk(str(folder))
    (folder / which).write_text(json.dumps(body))
    try:
        arrowdata.load_from_disk(str(folder)).to_list()
    except ArrowDataError:
        pass


@pytest.mark.stress
def test_stress_script_short_run(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "tools/stress.py", "--kills", "12", "--fuzz-seconds", "40",
                           "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=1800,
                          cwd=os.path.join(os.path.dirname(__file__), "..", ".."))
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert report["crashes"] == report["hangs"] == report["corrupt_reuse"] == report["files_touched_outside"] == 0, \
        report["findings"]
