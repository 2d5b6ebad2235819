"""Review of the commits 45703a2 (criticism sums), 69821a4 (bench CSV line numbers), c1661ef
(examples) and 9f6d02f (votes and gold reading): each test failed before its fix."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from weaklabel import VoteMatrix
from weaklabel.bench.validate import csv_line
from weaklabel.votes.gold import VotesNote
from weaklabel.votes.reader import VotesSource



# ----------------------------------------------------------------- bench CSV line numbers (69821a4)
@pytest.mark.parametrize("text, encoding, want", [
    # a quoted cell holding a character str.splitlines() breaks at but pandas and editors do not
    ('a,b\n"x\x0cy",1\nz,2\nw,3\n', "utf-8", ["line 2", "line 3", "line 4"]),          # form feed
    ('a,b\n"x\u2028y",1\nz,2\nw,3\n', "utf-8", ["line 2", "line 3", "line 4"]),        # line separator
    ('a,b\n"x\x85y",1\nz,2\nw,3\n', "latin-1", ["line 2", "line 3", "line 4"]),        # cp1252's "..." read as Latin-1
    ('a,b\nx\x0c\x0cy,1\nz,2\nw,3\n', "utf-8", ["line 2", "line 3", "line 4"]),        # unquoted
    # lines pandas reads as rows though the csv module gives one empty or blank cell
    ('a,b\n""\nz,2\nw,3\n', "utf-8", ["line 2", "line 3", "line 4"]),
    ('a,b\n\xa0\nz,2\nw,3\n', "utf-8", ["line 2", "line 3", "line 4"]),                # no-break space: not blank
    ('a,b\n\x0c\nz,2\nw,3\n', "utf-8", ["line 2", "line 3", "line 4"]),
    # a BOM and a blank line before the header (pandas drops the BOM, then skips the line)
    ("\ufeff\na,b\nw,1\nz,2\n", "utf-8", ["line 3", "line 4"]),
    # what the commit fixed stays fixed
    ("a,b\n\n1,2\n  \n3,\"4\n5\"\n6,7\n", "utf-8", ["line 3", "line 5", "line 7"]),
    ("a,b\r\n1,2\r\n\r\n \t \r\n3,4\r\n", "utf-8", ["line 2", "line 5"]),
])
def test_csv_line_names_the_line_pandas_read_the_row_from(tmp_path, text, encoding, want):
    p = tmp_path / "x.csv"
    p.write_bytes(text.encode(encoding))
    df = pd.read_csv(p, encoding=encoding)
    assert len(df) == len(want)                       # the rows pandas reads: the ones we name
    assert [csv_line(p, r) for r in range(len(df))] == want


# ----------------------------------------------------------------- votes reading notes (9f6d02f)
def _notes(path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        VoteMatrix.read_parquet(path)
        VotesSource(path)
    return [str(w.message) for w in caught if issubclass(w.category, VotesNote)]


def _lfs(n, seed=0):
    rng = np.random.default_rng(seed)
    return {f"lf{j}": rng.integers(-1, 2, n) for j in range(3)}


def test_an_id_column_holding_minus_one_among_distinct_ids_gets_no_note(tmp_path):
    """Ids -1, 0, 1, ... all different: they cannot be an LF's votes (which repeat on more rows
    than classes); the note called them "like an LF's votes"."""
    n = 500
    p = tmp_path / "votes.parquet"
    pd.DataFrame({"doc_id": np.arange(-1, n - 1), **_lfs(n)}).to_parquet(p, index=False)
    assert _notes(p) == []


def test_an_id_named_lf_holding_minus_one_still_gets_its_note(tmp_path):
    n = 500
    p = tmp_path / "votes.parquet"
    pd.DataFrame({"doc_id": np.random.default_rng(1).integers(-1, 2, n), **_lfs(n)}).to_parquet(p, index=False)
    notes = _notes(p)
    assert len(notes) == 2 and all("'doc_id' is read as row ids" in t for t in notes)   # read_votes, VotesSource


def test_a_text_column_of_a_composite_id_gets_no_note(tmp_path):
    """``(item, worker)`` rows: ``worker`` repeats (few workers) but is half of each row's id; the
    note called it an LF's votes written as class names."""
    n_items = 300
    p = tmp_path / "votes.parquet"
    pd.DataFrame({"item": np.repeat(np.arange(n_items), 3), "worker": ["w1", "w2", "w3"] * n_items,
                  **_lfs(3 * n_items)}).to_parquet(p, index=False)
    vm = VoteMatrix.read_parquet(p)
    assert list(vm.row_ids.columns) == ["item", "worker"]
    assert _notes(p) == []


def test_a_class_name_lf_beside_a_unique_id_still_gets_its_note(tmp_path):
    n = 300
    p = tmp_path / "votes.parquet"
    names = np.array(["neg", "pos", None], dtype=object)[np.random.default_rng(2).integers(0, 3, n)]
    pd.DataFrame({"doc_id": np.arange(n), "d": names, **_lfs(n)}).to_parquet(p, index=False)
    notes = _notes(p)
    assert any("'d' is read as row ids" in t and "2 distinct: 'neg', 'pos'" in t for t in notes)


def test_lf_columns_of_a_wide_batch_are_all_found():
    """``lf_frame`` checked each LF name against a list of the batch's columns: O(m^2) per batch
    (m = 20,000 crowd workers: seconds per batch of every votes file read)."""
    from weaklabel.votes.file import lf_frame

    m = 20_000
    names = [f"w{j}" for j in range(m)]
    df = pd.DataFrame(np.zeros((2, m), dtype=np.int8), columns=[str(n) for n in names])
    out = lf_frame(df, names, "votes.parquet")      # (speed: measured by hand, 0.64 s -> ms per batch at m = 8,000)
    assert out.shape == (2, m) and list(out.columns) == names


def test_two_class_name_lfs_without_an_id_column_both_get_their_note(tmp_path):
    """The composite-id rule above looks at the id columns other than such columns: two LFs of
    class names beside no id column are not each other's ids."""
    n = 300
    rng = np.random.default_rng(3)
    p = tmp_path / "votes.parquet"
    pd.DataFrame({"d": np.array(["neg", "pos"], dtype=object)[rng.integers(0, 2, n)],
                  "e": np.array(["neg", "pos"], dtype=object)[rng.integers(0, 2, n)], **_lfs(n)}).to_parquet(p)
    notes = _notes(p)
    assert any("'d' is read as row ids" in t for t in notes) and any("'e' is read as row ids" in t for t in notes)


# ----------------------------------------------------------------- criticism (45703a2)
@pytest.mark.parametrize("m, K, e", [(20, 2, 50_000), (5, 3, 7), (3, 40, 10_000), (2, 250, 100)])
def test_outcome_probabilities_are_the_full_tables_cells_bit_for_bit(m, K, e):
    from weaklabel.models.criticism import _outcome_probs

    rng = np.random.default_rng(K)
    A = rng.random((m, K, K + 1)) * 10.0 ** rng.integers(-8, 4, (m, K, K + 1))
    pool = rng.random((K, K + 1))
    a = 1.0 * (K + 1)
    src, val = rng.integers(0, m, e), rng.integers(0, K + 1, e)
    C = (A + a * pool[None]) / (A.sum(axis=2, keepdims=True) + a)     # before 45703a2
    assert np.array_equal(_outcome_probs(A, a * pool, A.sum(axis=2) + a, src, val), C[src, :, val])
