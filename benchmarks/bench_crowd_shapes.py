"""The default on simulated crowds shaped like public crowdsourcing sets we do not have.

Issue 12's targets are checked on nine crowdsourcing sets outside ``../shared/data``. The best
known public ones differ from the shared crowds in ways no regime of ``weaklabel.simulate`` had:
very few answers an item over many classes (LabelMe: 1,000 images, 8 classes, 59 workers, ~2.5
answers an item; the music-genre set: 700 clips, 10 classes, 44 workers, ~4 answers), and binary
tasks with a strong class imbalance (a product-matching set: ~85% one class, 3 answers an item;
relevance judgements: a sparse crowd of hundreds of workers, some spammers). Each shape below
draws conditionally independent workers with the *sizes* of such a set (the workers' quality and
confusions are guesses: Beta accuracies, errors partly shared between confusable classes), so a
row is a guess at a kind of data, not a stand-in for the real set. Written in the seventeenth
session (``PROTOCOL.md`` §25); nothing was chosen on it.

Reported: covered-row expected accuracy (random ties) in points over majority vote, no labels, of
the default, the default with ``disagree_on="votes"`` (``auto:votes``) and ``"rows"`` (``auto:rows``,
the default before §26), ``hybrid`` with its pinned
crowd bias and with a free one (``hybrid:free``), Dawid-Skene and one-coin Dawid-Skene; seeds
0-4 (``--seeds``).

    python benchmarks/bench_crowd_shapes.py [--seeds 5] [--shapes labelme,ms]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from weaklabel import __version__
from weaklabel import simulate as S
from weaklabel.bench.suites import reference_mv_proba
from weaklabel.models import MODELS, AutoModel, HybridDawidSkene

HERE = Path(__file__).resolve().parent

#: the sizes of the public set each shape follows (see the module docstring); ``structured``: the
#: share of a worker's errors that go to the class's confusable neighbour; ``asym``: how much worse
#: workers are on the minority class; ``spam``: the share of workers who give one answer to all
SHAPES = {
    "labelme": dict(K=8, n_workers=59, n_items=1000, per_item=2.5, acc_ab=(4, 2), structured=0.6),
    "music_genre": dict(K=10, n_workers=44, n_items=700, per_item=3.8, acc_ab=(3, 2), structured=0.5),
    "face": dict(K=4, n_workers=27, n_items=584, per_item=10, acc_ab=(3, 2), structured=0.5),
    "duck": dict(K=2, n_workers=39, n_items=108, per_item=40, acc_ab=(3, 2), spam=0.1),
    "product": dict(K=2, n_workers=176, n_items=3000, per_item=3, acc_ab=(6, 1.5), imbalance=True, asym=0.4),
    "relevance": dict(K=2, n_workers=700, n_items=4000, per_item=5, acc_ab=(3, 2), imbalance=True, spam=0.1),
    "adult": dict(K=4, n_workers=825, n_items=5000, per_item=8, acc_ab=(4, 2), imbalance=True, structured=0.7,
                  spam=0.05),
}

MODELS_SHOWN = {
    "auto": lambda: AutoModel(random_state=0),
    "auto:votes": lambda: AutoModel(random_state=0, disagree_on="votes"),
    "auto:rows": lambda: AutoModel(random_state=0, disagree_on="rows"),
    "hybrid": lambda: HybridDawidSkene(random_state=0),
    "hybrid:free": lambda: HybridDawidSkene(random_state=0, crowd_bias="free"),
    "ds": lambda: MODELS["ds"](),
    "onecoin": lambda: MODELS["onecoin"](),
}


def crowd(seed: int, K: int, n_workers: int, n_items: int, per_item: float, acc_ab, structured: float = 0.0,
          imbalance: bool = False, spam: float = 0.0, asym: float = 0.0) -> S.Simulation:
    """One draw of a crowd of the given size (see :data:`SHAPES`)."""
    rng = np.random.default_rng(seed)
    cb = S._imbalanced_prior(rng, K) if imbalance else np.full(K, 1 / K)
    if imbalance and K == 2:
        a = rng.uniform(0.8, 0.9)
        cb = np.array([a, 1 - a])
    y = rng.choice(K, size=n_items, p=cb)
    activity = np.exp(rng.normal(0, 1.0, n_workers))
    p = activity / activity.sum()
    acc = np.clip(rng.beta(*acc_ab, n_workers), 0.2, 0.98)
    shared = None
    if structured > 0:   # each class has one confusable neighbour
        shared = np.zeros((K, K))
        for k in range(K):
            shared[k, k ^ 1 if (k ^ 1) < K else (k + 1) % K] = 1.0
    conf = S._worker_confusions(rng, acc, K, shared, structured)
    if asym > 0 and K == 2:
        for w in range(n_workers):
            conf[w, 1, 1] = max(0.2, conf[w, 1, 1] - asym * rng.random())
            conf[w, 1, 0] = 1 - conf[w, 1, 1]
    for w in range(n_workers):
        if rng.random() < spam:
            conf[w] = np.eye(K)[rng.integers(0, K)][None, :].repeat(K, axis=0) * 0.9 + 0.1 / K
    r, c, v = S._crowd_answers(rng, y, n_workers, p, per_item, lambda i, ws: conf[ws, y[i]])
    return S._crowd_simulation(r, c, v, y, n_workers, K, cb, conf)


def expected_accuracy(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    top = proba >= proba.max(axis=1, keepdims=True) - 1e-9
    return top[np.arange(y.size), y] / top.sum(axis=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "crowd_shapes")
    args = ap.parse_args()
    t0 = time.time()
    rows = []
    for shape in args.shapes.split(","):
        for seed in range(args.seeds):
            sim = crowd(seed, **SHAPES[shape])
            vm, y = sim.votes, sim.y
            cov = vm.votes_per_row() > 0
            mv = float(expected_accuracy(reference_mv_proba(vm), y)[cov].mean())
            row = {"shape": shape, "seed": seed, "items": int(vm.n_rows), "workers": int(vm.n_lfs),
                   "K": int(vm.cardinality), "answers_per_item": round(float(vm.votes_per_row().mean()), 2),
                   "mv": round(mv, 4)}
            for name, make in MODELS_SHOWN.items():
                model = make().fit(vm)
                row[name] = round(100 * (float(expected_accuracy(model.predict_proba(vm), y)[cov].mean()) - mv), 2)
                if name.startswith("auto"):
                    row[name + " picks"] = model.selection_.get("model")
            rows.append(row)
            print(shape, seed, {k: row[k] for k in MODELS_SHOWN}, row["auto picks"], flush=True)
    result = {"weaklabel": __version__, "python": platform.python_version(), "seconds": round(time.time() - t0, 1),
              "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    names = list(MODELS_SHOWN)
    md = ["Simulated crowds with the sizes of public sets we do not have (`bench_crowd_shapes.py`, PROTOCOL.md §25, §26): "
          "covered-row expected accuracy in points over majority vote (MV), no labels; mean over seeds, and the "
          f"seeds where `auto` (and `auto:rows`, the default before §26) keeps majority vote. weaklabel {__version__}, Python {platform.python_version()}.", "",
          "| shape | items | workers | K | answers an item | MV | " + " | ".join(f"`{n}`" for n in names)
          + " | `auto` / `auto:rows` keep MV |", "|---|---|---|---|---|---|" + "---|" * len(names) + "---|"]
    for shape in dict.fromkeys(r["shape"] for r in rows):
        rs = [r for r in rows if r["shape"] == shape]
        mean = {n: np.mean([r[n] for r in rs]) for n in names}
        md.append(f"| {shape} | {rs[0]['items']} | {rs[0]['workers']} | {rs[0]['K']} | "
                  f"{np.mean([r['answers_per_item'] for r in rs]):.1f} | {np.mean([r['mv'] for r in rs]):.3f} | "
                  + " | ".join(f"{mean[n]:+.1f}" for n in names)
                  + f" | {sum(r['auto picks'] == 'majority' for r in rs)} / "
                  f"{sum(r['auto:rows picks'] == 'majority' for r in rs)} of {len(rs)} |")
    args.out.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
