"""A Parquet folder's fingerprint covers the files apply reads as data (``parquet_files``), not
``_SUCCESS``, ``.crc`` files, ``_common_metadata`` or anything else named ``_*`` / ``.*``: a change
there must not stop ``--update`` from reusing votes, a change in a data file must. Votes written
by earlier versions (whose fingerprint hashed every file of the folder) keep matching while those
files are unchanged; when they cannot tell, every LF reruns once, with a note."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS
from weaklabel import apply_file
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.io import META_KEY, TableSource, file_fingerprint, input_match, parquet_files, read_metadata

EDITED_GOOD = GOOD_BAD_LFS.replace('"good" in x.text', '"good" in x.text.lower()')


def _dataset(tmp_path, extras: bool = True):
    """A folder of three part files (one in a subfolder) and, with ``extras``, what Spark, Hadoop
    and editors leave beside them."""
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    n = 3000
    df = pd.DataFrame({"id": np.arange(n), "text": [("good " if i % 3 else "bad ") + "x" * (i % 50) for i in range(n)]})
    for k in range(3):
        df.iloc[k * n // 3:(k + 1) * n // 3].to_parquet(folder / ("sub" if k == 2 else "") / f"part-{k}.parquet",
                                                        index=False)
    if extras:
        (folder / "_SUCCESS").write_text("")
        for f in parquet_files(folder):
            f.with_name(f".{f.name}.crc").write_bytes(b"crc" + f.read_bytes()[:8])
        pq.write_metadata(pq.read_schema(folder / "part-0.parquet"), folder / "_common_metadata")
        (folder / "_temporary" / "0").mkdir(parents=True)
        (folder / "_temporary" / "0" / "part-9.parquet").write_bytes(b"half written")
    lfs = tmp_path / "lfs.py"
    lfs.write_text(GOOD_BAD_LFS)
    return folder, lfs, tmp_path / "votes.parquet"


def _old_fingerprint(folder) -> dict:
    """What earlier versions recorded of a folder: every file, data or not, by relative path."""
    h, size = hashlib.sha256(), 0
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = f.read_bytes()
        size += len(data)
        h.update(f"{f.relative_to(folder)}:{hashlib.sha256(data + str(len(data)).encode()).hexdigest()[:32]}".encode())
    return {"name": folder.name, "size": size, "sha256_ends": h.hexdigest()[:32]} | (
        {"covers": "all"} if size > 1 << 20 else {})


def _set_input(votes, fingerprint: dict) -> None:
    """Rewrite the votes' input fingerprint as an earlier version wrote it."""
    pf = pq.ParquetFile(votes)
    footer = dict(pf.metadata.metadata)
    meta = json.loads(footer[META_KEY])
    meta["input"] = {**{k: v for k, v in meta["input"].items() if k not in ("files", "covers")}, **fingerprint}
    footer[META_KEY] = json.dumps(meta).encode()
    table = pf.read()
    pf.close()
    pq.write_table(table.replace_schema_metadata(footer), votes)


def _touch_extras(folder) -> None:
    (folder / "_SUCCESS").write_text("written again by another job\n")
    (folder / ".part-0.parquet.crc").write_bytes(b"another checksum")
    (folder / "_temporary" / "0" / "part-9.parquet").unlink()
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "notes.txt").write_text("hello")


def test_the_fingerprint_covers_the_data_files_only(tmp_path):
    folder, _, _ = _dataset(tmp_path)
    src = TableSource(folder)
    fp = file_fingerprint(folder)
    assert fp == src.fingerprint() and fp["size"] == sum(f.stat().st_size for f in src.files)
    _touch_extras(folder)
    assert file_fingerprint(folder) == fp and fp["files"] == "data"
    shutil.rmtree(folder / "_temporary")
    (folder / "_SUCCESS").unlink()
    assert file_fingerprint(folder) == fp
    data = folder / "sub" / "part-2.parquet"
    pd.read_parquet(data).assign(text="bad").to_parquet(data, index=False)
    assert input_match(fp, file_fingerprint(folder)) == "differs"


