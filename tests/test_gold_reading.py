"""How gold label columns are read (class names that are digits, -1 as "no label", repeated ids)
and the user mistakes around `evaluate`, `report --data`, `autolf` and `predict --ties`."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix, evaluate
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.fit.labels import write_model_labels
from weaklabel.models import MajorityVote
from weaklabel.votes.gold import GoldNote, align_gold, gold_notes, labels_to_ids, load_dev

from conftest import EXAMPLE

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _notes(fn):
    """``(fn(), the GoldNote messages it raised)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fn()
    return res, [str(w.message) for w in caught if issubclass(w.category, GoldNote)]


# --------------------------------------------------------------------------- 1. digit class names
@pytest.fixture
def stars(tmp_path):
    """Votes and majority-vote labels for classes named "1" and "2" (star ratings), v < 5 -> "1"."""
    v = np.arange(10)
    L = np.column_stack([(v >= 5).astype(int), (v >= 4).astype(int)])
    ids = pd.DataFrame({"id": v})
    vm = VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b"], row_ids=ids, classes=["1", "2"])
    write_model_labels(MajorityVote(ties="abstain").fit(vm), vm, tmp_path / "l.parquet")
    data = pd.DataFrame({"id": v, "stars": (v >= 5) + 1})
    data.to_csv(tmp_path / "data.csv", index=False)
    data[data.stars == 1].to_csv(tmp_path / "g1.csv", index=False)
    return vm, tmp_path


def test_digits_are_class_names_when_the_classes_are_named_by_them(stars):
    vm, d = stars
    # every value a name (2 is no id of K=2): by name, no note
    y, notes = _notes(lambda: labels_to_ids(pd.Series([1, 2, 2.0, None]), 2, ["1", "2"], "g"))
    assert y.tolist() == [0, 1, 1, -1] and notes == []
    assert labels_to_ids(pd.Series(["1", "2", ""]), 2, ["1", "2"], "g").tolist() == [0, 1, -1]
    # 1 could be the name "1" (id 0) or the id 1 ("2"): the name, said in a note
    y, notes = _notes(lambda: labels_to_ids(pd.Series([1.0, 1.0]), 2, ["1", "2"], "g"))
    assert y.tolist() == [0, 0] and len(notes) == 1 and "read as class name" in notes[0]
    # names equal to their ids, or values that are no name: ids, no note
    y, notes = _notes(lambda: labels_to_ids(pd.Series([0, 1]), 2, ["0", "1"], "g"))
    assert y.tolist() == [0, 1] and notes == []
    assert labels_to_ids(pd.Series([0, 1]), 2, ["1", "2"], "g").tolist() == [0, 1]
    with pytest.raises(InputError, match=r"label 3 at row 1 is outside 0..1 nor a class name \(classes: 1, 2\)"):
        labels_to_ids(pd.Series([1, 3]), 2, ["1", "2"], "g")
    with pytest.raises(InputError, match="mix class names and class ids"):
        labels_to_ids(pd.Series(["neg", "1"]), 2, ["neg", "pos"], "g")
    # evaluate: the gold stars 1 are class "1" (0.000 before: taken as id 1, class "2")
    res = evaluate(d / "l.parquet", d / "g1.csv", "stars")
    # v=4 is a tie, left unlabelled: 4 of the 5 gold rows scored, all right
    assert res["gold_rows"] == 5 and res["accuracy"] == 1.0 and res["confusion_matrix"] == [[4, 0], [0, 0]]
    r = run("evaluate", d / "l.parquet", "--gold", d / "data.csv", "--label-col", "stars")   # was "outside 0..1"
    assert r.exit_code == 0, r.output
    r = run("evaluate", d / "l.parquet", "--gold", d / "g1.csv", "--label-col", "stars", "--json")
    assert r.exit_code == 0 and "read as class name" in r.stderr
    assert json.loads(r.stdout)["notes"] and json.loads(r.stdout)["accuracy"] == 1.0
    # analyze --gold and fit --dev read them the same way
    y = align_gold(vm, d / "data.csv", "stars")
    assert y.tolist() == [0] * 5 + [1] * 5
    _, y_dev, _ = load_dev(vm, d / "g1.csv", "stars")
    assert y_dev.tolist() == [0] * 5 + [-1] * 5


