"""Label-model scaling: fit + predict time, peak memory and accuracy of every model in
``weaklabel.models.MODELS`` on synthetic one-coin Dawid-Skene votes.

Each LF j covers a row with probability ``c_j`` (uniform in 0.02..0.3) and, when it votes, is right
with probability ``a_j`` (uniform in 0.45..0.95: some LFs are near or below chance for K = 2),
otherwise it votes a uniformly random wrong class; classes are balanced. Accuracy is over all
rows (rows without votes count, ties broken at random), so weighting the better LFs pays. Every (model, K, m, n) runs in a fresh subprocess so that its peak RSS is its
own; the vote matrix is generated in the child in 100k-row chunks (CSR, never dense in full).

    python benchmarks/bench_models.py                       # n = 10^4, 10^5, 10^6; (K, m) = (2, 20), (2, 100), (5, 100)
    python benchmarks/bench_models.py --rows 10000,100000 --models majority --out /tmp/models.json

Writes ``results/models.json`` and ``results/models.md`` (a markdown table) next to this file.
New models appear automatically.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
import numpy as np
from weaklabel.models import MODELS
from weaklabel.votes import VoteMatrix, concat_csr, dense_to_csr
from weaklabel.models.base import break_ties

name, K, m, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(seed)
acc = rng.uniform(0.45, 0.95, m)
cov = rng.uniform(0.02, 0.3, m)
parts, ys = [], []
for start in range(0, n, 100_000):
    b = min(100_000, n - start)
    y = rng.integers(0, K, b)
    right = rng.random((b, m)) < acc
    wrong = (y[:, None] + rng.integers(1, K, (b, m))) % K
    L = np.where(right, y[:, None], wrong)
    L = np.where(rng.random((b, m)) < cov, L, -1).astype(np.int8)
    parts.append(dense_to_csr(L, K))
    ys.append(y)
    del L, right, wrong
indptr, indices, votes = concat_csr(parts, K)
del parts
vm = VoteMatrix(indptr, indices, votes, cardinality=K, n_lfs=m, validate=False)
y = np.concatenate(ys)
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cls = MODELS[name]
params = {"random_state": seed} if "random_state" in cls._param_names() else {}
t0 = time.perf_counter()
model = cls(**params).fit(vm)
t_fit = time.perf_counter() - t0
proba = model.predict_proba(vm)
t_all = time.perf_counter() - t0
pred = break_ties(np.asarray(proba, dtype=float), "random", seed)
covered = vm.votes_per_row() > 0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"model": name, "K": K, "m": m, "n": n, "fit_seconds": t_fit, "fit_predict_seconds": t_all,
                  "peak_rss_mib": peak / 1024, "data_rss_mib": base_rss / 1024,
                  "accuracy": float((pred == y).mean()), "accuracy_covered": float((pred[covered] == y[covered]).mean()),
                  "coverage": float(covered.mean())}))
"""


def run(name: str, K: int, m: int, n: int, seed: int, timeout: float) -> dict:
    try:
        r = subprocess.run([sys.executable, "-c", CHILD, name, str(K), str(m), str(n), str(seed)],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"model": name, "K": K, "m": m, "n": n, "error": f"over {timeout:.0f} s"}
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        return {"model": name, "K": K, "m": m, "n": n, "error": last[:200]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def markdown(rows: list[dict]) -> str:
    lines = ["| model | K | m | n | fit + predict | peak RSS (before fit) | accuracy | acc. on covered |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['K']} | {r['m']} | {r['n']:,} | {r['error']} | | | |")
            continue
        lines.append(f"| {r['model']} | {r['K']} | {r['m']} | {r['n']:,} | {r['fit_predict_seconds']:.3f} s | "
                     f"{r['peak_rss_mib']:.0f} MiB ({r['data_rss_mib']:.0f}) | {r['accuracy']:.3f} | "
                     f"{r['accuracy_covered']:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    from weaklabel import __version__
    from weaklabel.models import MODELS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="10000,100000,1000000", help="comma-separated n")
    ap.add_argument("--shapes", default="2x20,2x100,5x100", help="comma-separated KxM")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated model names")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "models.json")
    args = ap.parse_args()
    shapes = [tuple(int(v) for v in s.lower().split("x")) for s in args.shapes.split(",")]
    rows = []
    for name in args.models.split(","):
        for K, m in shapes:
            for n in (int(v) for v in args.rows.split(",")):
                r = run(name, K, m, n, args.seed, args.timeout)
                rows.append(r)
                msg = r.get("error") or (f"{r['fit_predict_seconds']:.3f} s, {r['peak_rss_mib']:.0f} MiB, "
                                         f"acc {r['accuracy']:.3f}")
                print(f"{name:<12} K={K} m={m:<4} n={n:>9,}: {msg}", flush=True)
    summary = {"weaklabel": __version__, "python": platform.python_version(), "platform": platform.platform(),
               "cores": len(os.sched_getaffinity(0)), "seed": args.seed, "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    md = args.out.with_suffix(".md")
    md.write_text(f"Label-model scaling (synthetic one-coin votes; {summary['cores']} cores, "
                  f"weaklabel {__version__}, Python {summary['python']})\n\n" + markdown(rows))
    print(f"wrote {args.out} and {md}")


if __name__ == "__main__":
    main()
