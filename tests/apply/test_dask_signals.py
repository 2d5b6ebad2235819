"""apply --engine dask on its own LocalCluster: Ctrl-C and LFs that raise KeyboardInterrupt.

The workers of the LocalCluster that ``weaklabel._dask.connect`` starts ignore Ctrl-C (its
``dask_setup`` preload), as the local engine's workers do. Skipped without Dask.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

KBI_LFS = '''
from weaklabel import ABSTAIN, labeling_function
CLASSES = ["neg", "pos"]

@labeling_function
def kb(x):
    if x.text == "bad":
        raise KeyboardInterrupt
    return 1 if "good" in x.text else ABSTAIN
'''

SLOW_LFS = '''
import time
from weaklabel import ABSTAIN, labeling_function
CLASSES = ["neg", "pos"]

@labeling_function
def slow(x):
    time.sleep(0.02)
    return 1 if "good" in x.text else ABSTAIN
'''


def _cli(*args, **kw):
    return [sys.executable, "-m", "weaklabel", *map(str, args)]


def test_lf_keyboard_interrupt_is_counted_like_local(tmp_path: Path):
    """An LF raising KeyboardInterrupt under --on-error abstain: an error of that LF (local:
    counted), not a worker killed on every worker and "a Dask worker died ... out of memory?"."""
    (tmp_path / "lfs.py").write_text(KBI_LFS)
    pd.DataFrame({"id": [1, 2, 3, 4], "text": ["good", "bad", "meh", "good"]}).to_parquet(tmp_path / "d.parquet")
    outs = {}
    for engine in ("local", "dask"):
        out = tmp_path / f"v_{engine}"
        r = subprocess.run(_cli("apply", "lfs.py", "d.parquet", "-o", out, "--id-col", "id", "--on-error", "abstain",
                                "--engine", engine, "-j", 1 if engine == "local" else 2, "--json"),
                           cwd=tmp_path, capture_output=True, text=True, timeout=240)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr, r.stderr
        outs[engine] = json.loads(r.stdout)["lfs"][0]
        outs[engine + "_votes"] = pd.read_parquet(out)
    assert outs["dask"]["errors"] == outs["local"]["errors"] == 1
    pd.testing.assert_frame_equal(outs["dask_votes"], outs["local_votes"])


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups")
def test_ctrl_c_to_the_process_group_is_one_line_and_leaves_nothing(tmp_path: Path):
    """A terminal's Ctrl-C reaches every process of the group: the workers used to print a
    KeyboardInterrupt traceback each."""
    def running_partitions(proc) -> None:
        deadline = time.time() + 120
        while time.time() < deadline and not any(p.name.startswith(".votes") for p in tmp_path.iterdir()):
            time.sleep(0.2)
        time.sleep(3)   # the workers are running partitions

    proc = _ctrl_c_ends_cleanly(tmp_path, running_partitions, "--batch-size", 10, "--partition-rows", 20)
    left = True
    for _ in range(100):   # no worker left in the group (the resource tracker ends last)
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            left = False
            break
        time.sleep(0.1)
    assert not left, subprocess.run(["ps", "-o", "pid,stat,cmd", "-g", str(proc.pid)], capture_output=True,
                                    text=True).stdout


def _worker_processes(pid: int) -> list:
    """The LocalCluster's worker processes under ``pid`` (multiprocessing spawns them)."""
    import psutil   # a dependency of distributed

    try:
        return [c for c in psutil.Process(pid).children(recursive=True)
                if "--multiprocessing-fork" in " ".join(c.cmdline())]
    except psutil.Error:
        return []


@pytest.mark.skipif(not hasattr(os, "killpg") or not hasattr(signal, "pthread_sigmask"), reason="process groups")
@pytest.mark.parametrize("delay", [0.1, 0.2, 0.3])
def test_ctrl_c_while_the_workers_start_is_one_line(tmp_path: Path, delay: float):
    """A Ctrl-C in the second a worker spends importing Dask, before its preload ignores SIGINT:
    that worker printed its own KeyboardInterrupt traceback (a yaml or import frame) after
    "interrupted" on 5 of 6 runs at 0.2 s. The workers now start with SIGINT blocked."""
    def workers_starting(proc) -> None:
        deadline = time.time() + 120
        while time.time() < deadline and not _worker_processes(proc.pid) and proc.poll() is None:
            time.sleep(0.005)
        assert proc.poll() is None, proc.communicate()
        time.sleep(delay)

    _ctrl_c_ends_cleanly(tmp_path, workers_starting)


def _ctrl_c_ends_cleanly(tmp_path: Path, wait, *options) -> subprocess.Popen:
    """Run `apply --engine dask -j 2` on a slow LF in its own process group, ``wait(proc)``, send
    the group a Ctrl-C: exit 130, one line, no traceback, nothing written. Returns the process."""
    (tmp_path / "lfs.py").write_text(SLOW_LFS)
    pd.DataFrame({"text": ["good", "bad"] * 400}).to_parquet(tmp_path / "d.parquet")
    proc = subprocess.Popen(_cli("apply", "lfs.py", "d.parquet", "-o", "votes", "--engine", "dask", "-j", 2, *options),
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait(proc)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.parquet", "lfs.py"]
    return proc