# --------------------------------------------------------------------------- 2. -1 / +1 gold
@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    d = tmp_path_factory.mktemp("reviews")
    assert run("apply", EXAMPLE / "lfs.py", EXAMPLE / "reviews.parquet", "-o", d / "votes.parquet",
               "--id-col", "review_id", "-q").exit_code == 0
    assert run("fit", d / "votes.parquet", "-o", d / "labels.parquet", "-q").exit_code == 0
    g = pd.read_parquet(EXAMPLE / "reviews.parquet")
    g["label"] = g.label.map({"negative": -1, "positive": 1})
    g.to_csv(d / "pm1.csv", index=False)
    return d


def test_minus_one_gold_is_counted_as_no_label_and_noted(reviews):
    d = reviews
    n_neg = int((pd.read_csv(d / "pm1.csv").label == -1).sum())
    res, notes = _notes(lambda: evaluate(d / "labels.parquet", d / "pm1.csv", "label"))
    assert res["gold_rows_no_label"] == res["gold_rows_minus_one"] == n_neg
    assert res["gold_rows_unmatched"] == 0          # was n_neg, blamed on ids
    assert len(notes) == 1 and "-1 read as \"no label\"" in notes[0] and "recode" in notes[0]
    r = run("evaluate", d / "labels.parquet", "--gold", d / "pm1.csv")
    assert r.exit_code == 0 and f"gold rows without a label, not scored: {n_neg} (-1: {n_neg}" in r.stdout
    assert "recode" in r.stderr and "have no row in" not in r.stderr
    data = json.loads(run("evaluate", d / "labels.parquet", "--gold", d / "pm1.csv", "--json").stdout)
    assert data["gold_rows_no_label"] == n_neg and len(data["notes"]) == 1
    # -1 as the unknown marker beside empty cells and one class: no note (what -1 means is unchanged)
    assert _notes(lambda: labels_to_ids(pd.Series([0, -1, None, 0]), 2, None, "g"))[1] == []
    # nor beside 0/1 labels: -1 for unknown is weaklabel's (and WRENCH's) own convention
    assert _notes(lambda: labels_to_ids(pd.Series([0, -1, 1, 0]), 2, None, "g"))[1] == []
    # every gold label -1: the error says why nothing matched
    pd.DataFrame({"review_id": ["r0000"], "label": [-1]}).to_csv(d / "allm1.csv", index=False)
    with pytest.raises(InputError, match="has no label .*1 -1"):
        evaluate(d / "labels.parquet", d / "allm1.csv", "label")


def test_report_gold_notes_minus_one_once(reviews):
    from weaklabel.htmlreport import report

    d = reviews
    shown = []
    with gold_notes(shown.append):
        report(d / "votes.parquet", gold=d / "pm1.csv", block_rows=100)     # 6 blocks, one note
    assert len(shown) == 1 and "-1 read as" in shown[0]
    r = run("report", d / "votes.parquet", "-o", d / "r.html", "--gold", d / "pm1.csv", "-f")
    assert r.exit_code == 0 and r.stderr.count("-1 read as") == 1


# --------------------------------------------------------------------------- 3. repeated label ids
def test_evaluate_refuses_labels_whose_ids_repeat(tmp_path):
    r = pd.read_parquet(EXAMPLE / "reviews.parquet")
    pd.concat([r, r.head(50)], ignore_index=True).to_parquet(tmp_path / "dup.parquet")
    r.to_csv(tmp_path / "gold.csv", index=False)
    assert run("apply", EXAMPLE / "lfs.py", tmp_path / "dup.parquet", "-o", tmp_path / "v.parquet",
               "--id-col", "review_id", "-q").exit_code == 0
    assert run("fit", tmp_path / "v.parquet", "-o", tmp_path / "l.parquet", "-q").exit_code == 0
    out = run("evaluate", tmp_path / "l.parquet", "--gold", tmp_path / "gold.csv")   # was 650 gold rows of 600
    assert out.exit_code == 1 and "appear more than once" in out.stderr and "'r0000'" in out.stderr
    # the gold table the votes were made from (the same repeated ids row for row): by position
    assert evaluate(tmp_path / "l.parquet", tmp_path / "dup.parquet")["gold_rows"] == 650
    # repeated ids no gold row matches: scored as usual
    r.iloc[100:].to_csv(tmp_path / "tail.csv", index=False)
    assert evaluate(tmp_path / "l.parquet", tmp_path / "tail.csv")["gold_rows"] == 500
    # a gold table without the id column is matched by position: no row is scored twice, no refusal
    pd.concat([r, r.head(50)], ignore_index=True).drop(columns=["review_id"]).to_csv(tmp_path / "pos.csv",
                                                                                      index=False)
    assert evaluate(tmp_path / "l.parquet", tmp_path / "pos.csv")["gold_rows"] == 650


