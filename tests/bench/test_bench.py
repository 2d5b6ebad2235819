"""The bench: protocol (no test-label leak), the PEERS.md majority-vote figures, and
`weaklabel bench --quick` end to end."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.bench import datasets as D
from weaklabel.bench import suites
from weaklabel.bench.endmodel import TaskFeatures
from weaklabel.cli import app
from weaklabel.models import MODELS
from conftest import shared

runner = CliRunner()
TIMING = ("gen_seconds", "apply_seconds", "fit_seconds")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Like `weaklabel bench --threads 1`: small linear algebra runs faster without thread contention."""
    import sklearn.cluster  # noqa: F401  (load OpenMP/BLAS first so that the limit applies)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _peers_mv() -> dict[tuple[str, str], float]:
    text = shared("PEERS.md").read_text()
    header = next(line for line in text.splitlines() if line.startswith("| dataset |"))
    cols = [c.strip() for c in header.strip("|").split("|")]
    mv = cols.index("MV")
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == len(cols) and re.fullmatch(r"0\.\d+", cells[mv]):
            name = cells[0]
            key = ("crowd", name[len("crowd_"):]) if name.startswith("crowd_") else ("wrench", name)
            out[key] = float(cells[mv])
    return out


def test_textbook_majority_vote_reproduces_the_peer_table():
    """PEERS.md's MV column: all test rows, ties and vote-less rows broken at random (seeded).
    Those figures are single random draws; ours average 10 seeds, so they agree to about one
    standard error of a draw (~0.01 on the smaller sets)."""
    peers = _peers_mv()
    assert len(peers) == 17
    root = shared("wrench").parent
    diffs = {}
    for (suite, name), expected in peers.items():
        ds = D.load_wrench_dataset(name, root) if suite == "wrench" else D.load_crowd_dataset(name, root)
        accs = [r["accuracy"] for seed in range(10) for r in suites.run_votes_unit(ds, seed, [], suite)]
        diffs[name] = np.mean(accs) - expected
    bad = {k: round(v, 4) for k, v in diffs.items() if abs(v) > 0.015}
    assert not bad, f"majority vote differs from PEERS.md: {bad}"
    assert np.mean(np.abs(list(diffs.values()))) < 0.007


def test_votes_suite_runs_every_model_and_the_reference():
    ds = D.load_wrench(shared("wrench", "youtube"))
    recs = suites.run_votes_unit(ds, 0, list(MODELS), "wrench")
    assert [r["model"] for r in recs] == list(MODELS) + [suites.REFERENCE_MV]
    for r in recs:
        assert "error" not in r, r
        assert 0.5 < r["accuracy"] <= 1 and r["n_test"] == 250 and r["coverage"] == pytest.approx(0.928)
        assert r["accuracy_covered"] > 0.8


def test_draw_labeled_is_stratified_deterministic_and_complete():
    y = np.array([0] * 700 + [1] * 250 + [2] * 50)
    a = suites.draw_labeled(y, 100, 7)
    assert a.size == 100 and np.unique(a).size == 100 and np.all(np.diff(a) > 0)
    assert np.bincount(y[a]).tolist() == [70, 25, 5]
    np.testing.assert_array_equal(a, suites.draw_labeled(y, 100, 7))
    assert not np.array_equal(a, suites.draw_labeled(y, 100, 8))
    rare = np.array([0] * 995 + [1] * 5)
    assert np.bincount(rare[suites.draw_labeled(rare, 20, 0)]).tolist() == [19, 1]   # every class present
    assert suites.effective_labels(133, 100) == 33 and suites.effective_labels(5000, 100) == 100


@pytest.fixture(scope="module")
def cancer_task():
    return TaskFeatures(D.load_embedded("breast_cancer"))


def test_autows_generator_only_sees_the_labelled_rows(cancer_task, monkeypatch):
    """The LF generator gets the 100 drawn train rows with their labels and the other train rows'
    features, never a test row and never another label."""
    ds = cancer_task.ds
    calls = []
    real = suites.generate_lfs

    def spy(X_labeled, y_labeled, method, **kw):
        calls.append((X_labeled.copy(), np.array(y_labeled), kw["X_unlabeled"].copy(), set(kw)))
        return real(X_labeled, y_labeled, method, **kw)

    monkeypatch.setattr(suites, "generate_lfs", spy)
    records, _ = suites.run_autows_unit(cancer_task, 5, 100, ["snuba", "knn"], ["majority"])
    assert len(calls) == 2
    idx = suites.draw_labeled(ds.train.y, 100, 5)
    test_rows = {tuple(r) for r in ds.test.features.to_numpy()}
    assert len(test_rows) == ds.test.n                          # rows are distinguishable
    for Xl, yl, Xu, keys in calls:
        assert len(Xl) == 100 and list(Xl.index) == list(idx)
        np.testing.assert_array_equal(yl, ds.train.y[idx])
        np.testing.assert_array_equal(Xl.to_numpy(), ds.train.features.iloc[idx].to_numpy())
        assert sorted(Xu.index) == sorted(set(range(ds.train.n)) - set(idx))
        seen = {tuple(r) for r in np.vstack([Xl.to_numpy(), Xu.to_numpy()])}
        assert not (seen & test_rows)
        assert not any("y" in k and k != "y_labeled" for k in keys)   # no other labels passed
    assert {r["model"] for r in records} >= {"supervised", "label_propagation", "majority_class", "majority"}


