"""Bench outputs: summaries, rich tables, ``results.json``, ``results.csv``, ``report.md`` and plots.

Plots need matplotlib (``pip install 'weaklabel[plot]'``); without it everything else is
written and the report says the plots were skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ..io import atomic_output, check_output, output_group
from .plots import write_plots  # noqa: F401  (part of this module's interface)
from .suites import BenchResult
from .tables import TableSpec, _clean, detail_tables, summarize, tables, to_markdown, to_rich  # noqa: F401

RESULT_FILES = ("results.json", "results.csv", "report.md")
PLOT_FILES = ("autows_end_accuracy.png", "autows_lf_scatter.png", "autows_labels.png")

PROTOCOL = {
    "wrench": ("Fit each label model on the train votes without gold labels, predict the test rows. Accuracy "
               "and macro-F1 over all test rows; hard label = argmax, ties broken at random (seeded). Rows "
               "without votes get what the model predicts for them (weaklabel's `majority` uses its learned "
               "class balance); `mv_noprior` is textbook majority vote, a random guess on those rows."),
    "crowd": ("Workers are the sources. Fit on all answers without gold, score on the items with gold. "
              "A worker's repeated answers on one item count once (the last)."),
    "verifiers": ("Generated verifier-score suites (`weaklabel.bench.verifiers.generate_suite`, seeded): questions "
                  "of varied difficulty (hard ones with few or no correct candidates), 15-30 verifiers of varied "
                  "quality and format (probabilities, logits, 1-10 ratings, yes/no verdicts), correlated families, "
                  "shared errors, two inverted, one useless and one near-constant verifier, missing scores. Per "
                  "suite and seed, a dev set of questions (`--dev-frac`, 5%) is labelled: it picks the best single "
                  "verifier, sets the class balance and semi-supervises the fit; every figure is Select@1 "
                  "(accuracy of the candidate chosen per question) on the other questions. Label models: "
                  "`mixture` (continuous scores) and the vote models on class-balance-quantile votes. "
                  "Candidates with the same final answer pool their evidence (answer pooling; the second table "
                  "scores each candidate on its own). `oracle-weighted`: naive Bayes with every verifier's true "
                  "accuracy (fitted with the evaluation labels), pooled the same way; `gap`: mixture minus "
                  "oracle-weighted."),
    "autows": ("AutoWS-Bench-101 protocol: per task and seed, draw the labelled rows (stratified) from the train "
               "split; generate LFs from them (snuba: thresholds, pair models, keywords; cluster: k-means "
               "clusters named by their labelled members; knn: agreeing nearest labelled rows; the unlabelled "
               "train rows' features are used without labels); fit the label model on the train votes with the "
               "labelled rows' gold; train the end model (logistic regression, C chosen by 3-fold cross-validation "
               "on the labelled rows and shared with the supervised baseline) on the probabilistic labels of "
               "the covered unlabelled rows plus the labelled rows; score on the test split. Baselines use the "
               "same labelled rows: `supervised` (same end model), `label_propagation` (label spreading on a "
               "k-NN graph), `majority_class`. Test labels are only read to score. Tasks where the budget "
               "exceeds a quarter of the train split use a quarter (wine)."),
}


# --------------------------------------------------------------------------- summaries
def planned_files(out_dir: Path, plots: bool) -> list[Path]:
    names = list(RESULT_FILES) + (list(PLOT_FILES) if plots else [])
    return [out_dir / n for n in names]


def check_outputs(out_dir: Path, force: bool, plots: bool) -> None:
    """Fail before running if an output exists (without ``force``), or if ``out_dir`` is not a
    folder that can be made. The folder itself is made only when the results are written
    (:func:`write_outputs`): a run that fails leaves no empty folder behind."""
    from ..errors import InputError

    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: --out must be a folder, and this is a file")
    if out_dir.is_symlink() and not out_dir.exists():
        # found only when the results were to be written, after the whole run
        raise InputError(f"{out_dir}: --out is a symbolic link to {os.readlink(out_dir)}, which does not exist")
    if out_dir.is_dir():
        for p in planned_files(out_dir, plots):
            check_output(p, force)
        return
    base = out_dir.parent
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise InputError(f"{out_dir}: cannot create the --out folder ({base} is a file)")
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(f"{out_dir}: cannot create the --out folder ({base} is not writable)")


def _make_folder(out: Path) -> list[Path]:
    """Make ``out`` (and missing parents); returns the folders made, deepest first."""
    from ..errors import InputError

    made = []
    p = out
    while not p.exists() and p != p.parent:
        made.append(p)
        p = p.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the --out folder ({exc.strerror or type(exc).__name__})") from None
    return made


def budget_notes(records: list[dict]) -> list[str]:
    """One line per AutoWS task whose label budget was capped at a quarter of its training rows
    (``suites.effective_labels``): without it, ``--n-labels 100,200,400`` on a small task gives
    curve points that repeat one another with nothing to say why."""
    per_task: dict[str, dict[int, tuple[int, int]]] = {}
    for r in records:
        if r.get("suite") == "autows" and "budget" in r and "n_labels" in r:
            per_task.setdefault(str(r["task"]), {})[int(r["budget"])] = (int(r["n_labels"]), int(r.get("n_train", 0)))
    notes = []
    for task, got in sorted(per_task.items()):
        capped = {b: n for b, (n, _) in got.items() if n < b}
        if not capped:
            continue
        n_train = max(t for _, t in got.values())
        used = sorted(set(capped.values()))
        budgets = ", ".join(str(b) for b in sorted(capped))
        note = (f"{task}: label budget{'s' if len(capped) > 1 else ''} {budgets} capped at {', '.join(map(str, used))} labelled rows (a quarter of "
                f"its {n_train:,} training rows)")
        if len(capped) > 1 and len(used) == 1:
            note += "; those budgets' results are the same runs"
        notes.append(note)
    return notes


def to_json(result: BenchResult, command: str | None = None) -> dict:
    s = summarize(result)
    notes = budget_notes(result.records)
    return _clean({
        **({"warnings": notes} if notes else {}),
        "format": "weaklabel.bench", "format_version": 1, "command": command, "config": result.config,
        "versions": result.versions, "seconds": round(result.seconds, 3), "datasets": result.datasets,
        "summary": {k: v.to_dict(orient="records") for k, v in s.items()},
        "results": result.records, "lfs": result.lf_records,
    })


def write_outputs(result: BenchResult, out_dir: str | Path, *, force: bool = False, plots: bool = True,
                  command: str | None = None) -> list[Path]:
    """Write results.json, results.csv, report.md and (with matplotlib) the PNG plots. They are
    renamed into place together at the end (``output_group``): a failure or Ctrl-C part way leaves
    the previous run's files as they were, never a new results.json beside an old report.md."""
    out = Path(out_dir)
    made = _make_folder(out)
    try:
        return _write_outputs(result, out, force=force, plots=plots, command=command)
    except BaseException:
        for d in made:        # the folders this call made, if still empty: no empty folder left behind
            try:
                d.rmdir()
            except OSError:
                break
        raise


