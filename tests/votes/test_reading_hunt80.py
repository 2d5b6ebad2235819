"""Vote and gold files made by other tools, read by `weaklabel analyze` (and the readers under it):
a Snorkel ``L`` saved with pandas (integer or MultiIndex column names, a saved index), a gold
file saved with its ids as the pandas index, a plain file's ``doc_id`` that holds votes, an LF
whose votes are class names, ids that differ only in spaces or Unicode normalisation. Each was a
traceback, a silently wrong figure or a silently dropped LF; figures are checked against plain
numpy."""

from __future__ import annotations

import json
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix
from weaklabel.cli import app
from weaklabel.votes.gold import VotesNote
from weaklabel.votes.reader import VotesSource

from conftest import one_line_error

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def make_votes(n=120, m=4, seed=80):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    fire = rng.random((n, m)) < 0.6
    right = rng.random((n, m)) < 0.8
    L = np.where(fire, np.where(right, y[:, None], 1 - y[:, None]), -1)
    return L, y


def reference(L, y):
    """Per-LF coverage, overlaps, conflicts, correct and incorrect by plain numpy."""
    v = L >= 0
    per_row = v.sum(axis=1)
    out = []
    for j in range(L.shape[1]):
        other = v & (L != L[:, [j]])
        out.append({"coverage": v[:, j].mean(), "overlaps": (v[:, j] & (per_row > 1)).mean(),
                    "conflicts": (v[:, j] & other.any(axis=1)).mean(),
                    "correct": int((v[:, j] & (L[:, j] == y)).sum()),
                    "incorrect": int((v[:, j] & (L[:, j] != y)).sum())})
    return out


def analyze_json(votes, gold=None):
    args = ["analyze", votes, "--json"] + (["--gold", gold] if gold is not None else [])
    r = run(*args)
    assert r.exit_code == 0, (r.stderr, r.exception)
    return json.loads(r.stdout), r.stderr


def assert_figures(report, L, y, names):
    assert [d["lf"] for d in report["lfs"]] == names
    for got, want in zip(report["lfs"], reference(L, y)):
        for k, v in want.items():
            assert got[k] == pytest.approx(v), (got["lf"], k)


# ----------------------------------------------------------------- pandas-saved vote files
def test_snorkel_L_saved_with_pandas_default_column_names_is_read(tmp_path):
    """``pd.DataFrame(L).to_parquet()``: Parquet columns "0".."3", which pandas reads back as the
    integers 0..3; looked up by name they were a KeyError traceback."""
    L, y = make_votes()
    votes, gold = tmp_path / "L.parquet", tmp_path / "gold.parquet"
    pd.DataFrame(L).to_parquet(votes)
    pd.DataFrame({"label": y}).to_parquet(gold)
    report, _ = analyze_json(votes, gold)
    assert_figures(report, L, y, ["0", "1", "2", "3"])
    assert VoteMatrix.read_parquet(votes).to_dense().tolist() == L.tolist()


def test_multiindex_columns_saved_with_pandas_are_read(tmp_path):
    L, y = make_votes()
    df = pd.DataFrame(L, columns=pd.MultiIndex.from_tuples([("kw", f"lf{j}") for j in range(L.shape[1])]))
    votes = tmp_path / "L.parquet"
    df.to_parquet(votes)
    vm = VoteMatrix.read_parquet(votes)
    assert vm.lf_names == [str(("kw", f"lf{j}")) for j in range(L.shape[1])]
    assert vm.to_dense().tolist() == L.tolist()


