"""Peer label models (Snorkel, crowd-kit, FlyingSquid) for the benchmarks, with PEERS.md's settings.

The peers are never dependencies of weaklabel: install ``benchmarks/requirements-peers.txt`` in
the benchmark environment. They are imported lazily, inside :func:`fit_predict`, which the
benchmarks call in a fresh subprocess per (peer, data) so that a crash, a timeout or a memory
blow-up costs one cell, not the run.

Settings (``../shared/data/PEERS.md``): Snorkel ``LabelModel`` n_epochs=500, seed=0; crowd-kit
``DawidSkene`` and ``OneCoinDawidSkene`` n_iter=100; FlyingSquid ``LabelModel`` defaults, binary
only. crowd-kit cannot predict rows it was not fitted on, so it is fitted on the fitting votes
plus the test votes (no gold) and read out on the test rows.

Run as a script, it is the child of ``bench_label_accuracy.py --peers``: one peer on one of the
shared sets, printing a JSON line with test accuracy, macro-F1 and fit / predict seconds::

    python benchmarks/peers.py snorkel wrench youtube /path/to/data

and of ``bench_unseen.py --peers``: one peer fitted and read out on one vote file (no gold used),
printing the expected accuracy (random ties) on all rows and on the rows with votes against the
gold labels of a ``.npy`` file::

    python benchmarks/peers.py snorkel votes votes.parquet gold.npy
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version

import numpy as np

#: peer key -> display name (the column names of PEERS.md)
PEERS = {"snorkel": "Snorkel LM", "flyingsquid": "FlyingSquid", "crowdkit": "ck DS",
         "crowdkit_onecoin": "ck 1-coin DS"}
#: peer key -> the distribution it needs (for the "is it installed" check and the versions)
DISTRIBUTIONS = {"snorkel": "snorkel", "flyingsquid": "flyingsquid", "crowdkit": "crowd-kit",
                 "crowdkit_onecoin": "crowd-kit"}
BINARY_ONLY = {"flyingsquid"}
TRANSDUCTIVE = {"crowdkit", "crowdkit_onecoin"}


def versions(peers=PEERS) -> dict[str, str | None]:
    """Installed version of each peer's distribution (``None``: not installed)."""
    out: dict[str, str | None] = {}
    for p in peers:
        dist = DISTRIBUTIONS[p]
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def fit_predict(peer: str, fit_votes, test_votes, test_rows: np.ndarray | None = None) -> dict:
    """Fit ``peer`` without gold on ``fit_votes`` (a VoteMatrix) and return the test rows' probabilities.

    ``test_rows``: for the transductive crowd-kit models, the positions of the test rows inside
    ``fit_votes`` when they are already there (crowd sets, or fitting and predicting the same
    matrix); ``None`` fits on ``fit_votes`` with ``test_votes`` appended. Data conversion (dense
    matrix, answers table) is not timed. Returns ``{"proba", "fit_seconds", "predict_seconds"}``
    (crowd-kit fits and predicts in one call: all of it counts as fit).
    """
    K = fit_votes.cardinality
    same = test_votes is fit_votes
    if peer == "snorkel":
        from snorkel.labeling.model import LabelModel

        L = fit_votes.to_dense(np.int64)
        L_test = L if same else test_votes.to_dense(np.int64)
        t0 = time.perf_counter()
        lm = LabelModel(cardinality=K, verbose=False)
        lm.fit(L, n_epochs=500, seed=0, progress_bar=False)
        t1 = time.perf_counter()
        proba = lm.predict_proba(L_test)
    elif peer in TRANSDUCTIVE:
        import pandas as pd
        from crowdkit.aggregation import DawidSkene, OneCoinDawidSkene

        if test_rows is None:
            from weaklabel.bench.label_accuracy import _stack

            test_rows = fit_votes.n_rows + np.arange(test_votes.n_rows)
            vm = _stack(fit_votes, test_votes)
        else:
            vm = fit_votes
        df = pd.DataFrame({"task": vm.row_of_vote(), "worker": vm.indices.astype(np.int64),
                           "label": vm.votes.astype(np.int64)})
        t0 = time.perf_counter()
        model = (DawidSkene if peer == "crowdkit" else OneCoinDawidSkene)(n_iter=100)
        probas = model.fit_predict_proba(df)
        t1 = time.perf_counter()
        full = np.full((vm.n_rows, K), 1.0 / K)      # rows without answers: no prediction, a uniform guess
        full[np.ix_(probas.index.to_numpy(), [int(c) for c in probas.columns])] = probas.to_numpy()
        proba = full[np.asarray(test_rows)]
    elif peer == "flyingsquid":
        if K != 2:
            raise ValueError("FlyingSquid is binary only")
        from flyingsquid.label_model import LabelModel

        def pm1(vm):
            L = vm.to_dense(np.int64)
            return np.where(L < 0, 0, np.where(L == 1, 1, -1))

        L = pm1(fit_votes)
        L_test = L if same else pm1(test_votes)
        t0 = time.perf_counter()
        fs = LabelModel(fit_votes.n_lfs)
        fs.fit(L)
        t1 = time.perf_counter()
        p1 = np.asarray(fs.predict_proba_marginalized(L_test), dtype=float)   # P(y = +1) per row
        proba = np.stack([1 - p1, p1], axis=1)
    else:
        raise ValueError(f"unknown peer {peer!r}")
    return {"proba": np.asarray(proba, dtype=float), "fit_seconds": t1 - t0,
            "predict_seconds": time.perf_counter() - t1}


