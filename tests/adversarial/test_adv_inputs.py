"""Hostile or broken inputs give one line and exit code 1, never a traceback, a hang or a silently
wrong result: tampered votes metadata and model files, non-finite or mistyped hyper-parameters,
FIFOs, directories, duplicate or list-typed columns, terminal escapes and rich markup in names,
labeling functions that exit, interrupt, print or return misaligned Series."""

from __future__ import annotations

import json
import os
import textwrap

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _adv import one_line_error, run_cli, run_sub, temporaries, work  # noqa: F401  (work: a fixture)
from weaklabel import apply_lfs, labeling_function
from weaklabel.errors import LFDefinitionError, LFError
from weaklabel.models import MODELS, BaseLabelModel
from weaklabel.votes import VoteMatrix
from weaklabel.votes.file import read_votes


def _retag(src, dest, mutate):
    """Copy a votes file with its weaklabel metadata changed by ``mutate(meta)``."""
    table = pq.read_table(src)
    meta = json.loads(pq.read_metadata(src).metadata[b"weaklabel"])
    mutate(meta)
    raw = meta if isinstance(meta, (bytes, str)) else json.dumps(meta)
    pq.write_table(table.replace_schema_metadata({b"weaklabel": raw}), dest)


def _set(key, value):
    def f(meta):
        meta[key] = value
    return f


def _drop(key):
    def f(meta):
        meta.pop(key)
    return f


# --------------------------------------------------------------------------- votes metadata
@pytest.mark.parametrize("mutate,field", [
    (_set("cardinality", 10 ** 12), "cardinality"),
    (_set("cardinality", "2"), "cardinality"),
    (_set("cardinality", 1), "cardinality"),
    (_set("cardinality", 2.5), "cardinality"),
    (_drop("cardinality"), "cardinality"),
    (_drop("lfs"), "lfs"),
    (_set("lfs", "abc"), "lfs"),
    (_set("lfs", [{"nom": "x"}]), "lfs"),
    (_set("lfs", [{"name": 3}]), "lfs"),
    (_set("classes", ["neg"]), "classes"),                  # a wrong number of class names
    (_set("classes", ["neg", "pos", "extra"]), "classes"),
    (_set("classes", "neg,pos"), "classes"),
    (_set("classes", ["a", "a"]), "classes"),
    (_set("id_columns", "review_id"), "id_columns"),
    (_set("id_columns", [1]), "id_columns"),
    (_drop("id_columns"), "id_columns"),
    (_set("rows", -5), "rows"),
], ids=lambda x: x if isinstance(x, str) else "")
@pytest.mark.parametrize("command", ["fit", "analyze", "fit-stream"])
def test_tampered_votes_metadata_is_one_line_naming_the_field(work, mutate, field, command):
    _retag(work / "votes.parquet", work / "bad.parquet", mutate)
    argv = {"fit": ["fit", "bad.parquet", "-o", "l.parquet"], "analyze": ["analyze", "bad.parquet"],
            "fit-stream": ["fit", "bad.parquet", "-o", "l.parquet", "--stream"]}[command]
    r = run_cli(*argv)
    assert r.exit_code == 1
    assert field in one_line_error(r)
    assert not (work / "l.parquet").exists()


@pytest.mark.parametrize("raw", [b"1e999", b"[" * 100_000, b"{\"format\": NaN}", b"\xff\xfe", b"[]"])
def test_corrupt_metadata_json_is_one_line(work, raw):
    table = pq.read_table(work / "votes.parquet").replace_schema_metadata({b"weaklabel": raw})
    pq.write_table(table, work / "bad.parquet")
    r = run_cli("fit", "bad.parquet", "-o", "l.parquet")
    assert r.exit_code == 1
    assert "bad.parquet" in one_line_error(r)


# --------------------------------------------------------------------------- model files
@pytest.fixture
def model_json(work):
    r = run_cli("fit", "votes.parquet", "-o", "l0.parquet", "--save-model", "model.json", "-m", "ds", "-q")
    assert r.exit_code == 0
    return work / "model.json"


