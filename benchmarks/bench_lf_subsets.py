"""The default on real LF sets cut down to a few of their LFs (issue 12's "few sources", on real LFs).

A practitioner's first session has three to eight LFs, not the dozens of a finished WRENCH set.
Each WRENCH set of the shared data, and each blind keyword LF set of ``bench_unseen.py``, is cut
to ``m`` of its LFs drawn at random (``--sizes``, default 3, 5, 8 and 15; five draws each, seeds
0-4; sizes at or above the set's own number of LFs are skipped). The LFs, their mistakes and the
gold are real; only which LFs the user happened to write changes. The model is fitted without
labels on the set's fit rows (WRENCH: train; blind sets: every row) and scored on the gold rows
the drawn LFs cover (WRENCH: test): covered-row expected accuracy (ties broken at random), in
points over majority vote. Draws covering fewer than ``--min-rows`` scored rows are skipped and
counted.

With 100 gold rows (``--dev-draws``, default 3 draws of them, seeds 0-2): ``auto --dev`` on the same
subset, the gold rows drawn as in ``bench_robust_default.py`` (WRENCH: from the valid split, added
to the fit rows; blind sets: from the pool, which is then scored without them), against majority
vote and against the default fitted on the same rows without the labels.

Groups, as in ``split.json``: subsets of the tuning half's WRENCH sets (chemprot, sms,
tennis_flyingsquid, youtube) are tuning data, of the validation half's (semeval, spouse_cage, trec)
validation data; the blind LF sets of ``bench_unseen.py`` (imdb, yelp, trec, sms, youtube keyword
LFs) a third group (seen once, ``PROTOCOL.md`` §13). Added in the ninth session, with no rule
chosen on it: it is a check of the shipped default on a kind of input it was not built on.

Crowds too (``--no-crowds`` leaves them out): a small team of annotators. Every shared crowd set is
cut to ``m`` workers drawn from its ``2 m`` most active ones (sizes with fewer workers than that
are skipped) and to the items they answered, fitted on those items and scored on the ones with
gold; 100 gold rows are drawn among those (at most half of them), the rest scored. Groups by the
halves of ``split.json``; temp, wsd and weather_sentiment form a group of their own.

    python benchmarks/bench_lf_subsets.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from weaklabel import __version__
from weaklabel.bench import label_accuracy as la
from weaklabel.bench.datasets import list_crowd, list_wrench, resolve_data_dir
from weaklabel.bench.suites import reference_mv_proba
from weaklabel.models import MODELS
from weaklabel.votes import VoteMatrix

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_unseen as unseen
from bench_thinned_crowds import covered_points, gain_stats  # the same measure and figures

SPLIT = json.loads((HERE / "split.json").read_text())
#: shown models; ``auto:votes`` is the default with ``disagree_on="votes"`` (PROTOCOL.md §15)
MODELS_SHOWN = ("hybrid", "ds", "triplet", "auto", "auto:votes")


def fit_model(spec: str, vm: VoteMatrix, y: np.ndarray | None = None):
    """``spec`` is a model name, or ``auto:votes`` for ``auto`` with ``disagree_on="votes"``."""
    name, _, disagree_on = spec.partition(":")
    cls = MODELS[name]
    params = {"random_state": 0} if "random_state" in cls._param_names() else {}
    if disagree_on:
        params["disagree_on"] = disagree_on
    return cls(**params).fit(vm, y) if y is not None else cls(**params).fit(vm)


def covered(t: VoteMatrix, y: np.ndarray) -> tuple[VoteMatrix, np.ndarray]:
    """The scored rows with gold that at least one LF of the subset votes on."""
    rows = np.flatnonzero((y >= 0) & (t.votes_per_row() > 0))
    return t.take(rows), y[rows]


def run(lfset: LFSet, size: int, seed: int, min_rows: int, dev_draws: int) -> dict | None:
    lfs = np.sort(np.random.default_rng(seed).choice(lfset.candidates(size), size, replace=False)).tolist()
    if lfset.crowd:   # the team's project: the items its annotators answered
        lfset = lfset.restricted(lfs)
    f = lfset.fit.select_lfs(lfs)
    t, yy = covered(lfset.test.select_lfs(lfs), lfset.y)
    if yy.size < min_rows or f.nnz == 0:
        return None
    mv = covered_points(reference_mv_proba(t), yy)
    out = {"set": lfset.tag, "group": lfset.group, "size": size, "seed": seed, "lfs": [f.lf_names[j] for j in range(size)],
           "rows": int(yy.size), "mv": mv, "models": {}, "dev": []}
    for spec in MODELS_SHOWN:
        model = fit_model(spec, f)
        out["models"][spec] = covered_points(model.predict_proba(t), yy) - mv
        if spec.startswith("auto"):
            out[f"{spec}_choice"] = model.selection_["model"]
    for draw in range(dev_draws):
        fv, fy, tv, ty = lfset.dev_task(draw)
        fv, (tv, ty) = fv.select_lfs(lfs), covered(tv.select_lfs(lfs), ty)
        if ty.size < min_rows:
            continue
        mv_d = covered_points(reference_mv_proba(tv), ty)
        dev = fit_model("auto", fv, fy)
        free = fit_model("auto", fv)
        out["dev"].append({"draw": draw, "over_mv": covered_points(dev.predict_proba(tv), ty) - mv_d,
                           "free_over_mv": covered_points(free.predict_proba(tv), ty) - mv_d,
                           "choice": dev.selection_["choice"]})
    return out


class LFSet:
    """One LF set: fit votes, scored votes and gold, and how its 100 gold rows are drawn."""

    def __init__(self, tag: str, group: str, fit: VoteMatrix, test: VoteMatrix, y: np.ndarray, dataset=None,
                 crowd: bool = False):
        self.tag, self.group, self.fit, self.test, self.y, self.dataset = tag, group, fit, test, y, dataset
        self.crowd = crowd

    def candidates(self, size: int) -> np.ndarray:
        """The sources a subset of ``size`` is drawn from: every LF; for a crowd the ``2 size`` most
        active workers (a few workers drawn from hundreds would share almost no item: a small
        team of annotators who each label much of the data is the case worth checking)."""
        if not self.crowd:
            return np.arange(self.fit.n_lfs)
        per_worker = np.bincount(self.fit.indices, minlength=self.fit.n_lfs)
        return np.sort(np.argsort(-per_worker, kind="stable")[:2 * size])

    def restricted(self, lfs: list[int]) -> LFSet:
        """A crowd cut to the items the workers ``lfs`` answered (fit and scored on them; 100 gold
        rows then drawn among them, as a team with its own gold items would)."""
        rows = np.flatnonzero(self.fit.select_lfs(lfs).votes_per_row() > 0)
        vm = self.fit.take(rows)
        return LFSet(self.tag, self.group, vm, vm, self.y[rows], crowd=True)

    def dev_task(self, draw: int) -> tuple[VoteMatrix, np.ndarray, VoteMatrix, np.ndarray]:
        """Fit votes with 100 gold labels (-1 elsewhere), scored votes and their gold."""
        if self.crowd and self.dataset is None:   # a restricted crowd: gold from its items with gold
            pool = np.flatnonzero(self.y >= 0)
            gold = np.sort(np.random.default_rng(draw).choice(pool, min(100, pool.size // 2), replace=False))
            fy = np.full(self.fit.n_rows, -1, dtype=np.int64)
            fy[gold] = self.y[gold]
            rest = np.setdiff1d(pool, gold)
            return self.fit, fy, self.fit.take(rest), self.y[rest]
        if self.dataset is not None:   # WRENCH: the benchmark's own draw from the valid split
            d = la.dev_task(self.dataset, 100, draw)
            return d.fit_votes, d.fit_y, d.test_votes, d.test_y
        gold = np.sort(np.random.default_rng(draw).choice(self.fit.n_rows, 100, replace=False))
        fy = np.full(self.fit.n_rows, -1, dtype=np.int64)
        fy[gold] = self.y[gold]
        rest = np.setdiff1d(np.arange(self.fit.n_rows), gold)
        return self.fit, fy, self.fit.take(rest), self.y[rest]


def tasks(root: Path):
    """Every LF set (:class:`LFSet`)."""
    half = {s: h for h in ("tuning", "validation") for s in SPLIT[h]}
    for name in list_wrench(root):
        ds = la.load("wrench", name, root)
        known = ds.test.y >= 0
        yield LFSet(name, half.get(name, "outside the 17"), ds.train.votes, ds.test.votes.take(known),
                    ds.test.y[known], ds)
    blind = [("imdb (blind)", lambda: unseen.sentiment_votes(root, "imdb")),
             ("yelp (blind)", lambda: unseen.sentiment_votes(root, "yelp")),
             ("trec (blind)", lambda: unseen.trec_votes(root)), ("sms (blind)", lambda: unseen.sms_votes(root)),
             ("youtube (blind)", lambda: unseen.youtube_votes(root))]
    for tag, load in blind:
        vm, y = load()
        yield LFSet(tag, "blind LF sets", vm, vm, y)
    for name in list_crowd(root):
        ds = la.load("crowd", name, root)
        h = half.get(f"crowd_{name}")
        group = f"{h} crowds" if h else "crowds outside the 17"
        yield LFSet(f"crowd_{name}", group, ds.train.votes, ds.train.votes, ds.train.y, ds, crowd=True)


def summarise(rows: list[dict], sizes: list[int]) -> dict:
    groups = {}
    for g in ("tuning", "validation", "blind LF sets", "tuning crowds", "validation crowds", "crowds outside the 17"):
        for size in sizes + [None]:
            rs = [r for r in rows if r["group"] == g and (size is None or r["size"] == size)]
            if not rs:
                continue
            s = {"tasks": len(rs)}
            for m in MODELS_SHOWN:
                s[m] = gain_stats([r["models"][m] for r in rs])
            for m in MODELS_SHOWN:
                if m.startswith("auto"):
                    s[f"{m}_kept_majority"] = sum(r[f"{m}_choice"] == "majority" for r in rs)
            dev = [d for r in rs for d in r["dev"]]
            if dev:
                over_mv = np.array([d["over_mv"] for d in dev])
                over_free = np.array([d["over_mv"] - d["free_over_mv"] for d in dev])
                s["dev"] = {"tasks": len(dev), "mean": float(over_mv.mean()), "worst": float(over_mv.min()),
                            "below_0.5": int((over_mv < -0.5).sum()), "below_free_0.5": int((over_free < -0.5).sum()),
                            "worst_vs_free": float(over_free.min()),
                            "free_mean": float(np.mean([d["free_over_mv"] for d in dev]))}
            groups[f"{g}, {size if size is not None else 'all'} LFs"] = s
    return groups


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--sizes", default="3,5,8,15", help="LFs kept per draw (comma-separated)")
    ap.add_argument("--draws", type=int, default=5, help="random subsets per set and size (seeds 0..N-1)")
    ap.add_argument("--min-rows", type=int, default=30, help="skip draws covering fewer scored gold rows")
    ap.add_argument("--dev-draws", type=int, default=3, help="draws of 100 gold rows for `auto --dev` (0: none)")
    ap.add_argument("--no-crowds", action="store_true", help="LF sets only (no crowd sets cut to a few workers)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "lf_subsets")
    args = ap.parse_args()
    root = Path(resolve_data_dir(args.data_dir, required=True))
    sizes = [int(x) for x in args.sizes.split(",") if x]
    t0 = time.perf_counter()
    rows, skipped = [], []
    for lfset in tasks(root):
        if lfset.crowd and args.no_crowds:
            continue
        for size in sizes:
            if size >= lfset.fit.n_lfs or (lfset.crowd and 2 * size > lfset.fit.n_lfs):
                continue
            for seed in range(args.draws):
                r = run(lfset, size, seed, args.min_rows, args.dev_draws)
                if r is None:
                    skipped.append(f"{lfset.tag}/{size}/{seed}")
                    continue
                rows.append(r)
                dev = " ".join(f"{d['over_mv']:+.1f}" for d in r["dev"])
                print(f"{lfset.tag:<20} {size:>2} LFs draw {seed}  rows {r['rows']:>5}  MV {r['mv']:.1f}  " + "  ".join(
                    f"{m} {v:+.2f}" for m, v in r["models"].items()) + f"  (auto: {r['auto_choice']})  --dev {dev}",
                    flush=True)
    groups = summarise(rows, sizes)
    result = {"weaklabel_version": __version__, "python": platform.python_version(), "sizes": sizes,
              "draws": args.draws, "min_rows": args.min_rows, "dev_draws": args.dev_draws, "rows": rows, "skipped": skipped, "summary": groups,
              "seconds": time.perf_counter() - t0}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    autos = [m for m in MODELS_SHOWN if m.startswith("auto")]
    title = (f"Real LF sets cut to m of their LFs, and crowds to m of their most active workers "
             f"(`bench_lf_subsets.py`; {args.draws} random subsets per set and m): expected accuracy on the scored gold rows the subset covers, in points over majority "
             f"vote, no labels; `auto:votes` is the default with `-p disagree_on=votes` (PROTOCOL.md §15). "
             f"{len(skipped)} draws skipped (fewer than {args.min_rows} covered gold rows). weaklabel "
             f"{__version__}, Python {platform.python_version()}.")
    md = [title, "",
          "| group | tasks | " + " | ".join(f"{m} mean / worst / below -0.5" for m in MODELS_SHOWN)
          + " | majority vote kept by " + " / ".join(f"`{m}`" for m in autos) + " |",
          "|---|---:|" + "---:|" * len(MODELS_SHOWN) + "---:|"]
    for g, s in groups.items():
        md.append(f"| {g} | {s['tasks']} | " + " | ".join(
            f"{s[m]['mean']:+.2f} / {s[m]['worst']:+.2f} / {s[m]['below_0.5']}" for m in MODELS_SHOWN)
            + " | " + " / ".join(str(s[f"{m}_kept_majority"]) for m in autos) + " |")
    n_head = len(md)
    if args.dev_draws:
        md += ["", (f"With 100 gold rows (`auto --dev`, {args.dev_draws} draws of them per subset; the default without "
               "labels fitted on the same rows for comparison), points over majority vote on the scored covered rows:"),
               "", ("| group | set x draw tasks | no labels: mean | `--dev`: mean / worst | `--dev` more than 0.5 below "
               "MV | below the no-label default by more than 0.5 (worst) |"), "|---|---:|---:|---:|---:|---:|"]
        for g, s in groups.items():
            if "dev" in s:
                d = s["dev"]
                md.append(f"| {g} | {d['tasks']} | {d['free_mean']:+.2f} | {d['mean']:+.2f} / {d['worst']:+.2f} | "
                          f"{d['below_0.5']} | {d['below_free_0.5']} ({d['worst_vs_free']:+.2f}) |")
    md += ["", "| set | LFs | draw | rows | MV | " + " | ".join(MODELS_SHOWN) + " | "
           + " / ".join(f"`{m}`" for m in autos) + " chose | `--dev` over MV, per draw |",
           "|---|---:|---:|---:|---:|" + "---:|" * len(MODELS_SHOWN) + "---|---|"]
    for r in rows:
        md.append(f"| {r['set']} | {r['size']} | {r['seed']} | {r['rows']} | {r['mv']:.1f} | " + " | ".join(
            f"{r['models'][m]:+.2f}" for m in MODELS_SHOWN) + " | " + " / ".join(r[f"{m}_choice"] for m in autos)
            + " | " + " ".join(f"{d['over_mv']:+.1f}" for d in r["dev"]) + " |")
    args.out.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md[:n_head]))
    print(f"wrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.md')} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
