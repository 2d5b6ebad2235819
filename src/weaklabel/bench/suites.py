"""Bench runners.

* ``wrench`` and ``crowd``: every label model on every vote matrix. WRENCH: fit on the train
  votes without gold, predict the test rows; crowd: fit on all answers, score on the items with
  gold. Accuracy and macro-F1 over **all** test rows, hard label = argmax of the model's
  probabilities with ties broken at random (seeded); coverage = test rows with at least one
  vote; fit time. Each model predicts what it predicts for rows without votes (e.g. its learned
  class balance); the reference ``mv_noprior`` is textbook majority vote, which guesses at random
  there (the MV column of the peer comparison).
* ``verifiers``: generated verifier-score suites (:mod:`weaklabel.bench.verifiers`): per suite
  and seed, hold out ``dev_frac`` of the questions as labelled dev set, fit the verifier
  selector with each label model (``mixture`` and the vote models on binarised scores), and
  score Select@1 on the other questions next to the baselines (first candidate, majority answer,
  mean score, best single verifier on dev), the oracle-weighted ensemble and Pass@k.
* ``autows`` (AutoWS-Bench-101 protocol): per task, seed and label budget, draw the labelled
  rows (stratified) from the training split, generate LFs from them with each method, apply
  the LFs to the train and test splits, fit each label model on the train votes (with the gold
  labels of the labelled rows, ``-1`` elsewhere), train the end model on the probabilistic labels
  of the covered unlabelled rows plus the labelled rows (regularisation chosen by cross-validation
  on the labelled rows, the same for the supervised baseline), and report on the test split: label-model
  accuracy and coverage, end-model accuracy and macro-F1, and the baselines trained on the same
  labelled rows (supervised end model, label propagation, majority class). Test labels are read
  only to score.

Every model in :data:`weaklabel.models.MODELS` is run; new models appear without changes here.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._version import __version__
from ..apply import apply_lfs
from ..autolf import generate_lfs
from ..models import MODELS
from ..models.base import break_ties, class_counts
from ..votes import VoteMatrix
from . import datasets as dsets
from .config import QUICK, SUITES, VERIFIER_MODEL, BenchConfig, Unit, available, plan
from .endmodel import TaskFeatures, choose_C, fit_soft, label_propagation, metrics, one_hot, predict_proba

# the configuration and the plan live in .config; re-exported here for callers of the old paths
__all__ = ["BASELINES", "QUICK", "REFERENCE_MV", "SUITES", "VERIFIER_MODEL", "BenchConfig", "BenchResult",
           "Unit", "available", "draw_labeled", "effective_labels", "make", "plan", "reference_mv_proba",
           "run_autows_unit", "run_bench", "run_votes_unit", "versions"]

REFERENCE_MV = "mv_noprior"
BASELINES = ("supervised", "label_propagation", "majority_class")


# --------------------------------------------------------------------------- results
@dataclass
class BenchResult:
    config: dict
    records: list[dict] = field(default_factory=list)
    lf_records: list[dict] = field(default_factory=list)
    datasets: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    seconds: float = 0.0


def versions() -> dict:
    import numpy
    import pandas
    import scipy
    import sklearn

    v = {"weaklabel": __version__, "python": sys.version.split()[0], "numpy": numpy.__version__,
         "scipy": scipy.__version__, "scikit-learn": sklearn.__version__, "pandas": pandas.__version__,
         "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        import numba

        v["numba"] = numba.__version__
    except ImportError:  # pragma: no cover - numba is a dependency
        pass
    return v




# --------------------------------------------------------------------------- label models on votes
def reference_mv_proba(vm: VoteMatrix) -> np.ndarray:
    """Textbook majority vote: the most voted classes share the probability; rows without votes
    are a uniform guess."""
    counts = class_counts(vm)
    top = counts.max(axis=1, keepdims=True)
    is_top = counts == top                       # uncovered rows: every class ties at 0
    return is_top / is_top.sum(axis=1, keepdims=True)


def make(name: str, seed: int):
    """A fresh model from its CLI name, seeded when it takes a ``random_state``."""
    import inspect

    factory = MODELS[name]
    try:
        takes_seed = "random_state" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes_seed = False
    return factory(random_state=seed) if takes_seed else factory()


def _err(exc: BaseException) -> str:
    """The one line a failed model run records; a Ctrl-C or SIGTERM behind ``exc`` (a Numba kernel
    interrupted surfaces as ``SystemError``, a library may wrap it) is raised instead: the run stops
    as on any interruption, it is not a model's failure."""
    from .._signals import caused_by_interrupt

    cause = caused_by_interrupt(exc)
    if cause is not None:
        raise cause
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def run_votes_unit(ds: dsets.Dataset, seed: int, models: Sequence[str], suite: str) -> list[dict]:
    """Every model (and the textbook-MV reference) on one vote dataset with one seed."""
    tr, te = ds.train.votes, ds.test.votes
    y = ds.test.y
    known = y >= 0
    check_scorable(ds, suite)
    covered = te.votes_per_row() > 0
    base = {"suite": suite, "dataset": ds.name, "seed": seed, "K": ds.cardinality, "n_train": tr.n_rows,
            "n_test": int(known.sum()), "n_lfs": tr.n_lfs, "coverage": float(covered[known].mean())}
    out = []
    for name in list(models) + [REFERENCE_MV]:
        rec = dict(base, model=name)
        try:
            t0 = time.perf_counter()
            if name == REFERENCE_MV:
                proba = reference_mv_proba(te)
            else:
                lm = make(name, seed).fit(tr)
                rec["fit_seconds"] = time.perf_counter() - t0
                proba = lm.predict_proba(te)
            if name == REFERENCE_MV:
                rec["fit_seconds"] = time.perf_counter() - t0
            pred = break_ties(np.asarray(proba, dtype=float), "random", seed)
            rec.update(metrics(y[known], pred[known]))
            cov_known = known & covered
            rec["accuracy_covered"] = float((pred[cov_known] == y[cov_known]).mean()) if cov_known.any() else math.nan
        except Exception as exc:  # noqa: BLE001 - a failing model is reported, the bench goes on
            rec["error"] = _err(exc)
        out.append(rec)
    return out