@pytest.mark.parametrize("tamper", [
    lambda d: "1e999",
    lambda d: "[" * 100_000 + "]" * 100_000,
    lambda d: json.dumps(d).replace('"tol": 1e-06', '"tol": NaN'),
    lambda d: json.dumps({**d, "params": {**d["params"], "random_state": -3}}),
    lambda d: json.dumps({**d, "params": {**d["params"], "random_state": "seed"}}),
    lambda d: json.dumps({**d, "params": {**d["params"], "smoothing": -1}}),
    lambda d: json.dumps({**d, "learned": {**d["learned"], "cardinality_": 10 ** 12}}),
    lambda d: json.dumps({**d, "learned": {**d["learned"], "n_lfs_": "7"}}),
    lambda d: json.dumps({**d, "learned": {**d["learned"], "class_balance_": [0.5, "x"]}}),
    lambda d: json.dumps({**d, "learned": {**d["learned"], "lf_names_": {"a": 1}}}),
    lambda d: json.dumps({**d, "learned": 5}),
    lambda d: json.dumps([d]),
    lambda d: "",
], ids=["1e999", "deep", "nan", "neg-seed", "str-seed", "neg-smoothing", "huge-K", "str-m", "str-cb",
        "dict-names", "learned-int", "list", "empty"])
def test_tampered_model_file_is_one_line(work, model_json, tamper):
    d = json.loads(model_json.read_text())
    model_json.write_text(tamper(d))
    r = run_cli("predict", "model.json", "votes.parquet", "-o", "p.parquet")
    assert r.exit_code == 1
    assert "model.json" in one_line_error(r)
    assert not (work / "p.parquet").exists()


def test_model_file_that_is_a_directory_or_fifo(work):
    (work / "dir.json").mkdir()
    r = run_cli("predict", "dir.json", "votes.parquet", "-o", "p.parquet")
    assert r.exit_code == 1 and "directory" in one_line_error(r)
    os.mkfifo(work / "fifo.json")
    r = run_sub("predict", "fifo.json", "votes.parquet", "-o", "p.parquet", cwd=work, timeout=60)
    assert r.returncode == 1 and "not a regular file" in one_line_error(r)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_fitted_on_zero_lfs_round_trip(name):
    L = np.full((12, 0), -1)
    m = MODELS[name]().fit(L)
    back = BaseLabelModel.from_dict(json.loads(json.dumps(m.to_dict())))
    p = back.predict_proba(L)
    assert p.shape == (12, 2) and np.allclose(p.sum(axis=1), 1)
    np.testing.assert_allclose(p, m.predict_proba(L))


# --------------------------------------------------------------------------- hyper-parameters
@pytest.mark.parametrize("model,param", [
    ("ds", "smoothing=NaN"), ("ds", "smoothing=Infinity"), ("onecoin", "smoothing=NaN"),
    ("hybrid", "conf_strength=NaN"), ("hybrid", "prior_accuracy=1.5"), ("weighted", "temperature=NaN"),
    ("weighted", "temperature=-1"), ("ds", "max_iter=ten"), ("ds", "max_iter=2.5"), ("mc", "l2=-1"),
    ("triplet", "min_overlap=true"), ("hybrid", "dependencies=3"), ("ds", "abstain=sometimes"),
    ("auto", "cv=1"), ("majority", "random_state=-1"),
], ids=lambda x: x)
def test_bad_hyper_parameters_are_rejected_naming_the_parameter(work, model, param):
    r = run_cli("fit", "votes.parquet", "-o", "l.parquet", "-m", model, "-p", param)
    assert r.exit_code == 1
    assert repr(param.split("=")[0]) in one_line_error(r)
    assert not (work / "l.parquet").exists()


def test_negative_seed_is_rejected(work):
    r = run_cli("fit", "votes.parquet", "-o", "l.parquet", "--seed", "-1")
    assert r.exit_code == 1 and "random_state" in one_line_error(r)


