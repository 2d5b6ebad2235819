"""Bench outputs: summaries, rich tables, ``results.json``, ``results.csv``, ``report.md`` and plots.

Plots need matplotlib (``pip install 'weaklabel[plot]'``); without it everything else is
written and the report says the plots were skipped.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import atomic_output, check_output
from .suites import BASELINES, REFERENCE_MV, VERIFIER_MODEL, BenchResult

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
def _clean(v):
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def _agg(df: pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    cols = [c for c in cols if c in df.columns]
    g = df.groupby(keys, sort=False, dropna=False)
    out = g[cols].mean(numeric_only=True).add_suffix("_mean")
    std = g[cols].std(ddof=1, numeric_only=True).add_suffix("_std")
    out = out.join(std)
    out["runs"] = g.size()
    if "error" in df.columns:
        out["errors"] = g["error"].apply(lambda s: int(s.notna().sum()))
        out["error"] = g["error"].apply(lambda s: next((e for e in s if isinstance(e, str)), None))
    return out.reset_index()


def summarize(result: BenchResult) -> dict[str, pd.DataFrame]:
    """Mean and standard deviation over seeds: one frame per suite."""
    df = pd.DataFrame(result.records)
    out = {}
    if df.empty:
        return out
    for suite in ("wrench", "crowd"):
        part = df[df["suite"] == suite]
        if len(part):
            out[suite] = _agg(part, ["dataset", "model"],
                              ["accuracy", "macro_f1", "accuracy_covered", "coverage", "fit_seconds", "K",
                               "n_test", "n_lfs"])
    part = df[df["suite"] == "verifiers"]
    if len(part):
        out["verifiers"] = _agg(part, ["dataset", "model"],
                                ["select_at_1", "select_at_1_no_pooling", "answer_icc", "fit_seconds",
                                 "n_questions", "n_candidates", "n_verifiers", "n_eval", "n_dev", "kept"])
    part = df[df["suite"] == "autows"]
    if len(part):
        out["autows"] = _agg(part, ["task", "budget", "method", "model"],
                             ["n_labels", "n_lfs", "lf_accuracy", "lf_coverage", "lm_coverage", "lm_accuracy", "lm_macro_f1",
                              "end_accuracy", "end_macro_f1", "gen_seconds", "fit_seconds", "K", "n_test"])
    return out


# --------------------------------------------------------------------------- tables
@dataclass
class TableSpec:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric_from: int = 1
    section_ends: list[int] = field(default_factory=list)


def _cell(mean, std=None, digits: int = 3) -> str:
    if mean is None or (isinstance(mean, float) and not math.isfinite(mean)):
        return "-"
    text = f"{mean:.{digits}f}"
    if std is not None and isinstance(std, float) and math.isfinite(std):
        text += f" ± {std:.{digits - 1}f}"
    return text


def _lookup(s: pd.DataFrame, **keys) -> pd.Series | None:
    m = np.ones(len(s), dtype=bool)
    for k, v in keys.items():
        m &= (s[k] == v).to_numpy()
    rows = s[m]
    return rows.iloc[0] if len(rows) else None


def _model_cell(row, col: str, with_std: bool) -> str:
    if row is None:
        return ""
    if row.get("errors", 0) and not math.isfinite(row.get(f"{col}_mean", float("nan"))):
        return "ERR"
    return _cell(row.get(f"{col}_mean"), row.get(f"{col}_std") if with_std else None)


def votes_table(suite: str, s: pd.DataFrame, models: list[str], with_std: bool = True) -> TableSpec:
    cols = ["dataset", "K", "test rows", "LFs", "coverage"] + models + [REFERENCE_MV]
    spec = TableSpec(f"{suite}: test accuracy (mean ± sd over seeds)", cols, numeric_from=1)
    means = {m: [] for m in models + [REFERENCE_MV]}
    for ds in dict.fromkeys(s["dataset"]):
        first = _lookup(s, dataset=ds)
        row = [ds, str(int(first["K_mean"])), f"{int(first['n_test_mean']):,}", str(int(first["n_lfs_mean"])),
               _cell(first["coverage_mean"])]
        for m in models + [REFERENCE_MV]:
            r = _lookup(s, dataset=ds, model=m)
            row.append(_model_cell(r, "accuracy", with_std))
            means[m].append(r["accuracy_mean"] if r is not None else float("nan"))
        spec.rows.append(row)
    spec.section_ends.append(len(spec.rows) - 1)
    spec.rows.append([f"mean ({len(spec.rows)} datasets)", "", "", "", ""]
                     + [_cell(float(np.mean(v)) if v and np.all(np.isfinite(v)) else float("nan"))
                        for v in means.values()])
    return spec


def votes_detail_table(suite: str, s: pd.DataFrame, models: list[str]) -> TableSpec:
    cols = ["dataset", "model", "accuracy", "macro-F1", "acc. on covered", "fit seconds"]
    spec = TableSpec(f"{suite}: per model (mean over seeds)", cols, numeric_from=2)
    for ds in dict.fromkeys(s["dataset"]):
        for m in models + [REFERENCE_MV]:
            r = _lookup(s, dataset=ds, model=m)
            if r is None:
                continue
            spec.rows.append([ds, m, _model_cell(r, "accuracy", True), _cell(r.get("macro_f1_mean")),
                              _cell(r.get("accuracy_covered_mean")), _cell(r.get("fit_seconds_mean"), digits=4)])
        spec.section_ends.append(len(spec.rows) - 1)
    return spec


def autows_table(s: pd.DataFrame, models: list[str], methods: list[str], with_std: bool = True) -> TableSpec:
    """Long format (one row per task x LF method x label model) so the width does not grow
    with the number of models; the means per LF method and model close the table."""
    cols = ["task", "labels", "LF method", "LFs", "LF acc.", "coverage", "model", "LM acc.", "end acc.",
            "supervised", "label prop."]
    spec = TableSpec("autows: test accuracy of the label model (LM) and of the end model trained on its labels; "
                     "baselines on the same labelled rows (mean ± sd over seeds)", cols, numeric_from=1)
    per_method = {meth: {m: [] for m in models} for meth in methods}
    base_means = {"supervised": [], "label_propagation": []}
    for (task, budget) in dict.fromkeys(zip(s["task"], s["budget"])):
        sup = _lookup(s, task=task, budget=budget, model="supervised")
        lp = _lookup(s, task=task, budget=budget, model="label_propagation")
        n_lab = sup["n_labels_mean"] if sup is not None else budget
        base_means["supervised"].append(sup["end_accuracy_mean"] if sup is not None else np.nan)
        base_means["label_propagation"].append(lp["end_accuracy_mean"] if lp is not None else np.nan)
        first_task = True
        for meth in methods:
            rows = s[(s["task"] == task) & (s["budget"] == budget) & (s["method"] == meth)]
            if not len(rows):
                continue
            r0 = rows.iloc[0]
            first_method = True
            for m in models:
                r = _lookup(rows, model=m)
                per_method[meth][m].append(r["end_accuracy_mean"] if r is not None else np.nan)
                row = [task if first_task else "", str(int(n_lab)) if first_task else "",
                       meth if first_method else "",
                       _cell(r0.get("n_lfs_mean"), digits=1) if first_method else "",
                       _cell(r0.get("lf_accuracy_mean")) if first_method else "",
                       _cell(r0.get("lm_coverage_mean")) if first_method else "",
                       m, _model_cell(r, "lm_accuracy", with_std), _model_cell(r, "end_accuracy", with_std),
                       _model_cell(sup, "end_accuracy", with_std) if first_task else "",
                       _model_cell(lp, "end_accuracy", with_std) if first_task else ""]
                spec.rows.append(row)
                first_task = first_method = False
        spec.section_ends.append(len(spec.rows) - 1)
    n_rows = len(base_means["supervised"])
    several = len(set(s["budget"])) > 1
    label = f"mean ({n_rows} task x budget rows)" if several else f"mean ({n_rows} tasks)"
    first = True
    for meth in methods:
        first_method = True
        for m in models:
            v = per_method[meth][m]
            row = [label if first else "", "", meth if first_method else "", "", "", "", m, "",
                   _cell(float(np.mean(v)) if v and np.all(np.isfinite(v)) else float("nan")),
                   _cell(float(np.nanmean(base_means["supervised"]))) if first else "",
                   _cell(float(np.nanmean(base_means["label_propagation"]))) if first else ""]
            spec.rows.append(row)
            first = first_method = False
    return spec


VERIFIER_BASELINES = ("pass@1", "majority answer", "mean score", "best single verifier")
VERIFIER_REFERENCES = ("oracle-weighted", "pass@k")
ORACLE_NO_POOLING = "oracle-weighted, no answer pooling"


def verifiers_pooling_table(s: pd.DataFrame, models: list[str], with_std: bool = True) -> TableSpec:
    """Each label model's Select@1 with each candidate scored on its own (no answer pooling),
    against the oracle-weighted ensemble scored the same way: how well the verifier weights are
    estimated, apart from what the answers add."""
    cols = ["suite"] + [f"{m}, no pooling" for m in models] + [ORACLE_NO_POOLING, "gap"]
    spec = TableSpec("verifiers: Select@1 without answer pooling (each candidate on its own)", cols, numeric_from=1)
    means = {c: [] for c in cols[1:]}
    for ds in dict.fromkeys(s["dataset"]):
        row = [ds]
        for m in models:
            r = _lookup(s, dataset=ds, model=m)
            row.append(_model_cell(r, "select_at_1_no_pooling", with_std) if r is not None else "")
            means[f"{m}, no pooling"].append(r["select_at_1_no_pooling_mean"] if r is not None else float("nan"))
        o = _lookup(s, dataset=ds, model=ORACLE_NO_POOLING)
        row.append(_model_cell(o, "select_at_1", with_std) if o is not None else "")
        means[ORACLE_NO_POOLING].append(o["select_at_1_mean"] if o is not None else float("nan"))
        lm = _lookup(s, dataset=ds, model=VERIFIER_MODEL)
        gap = (lm["select_at_1_no_pooling_mean"] - o["select_at_1_mean"]) if lm is not None and o is not None else float("nan")
        means["gap"].append(gap)
        row.append(f"{gap:+.3f}" if math.isfinite(gap) else "-")
        spec.rows.append(row)
    spec.section_ends.append(len(spec.rows) - 1)
    row = [f"mean ({len(spec.rows)} suites)"]
    for c in cols[1:-1]:
        v = means[c]
        row.append(_cell(float(np.mean(v)) if v and np.all(np.isfinite(v)) else float("nan")))
    g = means["gap"]
    row.append(f"{np.mean(g):+.3f}" if g and np.all(np.isfinite(g)) else "-")
    spec.rows.append(row)
    return spec


def verifiers_table(s: pd.DataFrame, models: list[str], with_std: bool = True) -> TableSpec:
    """One row per generated suite: Select@1 of the baselines, every label model, the
    oracle-weighted ensemble and Pass@k; ``gap`` = mixture minus oracle-weighted."""
    cols = (["suite", "questions x cands", "verifiers"] + list(VERIFIER_BASELINES) + list(models)
            + list(VERIFIER_REFERENCES) + ["gap"])
    spec = TableSpec("verifiers: Select@1 on the evaluation questions (mean ± sd over seeds)", cols, numeric_from=1)
    methods = list(VERIFIER_BASELINES) + list(models) + list(VERIFIER_REFERENCES)
    means = {m: [] for m in methods + ["gap"]}
    for ds in dict.fromkeys(s["dataset"]):
        first = _lookup(s, dataset=ds)
        row = [ds, f"{int(first['n_questions_mean'])} x {int(first['n_candidates_mean'] / first['n_questions_mean'])}",
               str(int(first["n_verifiers_mean"]))]
        for m in methods:
            r = _lookup(s, dataset=ds, model=m)
            row.append(_model_cell(r, "select_at_1", with_std) if r is not None else "")
            means[m].append(r["select_at_1_mean"] if r is not None else float("nan"))
        lm, orc = _lookup(s, dataset=ds, model=VERIFIER_MODEL), _lookup(s, dataset=ds, model="oracle-weighted")
        gap = (lm["select_at_1_mean"] - orc["select_at_1_mean"]) if lm is not None and orc is not None else float("nan")
        means["gap"].append(gap)
        row.append(f"{gap:+.3f}" if math.isfinite(gap) else "-")
        spec.rows.append(row)
    spec.section_ends.append(len(spec.rows) - 1)
    mean_row = [f"mean ({len(spec.rows)} suites)", "", ""]
    for m in methods:
        v = means[m]
        mean_row.append(_cell(float(np.mean(v)) if v and np.all(np.isfinite(v)) else float("nan")))
    g = means["gap"]
    mean_row.append(f"{np.mean(g):+.3f}" if g and np.all(np.isfinite(g)) else "-")
    spec.rows.append(mean_row)
    return spec


def tables(result: BenchResult, with_std: bool = True) -> list[TableSpec]:
    s = summarize(result)
    models = list(result.config.get("models") or [])
    methods = list(result.config.get("methods") or [])
    out = []
    if "autows" in s:
        out.append(autows_table(s["autows"], models, methods, with_std))
    for suite in ("wrench", "crowd"):
        if suite in s:
            out.append(votes_table(suite, s[suite], models, with_std))
    if "verifiers" in s:
        vmodels = list(result.config.get("verifier_models") or [VERIFIER_MODEL])
        out.append(verifiers_table(s["verifiers"], vmodels, with_std))
        if (s["verifiers"]["model"] == ORACLE_NO_POOLING).any():
            out.append(verifiers_pooling_table(s["verifiers"], vmodels, with_std))
    return out


def detail_tables(result: BenchResult) -> list[TableSpec]:
    s = summarize(result)
    models = list(result.config.get("models") or [])
    return [votes_detail_table(suite, s[suite], models) for suite in ("wrench", "crowd") if suite in s]


def to_rich(spec: TableSpec):
    from rich.table import Table

    t = Table(title=spec.title, title_justify="left")
    for i, c in enumerate(spec.columns):
        numeric = i >= spec.numeric_from and c not in ("LF method", "model")
        # label columns never truncate (a wide table squeezes the numbers instead)
        t.add_column(c, justify="right" if numeric else "left", no_wrap=not numeric,
                     min_width=None if numeric else max([len(c)] + [len(str(r[i])) for r in spec.rows]))
    for i, row in enumerate(spec.rows):
        t.add_row(*row, end_section=i in spec.section_ends)
    return t


def to_markdown(spec: TableSpec) -> str:
    def esc(x: str) -> str:
        return x.replace("|", "\\|")

    lines = [f"**{spec.title}**", "", "| " + " | ".join(map(esc, spec.columns)) + " |",
             "|" + "|".join("---" if i < spec.numeric_from or c in ("LF method", "model") else "---:"
                            for i, c in enumerate(spec.columns)) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in spec.rows]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- files
def planned_files(out_dir: Path, plots: bool) -> list[Path]:
    names = list(RESULT_FILES) + (list(PLOT_FILES) if plots else [])
    return [out_dir / n for n in names]


def check_outputs(out_dir: Path, force: bool, plots: bool) -> None:
    """Fail before running if an output exists (without ``force``), or if ``out_dir`` is not a
    folder that can be made."""
    from ..errors import InputError

    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: --out must be a folder, and this is a file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the --out folder ({exc.strerror or type(exc).__name__})") from None
    for p in planned_files(out_dir, plots):
        check_output(p, force)


def to_json(result: BenchResult, command: str | None = None) -> dict:
    s = summarize(result)
    return _clean({
        "format": "weaklabel.bench", "format_version": 1, "command": command, "config": result.config,
        "versions": result.versions, "seconds": round(result.seconds, 3), "datasets": result.datasets,
        "summary": {k: v.to_dict(orient="records") for k, v in s.items()},
        "results": result.records, "lfs": result.lf_records,
    })


def write_outputs(result: BenchResult, out_dir: str | Path, *, force: bool = False, plots: bool = True,
                  command: str | None = None) -> list[Path]:
    """Write results.json, results.csv, report.md and (with matplotlib) the PNG plots."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
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
        lines.append(f"| {key} | {d['K']} | {d['train']:,} | {d['test']:,} | {what} | {d['source']} |")
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


