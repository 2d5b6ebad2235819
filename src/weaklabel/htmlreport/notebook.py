"""Compact HTML views for notebooks (``_repr_html_``): a vote matrix, an LF summary, a label model.

Small on purpose (at most :data:`MAX_LFS` LF rows, a few hundred bytes each), computed from what
the object already holds; every name is escaped. The full picture is ``weaklabel.report``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .svg import esc

MAX_LFS = 25
_STYLE = ("<style>.wl-view table{border-collapse:collapse;font-size:12px}.wl-view td,.wl-view th{padding:2px 8px;"
          "text-align:right}.wl-view td.l,.wl-view th.l{text-align:left}.wl-view .bar{display:inline-block;height:8px;"
          "background:#2166ac;vertical-align:middle}</style>")


def _pct(x) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{100 * float(x):.1f}%"


def _num(x) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):.3f}"


def _bar(x) -> str:
    w = 0 if x is None or not math.isfinite(float(x)) else max(1, int(round(50 * float(x))))
    return f'<span class="bar" style="width:{w}px"></span> '


def _more(m: int) -> str:
    return f"<p><i>… and {m - MAX_LFS} more LFs</i></p>" if m > MAX_LFS else ""


def votes_html(vm) -> str:
    """A :class:`~weaklabel.VoteMatrix`: shape, density, coverage, and per LF its votes by class."""
    n, m, K = vm.n_rows, vm.n_lfs, vm.cardinality
    classes = vm.classes or [str(k) for k in range(K)]
    counts = vm.lf_class_counts()
    covered = float((vm.votes_per_row() > 0).mean()) if n else float("nan")
    head = (f"<b>VoteMatrix</b>: {n:,} rows × {m:,} LFs, {K} classes ({esc(', '.join(classes))}), "
            f"{vm.nnz:,} votes (density {_pct(vm.nnz / (n * m) if n and m else float('nan'))}), "
            f"rows with a vote {_pct(covered)}")
    rows = []
    for j in range(min(m, MAX_LFS)):
        cov = counts[j].sum() / n if n else float("nan")
        rows.append(f"<tr><td class=l>{esc(vm.lf_names[j])}</td><td>{_bar(cov)}{_pct(cov)}</td>"
                    + "".join(f"<td>{int(c):,}</td>" for c in counts[j]) + "</tr>")
    table = ("<table><tr><th class=l>LF</th><th>coverage</th>"
             + "".join(f"<th>votes {esc(c)}</th>" for c in classes) + "</tr>" + "".join(rows) + "</table>")
    return f'{_STYLE}<div class="wl-view"><p>{head}</p>{table}{_more(m)}</div>'


def lf_summary_html(df: pd.DataFrame) -> str:
    """An LF summary (:func:`weaklabel.analyze`): coverage, overlap and conflict bars, accuracy."""
    has_gold = "emp_acc" in df.columns
    cols = ["LF", "polarity", "coverage", "overlaps", "conflicts"] + (["correct", "incorrect", "emp. acc."]
                                                                     if has_gold else [])
    rows = []
    for name, r in list(df.iterrows())[:MAX_LFS]:
        pol = ", ".join(str(k) for k in r["polarity"]) or "—"
        cells = [f"<td class=l>{esc(name)}</td>", f"<td class=l>{esc(pol)}</td>"]
        cells += [f"<td>{_bar(r[c])}{_pct(r[c])}</td>" for c in ("coverage", "overlaps", "conflicts")]
        if has_gold:
            cells += [f"<td>{int(r['correct']):,}</td>", f"<td>{int(r['incorrect']):,}</td>",
                      f"<td>{_num(r['emp_acc'])}</td>"]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f'<th class="{"l" if c in ("LF", "polarity") else ""}">{esc(c)}</th>' for c in cols)
    return (f'{_STYLE}<div class="wl-view"><p><b>LF summary</b>: {len(df):,} LFs</p><table><tr>{head}</tr>'
            f'{"".join(rows)}</table>{_more(len(df))}</div>')


def model_html(model) -> str:
    """A label model: class, hyper-parameters; when fitted its class balance, per-LF estimated
    accuracies, and its selection and warnings when it has them."""
    name = type(model).__name__
    params = ", ".join(f"{k}={v!r}" for k, v in model.get_params(deep=False).items())
    parts = [f"<p><b>{esc(name)}</b>({esc(params)})</p>"]
    if not hasattr(model, "class_balance_"):
        parts.append("<p><i>not fitted</i></p>")
        return f'{_STYLE}<div class="wl-view">{"".join(parts)}</div>'
    inner = getattr(model, "model_", None)
    if inner is not None:
        parts.append(f"<p>fitted model: {esc(type(inner).__name__)}</p>")
    cb = np.asarray(model.class_balance_, dtype=float)
    parts.append("<p>class balance: " + esc(", ".join(f"{100 * c:.1f}%" for c in cb)) + "</p>")
    sel = getattr(model, "selection_", None)
    if isinstance(sel, dict):
        parts.append(f"<p>selection: <b>{esc(sel.get('choice', 'n/a'))}</b>: {esc(sel.get('reason', 'n/a'))}</p>")
    warns = getattr(model, "warnings_", None)
    if warns:
        parts.append("<ul>" + "".join(f"<li>{esc(w)}</li>" for w in warns) + "</ul>")
    acc = getattr(model, "accuracies_", None)
    names = getattr(model, "lf_names_", None) or [f"lf_{j}" for j in range(int(model.n_lfs_))]
    if acc is not None:
        acc = np.asarray(acc, dtype=float)
        # an accuracy the model could not estimate (a triplet model's neutral prior): n/a, as fit shows it
        ident = getattr(inner if inner is not None else model, "identified_", None)
        known = (np.asarray(ident, dtype=bool) if ident is not None and np.size(ident) == acc.size
                 else np.ones(acc.size, dtype=bool))
        rows = "".join(f"<tr><td class=l>{esc(names[j])}</td><td>"
                       f"{_bar(acc[j]) + _num(acc[j]) if known[j] else 'n/a'}</td></tr>"
                       for j in range(min(len(acc), MAX_LFS)))
        parts.append(f"<table><tr><th class=l>LF</th><th>estimated accuracy</th></tr>{rows}</table>{_more(len(acc))}")
    return f'{_STYLE}<div class="wl-view">{"".join(parts)}</div>'


class LFSummary(pd.DataFrame):
    """The DataFrame :func:`weaklabel.analyze` returns, with a compact notebook view. Derived
    frames (slices, arithmetic) are plain DataFrames."""

    @property
    def _constructor(self):
        return pd.DataFrame

    def _repr_html_(self) -> str:
        return lf_summary_html(self)
