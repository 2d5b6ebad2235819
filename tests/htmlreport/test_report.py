"""`weaklabel report`: the numbers behind each section, sampling, size, escaping, CLI behaviour."""

from __future__ import annotations

import html.parser
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix, analyze, analyze_totals, evaluate, report
from weaklabel.cli import app
from weaklabel.votes.gold import align_gold
from weaklabel.htmlreport import collect
from weaklabel.htmlreport.collect import row_keys
from weaklabel.fit.labels import write_model_labels
from weaklabel.models import HybridDawidSkene, save_model

from conftest import synthetic_votes

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def setup(votes_dataset, tmp_path):
    """votes (file, string ids), labels + model of a hybrid fit, gold for a subset, data with text."""
    vm, file, folder = votes_dataset
    model = HybridDawidSkene().fit(vm)
    write_model_labels(model, vm, tmp_path / "labels.parquet")
    save_model(model, tmp_path / "model.json")
    rng = np.random.default_rng(5)
    L = vm.to_dense()
    truth = np.where(L[:, 6] >= 0, L[:, 6], rng.integers(0, 3, vm.n_rows))
    keep = np.sort(rng.permutation(vm.n_rows)[:2000])
    ids = vm.row_ids["doc"].to_numpy()
    pd.DataFrame({"doc": ids[keep][::-1], "y": truth[keep][::-1]}).to_parquet(tmp_path / "gold.parquet")
    pd.DataFrame({"doc": ids, "text": [f"text of {d}" for d in ids]}).to_parquet(tmp_path / "data.parquet")
    return vm, file, folder, model, tmp_path


def test_numbers_equal_analyze_and_evaluate(setup):
    vm, file, folder, model, d = setup
    y = align_gold(vm, d / "gold.parquet", "y")
    ref = analyze(vm, y)
    ref_tot = analyze_totals(vm, y)
    ev = evaluate(d / "labels.parquet", d / "gold.parquet", "y")
    for source in (file, folder, vm):
        rd = collect(source, labels=d / "labels.parquet", gold=d / "gold.parquet", label_col="y",
                     model=d / "model.json", block_rows=401)
        for col in ref.columns:
            if col == "polarity":
                assert rd.lf[col].tolist() == ref[col].tolist()
            else:
                np.testing.assert_allclose(rd.lf[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float))
        for k, v in ref_tot.items():
            assert rd.totals[k] == pytest.approx(v), k
        for k in ("accuracy", "macro_f1", "brier", "ece", "coverage", "gold_rows", "gold_class_balance"):
            assert rd.scores[k] == pytest.approx(ev[k]), k
        assert rd.scores["confusion_matrix"] == ev["confusion_matrix"]
        assert rd.scores["per_class"] == ev["per_class"]
        np.testing.assert_allclose(rd.lf["est_acc"], model.accuracies_)
        assert rd.posterior_source == "labels" and rd.model["class"] == "HybridDawidSkene"


def test_pairwise_matrices_by_brute_force(setup):
    vm, file, folder, model, d = setup
    rd = collect(file, labels=d / "labels.parquet", block_rows=333)
    L = vm.to_dense().astype(int)
    P = pd.read_parquet(d / "labels.parquet")[["prob_0", "prob_1", "prob_2"]].to_numpy(dtype=float)
    m = L.shape[1]
    for j in range(m):
        for l in range(m):
            both = (L[:, j] >= 0) & (L[:, l] >= 0)
            assert rd.overlap[j, l] == both.sum()
            if j != l:
                assert rd.conflict[j, l] == (both & (L[:, j] != L[:, l])).sum()
                if both.sum() >= 20:
                    Pj = 1 - P[both, L[both, j]]                      # P(LF j wrong) per row
                    Pl = 1 - P[both, L[both, l]]
                    Pjl = sum(P[both, k] * (L[both, j] != k) * (L[both, l] != k) for k in range(3))
                    mj, ml = Pj.mean(), Pl.mean()
                    r = (Pjl.mean() - mj * ml) / np.sqrt(mj * (1 - mj) * ml * (1 - ml))
                    assert rd.error_corr[j, l] == pytest.approx(np.clip(r, -1, 1), abs=1e-4)
                else:
                    assert np.isnan(rd.error_corr[j, l])
    # the estimated confusion matrix holds every labelled row's probability mass
    labels = pd.read_parquet(d / "labels.parquet")
    assert rd.est_confusion.sum() == pytest.approx((labels["label"] >= 0).sum(), rel=1e-5)
    assert rd.confidence_hist.sum() == (vm.votes_per_row() > 0).sum()
    assert sorted(rd.order) == list(range(m))


