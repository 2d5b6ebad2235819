"""`weaklabel bench` against hostile or mistaken inputs: every bad file is one `error:` line naming
the file and the example, line or column at fault (exit 1, nothing written), never a traceback
nor a silently converted value; numbers in the tables are what they say. Tiny WRENCH and crowd
folders written to tmp_path: fast, no shared data needed."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.bench import datasets as D
from weaklabel.bench import suites
from weaklabel.bench.config import BenchConfig, plan
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.models import MODELS
from conftest import one_line_error

runner = CliRunner()

TRAIN = [(0, [0, -1, 0]), (1, [1, 1, -1]), (0, [0, 1, -1]), (1, [-1, -1, -1]), (1, [1, 1, 1]), (0, [0, 0, 1])]
TEST = [(0, [0, -1, 1]), (1, [1, 1, -1]), (0, [-1, -1, -1]), (1, [1, 0, -1]), (0, [0, 0, -1]), (1, [1, 0, 0])]


def _examples(rows) -> dict:
    return {str(i): {"label": lab, "weak_labels": w, "data": {"text": f"t{i}"}} for i, (lab, w) in enumerate(rows)}


def wrench(root, name="toy", train=TRAIN, test=TEST, labels=("ham", "spam"), raw: dict | None = None):
    """A WRENCH folder ``root/wrench/name``; ``raw`` = {file name: text} replaces or adds files."""
    p = root / "wrench" / name
    p.mkdir(parents=True, exist_ok=True)
    (p / "train.json").write_text(json.dumps(_examples(train)))
    (p / "test.json").write_text(json.dumps(_examples(test)))
    if labels is not None:
        (p / "label.json").write_text(json.dumps({str(k): c for k, c in enumerate(labels)}))
    for fname, text in (raw or {}).items():
        (p / fname).write_text(text)
    return p


def crowd(root, name="toy", label="item,worker,label\n1,1,0\n1,2,1\n1,3,0\n2,1,1\n2,2,1\n3,3,0\n4,1,1\n",
          truth: str | None = "item,truth\n1,0\n2,1\n3,1\n4,1\n", classes: str | None = None):
    p = root / "crowd" / name
    p.mkdir(parents=True, exist_ok=True)
    (p / "label.csv").write_text(label)
    if truth is not None:
        (p / "truth.csv").write_text(truth)
    if classes is not None:
        (p / "classes.txt").write_text(classes)
    return p


def _with(rows, i, label=None, weak=None):
    rows = list(rows)
    lab, w = rows[i]
    rows[i] = (lab if label is None else label, w if weak is None else weak)
    return rows


# --------------------------------------------------------------------------- WRENCH loader
@pytest.mark.parametrize("train, extra, match", [
    # labels that are not class ids: a traceback, or silently truncated (0.5 read as 0)
    (_with(TRAIN, 2, label="spam"), {}, r"train\.json: example '2': label \"spam\" is not a class id"),
    (_with(TRAIN, 2, label=0.5), {}, r"train\.json: example '2': label 0\.5 is not a class id"),
    (_with(TRAIN, 2, label={"x": 1}), {}, r"example '2': label \{\"x\": 1\} is not a class id"),
    (_with(TRAIN, 2, label=True), {}, r"example '2': label true is not a class id"),
    (_with(TRAIN, 2, label=5), {}, r"example '2': label 5 is outside -1\.\.1 \(2 classes in label\.json\)"),
    # weak labels: floats were truncated, strings / nulls / scalars were tracebacks
    (_with(TRAIN, 3, weak=[0.7, -1, 0]), {}, r"example '3': weak label 0 is 0\.7, not a class id"),
    (_with(TRAIN, 3, weak=["a", -1, 0]), {}, r"example '3': weak label 0 is \"a\", not a class id"),
    (_with(TRAIN, 3, weak=[0, None, 0]), {}, r"example '3': weak label 1 is null, not a class id"),
    (_with(TRAIN, 3, weak=3), {}, r"example '3': 'weak_labels' must be a list"),
    (_with(TRAIN, 3, weak=[0, -2, 0]), {}, r"example '3': weak label 1 is -2, not a class id"),
    (_with(TRAIN, 3, weak=[0, 7, 0]), {}, r"train\.json: example '3': weak label 1 is 7, outside -1\.\.1"),
    # rows of the wrong length: the example is named
    (_with(TRAIN, 4, weak=[1, 1]), {}, r"train\.json: example '4' has 2 weak labels, the examples before it have 3"),
    ([(lab, []) for lab, _ in TRAIN], {}, r"train\.json: the examples have no weak labels"),
    # label.json as a list: a traceback
    (TRAIN, {"label.json": '["ham", "spam"]'}, r"label\.json: expected an object mapping the class ids to names"),
    (TRAIN, {"label.json": '{"0": "ham", "2": "spam"}'}, r"label\.json: keys must be the class ids 0\.\.1"),
    # malformed or hostile JSON
    (TRAIN, {"test.json": "{bad json"}, r"test\.json: not valid JSON"),
    (TRAIN, {"test.json": "[" * 100_000}, r"test\.json: not valid JSON"),
    (TRAIN, {"test.json": '{"0": {"label": NaN, "weak_labels": [0, 1, 0]}}'}, r"test\.json: example '0': label NaN"),
    (TRAIN, {"test.json": "[1, 2]"}, r"test\.json: expected a JSON object of examples"),
])
def test_a_bad_wrench_file_names_the_file_and_example(tmp_path, train, extra, match):
    p = wrench(tmp_path, train=train, raw=extra)
    with pytest.raises(InputError, match=match):
        D.load_wrench(p)


def test_wrench_splits_must_agree_and_string_labels_without_label_json(tmp_path):
    p = wrench(tmp_path, "wide", test=[(lab, w + [0]) for lab, w in TEST])
    with pytest.raises(InputError, match=r"test\.json: examples have 4 weak labels, train\.json has 3"):
        D.load_wrench(p)       # was "vote matrix: 3 LF names for 4 columns", no file named
    p = wrench(tmp_path, "strings", train=_with(TRAIN, 0, label="ham"), labels=None)
    with pytest.raises(InputError, match=r"train\.json: example '0': label \"ham\""):
        D.load_wrench(p)       # was a TypeError traceback (max() of str and int)
    (p / "test.json").unlink()
    (p / "train.json").write_text(json.dumps(_examples(TRAIN)))
    with pytest.raises(InputError, match=r"test\.json: no such file"):
        D.load_wrench(p)


def test_without_label_json_the_classes_cover_every_split(tmp_path):
    """K was taken from the train labels alone: a weak label or a test label of a class the train
    labels lack was refused as 'outside -1..1'."""
    p = wrench(tmp_path, train=_with(TRAIN, 0, weak=[2, -1, 0]), test=_with(TEST, 0, label=2), labels=None)
    ds = D.load_wrench(p)
    assert ds.classes == ["0", "1", "2"] and ds.test.y[0] == 2


# --------------------------------------------------------------------------- crowd loader
@pytest.mark.parametrize("kw, match", [
    ({"label": ""}, r"label\.csv: empty file"),
    ({"label": 'item,worker,label\n1,1,0\n"2,2\n'}, r"label\.csv: not a readable CSV file"),
    ({"label": "item,worker,label\n1,1,0\n1,2,-3\n"}, r"label\.csv, line 3: label -3 is below 0"),
    ({"label": "item,worker,label\n1,1,0\n1,2,0.5\n"}, r"label\.csv, line 3: label 0\.5 is not a class id"),
    ({"label": "item,worker,label\n1,1,0\n1,2,\n"}, r"label\.csv, line 3: label is missing"),
    ({"truth": "item,truth\n1,0\n2,-4\n"}, r"truth\.csv, line 3: truth -4 is below -1"),
    ({"truth": "item,truth\n1,0\n1,1\n"}, r"truth\.csv: item 1 has two different truths"),
    ({"classes": "only_one\n"}, r"classes\.txt: 1 class names, but the labels go up to 1"),
])
def test_a_bad_crowd_file_names_the_file_and_line(tmp_path, kw, match):
    with pytest.raises(InputError, match=match):
        D.load_crowd(crowd(tmp_path, **kw))


def test_crowd_binary_file_and_mixed_item_types(tmp_path):
    p = crowd(tmp_path)
    (p / "label.csv").write_bytes(b"\xff\xfe\x00\x01garbage\x00")
    with pytest.raises(InputError, match=r"label\.csv: not a text CSV file"):
        D.load_crowd(p)
    # numbers in label.csv, text in truth.csv: np.unique of a mix was a TypeError traceback
    p = crowd(tmp_path, "mixed", truth="item,truth\n1,0\nx9,1\n")
    ds = D.load_crowd(p)
    assert ds.train.n == 5 and ds.test.y.tolist() == [0, 1]       # items "1" (both files) and "x9"


# --------------------------------------------------------------------------- raw text tasks
def test_a_bad_text_task_names_the_file(tmp_path):
    raw = tmp_path / "raw"
    (raw / "youtube").mkdir(parents=True)
    (raw / "youtube" / "Youtube01.csv").write_text("COMMENT,CLASS\nhi,1\n")
    with pytest.raises(InputError, match=r"Youtube01\.csv: no column 'CONTENT'"):
        D.load_text("youtube", tmp_path)                  # was KeyError: 'CONTENT'
    (raw / "imdb").mkdir()
    (raw / "imdb" / "dev_data.json").write_text('[{"text": "a", "label": 1}, {"text": "b", "label": "pos"}]')
    (raw / "imdb" / "test_data.json").write_text('[{"text": "a", "label": 1}]')
    with pytest.raises(InputError, match=r"dev_data\.json, record 2: label \"pos\" is not a class id"):
        D.load_text("imdb", tmp_path)                     # was ValueError: invalid literal for int()
    (raw / "yelp").mkdir()
    (raw / "yelp" / "dev_data.json").write_text('{"a": 1}')
    (raw / "yelp" / "test_data.json").write_text("[]")
    with pytest.raises(InputError, match=r"yelp/dev_data\.json: expected a list of objects"):
        D.load_text("yelp", tmp_path)
    (raw / "trec").mkdir()
    (raw / "trec" / "train.txt").write_text("DESC:what is x\nFOO:bar\n")
    (raw / "trec" / "test.txt").write_text("NUM:how many\n")
    with pytest.raises(InputError, match=r"train\.txt, line 2: unknown TREC label 'FOO'"):
        D.load_text("trec", tmp_path)


# --------------------------------------------------------------------------- the command
def _bench(args):
    return runner.invoke(app, ["bench", *args])


def test_a_test_split_without_gold_is_an_error_not_null_figures(tmp_path):
    """Accuracy, macro-F1 and coverage were NaN (null in --json, '-' in tables) with exit code 0
    and a numpy RuntimeWarning on stderr."""
    wrench(tmp_path, "nogold", test=[(None, w) for _, w in TEST])
    out = tmp_path / "out"
    r = _bench(["--suite", "wrench", "--data-dir", str(tmp_path), "--models", "majority", "--seeds", "1",
                "--out", str(out), "--json"])
    line = one_line_error(r)
    assert "nogold/test.json: no gold label to score on" in line
    assert not out.exists() and r.stdout == ""
    crowd(tmp_path, "empty_truth", truth="item,truth\n")
    line = one_line_error(_bench(["--suite", "crowd", "--data-dir", str(tmp_path), "--models", "majority",
                                  "--seeds", "1"]))
    assert "empty_truth/truth.csv: no gold label" in line
    crowd(tmp_path, "no_truth", truth=None)
    line = one_line_error(_bench(["--suite", "crowd", "--data-dir", str(tmp_path), "--tasks", "no_truth",
                                  "--models", "majority", "--seeds", "1"]))
    assert "no_truth: no truth.csv" in line


def test_a_bad_dataset_fails_before_any_work(tmp_path, monkeypatch):
    """The malformed file of the last dataset ended a run after every other dataset had run."""
    wrench(tmp_path, "a_good")
    wrench(tmp_path, "b_bad", train=_with(TRAIN, 1, label="spam"))
    calls = []
    real = suites.run_votes_unit
    monkeypatch.setattr(suites, "run_votes_unit", lambda *a, **k: calls.append(a) or real(*a, **k))
    r = _bench(["--suite", "wrench", "--data-dir", str(tmp_path), "--models", "majority", "--seeds", "1"])
    assert "b_bad/train.json: example '1': label \"spam\"" in one_line_error(r)
    assert calls == []


def test_an_interrupt_inside_a_model_stops_the_run(tmp_path, monkeypatch):
    """A Numba kernel interrupted by Ctrl-C surfaces as SystemError: the bench's "a failing model is
    reported, the bench goes on" caught it, and the run ended with exit 0 and an ERR cell."""
    from weaklabel.models import MajorityVote

    class Interrupted(MajorityVote):
        def _fit(self, vm, y):
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as exc:
                raise SystemError("<built-in function kernel> returned a result with an exception set") from exc

    monkeypatch.setitem(MODELS, "interrupted", Interrupted)
    wrench(tmp_path)
    out = tmp_path / "out"
    cfg = BenchConfig(suites=("wrench",), seeds=(0,), models=("majority", "interrupted"), data_dir=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        suites.run_bench(cfg)
    r = _bench(["--suite", "wrench", "--data-dir", str(tmp_path), "--models", "majority,interrupted",
                "--seeds", "1", "--out", str(out)])
    assert r.exit_code == 130 and "interrupted" in r.stderr, r.output
    assert not out.exists()


def test_mixture_alone_is_refused_for_the_vote_suites(tmp_path):
    """`--models mixture --suite wrench` ran no label model (only the mv_noprior reference) and
    `--models mixture` on autows printed an empty table, both with exit code 0."""
    wrench(tmp_path)
    line = one_line_error(_bench(["--suite", "wrench", "--data-dir", str(tmp_path), "--models", "mixture"]))
    assert "--models mixture runs in the verifiers suite only" in line
    line = one_line_error(_bench(["--suite", "all", "--data-dir", str(tmp_path), "--models", "mixture"]))
    assert "no vote model for suite autows, wrench, crowd" in line
    assert BenchConfig(suites=("verifiers",), models=("mixture",)).verifier_models() == ["mixture"]


def test_quick_runs_the_datasets_a_folder_has(tmp_path):
    """`--quick` picked only youtube, sms, tennis_flyingsquid: a folder of other WRENCH sets gave
    "nothing to run", and an empty folder's error did not say where it looked."""
    for name in ("d1", "d2", "d3", "d4"):
        wrench(tmp_path, name)
    cfg = BenchConfig(suites=("wrench",), quick=True, seeds=(0,), data_dir=tmp_path)
    assert [u.name for u in plan(cfg)] == ["d1", "d2", "d3"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"no wrench dataset in .*empty/wrench/<name>/train\.json"):
        plan(BenchConfig(suites=("wrench",), data_dir=empty))


def test_majority_vote_by_hand(tmp_path):
    """mv_noprior = textbook majority vote: the most voted classes tie, rows without votes tie
    between all classes, and ties are broken by one seeded uniform draw per tied row in row order.
    Recomputed here without weaklabel's kernels."""
    rng = np.random.default_rng(5)
    test = [(int(rng.integers(0, 3)), [int(v) for v in rng.integers(-1, 3, size=4)]) for _ in range(60)]
    wrench(tmp_path, test=test, labels=("a", "b", "c"), train=[(0, [0, 1, 2, -1]), (1, [1, 1, 2, 2])] * 3)
    ds = D.load_wrench(tmp_path / "wrench" / "toy")
    for seed in (0, 7):
        (rec,) = suites.run_votes_unit(ds, seed, [], "wrench")
        draw = np.random.default_rng(seed)
        correct = 0
        for y, w in test:
            counts = np.bincount([v for v in w if v >= 0], minlength=3)
            top = np.flatnonzero(counts == counts.max())
            pick = top[int(draw.random() * top.size)] if top.size > 1 else top[0]
            correct += int(pick == y)
        assert rec["model"] == suites.REFERENCE_MV
        assert rec["accuracy"] == pytest.approx(correct / len(test), abs=1e-12)
        assert rec["coverage"] == pytest.approx(np.mean([max(w) >= 0 for _, w in test]))


def test_a_partly_failed_model_is_not_shown_as_a_plain_mean(tmp_path, monkeypatch):
    """A model that failed on one seed of two showed the mean of the other seed as if it were the
    mean over both (and fed it into the closing mean row); the CLI still said "shown as ERR"."""
    from weaklabel.bench.tables import tables
    from weaklabel.models import MajorityVote

    class Flaky(MajorityVote):
        def _fit(self, vm, y):
            if self.random_state == 1:
                raise RuntimeError("seed 1 fails")
            return super()._fit(vm, y)

    monkeypatch.setitem(MODELS, "flaky", Flaky)
    wrench(tmp_path)
    res = suites.run_bench(BenchConfig(suites=("wrench",), seeds=(0, 1), models=("flaky",), data_dir=tmp_path))
    (spec,) = tables(res)
    col = spec.columns.index("flaky")
    assert spec.rows[0][col].endswith("(1/2 ERR)")
    assert spec.rows[-1][col] == "-"


def test_generator_warnings_stay_out_of_stderr(tmp_path, monkeypatch):
    """A UserWarning of the LF generator was printed as a raw Python warning (file, line, source)
    even with -q; it now goes into the records."""
    real = suites.generate_lfs

    def noisy(*a, **k):
        warnings.warn("no pair rules: label more rows", UserWarning, stacklevel=2)
        return real(*a, **k)

    monkeypatch.setattr(suites, "generate_lfs", noisy)
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    out = tmp_path / "out"
    r = _bench(["--tasks", "wine", "--seeds", "1", "--methods", "knn", "--models", "majority", "--n-labels", "20",
                "-q", "--out", str(out), "--no-plots"])
    assert r.exit_code == 0, r.output
    assert "UserWarning" not in r.stderr and "no pair rules" not in r.stderr
    df = pd.read_csv(out / "results.csv")
    assert df.loc[df["method"] == "knn", "gen_warnings"].str.contains("no pair rules").all()


def test_a_wrench_only_report_does_not_mention_plots(tmp_path):
    """Without matplotlib, report.md of a wrench run said "Plots skipped: matplotlib is not
    installed", though that suite has no plots."""
    wrench(tmp_path)
    out = tmp_path / "out"
    r = _bench(["--suite", "wrench", "--data-dir", str(tmp_path), "--models", "majority", "--seeds", "1",
                "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Plots skipped" not in (out / "report.md").read_text()
    assert "plots skipped" not in r.stderr


def test_a_too_small_text_task_is_an_error(tmp_path):
    raw = tmp_path / "raw" / "imdb"
    raw.mkdir(parents=True)
    (raw / "dev_data.json").write_text('[{"text": "good movie", "label": 1}, {"text": "bad", "label": 0}]')
    (raw / "test_data.json").write_text('[{"text": "good", "label": 1}]')
    line = one_line_error(_bench(["--data-dir", str(tmp_path), "--tasks", "imdb", "--seeds", "1",
                                  "--models", "majority"]))
    assert "task 'imdb' is too small for the autows suite" in line


def test_names_and_paths_are_shown_literally(tmp_path):
    """A dataset folder named "a|b [bold]x" lost its "[bold]" in the terminal table (rich markup)
    and broke report.md's Datasets table; an --out path with "[/x]" in it ended a finished run with
    a rich MarkupError traceback (after the files were written)."""
    wrench(tmp_path, "a|b [bold]x")
    out = tmp_path / "[" / "x]"
    r = _bench(["--suite", "wrench", "--data-dir", str(tmp_path), "--models", "majority", "--seeds", "1",
                "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "a|b [bold]x" in r.stdout and "Traceback" not in r.output
    assert str(out) in r.stderr
    report = (out / "report.md").read_text()
    assert "| wrench/a\\|b [bold]x | 2 |" in report


def test_a_huge_seed_count_is_refused_before_it_is_built():
    """`--seeds 5000000000` built a tuple of five billion seeds before the 2**32 check: a
    MemoryError traceback (or a machine swapping) instead of an error line."""
    line = one_line_error(_bench(["--seeds", "5000000000"]))
    assert "--seeds must be at most 10,000" in line
    with pytest.raises(InputError, match="--seeds must be at most"):
        BenchConfig(seeds=tuple(range(10_001))).check()


def test_a_class_id_typo_is_not_a_huge_class_count(tmp_path):
    """A label of 100000 made K = 100001: "vote matrix: cardinality 100001 is above the limit"
    without the file; a little below the limit, tables of n x K floats filled the memory."""
    with pytest.raises(InputError, match=r"label\.csv, line 3: label 100000 is outside 0\.\.32766"):
        D.load_crowd(crowd(tmp_path, label="item,worker,label\n1,1,0\n2,1,100000\n"))
    p = wrench(tmp_path, train=_with(TRAIN, 1, weak=[100000, -1, 0]), labels=None)
    with pytest.raises(InputError, match=r"train\.json: example '1': weak label 0 is 100000, outside -1\.\.32766"):
        D.load_wrench(p)


def test_the_end_accuracy_plot_title_fits_its_figure(tmp_path, monkeypatch):
    """The suptitle (about 130 characters) was cut at both edges of a 6-inch figure."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from weaklabel.bench.plots import write_plots

    titles = []
    real = Figure.suptitle

    def record(self, t, **kw):
        titles.append((t, self.get_figwidth()))
        return real(self, t, **kw)

    monkeypatch.setattr(Figure, "suptitle", record)
    res = suites.run_bench(BenchConfig(suites=("autows",), tasks=("wine",), seeds=(0,), methods=("knn",),
                                       models=("majority",), n_labels=(20,)))
    write_plots(res, tmp_path)
    text, width = titles[0]
    assert text.startswith("end-model accuracy")
    assert max(len(line) for line in text.splitlines()) <= width * 13


def test_a_dangling_out_symlink_fails_before_the_run(tmp_path, monkeypatch):
    """`--out link` to a missing target passed the checks and failed at the end of the run
    ("cannot create the --out folder (File exists)"), its work lost."""
    wrench(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "missing" / "target")
    calls = []
    monkeypatch.setattr(suites, "run_votes_unit", lambda *a, **k: calls.append(a) or [])
    line = one_line_error(_bench(["--suite", "wrench", "--data-dir", str(tmp_path), "--models", "majority",
                                  "--seeds", "1", "--out", str(link)]))
    assert "symbolic link" in line and calls == []


@pytest.mark.parametrize("option", ["--tasks", "--models", "--methods"])
def test_an_empty_name_list_is_an_error_not_everything(option, monkeypatch):
    """`--tasks "$TASKS"` with TASKS unset ran every task (8-14 minutes with --suite all)."""
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    calls = []
    monkeypatch.setattr(suites, "run_autows_unit", lambda *a, **k: calls.append(a) or ([], []))
    line = one_line_error(_bench([option, " , ", "--seeds", "1"]))
    assert f"{option} is empty" in line and calls == []


def test_a_dataset_folder_without_its_main_file_is_named(tmp_path):
    """`--tasks x` where wrench/x has no train.json said "no task or dataset 'x' ... (available:
    none)", as if the folder were not there."""
    (tmp_path / "wrench" / "x").mkdir(parents=True)
    (tmp_path / "wrench" / "x" / "test.json").write_text(json.dumps(_examples(TEST)))
    line = one_line_error(_bench(["--suite", "wrench", "--data-dir", str(tmp_path), "--tasks", "x"]))
    assert "wrench/x: no train.json, so not a wrench dataset" in line


def test_the_oracle_survives_a_failed_first_verifier_model(monkeypatch):
    """The oracle-weighted ensemble was computed with the first model only: when that model failed,
    the oracle rows (and the gap column) went missing from the verifiers tables."""
    from weaklabel.bench.verifiers import run_verifier_unit
    from weaklabel.models import MajorityVote

    class Broken(MajorityVote):
        def _fit(self, vm, y):
            raise RuntimeError("broken")

    monkeypatch.setitem(MODELS, "broken", Broken)
    recs, _ = run_verifier_unit("judges", 0, ["broken", "majority"], quick=True)
    names = [r["model"] for r in recs]
    assert "oracle-weighted" in names and names.count("pass@1") == 1
    assert "error" in recs[0] and "select_at_1" in recs[-1]