def check_scorable(ds: dsets.Dataset, suite: str) -> None:
    """A vote dataset the suite can score: gold labels on some test rows (else every figure would
    be an empty mean, NaN or ``null``, without a word)."""
    from ..errors import InputError

    if ds.test.n == 0 or not (ds.test.y >= 0).any():
        where = f"{ds.source}/test.json" if suite == "wrench" else f"{ds.source}/truth.csv"
        if suite == "crowd" and not os.path.exists(where):
            raise InputError(f"{ds.source}: no truth.csv (item,truth); the crowd suite scores the label models on "
                             "the items with gold")
        raise InputError(f"{where}: no gold label to score on ({ds.test.n} test rows, none labelled); the {suite} "
                         "suite scores the label models on them")


MIN_TASK_ROWS = 8     # a budget of 2 labelled rows (a quarter of the train split) and rows to weakly label


def check_task(tf: TaskFeatures) -> None:
    """An AutoWS task the protocol can run on: enough training rows, two classes among them, test
    rows, and features (a text task whose words all occur once has no TF-IDF terms)."""
    from ..errors import InputError

    ds = tf.ds
    where = ds.source if ds.source and ds.source != "scikit-learn" else ds.name
    if ds.train.n < MIN_TASK_ROWS or np.unique(ds.train.y[ds.train.y >= 0]).size < 2 or ds.test.n == 0:
        raise InputError(f"{where}: task {ds.name!r} is too small for the autows suite ({ds.train.n} train rows, "
                         f"{ds.test.n} test rows; it needs {MIN_TASK_ROWS} train rows of two classes or more and "
                         "test rows)")
    try:
        tf.end()
    except ValueError as exc:
        raise InputError(f"{where}: task {ds.name!r}: cannot build its features ({str(exc).splitlines()[0]})") from None


