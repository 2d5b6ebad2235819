"""``weaklabel select``: aggregate verifier scores (reward models, LLM judges) and pick the best
candidate answer of every question."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ._common import app, err, fmt_frac, out, print_json, safe, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel select scores.parquet -o selection.parquet
  weaklabel select scores.parquet -o selection.parquet --verifiers 'rm_*,judge_*' --answer-col answer
  weaklabel select scores.parquet -o selection.parquet --correct-col correct --dev-frac 0.05
  weaklabel select scores.csv -o sel.parquet --label-model ds --binarise quantile --save-model selector.json
  weaklabel select new_scores.parquet -o sel.parquet --model-file selector.json     # apply a saved selector
  weaklabel select weaver_math500.parquet -o sel.parquet                            # Weaver's layout, detected
"""

FORMATS = ("auto", "long", "weaver")


def _read(path: Path, fmt: str):
    from ..bench.verifiers import is_weaver_layout, weaver_to_long
    from ..errors import InputError
    from ..io import read_table

    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    df = read_table(path)
    weaver = fmt == "weaver" or (fmt == "auto" and is_weaver_layout(df))
    if weaver:
        return weaver_to_long(df, where=str(path)), True
    return df, False


def _verifier_table(ev_or_sel, with_truth: bool, title: str):
    from rich.table import Table

    vt = ev_or_sel
    t = Table(title=title, title_justify="left")
    cols = ["verifier", "format", "yes-rate", "agreement", "status", "est. AUC", "est. accuracy"]
    if with_truth:
        cols += ["true AUC", "true accuracy"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("verifier", "format", "status") else "right")
    for r in vt.to_dict(orient="records"):
        row = [safe(r["verifier"]), safe(r["format"]), fmt_frac(r["positive_rate"]), fmt_frac(r["agreement"]), safe(r["status"]),
               fmt_frac(r["est_auc"]), fmt_frac(r["est_accuracy"])]
        if with_truth:
            row += [fmt_frac(r["true_auc"]), fmt_frac(r["true_accuracy"])]
        style = "dim" if str(r["status"]).startswith("dropped") else None
        t.add_row(*row, style=style)
    return t


def _methods_table(ev):
    from rich.table import Table

    t = Table()
    t.add_column("method")
    t.add_column("Select@1", justify="right")
    for r in ev.methods.to_dict(orient="records"):
        bold = r["method"] == "label model"
        t.add_row(r["method"], fmt_frac(r["select_at_1"]), style="bold" if bold else None)
    return t


