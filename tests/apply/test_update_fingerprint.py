"""`apply --update` reuses votes only for the very same input bytes: the fingerprint hashed the
first and last MiB, so a data file edited in the middle with the same size silently got its old
(stale) votes back. Votes whose metadata holds such a partial fingerprint (older versions) rerun
every LF, with a note; they never crash and are never reused on a mismatch."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from weaklabel import apply_file
from conftest import GOOD_BAD_LFS
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.io import META_KEY, read_metadata

LFS = GOOD_BAD_LFS
MIB = 1 << 20


def _big_csv(path, rows=80_000) -> None:
    """A CSV of more than 2 MiB, every row "good" (the middle row is edited to "bad!" below)."""
    path.write_text("id,text\n" + "".join(f"{i},good review number {i:07d}\n" for i in range(rows)))
    assert path.stat().st_size > 2 * MIB


def _edit_middle(path) -> int:
    """Turn the "good" nearest the middle of the file into "bad!" (same size); returns its row."""
    data = path.read_bytes()
    at = data.index(b"good", len(data) // 2)
    path.write_bytes(data[:at] + b"bad!" + data[at + 4:])
    return data[:at].count(b"\n") - 1


def _set_input(votes, **fields) -> None:
    """Rewrite the votes' metadata `input` (as an older version wrote it)."""
    pf = pq.ParquetFile(votes)
    footer = dict(pf.metadata.metadata)
    meta = json.loads(footer[META_KEY])
    meta["input"] = {k: v for k, v in {**meta["input"], **fields}.items() if v is not None}
    footer[META_KEY] = json.dumps(meta).encode()
    table = pf.read()
    pf.close()
    pq.write_table(table.replace_schema_metadata(footer), votes)


def _old_ends_hash(path) -> str:
    import hashlib

    data = path.read_bytes()
    h = hashlib.sha256(data[:MIB])
    h.update(data[max(MIB, len(data) - MIB):])
    h.update(str(len(data)).encode())
    return h.hexdigest()[:32]


def test_a_byte_edited_in_the_middle_is_not_reused(tmp_path):
    data, votes, lfs = tmp_path / "data.csv", tmp_path / "votes.parquet", tmp_path / "lfs.py"
    lfs.write_text(LFS)
    _big_csv(data)
    apply_file(lfs, data, votes, jobs=1, id_cols="id")
    before = votes.read_bytes()
    size, ends = data.stat().st_size, _old_ends_hash(data)
    row = _edit_middle(data)
    assert data.stat().st_size == size and _old_ends_hash(data) == ends    # invisible to the old fingerprint
    # the old fingerprint still matched here, and --update copied the stale votes of row `row`
    with pytest.raises(InputError, match="the input data differs from the one votes.parquet was made from"):
        apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
    assert votes.read_bytes() == before                        # nothing reused, nothing rewritten
    apply_file(lfs, data, votes, jobs=1, id_cols="id", force=True)
    t = pq.read_table(votes)
    assert t.column("bad")[row].as_py() == 0 and t.column("good")[row].as_py() == -1


def test_an_old_partial_fingerprint_reruns_every_lf(tmp_path):
    data, votes, lfs = tmp_path / "data.csv", tmp_path / "votes.parquet", tmp_path / "lfs.py"
    lfs.write_text(LFS)
    _big_csv(data)
    apply_file(lfs, data, votes, jobs=1, id_cols="id")
    row = _edit_middle(data)                                    # an edit the old fingerprint cannot see
    _set_input(votes, sha256_ends=_old_ends_hash(data), covers=None)
    r = CliRunner().invoke(app, ["apply", str(lfs), str(data), "-o", str(votes), "--id-col", "id", "--update",
                                 "--jobs", "1"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "partial fingerprint" in r.stderr and "every LF was rerun" in r.stderr and "reused 0" in r.stderr
    t = pq.read_table(votes)
    assert t.column("bad")[row].as_py() == 0                    # fresh votes, not the stale ones
    meta = read_metadata(votes)
    assert meta["input"]["covers"] == "all" and meta["update"]["reused"] == []
    # and now the new fingerprint is reused
    s = apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == [] and s.reused == ["good", "bad"] and s.note is None


def test_old_fingerprints_of_small_files_are_still_reused(tmp_path):
    """Up to 1 MiB the old fingerprint hashed every byte and is the same value: no needless rerun."""
    data, votes, lfs = tmp_path / "data.csv", tmp_path / "votes.parquet", tmp_path / "lfs.py"
    lfs.write_text(LFS)
    data.write_text("id,text\n1,good\n2,bad\n")
    apply_file(lfs, data, votes, jobs=1, id_cols="id")
    _set_input(votes, sha256_ends=_old_ends_hash(data))
    s = apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == [] and s.reused == ["good", "bad"]


@pytest.mark.parametrize("fields", [{"size": "big"}, {"sha256_ends": 7}, {"size": None, "sha256_ends": None}])
def test_damaged_input_metadata_is_a_line_not_a_crash(tmp_path, fields):
    data, votes, lfs = tmp_path / "data.csv", tmp_path / "votes.parquet", tmp_path / "lfs.py"
    lfs.write_text(LFS)
    data.write_text("id,text\n1,good\n2,bad\n")
    apply_file(lfs, data, votes, jobs=1, id_cols="id")
    _set_input(votes, **fields)
    r = CliRunner().invoke(app, ["apply", str(lfs), str(data), "-o", str(votes), "--id-col", "id", "--update",
                                 "--jobs", "1", "--json"], catch_exceptions=False)
    if r.exit_code == 0:    # a fingerprint that proves nothing: every LF reruns
        assert json.loads(r.stdout)["ran"] == ["good", "bad"] and json.loads(r.stdout)["update_note"]
    else:
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert r.exit_code == 1 and len(lines) == 1 and "differs" in lines[0] and "Traceback" not in r.stderr


def test_votes_made_when_na_text_was_missing_are_not_reused(tmp_path):
    """The same bytes, read otherwise: LFs now see the text "NA" where earlier versions gave them a
    missing value, so votes written then (no `na_text_columns` in their metadata) are stale."""
    data, votes, lfs = tmp_path / "data.csv", tmp_path / "votes.parquet", tmp_path / "lfs.py"
    lfs.write_text(LFS + '\n@labeling_function\ndef na(x):\n    return 0 if x.text == "NA" else ABSTAIN\n')
    data.write_text("id,text\n1,good\n2,NA\n3,bad\n")
    apply_file(lfs, data, votes, jobs=1, id_cols="id")
    assert read_metadata(votes)["input"]["na_text_columns"] == ["text"]
    _set_input(votes, na_text_columns=None)
    s = apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == ["good", "bad", "na"] and "another reading of" in s.note and "NA markers" in s.note
    assert pq.read_table(votes).column("na").to_pylist() == [-1, 0, -1]
    s = apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == [] and s.note is None