def test_a_saved_pandas_index_is_an_id_column_not_an_lf(tmp_path):
    """``L.set_index("doc").to_parquet()``: the index is saved as an integer column ``doc``,
    which the plain-file rule took for an LF (``fit --stream``: K = the largest doc + 1) and the
    in-memory reader, which pandas hands the index back to, failed on with a KeyError."""
    L, y = make_votes(n=60)
    doc = np.random.default_rng(1).permutation(60)
    df = pd.DataFrame(L, columns=[f"lf{j}" for j in range(L.shape[1])])
    df.index = pd.Index(doc, name="doc")
    votes, gold = tmp_path / "L.parquet", tmp_path / "gold.parquet"
    df.to_parquet(votes)
    pd.DataFrame({"doc": doc[::-1], "label": y[::-1]}).to_parquet(gold)   # matched by id, not position
    report, _ = analyze_json(votes, gold)
    assert_figures(report, L, y, ["lf0", "lf1", "lf2", "lf3"])
    assert report["totals"]["cardinality"] == 2
    vm = VoteMatrix.read_parquet(votes)
    assert list(vm.row_ids.columns) == ["doc"] and vm.row_ids["doc"].tolist() == doc.tolist()
    src = VotesSource(votes)
    assert src.lf_names == ["lf0", "lf1", "lf2", "lf3"] and src.cardinality == 2
    as_lf = VoteMatrix.read_parquet(votes, id_cols=[])   # named an LF by the caller: read as one
    assert as_lf.lf_names == ["lf0", "lf1", "lf2", "lf3", "doc"] and as_lf.to_dense()[:, 4].tolist() == doc.tolist()


# ----------------------------------------------------------------- gold saved with pandas
@pytest.mark.parametrize("index", [["id"], ["id", "batch"]])
def test_gold_saved_with_its_ids_as_the_pandas_index_is_matched_by_id(tmp_path, index):
    """``gold.set_index("id").to_parquet()``: read back through pandas the ids were the index, not
    a column, so the gold file was matched with the votes by position: wrong figures, exit 0."""
    L, y = make_votes(n=200)
    ids = np.arange(1000, 1200)
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b", "c", "d"],
                          row_ids=pd.DataFrame({"id": ids})).to_parquet(votes)
    perm = np.random.default_rng(2).permutation(200)
    gold = tmp_path / "gold.parquet"
    pd.DataFrame({"id": ids[perm], "batch": 7, "label": y[perm]}).set_index(index).to_parquet(gold)
    report, err = analyze_json(votes, gold)
    assert_figures(report, L, y, ["a", "b", "c", "d"])
    assert "by position" not in err
    r = run("fit", votes, "-o", tmp_path / "labels.parquet", "-m", "majority")
    assert r.exit_code == 0, r.stderr
    r = run("evaluate", tmp_path / "labels.parquet", "--gold", gold, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["gold_rows"] == 200


def test_gold_saved_with_its_label_as_the_pandas_index_is_read(tmp_path):
    L, y = make_votes(n=100)
    ids = np.arange(100)
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b", "c", "d"],
                          row_ids=pd.DataFrame({"id": ids})).to_parquet(votes)
    gold = tmp_path / "gold.parquet"
    pd.DataFrame({"id": ids, "label": y}).set_index("label").to_parquet(gold)
    report, _ = analyze_json(votes, gold)   # was: "no label column 'label' (columns: id)"
    assert_figures(report, L, y, ["a", "b", "c", "d"])


# ----------------------------------------------------------------- id columns that look like votes
def test_an_id_named_column_that_holds_minus_one_gets_a_note(tmp_path):
    """A plain file's ``doc_id`` is an id column by the name rule; when it holds -1 (votes) a
    note says so (it was left out of the figures without a word)."""
    L, y = make_votes()
    df = pd.DataFrame(L[:, 1:], columns=["b", "c", "d"])
    df.insert(0, "doc_id", L[:, 0])
    votes = tmp_path / "votes.parquet"
    df.to_parquet(votes)
    report, err = analyze_json(votes)
    assert [d["lf"] for d in report["lfs"]] == ["b", "c", "d"]   # the rule is kept
    note = [ln for ln in err.splitlines() if "doc_id" in ln]
    assert len(note) == 1 and note[0].startswith("note:") and "holds -1, the abstain code" in note[0]
    assert "df.rename(columns={'doc_id': 'doc_lf'})" in note[0]
    with pytest.warns(VotesNote, match="'doc_id' is read as row ids"):
        VoteMatrix.read_parquet(votes)
    with pytest.warns(VotesNote, match="'doc_id' is read as row ids"):   # fit --stream, report: statistics
        VotesSource(votes)
    r = run("analyze", votes, "-q")
    assert r.exit_code == 0 and not r.stderr.strip()


