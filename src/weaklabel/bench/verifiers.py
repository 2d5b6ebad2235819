"""Verifier-score suites for ``weaklabel bench --suite verifiers``, and Weaver's dataset layout.

No public verifier-score matrices ship with weaklabel, so :func:`generate_suite` draws realistic
ones from a seeded generative model of "many candidate answers per question, scored by many
weak verifiers":

* **Questions** differ in difficulty: each has a base rate of correct candidates drawn from a
  mixture of easy (~0.8), medium (~0.5) and hard (~0.05, often no correct candidate at all)
  questions.
* **Answers**: correct candidates share the gold answer; wrong ones spread over wrong answers
  whose popularity is Dirichlet-distributed, more concentrated on hard questions (a common
  misconception beats majority voting there).
* **Verifiers** score a latent ``z = delta_v * correct + b_qv + noise``. ``delta_v`` is the
  verifier's separation (its planted quality); ``b_qv`` a question-level offset (reward models
  score every answer to a hard question lower; each verifier its own random shift); the noise has
  unit variance and is shared in part by all verifiers (persuasive wrong answers), in part within
  a **correlated group** (models of one family), in part by the samples that reach the same final
  answer (a verifier judges the same answer alike), the rest idiosyncratic. Discrimination
  weakens on hard questions.
* **Formats**: probabilities (``sigmoid``), unbounded logits with heavy tails, 1-10 ratings and
  binary verdicts (judges, with lenient or strict thresholds).
* **Bad verifiers**: inverted ones (negative separation), a useless one (random numbers), a
  near-constant judge (says "yes" to almost everything).
* **Missing scores** at random per verifier, plus judges that fail on whole questions.

The planted parameters (separation, groups, format, and for each verifier the expected
within-question AUC and, for judges, the true/false positive rates implied by the latent model)
are returned with the table so that tests can compare what a label model recovers with the truth.

:func:`~weaklabel.verifiers.readers.load_weaver` (importable from here) reads Weaver's
published layout (one row per question with list columns: ``samples``, ``extracted_answers``,
``answer_correct``, ``<verifier>_scores`` for reward models and ``<verifier>_verdicts`` for
judges) into the long table ``weaklabel select`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from ..errors import InputError

# --------------------------------------------------------------------------- presets
PRESETS: dict[str, dict] = {
    # open-ended answers (MATH-like), 100 samples per question
    "math": dict(n_questions=500, n_candidates=100, n_verifiers=20, answer_kind="open", n_wrong=30,
                 judge_share=0.35, difficulty=(0.3, 0.35, 0.35)),
    # multiple choice (GPQA / MMLU-Pro-like): 4 options, so majority voting is strong on easy questions
    "mcq": dict(n_questions=500, n_candidates=50, n_verifiers=15, answer_kind="choice", n_wrong=3,
                judge_share=0.3, difficulty=(0.35, 0.35, 0.3)),
    # judge-heavy ensemble of 30 verifiers, more missing verdicts
    "judges": dict(n_questions=300, n_candidates=64, n_verifiers=30, answer_kind="open", n_wrong=20,
                   judge_share=0.6, difficulty=(0.3, 0.3, 0.4), missing=(0.0, 0.25)),
}
QUICK_SIZE = dict(n_questions=150, n_candidates=40)


@dataclass
class VerifierSuite:
    """A generated suite: the long score table and the planted truth."""

    name: str
    seed: int
    table: pd.DataFrame                  # question_id, candidate_id, verifiers..., answer, correct
    verifiers: pd.DataFrame              # one row per verifier: planted parameters
    questions: pd.DataFrame              # one row per question: difficulty, base rate, correct count
    params: dict = field(default_factory=dict)

    @property
    def verifier_names(self) -> list[str]:
        return list(self.verifiers["verifier"])

    def describe(self) -> dict:
        t = self.table
        return {"K": 2, "train": int(len(t)), "test": int(self.questions.shape[0]),
                "lfs": f"{len(self.verifier_names)} verifiers", "source": f"generated (seed {self.seed})"}


def _roster(rng: np.random.Generator, m: int, judge_share: float, missing, shared_var: float,
            group_var, hard_decay, question_bias, answer_var) -> pd.DataFrame:
    """Planted verifier parameters: m verifiers, 4 of them bad (2 inverted, 1 useless, 1 constant)."""
    n_judge = max(2, int(round(judge_share * m)))
    kinds = np.array(["judge"] * n_judge + ["rm"] * (m - n_judge))
    rng.shuffle(kinds)
    rows = []
    special = {0: "inverted", 1: "inverted", 2: "useless", 3: "constant"}
    order = rng.permutation(m)           # which verifiers get the special roles
    role_of = {int(order[i]): r for i, r in special.items() if i < m}
    # correlated families over the good verifiers: sizes 2-5, correlation 0.2-0.5
    good = [j for j in range(m) if j not in role_of]
    rng.shuffle(good)
    group = np.full(m, -1)
    rho = np.zeros(m)
    g, pos = 0, 0
    while pos < len(good):
        size = int(rng.integers(1, 6))
        members = good[pos:pos + size]
        if len(members) >= 2:
            group[members] = g
            rho[members] = rng.uniform(*group_var)
            g += 1
        pos += size
    n_rm = n_j = 0
    for j in range(m):
        role = role_of.get(j, "good")
        kind = kinds[j]
        if role == "constant":
            kind = "judge"
        if kind == "judge":
            fmt = "binary"
            name = f"judge_{n_j:02d}"
            n_j += 1
        else:
            fmt = str(rng.choice(["prob", "logit", "rating"], p=[0.45, 0.35, 0.2]))
            name = f"rm_{n_rm:02d}"
            n_rm += 1
        delta = rng.uniform(0.4, 1.7)
        if role == "inverted":
            delta = -rng.uniform(0.5, 1.1)
        elif role == "useless":
            delta = 0.0
        elif role == "constant":
            delta = rng.uniform(0.4, 0.8)
        glob_w = 0.0 if role == "useless" else float(shared_var)
        # an inverted verifier is a flipped one (a judge asked "is there an error?", a reward
        # model trained with the labels swapped): its whole latent score is negated, so the
        # wrong answers that fool the others fool it the other way
        grp_w = rho[j] if group[j] >= 0 else 0.0
        rows.append({
            "verifier": name, "kind": kind, "format": fmt, "role": role, "separation": delta,
            "group": int(group[j]), "group_var": grp_w, "shared_var": glob_w,
            "shared_sign": -1.0 if role == "inverted" else 1.0,
            "answer_var": 0.0 if role == "useless" else rng.uniform(*answer_var),
            "difficulty_bias": 0.0 if role in ("useless", "constant") else rng.uniform(*question_bias),
            "question_sd": 0.0 if role == "useless" else (0.1 if role == "constant" else rng.uniform(0.1, 0.8)),
            "hard_decay": rng.uniform(*hard_decay),
            # judges: threshold on the latent (lenient < 0 < strict); the constant judge says yes to ~99.5%
            "judge_threshold": (-2.8 if role == "constant" else rng.uniform(-0.3, 1.2)) if fmt == "binary" else np.nan,
            "scale": rng.uniform(0.8, 2.5), "shift": rng.uniform(-1.5, 1.5),
            "missing": rng.uniform(*missing),
            "question_failure": rng.uniform(0.0, 0.06) if kind == "judge" else 0.0,
        })
    df = pd.DataFrame(rows)
    # stable, readable column order: reward models then judges
    df["_k"] = (df["kind"] == "judge").astype(int)
    return df.sort_values(["_k", "verifier"]).drop(columns="_k").reset_index(drop=True)


def generate_suite(name: str = "math", seed: int = 0, *, quick: bool = False, **overrides) -> VerifierSuite:
    """Draw a verifier-score suite (see module docstring). ``name`` picks a preset (``math``,
    ``mcq``, ``judges``); keyword arguments override its settings (``n_questions``,
    ``n_candidates``, ``n_verifiers``, ``answer_kind``, ``n_wrong``, ``judge_share``,
    ``difficulty`` (shares of easy, medium, hard questions), ``missing`` (range of missing rates)).
    The same name, seed and settings give the same table."""
    if name not in PRESETS:
        raise InputError(f"unknown verifier suite {name!r}; choose from {', '.join(PRESETS)}")
    p = dict(missing=(0.0, 0.12), shared_var=0.15, group_var=(0.2, 0.5), hard_decay=(0.0, 0.5),
             question_bias=(0.0, 1.5), answer_var=(0.15, 0.35))
    p.update(PRESETS[name])
    if quick:
        p.update(QUICK_SIZE)
    unknown = set(overrides) - set(p)
    if unknown:
        raise InputError(f"unknown suite setting(s) {sorted(unknown)}")
    p.update(overrides)
    # one stream per component: changing the size of one part does not reshuffle the others
    ss = np.random.SeedSequence([seed, sum(map(ord, name))])
    r_roster, r_q, r_c, r_z, r_miss = (np.random.default_rng(s) for s in ss.spawn(5))
    G, k, m = int(p["n_questions"]), int(p["n_candidates"]), int(p["n_verifiers"])
    if G < 1 or k < 1 or m < 5:
        raise InputError("a verifier suite needs at least 1 question, 1 candidate and 5 verifiers")
    spec = _roster(r_roster, m, float(p["judge_share"]), p["missing"], p["shared_var"], p["group_var"],
                   p["hard_decay"], p["question_bias"], p["answer_var"])

    # ---------------------------------------------------------------- questions
    shares = np.asarray(p["difficulty"], dtype=float)
    tier = r_q.choice(3, size=G, p=shares / shares.sum())          # 0 easy, 1 medium, 2 hard
    a = np.array([8.0, 2.0, 0.6])[tier]
    b = np.array([2.0, 2.0, 9.0])[tier]
    base_rate = r_q.beta(a, b)
    difficulty = 1.0 - base_rate                                    # in [0, 1], observed only through effects
    n = G * k
    q_of = np.repeat(np.arange(G), k)
    correct = (r_c.random(n) < base_rate[q_of]).astype(np.int8)

    # ---------------------------------------------------------------- answers
    gold = r_q.integers(0, 1000, size=G)
    if p["answer_kind"] == "choice":
        n_wrong = int(p["n_wrong"])
        conc = np.where(tier == 2, 0.7, 2.0)
    else:
        n_wrong = int(p["n_wrong"])
        conc = np.where(tier == 2, 0.15, 0.5)
    pop = np.stack([r_q.dirichlet(np.full(n_wrong, c)) for c in conc])        # (G, n_wrong)
    cum = np.cumsum(pop, axis=1)
    u = r_c.random(n)
    wrong_idx = np.minimum((u[:, None] > cum[q_of]).sum(axis=1), n_wrong - 1)
    if p["answer_kind"] == "choice":
        letters = np.array(list("ABCDEFGHIJ"))[: n_wrong + 1]
        gold_letter = r_q.integers(0, n_wrong + 1, size=G)
        wrong_letter = (gold_letter[q_of] + 1 + wrong_idx) % (n_wrong + 1)
        answer = np.where(correct == 1, letters[gold_letter[q_of]], letters[wrong_letter])
    else:
        wrong_val = gold[q_of] + 1 + wrong_idx * 7                 # distinct from the gold answer
        answer = np.where(correct == 1, gold[q_of], wrong_val).astype(str)

    # ---------------------------------------------------------------- latent verifier scores
    shared = r_z.standard_normal(n)                                 # persuasive wrong answers fool everyone
    # answer-level errors: samples that reach the same final answer (often by the same reasoning)
    # get the same verdict from a verifier, up to its candidate-level noise
    answer_key = q_of * (n_wrong + 1) + np.where(correct == 1, 0, 1 + wrong_idx)
    n_keys = G * (n_wrong + 1)
    groups = sorted(set(spec["group"]) - {-1})
    group_noise = {g: r_z.standard_normal(n) for g in groups}
    cols = {}
    planted_auc, tpr, fpr = [], [], []
    for _, s in spec.iterrows():
        idio_var = max(1.0 - s["shared_var"] - s["group_var"] - s["answer_var"], 0.05)
        noise = s["shared_sign"] * np.sqrt(s["shared_var"]) * shared + np.sqrt(idio_var) * r_z.standard_normal(n)
        noise += np.sqrt(s["answer_var"]) * r_z.standard_normal(n_keys)[answer_key]
        if s["group"] >= 0:
            noise += np.sqrt(s["group_var"]) * group_noise[s["group"]]
        sd = np.sqrt(s["shared_var"] + s["group_var"] + s["answer_var"] + idio_var)
        delta_q = s["separation"] * (1.0 - s["hard_decay"] * difficulty)         # (G,)
        offset_q = -s["shared_sign"] * s["difficulty_bias"] * difficulty + s["question_sd"] * r_z.standard_normal(G)
        z = delta_q[q_of] * correct + offset_q[q_of] + noise
        fmt = s["format"]
        if s["role"] == "useless":
            x = r_z.random(n) if fmt != "binary" else (r_z.random(n) < 0.4).astype(float)
            if fmt == "rating":
                x = r_z.integers(1, 11, size=n).astype(float)
        elif fmt == "prob":
            x = expit(s["scale"] * z + s["shift"])
        elif fmt == "logit":
            x = s["scale"] * z + s["shift"] + 0.3 * r_z.standard_t(3, size=n)
        elif fmt == "rating":
            x = np.clip(np.round(5.5 + 1.6 * z + 0.5 * s["shift"]), 1, 10)
        else:
            x = (z > s["judge_threshold"]).astype(float)
        # planted quality: the expected within-question AUC of the latent score (of the verdict for
        # judges), and for judges the true/false positive rates the latent model implies; averaged
        # over the drawn questions (their offsets and difficulty), not over the drawn noise
        w = np.bincount(q_of, weights=correct, minlength=G)        # correct candidates per question
        wn = k - w
        pair_w = w * wn
        auc_q = ndtr(delta_q / (np.sqrt(2.0) * sd))
        if fmt == "binary" and s["role"] != "useless":
            # a verdict ranks a correct candidate above an incorrect one when it says yes to the
            # first and no to the second: within-question AUC = 1/2 + (TPR_q - FPR_q) / 2
            t = s["judge_threshold"]
            tq = ndtr((delta_q + offset_q - t) / sd)
            fq = ndtr((offset_q - t) / sd)
            tpr.append(float((tq * w).sum() / max(w.sum(), 1)))
            fpr.append(float((fq * wn).sum() / max(wn.sum(), 1)))
            auc_q = 0.5 + 0.5 * (tq - fq)
        elif fmt == "binary":                                      # the useless judge says yes at random
            tpr.append(0.4)
            fpr.append(0.4)
        else:
            tpr.append(np.nan)
            fpr.append(np.nan)
        planted_auc.append(float((auc_q * pair_w).sum() / max(pair_w.sum(), 1)) if s["role"] != "useless" else 0.5)
        # missing scores: at random, plus judges failing on whole questions
        miss = r_miss.random(n) < s["missing"]
        if s["question_failure"] > 0:
            miss |= (r_miss.random(G) < s["question_failure"])[q_of]
        x = np.where(miss, np.nan, x)
        cols[s["verifier"]] = x
    spec["planted_auc"] = planted_auc
    spec["planted_tpr"] = tpr
    spec["planted_fpr"] = fpr

    qid = np.array([f"q{i:04d}" for i in range(G)])
    table = pd.DataFrame({"question_id": qid[q_of], "candidate_id": np.tile(np.arange(k), G)})
    for v in spec["verifier"]:
        table[v] = cols[v]
    table["answer"] = answer
    table["correct"] = correct
    questions = pd.DataFrame({"question_id": qid, "tier": np.array(["easy", "medium", "hard"])[tier],
                              "base_rate": base_rate,
                              "n_correct": np.bincount(q_of, weights=correct, minlength=G).astype(int)})
    return VerifierSuite(name=name, seed=seed, table=table, verifiers=spec, questions=questions,
                         params=dict(p, quick=quick))


# --------------------------------------------------------------------------- Weaver's layout
# the readers live with the verifiers (``weaklabel.verifiers.readers``); importable from here by name
from ..verifiers.readers import (  # noqa: E402,F401
    WEAVER_LIST_COLUMNS,
    WEAVER_SUFFIXES,
    is_weaver_layout,
    load_weaver,
    weaver_to_long,
)

# --------------------------------------------------------------------------- bench runner
BASELINES = ("pass@1", "majority answer", "mean score", "best single verifier")
REFERENCES = ("oracle-weighted", "oracle-weighted, no answer pooling", "pass@k")
DEFAULT_MODEL = "mixture"


def run_verifier_unit(name: str, seed: int, models, *, quick: bool = False,
                      dev_frac: float = 0.05) -> tuple[list[dict], list[dict]]:
    """One generated suite and seed: the baselines, the oracle-weighted ensemble and every label
    model in ``models`` (``mixture`` and/or vote models), scored by Select@1 on the questions
    outside the dev set. Returns ``(records, verifier_records)``; the latter compares each
    verifier's planted, estimated (by the first model) and true within-question AUC."""
    import time

    from ..verifiers import VerifierSelector, from_frame
    from ..verifiers.evaluate import dev_labels, evaluate, split_dev

    su = generate_suite(name, seed, quick=quick)
    data = from_frame(su.table, verifiers=su.verifier_names, answer_col="answer", correct_col="correct",
                      where=f"suite {name}")
    dev_q = split_dev(data, dev_frac, seed)
    y = dev_labels(data, dev_q)
    base = {"suite": "verifiers", "dataset": name, "seed": seed, "n_questions": data.n_questions,
            "n_candidates": data.n_rows, "n_verifiers": len(data.verifiers), "n_dev": int(dev_q.sum()),
            "n_eval": int(data.n_questions - dev_q.sum()), "base_rate": float(data.correct.mean())}
    records, vrecords = [], []
    for i, model in enumerate(models):
        rec = dict(base, model=model)
        try:
            t0 = time.perf_counter()
            sel = VerifierSelector(label_model=model, random_state=seed).fit(data, y)
            proba = sel.predict_proba(data)
            rec["fit_seconds"] = time.perf_counter() - t0
            # the oracle and the baselines come with the first model that fits (not merely the
            # first model: when that one failed, the oracle-weighted rows went missing)
            first = not any(r["model"] in BASELINES + REFERENCES for r in records)
            ev = evaluate(sel, data, proba, dev_q, seed=seed, oracle=first)
        except Exception as exc:  # noqa: BLE001 - a failing model is reported, the bench goes on
            from .._signals import caused_by_interrupt

            if caused_by_interrupt(exc) is not None:      # Ctrl-C in a Numba kernel: stop, not a failure
                raise caused_by_interrupt(exc) from None
            text = str(exc).strip().splitlines()
            rec["error"] = f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
            records.append(rec)
            continue
        rec["select_at_1"] = ev.score("label model")
        rec["pooled"] = bool(sel.pools_answers(data))
        rec["select_at_1_no_pooling"] = (ev.score("label model, no answer pooling") if rec["pooled"]
                                         else rec["select_at_1"])
        rec["answer_icc"] = sel.answer_icc_
        rec["kept"] = len(sel.kept_)
        if not any(r["model"] in BASELINES + REFERENCES for r in records):
            for r in ev.methods.to_dict(orient="records"):
                method = r["method"]
                if method.startswith("best single verifier"):
                    method = "best single verifier"
                if method.startswith("label model"):
                    continue
                extra = {"chosen": ev.best_single} if method == "best single verifier" else {}
                records.append(dict(base, model=method, select_at_1=r["select_at_1"], **extra))
            vt = ev.verifiers.merge(su.verifiers[["verifier", "role", "format", "planted_auc", "planted_tpr",
                                                  "planted_fpr"]].rename(columns={"format": "planted_format"}),
                                    on="verifier", how="left")
            for r in vt.to_dict(orient="records"):
                vrecords.append(dict(suite="verifiers", task=name, seed=seed, model=model, **r))
        records.append(rec)
    return records, vrecords


def suite_description(name: str, quick: bool = False) -> dict:
    """What a generated suite holds (for the bench report), without generating it."""
    if name not in PRESETS:
        raise InputError(f"unknown verifier suite {name!r}; choose from {', '.join(PRESETS)}")
    p = dict(PRESETS[name])
    if quick:
        p.update(QUICK_SIZE)
    n = p["n_questions"] * p["n_candidates"]
    return {"K": 2, "train": n, "test": p["n_questions"],
            "lfs": f"{p['n_verifiers']} verifiers, {p['n_candidates']} candidates per question",
            "source": f"generated ({p['answer_kind']} answers)"}
