import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from weaklabel import ABSTAIN, LabelingFunction, Row, VoteMatrix, apply_file, apply_lfs
from weaklabel.errors import InputError, LFError, MissingColumnError
from weaklabel.io import read_metadata


def _random_frame(n, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array(["spam", "ham", "free", "win", "hello", "meeting", "cash", "now"])
    texts = [" ".join(rng.choice(words, size=rng.integers(1, 6))) for _ in range(n)]
    return pd.DataFrame({"id": np.arange(n) * 7 + 3, "text": texts, "score": rng.normal(size=n)})


def _make_lfs():
    lfs = []
    for k, word in enumerate(["spam", "free", "win", "cash"]):
        lfs.append(LabelingFunction(f"kw_{word}", lambda x, w: 1 if w in x.text else ABSTAIN,
                                    resources={"w": word}))
    lfs.append(LabelingFunction("ham_or_meeting", lambda x: 0 if ("ham" in x.text or "meeting" in x.text)
                                else ABSTAIN))
    lfs.append(LabelingFunction("score_rule", lambda x: (2 if x.score > 1 else 0) if abs(x.score) > 0.5 else ABSTAIN))
    lfs.append(LabelingFunction("vec_hello", lambda df: np.where(df.text.str.contains("hello"), 0, ABSTAIN),
                                vectorized=True))
    lfs.append(LabelingFunction("vec_now", lambda df: np.where(df.text.str.contains("now"), 1, -1).astype(np.int8),
                                vectorized=True))
    return lfs


def _naive(df, lfs):
    out = np.full((len(df), len(lfs)), -1, dtype=np.int64)
    for j, lf in enumerate(lfs):
        if lf.vectorized:
            out[:, j] = np.asarray(lf(df))
        else:
            for i, rec in enumerate(df.to_dict("records")):
                out[i, j] = lf(Row(rec))
    return out


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_apply_equals_naive_reference(batch_size):
    df = _random_frame(300, seed=batch_size)
    lfs = _make_lfs()
    vm = apply_lfs(df, lfs, cardinality=3, batch_size=batch_size, id_cols=["id"])
    assert vm.cardinality == 3 and vm.lf_names == [lf.name for lf in lfs]
    np.testing.assert_array_equal(vm.to_dense(), _naive(df, lfs))
    assert vm.row_ids["id"].tolist() == df["id"].tolist()


def test_cardinality_is_inferred_when_not_given():
    vm = apply_lfs(_random_frame(50), _make_lfs())
    assert vm.cardinality == 3


def test_multiprocess_equals_serial_byte_for_byte(tmp_path):
    df = _random_frame(6000, seed=3)
    data = tmp_path / "data.parquet"
    df.to_parquet(data, row_group_size=1000)
    lfs_py = tmp_path / "lfs.py"
    lfs_py.write_text(
        "import numpy as np\nfrom weaklabel import labeling_function, ABSTAIN\nCLASSES=['a','b','c']\n"
        "@labeling_function\ndef spam(x): return 1 if 'spam' in x.text else ABSTAIN\n"
        "@labeling_function\ndef ham(x): return 0 if 'ham' in x.text else ABSTAIN\n"
        "@labeling_function\ndef hi(x): return 2 if x.score > 1 else (0 if x.score < -1 else ABSTAIN)\n"
        "@labeling_function(vectorized=True)\ndef now(df): return np.where(df.text.str.contains('now'), 1, ABSTAIN)\n")
    one = apply_file(lfs_py, data, tmp_path / "one.parquet", jobs=1, batch_size=2500, id_cols=["id"])
    two = apply_file(lfs_py, data, tmp_path / "two.parquet", jobs=2, batch_size=2500, id_cols=["id"])
    assert two.jobs == 2 and one.jobs == 1
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()
    vm = VoteMatrix.read_parquet(tmp_path / "one.parquet")
    assert vm.n_rows == 6000 and vm.classes == ["a", "b", "c"]


@pytest.mark.parametrize("with_rowwise", [False, True])
def test_vectorized_lfs_in_threads_equal_serial(tmp_path, with_rowwise):
    """With jobs > 1, groups of vectorized LFs run in threads (and row-wise LFs in processes when
    there are any): same bytes as jobs=1, and the same first error."""
    df = _random_frame(6000, seed=4)
    data = tmp_path / "data.parquet"
    df.to_parquet(data, row_group_size=1000)
    src = ("import numpy as np\nfrom weaklabel import labeling_function, ABSTAIN\nCLASSES=['a','b','c']\n"
           "@labeling_function(vectorized=True)\ndef now(df): return np.where(df.text.str.contains('now'), 1, ABSTAIN)\n"
           "@labeling_function(vectorized=True)\ndef hi(df): return np.where(df.score > 1, 2, ABSTAIN)\n"
           "@labeling_function(vectorized=True)\n"
           "def ham(df): return np.where(df.text.str.contains(r'\\bham'), 0, ABSTAIN)\n")
    if with_rowwise:
        src += "@labeling_function\ndef spam(x): return 1 if 'spam' in x.text else ABSTAIN\n"
    lfs_py = tmp_path / "lfs.py"
    lfs_py.write_text(src)
    one = apply_file(lfs_py, data, tmp_path / "one.parquet", jobs=1, batch_size=2500, id_cols=["id"])
    two = apply_file(lfs_py, data, tmp_path / "two.parquet", jobs=2, batch_size=2500, id_cols=["id"])
    assert two.jobs == 2 and one.jobs == 1
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()
    np.testing.assert_array_equal(VoteMatrix.read_parquet(tmp_path / "one.parquet").to_dense()[:, 0],
                                  np.where(df.text.str.contains("now"), 1, -1))
    # an out-of-range vote in the last vectorized LF, from the second batch on
    lfs_py.write_text(src + "@labeling_function(vectorized=True)\n"
                            "def bad(df): return np.where(df['id'] >= 3000, 7, ABSTAIN)\n")
    messages = []
    for jobs in (1, 2):
        with pytest.raises(LFError) as e:
            apply_file(lfs_py, data, tmp_path / f"bad{jobs}.parquet", jobs=jobs, batch_size=2500, id_cols=["id"])
        messages.append(str(e.value))
        assert not (tmp_path / f"bad{jobs}.parquet").exists()
    assert messages[0] == messages[1] and "bad" in messages[0] and "7" in messages[0]


def test_output_format_and_metadata(tmp_path):
    df = _random_frame(100)
    data = tmp_path / "in.parquet"
    df.to_parquet(data)
    lfs = _make_lfs()
    s = apply_file(lfs, data, tmp_path / "votes.parquet", jobs=1, id_cols=["id"], cardinality=3)
    schema = pq.read_schema(tmp_path / "votes.parquet")
    assert schema.names == ["id"] + [lf.name for lf in lfs]
    assert all(str(schema.field(lf.name).type) == "int8" for lf in lfs)
    meta = read_metadata(tmp_path / "votes.parquet")
    assert meta["format"] == "weaklabel.votes" and meta["cardinality"] == 3 and meta["rows"] == 100
    assert [d["name"] for d in meta["lfs"]] == [lf.name for lf in lfs]
    assert [d["hash"] for d in meta["lfs"]] == [lf.source_hash for lf in lfs]
    assert meta["input"]["name"] == "in.parquet" and meta["input"]["rows"] == 100
    assert s.rows == 100
    # without id columns a 0-based position column is written
    apply_file(lfs, data, tmp_path / "v2.parquet", jobs=1, cardinality=3)
    t = pq.read_table(tmp_path / "v2.parquet")
    assert t.column("row").to_pylist() == list(range(100))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_csv_and_jsonl_inputs(tmp_path, suffix):
    df = _random_frame(40)
    p = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        df.to_csv(p, index=False)
    else:
        df.to_json(p, orient="records", lines=True)
    apply_file(_make_lfs(), p, tmp_path / "v.parquet", jobs=1, batch_size=16, cardinality=3)
    vm = VoteMatrix.read_parquet(tmp_path / "v.parquet")
    np.testing.assert_array_equal(vm.to_dense(), _naive(df, _make_lfs()))


def test_intenum_class_ids_are_votes_row_wise_as_vectorized():
    # an IntEnum of the classes is an int; row-wise LFs refused it while vectorized ones took it
    import enum

    class Label(enum.IntEnum):
        NEG = 0
        POS = 1

    df = pd.DataFrame({"text": ["good", "bad", "meh"]})
    pick = {"good": Label.POS, "bad": Label.NEG, "meh": ABSTAIN}
    lfs = [LabelingFunction("row", lambda x: pick[x.text]),
           LabelingFunction("vec", lambda d: [pick[t] for t in d.text] + [], vectorized=True),
           LabelingFunction("vec_obj", lambda d: np.array([pick[t] for t in d.text], dtype=object), vectorized=True)]
    assert apply_lfs(df, lfs, cardinality=2).to_dense().tolist() == [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]
    with pytest.raises(LFError, match=r"returned True \(bool\)"):   # bool stays refused
        apply_lfs(df, [LabelingFunction("b", lambda d: np.array([True, None, 1], dtype=object), vectorized=True)],
                  cardinality=2)


@pytest.mark.parametrize("value, shown", [
    (1.0, "1.0 (float)"), (True, "True (bool)"), (None, "None (NoneType)"),
    (float("nan"), "nan (float)"), (5, "5 (int)"), (-2, "-2 (int)"), ("1", "'1' (str)"),
])
def test_invalid_votes_name_lf_row_and_value(value, shown):
    df = pd.DataFrame({"key": ["a", "b", "c"], "text": ["x", "bad", "y"]})
    lf = LabelingFunction("picky", lambda x: value if x.text == "bad" else ABSTAIN)
    with pytest.raises(LFError) as info:
        apply_lfs(df, [lf], cardinality=2, id_cols=["key"])
    msg = str(info.value)
    assert "LF 'picky'" in msg and "row 1" in msg and "id='b'" in msg and shown in msg
    assert info.value.position == 1 and info.value.row_id == "b"


@pytest.mark.parametrize("result", [np.array([1.0, 0.0]), np.array([True, False]), np.array([0, 3]),
                                    np.array([0]), pd.Series([1, None], dtype="Int64")])
def test_invalid_vectorized_votes(result):
    lf = LabelingFunction("vec", lambda df: result, vectorized=True)
    with pytest.raises(LFError, match="LF 'vec'"):
        apply_lfs(pd.DataFrame({"text": ["a", "b"]}), [lf], cardinality=2)


@pytest.mark.parametrize("dtype", ["Int64", "UInt8", "int8[pyarrow]"])
def test_nullable_int_votes_with_a_missing_value_name_that_row(dtype):
    # to_numpy() turned them all into floats: the error named row 0 and "1.0", and under
    # on_error="abstain" every vote of the LF was dropped, not just the missing one
    result = pd.Series([1, None, 0], dtype=dtype)
    lf = LabelingFunction("vec", lambda df: result, vectorized=True)
    df = pd.DataFrame({"text": ["a", "b", "c"]})
    with pytest.raises(LFError, match=rf"LF 'vec' returned <NA> \(NAType\) \[dtype {re.escape(dtype)}\] on row 1;"):
        apply_lfs(df, [lf], cardinality=2)
    vm = apply_lfs(df, [lf], cardinality=2, on_error="abstain")
    assert vm.to_dense()[:, 0].tolist() == [1, -1, 0] and vm.metadata["lfs"][0]["errors"] == 1


def test_on_error_raise_and_abstain():
    df = pd.DataFrame({"text": ["ok", "boom", "ok", "boom"]})

    def f(x):
        if x.text == "boom":
            raise ValueError("cannot parse")
        return 1

    lf = LabelingFunction("fragile", f)
    with pytest.raises(LFError, match=r"LF 'fragile' raised ValueError: cannot parse on row 1"):
        apply_lfs(df, [lf], cardinality=2)
    vm = apply_lfs(df, [lf], cardinality=2, on_error="abstain")
    assert vm.to_dense()[:, 0].tolist() == [1, -1, 1, -1]
    assert vm.metadata["lfs"][0]["errors"] == 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_lf_that_edits_its_row_or_batch_does_not_change_the_other_lfs_votes(jobs):
    """An LF that writes to its row (or its preprocessed row, or its batch) changes its own copy:
    the LFs after it vote on the data as read, as they do when they run alone (apply --update)."""
    from weaklabel import preprocessor

    @preprocessor
    def upper(x):
        x.text = x.text.upper()

    def clobber(x):
        x.text = "spam"
        x["score"] = 9.0
        x.pop("id")
        return ABSTAIN

    def clobber_pre(x):
        x.text = "SPAM"
        return ABSTAIN

    def clobber_batch(df):
        df["text"] = "spam"
        del df["score"]
        return np.full(len(df), ABSTAIN)

    df = _random_frame(2500, seed=5)
    before = df.copy()
    readers = [LabelingFunction("spam", lambda x: 1 if "spam" in x.text else 0),
               LabelingFunction("high", lambda x: 1 if x.score > 1 else ABSTAIN),
               LabelingFunction("has_id", lambda x: 1 if "id" in x else 0),
               LabelingFunction("SPAM", lambda x: 1 if "SPAM" in x.text else 0, pre=[upper]),
               LabelingFunction("vec_spam", lambda d: np.where(d.text.str.contains("spam"), 1, 0), vectorized=True),
               LabelingFunction("vec_high", lambda d: np.where(d.score > 1, 1, ABSTAIN), vectorized=True)]
    writers = [LabelingFunction("clobber", clobber), LabelingFunction("clobber_pre", clobber_pre, pre=[upper]),
               LabelingFunction("clobber_batch", clobber_batch, vectorized=True)]
    alone = apply_lfs(df, readers, cardinality=2).to_dense()
    for lfs in (writers + readers, readers[:2] + writers + readers[2:]):
        dense = apply_lfs(df, lfs, cardinality=2, jobs=jobs, batch_size=1000).to_dense()
        got = dense[:, [lfs.index(lf) for lf in readers]]
        np.testing.assert_array_equal(got, alone)
    # and failing after the edit (on_error="abstain") changes nothing either
    def clobber_then_fail(x):
        x.text = "spam"
        raise ValueError("late")

    lfs = [LabelingFunction("fails", clobber_then_fail)] + readers
    got = apply_lfs(df, lfs, cardinality=2, on_error="abstain").to_dense()[:, 1:]
    np.testing.assert_array_equal(got, alone)
    pd.testing.assert_frame_equal(df, before)   # the caller's DataFrame is untouched


def test_missing_column_is_always_an_error():
    df = pd.DataFrame({"body": ["a"]})
    row_lf = LabelingFunction("wants_text", lambda x: 1 if x.text else 0)
    vec_lf = LabelingFunction("vec_wants_text", lambda df: df["text"].str.len(), vectorized=True)
    for lf in (row_lf, vec_lf):
        for policy in ("raise", "abstain"):
            with pytest.raises(MissingColumnError) as info:
                apply_lfs(df, [lf], cardinality=2, on_error=policy)
            assert info.value.column == "text" and f"LF {lf.name!r} needs column 'text'" in str(info.value)


def test_failed_run_leaves_no_output(tmp_path):
    df = _random_frame(5000)
    data = tmp_path / "d.parquet"
    df.to_parquet(data, row_group_size=500)
    bad = LabelingFunction("late_failure", lambda x: 1 / 0 if x.id == df["id"].iloc[4000] else 1)
    out = tmp_path / "votes.parquet"
    for jobs in (1, 2):
        with pytest.raises(LFError, match="row 4000"):
            apply_file([bad], data, out, jobs=jobs, batch_size=1000, cardinality=2)
        assert not out.exists()
        assert [p.name for p in tmp_path.iterdir()] == ["d.parquet"]


def test_existing_output_needs_force(tmp_path):
    df = _random_frame(10)
    data = tmp_path / "d.parquet"
    df.to_parquet(data)
    out = tmp_path / "v.parquet"
    out.write_text("keep me")
    with pytest.raises(InputError, match="already exists"):
        apply_file(_make_lfs(), data, out, jobs=1)
    assert out.read_text() == "keep me"
    apply_file(_make_lfs(), data, out, jobs=1, force=True)
    assert VoteMatrix.read_parquet(out).n_rows == 10


def test_bad_inputs(tmp_path):
    lfs = _make_lfs()
    with pytest.raises(InputError, match="no such file"):
        apply_file(lfs, tmp_path / "missing.parquet", tmp_path / "v.parquet")
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"this is not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        apply_file(lfs, garbage, tmp_path / "v.parquet")
    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"text": pd.Series([], dtype=str)}).to_parquet(empty)
    with pytest.raises(InputError, match="has no rows"):
        apply_file(lfs, empty, tmp_path / "v.parquet")
    ok = tmp_path / "ok.parquet"
    _random_frame(5).to_parquet(ok)
    with pytest.raises(InputError, match="no id column 'nope'"):
        apply_file(lfs, ok, tmp_path / "v.parquet", id_cols=["nope"])
    assert not (tmp_path / "v.parquet").exists()


