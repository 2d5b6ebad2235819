"""Label-model fits on an idle machine and with one core kept busy by another process.

Why: Numba's parallel kernels wake a thread pool on every call; when another program keeps a
core busy, a woken thread can wait a scheduler slice before it runs, and a fit makes hundreds
of calls. This benchmark times ``fit`` + ``predict_proba`` of the default model on simulated
votes (``weaklabel.simulate.simulate_votes``: m LFs, coverage U(0.1, 0.5), accuracy
U(0.55, 0.9), K = 2) at several sizes, each in a fresh subprocess (warm Numba cache, one warm-up
fit on a tiny matrix not counted, median of ``--reps`` timed fits):

* ``idle``: nothing else started by the benchmark (other users of the machine are not stopped:
  the load average is recorded);
* ``busy``: a subprocess spinning a pure-Python loop (one core) runs during the fit; idle and
  busy fits alternate (the spinner is paused with SIGSTOP in between), so that a drift in the
  machine's other load hits both alike. The spinner runs in a session of its own, as another
  program (a browser, an editor's indexer) does: Linux's scheduler (``autogroup``) shares the CPU
  between sessions first, so a spinner started in the fit's own session takes half of whatever
  share that session gets and, on a machine other users keep loaded, halves the speed of *any*
  single-threaded program, Numba or not (``--same-session`` measures that; the ``serial`` run
  below shows the same floor);

for the current dispatch (``new``: serial twins below each kernel's threshold, never more
threads than row blocks, OpenMP threads wait passively) and, with ``--legacy``, the dispatch
before it (``legacy``: every call of a parallel kernel goes through Numba's thread pool with all
threads and libgomp's default spin-waiting, as weaklabel 0.1 did; the parallel kernels are
today's, prange-only, so ``legacy`` is if anything faster than 0.1 was).
A third run (``serial``) has every thread pool at one thread (Numba, BLAS, OpenMP): its busy/idle
ratio is what any single-threaded program sees on the machine, the floor for ``new``.
The targets of issue 14: with one core busy, 10^3-10^5-row fits take at most 1.5x their idle
time, and 10^6-row fits keep at least 90% of the legacy idle speed.

With ``--before-src DIR`` (a source tree of an earlier commit, e.g. ``git archive HEAD src | tar
-x -C /tmp/before``), a ``before`` run times that code as it is (idle and busy), to compare speeds.

With ``--baseline-src DIR`` (a source tree of the commit before issue 14, e.g.
``git archive 1129d91 src | tar -x -C /tmp/old``, then ``--baseline-src /tmp/old/src``), ``legacy``
is that code itself rather than an emulation.

``--cold`` also times the README Quickstart's ``apply``/``analyze``/``fit`` commands with an empty
``NUMBA_CACHE_DIR`` (the first run after install) and again warm.

    python benchmarks/bench_threads.py --legacy --cold           # the figures in the README
    python benchmarks/bench_threads.py --rows 1000,100000 --reps 5

Results: a table on stdout and ``benchmarks/results/bench_threads.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = r"""
import json, os, signal, subprocess, sys, time
import numpy as np
mode, model, m, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sizes = [int(x) for x in sys.argv[5].split(",")]
own_session = sys.argv[6] == "own"
import numba
try:
    from weaklabel._jit import ParallelKernel
except ImportError:    # --baseline-src: the code before issue 14 runs as it was
    ParallelKernel = None
if mode == "legacy" and ParallelKernel is not None:   # emulated: every kernel through the pool
    ParallelKernel.threads = lambda self, *args: numba.config.NUMBA_NUM_THREADS
    if os.environ.get("OMP_WAIT_POLICY") == "PASSIVE":
        del os.environ["OMP_WAIT_POLICY"]   # libgomp's default wait policy (it is not loaded yet)
from weaklabel.models import make_model
from weaklabel.simulate import simulate_votes
tiny = simulate_votes(500, m, seed=1).votes
make_model(model).fit(tiny).predict_proba(tiny)            # warm-up: cache loads, not timed
# the spinner is paused (SIGSTOP) while timing "idle" and resumed for "busy"; the two alternate
# rep by rep, so that a change in the machine's other load affects both alike
spinner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"], start_new_session=own_session)
os.kill(spinner.pid, signal.SIGSTOP)
rows = []
try:
    for n in sizes:
        vm = simulate_votes(n, m, seed=0, block=100_000).votes
        times = {"idle": [], "busy": []}
        for _ in range(reps):
            for load in ("idle", "busy"):
                os.kill(spinner.pid, signal.SIGCONT if load == "busy" else signal.SIGSTOP)
                time.sleep(0.05)
                t0 = time.perf_counter()
                make_model(model).fit(vm).predict_proba(vm)
                times[load].append(time.perf_counter() - t0)
        os.kill(spinner.pid, signal.SIGSTOP)
        rows.append({"n": n, "nnz": int(vm.nnz), "idle": float(np.median(times["idle"])),
                     "busy": float(np.median(times["busy"])), "all": times})
