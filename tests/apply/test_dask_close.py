"""``weaklabel._dask.connect`` when the LocalCluster it started does not close cleanly.

A Ctrl-C while a worker was still starting left a cluster that distributed's own atexit hook
(``distributed.deploy.spec.close_clusters``) closed again at exit, printing "Exception ignored in
atexit callback ... AssertionError: Status.init" after the one line "interrupted". These tests use
a fake LocalCluster (and Client) whose ``close()`` fails, registered in ``SpecCluster._instances``
as a real one registers itself; no cluster is started. Skipped without Dask.
"""

from __future__ import annotations

import subprocess
import sys
import weakref

import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

from distributed.core import Status  # noqa: E402
from distributed.deploy.spec import SpecCluster, close_clusters  # noqa: E402

from weaklabel._dask import connect  # noqa: E402


class FakeProcess:
    """An ``AsyncProcess`` stand-in (``pid``, ``is_alive()``) over a real child process."""

    def __init__(self, popen: subprocess.Popen):
        self.popen = popen
        self.pid = popen.pid

    def is_alive(self) -> bool:
        return self.popen.poll() is None


class FakeNanny:
    def __init__(self, popen: subprocess.Popen | None = None):
        self.process = None if popen is None else type("WorkerProcess", (), {"process": FakeProcess(popen)})()
        self.graceful = 0

    def close_gracefully(self, reason: str = "") -> None:
        self.graceful += 1


class FakeLoopRunner:
    def __init__(self):
        self.stops = 0

    def stop(self, timeout=10):
        self.stops += 1


class FakeCluster:
    """A LocalCluster whose close fails as the interrupted start's did."""

    made: list = []
    close_error: BaseException = AssertionError("Status.init")
    init_error: BaseException | None = None
    popen: subprocess.Popen | None = None

    def __init__(self, *args, **kwargs):
        self.status = Status.running
        self.shutdown_on_close = True
        self.closes = 0
        self._loop_runner = FakeLoopRunner()
        self.workers = {0: FakeNanny(type(self).popen)}
        self._created = weakref.WeakSet(self.workers.values())
        SpecCluster._instances.add(self)   # what SpecCluster.__init__ does
        type(self).made.append(self)
        if type(self).init_error is not None:
            raise type(self).init_error

    def close(self, timeout=None):
        self.closes += 1
        raise type(self).close_error


class FakeClient:
    def __init__(self, cluster, *args, **kwargs):
        self.cluster = cluster
        self.closed = False

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    """The fake cluster class, patched in for connect(); a registry of its own, so that the
    atexit hook called here never touches a real cluster another test module keeps."""
    monkeypatch.setattr(SpecCluster, "_instances", weakref.WeakSet())
    monkeypatch.setattr(distributed, "LocalCluster", FakeCluster)
    monkeypatch.setattr(distributed, "Client", FakeClient)
    monkeypatch.setattr(FakeCluster, "made", [])
    return FakeCluster


def _left_to_atexit(cluster) -> bool:
    """Whether distributed's atexit hook would close ``cluster``; runs the hook to see that it does
    not raise and does not call close() again."""
    closes = cluster.closes
    try:
        close_clusters()
    except BaseException:  # noqa: BLE001 - at exit: "Exception ignored in atexit callback" and a traceback
        return True
    again = cluster.closes != closes
    return again or (cluster in SpecCluster._instances and cluster.status != Status.closed)


def test_a_failing_close_is_one_warning_line_and_not_retried_at_exit(fake, capsys):
    with connect(jobs=1) as c:
        assert isinstance(c, FakeClient)
    cluster = fake.made[0]
    assert c.closed and cluster.closes == 1
    assert not _left_to_atexit(cluster)
    assert cluster.status == Status.closed and cluster not in SpecCluster._instances
    assert cluster._loop_runner.stops == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("warning: the local Dask cluster did not close cleanly (AssertionError: Status.init)")


@pytest.mark.parametrize("error", [ValueError("the block's own error"), KeyboardInterrupt()])
def test_the_blocks_exception_propagates_unchanged(fake, capsys, error):
    with pytest.raises(type(error)) as caught:
        with connect(jobs=1):
            raise error
    assert caught.value is error
    cluster = fake.made[0]
    assert not _left_to_atexit(cluster)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    if isinstance(error, KeyboardInterrupt):
        assert err == ""        # a Ctrl-C: the CLI's "interrupted" is the only line
    else:
        assert len(err.splitlines()) == 1 and err.startswith("warning: the local Dask cluster"), err


def test_ctrl_c_during_the_close_of_a_finished_block_is_still_a_ctrl_c(fake, monkeypatch, capsys):
    monkeypatch.setattr(FakeCluster, "close_error", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        with connect(jobs=1):
            pass
    assert not _left_to_atexit(fake.made[0])
    assert capsys.readouterr().err == ""


def test_ctrl_c_while_the_cluster_starts_leaves_nothing_to_the_atexit_hook(fake, monkeypatch, capsys):
    """The reported failure: LocalCluster() itself interrupted, so connect() never got the cluster
    to close; the half-started cluster is the one that appeared in the registry."""
    monkeypatch.setattr(FakeCluster, "init_error", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        with connect(jobs=1):
            pytest.fail("the block must not run")
    cluster = fake.made[0]
    assert cluster.closes == 0
    assert not _left_to_atexit(cluster)
    assert cluster.closes == 0
    assert capsys.readouterr().err == ""


def test_the_worker_processes_are_stopped(fake, monkeypatch, capsys):
    popen = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        monkeypatch.setattr(FakeCluster, "popen", popen)
        with connect(jobs=1):
            pass
        assert popen.poll() is not None          # connect() waited for it to end
        assert fake.made[0].workers[0].graceful == 1   # its nanny was told not to restart it
        assert "its workers were stopped" in capsys.readouterr().err
    finally:
        if popen.poll() is None:
            popen.kill()
        popen.wait()


def test_a_cluster_without_distributeds_private_attributes(monkeypatch, capsys):
    """A future distributed without ``status``, ``_instances``, ``workers``, ``_loop_runner``:
    nothing more than the warning."""
    monkeypatch.setattr(SpecCluster, "_instances", weakref.WeakSet())

    class Bare:
        __slots__ = ()

        def __init__(self, *args, **kwargs):
            pass

        def close(self):
            raise RuntimeError("cannot close\nsecond line")

    monkeypatch.setattr(distributed, "LocalCluster", Bare)
    monkeypatch.setattr(distributed, "Client", FakeClient)
    with connect(jobs=1):
        pass
    err = capsys.readouterr().err
    assert err == ("warning: the local Dask cluster did not close cleanly (RuntimeError: cannot close); "
                   "its workers were stopped\n")