def test_every_hyper_parameter_of_every_model_has_a_constraint():
    for cls in set(MODELS.values()):
        assert set(cls._param_names()) <= set(cls._parameter_constraints), cls.__name__
        cls()._validate_params()  # defaults are valid


# --------------------------------------------------------------------------- files that are not tables
def test_fifo_inputs_are_refused_not_read(work):
    os.mkfifo(work / "fifo.parquet")
    os.mkfifo(work / "fifo.py")
    r = run_sub("apply", "lfs.py", "fifo.parquet", "-o", "v.parquet", cwd=work, timeout=60)
    assert r.returncode == 1 and "not a regular file" in one_line_error(r)
    r = run_sub("apply", "fifo.py", "reviews.parquet", "-o", "v.parquet", cwd=work, timeout=60)
    assert r.returncode == 1 and "not a regular file" in one_line_error(r)


def test_directory_and_unreadable_inputs_are_one_line_exit_1(work):
    (work / "empty").mkdir()
    r = run_cli("fit", "empty", "-o", "l.parquet")
    assert r.exit_code == 1 and one_line_error(r)
    r = run_cli("apply", "empty", "reviews.parquet", "-o", "v.parquet")
    assert r.exit_code == 1 and "directory" in one_line_error(r)
    if os.geteuid() != 0:
        (work / "votes.parquet").chmod(0)
        r = run_cli("fit", "votes.parquet", "-o", "l.parquet")
        assert r.exit_code == 1 and "permission denied" in one_line_error(r)


def test_duplicate_column_names_in_parquet(work):
    table = pa.Table.from_arrays([pa.array(["a", "b"]), pa.array(["x", "y"])], names=["text", "text"])
    pq.write_table(table, work / "dup.parquet")
    r = run_cli("apply", "lfs.py", "dup.parquet", "-o", "v.parquet")
    assert r.exit_code == 1 and "more than once" in one_line_error(r)


def test_list_typed_id_columns_are_refused_by_apply_and_fit(work, write_lfs):
    df = pd.DataFrame({"key": [[1, 2], [3]], "text": ["good", "bad"]})
    df.to_parquet(work / "lists.parquet")
    lfs = write_lfs("""
        @labeling_function()
        def good(x):
            return 1 if "good" in x.text else ABSTAIN
    """)
    r = run_cli("apply", lfs, "lists.parquet", "-o", "v.parquet", "--id-col", "key", "-k", "2")
    assert r.exit_code == 1 and "lists" in one_line_error(r)
    pd.DataFrame({"key": [[1], [2]], "lf": np.array([0, 1], dtype=np.int8)}).to_parquet(work / "plain.parquet")
    r = run_cli("fit", "plain.parquet", "-o", "l.parquet")
    assert r.exit_code == 1 and "lists" in one_line_error(r)


def test_autolf_text_col_on_a_numeric_column(work):
    pd.DataFrame({"n": np.arange(40), "label": [0, 1] * 20}).to_parquet(work / "nums.parquet")
    r = run_cli("autolf", "nums.parquet", "--label-col", "label", "--text-col", "n", "-o", "gen.py")
    assert r.exit_code == 1 and "not text" in one_line_error(r)


def test_bench_out_pointing_at_a_file(work):
    (work / "report.txt").write_text("keep me")
    r = run_cli("bench", "--suite", "autows", "--quick", "--out", "report.txt")
    assert r.exit_code == 1 and "folder" in one_line_error(r)
    assert (work / "report.txt").read_text() == "keep me"


# --------------------------------------------------------------------------- escapes and markup
HOSTILE_LFS = '''
from weaklabel import labeling_function, ABSTAIN

CLASSES = ["neg[/]", "pos\\x1b[31mRED"]

@labeling_function(name="bold[bold]x[/bold]\\x1b]0;title\\x07")
def a(x):
    return 1 if "good" in x.text else ABSTAIN

@labeling_function(name="close[/]")
def b(x):
    return 0 if "bad" in x.text else ABSTAIN
'''


