"""Every label model on the 17 shared sets of PEERS.md, with the peers' protocol.

Prints (and writes as JSON + markdown) test accuracy, macro-F1 and fit time of every model in
``weaklabel.models.MODELS`` on each set, next to textbook majority vote and the per-dataset best
peer from ``PEERS.md``; then the same with 100 gold dev rows (``fit(L, y)``: semi-supervised
models and ``auto``'s cross-validated selection). The protocol is in
``weaklabel.bench.label_accuracy``.

    python benchmarks/bench_label_accuracy.py --data-dir ../shared/data
    python benchmarks/bench_label_accuracy.py --models hybrid,auto --no-dev
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np

from weaklabel import __version__
from weaklabel.bench import label_accuracy as la
from weaklabel.bench.datasets import resolve_data_dir
from weaklabel.models import MODELS

HERE = Path(__file__).resolve().parent


def factory(name: str, seed: int):
    cls = MODELS[name]
    params = {"random_state": seed} if "random_state" in cls._param_names() else {}
    return lambda: cls(**params)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--dev-models", default="hybrid,ds,auto")
    ap.add_argument("--n-dev", type=int, default=100)
    ap.add_argument("--dev-seeds", type=int, default=3)
    ap.add_argument("--no-dev", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "label_accuracy")
    args = ap.parse_args()
    root = resolve_data_dir(args.data_dir, required=True)
    peers = la.read_peers(root / "PEERS.md") if (root / "PEERS.md").exists() else {}
    models = [m for m in args.models.split(",") if m]
    dev_models = [m for m in args.dev_models.split(",") if m] if not args.no_dev else []
    rows = []
    for suite, name in la.PEER_SETS:
        ds = la.load(suite, name, root)
        task = la.unsupervised_task(ds)
        row = {"set": la.set_name(suite, name), "mv": la.score(task, None)["accuracy"],
               "mv_expected": la.expected_mv_accuracy(task),
               "peer_mv": peers.get(la.set_name(suite, name), {}).get("MV"),
               "best_peer": peers.get(la.set_name(suite, name), {}).get("best peer"), "models": {}, "dev": {}}
        for m in models:
            row["models"][m] = la.score(task, factory(m, 0))
        for m in dev_models:
            res = [la.score(la.dev_task(ds, args.n_dev, s), factory(m, s), s) for s in range(args.dev_seeds)]
            mv_dev = [la.expected_mv_accuracy(la.dev_task(ds, args.n_dev, s)) for s in range(args.dev_seeds)]
            row["dev"][m] = {"accuracy": float(np.mean([r["accuracy"] for r in res])),
                             "macro_f1": float(np.mean([r["macro_f1"] for r in res])),
                             "mv_expected": float(np.mean(mv_dev))}
        rows.append(row)
        cells = "  ".join(f"{m} {row['models'][m]['accuracy']:.3f}" for m in models)
        print(f"{row['set']:<20} MV {row['mv']:.3f}  {cells}", flush=True)

    def col(m, key="accuracy", dev=False):
        return np.array([(r["dev"] if dev else r["models"])[m][key] for r in rows])

    mv = np.array([r["mv"] for r in rows])
    ref_mv = np.array([max(r["mv_expected"], r["peer_mv"] or 0) for r in rows])
    best = np.array([r["best_peer"] if r["best_peer"] is not None else np.nan for r in rows])
    summary = {"mean_mv": float(mv.mean()), "mean_best_peer": float(np.nanmean(best)), "models": {}, "dev": {}}
    for m in models:
        a = col(m)
        summary["models"][m] = {"mean_accuracy": float(a.mean()), "mean_macro_f1": float(col(m, "macro_f1").mean()),
                                "min_vs_mv": float((a - ref_mv).min()),
                                "worst_set": rows[int(np.argmin(a - ref_mv))]["set"],
                                "sets_below_mv_by_more_than_0.5pt": int(((a - ref_mv) < -0.005).sum()),
                                "total_fit_seconds": float(col(m, "fit_seconds").sum())}
    for m in dev_models:
        a = col(m, dev=True)
        mv_dev = np.array([r["dev"][m]["mv_expected"] for r in rows])
        summary["dev"][m] = {"mean_accuracy": float(a.mean()), "min_vs_mv": float((a - mv_dev).min())}

    # ---------------------------------------------------------------- markdown
    head = "| set | MV | PEERS MV | best peer | " + " | ".join(models) + " |"
    lines = [f"Label-model test accuracy on the 17 sets of PEERS.md (weaklabel {__version__}; "
             f"Python {platform.python_version()}). MV: textbook majority vote (random guess on "
             "rows without votes), tie-averaged (its expected accuracy; a single seeded draw moves by up to "
             "±3 points on the small sets); PEERS MV: the single draw PEERS.md reports; best peer: "
             "per-dataset best of Snorkel, FlyingSquid, crowd-kit and HyperLM from PEERS.md. Bold: below "
             "max(MV, PEERS MV) by more than 0.5 points.",
             "", head, "|" + "---|" * (4 + len(models))]
    for r, rm in zip(rows, ref_mv):
        cells = []
        for m in models:
            a = r["models"][m]["accuracy"]
            cells.append(f"**{a:.3f}**" if a < rm - 0.005 else f"{a:.3f}")
        lines.append(f"| {r['set']} | {r['mv_expected']:.3f} | {r['peer_mv'] if r['peer_mv'] is not None else '-'} | "
                     f"{r['best_peer'] if r['best_peer'] is not None else '-'} | " + " | ".join(cells) + " |")
    mv_exp = np.array([r["mv_expected"] for r in rows])
    peer_mv = np.array([r["peer_mv"] if r["peer_mv"] is not None else np.nan for r in rows])
    lines.append(f"| **mean** | {mv_exp.mean():.3f} | {np.nanmean(peer_mv):.3f} | {np.nanmean(best):.3f} | "
                 + " | ".join(f"**{summary['models'][m]['mean_accuracy']:.3f}**" for m in models) + " |")
    lines.append("| macro-F1 (mean) | | | | " + " | ".join(f"{summary['models'][m]['mean_macro_f1']:.3f}"
                                                    for m in models) + " |")
    lines.append("| min vs MV (pts) | | | | " + " | ".join(f"{100 * summary['models'][m]['min_vs_mv']:+.1f}"
                                                    for m in models) + " |")
    lines.append("| fit time, 17 sets | | | | " + " | ".join(f"{summary['models'][m]['total_fit_seconds']:.1f} s"
                                                      for m in models) + " |")
    if dev_models:
        lines += ["", f"With {args.n_dev} gold dev rows (mean over {args.dev_seeds} draws; scored rows exclude "
                  "the dev rows):", "", "| set | MV | " + " | ".join(f"{m} + dev" for m in dev_models) + " |",
                  "|" + "---|" * (2 + len(dev_models))]
        for r in rows:
            lines.append(f"| {r['set']} | {r['dev'][dev_models[0]]['mv_expected']:.3f} | "
                         + " | ".join(f"{r['dev'][m]['accuracy']:.3f}" for m in dev_models) + " |")
        lines.append("| **mean** | | " + " | ".join(f"**{summary['dev'][m]['mean_accuracy']:.3f}**"
                                                 for m in dev_models) + " |")
    md = "\n".join(lines) + "\n"
    print("\n" + md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"rows": rows, "summary": summary,
                                                         "weaklabel": __version__}, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(md)
    print(f"wrote {args.out.with_suffix('.json')} and .md")


if __name__ == "__main__":
    main()
