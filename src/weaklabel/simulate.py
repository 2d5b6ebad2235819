"""Simulated vote matrices drawn from a known label model, for tests and benchmarks.

:func:`simulate_votes` draws ``y`` from a class balance and every LF's votes independently
given ``y`` (the assumption all weaklabel models make), so that recovered parameters can be
compared with the truth. Generation is vectorised and works in row blocks, so 10^7 rows x 100
LFs fit in a few GiB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dtypes import MAX_CARDINALITY, vote_dtype
from .votes import VoteMatrix, concat_csr, dense_to_csr

CONFUSIONS = ("onecoin", "random")


@dataclass
class Simulation:
    votes: VoteMatrix
    y: np.ndarray
    class_balance: np.ndarray
    accuracies: np.ndarray      # P(vote == y | votes), per LF
    coverage: np.ndarray        # P(votes), per LF
    confusion: np.ndarray       # (m, K, K) P(vote = v | y = k, votes)


def simulate_votes(n: int, m: int, K: int = 2, *, coverage=(0.1, 0.5), accuracy=(0.55, 0.9),
                   class_balance=None, confusion: str = "onecoin", seed: int = 0,
                   block: int = 250_000) -> Simulation:
    """Draw ``n`` rows of ``m`` conditionally independent LFs.

    Parameters
    ----------
    n, m, K:
        Rows, LFs and classes (``2 <= K <= 32767``; votes are int8 up to K = 127, int16 above).
    coverage, accuracy:
        Each a probability in ``[0, 1]``, given one of three ways, told apart by type: a tuple
        ``(low, high)`` is always a range each LF's value is drawn from uniformly (even when
        ``m == 2``); a list or numpy array holds one value per LF (length ``m``); a number is
        every LF's value.
    class_balance:
        P(y), ``K`` non-negative weights (normalised to sum to 1); uniform by default.
    confusion:
        ``"onecoin"``: errors spread evenly over the other classes; ``"random"``: each error row
        is a random distribution over the other classes (a full Dawid–Skene model).

    Invalid arguments raise ``ValueError`` naming the argument.
    """
    _check_sizes(n, m, K, block)
    _check_seed(seed)
    if confusion not in CONFUSIONS:
        raise ValueError(f"confusion must be one of {', '.join(map(repr, CONFUSIONS))}, got {confusion!r}")
    rng = np.random.default_rng(seed)
    cb = _class_balance(class_balance, K)
    cov = _per_lf("coverage", coverage, m, rng)
    acc = _per_lf("accuracy", accuracy, m, rng)
    conf = np.zeros((m, K, K))
    for j in range(m):
        for k in range(K):
            if confusion == "onecoin":
                err = np.full(K, (1 - acc[j]) / (K - 1))
            else:
                err = rng.dirichlet(np.ones(K)) if K > 2 else np.ones(K)
                err[k] = 0
                err = err / err.sum() * (1 - acc[j])
            err[k] = acc[j]
            conf[j, k] = err
    cum = np.cumsum(conf, axis=2)
    y_all = rng.choice(K, size=n, p=cb)
    parts = []
    for start in range(0, n, block):
        y = y_all[start:start + block]
        b = y.size
        u = rng.random((b, m), dtype=np.float32)
        fire = rng.random((b, m), dtype=np.float32) < cov[None, :].astype(np.float32)
        # vote = first class whose cumulative probability exceeds u, per (row, LF)
        c = cum[np.arange(m)[None, :], y[:, None]]          # (b, m, K)
        votes = (u[:, :, None] > c[:, :, :-1]).sum(axis=2).astype(vote_dtype(K))  # int8 wraps above K = 127
        votes[~fire] = -1
        parts.append(dense_to_csr(votes, K))
    indptr, indices, v = concat_csr(parts, K)
    vm = VoteMatrix(indptr, indices, v, [f"lf_{j}" for j in range(m)], cardinality=K, validate=False)
    return Simulation(votes=vm, y=y_all, class_balance=cb, accuracies=acc, coverage=cov, confusion=conf)


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_seed(seed) -> None:
    """A seed NumPy takes as it is meant: None (fresh entropy) or an int >= 0. A negative int, a
    float, a bool or a string would otherwise fail deep inside NumPy without naming the argument."""
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise ValueError(f"seed must be None or an int >= 0, got {seed!r}")


def _check_sizes(n, m: int, K: int, block: int) -> None:
    """Sizes as the vote matrix needs them: K = 1 has no vote to cast and would give an invalid
    matrix; K above the class limit cannot be stored."""
    if not _is_int(n) or n < 0:
        raise ValueError(f"n (rows) must be an int >= 0, got {n!r}")
    if not _is_int(m) or m < 1:
        raise ValueError(f"m (LFs) must be an int >= 1, got {m!r}")
    if not _is_int(K) or not 2 <= K <= MAX_CARDINALITY:
        raise ValueError(f"K (classes) must be an int from 2 to {MAX_CARDINALITY}, got {K!r}")
    if not _is_int(block) or block < 1:
        raise ValueError(f"block must be an int >= 1, got {block!r}")


def _class_balance(class_balance, K: int) -> np.ndarray:
    """P(y): ``K`` finite, non-negative weights with a positive sum, normalised."""
    if class_balance is None:
        return np.full(K, 1.0 / K)
    cb = np.asarray(class_balance, dtype=float)
    if cb.shape != (K,):
        raise ValueError(f"class_balance must hold one weight per class (K = {K}), got shape {cb.shape}")
    if not np.all(np.isfinite(cb)) or np.any(cb < 0) or cb.sum() <= 0:
        raise ValueError(f"class_balance must be finite, non-negative weights with a positive sum, got {cb.tolist()}")
    return cb / cb.sum()


def _per_lf(what: str, spec, m: int, rng: np.random.Generator) -> np.ndarray:
    """One probability per LF from a ``(low, high)`` tuple (a range, drawn uniformly), a list or
    array of ``m`` values, or one number. Values outside [0, 1] are refused: they would be
    returned as the simulation's truth without being what the votes follow."""
    if isinstance(spec, tuple) and len(spec) == 2:
        low, high = (float(x) for x in spec)
        if not (0.0 <= low <= high <= 1.0):
            raise ValueError(f"{what} range (low, high) must satisfy 0 <= low <= high <= 1, got {spec!r}")
        return rng.uniform(low, high, size=m)
    arr = np.asarray(spec, dtype=float)
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
    elif arr.shape != (m,):
        raise ValueError(f"{what} must be a (low, high) tuple, one number or one value per LF "
                         f"(m = {m}), got shape {arr.shape}")
    bad = ~((arr >= 0.0) & (arr <= 1.0))   # NaN is bad too
    if bad.any():
        j = int(np.argmax(bad))
        raise ValueError(f"{what} must be a probability in [0, 1], got {arr[j]} for LF {j}")
    return arr


