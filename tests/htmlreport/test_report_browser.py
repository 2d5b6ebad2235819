"""The report rendered in a real browser: headless Chromium, no network.

Checks what only a browser can: no console errors (a script error or a Content-Security-Policy
violation is logged to the console), every section in the rendered DOM, the heat maps drawn
(coloured pixels in a screenshot), hostile LF names and row text neither run nor break the page,
and the table-sorting script works. Skipped, saying why, where Chromium is not installed
(``.ci/run`` installs it when it can).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from weaklabel import VoteMatrix, report
from weaklabel.models import HybridDawidSkene

from conftest import synthetic_votes

CHROMIUM = next((p for p in (os.environ.get("WEAKLABEL_CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), "/usr/bin/chromium") if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (Debian package "
                                "`chromium`; .ci/run installs it when apt-get works): browser checks skipped")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars"]


def chromium(tmp_path: Path, url: str, *extra: str) -> tuple[str, list[str]]:
    """Run Chromium once; returns (stdout, console messages logged on stderr)."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def read_png(path: Path) -> np.ndarray:
    """(h, w, channels) uint8 pixels of an 8-bit RGB/RGBA PNG (standard library only)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and ctype in (2, 6)
            ch = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = w * ch
    out = np.zeros((h, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:  # Sub, Average, Paeth depend on the left pixel: decode sequentially
            cur = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = cur[x - ch] if x >= ch else 0
                b = prev[x]
                c = prev[x - ch] if x >= ch else 0
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + pred) & 255
        out[y] = cur
        prev = cur
    return out.reshape(h, w, ch)[:, :, :3].astype(np.uint8)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A report with hostile LF names, class names, ids and row text, and gold."""
    d = tmp_path_factory.mktemp("browser")
    L = synthetic_votes(n=3000, m=12, K=2, seed=4)
    names = ["<script>document.title='pwned-lf'</script>"] + [f"lf_{j}" for j in range(1, 11)] + ['<img src=x>"']
    ids = pd.DataFrame({"id": [f"<b>{i}</b>" for i in range(3000)]})
    vm = VoteMatrix.from_dense(L, cardinality=2, lf_names=names, row_ids=ids, classes=["<i>neg</i>", "pos"])
    vm.to_parquet(d / "votes.parquet")
    text = ["</td></tr></table><script>document.title='pwned-row'</script><img src=x onerror=\"document.title="
            "'pwned-img'\"> a review"] * 3000
    rng = np.random.default_rng(0)
    pd.DataFrame({"id": ids["id"], "text": text, "y": rng.integers(0, 2, 3000)}).to_parquet(d / "data.parquet")
    model = HybridDawidSkene().fit(vm)
    out = report(d / "votes.parquet", d / "report.html", data=d / "data.parquet", gold=d / "data.parquet",
                 label_col="y", model=model, title="<script>document.title='pwned-title'</script>")
    return d, out


def test_loads_without_console_errors_and_escapes(page, tmp_path):
    d, out = page
    dom, console = chromium(tmp_path, out.as_uri(), "--dump-dom")
    assert console == [], console
    # no injected script ran: it would have replaced the (escaped, literal) title
    assert re.search(r"<title>(.*?)</title>", dom, re.S).group(1) == \
        "&lt;script&gt;document.title='pwned-title'&lt;/script&gt;"
    for sid in ("overview", "lfs", "pairwise", "labels", "rows", "heat-overlap", "heat-conflict", "heat-errcorr",
                "confidence", "calibration", "confusion"):
        assert f'id="{sid}"' in dom, sid
    # the hostile text is text: no element came out of it
    assert dom.count("<script") == 1 and "<img" not in dom
    assert "&lt;script&gt;document.title='pwned-row'&lt;/script&gt;" in dom
    # the whole table is there (the row text did not close it early): 12 LF rows
    table = re.search(r'<table class="sortable" id="lf-table">(.*?)</table>', dom, re.S).group(1)
    assert table.count("<tr>") == 13


def test_heat_maps_drawn(page, tmp_path):
    """Screenshot of the pairwise section (the others hidden by a style rule, which the page's
    Content-Security-Policy allows): the three heat maps put coloured pixels on the screen."""
    d, out = page
    only = tmp_path / "pairwise.html"
    only.write_text(out.read_text().replace("</head>", "<style>header,nav,section:not(#pairwise){display:none}</style></head>"))
    shot = tmp_path / "pairwise.png"
    _, console = chromium(tmp_path, only.as_uri(), f"--screenshot={shot}", "--window-size=1400,1000")
    assert console == [], console
    px = read_png(shot).astype(int)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    blue = (b - r > 40).sum()          # overlap map, negative error correlations
    red = (r - b > 40).sum()           # conflict map, positive error correlations
    grey = ((r == 0xD9) & (g == 0xD9) & (b == 0xD9)).sum()   # undefined cells (the diagonals)
    assert blue > 2000 and red > 2000 and grey > 500, (blue, red, grey)
    # and without the heat maps the same screenshot is (nearly) colourless: the colour is theirs
    bare = tmp_path / "bare.html"
    bare.write_text(only.read_text().replace("</head>", "<style>svg.heat{visibility:hidden}</style></head>"))
    shot2 = tmp_path / "bare.png"
    chromium(tmp_path, bare.as_uri(), f"--screenshot={shot2}", "--window-size=1400,1000")
    px2 = read_png(shot2).astype(int)
    assert (np.abs(px2[..., 2] - px2[..., 0]) > 40).sum() < 200


def test_sorting_script_works(page, tmp_path):
    """Click the coverage header twice in the real browser: rows come out in coverage order."""
    d, out = page
    text = out.read_text()
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)   # allow the probe script
    probe = ("<script>var th=document.querySelectorAll('#lf-table th')[3];th.click();th.click();"
             "var v=Array.prototype.map.call(document.querySelectorAll('#lf-table tbody tr'),"
             "function(r){return r.cells[3].getAttribute('data-v');});"
             "document.body.setAttribute('data-sorted',v.join(' '));</script>")
    test_page = tmp_path / "sort.html"
    test_page.write_text(text.replace("</body>", probe + "</body>"))
    dom, console = chromium(tmp_path, test_page.as_uri(), "--dump-dom")
    assert console == [], console
    got = [float(x) for x in re.search(r'data-sorted="([^"]*)"', dom).group(1).split()]
    assert len(got) == 12 and got == sorted(got, reverse=True)
