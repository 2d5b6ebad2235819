"""``AutoModel(disagree_on=...)``: which held-out votes the criticism's second z scores, and the
hint the reason gets where that z alone sent the default back to majority vote on few votes a row.

Why a module of its own: both rules read one number of the votes, the mean votes a covered row
(:func:`votes_per_covered_row`), against thresholds chosen on the tuning tasks
(``benchmarks/PROTOCOL.md`` §15, §25, §26), and neither needs the model: ``AutoModel._fit`` resolves
the setting before its label-free check and reads :func:`few_answers` after it. Re-exported by
:mod:`weaklabel.models.auto`.
"""

from __future__ import annotations

import numpy as np


#: at most this many votes per covered row (on average) and the disagreement z is the conservative
#: one (PROTOCOL.md §15, §25): the fall-back reason says so; with ``disagree_on="auto"`` and at
#: least :data:`UNBIASED_Z_CLASSES` classes the unbiased z is used instead (§26)
FEW_ANSWERS_PER_ROW = 4.0
#: with ``disagree_on="auto"``: the unbiased z where a covered row has at most
#: :data:`FEW_ANSWERS_PER_ROW` votes on average over at least this many classes (PROTOCOL.md §26:
#: on the tuning tasks the binary ones of that shape lose with it, 12 -> 20 tasks more than 0.5
#: below majority vote; the multi-class ones gain, 12 -> 13, criterion +1.73 -> +1.76)
UNBIASED_Z_CLASSES = 3
FEW_ANSWERS_HINT = ("; with {votes_per_row:.1f} votes a covered row the second z favours majority vote by "
                    "construction (most held-out votes of a row where the model overrides the majority side with "
                    "it): `-p disagree_on=votes` scores the held-out votes on which the two models' labels from the "
                    "other votes differ (unbiased, but it keeps more fits that fail), or about 100 gold rows "
                    "(`--dev`) can check the model")


def votes_per_covered_row(data) -> float:
    """Mean number of votes a row with at least one vote has: how much of a crowd's redundancy the
    criticism's held-out votes can lean on."""
    covered = int(data.n_rows - data.n_uncovered())
    return float(np.asarray(data.lf_counts()).sum()) / max(covered, 1)


def resolve_disagree_on(setting: str, data) -> tuple[str, str]:
    """The selection of held-out votes the second z of the criticism scores, and why.

    ``"rows"`` and ``"votes"`` are taken as given. ``"auto"`` (the default): ``"votes"`` (unbiased)
    where covered rows have at most :data:`FEW_ANSWERS_PER_ROW` votes on average over at least
    :data:`UNBIASED_Z_CLASSES` classes, else ``"rows"``. Why: the bias of ``"rows"`` towards
    majority vote grows as rows have fewer votes (§15); with 3+ classes and few votes most rows
    where the model and majority vote differ are majority vote's ties, which the model breaks, and
    there the unbiased z kept fits that gained (dog and weather teams, LabelMe-like crowds +7
    points); on binary inputs of that shape the rows it changes are 2-1 splits the model
    overrides, where it kept fits that failed (PROTOCOL.md §26)."""
    if setting != "auto":
        return setting, "set"
    per_row = votes_per_covered_row(data)
    if per_row <= FEW_ANSWERS_PER_ROW and int(data.cardinality) >= UNBIASED_Z_CLASSES:
        return "votes", (f"{per_row:.1f} votes a covered row over {int(data.cardinality)} classes "
                         f"(<= {FEW_ANSWERS_PER_ROW:g} over >= {UNBIASED_Z_CLASSES})")
    return "rows", "default"


def few_answers(data, selection: dict, min_z: float) -> dict | None:
    """Where the default fell back to majority vote on the disagreement z alone (the all-rows z
    favoured the model) with few votes a row and ``disagree_on="rows"``: the selection row of that
    z is biased towards majority vote, most on crowds with 2-4 answers an item (simulated
    LabelMe-like crowds: the model 5-10 points better on 8 of 10 draws it fell back on,
    ``benchmarks/bench_crowd_shapes.py``). Nothing changes but the reason: on binary inputs (where
    ``disagree_on="auto"`` keeps ``"rows"``) the unbiased option adds failures on the tuning tasks
    (PROTOCOL.md §25, §26), so the user is told, not overruled."""
    crit = selection.get("criticism") or {}
    if selection.get("model") != "majority" or crit.get("disagree_on") != "rows" or "z_disagree" not in crit:
        return None
    if not (crit["z"] > min_z >= crit["z_disagree"]):
        return None
    per_row = votes_per_covered_row(data)
    if per_row > FEW_ANSWERS_PER_ROW:
        return None
    return {"votes_per_row": round(per_row, 2)}