finally:
    spinner.kill()
    spinner.wait()
print(json.dumps(rows))
"""

SPIN = "while True:\n    pass\n"

KERNELS = r"""
import json, os, signal, subprocess, sys, time
import numpy as np
m, reps = int(sys.argv[1]), int(sys.argv[2])
sizes = [int(x) for x in sys.argv[3].split(",")]
from weaklabel.models import _kernels as nk
from weaklabel.models.stats import flat_table, n_blocks
from weaklabel.simulate import simulate_votes
from weaklabel.threads import num_threads
K = 2
own_session = sys.argv[4] == "own"
spinner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"], start_new_session=own_session)
os.kill(spinner.pid, signal.SIGSTOP)
rows = []
try:
    for n in sizes:
        vm = simulate_votes(n, m, seed=0, block=100_000).votes
        a = (vm.indptr, vm.indices, vm.votes)
        D = flat_table(np.random.default_rng(0).normal(size=(m, K, K)))
        pw, base, y = np.ones(m), np.zeros(K), -np.ones(n, dtype=np.int64)
        compact = np.arange(m, dtype=np.int64)
        b = max(2, n_blocks(vm.nnz))
        # (the parallel kernel, the call that runs it)
        calls = {"em_pass": (nk.rows_csr, nk.em_pass, a + (D, pw, base, base, y, b)),
                 "posterior": (nk.rows_csr, nk.posterior, a + (D, pw, base, base, b)),
                 "pair_counts": (nk.pairs_csr, nk.pair_counts, a + (m, K, b)),
                 "error_pair_stats": (nk.error_pairs, nk.error_pair_stats, a + (D, pw, base, base, compact, m, b))}
        for name, (kern, call, args) in calls.items():
            saved, kern.min_work = kern.min_work, 0
            t = {}
            try:
                for threads in (1, 2):
                    with num_threads(threads):
                        call(*args)                      # compile / load, not timed
                        for load in ("idle", "busy"):
                            t[(threads, load)] = []
                        for _ in range(reps):
                            for load in ("idle", "busy"):
                                os.kill(spinner.pid, signal.SIGCONT if load == "busy" else signal.SIGSTOP)
                                time.sleep(0.02)
                                t0 = time.perf_counter()
                                call(*args)
                                t[(threads, load)].append(time.perf_counter() - t0)
                        os.kill(spinner.pid, signal.SIGSTOP)
            finally:
                kern.min_work = saved
            rows.append({"kernel": name, "n": n, "nnz": int(vm.nnz), "work": float(kern.work(*args[:2])),
                         "min_work": kern.min_work, "blocks": b,
                         **{f"{'serial' if th == 1 else 'parallel'}_{ld}": float(np.median(v))
                            for (th, ld), v in t.items()}})
finally:
    spinner.kill()
    spinner.wait()