def _strip(records):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in records]


def test_autows_training_side_ignores_test_labels(cancer_task):
    """Shuffling the test labels changes the scores only: the same LFs, the same label-model and
    end-model training (hence the same test predictions' coverage), deterministic per seed."""
    ds = cancer_task.ds
    a, lf_a = suites.run_autows_unit(cancer_task, 1, 100, ["cluster"], ["majority"])
    b, lf_b = suites.run_autows_unit(cancer_task, 1, 100, ["cluster"], ["majority"])
    assert _strip(a) == _strip(b) and lf_a == lf_b                      # deterministic
    original = ds.test.y.copy()
    try:
        ds.test.y = np.random.default_rng(0).permutation(original)
        c, lf_c = suites.run_autows_unit(cancer_task, 1, 100, ["cluster"], ["majority"])
    finally:
        ds.test.y = original
    assert [r["lf"] for r in lf_c] == [r["lf"] for r in lf_a]
    assert [r["coverage_test"] for r in lf_c] == [r["coverage_test"] for r in lf_a]
    for ra, rc in zip(a, c):
        for key in ("n_lfs", "lm_coverage", "weak_rows", "end_C", "n_labels"):
            assert ra.get(key) == rc.get(key)
    # ...while the scores on shuffled labels collapse towards chance
    ws_a = next(r for r in a if r["model"] == "majority")
    ws_c = next(r for r in c if r["model"] == "majority")
    assert ws_a["end_accuracy"] > 0.85 and ws_c["end_accuracy"] < 0.7