def _limit_memory(gib: float):
    def apply() -> None:
        limit = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


_OOM_SIGNS = ("MemoryError", "Unable to allocate", "can't allocate memory", "std::bad_alloc", "out of memory")


def run_json(args: list[str], timeout: float, memory_gib: float | None = None, env: dict | None = None) -> dict:
    """``python *args`` in a subprocess; the JSON object its stdout ends with, or
    ``{"status": "T/O" | "OOM" | "ERR", "error": one-line reason}``.

    ``memory_gib`` caps the child's address space (a blow-up then fails as OOM instead of
    taking the machine down); ``env`` replaces the child's environment (default: this one's).
    """
    try:
        r = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                           preexec_fn=_limit_memory(memory_gib) if memory_gib else None, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "T/O", "error": f"over {timeout:.0f} s"}
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1].strip()
        oom = r.returncode == -9 or any(s in r.stderr for s in _OOM_SIGNS)
        return {"status": "OOM" if oom else "ERR", "error": last[:200]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def shared_set_task(suite: str, name: str, data_dir: str):
    """PEERS.md's task on one shared set: ``(task, test_rows)`` (``test_rows``: positions of the
    scored rows inside the fitting votes for crowd sets, ``None`` for WRENCH sets)."""
    from weaklabel.bench import label_accuracy as la

    ds = la.load(suite, name, data_dir)
    task = la.unsupervised_task(ds)
    test_rows = None
    if ds.kind == "crowd":   # test = the gold items of train (see load_crowd)
        test_rows = np.flatnonzero(ds.train.y >= 0)[ds.test.y >= 0]
    return task, test_rows


def main(argv: list[str]) -> None:
    from weaklabel.bench.endmodel import metrics
    from weaklabel.models.base import break_ties

    if argv[1] == "votes":
        from bench_unseen import expected_accuracy
        from weaklabel.votes import VoteMatrix

        vm, y = VoteMatrix.read_parquet(argv[2]), np.load(argv[3])
        out = fit_predict(argv[0], vm, vm, np.arange(vm.n_rows))
        acc = expected_accuracy(out.pop("proba"), y)
        print(json.dumps({"all": float(acc.mean()), "covered": float(acc[vm.votes_per_row() > 0].mean()), **out}))
        return
    peer, suite, name, data_dir = argv[:4]
    seed = int(argv[4]) if len(argv) > 4 else 0
    task, test_rows = shared_set_task(suite, name, data_dir)
    out = fit_predict(peer, task.fit_votes, task.test_votes, test_rows)
    pred = break_ties(out.pop("proba"), "random", seed)
    print(json.dumps({**metrics(task.test_y, pred), **out}))


if __name__ == "__main__":
    main(sys.argv[1:])
