"""Write ``weaver_scores.csv``: a small Weaver-style score table for ``weaklabel select``.

One row per question x sample (60 questions x 16 samples), the column names of a Weaver
export: ``problem_idx``, ``sample_idx``, ``extracted_answer``, ``answer_correct`` and one
column per verifier (reward-model scores ``*_score`` on their own scales, judge verdicts
``*_verdict`` 0/1, one sparse verifier with empty cells). The scores are simulated
(``weaklabel.verifiers.simulate.make_pool``, seed 7): a family of three verifiers that
share most of their errors, question difficulty shared by every verifier, a popular wrong
answer, near-random and flipped verifiers. Run from the repository root:

    python examples/verifiers/make_weaver_scores.py
"""

from pathlib import Path

from weaklabel.verifiers.simulate import make_pool

HERE = Path(__file__).parent

pool = make_pool(7, "example", n_questions=60, n_candidates=16, families=((3, 0.85, 0.6),), n_independent=4,
                 n_sparse=1, n_random=2, n_flipped=1, n_constant=0,
                 formats={"prob": 0.4, "logit": 0.2, "rating": 0.2, "verdict": 0.2})
t = pool.table
rename = {"question_id": "problem_idx", "candidate_id": "sample_idx", "answer": "extracted_answer",
          "correct": "answer_correct"}
models = iter(["armo", "skywork", "grm", "internlm", "qrm", "offset", "urm", "eurus", "gemma", "nemotron", "inf"])
for v in pool.verifier_names:
    kind = "verdict" if v.startswith("judge") else "score"
    rename[v] = f"{next(models)}_{kind}" if kind == "score" else f"judge_{v.split('_')[1]}_{kind}"
out = t.rename(columns=rename)
out["problem_idx"] = out["problem_idx"].str[1:].astype(int)
out["answer_correct"] = out["answer_correct"].astype(bool)
cols = ["problem_idx", "sample_idx", "extracted_answer", "answer_correct"] + [rename[v] for v in pool.verifier_names]
out[cols].round(4).to_csv(HERE / "weaver_scores.csv", index=False)
truth = pool.verifiers.assign(column=[rename[v] for v in pool.verifier_names])
print(f"wrote {HERE / 'weaver_scores.csv'}: {len(out)} rows; planted families:",
      [list(truth.column[truth.family == f]) for f in sorted(set(truth.family) - {-1})])
