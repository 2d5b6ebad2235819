"""The report's "Rows to look at" section (sampled rows: their ids, text, votes, labels) and the
number formats every section uses. Split from :mod:`.page`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .collect import ReportData
from .svg import esc

TEXT_CHARS = 400
#: classes named in an LF's polarity cell (the LF table keeps a row per LF)
MAX_POLARITY = 10
#: votes named in a sampled row's votes cell (the others counted by class): every LF's vote on every
#: sampled row made the page grow as m^2 (1,000 LFs voting on half the rows: an 81 MB page)
MAX_ROW_VOTES = 20
#: LFs given their own sampled rows in "Rows to look at" (the ones with the most votes): a section
#: per LF made the page grow with LFs x samples (1,500 sparse LFs: 4.5 MB of the 5.8 MB page)
MAX_SAMPLE_LFS = 100
#: a sampled row's id that is empty (null): "id=nan" read as the text id "nan"
EMPTY_ID = "(empty)"


def pct(x, digits: int = 1) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{100 * float(x):.{digits}f}%"


def num(x, digits: int = 3) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):.{digits}f}"


def _dv(x) -> str:
    """A sortable ``data-v`` value: numbers as numbers, NaN/None empty (sorted last)."""
    if x is None:
        return ""
    if isinstance(x, (float, np.floating)):
        return "" if not math.isfinite(float(x)) else repr(float(x))
    return esc(x)


def _top(counts, cap: int) -> np.ndarray | None:
    """Indices of the ``cap`` largest ``counts`` (ties: the first), ascending; ``None`` when all fit."""
    counts = np.asarray(counts, dtype=float)
    if counts.size <= cap:
        return None
    return np.sort(np.argsort(-counts, kind="stable")[:cap])


def _class_name(rd: ReportData, k) -> str:
    if k is None:
        return "n/a"
    k = int(k)
    return "—" if k < 0 else rd.classes[k]


def _cell(value, missing: str) -> str:
    """A value read from a file as text: ``missing`` for a null (None, NaN, pandas' NA or NaT,
    which read "<NA>" as if that were the text), else ``str`` (an infinite number is a number)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return missing
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return missing
    return str(value)


def _votes_cell(rd: ReportData, rec: dict, focus: int | None) -> str:
    """A row's votes, ``focus``'s (the LF whose rows these are) first: at most
    :data:`MAX_ROW_VOTES` named, the rest counted per class."""
    lfs, votes = rec["votes"]
    n = len(lfs)
    if not n:
        return "—"
    order = np.arange(n)
    if focus is not None:
        order = np.concatenate([order[lfs == focus], order[lfs != focus]])
    text = ", ".join(f"{rd.lf_names[lfs[i]]}={rd.classes[votes[i]]}" for i in order[:MAX_ROW_VOTES])
    if n > MAX_ROW_VOTES:
        counts = np.bincount(votes, minlength=rd.cardinality)
        top = np.argsort(-counts, kind="stable")[:MAX_POLARITY]
        text += (f" … and {n - MAX_ROW_VOTES:,} more ({n:,} votes: "
                 + ", ".join(f"{int(counts[k]):,} for {rd.classes[k]}" for k in top if counts[k])
                 + (", …" if np.count_nonzero(counts) > MAX_POLARITY else "") + ")")
    return text


def _row_table(rd: ReportData, recs: list[dict], show_text: bool, focus: int | None = None) -> str:
    if not recs:
        return '<p class="muted">none</p>'
    head = "<tr><th class=l>row</th>" + ("<th class=l>text</th>" if show_text else "") + \
           "<th class=l>votes</th><th>label</th><th>confidence</th>" + ("<th>gold</th>" if rd.has_gold else "") + "</tr>"
    out = []
    for r in recs:
        rid = ", ".join(f"{k}={_cell(v, EMPTY_ID)}" for k, v in r["ids"].items()) if r["ids"] else f"row {r['row']}"
        cells = [f"<td class=l>{esc(rid)}</td>"]
        if show_text and "text_note" in r:   # no text to show, and why (DataText)
            cells.append(f'<td class="txt muted">{esc(r["text_note"])}</td>')
        elif show_text:
            t = _cell(r.get("text"), "")
            if len(t) > TEXT_CHARS:
                t = t[:TEXT_CHARS] + "…"
            cells.append(f'<td class="txt">{esc(t)}</td>')
        cells.append(f'<td class="votes">{esc(_votes_cell(rd, r, focus))}</td>')
        cells.append(f"<td>{esc(_class_name(rd, r['label']))}</td><td>{num(r['confidence'], 2)}</td>")
        if rd.has_gold:
            g = r["gold"]
            cells.append(f"<td>{esc(_class_name(rd, g) if g is not None and g >= 0 else 'unknown')}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{head}{''.join(out)}</table>"


def rows_section(rd: ReportData, seed: int) -> str:
    show = rd.has_text
    intro = (f"Rows sampled with seed {seed} (the same rows on every run). "
             + ("" if show else "Pass <code>--data DATA --text-col COL</code> to see their text. "))
    parts = [f'<p class="muted">{intro}</p>']
    if rd.has_gold:
        parts.append(f"<h3>Most confidently wrong (gold)</h3>{_row_table(rd, rd.samples['wrong'], show)}")
    parts.append(f"<h3>Uncovered rows (no LF votes)</h3>{_row_table(rd, rd.samples['uncovered'], show)}")
    parts.append("<h3>Per LF</h3>")
    m = len(rd.lf_names)
    votes = np.asarray(rd.lf["votes"].reindex(rd.lf_names).fillna(0), dtype=float) if m else np.zeros(0)
    top = _top(votes, MAX_SAMPLE_LFS)
    shown = range(m) if top is None else [int(j) for j in top]
    if top is not None:
        parts.append(f'<p class="warn" id="rows-cap">Rows of {len(shown):,} of the {m:,} LFs: the {MAX_SAMPLE_LFS} '
                     f'with the most votes (ties: the first in file order), in file order. The LF table above lists '
                     f'all of them.</p>')
    for j in shown:
        name = rd.lf_names[j]
        fired = rd.samples["fired"][name]
        dis = rd.samples["disagreed"][name]
        parts.append(f"<details><summary>{esc(name)} <span class=muted>({len(dis)} shown where it disagrees with the "
                     f"label)</span></summary><h3>where it fired</h3>{_row_table(rd, fired, show, j)}"
                     f"<h3>where it disagrees with the label model</h3>{_row_table(rd, dis, show, j)}</details>")
    return f'<section id="rows"><h2>Rows to look at</h2>{"".join(parts)}</section>'