def test_a_real_id_column_gets_no_note(tmp_path):
    L, _ = make_votes()
    df = pd.DataFrame(L, columns=["a", "b", "c", "d"])
    df.insert(0, "doc_id", np.arange(len(df)))
    df.insert(1, "name", [f"r{i}" for i in range(len(df))])
    votes = tmp_path / "votes.parquet"
    df.to_parquet(votes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VotesNote)
        VoteMatrix.read_parquet(votes)
        VotesSource(votes)
    report, err = analyze_json(votes)
    assert "note" not in err and len(report["lfs"]) == 4


@pytest.mark.parametrize("categorical", [False, True])
def test_an_lf_of_class_names_read_as_ids_gets_a_note(tmp_path, categorical):
    """An LF written as class names ("pos"/"neg", None for abstain) is a text column, an id column
    by the type rule: it was dropped from the figures without a word."""
    L, _ = make_votes()
    df = pd.DataFrame(L[:, :3], columns=["a", "b", "c"])
    names = pd.Series(np.where(L[:, 3] < 0, None, np.where(L[:, 3] == 1, "pos", "neg")), dtype=object)
    df["d"] = names.astype("category") if categorical else names
    votes = tmp_path / "votes.parquet"
    df.to_parquet(votes)
    report, err = analyze_json(votes)
    assert [d["lf"] for d in report["lfs"]] == ["a", "b", "c"]
    note = [ln for ln in err.splitlines() if "'d'" in ln]
    assert len(note) == 1 and note[0].startswith("note:")
    assert "its values repeat (2 distinct: 'neg', 'pos')" in note[0]


# ----------------------------------------------------------------- ids spelled otherwise
@pytest.mark.parametrize("spell, shown", [
    (lambda s: unicodedata.normalize("NFD", s), r"'caf\xe90' against 'cafe\u03010'"),
    (lambda s: f" {s} ", r"'caf\xe90' against ' caf\xe90 '"),
])
def test_ids_that_differ_only_in_spaces_or_normalisation_are_named_as_such(tmp_path, spell, shown):
    """The error showed 'café0' on both sides (NFC against NFD look the same)."""
    L, y = make_votes(n=50)
    ids = [f"café{i}" for i in range(50)]
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b", "c", "d"],
                          row_ids=pd.DataFrame({"id": ids})).to_parquet(votes)
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"id": [spell(s) for s in ids], "label": y}).to_csv(gold, index=False)
    line = one_line_error(run("analyze", votes, "--gold", gold))
    assert "none of its 50 ids matches" in line
    assert f"the ids differ only in surrounding spaces or Unicode normalisation (NFC/NFD), e.g. {shown}" in line


def test_rows_filtered_in_pandas_then_saved_match_gold_by_their_id_column(tmp_path):
    """``df[mask].to_parquet()`` saves the index the filter left as ``__index_level_0__`` beside
    ``doc_id``; taken for a second id column, gold with ``doc_id`` alone was refused ("has the
    votes' id column doc_id but not __index_level_0__")."""
    L, y = make_votes(n=200)
    keep = np.random.default_rng(3).random(200) < 0.7
    df = pd.DataFrame(L, columns=["a", "b", "c", "d"])
    df.insert(0, "doc_id", [f"d{i}" for i in range(200)])
    votes, gold = tmp_path / "votes.parquet", tmp_path / "gold.parquet"
    df[keep].to_parquet(votes)
    pd.DataFrame({"doc_id": [f"d{i}" for i in range(200)], "label": y}).to_parquet(gold)
    report, _ = analyze_json(votes, gold)
    assert_figures(report, L[keep], y[keep], ["a", "b", "c", "d"])
    vm = VoteMatrix.read_parquet(votes)
    assert list(vm.row_ids.columns) == ["doc_id"]
    assert VotesSource(votes).id_columns == ["doc_id"]


