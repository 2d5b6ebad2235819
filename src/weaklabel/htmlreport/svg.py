"""Hand-written inline SVG charts: heat maps, a histogram, a calibration curve, a confusion matrix.

No plotting library: each chart is a few dozen lines of SVG text, the page stays self-contained
and small (a 100 x 100 heat map is one ``<path>`` per colour level, ~150 kB, not 10^4 elements).
Every piece of user text (LF and class names) goes through :func:`esc`.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np

LEVELS = 32
FONT = 'font-family="system-ui,sans-serif" font-size="11"'


#: characters an HTML page may not hold (a parse error in the HTML standard: NUL and the other C0
#: and C1 controls but tab, newline and carriage return; lone surrogates, which UTF-8 cannot even
#: encode; noncharacters), and the invisible form feed: written as visible escapes by :func:`esc`
_NOT_IN_HTML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                          + "".join(chr(p + 0xFFFE) + chr(p + 0xFFFF) for p in range(0x10000, 0x110000, 0x10000))
                          + "]")


def _visible(m: re.Match) -> str:
    return repr(m.group())[1:-1]   # "\\x00", "\\x85", "\\ud800"


def esc(text) -> str:
    """HTML/SVG-escaped text (quotes too: safe inside attributes), with the characters a page may not
    hold (NUL, other control characters, lone surrogates) written as visible escapes (``\\x00``):
    an LF name, class name, id or text read from a file never makes the page invalid."""
    return html.escape(_NOT_IN_HTML.sub(_visible, str(text)), quote=True)


def _mix(a: tuple, b: tuple, t: float) -> str:
    return "#%02x%02x%02x" % tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


WHITE = (255, 255, 255)
BLUE = (33, 102, 172)
RED = (178, 24, 43)
GREY = "#d9d9d9"


def sequential(t: float, hi: tuple = BLUE) -> str:
    return GREY if not math.isfinite(t) else _mix(WHITE, hi, min(1.0, max(0.0, t)))


def diverging(t: float) -> str:
    """-1 blue .. 0 white .. +1 red."""
    if not math.isfinite(t):
        return GREY
    return _mix(WHITE, RED, min(1.0, t)) if t >= 0 else _mix(WHITE, BLUE, min(1.0, -t))


def heatmap(values: np.ndarray, names: list[str], *, kind: str = "sequential", vmax: float | None = None,
            fmt=lambda v: f"{v:.3f}", title: str = "", color: tuple = BLUE) -> str:
    """An ``(m, m)`` heat map in the given order; NaN cells grey. ``kind``: ``sequential`` (0 ..
    ``vmax``) or ``diverging`` (-1 .. 1). Names label the axes up to 60 LFs; cells carry
    tooltips up to 40 LFs (beyond that the page would grow with m^2 elements)."""
    m = values.shape[0]
    cell = max(4, min(18, 640 // max(m, 1)))
    show_names = m <= 60
    pad = 0
    if show_names:
        pad = min(160, 7 * max((len(str(x)) for x in names), default=1) + 8)
    size = cell * m
    W, H = pad + size + 70, pad + size + 10
    if kind == "diverging":
        def col(v):
            return diverging(v)
    else:
        top = vmax if vmax and vmax > 0 else (np.nanmax(values) if np.isfinite(values).any() else 1.0) or 1.0

        def col(v):
            return sequential(v / top if math.isfinite(v) else v, color)
    parts = [f'<svg class="heat" width="{W}" height="{H}" '
             f'viewBox="0 0 {W} {H}" role="img" aria-label="{esc(title)}">']
    if m <= 40:
        for i in range(m):
            for j in range(m):
                v = float(values[i, j])
                tip = f"{names[i]} × {names[j]}: {fmt(v) if math.isfinite(v) else 'n/a'}"
                parts.append(f'<rect x="{pad + j * cell}" y="{pad + i * cell}" width="{cell}" height="{cell}" '
                             f'fill="{col(v)}"><title>{esc(tip)}</title></rect>')
    else:  # one path per colour level
        groups: dict[str, list[str]] = {}
        for i in range(m):
            for j in range(m):
                v = float(values[i, j])
                if kind == "diverging" and math.isfinite(v):
                    v = round(v * LEVELS / 2) / (LEVELS / 2)
                elif math.isfinite(v):
                    v = round(v / top * LEVELS) / LEVELS * top
                groups.setdefault(col(v), []).append(f"M{pad + j * cell} {pad + i * cell}h{cell}v{cell}h-{cell}z")
        for c, segs in groups.items():
            parts.append(f'<path fill="{c}" d="{"".join(segs)}"/>')
    parts.append(f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#888"/>')
    if show_names:
        fs = min(11, max(6, cell - 2))
        for i, name in enumerate(names):
            label = esc(name if len(str(name)) <= 22 else str(name)[:21] + "…")
            y = pad + i * cell + cell / 2
            parts.append(f'<text x="{pad - 4}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" '
                         f'font-family="system-ui,sans-serif" font-size="{fs}">{label}</text>')
            x = pad + i * cell + cell / 2
            parts.append(f'<text transform="translate({x:.1f},{pad - 4}) rotate(-90)" dominant-baseline="middle" '
                         f'font-family="system-ui,sans-serif" font-size="{fs}">{label}</text>')
    # colour bar
    bx, by, bh = pad + size + 14, pad, max(60, min(size, 200))
    steps = 20
    for s in range(steps):
        t = 1 - s / (steps - 1)
        c = diverging(2 * t - 1) if kind == "diverging" else sequential(t, color)
        parts.append(f'<rect x="{bx}" y="{by + s * bh / steps:.1f}" width="12" height="{bh / steps + 0.5:.1f}" '
                     f'fill="{c}"/>')
    hi_lab = "+1" if kind == "diverging" else fmt(top)
    lo_lab = "−1" if kind == "diverging" else fmt(0.0)
    parts.append(f'<text x="{bx + 15}" y="{by + 8}" {FONT}>{esc(hi_lab)}</text>')
    parts.append(f'<text x="{bx + 15}" y="{by + bh}" {FONT}>{esc(lo_lab)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _axes(W, H, L, T, R, B, xlabel, ylabel, xticks, yticks) -> list[str]:
    pw, ph = W - L - R, H - T - B
    out = [f'<line x1="{L}" y1="{T + ph}" x2="{L + pw}" y2="{T + ph}" stroke="#444"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{T + ph}" stroke="#444"/>']
    for v, lab in xticks:
        x = L + v * pw
        out.append(f'<line x1="{x:.1f}" y1="{T + ph}" x2="{x:.1f}" y2="{T + ph + 4}" stroke="#444"/>'
                   f'<text x="{x:.1f}" y="{T + ph + 15}" text-anchor="middle" {FONT}>{esc(lab)}</text>')
    for v, lab in yticks:
        y = T + ph - v * ph
        out.append(f'<line x1="{L - 4}" y1="{y:.1f}" x2="{L}" y2="{y:.1f}" stroke="#444"/>'
                   f'<text x="{L - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" {FONT}>'
                   f'{esc(lab)}</text>')
    out.append(f'<text x="{L + pw / 2:.1f}" y="{H - 4}" text-anchor="middle" {FONT}>{esc(xlabel)}</text>')
    out.append(f'<text transform="translate(12,{T + ph / 2:.1f}) rotate(-90)" text-anchor="middle" {FONT}>'
               f'{esc(ylabel)}</text>')
    return out


def histogram(counts: np.ndarray, *, xlabel: str = "confidence", ylabel: str = "rows", lo: float = 0.0,
              hi: float = 1.0, title: str = "") -> str:
    """Bars of ``counts`` over equal-width bins of [lo, hi]."""
    W, H, L, T, R, B = 420, 240, 56, 12, 12, 38
    pw, ph = W - L - R, H - T - B
    n = len(counts)
    top = max(1, int(np.max(counts)) if n else 1)
    parts = [f'<svg class="chart" width="{W}" height="{H}" '
             f'viewBox="0 0 {W} {H}" role="img" aria-label="{esc(title)}">']
    for i, c in enumerate(counts):
        h = ph * c / top
        x = L + i * pw / n
        parts.append(f'<rect x="{x + 1:.1f}" y="{T + ph - h:.1f}" width="{pw / n - 2:.1f}" height="{h:.1f}" '
                     f'fill="#2166ac"><title>{lo + (hi - lo) * i / n:.2f}–{lo + (hi - lo) * (i + 1) / n:.2f}: '
                     f'{int(c):,} rows</title></rect>')
    xt = [(t, f"{lo + (hi - lo) * t:.1f}") for t in np.linspace(0, 1, 6)]
    yt = [(t, f"{int(round(top * t)):,}") for t in (0, 0.5, 1)]
    parts += _axes(W, H, L, T, R, B, xlabel, ylabel, xt, yt)
    parts.append("</svg>")
    return "".join(parts)


def calibration_curve(table: list[dict], title: str = "") -> str:
    """Accuracy against mean confidence per bin (dot area ~ rows), with the diagonal."""
    W, H, L, T, R, B = 300, 300, 48, 12, 12, 38
    pw, ph = W - L - R, H - T - B
    parts = [f'<svg class="chart" width="{W}" height="{H}" '
             f'viewBox="0 0 {W} {H}" role="img" aria-label="{esc(title)}">',
             f'<line x1="{L}" y1="{T + ph}" x2="{L + pw}" y2="{T}" stroke="#bbb" stroke-dasharray="4 3"/>']
    pts = [b for b in table if b["rows"] > 0]
    total = max(1, sum(b["rows"] for b in pts))
    path = []
    for b in pts:
        x = L + b["confidence"] * pw
        y = T + ph - b["accuracy"] * ph
        path.append(f"{x:.1f},{y:.1f}")
    if len(path) > 1:
        parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#b2182b" stroke-width="1.5"/>')
    for b, xy in zip(pts, path):
        r = 2.5 + 6 * math.sqrt(b["rows"] / total)
        x, y = xy.split(",")
        parts.append(f'<circle cx="{x}" cy="{y}" r="{r:.1f}" fill="#b2182b" fill-opacity="0.8">'
                     f'<title>confidence {b["lo"]:.1f}–{b["hi"]:.1f}: {b["rows"]:,} rows, mean confidence '
                     f'{b["confidence"]:.3f}, accuracy {b["accuracy"]:.3f}</title></circle>')
    ticks = [(t, f"{t:.1f}") for t in np.linspace(0, 1, 6)]
    parts += _axes(W, H, L, T, R, B, "mean confidence", "accuracy", ticks, ticks)
    parts.append("</svg>")
    return "".join(parts)


def confusion(cm: np.ndarray, classes: list[str], *, fmt=lambda v: f"{int(round(v)):,}",
              title: str = "", ylabel: str = "gold", xlabel: str = "label") -> str:
    """A K x K matrix with counts in the cells, shaded by the share of the row."""
    K = cm.shape[0]
    cell = max(34, min(70, 420 // max(K, 1)))
    pad = min(140, 7 * max((len(str(c)) for c in classes), default=1) + 24)
    W, H = pad + cell * K + 10, pad + cell * K + 10
    rows = cm.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(rows > 0, cm / np.maximum(rows, 1e-300), 0.0)
    parts = [f'<svg class="chart" width="{W}" height="{H}" '
             f'viewBox="0 0 {W} {H}" role="img" aria-label="{esc(title)}">']
    for i in range(K):
        for j in range(K):
            x, y = pad + j * cell, pad + i * cell
            s = float(share[i, j])
            parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{sequential(s)}" stroke="#fff">'
                         f'<title>{esc(ylabel)} {esc(classes[i])}, {esc(xlabel)} {esc(classes[j])}: '
                         f'{esc(fmt(cm[i, j]))}</title></rect>')
            parts.append(f'<text x="{x + cell / 2}" y="{y + cell / 2}" text-anchor="middle" dominant-baseline="middle" '
                         f'{FONT} fill="{"#fff" if s > 0.6 else "#111"}">{esc(fmt(cm[i, j]))}</text>')
    for i, c in enumerate(classes):
        lab = esc(c if len(str(c)) <= 16 else str(c)[:15] + "…")
        parts.append(f'<text x="{pad - 4}" y="{pad + i * cell + cell / 2}" text-anchor="end" '
                     f'dominant-baseline="middle" {FONT}>{lab}</text>')
        parts.append(f'<text x="{pad + i * cell + cell / 2}" y="{pad - 6}" text-anchor="middle" {FONT}>{lab}</text>')
    parts.append(f'<text x="4" y="{pad - 6}" {FONT} font-style="italic">{esc(ylabel)} ↓ {esc(xlabel)} →</text>')
    parts.append("</svg>")
    return "".join(parts)
