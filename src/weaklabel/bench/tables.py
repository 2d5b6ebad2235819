"""The bench's summaries and tables (one :class:`TableSpec` per table), rendered with rich for the terminal or as
Markdown for ``report.md``. Split from :mod:`.report`, which writes the outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import VERIFIER_MODEL
from .suites import REFERENCE_MV, BenchResult


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
    """Mean (± sd) over the seeds; ``ERR`` when every run failed, and the number of failed runs
    beside a mean of the others (a mean over fewer seeds than the table says is not the same figure)."""
    if row is None:
        return ""
    errors = int(row.get("errors", 0) or 0)
    if errors and not math.isfinite(row.get(f"{col}_mean", float("nan"))):
        return "ERR"
    text = _cell(row.get(f"{col}_mean"), row.get(f"{col}_std") if with_std else None)
    if errors and text != "-":
        text += f" ({errors}/{int(row.get('runs', errors))} ERR)"
    return text


def _full_mean(row, col: str) -> float:
    """The mean for a table's closing mean row: NaN (shown ``-``) unless every run succeeded."""
    if row is None or int(row.get("errors", 0) or 0):
        return float("nan")
    return row[f"{col}_mean"]


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
            means[m].append(_full_mean(r, "accuracy"))
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
                per_method[meth][m].append(_full_mean(r, "end_accuracy"))
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
            means[m].append(_full_mean(r, "select_at_1"))
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


def _shown(text: str) -> str:
    """A cell as rich shows it literally: dataset, task and model names come from folder names and
    user code, so ``[bold]`` in one is text, not a style (it vanished from the name), and a control
    character (an ANSI escape in a folder name) is written as an escape, not sent to the terminal."""
    from rich.markup import escape

    s = str(text)
    if not s.isprintable():
        s = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in s)
    return escape(s)


def to_rich(spec: TableSpec):
    from rich.table import Table

    t = Table(title=_shown(spec.title), title_justify="left")
    for i, c in enumerate(spec.columns):
        numeric = i >= spec.numeric_from and c not in ("LF method", "model")
        # label columns never truncate (a wide table squeezes the numbers instead)
        t.add_column(_shown(c), justify="right" if numeric else "left", no_wrap=not numeric,
                     min_width=None if numeric else max([len(c)] + [len(_shown(r[i])) for r in spec.rows]))
    for i, row in enumerate(spec.rows):
        t.add_row(*(_shown(c) for c in row), end_section=i in spec.section_ends)
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
