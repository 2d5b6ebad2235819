"""`weaklabel report` stays bounded with many LFs and classes: capped heat maps, bounded class lists."""

from __future__ import annotations

import numpy as np

from weaklabel import report
from weaklabel.htmlreport import page
from weaklabel.simulate import simulate_votes


def test_heat_maps_capped_with_many_lfs(tmp_path):
    vm = simulate_votes(n=3000, m=600, K=2, coverage=(0.01, 0.05), seed=1).votes
    vm.to_parquet(tmp_path / "votes.parquet")
    out = report(tmp_path / "votes.parquet", tmp_path / "r.html")
    size = out.stat().st_size
    assert size < 4 << 20, size
    text = out.read_text()
    assert 'id="heat-cap"' in text and f"show {page.MAX_HEAT_LFS} of the 600 LFs" in text
    assert text.count('id="lf-table"') == 1 and text.count("<tr><td class=\"l\" data-v=") == 600   # every LF


def test_class_lists_capped_with_many_classes(tmp_path):
    vm = simulate_votes(n=2000, m=20, K=120, coverage=(0.2, 0.5), seed=2).votes
    text = report(vm)
    assert 'id="class-cap"' in text and "Shows 30 of the 120 classes" in text
    assert text.count("<title>est. true ") <= page.MAX_MATRIX_CLASSES ** 2


def test_small_report_has_no_caps(tmp_path):
    vm = simulate_votes(n=500, m=12, K=3, seed=3).votes
    text = report(vm)
    assert "heat-cap" not in text and "class-cap" not in text and "more</span>" not in text
    assert np.all([f"lf_{j}" in text for j in range(12)]) or "lf_" in text
