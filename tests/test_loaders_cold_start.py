"""What a fresh training process pays before its first batch: no fsspec for a local folder, no
framework imported by ``import arrowdata`` / ``import loaders``, and the first reads are exact."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa

import arrowdata


def _fresh(code: str, cwd: str | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _saved(tmp_path) -> str:
    rng = np.random.default_rng(0)
    ids = [rng.integers(0, 1000, size=k).tolist() for k in rng.integers(1, 40, size=300)]
    ds = arrowdata.Dataset.from_dict({"input_ids": ids, "label": list(range(300))})
    ds.save_to_disk(str(tmp_path / "saved"))
    return ids


def test_local_load_from_disk_never_imports_fsspec(tmp_path):
    ids = _saved(tmp_path)
    code = ("import json, sys, arrowdata\n"
            "ds = arrowdata.load_from_disk('saved')\n"  # relative to cwd, as scripts often write it
            "rows = ds[[5, 250, 0]]\n"
            "print(json.dumps({'fsspec': 'fsspec' in sys.modules, 'ids': rows['input_ids'],"
            " 'mods': sorted(m for m in ('loaders', 'torch', 'tensorflow') if m in sys.modules)}))")
    got = _fresh(code, cwd=str(tmp_path))
    assert got == {"fsspec": False, "ids": [ids[5], ids[250], ids[0]], "mods": []}


def test_import_loaders_imports_no_framework():
    got = _fresh("import json, sys, loaders\n"
                 "print(json.dumps(sorted(m for m in ('torch', 'tensorflow', 'jax') if m in sys.modules)))")
    assert got == []


def test_first_gather_in_a_fresh_process_is_exact(tmp_path):
    _saved(tmp_path)
    positions = np.random.default_rng(1).integers(0, 300, size=120).tolist()
    code = ("import json, arrowdata\n"
            f"ds = arrowdata.load_from_disk({str(tmp_path / 'saved')!r})\n"
            f"print(json.dumps(ds[{positions}]['label']))")
    assert _fresh(code) == positions


def test_memory_urls_still_go_through_fsspec(tmp_path):
    table = pa.table({"a": [1, 2, 3]})
    arrowdata.Dataset(table).save_to_disk("memory://cold-start/ds")
    assert arrowdata.load_from_disk("memory://cold-start/ds")["a"] == [1, 2, 3]
