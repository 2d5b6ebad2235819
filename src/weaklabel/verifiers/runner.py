"""``select_file``: what ``weaklabel select`` runs, as one library call (like ``apply_file`` and
``fit_file``): read a score table, fit a :class:`~weaklabel.verifiers.selector.VerifierSelector`
(or apply a saved one), select one candidate per question, score the selection against the
labels when there are any, and write ``selection.parquet`` (and the selector) atomically."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError


@dataclass
class SelectSummary:
    """The outcome of :func:`select_file`: the data, the fitted selector, per-candidate
    ``proba`` (pooled per answer when pooled) and ``p_own``, the ``selected`` flags, the dev
    questions and, with labels, the :class:`~weaklabel.verifiers.evaluate.Evaluation`."""

    output: str
    data: object
    selector: object
    proba: np.ndarray
    p_own: np.ndarray
    selected: np.ndarray
    dev_q: np.ndarray
    layout: str
    fit_seconds: float
    evaluation: object = None
    notes: list[str] = field(default_factory=list)

    def verifier_table(self):
        return self.evaluation.verifiers if self.evaluation is not None else self.selector.verifier_table()

    def to_dict(self) -> dict:
        """The summary ``weaklabel select --json`` prints (plain JSON data)."""
        sel, data, ev = self.selector, self.data, self.evaluation
        vt = self.verifier_table()
        clean = lambda v: None if isinstance(v, float) and not np.isfinite(v) else v  # noqa: E731
        out = {"output": self.output, "layout": self.layout, "questions": data.n_questions,
               "candidates": data.n_rows, "verifiers": len(sel.verifiers_), "kept": len(sel.kept_),
               "label_model": sel.label_model, "class_balance": sel.class_balance_,
               "threshold_balance": sel.threshold_balance_, "answer_icc": sel.answer_icc_,
               "seconds": round(self.fit_seconds, 3), "explanation": sel.explain(),
               "verifier_table": [{k: clean(v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
                                  for r in vt.to_dict(orient="records")]}
        if ev is not None:
            out["evaluation"] = ev.to_dict()
        return out


def select_file(scores, output, *, layout: str = "auto", question_col: str = "question_id",
                candidate_col: str = "candidate_id", verifiers=None, answer_col: str | None = None,
                correct_col: str | None = None, dev_frac: float = 0.05, selector=None, model_file=None,
                save_model=None, seed: int = 0, force: bool = False, evaluate_oracle: bool = True) -> SelectSummary:
    """Select the best candidate of every question of the score table ``scores`` and write
    ``output`` (``selection.parquet``, see :mod:`~weaklabel.verifiers.io`).

    ``layout``: see :func:`~weaklabel.verifiers.readers.read_scores`. ``selector``: an unfitted
    :class:`~weaklabel.verifiers.selector.VerifierSelector` (default settings when None);
    ``model_file``: apply a saved selector instead of fitting. With a correctness column,
    ``dev_frac`` of the labelled questions form the dev set the fit may use; the others are
    scored (Select@1 of the selector and the baselines). ``save_model``: write the fitted
    selector as JSON."""
    from ..io import check_distinct, check_output
    from .data import from_frame
    from .evaluate import dev_labels, evaluate, split_dev
    from .io import write_selection
    from .readers import read_scores
    from .selector import VerifierSelector

    check_distinct([scores, model_file], [output, save_model])
    check_output(output, force)
    if save_model is not None:
        check_output(save_model, force)
    if model_file is not None and save_model is not None:
        raise InputError("--model-file applies a saved selector; --save-model is for a fitted one (use one)")
    if model_file is not None and selector is not None:
        raise InputError("give a selector to fit or a model file to apply, not both")
    table = read_scores(scores, layout, question_col=question_col, candidate_col=candidate_col,
                        answer_col=answer_col, correct_col=correct_col)
    data = from_frame(table.frame, question_col=table.question_col, candidate_col=table.candidate_col,
                      verifiers=verifiers, answer_col=table.answer_col, correct_col=table.correct_col,
                      where=str(scores))
    t0 = time.perf_counter()
    if model_file is not None:
        sel = VerifierSelector.load(model_file)
        dev_q = np.zeros(data.n_questions, dtype=bool)
    else:
        sel = VerifierSelector(random_state=seed) if selector is None else selector
        dev_q = split_dev(data, dev_frac, seed) if data.correct is not None else np.zeros(data.n_questions, bool)
        sel.fit(data, dev_labels(data, dev_q))
    fit_s = time.perf_counter() - t0
    log_odds, own = sel.predict_log_odds(data)
    proba, p_own = (1.0 / (1.0 + np.exp(-np.clip(x, -40, 40))) for x in (log_odds, own))
    selected = sel.select(data)
    ev = evaluate(sel, data, proba, dev_q, seed=seed, oracle=evaluate_oracle) if data.correct is not None else None
    write_selection(output, data, proba, selected, sel, dev_q=dev_q, force=force, p_candidate=p_own,
                    extra={"scores_file": Path(scores).name, "layout": table.layout,
                           "explanation": sel.explain(), "evaluation": ev.to_dict() if ev else None})
    if save_model is not None:
        sel.save(save_model, force=force)
    return SelectSummary(str(output), data, sel, proba, p_own, selected, dev_q, table.layout, fit_s, ev)
