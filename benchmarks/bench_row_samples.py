"""The default on few rows: every shared set cut to a random sample of its rows.

A practitioner's first votes may cover a few hundred rows, not the thousands of a finished set.
Each set of ``bench_lf_subsets.tasks`` (the WRENCH sets, the blind keyword LF sets of
``bench_unseen.py`` and the crowd sets) keeps a random ``f`` of its fit rows (``--fractions``,
default 3%, 10% and 30%; at least ``--min-sample`` rows; three draws each, seeds 0-2; a sample as
large as the set is skipped). The model is fitted without labels on the sample and scored on the
gold rows with votes: WRENCH sets on their test split (as ``bench_robust_default.py``), blind sets and
crowds on the sample's own gold rows (a crowd labels the items it has). Covered-row expected
accuracy (ties broken at random), in points over majority vote, for ``auto`` (the default) and
``hybrid``.

The second table groups the fits where ``auto`` kept its fitted model by the number of covered rows
of the sample: the label-free check against majority vote has little power on a few hundred
rows, and ``auto`` says so below ``diagnostics.SMALL_INPUT_ROWS`` (``PROTOCOL.md`` §21). Groups
follow ``split.json``; no rule was chosen on the validation groups.

    python benchmarks/bench_row_samples.py --data-dir ../shared/data
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
from weaklabel.bench.datasets import resolve_data_dir
from weaklabel.bench.suites import reference_mv_proba
from weaklabel.models import MODELS
from weaklabel.models.diagnostics import SMALL_INPUT_ROWS

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_lf_subsets as subsets
from bench_thinned_crowds import covered_points, gain_stats

BANDS = (0, 200, SMALL_INPUT_ROWS, 600, 1000, 3000, None)


def sample_task(lfset, frac: float, seed: int, min_sample: int):
    """``(fit votes, scored votes, their gold, covered fit rows)`` of one row sample, or ``None``."""
    fit = lfset.fit
    n = max(min_sample, int(frac * fit.n_rows))
    if n >= fit.n_rows:
        return None
    rows = np.sort(np.random.default_rng(seed).choice(fit.n_rows, n, replace=False))
    fs = fit.take(rows)
    if lfset.fit is lfset.test:   # crowds and blind sets: scored on the sample's own gold rows
        keep = np.flatnonzero((lfset.y[rows] >= 0) & (fs.votes_per_row() > 0))
        ts, ys = fs.take(keep), lfset.y[rows][keep]
    else:                          # WRENCH: the test split
        ts, ys = subsets.covered(lfset.test, lfset.y)
    return fs, ts, ys, int((fs.votes_per_row() > 0).sum())


def band_of(covered: int) -> str:
    for lo, hi in zip(BANDS[:-1], BANDS[1:]):
        if hi is None or covered < hi:
            return f"{lo}-{hi - 1}" if hi is not None else f"{lo}+"
    raise AssertionError


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--fractions", default="0.03,0.1,0.3", help="shares of the fit rows kept (comma-separated)")
    ap.add_argument("--draws", type=int, default=3, help="samples per set and fraction (seeds 0..N-1)")
    ap.add_argument("--min-sample", type=int, default=150, help="rows kept at least")
    ap.add_argument("--min-rows", type=int, default=30, help="skip samples with fewer scored gold rows")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "row_samples")
    args = ap.parse_args()
    root = Path(resolve_data_dir(args.data_dir, required=True))
    fractions = [float(x) for x in args.fractions.split(",") if x]
    t0 = time.perf_counter()
    rows = []
    for lfset in subsets.tasks(root):
        for frac in fractions:
            for seed in range(args.draws):
                task = sample_task(lfset, frac, seed, args.min_sample)
                if task is None or task[2].size < args.min_rows:
                    continue
                fs, ts, ys, covered = task
                mv = covered_points(reference_mv_proba(ts), ys)
                r = {"set": lfset.tag, "group": lfset.group, "fraction": frac, "seed": seed, "rows": int(fs.n_rows),
                     "covered": covered, "scored": int(ys.size), "mv": mv, "models": {}}
                for name in ("hybrid", "auto"):
                    model = MODELS[name]().fit(fs)
                    r["models"][name] = covered_points(model.predict_proba(ts), ys) - mv
                    if name == "auto":
                        r["auto_model"] = model.selection_["model"]
                        r["small_input_note"] = "small_input" in model.selection_
                rows.append(r)
                print(f"{lfset.tag:<24} {frac:>5} draw {seed}  rows {r['rows']:>6}  covered {covered:>6}  "
                      f"hybrid {r['models']['hybrid']:+6.2f}  auto {r['models']['auto']:+6.2f} ({r['auto_model']})",
                      flush=True)
    groups = sorted({r["group"] for r in rows})
    by_group = {}
    for g in groups:
        for frac in fractions + [None]:
            rs = [r for r in rows if r["group"] == g and (frac is None or r["fraction"] == frac)]
            if rs:
                by_group[f"{g}, {frac if frac is not None else 'all'}"] = {
                    "tasks": len(rs), **{m: gain_stats([r["models"][m] for r in rs]) for m in ("hybrid", "auto")}}
    by_band = {}
    for g in groups:
        for r in rows:
            if r["group"] == g and r["auto_model"] != "majority":
                by_band.setdefault(f"{g}|{band_of(r['covered'])}", []).append(r["models"]["auto"])
    bands = {k: gain_stats(v) | {"tasks": len(v)} for k, v in by_band.items()}
    result = {"weaklabel_version": __version__, "python": platform.python_version(), "fractions": fractions,
              "draws": args.draws, "min_sample": args.min_sample, "small_input_rows": SMALL_INPUT_ROWS, "rows": rows,
              "summary": by_group, "kept_model_by_covered_rows": bands, "seconds": time.perf_counter() - t0}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    md = [f"The shared sets cut to a random sample of their rows (`bench_row_samples.py`; fractions "
          f"{', '.join(f'{f:g}' for f in fractions)} of the fit rows, at least {args.min_sample}, {args.draws} draws): "
          f"expected accuracy on the scored covered gold rows, points over majority vote, no labels. weaklabel "
          f"{__version__}, Python {platform.python_version()}.", "",
          "| group, fraction | tasks | hybrid mean / worst / below -0.5 | auto mean / worst / below -0.5 |",
          "|---|---:|---:|---:|"]
    for k, s in by_group.items():
        md.append(f"| {k} | {s['tasks']} | " + " | ".join(
            f"{s[m]['mean']:+.2f} / {s[m]['worst']:+.2f} / {s[m]['below_0.5']}" for m in ("hybrid", "auto")) + " |")
    md += ["", f"Fits where `auto` kept its fitted model, by covered rows of the sample (the note of "
           f"`diagnostics.small_input_note` below {SMALL_INPUT_ROWS}):", "",
           "| group | covered rows | fits | mean | worst | more than 0.5 below MV |", "|---|---|---:|---:|---:|---:|"]
    order = {band_of(lo): i for i, lo in enumerate(BANDS[:-1])}
    for k in sorted(bands, key=lambda k: (k.split("|")[0], order[k.split("|")[1]])):
        g, b = k.split("|")
        s = bands[k]
        md.append(f"| {g} | {b} | {s['tasks']} | {s['mean']:+.2f} | {s['worst']:+.2f} | {s['below_0.5']} |")
    md += ["", f"{len(rows)} samples, {time.perf_counter() - t0:.0f} s."]
    args.out.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
