"""Simulated verifier pools with the regimes that break conditionally independent aggregation.

The bench suites (:mod:`weaklabel.bench.verifiers`) were used to build the pipeline; this
generator is deliberately different, so that a method is chosen on one family of pools and
checked on pools it never saw (see ``benchmarks/VERIFIERS_PROTOCOL.md``). A pool is drawn from a
latent model of "k sampled answers per question, scored by m weak verifiers":

* **Question difficulty**: each question has a share of correct candidates drawn from
  ``Beta(*base_rate)`` and an **offset shared by every verifier** (all of them score the
  candidates of a hard question lower), ``offset_sd`` times a standard normal plus
  ``difficulty_shift`` times the question's difficulty.
* **Answers**: correct candidates share the gold answer; wrong ones spread over ``n_wrong``
  recurring wrong answers, one of them popular (``popular_wrong`` of the wrong candidates).
  Candidates with the same answer share part of their score noise (``answer_var``).
* **Families** (``families``: ``(size, shared, separation)`` per family): ``size`` verifiers
  built on one base model: a share ``shared`` of each member's noise variance is one draw common
  to the family. Their agreement is not evidence of accuracy.
* **Independent** verifiers (``n_independent``, separation drawn from ``separation``),
  **sparse strong** ones (``n_sparse``: separation ``sparse_separation``, each scoring only a
  ``sparse_coverage`` share of the candidates, NaN elsewhere), **near-random** ones
  (``n_random``, separation below 0.15), **flipped** ones (``n_flipped``, worse than chance)
  and **constant** ones (``n_constant``: one value for almost every candidate).
* **Formats** (``formats``: shares): probabilities, logits, 1-10 ratings, percentages,
  log-probabilities (all negative) and yes/no verdicts at a verifier-specific threshold.

A verifier's latent score is ``z = offset_q + delta * correct + noise`` (noise of unit
variance); its format maps ``z`` monotonically (verdicts: a threshold), so its quality is its
separation ``delta``. The truth (role, family, separation, format, coverage, and the realised
within-question AUC) comes back with the table. :data:`TUNING` and :data:`VALIDATION` are the
two disjoint sets of pool configurations of the protocol; :data:`FRESH` and :data:`FINAL` a
second and a third validation set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

from ..errors import InputError

FORMATS = ("prob", "logit", "rating", "percent", "logprob", "verdict")

DEFAULTS: dict = dict(
    n_questions=300, n_candidates=32,
    base_rate=(1.2, 1.8), offset_sd=0.6, difficulty_shift=1.0,
    n_wrong=4, popular_wrong=0.5, answer_var=0.2,
    families=((3, 0.85, 0.6), (4, 0.6, 1.0)),
    n_independent=6, separation=(0.6, 1.4),
    n_sparse=1, sparse_separation=(2.0, 2.5), sparse_coverage=(0.2, 0.4),
    n_random=4, n_flipped=1, n_constant=1,
    formats=dict(prob=0.3, logit=0.2, rating=0.15, percent=0.1, logprob=0.1, verdict=0.15),
)

# Pools the protocol decides on (tuning) and pools it reports on (validation). Validation
# differs in seeds AND settings: other family sizes and strengths, sizes, answer spreads and
# difficulty; it was never run while choosing methods or thresholds.
TUNING: dict[str, dict] = {
    "t_default": {},
    "t_big_family": dict(families=((5, 0.9, 0.5), (2, 0.5, 1.0)), n_independent=5),
    "t_hard": dict(base_rate=(0.7, 2.5), offset_sd=1.0, difficulty_shift=2.0, n_wrong=3, popular_wrong=0.6),
    "t_noisy": dict(n_random=8, n_independent=4, separation=(0.5, 1.1), n_flipped=2,
                    formats=dict(prob=0.2, rating=0.3, verdict=0.5)),
    # added in the second round of issue 16: the near-ceiling regime (most candidates right, many
    # of them) that the first validation run exposed was missing from the tuning pools
    "t_easy_many": dict(base_rate=(2.2, 1.1), n_candidates=44, n_questions=250, n_wrong=5, popular_wrong=0.45,
                        families=((3, 0.8, 0.7),), n_independent=6, n_random=5),
}
VALIDATION: dict[str, dict] = {
    "v_issue": dict(n_questions=300, n_candidates=32, families=((3, 0.9, 0.5),), n_independent=8,
                    n_random=5, n_flipped=1, n_constant=1, n_sparse=1),
    "v_two_families": dict(families=((4, 0.8, 0.7), (3, 0.7, 0.9), (2, 0.9, 0.4)), n_independent=4,
                           n_candidates=24, n_questions=400),
    "v_easy_many": dict(base_rate=(2.0, 1.2), n_candidates=48, n_questions=200, n_wrong=6, popular_wrong=0.4,
                        families=((3, 0.75, 0.8),), n_independent=7, n_random=6),
    "v_verdicts": dict(families=((3, 0.85, 0.7), (3, 0.6, 0.6)), n_independent=5, n_sparse=2, offset_sd=0.9,
                       formats=dict(verdict=0.45, prob=0.25, logit=0.15, rating=0.15), n_constant=2),
    "v_hard_popular": dict(base_rate=(0.8, 2.2), n_wrong=3, popular_wrong=0.7, difficulty_shift=1.5,
                           families=((6, 0.85, 0.6),), n_independent=6, separation=(0.7, 1.6)),
}
# A second, fresh validation set, drawn after the first validation run had been seen (it exposed
# near-ceiling pools where answer pooling lost to the mean score); nothing was chosen on it. The
# order of events is in benchmarks/VERIFIERS_PROTOCOL.md.
FRESH: dict[str, dict] = {
    "w_mixed": dict(n_questions=250, n_candidates=40, families=((3, 0.8, 0.6), (2, 0.95, 0.5)), n_independent=6,
                    base_rate=(1.5, 1.5), n_wrong=5, popular_wrong=0.5),
    "w_easy": dict(base_rate=(2.5, 1.0), n_candidates=40, n_wrong=5, popular_wrong=0.5,
                   families=((4, 0.8, 0.7),), n_independent=6),
    "w_judges": dict(formats=dict(verdict=0.6, prob=0.2, logit=0.2), families=((3, 0.8, 0.8), (3, 0.7, 0.5)),
                     n_independent=6, n_random=3),
    "w_small": dict(n_questions=120, n_candidates=12, families=((3, 0.9, 0.6),), n_independent=5),
    "w_hard": dict(base_rate=(0.9, 2.0), difficulty_shift=2.5, offset_sd=1.2, n_wrong=2, popular_wrong=0.8,
                   families=((5, 0.85, 0.6),)),
}
# A third validation set for the second round of issue 16 (the answer-pooling rule chosen on the
# tuning pools, including ``t_easy_many`` and the bench suites at tuning seeds): written before
# the rule was chosen and run once, with the final defaults.
FINAL: dict[str, dict] = {
    "x_easy_big": dict(base_rate=(2.4, 1.0), n_candidates=56, n_questions=180, n_wrong=8, popular_wrong=0.35,
                       families=((4, 0.85, 0.6),), n_independent=6, n_random=4),
    "x_mixed_verdicts": dict(base_rate=(1.5, 1.5), families=((3, 0.9, 0.6), (3, 0.6, 0.8)), n_independent=5,
                             formats=dict(verdict=0.4, prob=0.3, logit=0.2, percent=0.1)),
    "x_hard": dict(base_rate=(0.8, 2.0), difficulty_shift=2.0, offset_sd=1.0, n_wrong=3, popular_wrong=0.65,
                   families=((4, 0.85, 0.6),), n_independent=7),
    "x_sparse": dict(n_sparse=3, n_random=6, n_candidates=24, n_questions=350, n_independent=4,
                     families=((3, 0.8, 0.6),)),
    "x_small_easy": dict(n_questions=150, n_candidates=16, base_rate=(2.0, 1.0), families=((3, 0.85, 0.6),),
                         n_independent=5),
}
TUNING_SEEDS = (0, 1, 2)
VALIDATION_SEEDS = (1000, 1001, 1002)
FRESH_SEEDS = (3000, 3001, 3002)
FINAL_SEEDS = (5000, 5001, 5002)


@dataclass
class VerifierPool:
    """A simulated pool: the long score table (``question_id``, ``candidate_id``, verifiers,
    ``answer``, ``correct``) and the planted truth per verifier and per question."""

    name: str
    seed: int
    table: pd.DataFrame
    verifiers: pd.DataFrame
    questions: pd.DataFrame
    params: dict = field(default_factory=dict)

    @property
    def verifier_names(self) -> list[str]:
        return list(self.verifiers["verifier"])


def _settings(overrides: dict) -> dict:
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise InputError(f"unknown pool setting(s): {', '.join(sorted(unknown))}")
    p = dict(DEFAULTS)
    p.update(overrides)
    if int(p["n_questions"]) < 1 or int(p["n_candidates"]) < 2:
        raise InputError("a pool needs at least 1 question and 2 candidates per question")
    if not 0 <= float(p["popular_wrong"]) <= 1 or int(p["n_wrong"]) < 1:
        raise InputError("popular_wrong must be in [0, 1] and n_wrong >= 1")
    for fam in p["families"]:
        size, shared, _ = fam
        if int(size) < 2 or not 0 <= float(shared) < 1:
            raise InputError(f"a family is (size >= 2, shared in [0, 1), separation); got {fam!r}")
    return p


def _roster(rng, p) -> list[dict]:
    rows = []
    for f, (size, shared, sep) in enumerate(p["families"]):
        for _ in range(int(size)):
            rows.append(dict(role="family", family=f, shared=float(shared), separation=float(sep)))
    lo, hi = p["separation"]
    rows += [dict(role="independent", family=-1, shared=0.0, separation=rng.uniform(lo, hi))
             for _ in range(int(p["n_independent"]))]
    rows += [dict(role="sparse", family=-1, shared=0.0, separation=rng.uniform(*p["sparse_separation"]),
                  coverage=rng.uniform(*p["sparse_coverage"])) for _ in range(int(p["n_sparse"]))]
    rows += [dict(role="random", family=-1, shared=0.0, separation=rng.uniform(0.0, 0.15))
             for _ in range(int(p["n_random"]))]
    rows += [dict(role="flipped", family=-1, shared=0.0, separation=-rng.uniform(0.4, 0.9))
             for _ in range(int(p["n_flipped"]))]
    rows += [dict(role="constant", family=-1, shared=0.0, separation=rng.uniform(0.3, 0.6))
             for _ in range(int(p["n_constant"]))]
    names = list(p["formats"])
    probs = np.array([p["formats"][k] for k in names], dtype=float)
    if set(names) - set(FORMATS) or probs.sum() <= 0:
        raise InputError(f"formats must be shares over {', '.join(FORMATS)}")
    for r in rows:
        r.setdefault("coverage", 1.0)
        r["format"] = "prob" if r["role"] == "constant" else str(rng.choice(names, p=probs / probs.sum()))
    order = rng.permutation(len(rows))        # verifier columns in no telling order
    return [rows[i] for i in order]


def make_pool(seed: int = 0, name: str = "pool", **settings) -> VerifierPool:
    """Draw one pool (see module docstring for the settings; :data:`DEFAULTS` lists them). The
    same seed and settings give the same pool."""
    p = _settings(settings)
    ss = np.random.SeedSequence([int(seed), 7321])
    r_ros, r_q, r_c, r_z, r_m = (np.random.default_rng(s) for s in ss.spawn(5))
    roster = _roster(r_ros, p)
    G, k = int(p["n_questions"]), int(p["n_candidates"])
    n = G * k
    q_of = np.repeat(np.arange(G), k)

    base_rate = r_q.beta(*p["base_rate"], size=G)
    correct = (r_c.random(n) < base_rate[q_of]).astype(np.int8)
    difficulty = 1.0 - base_rate
    offset = p["offset_sd"] * r_q.standard_normal(G) - p["difficulty_shift"] * difficulty   # shared by all verifiers

    # answers: one gold answer; wrong candidates pick the popular wrong answer or one of the others
    n_wrong = int(p["n_wrong"])
    pop = np.full(n_wrong, (1.0 - p["popular_wrong"]) / max(n_wrong - 1, 1))
    pop[0] = p["popular_wrong"] if n_wrong > 1 else 1.0
    wrong_idx = r_c.choice(n_wrong, size=n, p=pop / pop.sum())
    gold = r_q.integers(10, 10_000, size=G)
    answer = np.where(correct == 1, gold[q_of], gold[q_of] + 1 + 13 * wrong_idx).astype(str)
    answer_key = q_of * (n_wrong + 1) + np.where(correct == 1, 0, 1 + wrong_idx)
    n_keys = G * (n_wrong + 1)

    fam_noise = {f: r_z.standard_normal(n) for f in range(len(p["families"]))}
    cols, truth = {}, []
    counters: dict[str, int] = {}
    for r in roster:
        a_var = 0.0 if r["role"] in ("random", "constant") else float(p["answer_var"])
        own = max(1.0 - r["shared"] - a_var, 0.0)
        noise = np.sqrt(own) * r_z.standard_normal(n) + np.sqrt(a_var) * r_z.standard_normal(n_keys)[answer_key]
        if r["family"] >= 0:
            noise += np.sqrt(r["shared"]) * fam_noise[r["family"]]
        z = offset[q_of] + r["separation"] * correct + noise
        fmt = r["format"]
        scale, shift = r_z.uniform(0.7, 2.0), r_z.uniform(-1.0, 1.0)
        if r["role"] == "constant":
            x = np.where(r_z.random(n) < 0.97, 0.99, expit(z))
        elif fmt == "prob":
            x = expit(scale * z + shift)
        elif fmt == "logit":
            x = scale * z + shift + 0.2 * r_z.standard_t(3, size=n)
        elif fmt == "rating":
            x = np.clip(np.round(5.5 + 1.5 * z + shift), 1, 10)
        elif fmt == "percent":
            x = np.round(100 * expit(scale * z + shift), 1)
        elif fmt == "logprob":
            x = -np.logaddexp(0.0, -(scale * z + shift))            # log sigmoid: always <= 0
        else:
            x = (z > r_z.uniform(-0.3, 0.9)).astype(float)
        if r["coverage"] < 1:
            x = np.where(r_m.random(n) < r["coverage"], x, np.nan)
        prefix = {"verdict": "judge", "rating": "rate"}.get(fmt, "rm")
        counters[prefix] = counters.get(prefix, 0) + 1
        vname = f"{prefix}_{counters[prefix]:02d}"
        cols[vname] = x
        truth.append(dict(verifier=vname, **{k: r[k] for k in ("role", "family", "shared", "separation",
                                                                "coverage", "format")}))
    qid = np.array([f"q{i:04d}" for i in range(G)])
    table = pd.DataFrame({"question_id": qid[q_of], "candidate_id": np.tile(np.arange(k), G)})
    for v, x in cols.items():
        table[v] = x
    table["answer"] = answer
    table["correct"] = correct
    vt = pd.DataFrame(truth)
    from ._groups import Groups
    from .metrics import within_question_auc

    g = Groups(q_of)
    vt["true_auc"] = [within_question_auc(table[v].to_numpy(), correct, g) for v in vt["verifier"]]
    questions = pd.DataFrame({"question_id": qid, "base_rate": base_rate, "offset": offset,
                              "n_correct": np.bincount(q_of, weights=correct, minlength=G).astype(int)})
    return VerifierPool(name=name, seed=int(seed), table=table, verifiers=vt, questions=questions,
                        params=dict(p, families=[list(f) for f in p["families"]]))


def copies_pool(seed: int = 0, n_copies: int = 3, shared: float = 0.9, copy_separation: float = 0.5,
                n_independent: int = 6, **settings) -> VerifierPool:
    """A pool with ``n_copies`` copies of one weak verifier (continuous scores sharing
    ``shared`` of their noise) among independent ones: for the "a family counts once" check."""
    formats = settings.pop("formats", dict(prob=0.5, logit=0.5))
    return make_pool(seed, name="copies", families=((n_copies, shared, copy_separation),),
                     n_independent=n_independent, n_sparse=0, n_random=0, n_flipped=0, n_constant=0,
                     formats=formats, **settings)


def pool_configs(split: str) -> list[tuple[str, int, dict]]:
    """``(name, seed, settings)`` of the ``tuning``, ``validation``, ``fresh`` (second
    validation) or ``final`` (third validation) pools of the protocol."""
    if split == "tuning":
        return [(n, s, c) for n, c in TUNING.items() for s in TUNING_SEEDS]
    if split == "validation":
        return [(n, s, c) for n, c in VALIDATION.items() for s in VALIDATION_SEEDS]
    if split == "fresh":
        return [(n, s, c) for n, c in FRESH.items() for s in FRESH_SEEDS]
    if split == "final":
        return [(n, s, c) for n, c in FINAL.items() for s in FINAL_SEEDS]
    raise InputError(f"split must be 'tuning', 'validation', 'fresh' or 'final', got {split!r}")
