"""Gathering metric state across processes: torch.distributed (gloo) and the cache-folder transport."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import socket
import threading
import time

import numpy as np
import pytest

import metrics
from metrics.distributed import MetricGatherError, MetricGatherTimeout, experiment_dir

WORLD = 3


def _data(seed=0, n=61):
    rng = np.random.default_rng(seed)
    labels_p, labels_r = rng.integers(0, 3, n).tolist(), rng.integers(0, 3, n).tolist()
    scores_p, scores_r = np.round(rng.normal(size=n), 1).tolist(), np.round(rng.normal(size=n), 1).tolist()
    squad_p = [{"id": str(i), "prediction_text": ["a cat", "dog", ""][i % 3], "no_answer_probability": (i % 7) / 7}
               for i in range(n)]
    squad_r = [{"id": str(i), "answers": {"text": [["the cat"], ["dog house"], []][i % 3], "answer_start": []}}
               for i in range(n)]
    texts_p = [["A", "b", "c"][i % 3] for i in range(n)]
    texts_r = [["a", "b", "d"][i % 2] for i in range(n)]
    return [
        (("accuracy", None, {}), labels_p, labels_r),
        (("f1", None, {"average": "macro"}), labels_p, labels_r),
        (("matthews_correlation", None, {}), labels_p, labels_r),
        (("spearmanr", None, {}), scores_p, scores_r),
        (("glue", "stsb", {}), scores_p, scores_r),
        (("squad_v2", None, {}), squad_p, squad_r),
        (("exact_match", None, {"ignore_case": True}), texts_p, texts_r),
        (("mse", None, {"squared": False}), scores_p, scores_r),
        (("google_bleu", None, {}), texts_p, texts_r),
    ]


def _expected():
    return [metrics.load(name, cfg, **opts).compute(predictions=p, references=r) for (name, cfg, opts), p, r in _data()]


def _shard(values, rank, world):
    # uneven, interleaved shards: rank order is not data order, and one rank gets more
    return values[rank::world]


def _torch_worker(rank, world, port, out_dir):
    import datetime

    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=60))
    try:
        results = []
        for (name, cfg, opts), p, r in _data():
            m = metrics.load(name, cfg, **opts)
            m.add_batch(predictions=_shard(p, rank, world), references=_shard(r, rank, world))
            results.append(m.compute())
        with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
            json.dump(results, f)
    finally:
        dist.destroy_process_group()


def _file_worker(rank, world, experiment_id, out_dir):
    results = []
    for (name, cfg, opts), p, r in _data():
        m = metrics.load(name, cfg, num_processes=world, process_id=rank, experiment_id=experiment_id,
                         timeout=60, **opts)
        m.add_batch(predictions=_shard(p, rank, world), references=_shard(r, rank, world))
        results.append(m.compute())
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(results, f)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_processes(target, args_for_rank, tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=target, args=args_for_rank(r)) for r in range(WORLD)]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join(timeout=180)
        assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    return [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD)]


def _assert_same(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert list(g) == list(e)
        for k in e:
            assert g[k] == pytest.approx(e[k], rel=1e-12, abs=1e-12), k


@pytest.mark.slow
def test_torch_distributed_three_ranks_equal_one_process(tmp_path):
    pytest.importorskip("torch")
    port = _free_port()
    per_rank = _run_processes(_torch_worker, lambda r: (r, WORLD, port, str(tmp_path)), tmp_path)
    expected = _expected()
    for results in per_rank:  # every rank gets the full result
        _assert_same(results, expected)


@pytest.mark.slow
def test_file_gather_three_processes_equal_one_process(tmp_path):
    per_rank = _run_processes(_file_worker, lambda r: (r, WORLD, "exp-procs", str(tmp_path)), tmp_path)
    expected = _expected()
    for results in per_rank:
        _assert_same(results, expected)
    assert not any(experiment_dir("exp-procs").glob("*/round-*")), "gather folders are cleaned up"


def test_file_gather_threads_two_rounds(tmp_path):
    (name, cfg, opts), p, r = _data()[1]
    expected = metrics.load(name, cfg, **opts).compute(predictions=p, references=r)
    def fresh(k):
        return metrics.load(name, cfg, num_processes=WORLD, process_id=k, experiment_id="exp-threads", timeout=30,
                            **opts)

    objs = [fresh(k) for k in range(WORLD)]
    for round_ in range(3):  # the same objects gather twice, then new ones; rounds never mix
        if round_ == 2:
            objs = [fresh(k) for k in range(WORLD)]
        results = [None] * WORLD

        def work(k):
            objs[k].add_batch(predictions=_shard(p, k, WORLD), references=_shard(r, k, WORLD))
            results[k] = objs[k].compute()

        threads = [threading.Thread(target=work, args=(k,)) for k in range(WORLD)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results == [expected] * WORLD, round_
    assert not any(experiment_dir("exp-threads").glob("*/round-*"))


def test_file_gather_missing_process_times_out_naming_it():
    m = metrics.load("accuracy", num_processes=WORLD, process_id=0, experiment_id="exp-missing", timeout=1.0)
    m.add_batch(predictions=[1, 0], references=[1, 1])
    other = metrics.load("accuracy", num_processes=WORLD, process_id=1, experiment_id="exp-missing", timeout=1.0)
    other.add_batch(predictions=[1], references=[1])
    errors = []

    def run(metric):
        try:
            metric.compute()
        except MetricGatherTimeout as e:
            errors.append(e)

    start = time.monotonic()
    threads = [threading.Thread(target=run, args=(x,)) for x in (m, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - start
    assert len(errors) == 2 and all(e.missing == [2] for e in errors)
    assert "process(es) 2 of 3" in str(errors[0]) and "exp-missing" in str(errors[0])
    assert elapsed < 20  # it gave up instead of hanging
    # a new run reusing the experiment_id is told so instead of reading the stale states
    rerun = metrics.load("accuracy", num_processes=WORLD, process_id=0, experiment_id="exp-missing", timeout=1.0)
    from metrics import distributed
    distributed._ROUNDS.clear()  # as in a new process
    with pytest.raises(MetricGatherError, match="already exists.*own experiment_id"):
        rerun.compute(predictions=[1], references=[1])


def test_file_gather_refuses_corrupt_state_file():
    folder = experiment_dir("exp-corrupt") / "accuracy" / "round-0"
    folder.mkdir(parents=True)
    (folder / "state-1-of-2.arrowstate").write_bytes(b"garbage")
    m = metrics.load("accuracy", num_processes=2, process_id=0, experiment_id="exp-corrupt", timeout=5)
    m.add_batch(predictions=[1], references=[1])
    with pytest.raises(metrics.MetricStateError, match="state-1-of-2.arrowstate"):
        m.compute()


def test_bad_gather_arguments():
    with pytest.raises(metrics.MetricInputError, match="process_id"):
        metrics.load("accuracy", num_processes=2, process_id=2)
    with pytest.raises(metrics.MetricInputError, match="num_processes"):
        metrics.load("accuracy", num_processes=0)
    assert metrics.load("accuracy", num_process=4, process_id=3).num_processes == 4  # evaluate's spelling
    m = metrics.load("accuracy", num_processes=2, process_id=0, experiment_id="../escape", timeout=1)
    m.add_batch(predictions=[1], references=[1])
    with pytest.raises(metrics.MetricInputError, match="experiment_id"):
        m.compute()
