"""Generate the crowd example: answers of a paid crowd rating the sentiment of 600 reviews.

Synthetic (seeded), so that the repository can ship it, with the shape of the public
truth-inference sets: a long table ``task, worker, label`` (crowd-kit's column names), labels
written 1-based as many such files do (1 negative, 2 neutral, 3 positive), classes imbalanced,
five answers an item from a pool of 60 workers whose activity varies tenfold. Most workers are
decent (accuracy 0.6-0.9), some confuse neutral with either side, a few are spammers who answer
one class whatever the item, one answers at random. ``truth.csv`` holds the truth of every item
(``task, truth``, same values): a sample a team would have checked by hand.

    python examples/crowd/make_answers.py          # rewrites answers.csv and truth.csv beside this file
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

N_ITEMS, N_WORKERS, PER_ITEM, K = 600, 60, 5, 3
CLASS_SHARES = [0.3, 0.2, 0.5]      # negative, neutral, positive


def confusion(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A worker's row-stochastic confusion matrix (truth x answer)."""
    if kind == "spammer":
        c = np.zeros((K, K))
        c[:, rng.integers(K)] = 1.0
        return c
    if kind == "random":
        return np.full((K, K), 1.0 / K)
    acc = rng.uniform(0.6, 0.9)
    c = np.full((K, K), (1 - acc) / (K - 1))
    np.fill_diagonal(c, acc)
    if kind == "neutral_confuser":   # reads mild texts as neutral, and neutral ones as either side
        c[0] = [acc, 1 - acc, 0.0]
        c[2] = [0.0, 1 - acc, acc]
        c[1] = [0.25, 0.5, 0.25]
    return c


def main(folder: Path = Path(__file__).resolve().parent) -> None:
    rng = np.random.default_rng(2026)
    truth = rng.choice(K, N_ITEMS, p=CLASS_SHARES)
    kinds = ["decent"] * 46 + ["neutral_confuser"] * 8 + ["spammer"] * 5 + ["random"]
    confusions = [confusion(k, rng) for k in kinds]
    activity = rng.pareto(1.5, N_WORKERS) + 1
    activity /= activity.sum()
    worker_ids = [f"W{id_:05d}" for id_ in rng.choice(100_000, N_WORKERS, replace=False)]
    rows = []
    for item in range(N_ITEMS):
        for w in rng.choice(N_WORKERS, PER_ITEM, replace=False, p=activity):
            answer = rng.choice(K, p=confusions[w][truth[item]])
            rows.append((f"review-{item:04d}", worker_ids[w], int(answer) + 1))
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"]).sample(frac=1.0, random_state=0)
    answers.to_csv(folder / "answers.csv", index=False)
    pd.DataFrame({"task": [f"review-{i:04d}" for i in range(N_ITEMS)], "truth": truth + 1}).to_csv(
        folder / "truth.csv", index=False)


if __name__ == "__main__":
    main()
