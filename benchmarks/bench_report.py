"""Report benchmark: `weaklabel report` on a large votes file: wall time, peak memory, page size.

    python benchmarks/bench_report.py --rows 10_000_000 --lfs 100 --dir /big
    python benchmarks/bench_report.py --rows 1_000_000 --lfs 100 --dir /tmp/rep --labels --gold
    python benchmarks/bench_report.py --rows 20_000 --lfs 3000 --crowd 9 --dir /tmp/rep

The votes come from ``bench_scale.py``'s generator (LF coverages 5-50%, accuracies 55-95%,
written once and reused). ``--labels`` also fits a majority-vote model (streamed) and passes
its labels.parquet; ``--crowd A`` makes the votes a sparse crowd instead (``--lfs`` workers, 4 classes,
about ``A`` answers an item: ``weaklabel.simulate.simulate_votes``); ``--gold`` passes a gold table for 100,000 rows (matched by position).
The report runs in a subprocess whose process-tree RSS is sampled; results are appended to
``benchmarks/results/report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scale import TreeSampler, _env, _record, generate_votes

DEFAULT_JSON = HERE / "results" / "report.json"


def measure(cmd: list[str]) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeSampler(proc.pid) as sampler:
        out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{err[-3000:]}")
    return time.perf_counter() - t0, sampler.peak, err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--lfs", type=int, default=100)
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--labels", action="store_true", help="fit majority vote (streamed) and pass --labels")
    ap.add_argument("--gold", action="store_true", help="pass gold labels for 100,000 rows")
    ap.add_argument("--crowd", type=float, default=None, metavar="ANSWERS",
                    help="a sparse crowd: --lfs workers, 4 classes, about ANSWERS answers an item")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    votes = args.dir / f"votes_{args.rows}x{args.lfs}{f'_crowd{args.crowd:g}' if args.crowd else ''}.parquet"
    if args.crowd and not votes.exists():
        from weaklabel.simulate import simulate_votes

        share = args.crowd / args.lfs
        simulate_votes(args.rows, args.lfs, K=4, coverage=(share / 2, share * 1.5), seed=0).votes.to_parquet(votes)
    if not votes.exists():
        g = generate_votes(votes, args.rows, args.lfs)
        print(f"generated {votes} ({g['bytes'] / 1e6:,.0f} MB) in {g['seconds']:.0f} s", flush=True)
    cmd = [sys.executable, "-m", "weaklabel", "report", str(votes), "-o", str(args.dir / "report.html"), "--force"]
    fit_s = None
    if args.labels:
        labels = args.dir / f"labels_{args.rows}x{args.lfs}.parquet"
        fit_s, _, _ = measure([sys.executable, "-m", "weaklabel", "fit", str(votes), "-o", str(labels), "--force",
                               "--model", "majority", "--stream", "-q"])
        cmd += ["--labels", str(labels)]
    if args.gold:
        import pandas as pd

        rng = np.random.default_rng(0)
        y = np.full(args.rows, np.nan)
        idx = rng.choice(args.rows, size=min(100_000, args.rows), replace=False)
        y[idx] = rng.integers(0, 2, idx.size)
        gold = args.dir / f"gold_{args.rows}.parquet"
        pd.DataFrame({"label": pd.array(np.where(np.isnan(y), pd.NA, y), dtype="Int8")}).to_parquet(gold)
        cmd += ["--gold", str(gold)]
    wall, peak, err = measure(cmd)
    size = (args.dir / "report.html").stat().st_size
    entry = {"command": "report", "rows": args.rows, "lfs": args.lfs, "crowd_answers": args.crowd,
             "labels": args.labels, "gold": args.gold,
             "wall_seconds": round(wall, 1), "peak_rss_tree_mib": round(peak / 2**20),
             "report_bytes": size, "votes_bytes": votes.stat().st_size,
             "fit_seconds": round(fit_s, 1) if fit_s else None, "env": _env()}
    print(json.dumps(entry, indent=2))
    _record(args.json, entry)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