# --------------------------------------------------------------------------- plots
def write_plots(result: BenchResult, out: Path, force: bool = False) -> list[Path]:
    """PNG plots for the autows suite (raises ImportError without matplotlib)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    s = summarize(result).get("autows")
    if s is None:
        return []
    models = list(result.config.get("models") or [])
    methods = list(result.config.get("methods") or [])
    budgets = sorted(set(int(x) for x in s["budget"]))
    written = []

    # end-model accuracy per task: one panel per LF method
    budget = 100 if 100 in budgets else budgets[0]
    sb = s[s["budget"] == budget]
    tasks = list(dict.fromkeys(sb["task"]))
    bars = ["supervised", "label_propagation"] + models
    fig, axes = plt.subplots(len(methods), 1, figsize=(max(6.0, 0.35 * len(tasks) * len(bars) + 2.5),
                                                       2.6 * len(methods) + 0.8), squeeze=False, sharex=True)
    width = 0.8 / len(bars)
    for ax, meth in zip(axes[:, 0], methods):
        for b, name in enumerate(bars):
            vals, errs = [], []
            for t in tasks:
                r = _lookup(sb, task=t, model=name) if name in BASELINES else _lookup(sb, task=t, method=meth, model=name)
                vals.append(r["end_accuracy_mean"] if r is not None else np.nan)
                e = r["end_accuracy_std"] if r is not None else np.nan
                errs.append(e if np.isfinite(e) else 0.0)
            ax.bar(np.arange(len(tasks)) + (b - (len(bars) - 1) / 2) * width, vals, width,
                   yerr=errs if any(errs) else None,
                   label=name.replace("_", " ") if name in BASELINES else f"WS: {name}", capsize=2)
        ax.set_xticks(np.arange(len(tasks)), tasks, rotation=20, ha="right")
        ax.set_title(f"LFs generated by {meth}", fontsize=10)
        ax.set_ylim(0, 1)
        ax.set_ylabel("test accuracy", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(fontsize=7, loc="lower left", ncol=len(bars))
    fig.suptitle(f"end-model accuracy, {budget} labels: supervised and label propagation use the labels "
                 "directly, WS trains on the label model's output", fontsize=9)
    fig.tight_layout()
    written.append(_save(fig, out / "autows_end_accuracy.png", force))
    plt.close(fig)

    # LF coverage vs accuracy on test: first seed, the budget above
    lf = pd.DataFrame(result.lf_records)
    if len(lf):
        seed0 = min(lf["seed"])
        lf = lf[(lf["seed"] == seed0) & (lf["budget"] == budget)]
        tasks_lf = list(dict.fromkeys(lf["task"]))
        ncol = min(4, len(tasks_lf))
        nrow = math.ceil(len(tasks_lf) / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 3.0 * nrow), squeeze=False)
        for ax, t in zip(axes.ravel(), tasks_lf):
            for meth in methods:
                part = lf[(lf["task"] == t) & (lf["method"] == meth)]
                if len(part):
                    ax.scatter(part["coverage_test"], part["accuracy_test"], s=14, alpha=0.7, label=meth)
            ax.set_title(t, fontsize=9)
            ax.set_xlim(0, 1.02)
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("coverage (test)", fontsize=8)
            ax.set_ylabel("accuracy (test)", fontsize=8)
            ax.grid(alpha=0.3)
        for ax in axes.ravel()[len(tasks_lf):]:
            ax.axis("off")
        axes.ravel()[0].legend(fontsize=7)
        fig.suptitle(f"generated LFs on the test split (seed {seed0})", fontsize=10)
        fig.tight_layout()
        written.append(_save(fig, out / "autows_lf_scatter.png", force))
        plt.close(fig)

    # end-model accuracy vs label budget
    if len(budgets) > 1:
        tasks_all = list(dict.fromkeys(s["task"]))
        ncol = min(4, len(tasks_all))
        nrow = math.ceil(len(tasks_all) / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 3.0 * nrow), squeeze=False)
        for ax, t in zip(axes.ravel(), tasks_all):
            st = s[s["task"] == t]
            for name in ("supervised", "label_propagation"):
                r = st[st["model"] == name].sort_values("n_labels_mean")
                ax.plot(r["n_labels_mean"], r["end_accuracy_mean"], marker="o", lw=2, label=name.replace("_", " "))
            for meth in methods:
                for m in models:
                    r = st[(st["method"] == meth) & (st["model"] == m)].sort_values("n_labels_mean")
                    if len(r):
                        ax.plot(r["n_labels_mean"], r["end_accuracy_mean"], marker=".", lw=1, label=f"{meth} + {m}")
            ax.set_title(t, fontsize=9)
            ax.set_xlabel("labelled rows", fontsize=8)
            ax.set_ylabel("end-model accuracy", fontsize=8)
            ax.grid(alpha=0.3)
        for ax in axes.ravel()[len(tasks_all):]:
            ax.axis("off")
        axes.ravel()[0].legend(fontsize=6)
        fig.tight_layout()
        written.append(_save(fig, out / "autows_labels.png", force))
        plt.close(fig)
    return written


def _save(fig, path: Path, force: bool) -> Path:
    with atomic_output(path, force) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return path
