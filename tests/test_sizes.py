"""The one size rule (arrowdata.sizes) and every place that reads a size through it."""
from __future__ import annotations

import os

import pytest

from arrowdata import Dataset, cache
from arrowdata.cli import main
from arrowdata.errors import ArrowDataError, InvalidArgumentError
from arrowdata.sizes import parse_size

# (text, bytes): decimal SI prefixes with or without B, binary Ki/Mi/Gi/Ti(B), any case, spaces, fractions
CASES = [
    (0, 0), (10, 10), ("10", 10), ("10B", 10), (" 7 b ", 7),
    ("1K", 1000), ("1KB", 1000), ("1kb", 1000), ("1KiB", 1024), ("1ki", 1024),
    ("500MB", 500_000_000), ("500M", 500_000_000), ("500MiB", 500 * 2**20), ("500 mib", 500 * 2**20),
    ("1G", 10**9), ("1GB", 10**9), ("1GiB", 2**30), ("2gib", 2 * 2**30),
    ("1.5GB", 1_500_000_000), ("1.5 GiB", 3 * 2**29), (".5KB", 500), ("3.", 3),
    ("1TB", 10**12), ("1TiB", 2**40), ("1P", 10**15), ("1PiB", 2**50),
    ("123456789012345678", 123456789012345678),  # exact: no float rounding
    (4.0, 4),
]
BAD = ["", "big", "1 XB", "MB", "1..5MB", "-1MB", "1e3", "1 M B", "1GBi", -1, 2.5, True, None, [1]]


@pytest.mark.parametrize("text,expected", CASES)
def test_parse_size_table(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", BAD)
def test_parse_size_refuses_with_the_argument_named(text):
    with pytest.raises(InvalidArgumentError, match="^max_shard_size: ") as info:
        parse_size(text, "max_shard_size")
    assert isinstance(info.value, ValueError) and isinstance(info.value, ArrowDataError)


def test_every_reader_of_a_size_agrees(tmp_path):
    # save_to_disk: 500MB and 500MiB are different sizes; a shard limit between them tells them apart
    ds = Dataset.from_dict({"a": list(range(1000))})  # 8000 bytes of int64
    ds.save_to_disk(tmp_path / "dec", max_shard_size="4KB")  # 4000 bytes -> 2 shards
    ds.save_to_disk(tmp_path / "bin", max_shard_size="7.9KiB")  # 8089 bytes -> 1 shard (decimal 7900 -> 2)
    ds.save_to_disk(tmp_path / "g", max_shard_size="7.9K")  # 7900 bytes -> 2 shards
    ds.save_to_disk(tmp_path / "one", max_shard_size="8KB")  # 8000 bytes -> 1 shard
    shards = {d: len([f for f in os.listdir(tmp_path / d) if f.endswith(".arrow")]) for d in ("dec", "bin", "g", "one")}
    assert shards == {"dec": 2, "bin": 1, "g": 2, "one": 1}
    # cache clean --max-size and convert --max-shard-size read through the same rule
    assert cache.parse_size("500MB") == parse_size("500MB") == 500_000_000
    with pytest.raises(ArrowDataError, match="--max-size"):
        cache.parse_size("lots")
    csv = tmp_path / "a.csv"
    csv.write_text("x\n" + "".join(f"{i}\n" for i in range(3000)))
    assert main(["convert", str(csv), str(tmp_path / "c"), "--max-shard-size", "7.9K", "--no-progress"]) == 0
    arrow = sorted(f for f in os.listdir(tmp_path / "c") if f.endswith(".arrow"))
    assert len(arrow) == 4  # 24000 bytes of int64 in shards of at most 7900 bytes (binary 8089 would give 3)
    assert main(["convert", str(csv), str(tmp_path / "d"), "--max-shard-size", "huge", "--no-progress"]) == 1
