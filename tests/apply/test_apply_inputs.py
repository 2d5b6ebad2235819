"""apply_lfs arguments and how a vectorized LF's KeyError is reported."""

import pandas as pd
import pytest

from weaklabel import ABSTAIN, LabelingFunction, apply_file, apply_lfs
from weaklabel.errors import InputError, LFError, MissingColumnError

LOOKUP = {"good": 1}


def _dict_lookup_lf():
    # a KeyError from a dict inside the LF: not a missing column
    return LabelingFunction("lookup", lambda df: df["word"].map(lambda w: LOOKUP[w]).to_numpy(), vectorized=True)


def test_vectorized_keyerror_from_a_dict_is_an_lf_error_not_a_missing_column():
    df = pd.DataFrame({"word": ["good", "bad"]})
    with pytest.raises(LFError) as info:
        apply_lfs(df, [_dict_lookup_lf()], cardinality=2)
    assert not isinstance(info.value, MissingColumnError)
    assert str(info.value).startswith("LF 'lookup' raised KeyError: 'bad' (vectorized, batch from row 0)")


def test_vectorized_keyerror_from_a_dict_honours_on_error_abstain():
    df = pd.DataFrame({"word": ["good", "bad"]})
    vm = apply_lfs(df, [_dict_lookup_lf()], cardinality=2, on_error="abstain")
    assert vm.to_dense()[:, 0].tolist() == [-1, -1] and vm.metadata["lfs"][0]["errors"] == 2


def test_vectorized_missing_column_is_still_a_missing_column():
    df = pd.DataFrame({"word": ["good"]})
    lf = LabelingFunction("wants_text", lambda df: df["text"].str.len(), vectorized=True)
    with pytest.raises(MissingColumnError, match="LF 'wants_text' needs column 'text'"):
        apply_lfs(df, [lf], cardinality=2, on_error="abstain")


@pytest.mark.parametrize("batch_size", [0, -5])
def test_batch_size_below_one_is_a_clear_error(batch_size):
    with pytest.raises(InputError, match=f"batch_size must be at least 1, got {batch_size}"):
        apply_lfs(pd.DataFrame({"a": [1]}), [LabelingFunction("one", lambda x: 1)], batch_size=batch_size)


def test_id_cols_as_one_string_is_one_column():
    df = pd.DataFrame({"id": [10, 11], "text": ["a", "b"]})
    vm = apply_lfs(df, [LabelingFunction("one", lambda x: 1)], cardinality=2, id_cols="id")
    assert list(vm.row_ids.columns) == ["id"] and vm.row_ids["id"].tolist() == [10, 11]
    with pytest.raises(InputError, match=r"no id column 'nope' \(columns: id, text\)"):
        apply_lfs(df, [LabelingFunction("one", lambda x: 1)], id_cols="nope")


def test_jobs_follows_the_cli_zero_is_all_cores_negative_is_an_error():
    df = pd.DataFrame({"text": ["a", "b"]})
    lf = LabelingFunction("one", lambda x: 1 if x.text == "a" else ABSTAIN)
    assert apply_lfs(df, [lf], cardinality=2, jobs=0).to_dense()[:, 0].tolist() == [1, -1]
    with pytest.raises(InputError, match=r"jobs must be >= 0 \(0 = all cores\), got -1"):
        apply_lfs(df, [lf], jobs=-1)
    with pytest.raises(InputError, match=r"jobs must be an int >= 0 \(0 = all cores\), got 1.5"):
        apply_lfs(df, [lf], jobs=1.5)


def test_apply_file_takes_one_id_column_as_a_string_and_jobs_zero(tmp_path):
    data = tmp_path / "d.parquet"
    pd.DataFrame({"id": [10, 11], "text": ["a", "b"]}).to_parquet(data)
    s = apply_file([LabelingFunction("one", lambda x: 1)], data, tmp_path / "v.parquet", cardinality=2,
                   id_cols="id", jobs=0)
    assert s.id_columns == ["id"] and s.rows == 2
    with pytest.raises(InputError, match="--batch-size must be at least 1, got 0"):
        apply_file([LabelingFunction("one", lambda x: 1)], data, tmp_path / "w.parquet", batch_size=0)


@pytest.mark.parametrize("suffix, header", [(".csv", "id,text,text"), (".tsv", "id\ttext\ttext"),
                                            (".csv", "\ufeffid,text,id")])
def test_a_repeated_csv_header_name_is_refused_as_in_parquet(tmp_path, suffix, header):
    # pandas reads "text,text" as text and text.1: the LFs would see the first column only and the
    # second under a name nobody wrote
    sep = "\t" if suffix == ".tsv" else ","
    data = tmp_path / f"d{suffix}"
    data.write_text(header + "\n" + sep.join(["1", "good", "bad"]) + "\n", encoding="utf-8")
    lf = LabelingFunction("f", lambda x: 1 if x.text == "good" else 0)
    name = "id" if header.startswith("\ufeff") else "text"
    with pytest.raises(InputError, match=f"d{suffix}: column name '{name}' appears more than once"):
        apply_file([lf], data, tmp_path / "votes.parquet", cardinality=2)
    assert not (tmp_path / "votes.parquet").exists()
    # blank header names are pandas' "Unnamed: k", not a repeat
    data.write_text(sep.join(["", "text", ""]) + "\n" + sep.join(["1", "good", "2"]) + "\n", encoding="utf-8")
    assert apply_file([lf], data, tmp_path / "votes.parquet", cardinality=2).rows == 1


def test_an_invalid_vote_of_a_vectorized_lf_names_the_row_id_as_a_plain_value():
    # ids of a vectorized LF's batch come from NumPy: the message read "(id=np.int64(5))"
    import numpy as np

    from weaklabel import labeling_function
    from weaklabel.apply import apply_lfs
    from weaklabel.errors import LFError

    @labeling_function(vectorized=True)
    def bad(df):
        return np.where(df["k"] == 5, 7, -1)

    with pytest.raises(LFError, match=r"on row 3 \(id=5\)"):
        apply_lfs(pd.DataFrame({"k": np.arange(2, 10, dtype=np.int64)}), [bad], cardinality=2, id_cols=["k"])