def test_error_correlation_finds_copies():
    """Copies of one noisy LF make the same mistakes (near +1); independent LFs do not."""
    rng = np.random.default_rng(0)
    n = 20000
    y = rng.integers(0, 2, n)
    def noisy(acc, cov):
        v = np.where(rng.random(n) < acc, y, 1 - y)
        return np.where(rng.random(n) < cov, v, -1)
    base = noisy(0.7, 0.6)
    L = np.column_stack([base, base, noisy(0.8, 0.6), noisy(0.8, 0.6), noisy(0.75, 0.6)])
    vm = VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "a_copy", "b", "c", "d"])
    model = HybridDawidSkene().fit(vm)
    rd = collect(vm, model=model, block_rows=5000)
    assert rd.error_corr[0, 1] > 0.9
    assert abs(rd.error_corr[2, 3]) < 0.25
    # clustering puts the copies side by side
    pos = {j: i for i, j in enumerate(rd.order)}
    assert abs(pos[0] - pos[1]) == 1


def test_samples_are_seeded_and_right(setup):
    vm, file, folder, model, d = setup
    kw = dict(labels=d / "labels.parquet", gold=d / "gold.parquet", label_col="y", data=d / "data.parquet",
              samples=4)
    a = collect(file, block_rows=250, **kw)
    b = collect(vm, block_rows=1111, **kw)
    c = collect(file, seed=1, **kw)
    rows = lambda rd: {k: [r["row"] for r in v] for k, v in rd.samples["fired"].items()}
    assert rows(a) == rows(b) and rows(a) != rows(c)
    assert [r["row"] for r in a.samples["wrong"]] == [r["row"] for r in b.samples["wrong"]]
    L = vm.to_dense()
    labels = pd.read_parquet(d / "labels.parquet")
    y = align_gold(vm, d / "gold.parquet", "y")
    keys = row_keys(0, 0, vm.n_rows)
    for j, name in enumerate(vm.lf_names):
        fired = [r["row"] for r in a.samples["fired"][name]]
        where = np.flatnonzero(L[:, j] >= 0)
        assert fired == where[np.argsort(keys[where], kind="stable")[:4]].tolist()   # the 4 smallest keys
        for r in a.samples["disagreed"][name]:
            assert L[r["row"], j] >= 0 and L[r["row"], j] != labels["label"][r["row"]] >= 0
    for r in a.samples["uncovered"]:
        assert (L[r["row"]] < 0).all() and r["text"] == f"text of {vm.row_ids['doc'][r['row']]}"
    wrong = a.samples["wrong"]
    assert len(wrong) == 10 and all(r["gold"] == y[r["row"]] != r["label"] for r in wrong)
    conf = [r["confidence"] for r in wrong]
    assert conf == sorted(conf, reverse=True)
    bad = (y >= 0) & (labels["label"].to_numpy() >= 0) & (labels["label"].to_numpy() != y)
    assert conf[0] == pytest.approx(labels["confidence"].to_numpy()[bad].max())


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id")