print(json.dumps(rows))
"""


def run_child(mode: str, model: str, m: int, reps: int, sizes: list[int], baseline: str | None = None,
              session: str = "own", before: str | None = None) -> list[dict]:
    env = dict(os.environ)
    if mode == "before":   # an earlier tree as it is
        env["PYTHONPATH"] = os.pathsep.join([before, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if mode == "legacy" and baseline:
        env["PYTHONPATH"] = os.pathsep.join([baseline, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env.pop("OMP_WAIT_POLICY", None)
    if mode == "serial":   # the floor: no thread anywhere (Numba, BLAS, OpenMP)
        env.update(NUMBA_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-c", CHILD, mode, model, str(m), str(reps), ",".join(map(str, sizes)),
                          session],
                         capture_output=True, text=True, check=False, env=env)
    if res.returncode != 0:
        sys.exit(f"benchmark child failed ({mode}):\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


QUICKSTART = [
    ("apply", ["apply", "examples/reviews/lfs.py", "examples/reviews/reviews.parquet", "-o", "{tmp}/votes.parquet",
               "--id-col", "review_id", "--force", "--json"]),
    ("analyze", ["analyze", "{tmp}/votes.parquet", "--gold", "examples/reviews/reviews.parquet", "--label-col",
                 "label", "--json"]),
    ("fit", ["fit", "{tmp}/votes.parquet", "-o", "{tmp}/labels.parquet", "--force", "--json"]),
]


def quickstart(cache_dir: str, busy: bool, steps=("apply", "analyze", "fit"), session: str = "own") -> dict:
    """Wall-clock seconds of the Quickstart commands ``steps`` with ``NUMBA_CACHE_DIR=cache_dir``,
    and whether each printed the compile notice."""
    exe = Path(sys.executable).with_name("weaklabel")
    cmd0 = [str(exe)] if exe.exists() else [sys.executable, "-m", "weaklabel"]
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = {}
    spinner = subprocess.Popen([sys.executable, "-c", SPIN], start_new_session=session == "own") if busy else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, args in QUICKSTART:
                if name not in steps:
                    continue
                t0 = time.perf_counter()
                c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                res = subprocess.run(cmd0 + [a.format(tmp=tmp) for a in args], cwd=ROOT, env=env,
                                     capture_output=True, text=True, check=False)
                c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                out[name] = round(time.perf_counter() - t0, 2)
                # CPU seconds of the command: its wall time on an idle machine (compiling is serial)
                out[name + "_cpu"] = round(c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime, 2)
                if res.returncode != 0:
                    sys.exit(f"quickstart {name} failed:\n{res.stderr}")
                if name == "fit":
                    out["fit_seconds_printed"] = json.loads(res.stdout)["fit_seconds"]
                out[name + "_compiling_note"] = "compiling (first run only)" in res.stderr
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="1000,10000,100000,1000000")
    ap.add_argument("--lfs", type=int, default=10)
    ap.add_argument("--model", default="auto")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--legacy", action="store_true", help="also time the dispatch before issue 14")
    ap.add_argument("--baseline-src", default=None, metavar="DIR",
                    help="--legacy runs this source tree's weaklabel (e.g. `git archive <commit> src | tar -x` "
                         "before issue 14) instead of emulating the old dispatch")
    ap.add_argument("--before-src", default=None, metavar="DIR",
                    help="also time this source tree as it is (`before`; e.g. `git archive HEAD src | tar -x`)")
    ap.add_argument("--same-session", action="store_true",
                    help="start the busy spinner in the benchmark's own session (it then shares the fit's scheduler "
                         "group: see the module docstring)")
    ap.add_argument("--cold", action="store_true", help="also time the Quickstart with an empty Numba cache")
    ap.add_argument("--kernels", default=None, metavar="ROWS",
                    help="also time each parallel kernel serial vs 2 threads at these row counts (the thresholds)")
    ap.add_argument("--no-fits", action="store_true", help="skip the fit timings (with --cold / --kernels)")
    ap.add_argument("--out", default=str(HERE / "results" / "bench_threads.json"))
    args = ap.parse_args()
    sizes = [int(x) for x in args.rows.split(",")]
    modes = ["new", "serial", "legacy"] if args.legacy else ["new", "serial"]
    if args.before_src:
        args.before_src = str(Path(args.before_src).resolve())
        modes.append("before")
    session = "same" if args.same_session else "own"
    import numba

    if args.baseline_src:
        args.baseline_src = str(Path(args.baseline_src).resolve())
    result = {"baseline_src": args.baseline_src, "machine": {"cpus": os.cpu_count(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
                          "numba": numba.__version__, "python": platform.python_version(),
                          "load_avg_start": os.getloadavg()},
              "model": args.model, "lfs": args.lfs, "reps": args.reps, "spinner_session": session,
              "before_src": args.before_src, "runs": {}}
    for mode in modes if not args.no_fits else []:
        print(f"timing {mode} dispatch, idle and busy ...", file=sys.stderr, flush=True)
        result["runs"][mode] = run_child(mode, args.model, args.lfs, args.reps, sizes, args.baseline_src, session,
                                         args.before_src)
    if args.kernels:
        print("timing kernels serial vs parallel ...", file=sys.stderr, flush=True)
        res = subprocess.run([sys.executable, "-c", KERNELS, str(args.lfs), str(args.reps), args.kernels, session],
                             capture_output=True, text=True, check=False)
        if res.returncode != 0:
            sys.exit(f"kernel benchmark failed:\n{res.stderr}")
        result["kernels"] = json.loads(res.stdout.strip().splitlines()[-1])
    if args.cold:
        for busy in (False, True):
            key = f"quickstart_{'busy' if busy else 'idle'}"
            print(f"quickstart cold/warm, {'busy' if busy else 'idle'} ...", file=sys.stderr, flush=True)
            caches = [tempfile.mkdtemp(prefix="numba-cold-") for _ in range(2)]
            try:
                result[key] = {"cold": quickstart(caches[0], busy, session=session),
                               "warm": quickstart(caches[0], busy, session=session),
                               # `fit` as the first command to compile the label-model kernels
                               "fit_first": quickstart(caches[1], busy, ("apply", "fit"), session=session)}
            finally:
                for c in caches:
                    shutil.rmtree(c, ignore_errors=True)
    result["machine"]["load_avg_end"] = os.getloadavg()

    hdr = (f"{'rows':>9} {'votes':>10} | {'idle s':>8} {'busy s':>8} {'busy/idle':>9} | "
           f"{'1-thread busy/idle':>18}")
    if args.legacy:
        hdr += f" | {'legacy idle':>11} {'legacy busy':>11} {'busy/idle':>9} | {'new vs legacy idle':>18}"
    if args.before_src:
        hdr += f" | {'before idle':>11} {'before busy':>11} | {'new vs before idle':>18}"
    print(hdr)
    checks = []
    for i, n in enumerate(sizes if result["runs"] else []):
        r = result["runs"]["new"][i]
        idle, busy = r["idle"], r["busy"]
        ratio = busy / idle
        fl = result["runs"]["serial"][i]
        line = (f"{n:>9,} {r['nnz']:>10,} | {idle:>8.3f} {busy:>8.3f} {ratio:>8.2f}x | "
                f"{fl['busy'] / fl['idle']:>17.2f}x")
        if n <= 100_000:
            checks.append((f"{n:,} rows busy/idle <= 1.5", ratio <= 1.5))
        if args.legacy:
            li, lb = result["runs"]["legacy"][i]["idle"], result["runs"]["legacy"][i]["busy"]
            speed = li / idle
            line += f" | {li:>11.3f} {lb:>11.3f} {lb / li:>8.2f}x | {speed:>17.2f}x"
            if n >= 1_000_000:
                checks.append((f"{n:,} rows idle speed >= 0.9 x legacy", speed >= 0.9))
                checks.append((f"{n:,} rows busy speed >= 0.9 x legacy idle",
                               li / busy >= 0.9))
        if args.before_src:
            bi, bb = result["runs"]["before"][i]["idle"], result["runs"]["before"][i]["busy"]
            line += f" | {bi:>11.3f} {bb:>11.3f} | {bi / idle:>17.2f}x"
            if n >= 1_000_000:
                checks.append((f"{n:,} rows idle speed >= 0.9 x before", bi / idle >= 0.9))
        print(line)
    if "kernels" in result:
        print(f"\n{'kernel':<17} {'votes':>10} {'work':>12} {'threshold':>10} | {'serial idle':>11} {'2 thr idle':>10}"
              f" | {'serial busy':>11} {'2 thr busy':>10}  (ms)")
        for r in result["kernels"]:
            print(f"{r['kernel']:<17} {r['nnz']:>10,} {r['work']:>12,.0f} {r['min_work']:>10,.0f} | "
                  f"{1e3 * r['serial_idle']:>11.2f} {1e3 * r['parallel_idle']:>10.2f} | "
                  f"{1e3 * r['serial_busy']:>11.2f} {1e3 * r['parallel_busy']:>10.2f}")
    for k in ("quickstart_idle", "quickstart_busy"):
        if k in result:
            q = result[k]
            print(f"{k}: cold {q['cold']}\n    warm {q['warm']}\n    fit as the first to compile {q['fit_first']}")
            checks.append((f"{k}: first fit (cold) < 5 s", q["fit_first"]["fit"] < 5.0))
            # its CPU seconds: the wall time on an idle 2-core machine (compiling is serial)
            checks.append((f"{k}: first fit (cold) < 5 CPU s", q["fit_first"]["fit_cpu"] < 5.0))
    result["checks"] = {name: bool(ok) for name, ok in checks}
    for name, ok in checks:
        print(f"  [{'ok' if ok else 'MISSED'}] {name}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
