"""The report page: one self-contained HTML file from a :class:`~.collect.ReportData`.

Inline CSS, inline SVG (:mod:`.svg`), one small inline script that sorts tables when a header is
clicked. A Content-Security-Policy meta tag forbids every network request and allows only that
script (by its hash), so even a page built from hostile LF names or row text cannot load or run
anything; all user text is escaped as well.
"""

from __future__ import annotations

import base64
import hashlib
import math

import numpy as np

from .._version import __version__
from .collect import ReportData
from .rowview import (MAX_POLARITY, MAX_ROW_VOTES, MAX_SAMPLE_LFS, TEXT_CHARS, _dv, _top, num, pct,  # noqa: F401
                      rows_section)
from .svg import calibration_curve, confusion, esc, heatmap, histogram

#: the pairwise heat maps show at most this many LFs (the ones with the most votes): three m x m
#: maps grow as m^2 (2,000 LFs made a 217 MB page); the LF table still lists every LF
MAX_HEAT_LFS = 100
#: per-class tables list at most this many classes, the confusion matrices at most MAX_MATRIX_CLASSES
#: (K x K cells): the classes with the most hard labels, in class order
MAX_LIST_CLASSES = 50
MAX_MATRIX_CLASSES = 30

SORT_JS = (
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){"
    "var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),asc=th.getAttribute('data-dir')!=='asc';"
    "t.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-dir');});"
    "th.setAttribute('data-dir',asc?'asc':'desc');"
    "rows.sort(function(x,y){var a=x.cells[i].getAttribute('data-v'),c=y.cells[i].getAttribute('data-v');"
    "var p=parseFloat(a),q=parseFloat(c),r;"
    "if(isNaN(p)&&isNaN(q)){r=String(a).localeCompare(String(c));}else if(isNaN(p)){return 1;}"
    "else if(isNaN(q)){return -1;}else{r=p-q;}return asc?r:-r;});"
    "rows.forEach(function(r){b.appendChild(r);});});});});"
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:14px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;font-size:13px;opacity:.85}
nav{padding:6px 28px;background:#e8edf2;font-size:13px}nav a{margin-right:14px;color:#1f3b57}
main{padding:8px 28px 40px;max-width:1500px}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:12px 18px;margin:14px 0}
h2{font-size:18px;margin:4px 0 10px}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
th{background:#f3f5f7;position:sticky;top:0}td.l,th.l{text-align:left}
table.sortable th{cursor:pointer;user-select:none}table.sortable th[data-dir=asc]::after{content:" ▲"}
table.sortable th[data-dir=desc]::after{content:" ▼"}
.kv td{text-align:left}.kv td:first-child{color:#555;padding-right:18px}
.grid{display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start}.grid figure{margin:0}
figcaption{font-size:13px;color:#444;margin:4px 0 6px;max-width:640px}
.muted{color:#777}.warn{color:#a33}.txt{white-space:pre-wrap;text-align:left;max-width:640px;word-break:break-word}
.votes{text-align:left;font-size:12px;color:#333;max-width:360px}
details{margin:4px 0}summary{cursor:pointer;font-weight:600}
.bar{display:inline-block;height:9px;background:#2166ac;vertical-align:middle}
code{background:#f1f1f1;padding:0 3px;border-radius:3px}header code{background:none;color:#fff}
"""


def _kv(rows: list[tuple[str, str]]) -> str:
    return '<table class="kv">' + "".join(f"<tr><td>{esc(k)}</td><td>{v}</td></tr>" for k, v in rows) + "</table>"


def _shown_classes(rd: ReportData, cap: int) -> tuple[list[int], str]:
    """The classes a per-class list or matrix shows (all, or the ``cap`` with the most hard
    labels) and a note saying so (empty when all are shown)."""
    K = rd.cardinality
    top = _top(rd.label_counts, cap)
    if top is None:
        return list(range(K)), ""
    return [int(k) for k in top], (f'<p class="muted" id="class-cap">Shows {cap} of the {K:,} classes: the ones with '
                                   f'the most hard labels, in class order.</p>')


def _selection(sel: dict | None) -> str:
    """``choice: reason`` (the reason often starts with the choice already), or n/a."""
    if not sel:
        return "n/a"
    choice, reason = str(sel.get("choice", "n/a")), str(sel.get("reason", "n/a"))
    if reason.startswith(choice + ":"):
        reason = reason[len(choice) + 1:].strip()
    return f"<b>{esc(choice)}</b>: {esc(reason)}"


# --------------------------------------------------------------------------- sections
def overview(rd: ReportData) -> str:
    t = rd.totals
    K = rd.cardinality
    rows = [("rows", f"{t['rows']:,}"), ("labeling functions", f"{t['lfs']:,}"),
            ("classes", esc(", ".join(rd.classes[:MAX_LIST_CLASSES]))
             + (f" <span class=muted>and {K - MAX_LIST_CLASSES:,} more</span>" if K > MAX_LIST_CLASSES else "")),
            ("coverage (rows with a vote)", pct(t["covered"])),
            ("conflict rate (rows where LFs disagree)", pct(t["conflicted"])),
            ("votes per covered row", num(t["mean_votes_per_covered_row"], 2)),
            ("majority-vote ties (covered rows)", pct(t["mv_tied"])),
            ("rows without a label", f"{rd.unlabelled_rows:,}")]
    dom = t.get("dominant_lf")
    if dom is not None:
        rows.append(("dominant LF", f'<span class="warn">{esc(dom["name"])} casts {pct(dom["vote_share"], 0)} of '
                     f'the votes and votes on {pct(dom["coverage"], 0)} of the rows: nothing can check its accuracy, '
                     f'so the default model uses majority vote; about 100 gold rows (<code>fit --dev</code>) can '
                     f'check the models that estimate the other LFs</span>'))
    if t.get("unvoted_classes"):
        unv = list(t["unvoted_classes"])
        which = esc(", ".join(rd.classes[k] for k in unv[:MAX_LIST_CLASSES])
                    + (f" and {len(unv) - MAX_LIST_CLASSES} more" if len(unv) > MAX_LIST_CLASSES else ""))
        rows.append(("classes no LF votes", f'<span class="warn">{which}: no row with votes can get it, and the rows '
                     f'without votes get equal probabilities; an LF for it, or about 100 gold rows '
                     f'(<code>fit --dev</code>), lets them be labelled</span>'))
    if rd.has_gold:
        rows.append(("gold rows", f"{t['labelled_rows']:,}"))
        rows.append(("majority-vote accuracy on covered gold rows", pct(t["mv_accuracy_covered"])))
        s = rd.scores
        rows.append(("label accuracy on labelled gold rows", f"{pct(s['accuracy'])} "
                     f"<span class=muted>(macro-F1 {num(s['macro_f1'])}, coverage of gold rows "
                     f"{pct(s['coverage'])})</span>"))
    mdl = rd.model
    if mdl is not None:
        name = mdl["class"] + (f" → {mdl['inner']}" if mdl["inner"] else "")
        rows.append(("label model", esc(name)))
        sel = mdl["selection"]
        rows.append(("model selection", _selection(sel)))
        w = mdl["warnings"]
        rows.append(("model warnings", "n/a" if w is None else ("none" if not w else
                     "<ul>" + "".join(f'<li class="warn">{esc(x)}</li>' for x in w) + "</ul>")))
    else:
        rows.append(("label model", "n/a <span class=muted>(pass --model model.json)</span>"))
    rows.append(("posterior used for estimates", esc(rd.posterior_source)))
    # class balance
    lab_total = rd.label_counts.sum()
    head = "<tr><th class=l>class</th>"
    cols = []
    if mdl is not None:
        head += "<th>model prior</th>"
        cols.append(mdl["class_balance"])
    head += "<th>mean probability (covered rows)</th><th>hard labels</th>"
    cols.append(rd.mean_proba.tolist())
    cols.append((rd.label_counts / lab_total).tolist() if lab_total else [float("nan")] * K)
    if rd.has_gold and rd.scores.get("gold_class_balance"):
        head += "<th>gold (true)</th>"
        cols.append(rd.scores["gold_class_balance"])
    head += "</tr>"
    shown, cap_note = _shown_classes(rd, MAX_LIST_CLASSES)
    body = "".join("<tr><td class=l>" + esc(rd.classes[k]) + "</td>" + "".join(f"<td>{pct(c[k])}</td>" for c in cols)
                   + "</tr>" for k in shown)
    return (f'<section id="overview"><h2>Overview</h2><div class="grid"><div>{_kv(rows)}</div>'
            f'<div><h3>Class balance</h3>{cap_note}<table>{head}{body}</table></div></div></section>')


def lf_table(rd: ReportData) -> str:
    df = rd.lf
    src = df.attrs.get("est_acc_source", rd.posterior_source)
    est_na = df.attrs.get("est_na") or {}     # the model's figure is no estimate (modelinfo)
    cols = ["LF", "polarity", "votes", "coverage", "overlaps", "conflicts", "est. accuracy"]
    if rd.has_gold:
        cols += ["gold accuracy", "95% CI", "gold votes", "est. − gold"]
    head = "".join(f'<th class="{"l" if c in ("LF", "polarity") else ""}">{esc(c)}</th>' for c in cols)
    body = []
    for name, r in df.iterrows():
        polk = list(r["polarity"])
        pol = (", ".join(rd.classes[k] for k in polk[:MAX_POLARITY]) or "—") + (
            f" +{len(polk) - MAX_POLARITY} more" if len(polk) > MAX_POLARITY else "")
        cells = [(name, esc(name), "l"), (pol, esc(pol), "l"), (int(r["votes"]), f"{int(r['votes']):,}", ""),
                 (r["coverage"], f'<span class="bar" style="width:{max(1, int(60 * r["coverage"]))}px"></span> '
                  f'{pct(r["coverage"])}', ""),
                 (r["overlaps"], pct(r["overlaps"]), ""), (r["conflicts"], pct(r["conflicts"]), ""),
                 (r["est_acc"], esc(est_na.get(name) or num(r["est_acc"])), "")]
        if rd.has_gold:
            n = int(r["correct"] + r["incorrect"])
            ci = "n/a" if n == 0 else f"{num(r['emp_acc_lo'])}–{num(r['emp_acc_hi'])}"
            diff = r["est_acc"] - r["emp_acc"] if n else float("nan")
            cells += [(r["emp_acc"], num(r["emp_acc"]), ""), (r["emp_acc_lo"], ci, ""), (n, f"{n:,}", ""),
                      (diff, num(diff), "warn" if math.isfinite(diff) and n and (
                          r["est_acc"] < r["emp_acc_lo"] or r["est_acc"] > r["emp_acc_hi"]) else "")]
        body.append("<tr>" + "".join(f'<td class="{c}" data-v="{_dv(v)}">{h}</td>' for v, h, c in cells) + "</tr>")
    note = (f"Estimated accuracy: from the {esc(src)}"
            + (" (the label model's learned accuracies; n/a where the model could not estimate the LF, and for "
               "an LF without votes, as <code>fit</code> and <code>analyze</code> show them)" if src == "model" else
               " (mean posterior probability of the class the LF votes)") + ". ")
    if rd.has_gold:
        note += ("Gold accuracy: share of the LF's votes on gold rows that are right, with a 95% Wilson interval; "
                 "differences in red fall outside it. ")
    note += "Coverage, overlaps and conflicts are fractions of all rows (as <code>weaklabel analyze</code>). Click a header to sort."
    return (f'<section id="lfs"><h2>Labeling functions</h2><p class="muted">{note}</p>'
            f'<table class="sortable" id="lf-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f'</table></section>')


def pairwise(rd: ReportData) -> str:
    o = rd.order
    cap_note = ""
    m = len(rd.lf_names)
    votes = np.asarray(rd.lf["votes"].reindex(rd.lf_names).fillna(0), dtype=float) if m else np.zeros(0)
    top = _top(votes, MAX_HEAT_LFS)
    if top is not None:   # the most-voting LFs, in the clustering order of all of them
        keep = np.zeros(m, dtype=bool)
        keep[top] = True
        o = [j for j in o if keep[j]]
        cap_note = (f'<p class="warn" id="heat-cap">The heat maps show {len(o):,} of the {m:,} LFs: the '
                    f'{MAX_HEAT_LFS} with the most votes (ties: the first in file order), in the clustering order. '
                    f'The LF table above lists all of them.</p>')
    names = [rd.lf_names[j] for j in o]
    n = rd.n_rows
    ov = rd.overlap[np.ix_(o, o)] / n
    cf = rd.conflict[np.ix_(o, o)] / n
    ec = rd.error_corr[np.ix_(o, o)]
    off = ~np.eye(len(o), dtype=bool)
    vmax_ov = float(ov[off].max()) if off.any() and ov[off].size else 1.0
    vmax_cf = float(cf[off].max()) if off.any() and cf[off].size else 1.0
    ov_show = ov.copy()
    np.fill_diagonal(ov_show, np.nan)
    cf_show = cf.copy()
    np.fill_diagonal(cf_show, np.nan)
    figs = [
        ("overlap", heatmap(ov_show, names, vmax=vmax_ov or 1.0, fmt=lambda v: f"{100 * v:.2f}%",
                            title="pairwise overlap"),
         "Overlap: share of all rows on which both LFs vote."),
        ("conflict", heatmap(cf_show, names, vmax=vmax_cf or 1.0, fmt=lambda v: f"{100 * v:.2f}%",
                             title="pairwise conflict", color=(178, 24, 43)),
         "Conflict: share of all rows on which both LFs vote and disagree."),
        ("errcorr", heatmap(ec, names, kind="diverging", fmt=lambda v: f"{v:+.2f}",
                            title="estimated error correlation"),
         f"Estimated error correlation over the rows both LFs vote on (truth from the {esc(rd.posterior_source)} "
         "posterior; grey: fewer than 20 shared rows). Near +1: the LFs make the same mistakes (copies, one family)."),
    ]
    body = "".join(f'<figure id="heat-{k}"><figcaption>{cap}</figcaption>{svg}</figure>' for k, svg, cap in figs)
    if len(names) > 60:  # too many for axis labels: the order as a list
        body += ('<details><summary>LF order (top to bottom, left to right)</summary><ol>'
                 + "".join(f"<li>{esc(x)}</li>" for x in names) + "</ol></details>")
    return (f'<section id="pairwise"><h2>Pairwise matrices</h2><p class="muted">LFs ordered by hierarchical '
            f'clustering (average linkage) of where they fire, so families sit together. Hover a cell for its '
            f'value (up to 40 LFs).</p>{cap_note}<div class="grid">{body}</div></section>')


def labels_section(rd: ReportData) -> str:
    parts = []
    covered = int(rd.confidence_hist.sum())
    parts.append(f'<figure id="confidence"><figcaption>Confidence (largest class probability) of the {covered:,} '
                 f'rows with a vote; {rd.n_rows - covered:,} rows without votes are not shown.</figcaption>'
                 f'{histogram(rd.confidence_hist, lo=0.0, hi=1.0, title="confidence histogram")}</figure>')
    cm_k, cm_note = _shown_classes(rd, MAX_MATRIX_CLASSES)
    cm_names = [rd.classes[k] for k in cm_k]
    if cm_note:   # K x K cells: the most labelled classes only
        cm_note = (f" Shows {len(cm_k)} of the {rd.cardinality:,} classes (the ones with the most hard labels, "
                   f"in class order); the other classes' rows and columns are left out.")
    if rd.has_gold:
        s = rd.scores
        parts.append(f'<figure id="calibration"><figcaption>Calibration on the {s["labelled_gold_rows"]:,} labelled '
                     f'gold rows: Brier score {num(s["brier"])}, expected calibration error {num(s["ece"])}.'
                     f'</figcaption>{calibration_curve(s["calibration"], title="calibration curve")}</figure>')
        cm = np.asarray(s["confusion_matrix"])
        parts.append(f'<figure id="confusion"><figcaption>Confusion matrix: gold rows (down) by label (across); '
                     f'accuracy {pct(s["accuracy"])}, macro-F1 {num(s["macro_f1"])}.{cm_note}</figcaption>'
                     f'{confusion(cm[np.ix_(cm_k, cm_k)], cm_names, title="confusion matrix")}</figure>')
        pc = s["per_class"]
        shown, cap_note = _shown_classes(rd, MAX_LIST_CLASSES)
        rows = "".join(f"<tr><td class=l>{esc(rd.classes[k])}</td><td>{num(pc['precision'][k])}</td>"
                       f"<td>{num(pc['recall'][k])}</td><td>{num(pc['f1'][k])}</td><td>{pc['support'][k]:,}</td></tr>"
                       for k in shown)
        parts.append(f'<div><h3>Per class</h3>{cap_note}<table><tr><th class=l>class</th><th>precision</th>'
                     f'<th>recall</th><th>F1</th><th>gold rows</th></tr>{rows}</table></div>')
    else:
        parts.append(f'<figure id="confusion"><figcaption>Estimated confusion matrix (no gold): expected count of '
                     f'each true class (down, from the {esc(rd.posterior_source)} posterior) among the rows given '
                     f'each label (across). Calibration needs <code>--gold</code>.{cm_note}</figcaption>'
                     f'{confusion(rd.est_confusion[np.ix_(cm_k, cm_k)], cm_names, title="estimated confusion matrix", ylabel="est. true")}'
                     f'</figure>')
    return f'<section id="labels"><h2>Labels</h2><div class="grid">{"".join(parts)}</div></section>'


def render(rd: ReportData, *, title: str = "weaklabel report", seed: int = 0) -> str:
    """The whole page as one string."""
    digest = base64.b64encode(hashlib.sha256(SORT_JS.encode()).digest()).decode()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; "
           "base-uri 'none'; form-action 'none'")
    src = " · ".join(f"{esc(k)}: <code>{esc(v)}</code>" for k, v in rd.sources.items())
    body = [overview(rd), lf_table(rd), pairwise(rd), labels_section(rd), rows_section(rd, seed)]
    nav = "".join(f'<a href="#{i}">{t}</a>' for i, t in (("overview", "Overview"), ("lfs", "LF table"),
                                                           ("pairwise", "Pairwise"), ("labels", "Labels"),
                                                           ("rows", "Rows to look at")))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{esc(title)}</h1><p>{src} · weaklabel {esc(__version__)}</p></header>"
            f"<nav>{nav}</nav><main>{''.join(body)}</main><script>{SORT_JS}</script></body></html>\n")


__all__ = ["render"]
