"""``weaklabel select``: aggregate verifier scores (reward models, LLM judges) and pick the best
candidate answer of every question."""

from __future__ import annotations

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
  weaklabel select examples/verifiers/weaver_scores.csv -o sel.parquet --json       # Weaver-style score table
"""

def _verifier_table(ev_or_sel, with_truth: bool, title: str):
    from rich.table import Table

    vt = ev_or_sel
    t = Table(title=title, title_justify="left")
    cols = ["verifier", "format", "yes-rate", "agreement", "status", "family", "weight", "est. AUC", "est. accuracy"]
    if with_truth:
        cols += ["true AUC", "true accuracy"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("verifier", "format", "status") else "right")
    for r in vt.to_dict(orient="records"):
        fam = "" if r["family"] is None or r["family"] < 0 else str(int(r["family"]))
        row = [safe(r["verifier"]), safe(r["format"]), fmt_frac(r["positive_rate"]), fmt_frac(r["agreement"]),
               safe(r["status"]), fam, fmt_frac(r["weight"]), fmt_frac(r["est_auc"]), fmt_frac(r["est_accuracy"])]
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
        v = r["select_at_1"]   # NaN: a baseline the data cannot give (a note says why)
        t.add_row(r["method"], "n/a" if v != v else fmt_frac(v), style="bold" if bold else None)
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
    pool_answers: str = typer.Option(None, "--pool-answers",
                                     help="With --answer-col: pool the evidence of candidates with the same answer: "
                                          "auto (default; for mixture, ds, hybrid, mc), yes or no."),
    pool_centre: str = typer.Option(None, "--pool-centre",
                                    help="Answer pooling: how much of the question's mean evidence is taken out "
                                         "first: auto (default; all of it when most candidates look correct, else "
                                         "the question's estimated share of correct ones), prior, question or none."),
    dev_frac: float = typer.Option(None, "--dev-frac", help="With --correct-col: share of questions used as labelled "
                                                            "dev set (never scored in the metrics; default 0.05)."),
    label_model: str = typer.Option(None, "--label-model", "-m",
                                    help="mixture (continuous scores; default) or a vote model: ds, hybrid, mc, "
                                         "triplet, onecoin, weighted, majority, auto."),
    normalise: str = typer.Option(None, "--normalise", help="quantile (default), minmax, winsorize or none."),
    normalise_scope: str = typer.Option(None, "--normalise-scope", help="global (default) or question."),
    binarise: str = typer.Option(None, "--binarise", help="auto (default: none for mixture, quantile for vote "
                                                          "models), quantile, fixed or none."),
    binarise_scope: str = typer.Option(None, "--binarise-scope", help="--binarise quantile: class-balance quantile "
                                                                      "within each question (default) or global."),
    threshold: float = typer.Option(None, "--threshold", help="--binarise fixed: vote yes at or above this "
                                                              "normalised score (default 0.5)."),
    class_balance: float = typer.Option(None, "--class-balance", help="Share of correct candidates (default: dev labels or estimated)."),
    inverted: str = typer.Option(None, "--inverted", help="Verifiers estimated below chance: flip (default), drop or keep."),
    min_agreement: float = typer.Option(None, "--min-agreement", help="Drop verifiers whose within-question correlation "
                                                                      "with every other verifier is below this "
                                                                      "(default 0.05)."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Label-model hyper-parameter NAME=VALUE (repeatable)."),
    input_format: str = typer.Option("auto", "--format", help="auto, long, weaver-long (Weaver-style score table: one "
                                                              "row per question x sample) or weaver (one row per "
                                                              "question, list columns)."),
    families: str = typer.Option(None, "--families", help="detect (default): find verifier families that share their "
                                                          "errors and count each about once; none: treat all as "
                                                          "independent."),
    family_threshold: float = typer.Option(None, "--family-threshold", help="Smallest residual within-question "
                                                                            "correlation of a verifier family "
                                                                            "(default 0.2)."),
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
        from ..errors import InputError
        from ..verifiers import VerifierSelector, select_file
        from ..verifiers.runner import check_saved_settings, check_seed
        from ._common import parse_params

        check_seed(seed)

        pools = {"auto": "auto", "yes": True, "no": False}
        if pool_answers is not None and pool_answers not in pools:
            raise InputError(f"--pool-answers must be auto, yes or no, got {pool_answers!r}")
        if binarise_scope is not None and binarise_scope not in ("question", "global"):
            raise InputError(f"--binarise-scope must be question or global, got {binarise_scope!r}")
        # only the options the user gave (None = not given): a saved selector must agree with
        # them, and a fit refuses those its other settings would ignore
        given = {k: v for k, v in (
            ("normalise", normalise), ("normalise_scope", normalise_scope), ("binarise", binarise),
            ("binarise_scope", binarise_scope), ("threshold", threshold), ("class_balance", class_balance),
            ("label_model", label_model), ("model_params", parse_params(param) if param else None),
            ("min_agreement", min_agreement), ("inverted", inverted),
            ("pool_answers", None if pool_answers is None else pools[pool_answers]), ("families", families),
            ("family_threshold", family_threshold), ("pool_centre", pool_centre)) if v is not None}
        selector = None
        if model_file is not None:
            check_saved_settings(VerifierSelector.load(model_file), given, model_file)
        else:
            selector = VerifierSelector(random_state=seed, **given)
            method = selector._binarise_method()
            if threshold is not None and method != "fixed":
                raise InputError(f"--threshold is the cut of --binarise fixed; this fit binarises with {method} "
                                 "(add --binarise fixed or drop --threshold)")
            if binarise_scope is not None and method != "quantile":
                raise InputError(f"--binarise-scope sets where --binarise quantile takes its quantiles; this fit "
                                 f"binarises with {method} (add --binarise quantile or drop --binarise-scope)")
            if family_threshold is not None and selector.families == "none":
                raise InputError("--family-threshold is for --families detect; drop one of them")
            if pool_centre is not None and selector.pool_answers is False:
                raise InputError("--pool-centre is for answer pooling; drop it or --pool-answers no")
        res = select_file(scores, output, layout=input_format, question_col=question_col, candidate_col=candidate_col,
                          verifiers=verifiers, answer_col=answer_col, correct_col=correct_col, dev_frac=dev_frac,
                          selector=selector, model_file=model_file, save_model=save_model, seed=seed, force=force)
        if not quiet:
            for w in res.warnings:
                err.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)
        if as_json:
            print_json(res.to_dict())
            return
        if quiet:
            return
        sel, ev, data = res.selector, res.evaluation, res.data
        out.print(_verifier_table(res.verifier_table(), ev is not None,
                                  f"verifiers ({len(sel.kept_)} of {len(sel.verifiers_)} kept; AUC = P(a correct "
                                  "candidate outscores an incorrect one of its question); weight = what it counts "
                                  "per unit of normalised score)"))
        expl = sel.explain()
        for i, f in enumerate(expl["families"]):
            out.print(f"family {i}: {safe(', '.join(f['members']))} (residual correlation {f['residual_correlation']:.2f}; "
                      f"each member counts {f['member_weight']:.2f})", highlight=False)
        line = f"label model {sel.label_model}: share of correct candidates {sel.class_balance_:.3f}"
        if sel.threshold_balance_ is not None:
            line += f"; quantile thresholds at {sel.threshold_balance_:.3f} ({sel.class_balance_source_})"
        test = expl["answer_pooling"]["test"]
        if res.pooled:        # what this run did, as --json's answers_pooled: not the saved selector's answer_icc_
            line += f"; answers pooled (within-answer correlation {sel.answer_icc_:.2f}, {sel.answer_icc_source_})"
        elif sel.answer_icc_ is not None:     # a selector that pools, on candidates without answers (warned)
            line += ("; answers not pooled (not pooled: no candidate has a final answer; the selector pools them "
                     f"with within-answer correlation {sel.answer_icc_:.2f})")
        elif test is not None:
            line += f"; answers not pooled ({test['decision']})"
        if test is not None and test.get("F") is not None:
            line += f"; answer test F = {test['F']:.1f}, p = {test['p_value']:.2g}"
        out.print(line, highlight=False)
        if ev is not None:
            out.print(f"Select@1 (accuracy of the candidate chosen per question) on {ev.n_eval} evaluation "
                      "questions" + (f" ({ev.n_dev} dev questions held out)" if ev.n_dev else ""), highlight=False)
            out.print(_methods_table(ev))
            for note in ev.notes:
                out.print(f"note: {note}", highlight=False)
        err.print(f"wrote {safe(output)}: {data.n_rows:,} candidates, {data.n_questions:,} questions, "
                  f"one selected per question", highlight=False)
