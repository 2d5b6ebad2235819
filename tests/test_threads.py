"""Kernel threading: serial twins on small inputs, the same bytes with threads, the user's cap."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from weaklabel import threads
from weaklabel._jit import ParallelKernel
from weaklabel.errors import InputError
from weaklabel.models import _kernels as nk
from weaklabel.models.stats import flat_table
from weaklabel.simulate import simulate_votes


def _kernel_calls(vm, blocks):
    """Every public kernel wrapper with arguments, by the parallel kernel it runs."""
    m, K = vm.n_lfs, vm.cardinality
    a = (vm.indptr, vm.indices, vm.votes)
    rng = np.random.default_rng(0)
    D = flat_table(rng.normal(size=(m, K, K)))
    pw, base, base0 = rng.random(m), rng.normal(size=K), rng.normal(size=K)
    y = np.where(rng.random(vm.n_rows) < 0.1, rng.integers(0, K, vm.n_rows), -1).astype(np.int64)
    compact = np.arange(m, dtype=np.int64)
    L = vm.to_dense().T.copy()
    codes = (vm.indices.astype(np.int64) * K + vm.votes).astype(np.int32)
    lf_of = np.repeat(np.arange(m, dtype=np.int64), K)
    return {
        "rows_csr": [(nk.em_pass, a + (D, pw, base, base0, y, blocks)),
                     (nk.posterior, a + (D, pw, base, base0, blocks))],
        "pairs_csr": [(nk.pair_counts, a + (m, K, blocks))],
        "error_pairs": [(nk.error_pair_stats, a + (D, pw, base, base0, compact, m, blocks))],
        "rows_dense": [(nk.em_pass_dense, (L, D, pw, base, base0, blocks))],
        "pairs_dense": [(nk.pair_counts_dense, (L, K, blocks))],
        "rows_codes": [(nk.em_pass_codes, (vm.indptr, codes, lf_of, D, pw, base, base0, blocks))],
        "pairs_codes": [(nk.pair_counts_codes, (vm.indptr, codes, m * K, blocks))],
    }


def test_every_parallel_kernel_is_covered():
    vm = simulate_votes(50, 4, 3, seed=0).votes
    kernels = {name for name, obj in vars(nk).items() if isinstance(obj, ParallelKernel)}
    assert kernels == set(_kernel_calls(vm, 2))


# compiled here (a cold cache), a parallel kernel whose prange loop has a second exit (a raise, a
# return) silently runs serially: Numba only warns
@pytest.mark.filterwarnings("error::numba.core.errors.NumbaPerformanceWarning")
def test_threads_give_the_serial_twins_bytes(monkeypatch):
    """Forced through the thread pool (threshold 0, 2 threads, 5 blocks), every kernel returns
    exactly what its serial twin returns."""
    vm = simulate_votes(3000, 6, 3, coverage=(0.3, 0.8), seed=1).votes
    for name, calls in _kernel_calls(vm, 5).items():
        kern = getattr(nk, name)
        for wrapper, args in calls:
            with threads.num_threads(1):
                serial = wrapper(*args)
            monkeypatch.setattr(kern, "min_work", 0)
            calls_seen = []
            monkeypatch.setattr(kern, "parallel", _Spy(kern.parallel, calls_seen))
            with threads.num_threads(2):
                par = wrapper(*args)
            assert calls_seen, f"{name} did not run in threads"
            monkeypatch.undo()
            _same(serial, par)


def _same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


class _Spy:
    def __init__(self, disp, seen):
        self.disp, self.seen = disp, seen

    def __call__(self, *args):
        self.seen.append(1)
        return self.disp(*args)

    def __getattr__(self, name):   # the rest of the dispatcher (``signatures``, when a CLI test left on_compile set)
        return getattr(self.disp, name)


def test_threads_for_rules(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    monkeypatch.setattr(threads, "_cores", lambda: 8)
    assert threads.threads_for(1, 1e12, 10) == 1          # one block: serial
    assert threads.threads_for(16, 5, 10) == 1            # below the threshold: serial
    assert threads.threads_for(3, 1e12, 10) == 3          # never more threads than blocks
    assert threads.threads_for(16, 1e12, 10) == 8         # all cores
    monkeypatch.setenv(threads.ENV, "2")
    assert threads.threads_for(16, 1e12, 10) == 2
    with threads.num_threads(1):
        assert threads.threads_for(16, 1e12, 10) == 1     # the override beats the environment
    assert threads.get_num_threads() == 2
    monkeypatch.setenv(threads.ENV, "64")
    assert threads.get_num_threads() == 8                 # capped at Numba's pool
    monkeypatch.setenv(threads.ENV, "two")
    with pytest.raises(InputError, match="WEAKLABEL_NUM_THREADS"):
        threads.get_num_threads()
    with pytest.raises(InputError):
        threads.set_num_threads(-1)


def test_small_fit_compiles_and_starts_nothing_parallel(tmp_path):
    """A small fit and prediction of the default model runs only serial twins: no parallel
    kernel is compiled (or loaded) and Numba's thread pool is never started."""
    code = (
        "from weaklabel.models import AutoModel, _kernels as nk\n"
        "from weaklabel._jit import ParallelKernel\n"
        "from weaklabel.simulate import simulate_votes\n"
        "vm = simulate_votes(2000, 10, seed=0).votes\n"
        "AutoModel().fit(vm).predict_proba(vm)\n"
        "from numba.np.ufunc import parallel as p\n"
        "ks = [k for k in vars(nk).values() if isinstance(k, ParallelKernel)]\n"
        "print(sum(bool(k.parallel.signatures) for k in ks), sum(bool(k.serial.signatures) for k in ks),"
        " bool(getattr(p, '_is_initialized', False)))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ))
    n_parallel, n_serial, pool = res.stdout.split()
    assert n_parallel == "0" and int(n_serial) >= 2 and pool == "False"


def test_a_bad_thread_count_in_the_environment_is_refused_by_every_command(tmp_path, monkeypatch):
    # the kernels read WEAKLABEL_NUM_THREADS only on inputs large enough for threads: a small run
    # accepted "abc" without a word
    from typer.testing import CliRunner

    from weaklabel.cli import app

    votes = tmp_path / "votes.parquet"
    pd.DataFrame({"a": [0, 1, -1], "b": [0, 1, 1]}).to_parquet(votes)
    monkeypatch.setenv("WEAKLABEL_NUM_THREADS", "abc")
    for args in (["analyze", votes], ["fit", votes, "-o", tmp_path / "l.parquet"]):
        r = CliRunner().invoke(app, [str(a) for a in args])
        assert r.exit_code == 1 and "WEAKLABEL_NUM_THREADS must be a whole number" in r.stderr, r.output
    assert not (tmp_path / "l.parquet").exists()


def test_a_numba_pool_of_zero_threads_is_one_line_not_a_traceback(tmp_path):
    """``NUMBA_NUM_THREADS=0`` makes ``import numba`` raise a bare ValueError: every command ended
    in a traceback before it ran. Now one ``error:`` line and exit 1 (the CLI checks before Numba
    is imported), and an InputError from Python."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_NUM_THREADS="0")
    r = subprocess.run([sys.executable, "-m", "weaklabel", "fit", str(tmp_path / "none.parquet"), "-o",
                        str(tmp_path / "l.parquet")], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and r.stderr.startswith("error: NUMBA_NUM_THREADS")
    code = ("import numpy as np, weaklabel\n"
            "try:\n    weaklabel.MajorityVote().fit(np.array([[0, 1], [1, 1]]))\n"
            "except weaklabel.InputError as e:\n    print('InputError', e)\n")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("InputError NUMBA_NUM_THREADS must be at least 1"), r.stdout + r.stderr