def hostile(tmp_path):
    """Votes whose LF and class names and row text are HTML / script."""
    L = synthetic_votes(n=400, m=4, K=2, seed=1)
    names = ["<script>document.title='pwned-lf'</script>", "a&b", 'quote"lf', "plain"]
    ids = pd.DataFrame({"id": [f"<b>{i}</b>" for i in range(400)]})
    vm = VoteMatrix.from_dense(L, cardinality=2, lf_names=names, row_ids=ids, classes=["<i>neg</i>", "pos"])
    vm.to_parquet(tmp_path / "votes.parquet")
    text = ["</td></tr></table><script>document.title='pwned-row'</script><img src=x onerror=alert(1)>"] * 400
    pd.DataFrame({"id": ids["id"], "text": text, "y": (L[:, 0] >= 0).astype(int)}).to_parquet(tmp_path / "data.parquet")
    return vm


def test_html_is_escaped_and_complete(tmp_path):
    vm = hostile(tmp_path)
    model = HybridDawidSkene().fit(vm)
    model.warnings_ = ["<script>bad()</script> warning"]
    model.selection_ = {"choice": "<b>x</b>", "reason": "because <img>"}
    out = report(tmp_path / "votes.parquet", tmp_path / "r.html", data=tmp_path / "data.parquet",
                 gold=tmp_path / "data.parquet", label_col="y", model=model)
    page = out.read_text()
    p = _Tags()
    p.feed(page)
    assert p.tags.count("script") == 1 and "img" not in p.tags and "i" not in p.tags
    assert {"overview", "lfs", "pairwise", "labels", "rows", "lf-table", "heat-overlap", "heat-conflict",
            "heat-errcorr", "confidence", "calibration", "confusion"} <= p.ids
    assert "&lt;script&gt;document.title=&#x27;pwned-lf&#x27;&lt;/script&gt;" in page
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;" in page
    assert "&lt;script&gt;bad()&lt;/script&gt; warning" in page and "because &lt;img&gt;" in page
    assert "Content-Security-Policy" in page and "http://" not in page and "https://" not in page


