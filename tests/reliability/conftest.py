"""The reliability campaign (issue 11): hostile files, crash points, concurrency.

The default run is the fast subset CI runs. Tests marked ``stress`` (long fuzzing, many
processes) run only with ``ARROWDATA_STRESS=1``; ``tools/stress.py`` is the by-hand campaign.
"""
from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "stress: long reliability runs, only with ARROWDATA_STRESS=1")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ARROWDATA_STRESS") == "1":
        return
    skip = pytest.mark.skip(reason="stress test: set ARROWDATA_STRESS=1 (or run tools/stress.py)")
    for item in items:
        if "stress" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def outside(tmp_path):
    """A file outside the cache that nothing may read or delete."""
    path = tmp_path / "outside" / "victim.arrow"
    path.parent.mkdir()
    path.write_bytes(b"precious")
    return path


def in_child(fn, *args, timeout: float = 60.0):
    """Run ``fn(*args)`` in a forked child (cheap: arrowdata is already imported); returns
    ``(status, text)`` where ``status`` is the exit code, or ``-signal`` when the child was killed
    (a segfault is ``-11``; a hang past ``timeout`` is killed and reported as ``"hang"``).
    ``text`` is what ``fn`` returned (``str``)."""
    import signal
    import time

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        code = 0
        try:
            out = str(fn(*args))
        except BaseException as e:  # noqa: BLE001
            out, code = f"{type(e).__name__}: {e}", 3
        with os.fdopen(write_fd, "w") as w:
            w.write(out)
        os._exit(code)
    os.close(write_fd)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_fd)
            return "hang", ""
        time.sleep(0.01)
    with os.fdopen(read_fd) as r:
        text = r.read()
    return (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)), text


@pytest.fixture
def child():
    """:func:`in_child`, as a fixture."""
    return in_child