def test_a_change_beside_the_data_files_keeps_the_votes(tmp_path):
    folder, lfs, votes = _dataset(tmp_path)
    apply_file(lfs, folder, votes, jobs=1, id_cols="id")
    _touch_extras(folder)
    s = apply_file(lfs, folder, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == [] and s.reused == ["good", "bad"] and s.note is None
    lfs.write_text(EDITED_GOOD)
    s = apply_file(lfs, folder, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == ["good"] and s.reused == ["bad"] and s.note is None
    assert read_metadata(votes)["input"]["files"] == "data"


@pytest.mark.parametrize("change", ["rewrite", "add", "remove"])
def test_a_change_in_a_data_file_is_not_reused(tmp_path, change):
    folder, lfs, votes = _dataset(tmp_path)
    apply_file(lfs, folder, votes, jobs=1, id_cols="id")
    before = votes.read_bytes()
    data = folder / "sub" / "part-2.parquet"
    if change == "rewrite":
        df = pd.read_parquet(data)
        df.assign(text=df["text"].str.replace("good", "bad!")).to_parquet(data, index=False)
    elif change == "add":
        pd.DataFrame({"id": [10_000], "text": ["good"]}).to_parquet(folder / "sub" / "part-3.parquet", index=False)
    else:
        data.unlink()
    lfs.write_text(EDITED_GOOD)     # one LF to rerun, one whose votes would be copied
    with pytest.raises(InputError, match="the input data differs from the one votes.parquet was made from"):
        apply_file(lfs, folder, votes, jobs=1, id_cols="id", update=True)
    assert votes.read_bytes() == before
    s = apply_file(lfs, folder, votes, jobs=1, id_cols="id", force=True)
    assert s.ran == ["good", "bad"]


def test_votes_of_earlier_versions_keep_matching_until_a_file_beside_the_data_changes(tmp_path):
    folder, lfs, votes = _dataset(tmp_path)
    apply_file(lfs, folder, votes, jobs=1, id_cols="id")
    _set_input(votes, _old_fingerprint(folder))            # as an earlier version wrote it
    s = apply_file(lfs, folder, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == [] and s.reused == ["good", "bad"] and s.note is None
    lfs.write_text(EDITED_GOOD)                              # reused although the fingerprint is the old one
    s = apply_file(lfs, folder, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == ["good"] and s.reused == ["bad"] and s.note is None
    _set_input(votes, _old_fingerprint(folder))
    _touch_extras(folder)                                    # the old fingerprint cannot tell: one rerun, said
    r = CliRunner().invoke(app, ["apply", str(lfs), str(folder), "-o", str(votes), "--id-col", "id", "--update",
                                 "--jobs", "1", "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["ran"] == ["good", "bad"] and out["reused"] == []
    assert "every file in the folder data" in out["update_note"] and "every LF was rerun" in out["update_note"]
    r = CliRunner().invoke(app, ["apply", str(lfs), str(folder), "-o", str(votes), "--id-col", "id", "--update",
                                 "--jobs", "1"], catch_exceptions=False)
    assert r.exit_code == 0 and "note:" not in r.stderr and "reused 2" in r.stderr, r.output
    (folder / "_SUCCESS").write_text("and again")                 # rewritten with the new fingerprint
    assert apply_file(lfs, folder, votes, jobs=1, id_cols="id", update=True).ran == []
    assert read_metadata(votes)["input"]["files"] == "data"


def test_votes_of_earlier_versions_of_a_folder_of_data_files_have_the_same_fingerprint(tmp_path):
    """Without files beside the data the value never changed: those votes match at once."""
    folder, lfs, votes = _dataset(tmp_path, extras=False)
    apply_file(lfs, folder, votes, jobs=1, id_cols="id")
    got = read_metadata(votes)["input"]
    assert {k: got[k] for k in ("name", "size", "sha256_ends", "covers") if k in got} == _old_fingerprint(folder)
    _set_input(votes, _old_fingerprint(folder))
    lfs.write_text(EDITED_GOOD)
    s = apply_file(lfs, folder, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == ["good"] and s.reused == ["bad"] and s.note is None
