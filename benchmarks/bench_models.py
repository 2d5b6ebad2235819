"""Label-model speed, memory and accuracy on synthetic votes drawn from a known Dawid-Skene model.

Data: ``weaklabel.simulate.simulate_votes`` (one-coin: each LF covers a row with probability
``c_j`` ~ U(0.1, 0.5) and is right with probability ``a_j`` ~ U(0.55, 0.9), errors spread evenly,
balanced classes; the same generator the tests use). For every (model, K, m, n) a fresh
subprocess:

1. warms up on a smaller matrix (~500k votes, so that the kernels' threaded twins run too: Numba
   compilation, or loading the on-disk cache; reported as ``warmup`` and not counted),
2. generates the votes in row blocks (CSR, never dense),
3. times ``fit`` and ``predict_proba`` and records the process's peak RSS,
4. scores accuracy against the true labels (all rows; ties broken at random) and the largest
   error of the recovered per-LF accuracies.

With ``--peers`` (needs ``benchmarks/requirements-peers.txt`` in the same environment), Snorkel's
``LabelModel`` (n_epochs=500, seed 0), crowd-kit's ``DawidSkene`` (n_iter=100) and FlyingSquid
(binary only) run on the same votes, each in its own subprocess (the peer code is shared with
``bench_label_accuracy.py`` in ``benchmarks/peers.py``), and the table shows weaklabel's speed-up
over each, measured in the same run.

    python benchmarks/bench_models.py                        # K in {2,5}, m in {20,100}, n up to 10^6
    python benchmarks/bench_models.py --rows 1000000 --shapes 2x100 --peers
    python benchmarks/bench_models.py --rows 10000000 --shapes 2x100 --models hybrid,ds,majority,triplet,mc

With ``--baseline-src DIR`` (an older checkout's ``src``, e.g. ``git worktree add /tmp/old <commit>``)
the ``--baseline-models`` also run from that code, alternating with the current code in every
repeat, and a table gives each current model's time over each baseline model's: how a speed goal
stated against an earlier version ("within 2x of hybrid") is checked in one run, on one machine.
``--repeats N`` reports the median of N runs of every model.

    python benchmarks/bench_models.py --rows 1000000 --shapes 2x100 --models hybrid,auto \
        --baseline-src /tmp/old/src --baseline-models hybrid --repeats 3 --out /tmp/speed_vs_old.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers import run_json  # noqa: E402  (benchmarks/peers.py, next to this script)

CHILD = r"""
import json, resource, sys, time
import numpy as np
name, K, m, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
from weaklabel.simulate import simulate_votes
from weaklabel.models.base import break_ties

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

out = {"model": name, "K": K, "m": m, "n": n}
if not name.startswith("peer:"):
    from weaklabel.models import MODELS
    cls = MODELS[name]
    params = {"random_state": seed} if "random_state" in cls._param_names() else {}
    t0 = time.perf_counter()
    # big enough (~500k votes, several row blocks) for the kernels' threaded twins to run as well
    # as their serial ones: both are compiled or loaded here, none inside the timed fit
    warm_rows = min(n, max(500, int(500_000 / (0.3 * m))))
    tiny = simulate_votes(warm_rows, m, K, coverage=(0.1, 0.5), seed=seed + 1)
    cls(**params).fit(tiny.votes).predict_proba(tiny.votes)
    out["warmup_seconds"] = time.perf_counter() - t0
sim = simulate_votes(n, m, K, coverage=(0.1, 0.5), accuracy=(0.55, 0.9), seed=seed, block=100_000)
vm, y = sim.votes, sim.y
out["nnz"] = vm.nnz
out["data_rss_mib"] = rss()
if name.startswith("peer:"):
    sys.path.insert(0, sys.argv[6])
    from peers import fit_predict
    res = fit_predict(name[5:], vm, vm, np.arange(n))
    proba = res["proba"]
    out["fit_seconds"] = res["fit_seconds"]
    out["predict_seconds"] = res["predict_seconds"]
else:
    t0 = time.perf_counter()
    model = cls(**params).fit(vm)
    t1 = time.perf_counter()
    proba = model.predict_proba(vm)
    out["fit_seconds"] = t1 - t0
    out["predict_seconds"] = time.perf_counter() - t1
    acc = getattr(model, "accuracies_", None)
    if acc is not None:
        out["accuracy_error"] = float(np.nanmax(np.abs(np.asarray(acc) - sim.accuracies)))