# ---------------------------------------------------------------------------------------------
# Stress regimes: the vote matrices on which label models that assume well-behaved, conditionally
# independent sources fall below majority vote. Each generator draws its parameters from ranges
# (so a seed is a new data set, not a new sample of the same one) and returns a Simulation whose
# ``accuracies``/``coverage``/``confusion`` describe the generating process.
# ---------------------------------------------------------------------------------------------

def _from_dense(L: np.ndarray, y: np.ndarray, K: int, names=None) -> tuple[VoteMatrix, np.ndarray]:
    m = L.shape[1]
    vm = VoteMatrix.from_dense(L.astype(np.int16), cardinality=K,
                               lf_names=names or [f"lf_{j}" for j in range(m)])
    return vm, y


def _truth(vm: VoteMatrix, L: np.ndarray, y: np.ndarray, K: int, cb: np.ndarray) -> Simulation:
    """A Simulation with the empirical per-LF accuracy, coverage and confusion of ``L``."""
    m = L.shape[1]
    fired = L >= 0
    cov = fired.mean(axis=0)
    acc = np.array([(L[fired[:, j], j] == y[fired[:, j]]).mean() if fired[:, j].any() else np.nan
                    for j in range(m)])
    conf = np.zeros((m, K, K))
    for j in range(m):
        f = fired[:, j]
        np.add.at(conf[j], (y[f], L[f, j]), 1.0)
    conf = conf / np.maximum(conf.sum(axis=2, keepdims=True), 1.0)
    return Simulation(votes=vm, y=y, class_balance=cb, accuracies=acc, coverage=cov, confusion=conf)