def test_nullable_integer_gold_and_quiet_notes(reviews, tmp_path):
    """A pandas nullable Int64 label column (missing values as NA) is read (it raised a KeyError);
    `-q` prints no note on how a gold column was read."""
    d = reviews
    r = pd.read_parquet(EXAMPLE / "reviews.parquet")
    g = r[["review_id"]].assign(label=pd.array(np.where(r.label == "positive", 1, 0), dtype="Int64"))
    g.loc[::7, "label"] = pd.NA
    g.to_parquet(tmp_path / "int64.parquet")
    out = run("analyze", d / "votes.parquet", "--gold", tmp_path / "int64.parquet", "--json")
    assert out.exit_code == 0, out.output
    pm = r[["review_id"]].assign(label=np.where(r.label == "positive", 1, -1))
    pm.to_csv(tmp_path / "pm.csv", index=False)
    loud = run("analyze", d / "votes.parquet", "--gold", tmp_path / "pm.csv")
    assert loud.exit_code == 0 and "-1 read as" in loud.stderr
    quiet = run("analyze", d / "votes.parquet", "--gold", tmp_path / "pm.csv", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""


# --------------------------------------------------------------------------- 4. report --data
def test_report_data_without_ids_or_with_other_ids(reviews, tmp_path):
    d = reviews
    r = pd.read_parquet(EXAMPLE / "reviews.parquet")
    r.drop(columns=["review_id"]).to_csv(tmp_path / "noid.csv", index=False)
    r.drop(columns=["review_id"]).head(10).to_csv(tmp_path / "noid10.csv", index=False)
    other = r.assign(review_id="zz" + r.review_id)
    other.to_csv(tmp_path / "other.csv", index=False)
    # as the same table in Parquet: matched by position (was a TypeError on the CSV's unknown row count)
    out = run("report", d / "votes.parquet", "-o", tmp_path / "a.html", "--data", tmp_path / "noid.csv")
    assert out.exit_code == 0, out.output
    out = run("report", d / "votes.parquet", "-o", tmp_path / "b.html", "--data", tmp_path / "noid10.csv")
    assert out.exit_code == 1 and "noid10.csv: no id column 'review_id'" in out.stderr
    assert "Traceback" not in out.output and len(out.stderr.strip().splitlines()) == 1
    out = run("report", d / "votes.parquet", "-o", tmp_path / "c.html", "--data", tmp_path / "other.csv")
    assert out.exit_code == 1 and "ids matches a row" in out.stderr and "'zzr0000'" in out.stderr
    assert not (tmp_path / "c.html").exists()


# --------------------------------------------------------------------------- 5. autolf
def test_autolf_one_class_unknown_features_and_ranges(tmp_path):
    from weaklabel.autolf import generate_lfs

    r = pd.read_parquet(EXAMPLE / "reviews.parquet")
    r["label"] = np.where(r.label == "positive", 1.0, np.nan)
    r.to_csv(tmp_path / "one.csv", index=False)
    base = ("autolf", tmp_path / "one.csv", "--label-col", "label", "-o", tmp_path / "l.py")
    out = run(*base, "--text-col", "text")           # was: LFs that all vote class 1
    assert out.exit_code == 1 and "need at least 2 classes" in out.stderr and not (tmp_path / "l.py").exists()
    with pytest.raises(InputError, match="need at least 2 classes"):
        generate_lfs(pd.Series(["a b", "c d", "e f"]), np.array([1, 1, 1]))
    two = pd.read_parquet(EXAMPLE / "reviews.parquet")
    two.to_csv(tmp_path / "two.csv", index=False)
    base = ("autolf", tmp_path / "two.csv", "--label-col", "label", "-o", tmp_path / "l.py")
    out = run(*base, "--text-col", "text", "--features", "foo")
    assert out.exit_code == 1 and "no column 'foo'" in out.stderr
    out = run(*base, "--text-col", "text", "--features", "review_id")
    assert out.exit_code == 1 and "cannot be combined" in out.stderr
    out = run(*base, "--text-col", "text", "--max-lfs", "0")
    assert out.exit_code == 1 and "--max-lfs must be at least 1" in out.stderr
    out = run(*base, "--text-col", "text", "--min-accuracy", "1.5")
    assert out.exit_code == 1 and "--min-accuracy" in out.stderr and "between 0 and 1" in out.stderr
    with pytest.raises(InputError, match="max_lfs"):
        generate_lfs(pd.Series(["a", "b"]), np.array([0, 1]), max_lfs=0)


# --------------------------------------------------------------------------- 6. predict --ties
def test_predict_ties_is_checked_and_applied_as_fit_applies_it(reviews, tmp_path):
    d = reviews
    votes = d / "votes.parquet"
    assert run("fit", votes, "-o", tmp_path / "f.parquet", "-m", "majority", "--save-model", tmp_path / "maj.json",
               "-q").exit_code == 0
    out = run("predict", tmp_path / "maj.json", votes, "-o", tmp_path / "p.parquet", "--ties", "foo")
    assert out.exit_code == 1 and "--ties must be one of" in out.stderr and not (tmp_path / "p.parquet").exists()
    assert run("fit", votes, "-o", tmp_path / "h.parquet", "-m", "hybrid", "--save-model", tmp_path / "h.json",
               "-q").exit_code == 0
    out = run("predict", tmp_path / "h.json", votes, "-o", tmp_path / "p.parquet", "--ties", "uniform")
    assert out.exit_code == 1 and "--ties must be one of random, abstain" in out.stderr
    for ties in ("abstain", "uniform", "random"):
        assert run("fit", votes, "-o", tmp_path / f"fit_{ties}.parquet", "-m", "majority", "--ties", ties,
                   "-q").exit_code == 0
        for stream in ("--no-stream", "--stream"):
            p = tmp_path / f"pred_{ties}{stream}.parquet"
            out = run("predict", tmp_path / "maj.json", votes, "-o", p, "--ties", ties, stream, "-q")
            assert out.exit_code == 0, out.output
            a, b = pd.read_parquet(tmp_path / f"fit_{ties}.parquet"), pd.read_parquet(p)
            assert (a.label < 0).sum() == (b.label < 0).sum(), (ties, stream)      # was 84 vs 121 for abstain
            assert a.label.tolist() == b.label.tolist()
            np.testing.assert_allclose(a.filter(like="prob_").to_numpy(), b.filter(like="prob_").to_numpy())
    # without --ties: the model's own (a model fitted with --ties abstain keeps abstaining)
    assert run("fit", votes, "-o", tmp_path / "fa.parquet", "-m", "majority", "--ties", "abstain",
               "--save-model", tmp_path / "maj_abstain.json", "-q").exit_code == 0
    assert run("predict", tmp_path / "maj_abstain.json", votes, "-o", tmp_path / "pa.parquet", "-q").exit_code == 0
    labels = [pd.read_parquet(tmp_path / f).label.tolist() for f in ("pa.parquet", "fa.parquet")]
    assert labels[0] == labels[1]


def test_class_names_typed_another_way_are_the_same_class():
    """Gold labels with surrounding spaces, or accents in Unicode NFD (combining marks, as some
    editors and macOS file names write them) beside NFC class names, are those classes; before,
    ``"café"`` in NFD was "not a class name" and a class named ``" pos"`` could never be matched.
    Class names that only differ that way are refused as one class at apply."""
    import unicodedata

    from weaklabel.apply.job import resolve_cardinality

    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    assert nfc != nfd
    ids = labels_to_ids(pd.Series([nfd, "thé", " café ", None, "-1"]), 2, [nfc, "thé"], "gold.csv, column 'label'")
    assert ids.tolist() == [0, 1, 0, -1, -1]
    assert labels_to_ids(pd.Series(["pos", "neg", " pos"]), 2, [" pos", "neg"], "gold.csv").tolist() == [0, 1, 0]
    with pytest.raises(InputError, match=r"label 'other' is not a class id or class name"):
        labels_to_ids(pd.Series([nfd, "other"]), 2, [nfc, "thé"], "gold.csv")
    for names in ([nfc, nfd], ["pos", "pos "]):
        with pytest.raises(InputError, match="appears more than once; class names must be distinct .*without surrounding spaces, in Unicode NFC"):
            resolve_cardinality(names, None, None)


def test_labelled_dev_votes_for_classes_in_another_order_are_refused(tmp_path):
    """``fit --dev`` with labelled dev votes written by `apply` with the classes in another order
    (CLASSES reordered between the runs): the dev votes are class ids in their own order and were
    appended as they were, every one pointing to the other class, so the fit learned the LFs as
    adversarial and flipped the labels (exit 0). Refused now, naming both class lists; the same
    classes (typed with a trailing space) still fit."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    L = np.column_stack([np.where(rng.random(300) < 0.6, np.where(rng.random(300) < 0.85, y, 1 - y), -1)
                         for _ in range(4)])
    names = ["a", "b", "c", "d"]
    VoteMatrix.from_dense(L, cardinality=2, lf_names=names, classes=["neg", "pos"]).to_parquet(tmp_path / "v.parquet")

    def dev(classes, flip):
        Ld = np.where(L[:60] >= 0, 1 - L[:60], -1) if flip else L[:60]
        p = tmp_path / f"dev_{flip}.parquet"
        VoteMatrix.from_dense(Ld, cardinality=2, lf_names=names, classes=classes).to_parquet(p, force=True)
        df = pd.read_parquet(p)
        df["label"] = np.array(["neg", "pos"])[y[:60]]
        import pyarrow as pa
        import pyarrow.parquet as pq

        t = pa.Table.from_pandas(df, preserve_index=False)
        pq.write_table(t.replace_schema_metadata(pq.ParquetFile(p).metadata.metadata), p)
        return p

    vm = VoteMatrix.read_parquet(tmp_path / "v.parquet")
    with pytest.raises(InputError, match=r"dev_True.parquet: its votes are for classes pos, neg but the votes "
                                         r"has classes neg, pos \(in this order\)"):
        load_dev(vm, dev(["pos", "neg"], True), "label", votes_where="the votes")
    r = runner.invoke(app, ["fit", str(tmp_path / "v.parquet"), "-o", str(tmp_path / "l.parquet"), "-m", "ds",
                            "--dev", str(dev(["pos", "neg"], True))])
    assert r.exit_code == 1 and "its votes are for classes pos, neg" in r.output
    assert not (tmp_path / "l.parquet").exists()
    both, yy, n = load_dev(vm, dev(["neg ", "pos"], False), "label")
    assert n == 300 and both.n_rows == 360 and (yy[300:] == y[:60]).all()


def test_a_gold_file_without_the_votes_ids_is_matched_by_position_with_a_note(stars):
    """Votes with ids and a gold file of the same length without those id columns: the rows are
    matched by position (the documented rule), and a note says so, since a shuffled file would be
    scored against the wrong rows without a word."""
    vm, d = stars
    gold = pd.read_csv(d / "data.csv")[["stars"]]
    y, notes = _notes(lambda: align_gold(vm, gold, "stars"))
    assert y.tolist() == (gold.stars - 1).tolist()
    assert len(notes) == 1 and "none of the votes' id columns ['id']" in notes[0] and "by position" in notes[0]
    # with the ids: matched by id, no note
    assert _notes(lambda: align_gold(vm, pd.read_csv(d / "data.csv"), "stars"))[1] == []
    gold.to_csv(d / "noids.csv", index=False)
    r = run("evaluate", d / "l.parquet", "--gold", d / "noids.csv", "--label-col", "stars")
    assert r.exit_code == 0 and "by position" in r.stderr


@pytest.mark.parametrize("value, shown", [(np.inf, "inf"), (1.5, "1.5")])
def test_a_gold_label_that_is_no_class_id_is_named_as_written(value, shown):
    # inf read as "label -9223372036854775808" (with a numpy RuntimeWarning), 1.5 as "np.float64(1.5)"
    import warnings

    from weaklabel.errors import InputError
    from weaklabel.votes.gold import labels_to_ids

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match=rf"label {shown} at row 2 is not a class id"):
            labels_to_ids(pd.Series([0.0, 1.0, value]), 2, None, "gold.csv")
