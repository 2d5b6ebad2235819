"""The default on votes that played no part in any choice (issue 12's "data we have never seen").

Two kinds of sets no choice in weaklabel was made on (neither half of ``split.json``):

* **Blind keyword LFs on raw sentiment text** (``raw/imdb``, ``raw/yelp``: dev + test texts).
  The twelve regex LFs below were written once, from what a practitioner would try first, without
  looking at the gold labels or at any model's output, and were not edited after the first run.
* **The three shared crowd sets outside the 17 of PEERS.md** (``crowd/temp``, ``crowd/wsd``,
  ``crowd/weather_sentiment``; weather's gold is a checked aggregate of the same crowd, which
  favours majority vote). ``weaklabel bench``'s crowd suite reports them, but no method,
  default or threshold was chosen on them.

Reported: covered-row expected accuracy (random ties) of every model and of the default, in points
over majority vote, without labels and with 100 gold rows (drawn from the pool with seed 0; the
rest is scored).

    python benchmarks/bench_unseen.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from pathlib import Path

import numpy as np

from weaklabel import __version__
from weaklabel.bench import label_accuracy as la
from weaklabel.bench.datasets import resolve_data_dir
from weaklabel.bench.suites import reference_mv_proba
from weaklabel.models import MODELS, AutoModel
from weaklabel.votes import VoteMatrix

HERE = Path(__file__).resolve().parent
POS, NEG = 1, 0
#: Written blind, once (see the module docstring).
SENTIMENT_LFS = {
    "great": (POS, r"\b(great|excellent|superb|outstanding|wonderful|amazing)\b"),
    "love": (POS, r"\b(love|loved|loving|adore)\b"),
    "best": (POS, r"\b(best|favorite|favourite)\b"),
    "recommend": (POS, r"\b(highly recommend|must see|must-see|a must|worth (it|every|the))\b"),
    "stars_hi": (POS, r"\b(10/10|9/10|8/10|five stars|5 stars|4 stars)\b"),
    "enjoy": (POS, r"\b(enjoyed|enjoyable|delicious|fantastic|perfect)\b"),
    "bad": (NEG, r"\b(bad|awful|terrible|horrible|worst|poor)\b"),
    "waste": (NEG, r"\b(waste|wasted|boring|dull|disappointing|disappointed)\b"),
    "stars_lo": (NEG, r"\b(1/10|2/10|3/10|one star|1 star|zero stars)\b"),
    "never_again": (NEG, r"\b(never again|never go back|avoid|stay away|rude)\b"),
    "not_good": (NEG, r"\bnot (good|great|worth|recommended)\b"),
    "meh": (NEG, r"\b(mediocre|bland|overrated|meh|so-so)\b"),
}


def expected_accuracy(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    top = proba.max(axis=1, keepdims=True)
    is_top = proba >= top - 1e-9 * np.maximum(1.0, np.abs(top))
    return is_top[np.arange(y.size), y] / is_top.sum(axis=1)


def sentiment_votes(root: Path, name: str) -> tuple[VoteMatrix, np.ndarray]:
    rows = []
    for split in ("dev_data", "test_data"):
        rows += json.loads((root / "raw" / name / f"{split}.json").read_text())
    L = -np.ones((len(rows), len(SENTIMENT_LFS)), dtype=np.int64)
    for j, (label, pattern) in enumerate(SENTIMENT_LFS.values()):
        rx = re.compile(pattern)
        L[[i for i, r in enumerate(rows) if rx.search(r["text"].lower())], j] = label
    return VoteMatrix.from_dense(L, cardinality=2, lf_names=list(SENTIMENT_LFS)), np.array([r["label"] for r in rows])


def score(vm: VoteMatrix, y: np.ndarray, proba: np.ndarray) -> float:
    covered = vm.votes_per_row() > 0
    return float(expected_accuracy(proba, y)[covered].mean())


def run(tag: str, vm: VoteMatrix, y: np.ndarray, models: list[str]) -> dict:
    mv = score(vm, y, reference_mv_proba(vm))
    row = {"set": tag, "rows": int(vm.n_rows), "sources": int(vm.n_lfs), "classes": int(vm.cardinality),
           "mv": mv, "models": {}}
    for name in models:
        m = MODELS[name]().fit(vm)
        row["models"][name] = score(vm, y, m.predict_proba(vm))
        if name == "auto":
            row["auto_choice"] = m.selection_["choice"]
    rng = np.random.default_rng(0)
    gold = rng.choice(vm.n_rows, 100, replace=False)
    yy = -np.ones(vm.n_rows, dtype=np.int64)
    yy[gold] = y[gold]
    rest = np.setdiff1d(np.arange(vm.n_rows), gold)
    tv, ty = vm.take(rest), y[rest]
    dev = AutoModel().fit(vm, yy)
    row["dev"] = {"mv": score(tv, ty, reference_mv_proba(tv)), "auto": score(tv, ty, dev.predict_proba(tv)),
                  "choice": dev.selection_["choice"]}
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "unseen")
    args = ap.parse_args()
    root = Path(resolve_data_dir(args.data_dir, required=True))
    models = [m for m in MODELS if m != "majority"]
    t0 = time.perf_counter()
    rows = []
    for name in ("imdb", "yelp"):
        vm, y = sentiment_votes(root, name)
        rows.append(run(f"{name} (blind keyword LFs)", vm, y, models))
    for name in ("temp", "wsd", "weather_sentiment"):
        t = la.unsupervised_task(la.load("crowd", name, root))
        rows.append(run(f"crowd_{name}", t.test_votes, t.test_y, models))
    head = "| set | rows | sources | K | MV | " + " | ".join(models) + " | `auto --dev` (100 gold rows) |"
    md = [f"Covered-row expected accuracy on votes no choice in weaklabel was made on (see "
          f"`bench_unseen.py`); models in points over majority vote (MV). weaklabel {__version__}, Python "
          f"{platform.python_version()}.", "", head, "|" + "---|" * (len(models) + 6)]
    for r in rows:
        cells = [f"{100 * (r['models'][m] - r['mv']):+.1f}" for m in models]
        md.append(f"| {r['set']} | {r['rows']} | {r['sources']} | {r['classes']} | {r['mv']:.3f} | " + " | ".join(cells)
                  + f" | {100 * (r['dev']['auto'] - r['dev']['mv']):+.1f} ({r['dev']['choice']}) |")
        print(md[-1], flush=True)
    gains = np.array([100 * (r["models"]["auto"] - r["mv"]) for r in rows])
    md += ["", f"Default (`auto`, no labels): mean {gains.mean():+.2f} points over MV, worst {gains.min():+.1f}."]
    print(md[-1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"weaklabel_version": __version__, "rows": rows,
                                                         "seconds": time.perf_counter() - t0}, indent=1))
    args.out.with_suffix(".md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
