"""The read-ahead iterator and the background writer that overlap apply's I/O with its LFs."""

import subprocess
import sys
import threading

import pytest

from weaklabel.io.background import BackgroundWriter, read_ahead


def test_read_ahead_keeps_order_and_runs_in_another_thread():
    seen = []

    def source():
        for i in range(50):
            seen.append(threading.current_thread().name)
            yield i

    assert list(read_ahead(source())) == list(range(50))
    assert set(seen) == {"weaklabel-read"}


def test_read_ahead_raises_the_source_error_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("bad row group")

    got = []
    with pytest.raises(ValueError, match="bad row group"):
        for x in read_ahead(source()):
            got.append(x)
    assert got == [1, 2]


def test_read_ahead_stops_and_closes_the_source_when_the_consumer_stops():
    closed = threading.Event()
    produced = []

    def source():
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    it = read_ahead(source(), depth=1)
    assert next(it) == 0
    it.close()
    assert closed.is_set()          # the thread was joined and the source closed
    assert len(produced) <= 4       # at most a queue's worth read ahead, not the whole source


def test_background_writer_writes_in_order_and_raises_a_failed_write():
    out = []
    w = BackgroundWriter(out.append)
    for i in range(100):
        w.submit(i)
    w.close()
    assert out == list(range(100))

    def failing(x):
        if x == 3:
            raise OSError("disk full")
        out.append(x)

    out.clear()
    w = BackgroundWriter(failing)
    with pytest.raises(OSError, match="disk full"):
        for i in range(100):
            w.submit(i)
        w.close()
    assert out == [0, 1, 2]       # nothing after the failed write is written


def test_background_writer_abort_drops_queued_writes_and_never_raises():
    gate = threading.Event()
    out = []

    def slow(x):
        gate.wait(5)
        out.append(x)

    w = BackgroundWriter(slow)
    w.submit(0)
    w.submit(1)
    threading.Timer(0.05, gate.set).start()
    w.abort()
    assert out in ([0], [0, 1])


def test_background_writer_refuses_writes_after_close_and_closes_once():
    out = []
    w = BackgroundWriter(out.append)
    w.submit(1)
    w.close()
    w.close()
    w.abort()                      # after close: nothing to do, never blocks
    with pytest.raises(RuntimeError, match="after close"):
        w.submit(2)
    assert out == [1]


def test_a_reader_whose_consumer_is_never_closed_is_stopped_and_joined_by_stop_readers():
    from weaklabel.io import background

    closed = threading.Event()

    def source():
        try:
            for i in range(1000):
                yield i
        finally:
            closed.set()

    it = read_ahead(source(), name="abandoned-reader")
    assert next(it) == 0            # the consumer takes one item and walks away without closing
    thread = next(t for t in threading.enumerate() if t.name == "abandoned-reader")
    assert thread.is_alive()        # blocked on the full queue
    background.stop_readers(timeout=5)
    assert not thread.is_alive() and closed.is_set()
    assert thread not in background._READERS


def test_an_abandoned_reader_is_joined_before_the_interpreter_exits(tmp_path):
    """The exit path of a Ctrl-C that leaves the block generator alive: the atexit handler stops the
    reader (its source is closed) before Python's finalisation, and the process exits at once."""
    marker = tmp_path / "closed"
    script = tmp_path / "abandon.py"
    script.write_text(
        "import sys, time\n"
        "from weaklabel.io.background import read_ahead\n"
        "def source():\n"
        "    try:\n"
        "        for i in range(10**9):\n"
        "            time.sleep(0.001)\n"
        "            yield i\n"
        "    finally:\n"
        f"        open({str(marker)!r}, 'w').write('closed')\n"
        "keep = read_ahead(source())\n"
        "next(keep)\n"
        "sys.exit(3)\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 3, r.stderr
    assert marker.read_text() == "closed"