def test_cardinality_conflicts(write_lfs, tmp_path):
    p = write_lfs("CLASSES = ['a', 'b']\n@labeling_function\ndef f(x): return 1\n")
    data = tmp_path / "d.parquet"
    _random_frame(5).to_parquet(data)
    with pytest.raises(InputError, match="disagrees"):
        apply_file(p, data, tmp_path / "v.parquet", cardinality=3)
    with pytest.raises(InputError, match="disagrees"):
        apply_file(p, data, tmp_path / "v.parquet", classes=["x", "y"])


def test_outputs_get_the_usual_file_mode(tmp_path):
    """Atomic writes go through a private temp file (0600); the output must end up with the mode a
    plain open() gives under the umask, or keep the mode of the file it replaces."""
    import os
    import stat

    df = _random_frame(50)
    data = tmp_path / "in.parquet"
    df.to_parquet(data)
    out = tmp_path / "votes.parquet"
    old = os.umask(0o022)
    try:
        apply_file(_make_lfs(), data, out, jobs=1, cardinality=3)
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        os.chmod(out, 0o640)
        apply_file(_make_lfs(), data, out, jobs=1, cardinality=3, force=True)
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_worker_processes_are_forked_before_the_reader_and_writer_threads_start(tmp_path):
    import multiprocessing as mp
    import os
    import threading

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork start method")
    from weaklabel import apply_file
    seen = []
    recording = threading.Event()

    # threads another test left behind (a multiprocessing queue's feeder, on a loaded machine) are
    # not this run's: only threads started by apply_file count
    baseline = {t.ident for t in threading.enumerate()}

    def before_fork():
        if recording.is_set():
            seen.append(sorted(t.name for t in threading.enumerate() if t.ident not in baseline or
                               t is threading.main_thread()))

    os.register_at_fork(before=before_fork)
    (tmp_path / "lfs.py").write_text("from weaklabel import labeling_function\n"
                                     "@labeling_function\ndef a(x):\n    return int('e' in x.text)\n"
                                     "@labeling_function\ndef b(x):\n    return -1\n")
    pd.DataFrame({"text": [f"row {i} e" if i % 3 else f"row {i}" for i in range(6000)]}).to_parquet(
        tmp_path / "d.parquet", row_group_size=1000)
    recording.set()
    try:
        apply_file(tmp_path / "lfs.py", tmp_path / "d.parquet", tmp_path / "v.parquet", jobs=2, batch_size=1000,
                   cardinality=2)
    finally:
        recording.clear()
    assert seen, "no worker was forked"
    assert all(names == ["MainThread"] for names in seen), seen
