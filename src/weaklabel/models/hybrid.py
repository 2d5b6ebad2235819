"""The default label model: a vote-level Dawid–Skene that treats each source by its type.

Why a new model? On the shared benchmark sets (see ``benchmarks/README.md``) every classic
model fails somewhere: Dawid–Skene collapses on labeling-function data (an LF that only ever
votes one class carries no information once abstains are ignored, so the posterior falls back
to the prior: semeval .318, trec .276), modelling abstains as an outcome over-counts evidence
and wrecks sparse crowd matrices, and moment matching/triplets lose on crowd data. This model
keeps what works in each regime.

Model. Given the true class ``y`` of a row, each of its *votes* is an independent draw:

* a **single-class source** ``j`` (every vote it casts is class ``c_j``: most keyword rules) is
  described by ``a_j`` = its share of the vote mass on class ``c_j`` and ``b_j`` = its share of
  the vote mass on the other classes; its vote adds ``log a_j`` to class ``c_j`` and
  ``log b_j`` to every other class. Its abstains are not evidence (they are mutually exclusive
  rules' business, not the class's);
* a **multi-class source** (crowd workers, classifiers) has a Dawid–Skene confusion matrix
  ``theta_j[y, v]``, learned by EM with a Dirichlet prior centred on the source's own one-coin
  matrix (``conf_strength`` pseudo-votes per row): a source with few votes behaves one-coin, one
  with many gets its full matrix. Its vote adds ``log theta_j[y, v] + log(1 - U_y)``, ``U_y``
  being the share of class-``y`` votes cast by single-class sources, so both kinds of votes
  live in one vote-level likelihood.

Anchoring. The single-class ratios are computed once, from the majority-vote soft labels, and
frozen: re-estimating them by EM drifts (on the multi-class LF sets every EM step after the first
lowers accuracy while the likelihood keeps improving: the independence model is wrong there,
and the MV-calibrated one-step estimate is the robust one). Only the multi-class confusions run
EM.

Crowd-wide bias (``crowd_bias``). A confusion matrix mixes what a source is good at with what
it likes to say; the part every source shares (the crowd as a whole says "1" too often) is
confounded with the class prior, and a latent-class fit happily explains a heterogeneous class
with it (crowd_zencrowd_all: 387 "hard negatives" the crowd answers like positives turn full
Dawid–Skene 5 points below majority vote). ``"pinned"`` (default) fixes the vote-weighted common
bias of the multi-class sources at zero after every M-step - majority vote's own convention,
each source's bias *relative to the crowd* stays free - and lets the class prior speak only on
rows without votes. ``"free"`` is full Dawid–Skene: the common bias is learned and the
EM-estimated class prior enters every row through the multi-class sources (weight = the share
of the row's votes they cast). Pinned never loses to majority vote on the 17 shared sets; free
is better when the sources really are conditionally independent with a shared bias (e.g.
simulated data) and on some crowd sets (web, bluebird), and ``--model auto --dev`` picks
between them by cross-validation.

Whose bias is the crowd's (``crowd_bias_entropy``). A spammer who gives (nearly) one answer to every
item has an enormous column bias that is its own, not the crowd's; weighted by its votes it
dominates the common bias of a small team, and pinning it at zero then biases every honest
worker's matrix (crowd_temp cut to 3-8 of its most active workers, two of them such spammers: 6 to
31 points below majority vote; ``benchmarks/PROTOCOL.md`` §18). In the common bias a source counts
``votes x min(1, H / crowd_bias_entropy)``, ``H`` the normalised entropy of its own answers (1:
every class equally often; 0: one class only): a worker whose answers are spread at least that
evenly keeps its full weight. 0.8 (a binary worker counts fully up to about 76% of one answer)
was chosen on the tuning groups among 0.5, 0.8 and a weight proportional to ``H``.

Which wrong class (``wrong_class_strength``). With three or more classes a confusion row holds a
source's accuracy on the class *and* how its errors spread over the wrong classes. The spread is
what a sparse crowd cannot estimate (a worker with 18 answers over 4 classes) and what a crowd
that shares one confusion on hard items corrupts: a latent-class fit then reads the shared wrong
answer as evidence for a class (simulated ``hard_crowd``: 4 points below majority vote with the
spread learned freely). The spread is therefore shrunk towards even with ``wrong_class_strength``
pseudo-votes per row (100, chosen on the tuning half, ``benchmarks/PROTOCOL.md`` §8), while the
accuracy per class keeps its lighter one-coin prior; a source with thousands of votes still gets
its own spread, and ``--dev`` tries the free spread against the gold rows.

Dependencies (``dependencies``). Sources that copy each other (a clique of heavy annotators
making the same mistakes) are detected from the fitted model: for every pair of multi-class
sources with at least ``min_pair_votes`` co-votes, the within-class correlation of their errors
under the leave-pair-out posterior, in excess of what each source typically shares with the
others, adds to each one's load; a source's votes are then weighted ``1 / (1 + load)`` and the
model is refitted. Independent sources keep a weight near 1: the most accurate of them can pick up
a small load (on 50,000 rows of ten simulated independent LFs, weights down to 0.84, which moves
their estimated accuracies by up to 0.05 and the labels by a few tenths of a point; see
``dependencies.DependencyPass._dependency_weights``).

Copies (near-duplicate sources). The fitted model's posterior is a poor reference when the copies
of one weak source have *captured* the latent class (simulated ``correlated``: 3-4 copies of a
~0.55-accurate source sharing ~90% of their votes; the first fit rates the copies ~0.93 and the
independent sources ~0.5, so the copies' errors barely correlate under it, their loads come out
near 1, and the refit with weights ~0.47 falls into the same basin: 43 of 65 fresh draws below
majority vote, down to -10 points). The pass is therefore run twice, under the fitted posterior
and under a one-coin majority-vote posterior (leave-pair-out; the copies then share ~0.75 of their
errors), and each pair keeps the larger excess. A connected group of sources whose pairs share
more than ``dependencies._COPY_SHARE`` (0.55) of their errors is treated as copies of one source:
together they weigh at most 1 (each ``min(1 / (1 + load), 1 / group size)``). A weight of ``1 / (1 + load)``
(~0.31 for four copies) is the right count of independent votes, but EM still rates a group of
copies by its agreement with itself, and only a total weight of about one keeps the first EM step
out of the copies' basin. Chosen on 65 fresh ``correlated`` draws (``benchmarks/PROTOCOL.md`` §9):
no draw below majority vote after, mean +12.8 points (before: +1.0).

With gold labels (``fit(L, y)``) the labelled rows are fixed to their labels in the
initialisation and in every E-step, and the class prior is their (smoothed) class frequency.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix
from .base import Interval, LabelModel, Options, check_class_balance, gold_class_balance, register
from .dawid_skene import rows_or_prior
from .dependencies import DependencyPass
from .hybrid_confusion import _EPS, _onecoin, bias_weights, exclude_classes, pin_common_bias, spread_errors
from .stats import posterior


@register
class HybridDawidSkene(DependencyPass, LabelModel):
    """Robust default: frozen likelihood ratios for single-class LFs, EM confusions for the rest.

    Parameters
    ----------
    crowd_bias:
        ``"pinned"`` (default) or ``"free"`` (see the module docstring).
    crowd_bias_entropy:
        With ``"pinned"``: a source whose answers' normalised entropy ``H`` is below this counts in
        the common bias with weight ``votes x H / crowd_bias_entropy`` instead of ``votes`` (a
        near-constant answerer's bias is its own; see the module docstring). 0: votes only.
    dependencies:
        Detect and down-weight sources whose errors are correlated.
    conf_strength:
        Pseudo-votes per confusion row pulling a multi-class source towards its own one-coin
        matrix.
    wrong_class_strength:
        With 3 or more classes: pseudo-votes per confusion row spreading a source's errors evenly
        over the wrong classes (which wrong class a source picks is the part of a confusion matrix
        a sparse source cannot estimate, and the part a crowd's shared confusions on hard items
        corrupt; see the module docstring). The row's accuracy is still set by ``conf_strength``.
    prior_accuracy:
        Prior accuracy inside that one-coin matrix (with 2 pseudo-votes).
    ratio_smoothing:
        Pseudo-votes pulling each single-class source's ratio ``a_j / b_j`` towards 1.
    min_pair_votes:
        Co-votes a pair of sources needs before its error correlation is trusted.
    dependency_rows:
        The dependency statistics (a pass over all pairs of votes on a row) use an evenly spaced
        subset of at most this many rows; pairwise correlations need far fewer rows than EM.
    class_balance:
        Fixed class balance instead of the estimate.
    max_iter, tol:
        EM stops when no confusion entry moves by more than ``tol``.

    Learned: ``class_balance_`` (with ``crowd_bias="pinned"`` and no gold labels: majority vote's class
    mix over the rows with votes, the prior rows without votes get, *not* an estimate of P(y) by the
    model: on simulated independent LFs with an 80/20 mix it is off by up to 0.16; ``"free"``
    estimates it), ``confusion_`` (m, K, K; multi-class sources),
    ``single_class_`` (m,) bool, ``target_`` (m,) their class, ``ratio_`` (m, 2) = (a_j, b_j),
    ``log_not_single_`` (K,) = log(1 - U_y), ``source_weights_`` (m,), ``accuracies_`` (m,),
    ``dependent_pairs_`` (p, 2) the pairs of sources found to share errors (excess correlation
    above 0.05),
    ``n_iter_``, ``converged_``.
    """

    _parameter_constraints = {
        "crowd_bias": [Options("pinned", "free")],
        "crowd_bias_entropy": [Interval("real", 0, 1, closed="both")],
        "dependencies": ["boolean"],
        "conf_strength": [Interval("real", 0, None)],
        "wrong_class_strength": [Interval("real", 0, None)],
        "prior_accuracy": [Interval("real", 0, 1, closed="neither")],
        "ratio_smoothing": [Interval("real", 0, None)],
        "min_pair_votes": [Interval("int", 1, None)],
        "dependency_rows": [Interval("int", 1, None)],
        "class_balance": [None, "probabilities"],
        "max_iter": [Interval("int", 0, None)],
        "tol": [Interval("real", 0, None, closed="neither")],
        "random_state": [None, "random_state"],
    }

    _learned = ("class_balance_", "confusion_", "single_class_", "target_", "ratio_", "log_not_single_",
                "source_weights_", "prior_on_covered_", "accuracies_", "dependent_pairs_", "n_iter_", "converged_")

    def __init__(self, crowd_bias: str = "pinned", crowd_bias_entropy: float = 0.8, dependencies: bool = True,
                 conf_strength: float = 5.0,
                 wrong_class_strength: float = 100.0, prior_accuracy: float = 0.7, ratio_smoothing: float = 1.0,
                 min_pair_votes: int = 500,
                 dependency_rows: int = 50_000, class_balance=None, max_iter: int = 100, tol: float = 1e-4,
                 random_state: int | None = 0):
        self.crowd_bias = crowd_bias
        self.crowd_bias_entropy = crowd_bias_entropy
        self.dependencies = dependencies
        self.conf_strength = conf_strength
        self.wrong_class_strength = wrong_class_strength
        self.prior_accuracy = prior_accuracy
        self.ratio_smoothing = ratio_smoothing
        self.min_pair_votes = min_pair_votes
        self.dependency_rows = dependency_rows
        self.class_balance = class_balance
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # ------------------------------------------------------------------ pieces
    def _check(self, K: int):
        if self.crowd_bias not in ("pinned", "free"):
            raise InputError(f"crowd_bias must be 'pinned' or 'free', got {self.crowd_bias!r}")
        if not 0 <= self.crowd_bias_entropy <= 1:
            raise InputError(f"crowd_bias_entropy must be in [0, 1], got {self.crowd_bias_entropy}")
        if min(self.conf_strength, self.wrong_class_strength, self.ratio_smoothing) < 0:
            raise InputError("conf_strength, wrong_class_strength and ratio_smoothing must be >= 0")
        if self.min_pair_votes < 1 or self.dependency_rows < 1:
            raise InputError("min_pair_votes and dependency_rows must be >= 1")
        if not 0 < self.prior_accuracy < 1:
            raise InputError(f"prior_accuracy must be in (0, 1), got {self.prior_accuracy}")
        if self.max_iter < 0 or self.tol <= 0:
            raise InputError("max_iter must be >= 0 and tol > 0")
        return check_class_balance(self.class_balance, K)

    def _confusion(self, N: np.ndarray) -> np.ndarray:
        prior = _onecoin(N, self.prior_accuracy, 2.0)
        theta = N + self.conf_strength * prior
        theta = rows_or_prior(theta, theta.sum(axis=2, keepdims=True), prior)   # conf_strength=0: no 0/0 rows
        if self.wrong_class_strength > 0 and N.shape[1] > 2:
            theta = spread_errors(theta, N, self.wrong_class_strength)
        if self.crowd_bias == "pinned":
            theta = pin_common_bias(theta, bias_weights(N, self.crowd_bias_entropy))
        return exclude_classes(theta, getattr(self, "_unseen_classes", None))

    def scoring_tables(self):
        """``(D, prior_w, base, base0)``: how the fitted model scores a row (see ``models.stats``);
        model criticism (``weaklabel.models.criticism``) scores held-out votes with them."""
        return self._tables()

    def _tables(self):
        """``(D, prior_w, base, base0)`` for the scoring kernels."""
        K = int(self.cardinality_)
        single = np.asarray(self.single_class_, dtype=bool)
        D = np.log(np.clip(self.confusion_, _EPS, 1.0)) + self.log_not_single_[None, :, None]
        D *= np.asarray(self.source_weights_, dtype=float)[:, None, None]
        if single.any():
            rows = np.flatnonzero(single)
            a, b = self.ratio_[rows, 0], self.ratio_[rows, 1]
            lp = np.repeat(np.log(b)[:, None], K, axis=1)
            lp[np.arange(rows.size), self.target_[rows]] = np.log(a)
            D[rows] = lp[:, :, None]  # whatever the (single) vote, the same class scores
        logpi = np.log(np.clip(self.class_balance_, _EPS, 1.0))
        prior_w = (~single).astype(float) if self.prior_on_covered_ else np.zeros(single.size)
        return np.ascontiguousarray(D), prior_w, logpi, logpi

    # ------------------------------------------------------------------ fit
    def _fit(self, data, y: np.ndarray | None) -> None:
        K, m, n = data.cardinality, data.n_lfs, data.n_rows
        fixed = self._check(K)
        counts = data.lf_counts()
        tot = counts.sum(axis=1)
        target = counts.argmax(axis=1)
        single = (counts.max(axis=1) == tot) & (tot > 0)
        # no per-row array without labels: a streamed fit of 10^8 rows held 0.9 GB of "-1"s
        yy = y if y is not None and np.any(y >= 0) else None

        # majority-vote soft labels (each row's vote shares; gold rows fixed): the anchor statistics
        S1, T1 = data.share_stats(yy)
        # classes no vote and no gold label on a row with votes puts any mass on (``exclude_classes``)
        self._unseen_classes = S1.sum(axis=(0, 2)) <= 0 if K > 1 else None
        # uncovered rows contributed uniform mass (a labelled uncovered row is counted as uniform
        # too: at most a handful of rows)
        cov_dist = np.maximum(T1 - data.n_uncovered() / K, 0) + _EPS
        cov_dist /= cov_dist.sum()
        gold = gold_class_balance(y, K)
        pi = fixed if fixed is not None else gold if gold is not None else cov_dist  # MV dist. of covered rows
        # single-class sources: vote-mass shares, frozen at the MV calibration
        Vy = np.maximum(S1.sum(axis=(0, 2)), _EPS)            # class vote mass
        r = Vy / Vy.sum()
        s = self.ratio_smoothing
        idx = np.arange(m)
        F = S1[idx, :, target]                                 # (m, K): j's vote mass per class
        Fc = F[idx, target]
        a = (Fc + s * r[target]) / Vy[target]
        b = (F.sum(axis=1) - Fc + s * (1 - r[target])) / np.maximum(Vy.sum() - Vy[target], _EPS)
        multi = ~single & (tot > 0)
        self.cardinality_, self.n_lfs_ = K, m
        self.single_class_ = single
        self.target_ = target.astype(np.int64)
        self.ratio_ = np.stack([a, b], axis=1)
        self.log_not_single_ = np.log(np.clip(1 - F[single].sum(axis=0) / Vy, 1e-9, 1.0))
        self.prior_on_covered_ = self.crowd_bias == "free"
        free_prior = self.crowd_bias == "free" and fixed is None and yy is None
        N0 = np.where(multi[:, None, None], S1, 0.0)
        self.source_weights_ = np.ones(m)
        self.dependent_pairs_ = np.zeros((0, 2), dtype=np.int64)
        self._dependency_note = None   # why the dependency pass was skipped, for the warnings
        it, converged = self._em(data, yy, N0, pi, multi, free_prior)
        if self.dependencies and multi.sum() >= 2:
            w = self._dependency_weights(data, multi)
            if w.min() < 0.95:  # a refit for loads of a few percent would change nothing
                self.source_weights_ = w
                it2, converged = self._em(data, yy, N0, pi, multi, free_prior)
                it += it2
        self.n_iter_ = int(it)
        self.converged_ = bool(converged)
        self.accuracies_ = self._accuracies()

    def _em(self, data, yy, N0, pi, multi, free_prior):
        """EM on the multi-class confusions (and the class prior when free), from the MV start."""
        K = int(self.cardinality_)
        self.class_balance_ = pi
        self.confusion_ = self._confusion(N0)
        if not multi.any():
            return 0, True
        for it in range(1, self.max_iter + 1):
            D, prior_w, base, base0 = self._tables()
            S, T, _ = data.em_stats(D, base, yy, prior_w, base0)
            new = self._confusion(np.where(multi[:, None, None], S, 0.0))
            delta = float(np.abs(new - self.confusion_).max())
            self.confusion_ = new
            if free_prior:
                p = (T + 1.0) / (T.sum() + K)
                delta = max(delta, float(np.abs(p - self.class_balance_).max()))
                self.class_balance_ = p
            if delta < self.tol:
                return it, True
        return self.max_iter, False

    def _accuracies(self) -> np.ndarray:
        """P(vote == y | the source votes), under the model and the class prior."""
        pi = self.class_balance_
        diag = np.einsum("jkk->jk", self.confusion_).copy()
        unseen = getattr(self, "_unseen_classes", None)
        if unseen is not None and np.any(unseen):   # exclude_classes' rows say "votes k", which no source does:
            diag[:, unseen] = 0.0                    # on a row of such a class every vote is wrong
        acc = diag @ pi
        single = np.asarray(self.single_class_, dtype=bool)
        if single.any():
            c = self.target_[single]
            a, b = self.ratio_[single, 0], self.ratio_[single, 1]
            num = pi[c] * a
            acc[single] = num / (num + (1 - pi[c]) * b)
        return np.clip(acc, 0.0, 1.0)

    def _predict_proba(self, vm: VoteMatrix) -> np.ndarray:
        D, prior_w, base, base0 = self._tables()
        return posterior(vm, D, base, prior_w, base0)

    def _validate_learned(self) -> None:
        super()._validate_learned()
        K, m = int(self.cardinality_), int(self.n_lfs_)
        conf = np.asarray(self.confusion_, dtype=float)
        if conf.shape != (m, K, K) or np.any(conf < 0) or not np.allclose(conf.sum(axis=2), 1, atol=1e-6):
            raise ValueError("confusion_ must be (n_lfs, K, K) with rows summing to 1")
        single = np.asarray(self.single_class_, dtype=bool)
        target = np.asarray(self.target_, dtype=np.int64)
        ratio = np.asarray(self.ratio_, dtype=float)
        lns = np.asarray(self.log_not_single_, dtype=float)
        w = np.asarray(self.source_weights_, dtype=float)
        if single.shape != (m,) or target.shape != (m,) or np.any((target < 0) | (target >= K)):
            raise ValueError("single_class_ and target_ must have one entry per LF, targets in 0..K-1")
        if ratio.shape != (m, 2) or np.any(ratio <= 0) or lns.shape != (K,) or np.any(lns > 0):
            raise ValueError("ratio_ must be (n_lfs, 2) positive and log_not_single_ (K,) non-positive")
        if w.shape != (m,) or np.any(w < 0) or np.any(w > 1):
            raise ValueError("source_weights_ must be n_lfs numbers in [0, 1]")
        self.confusion_, self.single_class_, self.target_ = conf, single, target
        self.ratio_, self.log_not_single_, self.source_weights_ = ratio, lns, w
        self.prior_on_covered_ = bool(self.prior_on_covered_)
        pairs = np.asarray(getattr(self, "dependent_pairs_", np.zeros((0, 2))), dtype=np.int64).reshape(-1, 2)
        if np.any((pairs < 0) | (pairs >= m)):
            raise ValueError("dependent_pairs_ must hold LF indices")
        self.dependent_pairs_ = pairs
        self.accuracies_ = np.asarray(self.accuracies_, dtype=float)

