"""Memory: opening a saved dataset is a memory map (RssAnon barely moves) and full passes stay flat.

Measured in a fresh child process from /proc/self/status: RssAnon counts private memory only,
not the page cache the memory map is served from.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest

from arrowdata import Dataset

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")

TARGET_BYTES = 200 << 20

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import pyarrow.compute as pc
    import arrowdata

    def rss_anon_mb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024

    mode = sys.argv[2]
    before = rss_anon_mb()
    ds = arrowdata.load_from_disk(sys.argv[1], verify=False)
    opened = rss_anon_mb()
    samples, total = [], 0
    if mode == "arrow":
        for i, t in enumerate(ds.iter_arrow(1000)):
            total += pc.sum(t.column("x")).as_py() + pc.sum(pc.utf8_length(t.column("text"))).as_py()
            if i % 50 == 0:
                samples.append(rss_anon_mb())
    else:
        for i, b in enumerate(ds.with_format("numpy").iter(1000)):
            total += int(b["x"].sum()) + sum(len(s) for s in b["text"])
            if i % 50 == 0:
                samples.append(rss_anon_mb())
    after = rss_anon_mb()
    print(json.dumps({"before": before, "opened": opened, "samples": samples, "after": after, "total": total,
                      "rows": len(ds)}))
""")


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mem") / "d"
    rng = np.random.default_rng(0)
    n = 450_000
    words = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"])
    # ~480 bytes of text per row -> ~200 MB in all
    text = [" ".join(words[rng.integers(0, 8, 80)]) for _ in range(2000)]
    table = pa.table({"x": np.arange(n, dtype=np.int64), "text": pa.array([text[i % 2000] for i in range(n)])})
    assert table.nbytes >= TARGET_BYTES * 0.95
    Dataset.from_arrow(table).save_to_disk(folder, num_shards=2)
    expected = int(np.arange(n).sum()) + sum(len(text[i % 2000]) for i in range(n))
    return folder, expected, n


@pytest.mark.parametrize("mode", ["arrow", "numpy"])
def test_open_and_full_pass_keep_rss_anon_flat(big_folder, mode):
    folder, expected, n = big_folder
    proc = subprocess.run([sys.executable, "-c", CHILD, str(folder), mode], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["rows"] == n and r["total"] == expected  # every value was really read
    assert r["opened"] - r["before"] <= 10, r  # opening ~200 MB adds at most 10 MB of private memory
    warm = r["samples"][1] if len(r["samples"]) > 1 else r["opened"]
    assert max(r["samples"] + [r["after"]]) - warm <= 10, r  # a full pass does not grow it
    assert r["after"] - r["before"] <= 40, r


GEN_CHILD = textwrap.dedent("""
    import json
    import arrowdata

    def rss_anon_mb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024

    samples = []

    def gen(n):
        text = "lorem ipsum dolor sit amet " * 12
        for i in range(n):
            if i % 20000 == 0:
                samples.append(rss_anon_mb())
            yield {"i": i, "text": text}

    ds = arrowdata.Dataset.from_generator(gen, gen_kwargs={"n": 300_000}, writer_batch_size=2000)
    print(json.dumps({"samples": samples, "rows": len(ds), "bytes": ds.data.nbytes}))
""")


def test_from_generator_memory_is_bounded(tmp_path):
    import os

    env = dict(os.environ, ARROWDATA_CACHE=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", GEN_CHILD], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["rows"] == 300_000 and r["bytes"] > 90e6
    warm = r["samples"][1]
    # ~100 MB went through; memory holds a writer batch, not the data
    assert max(r["samples"]) - warm <= 20, r["samples"]