pred = break_ties(np.asarray(proba, dtype=float), "random", seed)
out["accuracy"] = float((pred == y).mean())
out["peak_rss_mib"] = rss()
import weaklabel
out["weaklabel_file"] = weaklabel.__file__
print(json.dumps(out))
"""

PEERS = {"snorkel": "Snorkel LabelModel", "crowdkit": "crowd-kit DawidSkene", "flyingsquid": "FlyingSquid"}


BASELINE = "@baseline"


def run(name: str, K: int, m: int, n: int, seed: int, timeout: float, baseline_src: Path | None = None) -> dict:
    """One model in a fresh subprocess; ``name@baseline`` imports weaklabel from ``baseline_src``."""
    env = None
    model = name
    if name.endswith(BASELINE):
        model = name[: -len(BASELINE)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(baseline_src),
                                                                         os.environ.get("PYTHONPATH", "")])))
    r = run_json(["-c", CHILD, model, str(K), str(m), str(n), str(seed), str(HERE)], timeout, env=env)
    if "status" in r:
        return {"model": name, "K": K, "m": m, "n": n, "error": r["error"]}
    if env is not None and not Path(r["weaklabel_file"]).resolve().is_relative_to(Path(baseline_src).resolve()):
        return {"model": name, "K": K, "m": m, "n": n,
                "error": f"imported weaklabel from {r['weaklabel_file']}, not from --baseline-src"}
    return dict(r, model=name)


def median_run(runs: list[dict]) -> dict:
    """The run with the median fit + predict time (the lower of the two middle ones for an even
    count), with every run's total kept (``totals``). A model that failed in any repeat is reported
    as failed (its first error, and how many of the repeats failed): a median over the repeats
    that happened to pass would look like a clean figure."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return dict(failed[0], error=f"{failed[0]['error']} ({len(failed)} of {len(runs)} runs failed)")
    ok = sorted(runs, key=lambda r: r["fit_seconds"] + r["predict_seconds"])
    return dict(ok[(len(ok) - 1) // 2], totals=[round(r["fit_seconds"] + r["predict_seconds"], 4) for r in runs])


def fmt(r: dict) -> str:
    if "error" in r:
        return f"| {r['model']} | {r['K']} | {r['m']} | {r['n']:,} | {r['error']} | | | | | | |"
    total = r["fit_seconds"] + r["predict_seconds"]
    warm = f"{r['warmup_seconds']:.2f} s" if "warmup_seconds" in r else "-"
    err = f"{r['accuracy_error']:.3f}" if "accuracy_error" in r else "-"
    return (f"| {r['model']} | {r['K']} | {r['m']} | {r['n']:,} | {r['fit_seconds']:.3f} s | {r['predict_seconds']:.3f} s "
            f"| **{total:.3f} s** | {r['peak_rss_mib']:,.0f} MiB | {r['accuracy']:.4f} | {err} | {warm} |")


def main() -> None:
    from weaklabel import __version__
    from weaklabel.models import MODELS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="10000,100000,1000000", help="comma-separated n")
    ap.add_argument("--shapes", default="2x20,2x100,5x20,5x100", help="comma-separated KxM")
    ap.add_argument("--models", default=",".join(m for m in MODELS if m != "auto"), help="comma-separated models")
    ap.add_argument("--peers", action="store_true", help="also run Snorkel, crowd-kit and FlyingSquid if installed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "models.json")
    ap.add_argument("--baseline-src", type=Path, help="an older version's src directory to compare with")
    ap.add_argument("--baseline-models", default="hybrid", help="comma-separated models to run from --baseline-src")
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs per model; the median is reported (the lower middle one for an even number)")
    args = ap.parse_args()
    shapes = [tuple(int(v) for v in s.lower().split("x")) for s in args.shapes.split(",")]
    names = [x for x in args.models.split(",") if x]
    if args.baseline_src:
        if not (args.baseline_src / "weaklabel" / "__init__.py").is_file():
            ap.error(f"--baseline-src {args.baseline_src}: no weaklabel package there")
        names += [f"{x}{BASELINE}" for x in args.baseline_models.split(",") if x]
    if args.peers:
        names += [f"peer:{p}" for p in PEERS]
    rows = []
    for K, m in shapes:
        for n in (int(v) for v in args.rows.split(",")):
            runs: dict[str, list[dict]] = {}
            for _ in range(max(1, args.repeats)):   # alternate models within a repeat: same load for each
                for name in names:
                    if name == "peer:flyingsquid" and K != 2:
                        continue
                    runs.setdefault(name, []).append(run(name, K, m, n, args.seed, args.timeout, args.baseline_src))
            for name, rs in runs.items():
                r = median_run(rs)
                rows.append(r)
                msg = r.get("error") or (f"fit {r['fit_seconds']:.3f} s + predict {r['predict_seconds']:.3f} s, "
                                         f"{r['peak_rss_mib']:.0f} MiB, acc {r['accuracy']:.4f}")
                print(f"{name:<18} K={K} m={m:<4} n={n:>10,}: {msg}", flush=True)
    # speed-ups against the peers measured in this run
    ratios = []
    for r in rows:
        if "error" in r or not r["model"].startswith("peer:"):
            continue
        peer_total = r["fit_seconds"] + r["predict_seconds"]
        for w in rows:
            if ("error" in w or w["model"].startswith("peer:") or w["model"].endswith(BASELINE)
                    or (w["K"], w["m"], w["n"]) != (r["K"], r["m"], r["n"])):
                continue
            ours = w["fit_seconds"] + w["predict_seconds"]
            ratios.append({"model": w["model"], "peer": PEERS[r["model"][5:]], "K": r["K"], "m": r["m"], "n": r["n"],
                           "speedup": peer_total / ours, "memory_ratio": r["peak_rss_mib"] / w["peak_rss_mib"],
                           "accuracy": w["accuracy"], "peer_accuracy": r["accuracy"]})
    # time over the baseline version's, same run (the speed goals stated against an earlier version)
    against = []
    for b in rows:
        if "error" in b or not b["model"].endswith(BASELINE):
            continue
        for w in rows:
            if ("error" in w or w["model"].endswith(BASELINE) or w["model"].startswith("peer:")
                    or (w["K"], w["m"], w["n"]) != (b["K"], b["m"], b["n"])):
                continue
            against.append({"model": w["model"], "baseline": b["model"], "K": b["K"], "m": b["m"], "n": b["n"],
                            "ratio": (w["fit_seconds"] + w["predict_seconds"])
                            / (b["fit_seconds"] + b["predict_seconds"])})
    summary = {"weaklabel": __version__, "python": platform.python_version(), "platform": platform.platform(),
               "cores": len(os.sched_getaffinity(0)), "seed": args.seed, "repeats": args.repeats,
               "baseline_src": str(args.baseline_src) if args.baseline_src else None,
               "results": rows, "ratios": ratios, "against_baseline": against}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    lines = [f"Label models on synthetic one-coin Dawid-Skene votes (coverage U(0.1, 0.5), accuracy "
             f"U(0.55, 0.9), balanced classes); {summary['cores']} cores, weaklabel {__version__}, Python "
             f"{summary['python']}. fit + predict excludes the warm-up (Numba compile or cache load), shown "
             "last; acc. error = largest |estimated - true| LF accuracy.", "",
             "| model | K | m | n | fit | predict | fit + predict | peak RSS | accuracy | acc. error | warm-up |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [fmt(r) for r in rows]
    if ratios:
        lines += ["", "Speed-up of weaklabel (fit + predict) over each peer on the same votes, same run:", "",
                  "| model | peer | K | m | n | speed-up | peer peak RSS / ours | accuracy (ours / peer) |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {q['model']} | {q['peer']} | {q['K']} | {q['m']} | {q['n']:,} | {q['speedup']:.1f}x | "
                  f"{q['memory_ratio']:.1f}x | {q['accuracy']:.4f} / {q['peer_accuracy']:.4f} |" for q in ratios]
    if against:
        lines += ["", f"Time (fit + predict, median of {args.repeats}) over the baseline version's "
                  f"(`{args.baseline_src}`), same votes, same run:", "",
                  "| model | baseline | K | m | n | ratio |", "|---|---|---:|---:|---:|---:|"]
        lines += [f"| {q['model']} | {q['baseline']} | {q['K']} | {q['m']} | {q['n']:,} | {q['ratio']:.2f}x |"
                  for q in against]
    failed = [r["model"] for r in rows if "error" in r]
    if failed and (against or ratios):
        lines += ["", f"No ratio for {', '.join(failed)}: failed (see the table above)."]
    md = "\n".join(lines) + "\n"
    args.out.with_suffix(".md").write_text(md)
    print("\n" + md)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
