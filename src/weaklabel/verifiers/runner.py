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
    questions and, with labels, the :class:`~weaklabel.verifiers.evaluate.Evaluation`.
    ``pooled``: whether this run pooled the candidates' evidence by final answer (a selector that
    pools, applied to candidates whose answers are all missing, pooled nothing)."""

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
    warnings: list[str] = field(default_factory=list)
    pooled: bool = False

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
               "answers_pooled": bool(self.pooled), "seconds": round(self.fit_seconds, 3),
               "explanation": sel.explain(),
               "verifier_table": [{k: clean(v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
                                  for r in vt.to_dict(orient="records")]}
        if ev is not None:
            out["evaluation"] = ev.to_dict()
        out["warnings"] = list(self.warnings)
        return out


def check_seed(seed, name: str = "--seed") -> None:
    """A seed numpy and the vote models accept (0 to 2**32 - 1), checked before any work: a
    negative one failed inside numpy after the whole fit."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2 ** 32:
        raise InputError(f"{name} must be an integer from 0 to {2 ** 32 - 1}, got {seed!r}")


# options fixed when a selector is fitted: (CLI option, selector attribute)
SAVED_OPTIONS = (("--label-model", "label_model"), ("--normalise", "normalise"),
                 ("--normalise-scope", "normalise_scope"), ("--binarise", "binarise"),
                 ("--binarise-scope", "binarise_scope"), ("--threshold", "threshold"),
                 ("--class-balance", "class_balance"), ("--inverted", "inverted"),
                 ("--min-agreement", "min_agreement"), ("--param", "model_params"),
                 ("--pool-answers", "pool_answers"), ("--pool-centre", "pool_centre"),
                 ("--families", "families"), ("--family-threshold", "family_threshold"))


def check_saved_settings(sel, given: dict, where) -> None:
    """Options given with a saved selector (``given``: selector attribute -> value, only those
    the user gave) must match what it was saved with: it is applied, not refitted, so another
    value would be silently ignored. ``binarise`` and ``pool_answers`` may also name what ``auto``
    resolved to."""
    from .params import binarise_method

    for opt, attr in SAVED_OPTIONS:
        if attr not in given:
            continue
        value, saved = given[attr], getattr(sel, attr)
        if attr == "model_params":
            same = dict(value or {}) == dict(saved or {})
        elif attr == "binarise":
            same = value in (saved, binarise_method(sel))
        elif attr == "pool_answers" and saved == "auto":   # also what "auto" resolved to at the fit
            same = value in (saved, sel._pool_setting())
        elif isinstance(value, float) and isinstance(saved, (int, float)) and not isinstance(saved, bool):
            same = float(saved) == value
        else:
            same = value == saved
        if not same:
            shown = {True: "yes", False: "no"}.get(saved, saved) if attr == "pool_answers" else saved
            raise InputError(f"{opt}: {where} was saved with {shown!r}; drop the option or refit")


