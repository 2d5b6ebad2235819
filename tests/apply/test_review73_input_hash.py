"""Review 73: apply's background hash (apply/input_hash.py) on a filesystem whose modification
times are coarse (whole seconds: ext3, HFS+, FAT, many network mounts; simulated here with
``os.utime``). The identity check (size, mtime, inode) cannot see a same-size rewrite made within
the same second as the previous write, so a hash beside the reads could record bytes the LFs never
saw, and a later ``--update`` reused their votes for the new data."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from conftest import GOOD_BAD_LFS
from weaklabel import apply_file
from weaklabel.errors import InputError
from weaklabel.io import read_metadata

REWRITES = GOOD_BAD_LFS + '''
import os
from pathlib import Path
DATA = Path({data!r})
SECOND = {second}

@labeling_function
def rewrites(x):
    if x.id == 5 and b"bad!" not in DATA.read_bytes():
        # someone rewrites the input in place (same size, same inode) while apply reads it; the
        # filesystem keeps whole seconds: the rewrite lands in the second of the previous write
        with open(DATA, "r+b") as fh:
            raw = fh.read()
            fh.seek(raw.index(b"good"))
            fh.write(b"bad!")
        os.utime(DATA, ns=(SECOND, SECOND))
    return ABSTAIN
'''


def _setup(tmp_path: Path, second: int) -> tuple[Path, Path, Path]:
    data, lfs = tmp_path / "data.csv", tmp_path / "lfs.py"
    data.write_text("id,text\n" + "".join(f"{i},good review number {i:06d}\n" for i in range(3000)))
    os.utime(data, ns=(second, second))
    lfs.write_text(REWRITES.format(data=str(data), second=second))
    return data, lfs, tmp_path / "votes.parquet"


def _hash_after_a_change(monkeypatch, data: Path, seen: dict, polls: int = 400) -> None:
    """The hash thread reads the input only once it has changed (a slow disk, a busy machine), or
    after ``polls`` waits of 10 ms: the interleaving a hash beside the reads allows. On the main
    thread it does not wait."""
    import weaklabel.apply.input_hash as ih

    real = ih.table_fingerprint
    before = data.read_bytes()

    def late(*args, **kw):
        seen["thread"] = threading.current_thread().name
        if threading.current_thread() is not threading.main_thread():
            for _ in range(polls):
                if data.read_bytes() != before:
                    break
                time.sleep(0.01)
        return real(*args, **kw)

    monkeypatch.setattr(ih, "table_fingerprint", late)


def test_a_rewrite_within_a_coarse_mtime_tick_never_lets_update_reuse_stale_votes(tmp_path, monkeypatch):
    second = time.time_ns() // 10**9 * 10**9      # written just now, on a filesystem of whole seconds
    data, lfs, votes = _setup(tmp_path, second)
    seen: dict = {}
    _hash_after_a_change(monkeypatch, data, seen)
    try:
        apply_file(lfs, data, votes, jobs=1, id_cols="id")
    except InputError as exc:     # refusing the run is fine too
        assert "changed while apply was reading it" in str(exc)
        return
    assert b"bad!" in data.read_bytes()
    # the votes were made from the bytes before the rewrite (row 0 read "good"): their fingerprint
    # must be of those bytes, so that --update refuses the rewritten file
    with pytest.raises(InputError, match="the input data differs"):
        apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)


def test_an_old_file_with_coarse_mtimes_is_still_hashed_beside_the_lfs(tmp_path, monkeypatch):
    """Only a file written within the last seconds is hashed first: an hour-old one (whole-second
    mtime or not) is hashed on the thread, and its fingerprint is the same."""
    hour_ago = (time.time_ns() // 10**9 - 3600) * 10**9
    data, lfs, votes = _setup(tmp_path, hour_ago)
    lfs.write_text(GOOD_BAD_LFS)
    seen: dict = {}
    # nothing rewrites the file here, so the thread waits out all its polls: a second (100 polls)
    # still makes it hash well after the LFs (3,000 rows, two keyword LFs) have read the file, as
    # the default 4 s did, without 3 s of doing nothing
    _hash_after_a_change(monkeypatch, data, seen, polls=100)
    apply_file(lfs, data, votes, jobs=1, id_cols="id")
    assert seen["thread"] == "weaklabel-hash"
    fp = read_metadata(votes)["input"]
    s = apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == [] and fp["name"] == "data.csv" and fp["size"] == data.stat().st_size


@pytest.mark.parametrize("mtime,racy", [("just written, ns", False), ("now, whole s", True), ("3 s ago, whole s", False),
                                        ("in 60 s, whole s", True), ("1 h ago, whole s", False),
                                        ("now, whole 10 ms", True)])
def test_which_inputs_are_hashed_before_the_lfs(tmp_path, mtime, racy):
    """Racy (hashed first): a coarse modification time (whole seconds, or 10 ms as exFAT keeps)
    less than 2 s old or in the future. A file of a filesystem with ns times, or an old one, is
    hashed beside the LFs."""
    from weaklabel.apply.input_hash import InputHash
    from weaklabel.io import TableSource

    data = tmp_path / "d.csv"
    data.write_text("id,text\n1,good\n")
    now = time.time_ns()
    at = {"now, whole s": now // 10**9 * 10**9, "3 s ago, whole s": (now // 10**9 - 3) * 10**9,
          "in 60 s, whole s": (now // 10**9 + 60) * 10**9, "1 h ago, whole s": (now // 10**9 - 3600) * 10**9,
          "now, whole 10 ms": now // 10**7 * 10**7}.get(mtime)
    if at is not None:
        os.utime(data, ns=(at, at))
    elif data.stat().st_mtime_ns % 10**7 == 0:
        pytest.skip("this filesystem keeps coarse modification times")
    h = InputHash(TableSource(data), {})
    assert h.racy is racy
    h.start()
    assert (h._thread is None) is racy and h.result()["size"] == data.stat().st_size
    h.cancel()


def _hash_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "weaklabel-hash"]


def _changed_same_size(tmp_path: Path, rows: int = 20_000) -> tuple[Path, Path, Path]:
    """Votes of data.csv, then data.csv edited with its size kept and the LF `good` changed (it reruns)."""
    data, lfs, votes = tmp_path / "data.csv", tmp_path / "lfs.py", tmp_path / "votes.parquet"
    lfs.write_text(GOOD_BAD_LFS)
    data.write_text("id,text\n" + "".join(f"{i},good review number {i:06d}\n" for i in range(rows)))
    apply_file(lfs, data, votes, jobs=1, id_cols="id")
    raw = data.read_bytes()
    at = raw.index(b"good", len(raw) // 2)
    data.write_bytes(raw[:at] + b"bad!" + raw[at + 4:])
    lfs.write_text(GOOD_BAD_LFS.replace('"good" in x.text', '"good" in x.text.lower()'))
    return data, lfs, votes


def test_update_of_other_data_of_the_same_size_fails_once_hashed_not_after_every_lf_ran(tmp_path):
    """Hashing first refused other data (same size) before any LF ran; hashed beside the LFs, the
    error came after the last batch: hours of LFs for nothing on a big input. It now comes with the
    first batch after the hash is done."""
    data, lfs, votes = _changed_same_size(tmp_path)
    before = votes.read_bytes()
    seen = []

    def progress(n):
        seen.append(n)
        for t in _hash_threads():     # the hash (~1 GB/s) is done long before the LFs
            t.join(20)

    with pytest.raises(InputError, match="the input data differs from the one votes.parquet was made from"):
        apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True, batch_size=500, progress=progress)
    assert sum(seen) <= 2_000 and votes.read_bytes() == before and not _hash_threads()


def test_update_of_other_data_with_the_dask_engine_fails_once_hashed(tmp_path):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    tmp_path = tmp_path.resolve()
    data, lfs, votes = tmp_path / "data.parquet", tmp_path / "lfs.py", tmp_path / "votes.parquet"
    import pandas as pd

    n = 20_000
    lfs.write_text(GOOD_BAD_LFS)
    df = pd.DataFrame({"id": range(n), "text": [f"good review number {i:06d}" for i in range(n)]})
    df.to_parquet(data, compression=None, index=False)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        apply_file(lfs, data, votes, engine="dask", client=client, id_cols="id")
        df.loc[n // 2, "text"] = "bad! review number 010000"    # same length: uncompressed, same size
        size = data.stat().st_size
        df.to_parquet(data, compression=None, index=False)
        assert data.stat().st_size == size
        lfs.write_text(GOOD_BAD_LFS.replace('"good" in x.text', '"good" in x.text.lower()'))
        seen = []

        def progress(rows):
            seen.append(rows)
            for t in _hash_threads():
                t.join(20)

        with pytest.raises(InputError, match="the input data differs"):
            apply_file(lfs, data, votes, engine="dask", client=client, id_cols="id", update=True,
                       batch_size=1000, partition_rows=1000, progress=progress)
    assert len(seen) <= 2 and not _hash_threads()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["data.parquet", "lfs.py", "votes.parquet"]