@pytest.mark.parametrize("via_cli", [False, True])
def test_control_characters_in_names_are_visible_escapes(tmp_path, via_cli):
    """A NUL, an ANSI escape, DEL or a C1 control in an LF name, a class name, an id or a row's
    text would make the page invalid HTML: each is written as a visible escape (``\\x00``); tab and
    newline in text stay as they are."""
    from weaklabel.htmlreport.svg import esc

    assert esc("a\ud800\ufdd0<") == r"a\ud800\ufdd0&lt;"     # a lone surrogate could not even be UTF-8
    L = synthetic_votes(n=200, m=4, K=2, seed=2)
    names = ["nul\x00lf", "ansi\x1b[31mred\x7f\x85", "plain", "other"]
    ids = pd.DataFrame({"id": [f"id\x01{i}" for i in range(200)]})
    vm = VoteMatrix.from_dense(L, cardinality=2, lf_names=names, row_ids=ids, classes=["neg\x02", "pos"])
    pd.DataFrame({"id": ids["id"], "text": ["a\x00b\tc\nd\x0ce"] * 200}).to_parquet(tmp_path / "data.parquet")
    if via_cli:
        vm.to_parquet(tmp_path / "votes.parquet")
        r = run("report", tmp_path / "votes.parquet", "-o", tmp_path / "r.html", "--data", tmp_path / "data.parquet")
        assert r.exit_code == 0, r.output
        page = (tmp_path / "r.html").read_text(encoding="utf-8")
    else:
        page = report(vm, data=tmp_path / "data.parquet")
    bad = [hex(ord(c)) for c in page if (ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F
           or 0xD800 <= ord(c) <= 0xDFFF]
    assert not bad
    for shown in (r"nul\x00lf", r"ansi\x1b[31mred\x7f\x85", r"neg\x02", r"id\x011", "a\\x00b\tc\nd\\x0ce"):
        assert shown in page, shown
    p = _Tags()
    p.feed(page)
    assert p.tags.count("script") == 1


def test_model_diagnostics_na_without_them(setup):
    vm, file, folder, model, d = setup
    page = report(file, labels=d / "labels.parquet")
    assert "model selection" not in page and "label model</td><td>n/a" in page
    # a fitted model carries its diagnostics (fit's warnings_, the default's selection_) ...
    page = report(file, model=model)
    assert "model warnings</td><td>" in page and "model warnings</td><td>n/a" not in page
    # ... a model without them (an older model file) shows n/a
    for attr in ("selection_", "warnings_", "report_"):
        if hasattr(model, attr):
            delattr(model, attr)
    page = report(file, model=model)
    assert "model selection</td><td>n/a" in page and "model warnings</td><td>n/a" in page
    model.warnings_ = []
    assert "model warnings</td><td>none" in report(file, model=model)


def test_report_size_stays_small_with_many_lfs(tmp_path):
    """100 LFs: the page is bounded by the LF count, not by the rows (the heat maps are paths)."""
    rng = np.random.default_rng(0)
    n, m = 60000, 100
    y = rng.integers(0, 2, n)
    L = np.where(rng.random((n, m)) < 0.75, y[:, None], 1 - y[:, None])
    L[rng.random((n, m)) > 0.05] = -1
    vm = VoteMatrix.from_dense(L.astype(np.int8), cardinality=2, lf_names=[f"lf_{j:03d}" for j in range(m)])
    vm.to_parquet(tmp_path / "votes.parquet")
    pd.DataFrame({"text": ["some review text " * 20] * n}).to_parquet(tmp_path / "data.parquet")
    out = report(tmp_path / "votes.parquet", tmp_path / "r.html", data=tmp_path / "data.parquet",
                 gold=pd.DataFrame({"label": y}), block_rows=16384)
    size = out.stat().st_size
    assert size < 3 << 20, size
    page = out.read_text()
    assert page.count("<details>") == m + 1 and "LF order" in page   # per LF, and the heat maps' order


def test_cli_report(setup):
    vm, file, folder, model, d = setup
    out = d / "report.html"
    r = run("report", file, "--labels", d / "labels.parquet", "--model", d / "model.json", "--data",
            d / "data.parquet", "--gold", d / "gold.parquet", "--label-col", "y", "-o", out)
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 10000 and "report written" in r.stderr
    r = run("report", file, "-o", out)
    assert r.exit_code == 1 and "already exists" in r.stderr
    # labels of other votes: one line, nothing written
    other = d / "other.parquet"
    small = VoteMatrix.from_dense(synthetic_votes(n=50), cardinality=3)
    write_model_labels(HybridDawidSkene().fit(small), small, other)
    r = run("report", file, "--labels", other, "-o", d / "x.html")
    assert r.exit_code == 1 and "has 50 rows but the votes have 3,000" in r.stderr and not (d / "x.html").exists()
    r = run("report", file, "--gold", d / "gold.parquet", "--label-col", "nope", "-o", d / "x.html")
    assert r.exit_code == 1 and "no label column 'nope'" in r.stderr and not (d / "x.html").exists()
    r = run("report", file, "--data", d / "data.parquet", "--text-col", "body", "-o", d / "x.html")
    assert r.exit_code == 1 and "no text column 'body'" in r.stderr
    assert not any(p.name.startswith(".x.html") for p in d.iterdir())


def test_report_never_overwrites_one_of_its_inputs(setup):
    # `-o votes.parquet --force` used to replace the votes (or the gold, labels, data, model) with the page
    vm, file, folder, model, d = setup
    inputs = {"--labels": d / "labels.parquet", "--model": d / "model.json", "--data": d / "data.parquet",
              "--gold": d / "gold.parquet"}
    before = {p: p.read_bytes() for p in [file, *inputs.values()]}
    for target in before:
        args = ["report", file, "--label-col", "y", "-o", target, "--force"]
        for opt, path in inputs.items():
            args += [opt, path]
        r = run(*args)
        assert r.exit_code == 1 and f"{target}: is an input of this command" in r.stderr, r.output
        assert len(r.stderr.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in before} == before
    with pytest.raises(Exception, match="is an input of this command"):
        report(file, file, force=True)
    assert file.read_bytes() == before[file]


def test_notebook_views(setup):
    vm, file, folder, model, d = setup
    v = vm._repr_html_()
    assert "3,000 rows × 7 LFs" in v and "lf6" in v
    s = analyze(vm)._repr_html_()
    assert "LF summary" in s and "lf3" in s
    assert type(analyze(vm).iloc[:2]) is pd.DataFrame              # derived frames are plain
    m = model._repr_html_()
    assert "HybridDawidSkene" in m and "estimated accuracy" in m
    assert "not fitted" in HybridDawidSkene()._repr_html_()
    bad = VoteMatrix.from_dense(np.zeros((3, 1), int), cardinality=2, lf_names=["<script>x</script>"])
    assert "<script>x" not in bad._repr_html_() and "&lt;script&gt;x" in bad._repr_html_()
    # the JSON of a report's numbers is plain (for scripts reading collect())
    rd = collect(vm)
    json.dumps(rd.totals)


def test_small_edge_cases(tmp_path):
    """One LF, no samples, a model-less majority-vote posterior: the page still renders."""
    L = np.array([[0], [1], [-1], [1]] * 10)
    vm = VoteMatrix.from_dense(L, cardinality=2, lf_names=["only"])
    page = report(vm, samples=0)
    assert "Rows to look at" in page and "majority vote" in page
    rd = collect(vm, samples=0)
    assert rd.samples["fired"]["only"] == [] and rd.totals["covered"] == pytest.approx(0.75)
    assert rd.label_counts.tolist() == [10, 20] and rd.unlabelled_rows == 10


def test_overview_shows_ties_and_a_dominant_lf(tmp_path):
    """The overview shows the share of covered rows majority vote ties on, and names an LF that casts
    60% or more of the votes (the default then uses majority vote), as `analyze` does."""
    from weaklabel.simulate import simulate_regime

    vm = simulate_regime("catch_all", 1).votes
    t = analyze_totals(vm)
    vm.to_parquet(tmp_path / "votes.parquet")
    page = report(tmp_path / "votes.parquet", tmp_path / "r.html").read_text()
    assert f"majority-vote ties (covered rows)</td><td>{100 * t['mv_tied']:.1f}%" in page
    dom = t["dominant_lf"]
    assert f"default_negative casts {100 * dom['vote_share']:.0f}% of the votes and votes on 100% of the rows" in page
    assert "fit --dev" in page
    # no dominant LF: no such row
    vm2 = VoteMatrix.from_dense(synthetic_votes(n=2000, seed=3))
    assert "dominant_lf" not in analyze_totals(vm2)
    vm2.to_parquet(tmp_path / "v2.parquet")
    assert "dominant LF" not in report(tmp_path / "v2.parquet", tmp_path / "r2.html").read_text()


def test_ids_in_errors_are_plain_values(tmp_path):
    """`report votes.parquet --data other.csv` (ids that do not match) printed the votes' ids as
    `np.int64(4582)`: ids are shown as plain values, in every message that lists them."""
    from weaklabel.io import format_ids, id_sample

    L = synthetic_votes(n=300, m=4, K=2)
    ids = pd.DataFrame({"doc": np.arange(300, dtype=np.int64) + 1000})
    VoteMatrix.from_dense(L, cardinality=2, row_ids=ids).to_parquet(tmp_path / "votes.parquet")
    pd.DataFrame({"doc": np.arange(300) + 4582, "text": ["t"] * 300}).to_csv(tmp_path / "other.csv", index=False)
    r = run("report", tmp_path / "votes.parquet", "--data", tmp_path / "other.csv", "-o", tmp_path / "r.html")
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert r.exit_code == 1 and len(lines) == 1 and "other.csv" in lines[0], r.output
    assert "np." not in lines[0] and "4582, 4583, 4584" in lines[0]
    assert not (tmp_path / "r.html").exists()
    assert format_ids([np.int64(7), np.str_("007"), (np.int64(1), "a"), (np.float64(1.5),)]) == \
        "7, '007', (1, 'a'), (1.5,)"
    assert format_ids([np.int32(3)]) == "3"
    assert id_sample(pd.DataFrame({"a": ["x"], "b": np.array([2], dtype=np.int16)})) == "('x', 2) (text, int16)"