def test_terminal_escapes_and_markup_in_names_are_shown_escaped(work):
    # an LF name with control characters is refused where it is defined (shown escaped); markup is a name
    (work / "hostile.py").write_text(HOSTILE_LFS)
    r = run_cli("apply", "hostile.py", "reviews.parquet", "-o", "h.parquet")
    assert r.exit_code == 1 and "\x1b" not in r.stdout + r.stderr and "\\x1b" in one_line_error(r)
    (work / "hostile.py").write_text(HOSTILE_LFS.replace("\\x1b]0;title\\x07", ""))
    r = run_cli("apply", "hostile.py", "reviews.parquet", "-o", "h.parquet")
    assert r.exit_code == 0, r.stderr
    out = r.stdout + r.stderr
    assert "\x1b" not in out and "\x07" not in out
    assert "bold[bold]x[/bold]" in out and "close[/]" in out
    # a votes file written by another tool may still name its LFs so: every command shows them escaped
    vm = read_votes(work / "h.parquet")
    VoteMatrix.from_dense(vm.to_dense(), cardinality=2, lf_names=["bold\x1b]0;title\x07", "close[/]"]).to_parquet(
        work / "h2.parquet")
    for argv in (["analyze", "h2.parquet"], ["fit", "h2.parquet", "-o", "hl.parquet"]):
        r = run_cli(*argv)
        assert r.exit_code == 0, r.stderr
        assert "\x1b" not in r.stdout + r.stderr and "close[/]" in r.stdout


def test_markup_in_names_never_crashes_after_writing(work):
    (work / "hostile.py").write_text(HOSTILE_LFS.replace("close[/]", "[/nope]").replace("\\x1b]0;title\\x07", ""))
    r = run_cli("apply", "hostile.py", "reviews.parquet", "-o", "h.parquet")
    assert r.exit_code == 0 and "[/nope]" in r.stdout


