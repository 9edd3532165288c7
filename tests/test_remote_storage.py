"""Remote storage: S3 (moto's server on loopback, through s3fs) and HTTP, map-style and streamed,
with transient failures retried and dead connections timed out. No fsspec mocks."""
from __future__ import annotations

import gzip
import http.server
import json
import socket
import threading
import time
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import arrowdata
from arrowdata.errors import RemoteTimeoutError

ROWS = [{"id": i, "text": f"row {i}", "label": i % 3} for i in range(300)]
JSONL = "".join(json.dumps(r) + "\n" for r in ROWS).encode()


@pytest.fixture(scope="session")
def s3(s3_options):
    """``(storage_options, bucket)``: a bucket of gzipped jsonl and parquet parts on the session's S3 server."""
    import s3fs

    opts = s3_options
    bucket = f"remote-{uuid.uuid4().hex[:12]}"
    fs = s3fs.S3FileSystem(**opts)
    fs.mkdir(bucket)
    for i in range(3):
        part = ROWS[i * 100:(i + 1) * 100]
        fs.pipe(f"{bucket}/json/part-{i}.jsonl.gz", gzip.compress("".join(json.dumps(r) + "\n" for r in part).encode()))
        buf = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pylist(part), buf, row_group_size=30)
        fs.pipe(f"{bucket}/parquet/part-{i}.parquet", buf.getvalue().to_pybytes())
    yield opts, bucket
    fs.rm(bucket, recursive=True)


@pytest.mark.parametrize("builder,folder", [("parquet", "parquet/*.parquet"), ("json", "json/*.jsonl.gz")])
def test_s3_map_style_and_streamed_give_the_same_rows(s3, builder, folder):
    opts, bucket = s3
    url = f"s3://{bucket}/{folder}"
    mapped = arrowdata.load_dataset(builder, data_files=url, storage_options=opts, split="train", progress=False)
    streamed = arrowdata.load_dataset(builder, data_files=url, storage_options=opts, split="train", streaming=True)
    assert mapped.to_list() == ROWS
    assert [dict(r) for r in streamed] == ROWS and streamed.n_shards == 3
    shuffled = streamed.shuffle(seed=1, buffer_size=50)
    it = iter(shuffled)
    head = [next(it) for _ in range(120)]
    resumed = streamed.shuffle(seed=1, buffer_size=50)
    resumed.load_state_dict(json.loads(json.dumps(shuffled.state_dict())))
    assert sorted(r["id"] for r in head + list(resumed)) == list(range(300))


def test_s3_save_to_disk_and_missing_folder(s3):
    opts, bucket = s3
    ds = arrowdata.Dataset.from_list(ROWS[:20])
    dd = arrowdata.DatasetDict({"train": ds, "test": ds.select(range(5))})
    ds.save_to_disk(f"s3://{bucket}/saved/ds", storage_options=opts)
    dd.save_to_disk(f"s3://{bucket}/saved/dd", storage_options=opts)
    assert arrowdata.load_from_disk(f"s3://{bucket}/saved/ds", storage_options=opts).to_list() == ROWS[:20]
    back = arrowdata.load_from_disk(f"s3://{bucket}/saved/dd", storage_options=opts)
    assert back["test"].to_list() == ROWS[:5]
    with pytest.raises(FileNotFoundError, match=f"{bucket}/saved/nope"):
        arrowdata.load_from_disk(f"s3://{bucket}/saved/nope", storage_options=opts)


class _Server(http.server.ThreadingHTTPServer):
    """Serves one file with byte ranges; ``mode`` makes it misbehave: ``drop`` (cut the next
    response short and close, once) or ``hang`` (send half of every response, then go silent)."""

    daemon_threads = True
    body = JSONL
    mode = "ok"
    gets = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def _range(self):
        body = self.server.body
        spec = self.headers.get("Range")
        if not spec:
            return 0, len(body)
        lo, _, hi = spec.split("=")[1].partition("-")
        return int(lo), min(int(hi) + 1 if hi else len(body), len(body))

    def _missing(self):
        if self.path != "/data.jsonl":
            self.send_error(404)
            return True
        return False

    def do_HEAD(self):
        if self._missing():
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()

    def do_GET(self):
        if self._missing():
            return
        self.server.gets += 1
        lo, hi = self._range()
        part = self.server.body[lo:hi]
        self.send_response(206 if self.headers.get("Range") else 200)
        self.send_header("Content-Length", str(len(part)))
        self.send_header("Content-Range", f"bytes {lo}-{hi - 1}/{len(self.server.body)}")
        self.end_headers()
        mode = self.server.mode
        if mode == "drop":
            self.server.mode = "ok"
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "hang":
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            time.sleep(20)
            return
        self.wfile.write(part)


@pytest.fixture
def http_file():
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/data.jsonl"
    server.shutdown()
    server.server_close()


def test_transient_failure_is_retried(http_file, monkeypatch, caplog):
    server, url = http_file
    monkeypatch.setenv("ARROWDATA_REMOTE_TIMEOUT", "10")
    ds = arrowdata.load_dataset("json", data_files=url, split="train", streaming=True)
    server.mode = "drop"
    with caplog.at_level("WARNING", logger="arrowdata.streaming.remote"):
        assert [dict(r) for r in ds] == ROWS
    assert server.mode == "ok" and any("retrying" in m for m in caplog.messages)


def test_dead_connection_times_out_naming_the_url(http_file, monkeypatch):
    server, url = http_file
    monkeypatch.setenv("ARROWDATA_REMOTE_TIMEOUT", "1")
    monkeypatch.setenv("ARROWDATA_REMOTE_RETRIES", "1")
    ds = arrowdata.load_dataset("json", data_files=url, split="train", streaming=True)
    server.mode = "hang"
    start = time.monotonic()
    with pytest.raises(RemoteTimeoutError, match="data.jsonl.*no answer"):
        list(ds)
    assert time.monotonic() - start < 10


def test_missing_remote_file_names_the_url(http_file):
    server, url = http_file
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        arrowdata.load_dataset("json", data_files=url.replace("data.jsonl", "nope.jsonl"), split="train",
                               streaming=True)
