"""map/filter on a real local Ray cluster (engine="ray"), to_ray/from_ray, and streaming_split ingest.

One 2-CPU cluster per test session, i.e. per xdist worker that runs any of these tests (started on
first use, shut down at the end); split consumers are declared with num_cpus=0 so they do not
starve the read tasks of the CPUs.
"""
from __future__ import annotations

import os

import pytest

ray = pytest.importorskip("ray")

import pyarrow.compute as pc  # noqa: E402

import arrowdata  # noqa: E402
from arrowdata.engines import resolve_engine  # noqa: E402
from arrowdata.transforms.outputs import TransformError  # noqa: E402


@pytest.fixture(scope="session")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 1024 * 1024,
             configure_logging=False)
    from ray.data import DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True  # row order comparisons below
    yield ray
    ray.shutdown()


def _tasks() -> int:
    return resolve_engine("ray").tasks_submitted


def _corpus(n=6000):
    words = ["alpha", "beta", "gamma", "delta", "epsilon"]
    return arrowdata.Dataset.from_dict({"id": list(range(n)),
                                        "text": [" ".join(words[: 1 + i % 5]) for i in range(n)]})


def _count_words(batch):
    return {"n_words": [len(t.split()) for t in batch["text"]]}


def test_map_and_filter_equal_local_results_and_fingerprints_and_hit_the_cache(cluster, tmp_path):
    path = str(tmp_path / "corpus")
    _corpus().save_to_disk(path)
    ds = arrowdata.load_from_disk(path).shuffle(seed=7)  # memory-mapped, with an indices mapping
    before = _tasks()
    on_ray = ds.map(_count_words, batched=True, batch_size=500, engine="ray", num_proc=2)
    assert _tasks() > before
    assert on_ray["n_words"] == [len(t.split()) for t in ds["text"]] and on_ray["id"] == ds["id"]
    after_ray = _tasks()
    local = ds.map(_count_words, batched=True, batch_size=500)  # cache hit: same files, no Ray task
    assert local.fingerprint == on_ray.fingerprint and local._data_files == on_ray._data_files
    assert _tasks() == after_ray
    recomputed = ds.map(_count_words, batched=True, batch_size=500, load_from_cache_file=False)
    assert recomputed.fingerprint == on_ray.fingerprint and recomputed["n_words"] == on_ray["n_words"]

    def long_text(row):
        return len(row["text"]) > 10

    kept = on_ray.filter(long_text, engine="ray")
    assert kept["id"] == [i for i, t in zip(on_ray["id"], on_ray["text"]) if len(t) > 10]
    assert kept.fingerprint == on_ray.filter(long_text, load_from_cache_file=False).fingerprint
    # The reverse direction: computed locally first, a Ray run is a cache hit that starts no task.
    local_first = ds.filter(lambda r: r["id"] % 3 == 0, num_proc=2)
    tasks = _tasks()
    assert ds.filter(lambda r: r["id"] % 3 == 0, engine="ray").fingerprint == local_first.fingerprint
    assert _tasks() == tasks


def test_the_function_runs_in_ray_worker_processes(cluster):
    def where(batch):
        import ray as r

        n = len(batch["id"])
        with open("/proc/self/cmdline", "rb") as f:  # Ray titles its worker processes "ray::..."
            title = f.read().split(b"\0")[0].decode()
        return {"pid": [os.getpid()] * n, "in_task": [r.get_runtime_context().get_task_id() is not None] * n,
                "title": [title] * n}

    out = _corpus(4000).map(where, batched=True, batch_size=500, engine="ray", num_proc=2)
    in_memory = _corpus(4000).map(where, batched=True, batch_size=500, engine="ray", keep_in_memory=True)
    assert in_memory._data_files == [] and os.getpid() not in set(in_memory["pid"]) and all(in_memory["in_task"])
    pids = set(out["pid"])
    assert os.getpid() not in pids and all(out["in_task"])
    assert all(t.startswith("ray::") for t in out["title"]), set(out["title"])


class Scale:
    """Defined in this test module, which the Ray workers cannot import by name."""

    def __init__(self, k: int) -> None:
        self.k = k


def test_user_classes_in_fn_kwargs_travel_by_value(cluster):
    ds = _corpus(2000)
    out = ds.map(lambda b, scale: {"y": [i * scale.k for i in b["id"]]}, batched=True, fn_kwargs={"scale": Scale(3)},
                 engine="ray")
    assert out["y"] == [3 * i for i in ds["id"]]


def test_a_failing_function_raises_in_the_driver_with_its_type_and_rows(cluster):
    def fails(batch):
        if 2500 in batch["id"]:
            raise KeyError("no such token: 2500")
        return {"y": batch["id"]}

    ds = _corpus(4000)
    with pytest.raises(TransformError, match=r"rows \d+\.\.\d+: KeyError: 'no such token: 2500'") as info:
        ds.map(fails, batched=True, batch_size=500, engine="ray", num_proc=2)
    start, stop = map(int, str(info.value).split("rows ")[1].split(":")[0].split(".."))
    assert start <= 2500 <= stop
    # Nothing half-done was committed: the fixed function computes, under the engine's fingerprint.
    assert ds.map(lambda b: {"y": b["id"]}, batched=True, engine="ray")["y"] == ds["id"]