# --------------------------------------------------------------------------- AutoWS
def effective_labels(n_train: int, n_labels: int) -> int:
    """The label budget, capped at a quarter of the training split (tiny tasks such as wine)."""
    return int(max(2, min(n_labels, n_train // 4)))


def draw_labeled(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` row positions drawn without replacement, stratified by class (largest remainders;
    every class present gets at least one row when ``n`` allows). Sorted; same seed, same rows."""
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(y >= 0)
    classes, counts = np.unique(y[pool], return_counts=True)
    n = int(min(n, pool.size))
    exact = n * counts / counts.sum()
    quota = np.floor(exact).astype(int)
    order = np.lexsort((np.arange(classes.size), -(exact - quota)))
    for i in order[: n - quota.sum()]:
        quota[i] += 1
    if n >= classes.size:
        for i in np.flatnonzero(quota == 0):
            j = int(np.argmax(quota))
            quota[j] -= 1
            quota[i] += 1
    quota = np.minimum(quota, counts)
    picks = [rng.choice(pool[y[pool] == c], size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)


def _lf_test_stats(V: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cov = V >= 0
    n = cov.sum(axis=0)
    correct = ((V == y[:, None]) & cov).sum(axis=0)
    acc = np.where(n > 0, correct / np.maximum(n, 1), np.nan)
    return n / max(V.shape[0], 1), acc


def run_autows_unit(tf: TaskFeatures, seed: int, n_labels: int, methods: Sequence[str],
                    models: Sequence[str], max_lfs: int | None = None) -> tuple[list[dict], list[dict]]:
    """One task, seed and label budget: baselines, then each LF method with each label model."""
    ds = tf.ds
    K, tr, te = ds.cardinality, ds.train, ds.test
    n_lab = effective_labels(tr.n, n_labels)
    idx = draw_labeled(tr.y, n_lab, seed)
    unl = np.setdiff1d(np.arange(tr.n), idx)
    y_l = tr.y[idx]
    E_tr, E_te = tf.end()
    base = {"suite": "autows", "task": ds.name, "seed": seed, "K": K, "n_train": tr.n, "n_test": te.n,
            "budget": int(n_labels), "n_labels": int(idx.size)}
    records, lf_records = [], []

    # baselines on the same labelled rows
    C = choose_C(E_tr[idx], y_l, K, seed)
    base["end_C"] = C
    sup = fit_soft(E_tr[idx], one_hot(y_l, K), seed, C=C)
    sup_pred = predict_proba(sup, E_te, K).argmax(axis=1)
    sup_metrics = metrics(te.y, sup_pred)
    records.append(dict(base, method="-", model="supervised", **{f"end_{k}": v for k, v in sup_metrics.items()}))
    D_tr, D_te = tf.dense()
    y_partial = np.full(tr.n, -1, dtype=np.int64)
    y_partial[idx] = y_l
    lp = metrics(te.y, label_propagation(D_tr, y_partial, D_te))
    records.append(dict(base, method="-", model="label_propagation", **{f"end_{k}": v for k, v in lp.items()}))
    majority = int(np.bincount(y_l, minlength=K).argmax())
    mc = metrics(te.y, np.full(te.n, majority))
    records.append(dict(base, method="-", model="majority_class", **{f"end_{k}": v for k, v in mc.items()}))

    for method in methods:
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            # the generator's advice (too few labelled rows of a class for some rule) goes into the
            # records, not onto stderr as a raw Python warning (that broke -q and --json's one-line stderr)
            warnings.simplefilter("always")
            lfs = generate_lfs(tr.features.iloc[idx], y_l, method, X_unlabeled=tr.features.iloc[unl],
                               classes=ds.classes, text_column=ds.text_column, max_lfs=max_lfs, random_state=seed)
        gen_s = time.perf_counter() - t0
        mbase = dict(base, method=method, n_lfs=len(lfs), gen_seconds=gen_s)
        said = list(dict.fromkeys(str(w.message).splitlines()[0] for w in caught if str(w.message).strip()))
        if said:
            mbase["gen_warnings"] = " | ".join(said)[:500]
        if len(lfs) == 0:
            # nothing to aggregate: the pipeline falls back to the labelled rows alone
            for name in models:
                records.append(dict(mbase, model=name, lm_coverage=0.0, lm_accuracy=math.nan, lm_macro_f1=math.nan,
                                    **{f"end_{k}": v for k, v in sup_metrics.items()}, note="no LF passed the gate"))
            continue
        t0 = time.perf_counter()
        V_tr = apply_lfs(tr.features, lfs, cardinality=K)
        V_te = apply_lfs(te.features, lfs, cardinality=K)
        mbase["apply_seconds"] = time.perf_counter() - t0
        dense_te = V_te.to_dense()
        cov_lf, acc_lf = _lf_test_stats(dense_te, te.y)
        for j, (lf, st) in enumerate(zip(lfs, lfs.stats)):
            lf_records.append({"task": ds.name, "seed": seed, "budget": int(n_labels), "n_labels": int(idx.size),
                               "method": method,
                               "lf": lf.name, "rule": st["rule"], "coverage_test": float(cov_lf[j]),
                               "accuracy_test": float(acc_lf[j]), "coverage_labeled": st["coverage_labeled"],
                               "accuracy_labeled": st["accuracy_labeled"]})
        covered_te = V_te.votes_per_row() > 0
        covered_tr = V_tr.votes_per_row() > 0
        mbase.update(lm_coverage=float(covered_te.mean()), lf_accuracy=float(np.nanmean(acc_lf)),
                     lf_coverage=float(np.mean(cov_lf)))
        y_fit = np.full(tr.n, -1, dtype=np.int64)
        y_fit[idx] = y_l
        weak_rows = unl[covered_tr[unl]]
        for name in models:
            rec = dict(mbase, model=name)
            try:
                t0 = time.perf_counter()
                lm = make(name, seed).fit(V_tr, y_fit)
                rec["fit_seconds"] = time.perf_counter() - t0
                P_te = np.asarray(lm.predict_proba(V_te), dtype=float)
                pred = break_ties(P_te, "random", seed)
                lm_m = metrics(te.y, pred)
                rec["lm_accuracy"], rec["lm_macro_f1"] = lm_m["accuracy"], lm_m["macro_f1"]
                rec["lm_accuracy_covered"] = (float((pred[covered_te] == te.y[covered_te]).mean())
                                              if covered_te.any() else math.nan)
                P_tr = np.asarray(lm.predict_proba(V_tr.take(weak_rows)), dtype=float)
                X_end = _stack(E_tr[weak_rows], E_tr[idx])
                end = fit_soft(X_end, np.vstack([P_tr, one_hot(y_l, K)]), seed, C=C)
                end_m = metrics(te.y, predict_proba(end, E_te, K).argmax(axis=1))
                rec["end_accuracy"], rec["end_macro_f1"] = end_m["accuracy"], end_m["macro_f1"]
                rec["weak_rows"] = int(weak_rows.size)
            except Exception as exc:  # noqa: BLE001 - a failing model is reported, the bench goes on
                rec["error"] = _err(exc)
            records.append(rec)
    return records, lf_records


def _stack(a, b):
    from scipy import sparse

    if sparse.issparse(a):
        return sparse.vstack([a, b]).tocsr()
    return np.vstack([a, b])


# --------------------------------------------------------------------------- driver
def run_bench(cfg: BenchConfig, progress: Callable[[Unit | None, int, int], None] | None = None) -> BenchResult:
    """Run the configured suites; ``progress(unit, done, total)`` is called before each unit and
    once at the end with ``unit=None``."""
    units = plan(cfg)
    models = cfg.model_names()
    methods = list(cfg.methods)
    result = BenchResult(config=dict(cfg.to_dict(), methods=methods), versions=versions())
    t_start = time.perf_counter()
    cache: dict[tuple[str, str], object] = {}

    def dataset(suite: str, name: str):
        key = (suite, name)
        if key not in cache:
            if suite == "wrench":
                ds = dsets.load_wrench_dataset(name, cfg.data_dir)
            elif suite == "crowd":
                ds = dsets.load_crowd_dataset(name, cfg.data_dir)
            else:
                ds = TaskFeatures(dsets.load_task(name, cfg.data_dir))
            cache[key] = ds
            d = ds.ds if isinstance(ds, TaskFeatures) else ds
            result.datasets[f"{suite}/{name}"] = d.describe()
        return cache[key]

    # every dataset is read (and checked) before any work: a malformed file of the last dataset of
    # an 8-14 minute `--suite all` run ends it at once, not after the other suites ran for nothing
    for unit in units:
        if unit.suite != "verifiers":
            ds = dataset(unit.suite, unit.name)
            if unit.suite in ("wrench", "crowd"):
                check_scorable(ds, unit.suite)
            else:
                check_task(ds)
    limiter = None
    if cfg.threads:
        # load the libraries that bring BLAS and OpenMP first: threadpoolctl limits loaded ones only
        import sklearn.cluster  # noqa: F401
        import sklearn.decomposition  # noqa: F401
        import sklearn.linear_model  # noqa: F401
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(limits=cfg.threads)
    try:
        for i, unit in enumerate(units):
            if progress is not None:
                progress(unit, i, len(units))
            if unit.suite == "verifiers":
                from .verifiers import run_verifier_unit, suite_description

                recs, vrecs = run_verifier_unit(unit.name, unit.seed, cfg.verifier_models(), quick=cfg.quick,
                                                dev_frac=cfg.dev_frac)
                result.records.extend(recs)
                result.lf_records.extend(vrecs)
                result.datasets.setdefault(f"verifiers/{unit.name}", suite_description(unit.name, cfg.quick))
                continue
            ds = dataset(unit.suite, unit.name)
            if unit.suite == "autows":
                recs, lfrecs = run_autows_unit(ds, unit.seed, unit.n_labels, methods, models, cfg.max_lfs)
                result.records.extend(recs)
                result.lf_records.extend(lfrecs)
            else:
                result.records.extend(run_votes_unit(ds, unit.seed, models, unit.suite))
        if progress is not None:
            progress(None, len(units), len(units))
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
    result.seconds = time.perf_counter() - t_start
    return result
