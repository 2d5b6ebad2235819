"""Label-model accuracy on the 17 shared sets of ``PEERS.md``, with the peers' protocol.

Protocol (the one ``../shared/data/PEERS.md`` states, so that the numbers compare):

* test accuracy over **all** test rows; hard label = argmax, ties broken at random (seeded);
* WRENCH sets: fit on the train votes without gold, predict the test rows;
* crowd sets: fit on all answers without gold, score on the gold items;
* textbook majority vote (the MV column) guesses at random on rows without votes.

With a **dev set** (``n_dev`` gold rows, 100 as in AutoWS-Bench-101): WRENCH sets take them
from the valid split (appended to the train votes with their labels; test rows are untouched);
crowd sets fix ``n_dev`` gold items and score the other gold items; a set without a valid split
(tennis) uses ``n_dev`` test rows and scores the rest. The dev rows never include a scored row.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..models.base import LabelModel, break_ties
from ..votes import VoteMatrix, concat_csr
from . import datasets as dsets
from .endmodel import metrics
from .suites import reference_mv_proba

PEER_SETS: list[tuple[str, str]] = [
    ("wrench", "youtube"), ("wrench", "chemprot"), ("crowd", "bluebird"), ("crowd", "cf"), ("crowd", "cf_amt"),
    ("crowd", "dog"), ("crowd", "rte"), ("crowd", "sp"), ("crowd", "sp_amt"), ("crowd", "trec"), ("crowd", "web"),
    ("crowd", "zencrowd_all"), ("wrench", "semeval"), ("wrench", "sms"), ("wrench", "spouse_cage"),
    ("wrench", "tennis_flyingsquid"), ("wrench", "trec"),
]


def set_name(suite: str, name: str) -> str:
    """The row name PEERS.md uses (``crowd_`` prefix for crowd sets)."""
    return f"crowd_{name}" if suite == "crowd" else name


def load(suite: str, name: str, data_dir: str | Path | None = None) -> dsets.Dataset:
    return dsets.load_wrench_dataset(name, data_dir) if suite == "wrench" else dsets.load_crowd_dataset(name, data_dir)


@dataclass
class Task:
    """What a label model is fitted on and scored on."""

    fit_votes: VoteMatrix
    fit_y: np.ndarray | None      # gold labels used for fitting (-1 elsewhere), or None
    test_votes: VoteMatrix
    test_y: np.ndarray


def unsupervised_task(ds: dsets.Dataset) -> Task:
    known = ds.test.y >= 0
    return Task(ds.train.votes, None, ds.test.votes.take(known), ds.test.y[known])


def dev_task(ds: dsets.Dataset, n_dev: int = 100, seed: int = 0) -> Task:
    """The task with ``n_dev`` gold rows for fitting (see the module docstring)."""
    rng = np.random.default_rng(seed)
    if ds.kind == "crowd":
        gold = np.flatnonzero(ds.train.y >= 0)
        dev = np.sort(rng.choice(gold, size=min(n_dev, gold.size // 2), replace=False))
        y_fit = np.full(ds.train.n, -1, dtype=np.int64)
        y_fit[dev] = ds.train.y[dev]
        scored = np.setdiff1d(gold, dev)
        return Task(ds.train.votes, y_fit, ds.train.votes.take(scored), ds.train.y[scored])
    if ds.valid is not None and ds.valid.n > 0 and np.any(ds.valid.y >= 0):
        pool = np.flatnonzero(ds.valid.y >= 0)
        dev = np.sort(rng.choice(pool, size=min(n_dev, pool.size), replace=False))
        extra = ds.valid.votes.take(dev)
        fit = _stack(ds.train.votes, extra)
        y_fit = np.concatenate([np.full(ds.train.n, -1, dtype=np.int64), ds.valid.y[dev]])
        known = ds.test.y >= 0
        return Task(fit, y_fit, ds.test.votes.take(known), ds.test.y[known])
    # no valid split: take the dev rows from the test split and score the others
    pool = np.flatnonzero(ds.test.y >= 0)
    dev = np.sort(rng.choice(pool, size=min(n_dev, pool.size // 2), replace=False))
    scored = np.setdiff1d(pool, dev)
    fit = _stack(ds.train.votes, ds.test.votes.take(dev))
    y_fit = np.concatenate([np.full(ds.train.n, -1, dtype=np.int64), ds.test.y[dev]])
    return Task(fit, y_fit, ds.test.votes.take(scored), ds.test.y[scored])


def _stack(a: VoteMatrix, b: VoteMatrix) -> VoteMatrix:
    indptr, indices, votes = concat_csr([(a.indptr, a.indices, a.votes), (b.indptr, b.indices, b.votes)],
                                        a.cardinality)
    return VoteMatrix(indptr, indices, votes, a.lf_names, cardinality=a.cardinality, validate=False)


def score(task: Task, factory: Callable[[], LabelModel] | None, seed: int = 0) -> dict:
    """Accuracy, macro-F1, fit and predict time of one model on one task (``None``: textbook MV)."""
    t0 = time.perf_counter()
    if factory is None:
        proba = reference_mv_proba(task.test_votes)
        fit_s = predict_s = 0.0
    else:
        model = factory().fit(task.fit_votes, task.fit_y)
        fit_s = time.perf_counter() - t0
        proba = model.predict_proba(task.test_votes)
        predict_s = time.perf_counter() - t0 - fit_s
    pred = break_ties(np.asarray(proba, dtype=float), "random", seed)
    out = metrics(task.test_y, pred)
    out["fit_seconds"] = fit_s
    out["predict_seconds"] = predict_s
    return out


def expected_mv_accuracy(task: Task) -> float:
    """Textbook MV's accuracy averaged over tie-breaks (exact expectation, no seed noise)."""
    proba = reference_mv_proba(task.test_votes)
    return float(proba[np.arange(task.test_y.size), task.test_y].mean())


def read_peers(path: str | Path) -> dict[str, dict[str, float]]:
    """The accuracy table of PEERS.md: ``{set: {column: value}}`` (missing/n.a. cells skipped)."""
    text = Path(path).read_text()
    out: dict[str, dict[str, float]] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "dataset":
            header = cells
            continue
        if header is None or set(line) <= set("|-: "):
            continue
        if len(cells) != len(header) or cells[0] in ("K",):
            continue
        row = {}
        for col, cell in zip(header[1:], cells[1:]):
            if re.fullmatch(r"\d+\.\d+", cell):
                row[col] = float(cell)
        if row:
            out[cells[0]] = row
    return out