def test_bench_quick_end_to_end(tmp_path):
    out = tmp_path / "out"
    r = runner.invoke(app, ["bench", "--quick", "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "autows" in r.stdout and "breast_cancer" in r.stdout and "supervised" in r.stdout
    for name in ("results.json", "results.csv", "report.md"):
        assert (out / name).stat().st_size > 0
    data = json.loads((out / "results.json").read_text())
    assert data["format"] == "weaklabel.bench" and data["config"]["quick"] is True
    assert data["config"]["seeds"] == [0] and data["versions"]["weaklabel"]
    df = pd.read_csv(out / "results.csv")
    assert set(df["task"]) == {"breast_cancer", "wine", "digits"}
    assert set(df["model"]) == set(MODELS) | {"supervised", "label_propagation", "majority_class"}
    assert set(df["method"].dropna()) == {"-", "snuba", "cluster", "knn"}
    assert df["error"].isna().all() if "error" in df else True
    # numbers that matter: the weakly supervised end model (cluster LFs + majority vote) beats the
    # trivial baseline by far and is close to the supervised one on the 10-class digits task
    dig = df[df["task"] == "digits"]
    end = dig[(dig["method"] == "cluster") & (dig["model"] == "majority")]["end_accuracy"].item()
    trivial = dig[dig["model"] == "majority_class"]["end_accuracy"].item()
    sup = dig[dig["model"] == "supervised"]["end_accuracy"].item()
    assert trivial < 0.15 and end > 0.8 and end > sup - 0.1
    # one entry per generated LF: n_lfs repeats on every model row of a (task, seed, method)
    per_run = df.dropna(subset=["n_lfs"]).drop_duplicates(["task", "seed", "method"])
    assert len(data["lfs"]) == per_run["n_lfs"].sum()
    report = (out / "report.md").read_text()
    assert "## autows" in report and "| task | labels | LF method |" in report and "## Versions" in report
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in report
        assert "warning: plots skipped: matplotlib is not installed" in r.stderr   # said, not only in report.md
    else:
        assert "plots skipped" not in r.stderr
        assert (out / "autows_end_accuracy.png").read_bytes()[:4] == b"\x89PNG"
        assert (out / "autows_lf_scatter.png").exists()
    # existing outputs are not overwritten without --force
    r = runner.invoke(app, ["bench", "--quick", "--out", str(out), "--tasks", "wine"])
    assert r.exit_code == 1 and "already exists" in r.output


def test_bench_json_and_errors(tmp_path, monkeypatch):
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    r = runner.invoke(app, ["bench", "--tasks", "wine", "--seeds", "1", "--methods", "knn", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    rows = data["summary"]["autows"]
    assert {row["model"] for row in rows} >= {"majority", "supervised"}
    assert "results" not in data
    for args, msg in [(["--suite", "wrench"], "need benchmark data"), (["--suite", "nope"], "--suite must be"),
                      (["--tasks", "mnist"], "no task or dataset 'mnist'"), (["--models", "zzz"], "unknown model"),
                      (["--methods", "magic"], "unknown LF method"), (["--n-labels", "x"], "--n-labels"),
                      (["--seed", "-1"], "--seed must be >= 0"), (["--max-lfs", "0"], "--max-lfs must be at least 1"),
                      (["--threads", "-1"], "--threads must be >= 0")]:
        r = runner.invoke(app, ["bench", *args])
        assert r.exit_code == 1, (args, r.output)
        assert msg in r.output and "Traceback" not in r.output


def test_a_capped_label_budget_is_reported(monkeypatch):
    """wine has 133 training rows: budgets above 33 are capped at a quarter of them, and 100 and
    200 used to give two identical curve points without a word."""
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    r = runner.invoke(app, ["bench", "--tasks", "wine", "--seeds", "1", "--methods", "knn", "--n-labels", "20,100,200",
                            "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    (line,) = data["warnings"]
    assert line == ("wine: label budgets 100, 200 capped at 33 labelled rows (a quarter of its 133 training rows); "
                    "those budgets' results are the same runs")
    assert line in r.stderr
    r = runner.invoke(app, ["bench", "--tasks", "wine", "--seeds", "1", "--methods", "knn", "--n-labels", "20",
                            "--json"])
    assert "warnings" not in json.loads(r.stdout) and "capped" not in r.stderr


def test_wrench_and_crowd_suites_from_the_cli(tmp_path):
    root = shared("wrench").parent
    r = runner.invoke(app, ["bench", "--suite", "all", "--quick", "--data-dir", str(root), "--tasks",
                            "youtube,bluebird", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)["summary"]
    assert {row["dataset"] for row in s["wrench"]} == {"youtube"}
    assert {row["dataset"] for row in s["crowd"]} == {"bluebird"}
    assert {row["task"] for row in s["autows"]} == {"youtube"}          # the raw-text task
    bb = {row["model"]: row for row in s["crowd"]}
    assert bb[suites.REFERENCE_MV]["accuracy_mean"] == pytest.approx(0.759, abs=0.001)


def test_new_models_appear_in_every_suite_and_failures_are_reported(tmp_path, monkeypatch):
    """A model added to MODELS is benchmarked without changes to the bench; one that fails is
    shown as ERR with its error, and the run goes on."""
    from weaklabel.models import MajorityVote

    class Uniform(MajorityVote):
        def __init__(self, random_state=0):
            super().__init__(ties="uniform", random_state=random_state)

    class Broken(MajorityVote):
        def _fit(self, vm, y):
            raise RuntimeError("cannot fit this")

    monkeypatch.setitem(MODELS, "uniform_mv", Uniform)
    monkeypatch.setitem(MODELS, "broken", Broken)
    root = shared("wrench").parent
    out = tmp_path / "o"
    r = runner.invoke(app, ["bench", "--suite", "all", "--data-dir", str(root), "--tasks", "wine,youtube,rte",
                            "--seeds", "1", "--methods", "knn", "--out", str(out), "--no-plots"])
    assert r.exit_code == 0, r.output
    assert "uniform_mv" in r.stdout and "ERR" in r.stdout and "model runs failed" in r.output
    df = pd.read_csv(out / "results.csv")
    for suite in ("autows", "wrench", "crowd"):
        part = df[df["suite"] == suite]
        assert {"majority", "uniform_mv", "broken"} <= set(part["model"]), suite
        assert part.loc[part["model"] == "broken", "error"].str.contains("cannot fit this").all()
        assert part.loc[part["model"] == "uniform_mv", "error"].isna().all()
    report = (out / "report.md").read_text()
    assert "| uniform_mv |" in report and "## Errors" in report


def test_bench_outputs_are_replaced_together_or_not_at_all(tmp_path, monkeypatch):
    """A failure (or Ctrl-C) while writing the outputs of `--out DIR --force` left a new
    results.json and results.csv beside the previous run's report.md: a mixed set of files."""
    from weaklabel.bench import report

    res = suites.BenchResult(config={"suites": [], "seeds": [0]}, records=[{"suite": "none", "seed": 0}],
                             seconds=1.0)
    out = tmp_path / "out"
    old = report.write_outputs(res, out, plots=False)
    before = {p.name: p.read_bytes() for p in old}

    def broken(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "report_markdown", broken)
    res.seconds = 2.0
    with pytest.raises(KeyboardInterrupt):
        report.write_outputs(res, out, force=True, plots=False)
    assert {p.name: p.read_bytes() for p in old} == before
    assert sorted(p.name for p in out.iterdir()) == sorted(before)


def test_repeated_names_run_once_and_dev_frac_needs_the_verifiers_suite(monkeypatch):
    """`--models ds,ds` ran ds twice (twice the time, two leaderboard rows); `--dev-frac` outside
    the verifiers suite was silently ignored."""
    from weaklabel.bench.config import BenchConfig, plan

    monkeypatch.delenv(D.ENV_VAR, raising=False)
    cfg = BenchConfig(suites=("autows", "verifiers"), models=("ds", "mixture", "ds"), tasks=("wine", "wine"),
                      methods=("knn", "knn"), n_labels=(50, 50), seeds=(0, 0))
    assert cfg.model_names() == ["ds"] and cfg.verifier_models() == ["mixture", "ds"]
    assert [u.label() for u in plan(cfg)] == ["autows: wine (seed 0, 50 labels)"]
    r = runner.invoke(app, ["bench", "--tasks", "wine", "--dev-frac", "0.1"])
    assert r.exit_code == 1 and "--dev-frac is the verifiers suite's" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_a_failed_run_leaves_no_empty_out_folder(tmp_path, monkeypatch):
    """`bench --out DIR` made DIR before the run: a run that failed left an empty folder."""
    from weaklabel.bench import report
    from weaklabel.errors import InputError

    monkeypatch.delenv(D.ENV_VAR, raising=False)

    def failing(cfg, progress=None):
        raise InputError("boom")

    monkeypatch.setattr(suites, "run_bench", failing)
    out = tmp_path / "a" / "out"
    r = runner.invoke(app, ["bench", "--tasks", "wine", "--seeds", "1", "--methods", "knn", "--out", str(out)])
    assert r.exit_code == 1 and "boom" in r.output
    assert not (tmp_path / "a").exists()
    (tmp_path / "file").write_text("x")
    r = runner.invoke(app, ["bench", "--tasks", "wine", "--out", str(tmp_path / "file" / "out")])
    assert r.exit_code == 1 and "cannot create the --out folder" in r.output
    # a failure while writing: the folders the write made are removed again
    res = suites.BenchResult(config={"suites": [], "seeds": [0]}, records=[{"suite": "none", "seed": 0}],
                             seconds=1.0)

    def broken(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "report_markdown", broken)
    with pytest.raises(KeyboardInterrupt):
        report.write_outputs(res, tmp_path / "b" / "out", plots=False)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("args, culprit", [
    (["--suite", "crowd", "--methods", "knn"], "--methods is the autows suite's"),
    (["--suite", "wrench", "--n-labels", "50"], "--n-labels is the autows suite's"),
    (["--suite", "verifiers", "--quick", "--max-lfs", "3"], "--max-lfs is the autows suite's"),
    (["--suite", "crowd", "--n-labels", "50", "--max-lfs", "3"], "--n-labels, --max-lfs are the autows suite's"),
])
def test_autows_options_need_the_autows_suite(args, culprit, monkeypatch):
    """`--methods`, `--n-labels` and `--max-lfs` were silently ignored by a run without the autows suite."""
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    ran = []
    monkeypatch.setattr(suites, "run_bench", lambda cfg, progress=None: ran.append(cfg))
    r = runner.invoke(app, ["bench", *args])
    assert r.exit_code == 1 and culprit in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1 and not ran


def test_autows_options_are_accepted_with_suite_all_and_default_when_absent(monkeypatch):
    from weaklabel.autolf import METHODS

    from weaklabel.bench import config
    from weaklabel.errors import InputError

    monkeypatch.delenv(D.ENV_VAR, raising=False)
    ran = []

    def fake(cfg):
        ran.append(cfg)
        raise InputError("stop")  # before any work: only the configuration matters here

    monkeypatch.setattr(config, "plan", fake)
    runner.invoke(app, ["bench", "--suite", "all", "--tasks", "wine", "--methods", "knn", "--n-labels", "50,60",
                        "--max-lfs", "3", "--quiet"])
    runner.invoke(app, ["bench", "--tasks", "wine", "--quiet"])
    assert [(c.methods, c.n_labels, c.max_lfs) for c in ran] == [(("knn",), (50, 60), 3), (METHODS, (100,), None)]
