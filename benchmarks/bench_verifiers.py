"""Verifier-selection protocol: Select@1 of ``weaklabel select`` on simulated pools and the bench
suites, against the baselines and the oracle-weighted ensemble (see VERIFIERS_PROTOCOL.md).

    python benchmarks/bench_verifiers.py --split tuning                 # pools methods were chosen on
    python benchmarks/bench_verifiers.py --split validation             # first validation set
    python benchmarks/bench_verifiers.py --split fresh                  # second, fresh validation set (report)
    python benchmarks/bench_verifiers.py --split suites                 # weaklabel bench's verifier suites
    python benchmarks/bench_verifiers.py --split tuning-suites          # the same suites at tuning seeds
    python benchmarks/bench_verifiers.py --split final                  # third validation set (round 2)
    python benchmarks/bench_verifiers.py --split tuning --rules none,question,prior   # pooling rules, one fit
    python benchmarks/bench_verifiers.py --split tuning --param families=none   # a variant (tuning only)
    python benchmarks/bench_verifiers.py --split suites --param pool_centre=none --diagnostic   # explain a result

Prints one table per split (one row per pool and seed, then the means and the targets) and
writes ``benchmarks/results/verifiers/protocol_<split>[_<variant>].json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import pandas as pd

from weaklabel.bench.verifier_protocol import PROTOCOL_METHODS, score_pool
from weaklabel.bench.verifiers import generate_suite
from weaklabel.verifiers.simulate import make_pool, pool_configs

OUT = Path(__file__).parent / "results" / "verifiers"
SHORT = {"select, no labels": "select", "select, 5% dev": "select+dev", "mean score": "mean",
         "majority answer": "majority", "best single verifier": "best1", "oracle-weighted": "oracle",
         "pass@k": "pass@k"}


def units(split: str):
    if split in ("tuning", "validation", "fresh", "final"):
        for name, seed, cfg in pool_configs(split):
            pool = make_pool(seed, name, **cfg)
            yield name, seed, pool.table, pool.verifier_names, {"true_families": [
                list(pool.verifiers.verifier[pool.verifiers.family == f]) for f in sorted(set(pool.verifiers.family) - {-1})]}
    elif split in ("suites", "tuning-suites"):
        # the bench report uses seeds 0-2; the tuning seeds are others
        for name in ("math", "mcq", "judges"):
            for seed in ((0, 1) if split == "suites" else (100, 101)):
                su = generate_suite(name, seed)
                yield name, seed, su.table, su.verifier_names, {}
    else:
        raise SystemExit(f"unknown split {split!r}")


def summarise(df: pd.DataFrame) -> dict:
    best_base = df[["mean score", "majority answer"]].max(axis=1)
    return {"mean": {m: float(df[m].mean()) for m in PROTOCOL_METHODS},
            "gap_no_labels_vs_oracle": float((df["select, no labels"] - df["oracle-weighted"]).mean()),
            "gap_dev_vs_oracle": float((df["select, 5% dev"] - df["oracle-weighted"]).mean()),
            "min_margin_over_baselines": float((df["select, no labels"] - best_base).min()),
            "pools_above_both_baselines": int((df["select, no labels"] > best_base).sum()), "pools": int(len(df))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="tuning", choices=["tuning", "tuning-suites", "validation", "fresh", "final", "suites"])
    ap.add_argument("--rules", default="", help="pool_centre values scored from the same fits (comma-separated)")
    ap.add_argument("--param", action="append", default=[], help="selector parameter NAME=VALUE (variants)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--diagnostic", action="store_true",
                    help="allow a variant on a report split (to explain a result, never to choose)")
    args = ap.parse_args(argv)
    params = {}
    for item in args.param:
        k, v = item.split("=", 1)
        try:
            params[k] = json.loads(v)
        except json.JSONDecodeError:
            params[k] = v
    rules = [r for r in args.rules.split(",") if r]
    if (params or rules) and not args.split.startswith("tuning") and not args.diagnostic:
        print("variants are compared on the tuning split only (the protocol)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    rows = []
    for name, seed, table, names, extra in units(args.split):
        r = score_pool(table, names, seed, selector_params=params, rules=rules)
        r.update(pool=name, seed=seed, **extra)
        rows.append(r)
        print(f"{name:16s} {seed:5d} " + "  ".join(f"{SHORT[m]} {r[m]:.3f}" for m in PROTOCOL_METHODS)
              + f"  families {len(r['families_found'])}  icc {r['answer_icc'] or 0:.2f}  fit {r['fit_seconds']:.1f}s",
              flush=True)
        if rules:
            print("    rules (no labels / dev): " + "  ".join(
                f"{x} {r[f'select, no labels [{x}]']:.3f}/{r[f'select, 5% dev [{x}]']:.3f}" for x in rules)
                + f"  between-question share {r['between_question_share']:.2f}  balance {r['class_balance']:.2f}",
                flush=True)
    df = pd.DataFrame(rows)
    summ = summarise(df)
    print("\nmean   " + "  ".join(f"{SHORT[m]} {summ['mean'][m]:.3f}" for m in PROTOCOL_METHODS))
    print(f"select (no labels) - oracle: {100 * summ['gap_no_labels_vs_oracle']:+.1f} points; "
          f"select (5% dev) - oracle: {100 * summ['gap_dev_vs_oracle']:+.1f} points; "
          f"above both baselines on {summ['pools_above_both_baselines']}/{summ['pools']} pools "
          f"(smallest margin {100 * summ['min_margin_over_baselines']:+.1f} points)")
    args.out.mkdir(parents=True, exist_ok=True)
    tag = re.sub(r"[^A-Za-z0-9_.=-]+", "-", "_".join([f"{k}-{v}" for k, v in params.items()]
                                                    + (["rules-" + "-".join(rules)] if rules else []))).strip("-")
    path = args.out / (f"protocol_{args.split}" + (f"_{tag}" if tag else "") + ("_diagnostic" if args.diagnostic else "")
                       + ".json")
    clean = json.loads(df.to_json(orient="records"))
    path.write_text(json.dumps({"split": args.split, "params": params, "seconds": time.perf_counter() - t0,
                                "summary": summ, "rows": clean}, indent=1) + "\n")
    for x in rules:
        best_base = df[["mean score", "majority answer"]].max(axis=1)
        d0 = df[f"select, no labels [{x}]"] - best_base
        print(f"rule {x:10s} no labels {df[f'select, no labels [{x}]'].mean():.4f}  "
              f"dev {df[f'select, 5% dev [{x}]'].mean():.4f}  not below baselines {(d0 >= 0).sum()}/{len(df)}  "
              f"above {(d0 > 0).sum()}/{len(df)}  min margin {100 * d0.min():+.1f}")
    print(f"wrote {path} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
