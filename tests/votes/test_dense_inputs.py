"""Dense votes given to VoteMatrix.from_dense (and so to every model), select_lfs and take."""

import numpy as np
import pandas as pd
import pytest

from weaklabel import VoteMatrix
from weaklabel.errors import InputError
from weaklabel.models import MODELS


def test_unsigned_votes_with_a_wrapped_abstain_are_refused():
    L = np.array([[0, -1], [1, 0]]).astype(np.uint8)       # -1 became 255
    with pytest.raises(InputError, match=r"vote matrix: row 0, column 1: vote 255 in an unsigned array \(uint8\) "
                                         r"is -1 wrapped around; abstain must be -1 in a signed integer type"):
        VoteMatrix.from_dense(L)


def test_unsigned_votes_without_abstains_are_fine():
    vm = VoteMatrix.from_dense(np.array([[0, 1], [1, 0]], dtype=np.uint8))
    assert vm.cardinality == 2 and vm.to_dense().tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("bad, shown", [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_nan_and_inf_name_the_first_bad_cell(bad, shown):
    L = np.array([[0.0, 1.0], [1.0, bad]])
    msg = rf"vote matrix: row 1, LF 'b': vote is {shown}; votes must be integers 0..K-1 with -1 for abstain"
    for K in (None, 2):
        with pytest.raises(InputError, match=msg):
            VoteMatrix.from_dense(L, cardinality=K, lf_names=["a", "b"])


def test_nullable_frame_with_na_names_the_first_missing_cell():
    df = pd.DataFrame({"kw": pd.array([0, 1, -1], dtype="Int64"), "regex": pd.array([1, None, 0], dtype="Int64")})
    with pytest.raises(InputError, match=r"vote matrix: row 1, LF 'regex': missing value \(NA\); abstains must be -1"):
        VoteMatrix.from_dense(df)


def test_nullable_frame_without_na_is_read():
    df = pd.DataFrame({"kw": pd.array([0, 1, -1], dtype="Int64"), "regex": [1, 0, 0]})
    assert VoteMatrix.from_dense(df).to_dense().tolist() == [[0, 1], [1, 0], [-1, 0]]


def test_strings_name_the_column_and_row():
    df = pd.DataFrame({"kw": [0, 1], "label": ["pos", "neg"]})
    with pytest.raises(InputError, match=r"vote matrix: row 0, LF 'label': 'pos' \(str\) is not a vote"):
        VoteMatrix.from_dense(df)
    with pytest.raises(InputError, match=r"vote matrix: got dtype <U3, e.g. 'pos' in row 0, column 0"):
        VoteMatrix.from_dense(np.array([["pos", "neg"]]))


def test_a_vote_above_the_class_limit_is_refused_not_allocated():
    L = np.array([[0, 1], [1, 10 ** 6]])
    msg = r"vote matrix: row 1, column 1: vote 1000000 is above the limit of 32767 classes"
    with pytest.raises(InputError, match=msg):
        VoteMatrix.from_dense(L)
    # a model inferring K first asks whether the column is row ids (models/inputs.py): one line either way
    with pytest.raises(InputError, match=r"vote matrix: column 1 looks like row ids.*1,000,001 classes"):
        MODELS["majority"]().fit(L)


def test_a_cardinality_above_int16_is_refused_rather_than_wrapped():
    with pytest.raises(InputError, match="vote matrix: cardinality 80000 is above the limit of 32767 classes"):
        VoteMatrix.from_dense(np.array([[0, 70000], [1, 0]]), cardinality=80000)


def test_duplicate_lf_names_are_refused():
    with pytest.raises(InputError, match="vote matrix: LF name 'a' is used twice; LF names must be unique"):
        VoteMatrix.from_dense(np.array([[0, 1], [1, 0]]), lf_names=["a", "a"])


def test_classes_must_match_the_cardinality():
    with pytest.raises(InputError, match=r"vote matrix: 3 class names \['neg', 'pos', 'meh'\] for cardinality 2"):
        VoteMatrix.from_dense(np.array([[0, 1]]), cardinality=2, classes=["neg", "pos", "meh"])


def test_row_ids_must_have_one_row_per_vote_row():
    with pytest.raises(InputError, match="vote matrix: 3 row ids for 2 rows"):
        VoteMatrix.from_dense(np.array([[0, 1], [1, 0]]), row_ids=pd.DataFrame({"id": [1, 2, 3]}))


def _vm():
    return VoteMatrix.from_dense(np.array([[0, 1, -1], [1, -1, 0], [-1, 0, 1]]), lf_names=["a", "b", "c"])


def test_select_lfs_names_unknown_lfs():
    with pytest.raises(InputError, match=r"select_lfs: no LF named 'z', 'y' \(3 LFs: 'a', 'b', 'c'\)"):
        _vm().select_lfs(["a", "z", "y"])


def test_select_lfs_refuses_an_lf_twice():
    with pytest.raises(InputError, match="select_lfs: LF 'a' is selected twice"):
        _vm().select_lfs(["a", "a"])
    with pytest.raises(InputError, match="select_lfs: LF 'c' is selected twice"):
        _vm().select_lfs([2, "c"])


def test_take_accepts_slices_and_masks():
    vm = _vm()
    assert vm.take(slice(1, None)).to_dense().tolist() == [[1, -1, 0], [-1, 0, 1]]
    assert vm.take(slice(None, None, -1)).to_dense().tolist() == vm.to_dense()[::-1].tolist()
    assert vm.take(np.array([True, False, True])).to_dense().tolist() == [[0, 1, -1], [-1, 0, 1]]
    with pytest.raises(InputError, match="take: rows must be integer positions, a boolean mask or a slice, "
                                         "got dtype float64"):
        vm.take([0.5])


def test_a_frame_s_column_names_are_its_lf_names():
    """A model fitted on a DataFrame reads another frame by column name: with the columns in
    another order it gave each LF another's accuracy, silently (the names were ``lf_0`` ...)."""
    df = pd.DataFrame({"kw": [0, 1, -1], "regex": [1, -1, 0]})
    assert VoteMatrix.from_dense(df).lf_names == ["kw", "regex"]
    assert VoteMatrix.from_dense(df, lf_names=["a", "b"]).lf_names == ["a", "b"]
    # pandas' default columns 0 .. m-1 are no names: read by position, as a numpy array
    assert VoteMatrix.from_dense(pd.DataFrame(df.to_numpy())).lf_names == ["lf_0", "lf_1"]
    with pytest.raises(InputError, match="LF name '1' is used twice"):
        VoteMatrix.from_dense(pd.DataFrame([[0, 1]], columns=[1, "1"]))


def test_duplicate_class_names_are_refused():
    with pytest.raises(InputError, match=r"vote matrix: class 'pos ' appears more than once in classes"):
        VoteMatrix.from_dense(np.array([[0, 1]]), classes=["pos", "pos "])
    with pytest.raises(InputError, match="class 'a' appears more than once"):
        VoteMatrix(np.array([0, 1]), np.array([0]), np.array([1]), ["x"], cardinality=2, classes=["a", "a"])


def test_a_scipy_sparse_matrix_is_refused_naming_what_to_pass():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(InputError, match=r"vote matrix: got a scipy sparse csr_matrix, whose unstored cells read "
                                         r"as 0, a vote for class 0; pass a dense array with -1 for abstain"):
        VoteMatrix.from_dense(sparse.csr_matrix(np.array([[1, 0], [0, 1]])))


@pytest.mark.parametrize("ids, tail", [([1, 2], "got list"), (np.arange(2), "got ndarray"),
                                        (pd.Series([1, 2], name="id"), "(a Series s: s.to_frame()), got Series")])
def test_row_ids_must_be_a_frame(ids, tail):
    """A list or Series was taken, then take() and to_parquet() failed with an AttributeError
    ('list' object has no attribute 'iloc' / 'columns')."""
    for build in (lambda: VoteMatrix.from_dense(np.array([[0, 1], [1, 0]]), row_ids=ids),
                  lambda: VoteMatrix(np.array([0, 1, 2]), np.array([0, 1]), np.array([0, 1]), ["a", "b"],
                                     cardinality=2, row_ids=ids)):
        with pytest.raises(InputError) as err:
            build()
        msg = str(err.value)
        assert msg.startswith("vote matrix: row_ids must be a pandas DataFrame of id columns, e.g. "
                              "pd.DataFrame({'id': ids})") and msg.endswith(tail), msg


def test_two_votes_of_one_lf_in_a_row_are_refused():
    """CSR arrays with an LF twice in a row were taken: to_dense showed one vote, every model
    counted two (majority vote gave the row to the LF's doubled class)."""
    with pytest.raises(InputError, match="vote matrix: row 1 holds two votes of LF 'a'; an LF votes at most once a row"):
        VoteMatrix(np.array([0, 2, 5]), np.array([0, 1, 1, 0, 0]), np.array([0, 1, 1, 1, 0]), ["a", "b"],
                   cardinality=2)
    # indices in another order within a row are still fine
    vm = VoteMatrix(np.array([0, 2, 4]), np.array([1, 0, 0, 1]), np.array([1, 0, 0, 1]), ["a", "b"], cardinality=2)
    assert vm.to_dense().tolist() == [[0, 1], [0, 1]]


def test_api_minors_from_the_nineteenth_session_review():
    """One LF given to apply_lfs without a list, a numpy int cardinality, a None or empty class
    name and a single class name: each works or is refused naming what is wrong."""
    import numpy as np
    import pandas as pd
    import pytest

    from weaklabel import LabelModel, VoteMatrix, apply_lfs, labeling_function
    from weaklabel.errors import InputError

    @labeling_function()
    def one(x):
        return 1 if "a" in x.text else 0

    vm = apply_lfs(pd.DataFrame({"text": ["a", "b"]}), one, cardinality=2)
    assert vm.lf_names == ["one"] and vm.to_dense()[:, 0].tolist() == [1, 0]
    with pytest.raises(InputError, match="list of labeling functions"):
        apply_lfs(pd.DataFrame({"text": ["a"]}), 3)
    L = np.array([[0, 1, 0], [1, 1, -1], [0, 0, 0], [1, -1, 1]])
    assert LabelModel(cardinality=np.int64(2)).fit(L).predict(L).shape == (4,)
    for bad in ([None, "a"], ["", "a"], [" ", "b"]):
        with pytest.raises(InputError, match="class names must be non-empty"):
            VoteMatrix.from_dense(np.array([[0, 1]]), classes=bad)
    with pytest.raises(InputError, match=r"classes \['a'\]"):
        VoteMatrix.from_dense(np.array([[0, 0]]), classes=["a"])
