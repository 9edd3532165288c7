"""benchmarks/gpu_check.py: the skip path without CUDA, and its loader-ceiling measurement on CPU."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="the skip path is for machines without CUDA")
def test_without_cuda_it_skips_with_a_clear_message_and_exit_code_0():
    out = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert out.stdout.startswith("SKIP: no CUDA device") and "--device cpu" in out.stdout


def test_cpu_needs_no_cuda_and_the_ceiling_counts_every_real_token():
    gpu_check = _module()
    assert gpu_check.cuda_unavailable_reason("cpu") is None
    from loaders import TorchLoader

    table = pa.table({"input_ids": [[1, 2, 3], [4], [5, 6]] * 20, "label": [0, 1, 0] * 20})
    loader = TorchLoader(table, batch_size=7, shuffle=True, device="cpu")
    result = gpu_check.loader_ceiling(lambda: loader, "cpu", passes=2, deadline=float("inf"))
    assert result["tokens_per_s"] * result["epoch_s"] == pytest.approx(6 * 20)