def test_an_unnamed_saved_index_alone_stays_the_id_column(tmp_path):
    L, _ = make_votes(n=50)
    df = pd.DataFrame(L, columns=["a", "b", "c", "d"]).iloc[np.random.default_rng(4).permutation(50)]
    votes = tmp_path / "votes.parquet"
    df.to_parquet(votes)
    vm = VoteMatrix.read_parquet(votes)
    assert list(vm.row_ids.columns) == ["__index_level_0__"] and vm.lf_names == ["a", "b", "c", "d"]


def test_a_dataset_whose_first_part_is_empty_and_untyped_is_read(tmp_path):
    """An empty part written by pandas has columns of Arrow's null type; the dataset's LF columns
    were taken from it and refused ("column 'a' has type null")."""
    L, y = make_votes(n=90)
    folder = tmp_path / "votes"
    folder.mkdir()
    pd.DataFrame({c: pd.Series([], dtype=object) for c in ["doc_id", "a", "b", "c", "d"]}).to_parquet(
        folder / "part-00000.parquet")
    df = pd.DataFrame(L, columns=["a", "b", "c", "d"])
    df.insert(0, "doc_id", [f"d{i}" for i in range(90)])
    df.iloc[:40].to_parquet(folder / "part-00001.parquet")
    df.iloc[40:].to_parquet(folder / "part-00002.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    gold = tmp_path / "gold.parquet"
    pd.DataFrame({"doc_id": [f"d{i}" for i in range(90)][::-1], "label": y[::-1]}).to_parquet(gold)
    report, _ = analyze_json(folder, gold)
    assert_figures(report, L, y, ["a", "b", "c", "d"])
    src = VotesSource(folder)
    assert src.lf_names == ["a", "b", "c", "d"] and src.cardinality == 2


def test_a_dask_written_dataset_matches_gold_by_its_id_column(tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    L, y = make_votes(n=150)
    df = pd.DataFrame(L, columns=["a", "b", "c", "d"])
    df.insert(0, "doc_id", [f"d{i}" for i in range(150)])
    dd.from_pandas(df, npartitions=3).to_parquet(str(tmp_path / "votes"))
    gold = tmp_path / "gold.parquet"
    pd.DataFrame({"doc_id": df["doc_id"][::-1], "label": y[::-1]}).to_parquet(gold)
    report, _ = analyze_json(tmp_path / "votes", gold)
    assert_figures(report, L, y, ["a", "b", "c", "d"])


def test_a_gold_label_column_saved_beside_the_votes_gets_a_note(tmp_path):
    """``df["label"] = Y`` beside Snorkel's ``L``: an integer column, so an LF by the rule (kept),
    that is the truth; the label model fitted it as one more source, without a word."""
    L, y = make_votes()
    df = pd.DataFrame(L, columns=["a", "b", "c", "d"])
    df["label"] = y
    votes = tmp_path / "votes.parquet"
    df.to_parquet(votes)
    report, err = analyze_json(votes)
    assert [d["lf"] for d in report["lfs"]] == ["a", "b", "c", "d", "label"]
    note = [ln for ln in err.splitlines() if "'label'" in ln]
    assert len(note) == 1 and note[0].startswith("note:") and "named like gold labels" in note[0]
    with pytest.warns(VotesNote, match="'label' is read as an LF's votes"):
        VotesSource(votes)
    with pytest.warns(VotesNote):
        vm = VoteMatrix.read_parquet(votes)
    vm.to_parquet(tmp_path / "wl.parquet")
    with warnings.catch_warnings():   # a votes file written by weaklabel: its LFs are its LFs
        warnings.simplefilter("error", VotesNote)
        VoteMatrix.read_parquet(tmp_path / "wl.parquet")
        VotesSource(tmp_path / "wl.parquet")


def test_a_delta_lake_table_folder_is_refused_not_read_with_its_old_files(tmp_path):
    """A Delta table's folder keeps the part files an overwrite removed (until VACUUM): read as a
    folder of Parquet parts, the old version's rows were counted beside the current ones."""
    L, _ = make_votes(n=80)
    folder = tmp_path / "votes_delta"
    (folder / "_delta_log").mkdir(parents=True)
    df = pd.DataFrame(L, columns=["a", "b", "c", "d"])
    df.to_parquet(folder / "part-00000-old.snappy.parquet")     # version 0, removed by version 1
    df.to_parquet(folder / "part-00000-new.snappy.parquet")     # version 1
    (folder / "_delta_log" / "00000000000000000000.json").write_text("{}\n")
    (folder / "_delta_log" / "00000000000000000001.json").write_text("{}\n")
    line = one_line_error(run("analyze", folder))
    assert line.startswith(f"error: {folder}: is a Delta Lake table (it has a _delta_log folder)")
    assert "write its current version as Parquet" in line


@pytest.mark.parametrize("name", ["Doc_ID", "doc_id ", "DOC_ID"])
def test_gold_whose_id_column_is_named_otherwise_and_shuffled_is_refused(tmp_path, name):
    """Gold with ``Doc_ID`` for the votes' ``doc_id`` has "none of the id columns", so it was
    matched by position with a note; shuffled, every figure was against other rows (exit 0)."""
    L, y = make_votes(n=100)
    ids = [f"d{i:03d}" for i in range(100)]
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b", "c", "d"],
                          row_ids=pd.DataFrame({"doc_id": ids})).to_parquet(votes)
    perm = np.random.default_rng(5).permutation(100)
    gold = tmp_path / "gold.csv"
    pd.DataFrame({name: np.array(ids)[perm], "label": y[perm]}).to_csv(gold, index=False)
    line = one_line_error(run("analyze", votes, "--gold", gold))
    assert f"has none of {votes}'s id columns ['doc_id'] but {name!r} for 'doc_id', named otherwise" in line
    assert "rename the column(s) as in the votes" in line
    same = tmp_path / "same.csv"   # in the votes' order: position is the match, as before (with the note)
    pd.DataFrame({name: ids, "label": y}).to_csv(same, index=False)
    report, err = analyze_json(votes, same)
    assert_figures(report, L, y, ["a", "b", "c", "d"])
    assert "matched with" in err and "by position" in err


def test_a_gold_class_no_lf_votes_in_a_plain_file_says_how_to_give_the_classes(tmp_path):
    """A plain file's K is its largest vote + 1: a crowd that never chose class 2 has K = 2, and
    gold rows of class 2 were "outside 0..1" with no way out."""
    votes, gold = tmp_path / "votes.parquet", tmp_path / "gold.parquet"
    pd.DataFrame({"w1": [0, 1, -1, 0], "w2": [0, 1, 1, -1]}).to_parquet(votes)
    pd.DataFrame({"label": [0, 2, 1, 0]}).to_parquet(gold)
    line = one_line_error(run("analyze", votes, "--gold", gold))
    assert "label 2 at row 1 is outside 0..1 (the votes have no weaklabel metadata, so their number of classes is " \
           "their largest vote + 1, 2, and no LF votes a class above" in line
    VoteMatrix.read_parquet(votes, cardinality=3).to_parquet(tmp_path / "k3.parquet")   # the way out it gives
    report, _ = analyze_json(tmp_path / "k3.parquet", gold)
    assert report["totals"]["cardinality"] == 3 and report["totals"]["labelled_rows"] == 4
    written = tmp_path / "wl.parquet"   # a weaklabel file's K is its own: no such hint
    VoteMatrix.read_parquet(votes).to_parquet(written)
    assert "no weaklabel metadata" not in one_line_error(run("analyze", written, "--gold", gold))
