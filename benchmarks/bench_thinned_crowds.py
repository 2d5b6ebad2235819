"""The default on real crowds asked for fewer answers an item (issue 12's sparse crowds, on real workers).

Many crowdsourcing jobs collect three or five answers an item; most shared crowd sets have more.
Each crowd set of the shared data is *thinned*: every item keeps ``k`` of its answers, drawn at
random (``--k``, default 2, 3, 4, 5 and 8; three draws each, seeds 0-2; sets whose median item
already has ``k`` answers or fewer are skipped for that ``k``). The workers, their mistakes and
the gold are real; only the redundancy changes. Every item with gold and at least one answer left
is scored: covered-row expected accuracy (ties broken at random), in points over majority vote,
without labels. Each row is a new vote matrix, fitted from scratch.

Halves, as in ``split.json``: tasks thinned from the tuning half's crowd sets (bluebird, cf, dog,
rte, sp) are tuning data, those from the validation half's (cf_amt, sp_amt, trec, web,
zencrowd_all) validation data, and temp, wsd and weather_sentiment (outside the 17) a third
group. Added in the eighth session (``PROTOCOL.md`` §15), where it showed that the default's
disagreement statistic (``disagree_on="rows"``) sends it back to majority vote on most crowds with
three answers an item; ``auto:votes`` is ``disagree_on="votes"``, ``auto:rows`` ``disagree_on="rows"``
(the default before §26, which takes ``"votes"`` with at most 4 answers an item over 3+ classes).

    python benchmarks/bench_thinned_crowds.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from weaklabel import __version__
from weaklabel.bench.datasets import list_crowd, load_crowd_dataset, resolve_data_dir
from weaklabel.bench.suites import reference_mv_proba
from weaklabel.models import MODELS
from weaklabel.simulate import thin_votes
from weaklabel.votes import VoteMatrix

HERE = Path(__file__).resolve().parent
SPLIT = json.loads((HERE / "split.json").read_text())
#: shown models; ``auto:votes`` / ``auto:rows`` are the default with ``disagree_on="votes"`` /
#: ``"rows"`` (PROTOCOL.md §15, §26)
MODELS_SHOWN = ("hybrid", "ds", "auto", "auto:votes", "auto:rows")


def covered_points(proba: np.ndarray, y: np.ndarray, rows: np.ndarray | None = None) -> float:
    """Expected accuracy (random ties) on ``rows`` (default: all), in percent."""
    p, yy = (proba, y) if rows is None else (proba[rows], y[rows])
    top = p >= p.max(axis=1, keepdims=True) - 1e-9
    return 100.0 * float((top[np.arange(yy.size), yy] / top.sum(axis=1)).mean())


def gain_stats(gains) -> dict:
    """Mean, worst and number below -0.5 of points over majority vote (the tables' three figures)."""
    v = np.asarray(gains, dtype=float)
    return {"mean": float(v.mean()), "worst": float(v.min()), "below_0.5": int((v < -0.5).sum())}


def half_of(name: str) -> str:
    tag = f"crowd_{name}"
    return "tuning" if tag in SPLIT["tuning"] else "validation" if tag in SPLIT["validation"] else "outside the 17"


def run(name: str, vm: VoteMatrix, y: np.ndarray, k: int, seed: int) -> dict:
    t = thin_votes(vm, k, seed)
    rows = np.flatnonzero((y >= 0) & (t.votes_per_row() > 0))
    mv = covered_points(reference_mv_proba(t), y, rows)
    out = {"set": name, "half": half_of(name), "k": k, "seed": seed, "rows": int(rows.size), "mv": mv, "models": {}}
    for m in MODELS_SHOWN:
        name, _, disagree_on = m.partition(":")
        cls = MODELS[name]
        params = {"random_state": 0} if "random_state" in cls._param_names() else {}
        if disagree_on:
            params["disagree_on"] = disagree_on
        model = cls(**params).fit(t)
        out["models"][m] = covered_points(model.predict_proba(t), y, rows) - mv
        if name == "auto":
            out[f"{m}_choice"] = model.selection_["model"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--k", default="2,3,4,5,8", help="answers kept per item (comma-separated)")
    ap.add_argument("--draws", type=int, default=3, help="random thinnings per set and k (seeds 0..N-1)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "thinned_crowds")
    args = ap.parse_args()
    root = resolve_data_dir(args.data_dir, required=True)
    ks = [int(x) for x in args.k.split(",") if x]
    t0 = time.perf_counter()
    rows = []
    for name in list_crowd(root):
        ds = load_crowd_dataset(name, root)
        vm, y = ds.train.votes, ds.train.y
        for k in ks:
            if np.median(vm.votes_per_row()) <= k:
                continue
            for seed in range(args.draws):
                r = run(name, vm, y, k, seed)
                rows.append(r)
                print(f"{name:<18} k={k} draw {seed}  MV {r['mv']:.1f}  " + "  ".join(
                    f"{m} {v:+.2f}" for m, v in r["models"].items()) + f"  (auto: {r['auto_choice']})", flush=True)
    groups = {}
    for h in ("tuning", "validation", "outside the 17"):
        for k in ks + [None]:
            rs = [r for r in rows if r["half"] == h and (k is None or r["k"] == k)]
            if not rs:
                continue
            g = {"tasks": len(rs)}
            for m in MODELS_SHOWN:
                g[m] = gain_stats([r["models"][m] for r in rs])
            g["auto_kept_majority"] = sum(r["auto_choice"] == "majority" for r in rs)
            g["auto:votes_kept_majority"] = sum(r["auto:votes_choice"] == "majority" for r in rs)
            g["auto:rows_kept_majority"] = sum(r["auto:rows_choice"] == "majority" for r in rs)
            groups[f"{h}, k={k if k is not None else 'all'}"] = g
    result = {"weaklabel_version": __version__, "python": platform.python_version(), "k": ks, "draws": args.draws,
              "rows": rows, "summary": groups, "seconds": time.perf_counter() - t0}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    title = (f"Real crowd sets thinned to k answers an item (`bench_thinned_crowds.py`; {args.draws} random draws "
             f"per set and k): covered-row expected accuracy in points over majority vote, no labels; `auto:votes` "
             f"and `auto:rows` are the default with `-p disagree_on=votes` and `rows` (PROTOCOL.md §15, §26; "
             f"the default takes `votes` with at most 4 answers an item over 3+ classes). weaklabel "
             f"{__version__}, Python {platform.python_version()}.")
    md = [title, "",
          "| group | tasks | " + " | ".join(f"{m} mean / worst / below -0.5" for m in MODELS_SHOWN)
          + " | majority vote kept by `auto` / `auto:votes` / `auto:rows` |",
          "|---|---:|" + "---:|" * len(MODELS_SHOWN) + "---:|"]
    for g, s in groups.items():
        md.append(f"| {g} | {s['tasks']} | " + " | ".join(
            f"{s[m]['mean']:+.2f} / {s[m]['worst']:+.2f} / {s[m]['below_0.5']}" for m in MODELS_SHOWN)
            + f" | {s['auto_kept_majority']} / {s['auto:votes_kept_majority']} / {s['auto:rows_kept_majority']} |")
    md += ["", "| set | k | draw | rows | MV | " + " | ".join(MODELS_SHOWN) + " | `auto` / `auto:votes` / `auto:rows` chose |",
           "|---|---:|---:|---:|---:|" + "---:|" * len(MODELS_SHOWN) + "---|"]
    for r in rows:
        md.append(f"| {r['set']} | {r['k']} | {r['seed']} | {r['rows']} | {r['mv']:.1f} | " + " | ".join(
            f"{r['models'][m]:+.2f}" for m in MODELS_SHOWN) + f" | {r['auto_choice']} / {r['auto:votes_choice']} / {r['auto:rows_choice']} |")
    args.out.with_suffix(".md").write_text("\n".join(md) + "\n")
    print(f"wrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