def _single_class_lf(y: np.ndarray, target: int, coverage: float, precision: float, cb: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """Votes of a one-class rule: fires on about ``coverage`` of the rows, ``precision`` of its
    firings on rows of class ``target``."""
    n = y.size
    pt = max(cb[target], 1e-6)
    r1 = min(1.0, coverage * precision / pt)               # P(fire | y = target)
    r0 = min(1.0, coverage * (1 - precision) / max(1 - pt, 1e-6))  # P(fire | y != target)
    fire = rng.random(n) < np.where(y == target, r1, r0)
    return np.where(fire, target, -1)


def regime_few_sources(n: int = 2000, seed: int = 0) -> Simulation:
    """Three LFs: two precise one-class rules (accuracy ~1, coverage ~5% and ~36%) and one
    full-coverage source voting both classes at ~65% accuracy."""
    rng = np.random.default_rng(seed)
    K = 2
    p1 = rng.uniform(0.35, 0.6)
    cb = np.array([1 - p1, p1])
    y = rng.choice(K, size=n, p=cb)
    t_small, t_big = rng.integers(0, K), rng.integers(0, K)
    a = _single_class_lf(y, t_small, rng.uniform(0.03, 0.08), rng.uniform(0.96, 1.0), cb, rng)
    b = _single_class_lf(y, t_big, rng.uniform(0.25, 0.4), rng.uniform(0.95, 1.0), cb, rng)
    acc = rng.uniform(0.6, 0.7)
    c = np.where(rng.random(n) < acc, y, 1 - y)
    L = np.stack([a, b, c], axis=1)
    vm, y = _from_dense(L, y, K, ["precise_small", "precise_big", "noisy_full"])
    return _truth(vm, L, y, K, cb)


def regime_catch_all(n: int = 3000, seed: int = 0) -> Simulation:
    """A default LF voting the majority class on every row (its accuracy is the base rate,
    ~0.87) and several low-precision (0.2-0.55) LFs voting the minority class."""
    rng = np.random.default_rng(seed)
    K = 2
    p0 = rng.uniform(0.82, 0.9)
    cb = np.array([p0, 1 - p0])
    y = rng.choice(K, size=n, p=cb)
    m_min = int(rng.integers(3, 7))
    cols = [np.zeros(n, dtype=np.int64)]
    for _ in range(m_min):
        cols.append(_single_class_lf(y, 1, rng.uniform(0.03, 0.15), rng.uniform(0.2, 0.55), cb, rng))
    L = np.stack(cols, axis=1)
    vm, y = _from_dense(L, y, K, ["default_negative"] + [f"minority_{j}" for j in range(m_min)])
    return _truth(vm, L, y, K, cb)


def _crowd_activity(rng, n_workers: int, answers_per_item: int):
    """Long-tailed worker activity (median ~18 answers) and the number of items it implies."""
    activity = np.clip(np.exp(rng.normal(np.log(18), 1.0, n_workers)), 2, None)
    return activity / activity.sum(), int(activity.sum() / answers_per_item)


def _imbalanced_prior(rng, K: int) -> np.ndarray:
    cb = np.sort(rng.dirichlet(np.full(K, 2.0)))[::-1]
    cb = 0.85 * cb + 0.15 * np.linspace(0.4, 0.1, K) / np.linspace(0.4, 0.1, K).sum()
    return cb / cb.sum()


def _crowd_answers(rng, y, n_workers, p, answers_per_item, answer_dist):
    """Each item is answered by ~``answers_per_item`` workers drawn by activity; ``answer_dist(i,
    ws)`` gives the (len(ws), K) answer distributions of those workers on item ``i``."""
    n = y.size
    per_item = np.clip(rng.poisson(answers_per_item, n), 2, None)
    rows, cols, vals = [], [], []
    for i in range(n):
        ws = rng.choice(n_workers, size=min(per_item[i], n_workers), replace=False, p=p)
        cum = np.cumsum(answer_dist(i, ws), axis=1)
        v = (rng.random(ws.size)[:, None] > cum[:, :-1]).sum(axis=1)
        rows.append(np.full(ws.size, i))
        cols.append(ws)
        vals.append(v)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _crowd_simulation(r, c, v, y, n_workers, K, cb, conf) -> Simulation:
    vm = _csr_from_triples(r, c, v, y.size, n_workers, K, [f"worker_{w}" for w in range(n_workers)])
    fired_acc = np.array([np.nan] * n_workers)
    cnt = np.bincount(c, minlength=n_workers)
    hit = np.bincount(c, weights=(v == y[r]).astype(float), minlength=n_workers)
    fired_acc[cnt > 0] = hit[cnt > 0] / cnt[cnt > 0]
    return Simulation(votes=vm, y=y, class_balance=cb, accuracies=fired_acc, coverage=cnt / y.size,
                      confusion=conf)


def _worker_confusions(rng, acc: np.ndarray, K: int, shared: np.ndarray | None = None,
                       share: float = 0.0) -> np.ndarray:
    """Per-worker confusion rows: accuracy ``acc[w]`` on the diagonal, the error mass spread by a
    worker's own Dirichlet(0.7) draw, mixed with ``share`` of a crowd-wide pattern ``shared``."""
    conf = np.zeros((acc.size, K, K))
    for w in range(acc.size):
        for k in range(K):
            err = rng.dirichlet(np.full(K, 0.7))
            if shared is not None:
                err = (1 - share) * err + share * shared[k]
            err[k] = 0
            err = err / err.sum() * (1 - acc[w])
            err[k] = acc[w]
            conf[w, k] = err
    return conf


def regime_sparse_crowd(n_workers: int = 850, answers_per_item: int = 8, seed: int = 0) -> Simulation:
    """A large sparse crowd: ~850 workers with a median of ~18 answers each (long-tailed activity),
    ~8 answers per item, 4 imbalanced classes, workers of mixed quality with class-dependent
    confusions and a few spammers: per-worker confusion matrices are not estimable."""
    rng = np.random.default_rng(seed)
    K = 4
    cb = _imbalanced_prior(rng, K)
    p, n = _crowd_activity(rng, n_workers, answers_per_item)
    y = rng.choice(K, size=n, p=cb)
    # worker quality: mostly decent, some weak, a few spammers answering one class
    acc = np.clip(rng.beta(5, 2.2, n_workers), 0.3, 0.98)
    conf = np.zeros((n_workers, K, K))
    for w in range(n_workers):  # (this draw order keeps the regime's seeds as published)
        if rng.random() < 0.06:
            conf[w] = np.eye(K)[rng.integers(0, K)][None, :].repeat(K, axis=0) * 0.9 + 0.1 / K
        else:
            conf[w] = _worker_confusions(rng, acc[w:w + 1], K)[0]
    r, c, v = _crowd_answers(rng, y, n_workers, p, answers_per_item, lambda i, ws: conf[ws, y[i]])
    return _crowd_simulation(r, c, v, y, n_workers, K, cb, conf)


def regime_hard_crowd(n_workers: int = 850, answers_per_item: int = 8, seed: int = 0) -> Simulation:
    """A large sparse crowd on a task the crowd finds hard (an adult-content or relevance rating
    judged against experts): as :func:`regime_sparse_crowd`, but workers are weaker, their errors
    share one crowd-wide confusion pattern, and items vary in difficulty - on a hard item many
    workers give the same wrong answer. The votes are not conditionally independent given the
    class, and the crowd's shared confusion looks like a class of its own to a latent-class model."""
    rng = np.random.default_rng(seed)
    K = 4
    cb = _imbalanced_prior(rng, K)
    p, n = _crowd_activity(rng, n_workers, answers_per_item)
    y = rng.choice(K, size=n, p=cb)
    acc = np.clip(rng.beta(rng.uniform(2.0, 3.5), 2.0, n_workers), 0.2, 0.98)
    shared = rng.dirichlet(np.full(K, 0.5), size=K)
    conf = _worker_confusions(rng, acc, K, shared, share=rng.uniform(0.75, 0.95))
    difficulty = rng.beta(1, 1, n) * rng.uniform(0.4, 0.7)  # chance a worker answers by the pattern
    hard_answer = shared.copy()
    hard_answer[np.arange(K), np.arange(K)] = 0
    hard_answer /= hard_answer.sum(axis=1, keepdims=True)

    def answer_dist(i, ws):
        hard = rng.random(ws.size) < difficulty[i]
        return np.where(hard[:, None], hard_answer[y[i]][None, :], conf[ws, y[i]])

    r, c, v = _crowd_answers(rng, y, n_workers, p, answers_per_item, answer_dist)
    return _crowd_simulation(r, c, v, y, n_workers, K, cb, conf)


def _csr_from_triples(r, c, v, n, m, K, names) -> VoteMatrix:
    order = np.lexsort((c, r))
    r, c, v = r[order], c[order], v[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, r + 1, 1)
    indptr = np.cumsum(indptr)
    return VoteMatrix(indptr, c.astype(np.int32), v.astype(np.int16), names, cardinality=K)


def regime_few_multiclass(n: int = 2000, seed: int = 0) -> Simulation:
    """5-7 classes and 5-7 topic-keyword LFs, each voting one class (some classes have none, some
    two), coverage 5-30%, precision 0.4-0.85."""
    rng = np.random.default_rng(seed)
    K = int(rng.integers(5, 8))
    m = int(rng.integers(5, 8))
    cb = rng.dirichlet(np.full(K, 4.0))
    y = rng.choice(K, size=n, p=cb)
    targets = rng.choice(K, size=m, replace=True)
    cols = []
    for t in targets:
        # a keyword LF's mistakes land on related topics: errors follow the class balance
        cols.append(_single_class_lf(y, int(t), rng.uniform(0.05, 0.3), rng.uniform(0.4, 0.85), cb, rng))
    L = np.stack(cols, axis=1)
    vm, y = _from_dense(L, y, K, [f"topic_{t}_{j}" for j, t in enumerate(targets)])
    return _truth(vm, L, y, K, cb)


def regime_one_class(n: int = 2000, seed: int = 0) -> Simulation:
    """Binary task where every LF is a keyword rule for the same class (precision 0.6-0.95)."""
    rng = np.random.default_rng(seed)
    K = 2
    p1 = rng.uniform(0.2, 0.5)
    cb = np.array([1 - p1, p1])
    y = rng.choice(K, size=n, p=cb)
    m = int(rng.integers(4, 9))
    L = np.stack([_single_class_lf(y, 1, rng.uniform(0.05, 0.3), rng.uniform(0.6, 0.95), cb, rng)
                  for _ in range(m)], axis=1)
    vm, y = _from_dense(L, y, K)
    return _truth(vm, L, y, K, cb)


def regime_correlated(n: int = 3000, seed: int = 0) -> Simulation:
    """Independent multi-class sources plus a clique of 3-4 copies of one weak source that share
    ~90% of its votes (correlated errors: their agreement is not evidence)."""
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 4))
    cb = rng.dirichlet(np.full(K, 5.0))
    y = rng.choice(K, size=n, p=cb)
    m_ind = int(rng.integers(4, 8))
    acc = rng.uniform(0.6, 0.85, m_ind)
    cov = rng.uniform(0.3, 0.8, m_ind)
    cols = []
    for j in range(m_ind):
        v = np.where(rng.random(n) < acc[j], y, (y + rng.integers(1, K, n)) % K)
        cols.append(np.where(rng.random(n) < cov[j], v, -1))
    weak_acc = rng.uniform(0.52, 0.62)
    base = np.where(rng.random(n) < weak_acc, y, (y + rng.integers(1, K, n)) % K)
    base_fire = rng.random(n) < rng.uniform(0.6, 0.9)
    for _ in range(int(rng.integers(3, 5))):
        keep = rng.random(n) < 0.9
        own = np.where(rng.random(n) < weak_acc, y, (y + rng.integers(1, K, n)) % K)
        cols.append(np.where(base_fire, np.where(keep, base, own), -1))
    L = np.stack(cols, axis=1)
    vm, y = _from_dense(L, y, K)
    return _truth(vm, L, y, K, cb)