# --------------------------------------------------------------------------- LFs that misbehave
@pytest.mark.parametrize("body,what", [
    ("import sys; sys.exit(0)", "SystemExit"),
    ("raise SystemExit(3)", "SystemExit"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
])
@pytest.mark.parametrize("vectorized", [False, True])
def test_lf_that_exits_or_interrupts_is_an_lf_error(body, what, vectorized):
    ns: dict = {}
    exec(textwrap.dedent(f"""
        def f(x):
            {body}
    """), ns)
    lf = labeling_function(name="quitter", vectorized=vectorized)(ns["f"])
    df = pd.DataFrame({"text": ["a", "b"]})
    with pytest.raises(LFError, match=f"quitter.*{what}"):
        apply_lfs(df, [lf], cardinality=2)
    votes = apply_lfs(df, [lf], cardinality=2, on_error="abstain")
    assert (votes.to_dense() == -1).all()


def test_lf_raising_keyboard_interrupt_is_an_lf_error_where_sigint_is_ignored():
    """In a background job (``nohup``, ``&``) SIGINT is ignored, so no ``KeyboardInterrupt`` can be a
    Ctrl-C: an LF that raises one is still an LF error (it used to stop the caller, pytest included)."""
    import signal

    ns: dict = {}
    exec("def f(x):\n    raise KeyboardInterrupt\n", ns)
    lf = labeling_function(name="quitter")(ns["f"])
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with pytest.raises(LFError, match="quitter.*KeyboardInterrupt"):
            apply_lfs(pd.DataFrame({"text": ["a", "b"]}), [lf], cardinality=2)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN     # left as it was
    finally:
        signal.signal(signal.SIGINT, saved)


@pytest.mark.parametrize("code", ["0", "3"])
def test_lfs_py_calling_sys_exit_is_reported(work, code):
    (work / "exits.py").write_text(f"import sys\nsys.exit({code})\n")
    r = run_sub("apply", "exits.py", "reviews.parquet", "-o", "v.parquet", cwd=work, timeout=60)
    assert r.returncode == 1
    assert f"sys.exit({code})" in one_line_error(r)
    assert not (work / "v.parquet").exists()
    with pytest.raises(LFDefinitionError, match="sys.exit"):
        from weaklabel import load_lfs

        load_lfs(work / "exits.py")


def test_lf_prints_go_to_stderr_and_json_stdout_is_pure(work):
    (work / "chatty.py").write_text(textwrap.dedent('''
        from weaklabel import labeling_function, ABSTAIN
        print("loading my lfs")

        @labeling_function()
        def chatty(x):
            print("looking at", x.text[:10])
            return 1 if "good" in x.text else ABSTAIN

        @labeling_function(vectorized=True)
        def vec(df):
            print("a batch")
            return (df.text.str.len() > 50).astype(int) - 1
    '''))
    runs = [["-j", "1"], ["-j", "2"]]
    try:
        import distributed  # noqa: F401

        runs.append(["--engine", "dask", "-j", "1"])     # a LocalCluster's workers share our stdout
    except ImportError:
        pass
    for i, extra in enumerate(runs):
        r = run_sub("apply", "chatty.py", "reviews.parquet", "-o", f"c{i}.parquet", "--json", "-k", "2", *extra,
                    cwd=work)
        assert r.returncode == 0, r.stderr
        json.loads(r.stdout)
        assert "loading my lfs" in r.stderr and "looking at" in r.stderr


def test_vectorized_series_with_permuted_index_is_aligned_or_refused():
    df = pd.DataFrame({"x": [3, 1, 2, 5, 4]})

    @labeling_function(vectorized=True)
    def sorted_lf(d):
        s = d["x"].sort_values()                       # same labels, another order
        return (s > 2).astype(int)

    got = apply_lfs(df, [sorted_lf], cardinality=2).to_dense()[:, 0]
    np.testing.assert_array_equal(got, np.where(df["x"] > 2, 1, 0))

    @labeling_function(vectorized=True)
    def reindexed(d):
        return pd.Series(np.ones(len(d), dtype=int), index=d.index + 100)

    with pytest.raises(LFError, match="reindexed.*index"):
        apply_lfs(df, [reindexed], cardinality=2)


def test_refusals_leave_no_temporaries(work):
    assert not temporaries(work)


def test_usage_errors_exit_2_user_errors_exit_1(work):
    assert run_cli("fit", "votes.parquet", "-o", "l.parquet", "--no-such-option").exit_code == 2
    r = run_cli("fit", "missing.parquet", "-o", "l.parquet")
    assert r.exit_code == 1 and "missing.parquet" in one_line_error(r)


def test_corrupt_part_under_dask_is_one_line(work):
    pytest.importorskip("distributed")
    # a subprocess: Dask leaves threads behind in the process that used it
    r = run_sub("apply", "lfs.py", "reviews.parquet", "-o", "vd", "--engine", "dask", "-j", "2",
                "--partition-rows", "200", "--batch-size", "100", "-q", cwd=work)
    assert r.returncode == 0, r.stderr
    part = work / "vd" / "part.00001.parquet"
    raw = bytearray(part.read_bytes())
    raw[100:400] = b"\0" * 300
    part.write_bytes(bytes(raw))
    r = run_sub("fit", "vd", "-o", "ld", "--engine", "dask", "-j", "2", "-q", cwd=work)
    assert r.returncode == 1
    assert "part.00001.parquet" in one_line_error(r)
    assert not (work / "ld").exists() and not temporaries(work)


def test_select_escapes_verifier_names(tmp_path):
    from weaklabel.bench.verifiers import generate_suite

    table = generate_suite("math", 0, quick=True).table
    score_cols = [c for c in table.columns if c not in ("question_id", "candidate_id", "correct", "answer")]
    table = table.rename(columns={score_cols[0]: "rm[/]\x1b[2J", score_cols[1]: "[bold]judge"})
    table.to_parquet(tmp_path / "scores.parquet", index=False)
    r = run_cli("select", tmp_path / "scores.parquet", "-o", tmp_path / "sel.parquet")
    assert r.exit_code == 0, r.stderr
    assert "\x1b" not in r.stdout + r.stderr
    assert "rm[/]\\x1b[2J" in r.stdout and "[bold]judge" in r.stdout
