"""Do the vote models gain from the verifier families? Select@1 without labels of ``ds``,
``hybrid`` and ``triplet`` with family columns (``families="detect"``: each family becomes
``round(n_eff)`` majority-vote columns) and without (``families="none"``), on tuning splits of
the protocol (benchmarks/VERIFIERS_PROTOCOL.md).

    python benchmarks/bench_verifiers_votes.py tuning tuning-suites

Writes ``benchmarks/results/verifiers/vote_families_<splits>.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_verifiers import OUT, units  # noqa: E402

from weaklabel.verifiers import VerifierSelector, from_frame  # noqa: E402
from weaklabel.verifiers.evaluate import labelled_questions, split_dev  # noqa: E402

MODELS = ("ds", "hybrid", "triplet")


def main(splits) -> int:
    if any(not s.startswith("tuning") for s in splits):
        print("choices are made on tuning splits only (the protocol)", file=sys.stderr)
        return 2
    rows = []
    for split in splits:
        for name, seed, table, names, _ in units(split):
            data = from_frame(table, verifiers=list(names), answer_col="answer", correct_col="correct", where="pool")
            dev_q = split_dev(data, 0.05, seed)
            ev = labelled_questions(data) & ~dev_q
            r = {"split": split, "pool": name, "seed": seed}
            for lm in MODELS:
                for fam in ("detect", "none"):
                    sel = VerifierSelector(label_model=lm, families=fam, random_state=seed).fit(data)
                    top = np.flatnonzero(sel.select(data))
                    r[f"{lm}/{fam}"] = float(data.correct[top][ev[data.codes[top]]].mean())
            rows.append(r)
            print(json.dumps(r), flush=True)
    for k in [k for k in rows[0] if "/" in k]:
        print(k, round(float(np.mean([r[k] for r in rows])), 4))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"vote_families_{'_'.join(splits)}.json").write_text(json.dumps({"rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["tuning"]))