def test_set_engine_makes_ray_the_default(cluster):
    ds = _corpus(3000)
    arrowdata.set_engine("ray")
    try:
        before = _tasks()
        out = ds.filter(lambda r: r["id"] % 2 == 1)
        assert _tasks() > before
        assert ds.filter(pc.field("id") > 10)["id"][0] == 11  # Arrow expressions stay in the driver
    finally:
        arrowdata.set_engine(None)
    assert out["id"] == list(range(1, 3000, 2))


def test_to_ray_reads_the_logical_rows_after_shuffle_filter_and_select(cluster):
    ds = _corpus(5000)
    views = {
        "plain": ds,
        "shuffled": ds.shuffle(seed=3),
        "filtered": ds.shuffle(seed=3).filter(lambda r: r["id"] % 7 != 0),
        "selected": ds.shuffle(seed=1).select_columns(["text"]),
    }
    for name, view in views.items():
        rd = view.to_ray(override_num_blocks=3)
        assert rd.count() == len(view), name
        assert rd.take_all() == view.to_list(), name
    rd = views["filtered"].to_ray(columns=["id"])
    assert rd.columns() == ["id"] and [r["id"] for r in rd.take_all()] == views["filtered"]["id"]
    assert [r["text"] for r in views["shuffled"].to_ray().select_columns(["text"]).take(5)] == \
        views["shuffled"]["text"][:5]


def test_from_ray_writes_the_map_batches_result_into_the_cache(cluster):
    ds = _corpus(5000).shuffle(seed=2)

    def lengths(table):
        return table.append_column("chars", pc.utf8_length(table["text"]))

    plan = ds.to_ray(override_num_blocks=4).map_batches(lengths, batch_format="pyarrow")
    out = arrowdata.from_ray(plan)
    assert out["chars"] == [len(t) for t in ds["text"]] and out["id"] == ds["id"]
    assert out._data_files and all(f.startswith(str(arrowdata.config.cache_dir())) for f in out._data_files)
    again = arrowdata.from_ray(ds.to_ray(override_num_blocks=4).map_batches(lengths, batch_format="pyarrow"))
    assert again.fingerprint == out.fingerprint and again._data_files == out._data_files  # same plan: a hit
    other = arrowdata.from_ray(ds.to_ray().map_batches(lambda t: t.slice(0, 1), batch_format="pyarrow"))
    assert other.fingerprint != out.fingerprint

    named = arrowdata.from_ray(ray.data.range(10), cache_key="ten")
    assert named["id"] == list(range(10))
    assert arrowdata.from_ray(ray.data.range(99), cache_key="ten")["id"] == list(range(10))  # the name decides
    unnamed = [arrowdata.from_ray(ray.data.range(3)).fingerprint for _ in range(2)]
    assert unnamed[0] != unnamed[1]  # a source arrowdata cannot fingerprint is never looked up


def test_from_ray_of_no_rows_keeps_the_columns(cluster):
    names = _corpus(50).column_names
    for i, plan in enumerate([_corpus(50).to_ray().filter(lambda row: row["id"] < 0),
                              _corpus(50).to_ray().limit(0)]):  # limit(0): no block reaches the sink at all
        none = arrowdata.from_ray(plan, cache_key=f"no-rows-{i}")
        assert len(none) == 0 and none.column_names == names


def test_streaming_split_feeds_a_padded_loader_on_each_rank(cluster):
    n = 200
    ds = arrowdata.Dataset.from_dict({"input_ids": [list(range(1, 2 + i % 9)) for i in range(n)],
                                      "label": list(range(n))})
    shards = ds.to_ray(override_num_blocks=4).streaming_split(2, equal=True)

    @ray.remote(num_cpus=0)
    def train(shard):
        from loaders.ray_source import StreamLoader

        seen, widths = [], []
        # numpy: the TorchLoader's padding path without importing torch in two fresh Ray workers
        # (tests/test_engine_local.py checks the torch tensors of the same loader).
        for batch in StreamLoader(shard, batch_size=8, window_rows=32, pad_token_id=0, loader="numpy"):
            widths.append(int(batch["input_ids"].shape[1]))
            lengths = batch["attention_mask"].sum(1).tolist()
            seen += [(int(lab), ids[:k]) for lab, ids, k in zip(batch["labels"].tolist(),
                                                             batch["input_ids"].tolist(), lengths)]
        return seen, widths

    results = ray.get([train.remote(s) for s in shards])
    rows = sorted(r for seen, _ in results for r in seen)
    assert rows == [(i, list(range(1, 2 + i % 9))) for i in range(n)]
    assert len(results[0][0]) == len(results[1][0]) == n // 2  # equal=True
    assert all(w <= 9 for _, widths in results for w in widths)