def _write_outputs(result: BenchResult, out: Path, *, force: bool, plots: bool, command: str | None) -> list[Path]:
    with output_group():
        written = []
        png: list[Path] = []
        plot_note = None
        if plots:
            try:
                png = write_plots(result, out, force=force)
            except ImportError:
                plot_note = "Plots skipped: matplotlib is not installed (`pip install 'weaklabel[plot]'`)."
        else:
            plot_note = "Plots not requested."
        with atomic_output(out / "results.json", force) as tmp:
            tmp.write_text(json.dumps(to_json(result, command), indent=1, allow_nan=False) + "\n")
        written.append(out / "results.json")
        with atomic_output(out / "results.csv", force) as tmp:
            pd.DataFrame(result.records).to_csv(tmp, index=False, float_format="%.6g")
        written.append(out / "results.csv")
        with atomic_output(out / "report.md", force) as tmp:
            tmp.write_text(report_markdown(result, png, plot_note, command))
        written.append(out / "report.md")
    return written + png


def report_markdown(result: BenchResult, plots: list[Path], plot_note: str | None, command: str | None) -> str:
    cfg = result.config
    suites = list(cfg.get("suites") or [])
    lines = ["# weaklabel bench report", ""]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [f"Total time: {result.seconds:.1f} s.", "", "## Settings", ""]
    settings = {"suites": ", ".join(suites), "quick": cfg.get("quick"),
                "seeds": ", ".join(map(str, cfg.get("seeds") or [])),
                "label models": ", ".join(cfg.get("models") or []),
                "data folder": cfg.get("data_dir") or "(none: embedded tasks only)",
                "BLAS threads": cfg.get("threads") or "library default"}
    if "autows" in suites:
        settings.update({"LF methods": ", ".join(cfg.get("methods") or []),
                         "label budget": ", ".join(map(str, cfg.get("n_labels") or [])),
                         "max LFs per method": cfg.get("max_lfs") or "method default"})
    lines += [f"- {k}: {v}" for k, v in settings.items()]
    lines += ["", "## Versions", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in result.versions.items()]
    lines += ["", "## Datasets", "", "| suite/name | K | train | test | LFs / features | source |", "|---|---:|---:|---:|---|---|"]
    for key, d in result.datasets.items():
        what = d.get("lfs", d.get("features", ""))
        cells = [key, d["K"], f"{d['train']:,}", f"{d['test']:,}", what, d["source"]]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    previous = None
    for spec in tables(result):
        suite = spec.title.split(":")[0]
        if suite != previous:
            lines += ["", f"## {suite}", "", PROTOCOL.get(suite, "")]
        lines += ["", to_markdown(spec)]
        previous = suite
        if suite == "autows":
            for p in plots:
                lines += [f"![{p.stem}]({p.name})", ""]
    for spec in detail_tables(result):
        lines += ["", to_markdown(spec)]
    errors = [r for r in result.records if isinstance(r.get("error"), str)]
    if errors:
        lines += ["", "## Errors", ""]
        lines += [f"- {r.get('suite')} {r.get('dataset', r.get('task'))} seed {r.get('seed')} {r.get('model')}: "
                  f"{r['error']}" for r in errors]
    if plot_note:
        lines += ["", plot_note]
    return "\n".join(lines).rstrip() + "\n"