def regime_independent(n: int = 3000, seed: int = 0) -> Simulation:
    """The well-specified case: 8-20 conditionally independent multi-class LFs of varied accuracy
    (0.5-0.9) and coverage, 2-4 classes, imbalanced: a label model should beat majority vote."""
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 5))
    m = int(rng.integers(8, 21))
    cb = rng.dirichlet(np.full(K, 3.0))
    sim = simulate_votes(n, m, K, coverage=(0.1, 0.6), accuracy=(0.5, 0.9), class_balance=cb,
                         confusion="random", seed=int(rng.integers(1 << 31)))
    return sim


def regime_dense_crowd(seed: int = 0) -> Simulation:
    """A classic crowdsourcing matrix: 30-60 workers answering 10-40% of 500-1500 items each, full
    confusion matrices, 2-5 classes: Dawid–Skene territory."""
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 6))
    m = int(rng.integers(30, 61))
    n = int(rng.integers(500, 1500))
    cb = rng.dirichlet(np.full(K, 3.0))
    return simulate_votes(n, m, K, coverage=(0.1, 0.4), accuracy=(0.45, 0.9), class_balance=cb,
                          confusion="random", seed=int(rng.integers(1 << 31)))


def team_with_spammers(n: int = 460, seed: int = 0) -> Simulation:
    """A small team of annotators: one good worker (93% right, answers ~75% of the items) and two
    spammers, one answering class 0 to every item it takes (~78%), one answering class 1 to 97% of
    the ~98% it takes; balanced binary classes.

    Modelled on crowd_temp cut to three of its most active workers (``benchmarks/PROTOCOL.md`` §17),
    where the default ``hybrid`` fit ended 31 points below majority vote: the spammers cast most of
    the votes, so the crowd-wide bias ``hybrid`` pinned at zero was theirs, and EM drifted towards a
    state in which no worker's vote moves a label (§17); the spammers' bias now counts by the
    entropy of their answers (``HybridDawidSkene(crowd_bias_entropy=...)``, §18)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(np.int64)
    L = -np.ones((n, 3), dtype=np.int64)
    good = rng.random(n) < 0.75
    L[good, 0] = np.where(rng.random(int(good.sum())) < 0.93, y[good], 1 - y[good])
    L[rng.random(n) < 0.78, 1] = 0
    takes = rng.random(n) < 0.98
    L[takes, 2] = np.where(rng.random(int(takes.sum())) < 0.97, 1, 0)
    vm, y = _from_dense(L, y, 2, names=["good_worker", "spammer_0", "spammer_1"])
    return _truth(vm, L, y, 2, np.array([0.5, 0.5]))


REGIMES = {
    "few_sources": regime_few_sources,
    "catch_all": regime_catch_all,
    "sparse_crowd": regime_sparse_crowd,
    "hard_crowd": regime_hard_crowd,
    "few_multiclass": regime_few_multiclass,
    "one_class": regime_one_class,
    "correlated": regime_correlated,
    "independent": regime_independent,
    "dense_crowd": regime_dense_crowd,
    "spammer_team": team_with_spammers,
}
"""Named stress regimes (``simulate_regime(name, seed)``); the first seven break label models that
trust their independence assumptions, the next two are where a label model should gain, and
``spammer_team`` (added in the tenth session) is a small team with two spammers."""


def thin_votes(vm: VoteMatrix, k: int, seed: int = 0) -> VoteMatrix:
    """At most ``k`` of each row's votes, drawn without replacement (the others dropped): the same
    workers asked for ``k`` answers an item, the redundancy of many crowdsourcing jobs. Used to
    thin real crowd sets (``benchmarks/bench_thinned_crowds.py``) and simulated ones (tests).
    Rows without votes stay empty."""
    if not _is_int(k) or k < 0:
        raise ValueError(f"k (votes kept per row) must be an int >= 0, got {k!r}")
    _check_seed(seed)
    rng = np.random.default_rng(seed)
    keep = np.zeros(vm.nnz, dtype=bool)
    for i in range(vm.n_rows):
        a, b = int(vm.indptr[i]), int(vm.indptr[i + 1])
        keep[a + (rng.choice(b - a, k, replace=False) if b - a > k else np.arange(b - a))] = True
    # kept votes per row from a running count: np.add.reduceat misreads empty rows (it returns
    # the next row's first element, or fails past the end)
    kept = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    indptr = kept[vm.indptr]
    return VoteMatrix(indptr, vm.indices[keep], vm.votes[keep], vm.lf_names, cardinality=vm.cardinality,
                      row_ids=vm.row_ids)


def simulate_regime(name: str, seed: int = 0) -> Simulation:
    """One draw of the named regime (see :data:`REGIMES`)."""
    if name not in REGIMES:
        raise ValueError(f"unknown regime {name!r}; choose one of {', '.join(REGIMES)}")
    _check_seed(seed)
    return REGIMES[name](seed=seed)