def select_file(scores, output, *, layout: str = "auto", question_col: str = "question_id",
                candidate_col: str = "candidate_id", verifiers=None, answer_col: str | None = None,
                correct_col: str | None = None, dev_frac: float | None = None, selector=None, model_file=None,
                save_model=None, seed: int = 0, force: bool = False, evaluate_oracle: bool = True) -> SelectSummary:
    """Select the best candidate of every question of the score table ``scores`` and write
    ``output`` (``selection.parquet``, see :mod:`~weaklabel.verifiers.io`).

    ``layout``: see :func:`~weaklabel.verifiers.readers.read_scores`. ``selector``: an unfitted
    :class:`~weaklabel.verifiers.selector.VerifierSelector` (default settings when None);
    ``model_file``: apply a saved selector instead of fitting. With a correctness column,
    ``dev_frac`` (default 0.05) of the labelled questions form the dev set the fit may use; the
    others are scored (Select@1 of the selector and the baselines); ``dev_frac`` without a
    correctness column, or with ``model_file``, is an error (it would do nothing).
    ``save_model``: write the fitted selector as JSON; the selection and the selector are
    renamed into place together (both or neither)."""
    from ..io import check_distinct, check_json_name, check_output, check_parquet_name, output_group
    from .data import from_frame, label_like_warnings, numbers_as_text
    from .draws import in_id_order
    from .evaluate import dev_labels, evaluate, labelled_questions, split_dev
    from .io import write_selection
    from .readers import read_scores
    from .selector import VerifierSelector

    check_seed(seed)
    if selector is not None and selector.random_state is not None:   # None: unseeded, as in scikit-learn
        check_seed(selector.random_state, "random_state")
    check_distinct([scores, model_file], [output, save_model])
    check_parquet_name(output, "the selection")
    check_output(output, force)
    if save_model is not None:
        check_json_name(save_model, "the fitted selector")
        check_output(save_model, force)
    if model_file is not None and save_model is not None:
        raise InputError("--model-file applies a saved selector; --save-model is for a fitted one (use one)")
    if model_file is not None and selector is not None:
        raise InputError("give a selector to fit or a model file to apply, not both")
    if dev_frac is not None and not 0 <= dev_frac < 1:
        raise InputError(f"--dev-frac must be in [0, 1), got {dev_frac}")
    if model_file is not None and dev_frac is not None:
        raise InputError("--dev-frac: a saved selector (--model-file) is applied, not fitted, so there is no dev "
                         "set; drop the option")
    sel = VerifierSelector.load(model_file) if model_file is not None else None
    table = read_scores(scores, layout, question_col=question_col, candidate_col=candidate_col,
                        answer_col=answer_col, correct_col=correct_col)
    columns = verifiers
    if sel is not None and verifiers is None:   # a saved selector reads its own verifiers, by name
        have = {str(c) for c in table.frame.columns}
        missing = [v for v in sel.kept_ if v not in have]   # a dropped verifier's column may be absent
        if missing:
            raise InputError(f"{scores}: no column for verifier {missing[0]!r}, which the selector {model_file} "
                             "was fitted with")
        columns = [v for v in sel.verifiers_ if v in have]   # a score column stored as text is read, not missed
    file_data = from_frame(table.frame, question_col=table.question_col, candidate_col=table.candidate_col,
                           verifiers=columns, answer_col=table.answer_col, correct_col=table.correct_col,
                           where=str(scores), display=table.names)
    # fitted and selected on the rows in an order of their ids: the same rows in another order
    # give the same result to the last bit (draws.in_id_order); written back in file order
    data, rows = in_id_order(file_data)
    if dev_frac is not None and data.correct is None:
        raise InputError("--dev-frac sets aside labelled dev questions: it needs a correctness column "
                         "(--correct-col)")
    answer_name = None if table.answer_col is None else table.names.get(table.answer_col, table.answer_col)
    t0 = time.perf_counter()
    if sel is not None:
        if data.answers is None and sel._pool_setting() and sel.answer_icc_ is not None:
            col = getattr(sel, "answer_column_", None)
            raise InputError(f"{model_file}: the selector pools candidates by final answer"
                             + (f" (fitted with --answer-col {col})" if col else "")
                             + "; name the answers' column with --answer-col (or refit with --pool-answers no)")
        dev_q = np.zeros(data.n_questions, dtype=bool)
    else:
        sel = VerifierSelector(random_state=seed) if selector is None else selector
        if sel.pool_answers is True and data.answers is None:
            raise InputError("--pool-answers yes pools candidates by final answer: it needs the answers' "
                             "column (--answer-col)")
        frac = 0.05 if dev_frac is None else dev_frac
        dev_q = split_dev(data, frac, seed) if data.correct is not None else np.zeros(data.n_questions, bool)
        sel.fit(data, dev_labels(data, dev_q))
        sel.answer_column_ = answer_name if sel.pools_answers(data) else None
    fit_s = time.perf_counter() - t0
    warnings = list(table.warnings) + label_like_warnings(data, sel.verifiers_, verifiers)
    if model_file is None and sel.pool_answers is True and data.answers is not None and not (data.answers >= 0).any():
        warnings.append(f"--pool-answers yes: no candidate has a final answer (column {answer_name!r} is empty): "
                        "nothing was pooled")
    if model_file is not None and sel._pool_setting() and sel.answer_icc_ is not None and data.answers is not None \
            and not (data.answers >= 0).any():        # a saved selector that pools, on an empty answer column
        warnings.append(f"the selector {model_file} pools candidates by final answer, but no candidate has one "
                        f"(column {answer_name!r} is empty): nothing was pooled; each candidate is selected on "
                        "its own evidence")
    if verifiers is None:                 # a verifier stored as text is left out: say so, not silently
        ids = [table.question_col, table.candidate_col, table.answer_col, table.correct_col]
        warnings += [f"column {table.names.get(c, c)!r} holds numbers stored as text and is not used as a "
                     f"verifier; name it with --verifiers to use it"
                     for c in numbers_as_text(table.frame, exclude=[c for c in ids if c is not None] + data.verifiers)]
    # a correctness column (given, or a Weaver table's, found by name) that labels no question in
    # full leaves nothing to score: said, and the selection still written (it failed after the fit)
    scored = data.correct is not None and bool(labelled_questions(data).any())
    if data.correct is not None and not scored:
        name = table.names.get(table.correct_col, table.correct_col)
        warnings.append(f"correctness column {name!r} " + ("holds no labels" if not (data.correct >= 0).any() else
                        "labels no question in full (every candidate of a question needs one)")
                        + ": the selection is not evaluated")
    # whether this run pools, passed on: the library's own warning for a selector that pools on
    # candidates without answers would repeat the one above in other words
    pooled = sel.pools_answers(data)
    log_odds, own = sel.predict_log_odds(data, pooled)
    proba, p_own = (1.0 / (1.0 + np.exp(-np.clip(x, -40, 40))) for x in (log_odds, own))
    selected = sel.select(data, pool_answers=pooled)
    ev = evaluate(sel, data, proba, dev_q, seed=seed, oracle=evaluate_oracle, selected=selected) if scored else None
    back = np.argsort(rows)                   # file row r is row back[r] of `data`
    proba, p_own, selected = proba[back], p_own[back], selected[back]
    q_of = np.empty(data.n_questions, dtype=np.int64)
    q_of[file_data.codes] = data.codes[back]  # a file question's code in `data`
    data, dev_q = file_data, dev_q[q_of]
    with output_group():           # the selection and the selector file appear together or not at all
        write_selection(output, data, proba, selected, sel, dev_q=dev_q, force=force, p_candidate=p_own,
                        extra={"scores_file": Path(scores).name, "layout": table.layout, "answers_pooled": pooled,
                               "explanation": sel.explain(), "evaluation": ev.to_dict() if ev else None})
        if save_model is not None:
            sel.save(save_model, force=force)
    return SelectSummary(str(output), data, sel, proba, p_own, selected, dev_q, table.layout, fit_s, ev,
                         warnings=warnings, pooled=pooled)
