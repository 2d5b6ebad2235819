"""Label-free model criticism: does a fitted label model explain the votes better than majority vote?

Why. A label model that assumes conditionally independent sources can fit votes it misreads
(a catch-all LF, a few precise one-class rules next to one noisy full-coverage source, copies of
one weak source) and then does worse than plain majority vote, with no gold label to tell. We
cannot score accuracy without labels, but we can score *prediction of the votes themselves*:
if sources are conditionally independent given the class, the best prediction of source ``j``'s
vote from the other sources goes through the true posterior of the class given those others. So
a model whose posterior is closer to the truth predicts held-out votes better.

The statistic (held-out-source predictive likelihood, cross-fitted):

* for every vote ``(i, j, v)``, the *cavity* posterior ``q_-j`` of row ``i`` is the model's
  posterior with source ``j`` **and the sources found to depend on it** removed (leaving only
  ``j`` out would let a copy predict its twin: agreement inside a family is not evidence);
* source ``j``'s outcome is predicted as ``sum_y q_-j(y) C_j[y, outcome]``; ``C_j`` (class ->
  outcome) is estimated from the *other* fold of rows (two folds by row content, so the order of
  the rows does not matter: :func:`~weaklabel.models.row_keys.row_folds`) and shrunk towards the
  pooled matrix of all sources, so a model is never scored on statistics it fitted;
* outcomes: the vote for every source; for one-class sources (all their votes are one class:
  keyword rules) also *abstaining*, since whether such a rule fires is all it says;
* every scoring table gets one temperature (its best of a small grid), so a well-ranked but
  over-confident model is not penalised for its scale; majority vote is the equal-weight table.

:func:`compare_to_majority` returns the mean per-term log-likelihood gain of the model over
majority vote and a paired z statistic over rows (rows are independent; a row's terms are not).
It also returns the same z over the rows where the two models' labels differ (or, with
``disagree_on="votes"``, over the held-out outcomes whose labels from the *other* sources differ,
selected without looking at the outcome scored: see :func:`compare_to_majority`). The default label
model (``AutoModel``) keeps its fitted model only when both exceed -2 (majority vote does not
predict clearly better on either), and uses majority vote
outright when one source casts at least 60% of all votes (its accuracy cannot be checked against
sources that vote so little); both rules were chosen on the tuning half of the benchmark sets and
the tuning seeds of the simulated regimes (``benchmarks/PROTOCOL.md``).

The pass runs on an evenly spaced sample of rows (:meth:`VoteStats.sample_rows`), so it costs the
same for 10^4 and 10^8 rows.

The array operations the statistic runs on (row maxima and sums, softmax, sparse sums, the outcome
cells a fold reads; each pinned to the bits of the numpy call it replaces) are in
:mod:`~weaklabel.models.criticism_arrays`, re-exported here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..votes import VoteMatrix
from .criticism_arrays import _outcome_probs, _row_max, _row_sum, _softmax, _summing  # noqa: F401  (re-exported)
from .row_keys import row_folds

MODEL_TEMPERATURES = (0.25, 0.5, 1.0, 2.0, 4.0)
MAJORITY_TEMPERATURES = (0.5, 1.0, 2.0, 4.0, 8.0)
DEFAULT_MAX_TERMS = 400_000
DOMINANT_SHARE = 0.6   # one source casting this share of all votes: nothing can check its accuracy


@dataclass
class Comparison:
    """Outcome of :func:`compare_to_majority` (all numbers are per held-out term or per row)."""

    gain: float                 # mean log-likelihood per term, model minus majority vote
    z: float                    # paired z statistic of the per-row differences, all covered rows
    z_disagree: float           # the same where the two models' labels differ (or MV ties; see disagree_on)
    disagree_rows: int          # rows scored for it
    rows: int                   # rows scored (the sample)
    terms: int                  # held-out outcomes scored
    model_temperature: float
    majority_temperature: float
    families: list = field(default_factory=list)   # connected groups of dependent sources (for the report)

    def to_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def majority_tables(m: int, K: int):
    """Scoring tables of majority vote: each vote adds 1 to its class, no prior."""
    D = np.zeros((m, K, K))
    D[:, np.arange(K), np.arange(K)] = 1.0
    return D, np.zeros(m), np.zeros(K), np.zeros(K)


def family_groups(pairs, m: int) -> list[list[int]]:
    """Connected groups of sources from dependent pairs ``[(a, b), ...]`` (singletons dropped)."""
    parent = list(range(m))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in np.asarray(pairs, dtype=np.int64).reshape(-1, 2):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for j in range(m):
        groups.setdefault(find(j), []).append(j)
    return [g for g in groups.values() if len(g) > 1]


class HeldOutVotes:
    """The held-out-source likelihood of one sample of rows, for any number of scoring tables."""

    def __init__(self, vm: VoteMatrix, single: np.ndarray, families=None, folds: int = 2, shrink: float = 1.0):
        """``families``: pairs ``(a, b)`` of dependent sources; each source's partners are left
        out with it (direct partners only: a chain of weak links is not one family)."""
        self.vm, self.K, self.m = vm, vm.cardinality, vm.n_lfs
        self.single = np.asarray(single, dtype=bool)
        self.folds, self.shrink = folds, shrink
        n = vm.n_rows
        self.rows = np.repeat(np.arange(n), np.diff(vm.indptr))
        self.src = vm.indices.astype(np.int64)
        self.val = vm.votes.astype(np.int64)
        self.cnt = np.diff(vm.indptr).astype(float)
        self.cov = self.cnt > 0
        # folds by row content, not position: shuffled rows give the same folds (models/row_keys.py)
        self.fold = row_folds(vm, folds)
        # partners[j]: the sources found to share errors with j, left out with it
        self.partners: dict[int, set[int]] = {}
        for a, b in np.asarray(families if families is not None else np.zeros((0, 2)), dtype=np.int64).reshape(-1, 2):
            if a != b:
                self.partners.setdefault(int(a), set()).add(int(b))
                self.partners.setdefault(int(b), set()).add(int(a))
        # for each vote of a source with partners, the partners' votes on the same row
        self._partner = []
        if self.partners:
            members = np.array(sorted(self.partners))
            col_of = np.full(self.m, -1)
            col_of[members] = np.arange(members.size)
            dense = np.full((n, members.size), -1, dtype=np.int64)
            e = np.flatnonzero(col_of[self.src] >= 0)
            dense[self.rows[e], col_of[self.src[e]]] = self.val[e]
            order = np.argsort(self.src[e], kind="stable")
            e_sorted = e[order]
            bounds = np.searchsorted(self.src[e_sorted], members, side="left"), \
                np.searchsorted(self.src[e_sorted], members, side="right")
            for i, j in enumerate(members):
                ej = e_sorted[bounds[0][i]:bounds[1][i]]
                for partner in self.partners[int(j)]:
                    pv = dense[self.rows[ej], col_of[partner]]
                    hit = pv >= 0
                    if hit.any():
                        self._partner.append((ej[hit], partner, pv[hit]))
        self._left_cache: np.ndarray | None = None    # built once, see _left and _plan
        self._row_sums = None                          # votes -> rows summing matrix, see _parts
        self._plan_cache: list[dict] | None = None

    def _parts(self, tables):
        """Per-vote cavity scores and per-row full scores of one scoring table."""
        D, prior_w, base, base0 = (np.asarray(t, dtype=float) for t in tables)
        n = self.vm.n_rows
        contrib = D[self.src, :, self.val]                                 # (nnz, K)
        if self._row_sums is None:
            self._row_sums = _summing(self.rows, np.arange(self.rows.size), n, self.rows.size)
        s = self._row_sums @ contrib
        pw = prior_w[self.src]
        pws = np.bincount(self.rows, weights=pw, minlength=n)
        full = np.where(self.cov[:, None], s + (pws / np.maximum(self.cnt, 1))[:, None] * base[None, :],
                        base0[None, :])
        rem, rem_pw = contrib.copy(), pw.copy()
        for e, partner, pv in self._partner:
            rem[e] += D[partner, :, pv]
            rem_pw[e] += prior_w[partner]
        left = self._left()
        cav = s[self.rows] - rem + ((pws[self.rows] - rem_pw) / np.maximum(left, 1))[:, None] * base[None, :]
        return cav, full

    def _left(self) -> np.ndarray:
        """Per vote, how many votes of its row remain once its source and that source's partners
        are left out: the same for every scoring table, so computed once."""
        if self._left_cache is None:
            rem_n = np.ones(self.rows.size)
            for e, _, _ in self._partner:
                rem_n[e] += 1
            self._left_cache = self.cnt[self.rows] - rem_n
        return self._left_cache

    def row_loglik(self, tables, temperature: float = 1.0) -> tuple[np.ndarray, int]:
        """Per-row held-out log-likelihood of the outcomes, and how many outcomes were scored."""
        cav, full = self._parts(tables)
        return self._score(cav * temperature, full * temperature, self._plan())

    def _plan(self) -> list[dict]:
        """Per fold, the index arrays :meth:`_score` needs: they depend neither on the scoring
        table nor on the temperature, so they are built once for the model's and majority vote's
        grids (integer gathers also beat boolean masks)."""
        if self._plan_cache is not None:
            return self._plan_cache
        K, m = self.K, self.m
        ok = self._left() > 0      # votes whose row keeps some evidence without them
        vfold = self.fold[self.rows]
        cov_votes = self.cov[self.rows]
        sidx = np.flatnonzero(self.single)
        plan = []
        for f in range(self.folds):
            tr = np.flatnonzero((vfold != f) & ok)
            te = np.flatnonzero((vfold == f) & ok)
            tr_all = np.flatnonzero((vfold != f) & cov_votes)
            nnz, n = self.rows.size, self.vm.n_rows
            fold = {"outcome_sums": _summing(self.src[tr] * (K + 1) + self.val[tr], tr, m * (K + 1), nnz),
                    "rtr": np.flatnonzero((self.fold != f) & self.cov),
                    "voted_sums": _summing(self.src[tr_all], self.rows[tr_all], m, n),
                    "te": te, "src_te": self.src[te], "val_te": self.val[te], "rows_te": self.rows[te]}
            if sidx.size:
                rte = np.flatnonzero((self.fold == f) & self.cov)
                pos = np.full(self.vm.n_rows, -1)
                pos[rte] = np.arange(rte.size)
                col = np.full(m, -1)
                col[sidx] = np.arange(sidx.size)
                te_all = np.flatnonzero((vfold == f) & cov_votes & self.single[self.src])
                fold |= {"rte": rte, "sidx": sidx, "voted_at": (pos[self.rows[te_all]], col[self.src[te_all]])}
            plan.append(fold)
        self._plan_cache = plan
        return plan

    def _score(self, cav, full, plan, select=None):
        """Per-row log-likelihood of the held-out outcomes and how many were scored. With
        ``select = (votes, rows)`` (boolean masks over votes and rows) also the per-row sum over
        the selected outcomes only: the selected votes, and the abstains of rows in ``rows``."""
        K, m, n = self.K, self.m, self.vm.n_rows
        qc, qf = _softmax(cav), _softmax(full)
        out = np.zeros(n)
        sel_out = np.zeros(n) if select is not None else None
        terms = 0
        for fold in plan:
            # A[j, y, v]: the training fold's posterior mass of class y on source j's outcome v
            # (v = K: a one-class source's abstain)
            A = np.ascontiguousarray((fold["outcome_sums"] @ qc).reshape(m, K + 1, K).transpose(0, 2, 1))
            tot = np.take(qf, fold["rtr"], axis=0).sum(axis=0)
            voted = fold["voted_sums"] @ qf
            A[:, :, K] = np.where(self.single[:, None], tot[None, :] - voted, 0.0)
            pool = A.sum(axis=0) + 1e-3
            pool /= pool.sum(axis=1, keepdims=True)
            a = self.shrink * (K + 1)
            a_pool, denom = a * pool, A.sum(axis=2) + a
            te, src_te, val_te = fold["te"], fold["src_te"], fold["val_te"]
            C_te = _outcome_probs(A, a_pool, denom, src_te, val_te)
            pv = np.einsum("ek,ek->e", np.take(qc, te, axis=0), C_te)
            lv = np.log(np.maximum(pv, 1e-300))
            out += np.bincount(fold["rows_te"], weights=lv, minlength=n)
            if select is not None:
                sel_out += np.bincount(fold["rows_te"], weights=np.where(select[0][te], lv, 0.0), minlength=n)
            terms += int(te.size)
            if "rte" in fold:
                rte, sidx = fold["rte"], fold["sidx"]
                C_ab = (A[sidx, :, K] + a_pool[:, K]) / denom[sidx]     # (single sources, K): small
                LA = np.log(np.maximum(np.take(qf, rte, axis=0) @ C_ab.T, 1e-300))  # (rows, single sources)
                LA[fold["voted_at"]] = 0.0          # it voted: not an abstain
                row_ab = LA.sum(axis=1)
                out[rte] += row_ab
                if select is not None:
                    sel_out[rte] += np.where(select[1][rte], row_ab, 0.0)
                terms += rte.size * sidx.size - int(fold["voted_at"][0].size)
        if select is not None:
            return out, terms, sel_out
        return out, terms

    def best(self, tables, temperatures, parts=None, select=None):
        """The per-row log-likelihood at the temperature (of ``temperatures``) that maximises it,
        that temperature, the number of outcomes scored, and the rows' full scores; with
        ``select`` (see :meth:`_score`) also the per-row log-likelihood of the selected outcomes at
        that temperature. ``parts``: :meth:`_parts` of ``tables``, if already computed."""
        cav, full = parts if parts is not None else self._parts(tables)
        plan = self._plan()
        best = None
        for t in temperatures:
            res = self._score(cav * t, full * t, plan, select)
            if best is None or res[0].sum() > best[0].sum():
                best = (res[0], float(t), res[1], full) + ((res[2],) if select is not None else ())
        return best


def sample_size(n_rows: int, nnz: int, n_single: int, max_terms: int = DEFAULT_MAX_TERMS) -> int:
    """Rows to sample so that the scored outcomes (votes + one-class abstains) stay near ``max_terms``."""
    per_row = max(nnz / max(n_rows, 1) + n_single, 1e-9)
    return int(max(1, min(n_rows, max_terms / per_row)))


def _paired_z(d: np.ndarray) -> float:
    if d.size < 2:
        return 0.0
    sd = float(d.std())
    if sd == 0:
        return 0.0 if d.sum() == 0 else float(np.sign(d.sum())) * 1e6
    return float(d.sum() / (np.sqrt(d.size) * sd))


def _ties(s: np.ndarray) -> np.ndarray:
    return (s >= _row_max(s)[:, None] - 1e-9).sum(axis=1) > 1


#: how :func:`compare_to_majority` chooses the outcomes of its disagreement z
DISAGREE_ON = ("votes", "rows")


def compare_to_majority(sample: VoteMatrix, tables, single: np.ndarray, families=None,
                        disagree_on: str = "rows") -> Comparison:
    """Held-out-source likelihood of ``tables`` against majority vote's on ``sample`` (module doc).

    Two paired z statistics: over every covered row, and where the two models' labels differ,
    where accuracy is decided; elsewhere the difference is calibration only, and can hide a loss on
    the few rows that matter. ``disagree_on="rows"`` (default): every outcome of the rows whose
    labels from all votes differ (or majority vote ties). That selection looks at the outcome it
    scores, so it favours majority vote by construction (most held-out votes of such a row side
    with the majority: two of three with three votes a row) and is conservative: it sent the model
    back to majority vote on most real crowds thinned to three answers an item while the model was
    2-6 points better. ``"votes"``: the held-out votes whose labels from the *other* sources differ
    (and the abstains of one-class sources on rows whose labels differ), unbiased; not the
    default, because with gold labels it failed validation (``benchmarks/PROTOCOL.md`` §15)."""
    if disagree_on not in DISAGREE_ON:
        raise ValueError(f"disagree_on must be one of {DISAGREE_ON}, not {disagree_on!r}")
    m, K = sample.n_lfs, sample.cardinality
    pairs = np.asarray(families if families is not None else np.zeros((0, 2)), dtype=np.int64).reshape(-1, 2)
    fams = family_groups(pairs, m) if pairs.size else []
    h = HeldOutVotes(sample, single, pairs)
    parts_model, parts_mv = h._parts(tables), h._parts(majority_tables(m, K))
    # a one-class source's abstain is predicted from the full row, which it is not part of
    full_model, full_mv = parts_model[1], parts_mv[1]
    sel_rows = ((full_model.argmax(axis=1) != full_mv.argmax(axis=1)) | _ties(full_mv)) & h.cov
    if disagree_on == "rows":      # the first version: every outcome of those rows
        ll_model, t_model, terms, _ = h.best(tables, MODEL_TEMPERATURES, parts_model)
        ll_mv, t_mv, _, _ = h.best(None, MAJORITY_TEMPERATURES, parts_mv)
        d = ll_model - ll_mv
        scored, d_sel = sel_rows, d[sel_rows]
    else:
        # per held-out vote: do the labels from the remaining votes differ? (temperature-free: argmax)
        cav_model, cav_mv = parts_model[0], parts_mv[0]
        sel_votes = (cav_model.argmax(axis=1) != cav_mv.argmax(axis=1)) | _ties(cav_mv)
        select = (sel_votes, sel_rows)
        ll_model, t_model, terms, _, sel_model = h.best(tables, MODEL_TEMPERATURES, parts_model, select)
        ll_mv, t_mv, _, _, sel_mv = h.best(None, MAJORITY_TEMPERATURES, parts_mv, select)
        d = ll_model - ll_mv
        scored = np.zeros(sample.n_rows, dtype=bool)      # rows with at least one selected outcome
        for fold in h._plan():
            te = fold["te"]
            scored[fold["rows_te"][sel_votes[te]]] = True
        n_single = int(h.single.sum())
        if n_single:   # rows with a one-class source that abstained: their abstains are selected with the row
            single_votes = np.bincount(h.rows, weights=h.single[h.src], minlength=sample.n_rows)
            scored |= sel_rows & (single_votes < n_single)
        d_sel = (sel_model - sel_mv)[scored]
    if terms == 0:
        return Comparison(0.0, 0.0, 0.0, 0, int(h.cov.sum()), 0, t_model, t_mv, fams)
    return Comparison(float(d[h.cov].sum() / terms), _paired_z(d[h.cov]), _paired_z(d_sel), int(scored.sum()),
                      int(h.cov.sum()), int(terms), t_model, t_mv, fams)


def dominant_source(counts: np.ndarray) -> tuple[int, float]:
    """The source casting the largest share of all votes, and that share."""
    per = np.asarray(counts).sum(axis=1)
    total = per.sum()
    if total == 0:
        return 0, 0.0
    j = int(per.argmax())
    return j, float(per[j] / total)