@app.command("select", epilog=EXAMPLES)
def select_command(
    scores: Path = typer.Argument(..., help="Long table (Parquet/CSV/JSONL): one row per candidate, one column per "
                                            "verifier; or Weaver's layout (one row per question, list columns)."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write selection.parquet."),
    question_col: str = typer.Option("question_id", "--question-col", help="Question id column."),
    candidate_col: str = typer.Option("candidate_id", "--candidate-col", help="Candidate id column."),
    verifiers: str = typer.Option(None, "--verifiers", help="Comma-separated verifier columns or globs, e.g. 'rm_*,judge_*' "
                                                            "(default: every other numeric column)."),
    correct_col: str = typer.Option(None, "--correct-col", help="0/1 correctness column: dev labels and evaluation."),
    answer_col: str = typer.Option(None, "--answer-col", help="Final-answer column: candidates with the same answer "
                                                              "pool their evidence; majority-answer baseline."),
    pool_answers: str = typer.Option("auto", "--pool-answers",
                                     help="With --answer-col: pool the evidence of candidates with the same answer: "
                                          "auto (for mixture, ds, hybrid, mc), yes or no."),
    dev_frac: float = typer.Option(0.05, "--dev-frac", help="With --correct-col: share of questions used as labelled "
                                                            "dev set (never scored in the metrics)."),
    label_model: str = typer.Option("mixture", "--label-model", "-m",
                                    help="mixture (continuous scores; default) or a vote model: ds, hybrid, mc, "
                                         "triplet, onecoin, weighted, majority, auto."),
    normalise: str = typer.Option("quantile", "--normalise", help="quantile, minmax, winsorize or none."),
    normalise_scope: str = typer.Option("global", "--normalise-scope", help="global or question."),
    binarise: str = typer.Option("auto", "--binarise", help="auto (none for mixture, quantile for vote models), "
                                                            "quantile, fixed or none."),
    binarise_scope: str = typer.Option("question", "--binarise-scope", help="Class-balance quantile within each "
                                                                            "question or global."),
    threshold: float = typer.Option(0.5, "--threshold", help="--binarise fixed: vote yes at or above this normalised score."),
    class_balance: float = typer.Option(None, "--class-balance", help="Share of correct candidates (default: dev labels or estimated)."),
    inverted: str = typer.Option("flip", "--inverted", help="Verifiers estimated below chance: flip, drop or keep."),
    min_agreement: float = typer.Option(0.05, "--min-agreement", help="Drop verifiers whose within-question correlation "
                                                                       "with every other verifier is below this."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Label-model hyper-parameter NAME=VALUE (repeatable)."),
    input_format: str = typer.Option("auto", "--format", help="auto, long or weaver (one row per question, list columns)."),
    model_file: Path = typer.Option(None, "--model-file", help="Apply a selector saved with --save-model instead of fitting."),
    save_model: Path = typer.Option(None, "--save-model", help="Write the fitted selector (normalisers, thresholds, kept "
                                                               "verifiers, accuracies) as JSON."),
    seed: int = typer.Option(0, "--seed", help="Seed for the dev split and tie-breaking."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Combine verifier scores into P(correct) per candidate and select the best candidate per question."""
    with user_errors():
        import numpy as np

        from ..errors import InputError
        from ..io import check_distinct, check_output
        from ..verifiers import VerifierSelector, from_frame
        from ..verifiers.evaluate import dev_labels, evaluate, split_dev
        from ..verifiers.io import write_selection
        from .fit_cmd import _parse_params

        check_distinct([scores, model_file], [output, save_model])
        check_output(output, force)
        if save_model is not None:
            check_output(save_model, force)
        if model_file is not None and save_model is not None:
            raise InputError("--model-file applies a saved selector; --save-model is for a fitted one (use one)")
        df, weaver = _read(scores, input_format)
        if weaver:
            question_col, candidate_col = "question_id", "candidate_id"
            answer_col = answer_col or ("answer" if "answer" in df.columns else None)
            correct_col = correct_col or ("correct" if "correct" in df.columns else None)
        data = from_frame(df, question_col=question_col, candidate_col=candidate_col, verifiers=verifiers,
                          answer_col=answer_col, correct_col=correct_col, where=str(scores))
        t0 = time.perf_counter()
        if model_file is not None:
            sel = VerifierSelector.load(model_file)
            dev_q = np.zeros(data.n_questions, dtype=bool)
        else:
            params = _parse_params(param)
            pools = {"auto": "auto", "yes": True, "no": False}
            if pool_answers not in pools:
                raise InputError(f"--pool-answers must be auto, yes or no, got {pool_answers!r}")
            sel = VerifierSelector(normalise=normalise, normalise_scope=normalise_scope, binarise=binarise,
                                   binarise_scope=binarise_scope, threshold=threshold, class_balance=class_balance,
                                   label_model=label_model, model_params=params, min_agreement=min_agreement,
                                   inverted=inverted, pool_answers=pools[pool_answers], random_state=seed)
            dev_q = split_dev(data, dev_frac, seed) if data.correct is not None else np.zeros(data.n_questions, bool)
            sel.fit(data, dev_labels(data, dev_q))
        fit_s = time.perf_counter() - t0
        log_odds, own = sel.predict_log_odds(data)
        proba, p_own = (1 / (1 + np.exp(-np.clip(x, -40, 40))) for x in (log_odds, own))
        selected = sel.select(data)
        ev = None
        if data.correct is not None:
            ev = evaluate(sel, data, proba, dev_q, seed=seed)
        write_selection(output, data, proba, selected, sel, dev_q=dev_q, force=force, p_candidate=p_own,
                        extra={"scores_file": Path(scores).name, "evaluation": ev.to_dict() if ev else None})
        if save_model is not None:
            sel.save(save_model, force=force)
        vt = ev.verifiers if ev is not None else sel.verifier_table()
        summary = {
            "output": str(output), "questions": data.n_questions, "candidates": data.n_rows,
            "verifiers": len(sel.verifiers_), "kept": len(sel.kept_), "label_model": sel.label_model,
            "class_balance": sel.class_balance_, "threshold_balance": sel.threshold_balance_,
            "answer_icc": sel.answer_icc_,
            "seconds": round(fit_s, 3),
            "verifier_table": [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
                               for r in vt.to_dict(orient="records")],
        }
        if ev is not None:
            summary["evaluation"] = ev.to_dict()
        if as_json:
            print_json(summary)
            return
        if quiet:
            return
        out.print(_verifier_table(vt, ev is not None,
                                  f"verifiers ({len(sel.kept_)} of {len(sel.verifiers_)} kept; AUC = P(a correct "
                                  "candidate outscores an incorrect one of its question))"))
        line = f"label model {sel.label_model}: share of correct candidates {sel.class_balance_:.3f}"
        if sel.threshold_balance_ is not None:
            line += f"; quantile thresholds at {sel.threshold_balance_:.3f} ({sel.class_balance_source_})"
        if sel.answer_icc_ is not None:
            line += f"; answers pooled (within-answer correlation {sel.answer_icc_:.2f}, {sel.answer_icc_source_})"
        out.print(line, highlight=False)
        if ev is not None:
            out.print(f"Select@1 (accuracy of the candidate chosen per question) on {ev.n_eval} evaluation "
                      "questions" + (f" ({ev.n_dev} dev questions held out)" if ev.n_dev else ""), highlight=False)
            out.print(_methods_table(ev))
            for note in ev.notes:
                out.print(f"note: {note}", highlight=False)
        err.print(f"wrote {safe(output)}: {data.n_rows:,} candidates, {data.n_questions:,} questions, "
                  f"one selected per question", highlight=False)
