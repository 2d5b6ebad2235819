"""apply hashes its input (the fingerprint `--update` compares) on a background thread while the
LFs run, not before them: the same value as hashing first, an error while hashing or a file
changed meanwhile is one line and no output, --update still refuses other data, and Ctrl-C or
SIGTERM never wait for the hash."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS, one_line_error
from weaklabel import LabelingFunction, apply_file
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.io import read_metadata
from weaklabel.lf import ABSTAIN

MIB = 1 << 20
FP_KEYS = ("name", "size", "sha256_ends", "covers")


def _hash_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "weaklabel-hash"]


def _reference(name: str, files: list[Path], label=None) -> dict:
    """The fingerprint as apply computed it before it hashed in the background: of one file, the
    sha256 of its bytes then its size; of several, their digests hashed with ``label(file)``."""
    def one(f):
        data = Path(f).read_bytes()
        return hashlib.sha256(data + str(len(data)).encode()).hexdigest()[:32], len(data)

    if label is None:
        digest, size = one(files[0])
    else:
        h, size = hashlib.sha256(), 0
        for f in files:
            d, n = one(f)
            size += n
            h.update(f"{label(f)}:{d}".encode())
        digest = h.hexdigest()[:32]
    return {"name": name, "size": size, "sha256_ends": digest} | ({"covers": "all"} if size > MIB else {})


def _inputs(tmp_path: Path) -> dict[str, tuple[Path | str, dict]]:
    """Inputs of every kind, over 1 MiB, with the fingerprint each had before (the reference)."""
    n = 60_000
    text = [f"good review number {i:08d} of many" if i % 3 else f"bad review {i:08d}" for i in range(n)]
    df = pd.DataFrame({"id": np.arange(n), "text": text})
    out = {}
    df.to_csv(tmp_path / "d.csv", index=False)
    out["csv"] = (tmp_path / "d.csv", _reference("d.csv", [tmp_path / "d.csv"]))
    df.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    out["jsonl"] = (tmp_path / "d.jsonl", _reference("d.jsonl", [tmp_path / "d.jsonl"]))
    df.to_parquet(tmp_path / "d.parquet", compression=None, index=False)
    out["parquet"] = (tmp_path / "d.parquet", _reference("d.parquet", [tmp_path / "d.parquet"]))
    folder = tmp_path / "parts"
    (folder / "sub").mkdir(parents=True)
    for k in range(3):
        part = df.iloc[k * n // 3:(k + 1) * n // 3]
        part.to_parquet(folder / ("sub" if k == 2 else "") / f"part.{k}.parquet", compression=None, index=False)
    files = sorted(f for f in folder.rglob("*") if f.is_file())
    out["folder"] = (folder, _reference("parts", files, lambda f: f.relative_to(folder)))
    pattern = str(folder / "part.*.parquet")
    files = [folder / "part.0.parquet", folder / "part.1.parquet"]
    out["glob"] = (pattern, _reference(pattern, files, lambda f: f.name))
    return out


def test_the_fingerprint_is_the_one_hashing_first_gave_and_still_matches(tmp_path):
    """Byte for byte the earlier value (votes written before keep matching under --update), for a
    CSV, a JSON Lines file, a Parquet file, folder and glob; taken on the hash thread."""
    lfs = tmp_path / "lfs.py"
    lfs.write_text(GOOD_BAD_LFS)
    for kind, (data, want) in _inputs(tmp_path).items():
        votes = tmp_path / f"votes-{kind}.parquet"
        apply_file(lfs, data, votes, jobs=1, id_cols="id")
        got = read_metadata(votes)["input"]
        assert {k: got[k] for k in FP_KEYS if k in got} == want, kind
        s = apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
        assert s.ran == [] and s.reused == ["good", "bad"] and s.note is None, kind
    assert not _hash_threads()


def test_a_hash_of_several_chunks_on_the_thread_is_the_reference_value(tmp_path):
    from weaklabel.apply.input_hash import InputHash
    from weaklabel.io import TableSource

    data = tmp_path / "big.csv"
    data.write_text("id,text\n" + "".join(f"{i},text {i * 7919 % 100_003}\n" for i in range(600_000)))
    assert data.stat().st_size > 2 * (4 << 20) + 1
    h = InputHash(TableSource(data), {})
    h.start()
    assert h.result() == _reference("big.csv", [data]) and not _hash_threads()


def test_the_hash_runs_while_the_lfs_run(tmp_path, monkeypatch):
    """The hash waits for the first LF call, and the LF for nothing: hashing first would wait for
    ever (here: fail after 20 s). The hash is not on the main thread, and starts after the engine
    forked its workers (no thread alive at the fork)."""
    import weaklabel.apply.engine as engine_mod
    import weaklabel.apply.input_hash as ih

    data = tmp_path / "d.csv"
    pd.DataFrame({"x": np.arange(5000)}).to_csv(data, index=False)
    lf_ran = threading.Event()
    seen = {}
    real_hash, real_prepare = ih.table_fingerprint, engine_mod.Engine.prepare

    def hash_after_an_lf(*args, **kw):
        seen["thread"] = threading.current_thread().name
        seen["lf ran first"] = lf_ran.wait(20)
        return real_hash(*args, **kw)

    def prepare(self, n):
        seen["threads at fork"] = [t.name for t in _hash_threads()]
        return real_prepare(self, n)

    def lf(x):
        lf_ran.set()
        return 1 if x.x % 2 else ABSTAIN

    monkeypatch.setattr(ih, "table_fingerprint", hash_after_an_lf)
    monkeypatch.setattr(engine_mod.Engine, "prepare", prepare)
    s = apply_file([LabelingFunction("odd", lf)], data, tmp_path / "v.parquet", jobs=1, cardinality=2)
    assert s.rows == 5000 and seen == {"thread": "weaklabel-hash", "lf ran first": True, "threads at fork": []}
    # row-wise LFs in worker processes: forked before the hash thread starts
    lf_ran.set()
    seen.clear()
    s = apply_file([LabelingFunction("odd", lf), LabelingFunction("even", lambda x: 0 if x.x % 2 == 0 else -1)],
                   data, tmp_path / "v.parquet", jobs=2, cardinality=2, force=True)
    assert s.jobs == 2 and seen == {"thread": "weaklabel-hash", "lf ran first": True, "threads at fork": []}
    assert read_metadata(tmp_path / "v.parquet")["input"]["sha256_ends"] == _reference("d.csv", [data])["sha256_ends"]


def _setup(tmp_path, rows=30_000):
    lfs, data = tmp_path / "lfs.py", tmp_path / "data.csv"
    lfs.write_text(GOOD_BAD_LFS)
    data.write_text("id,text\n" + "".join(f"{i},good review number {i:07d}\n" for i in range(rows)))
    return lfs, data, tmp_path / "votes.parquet"


def _cli(*args):
    return CliRunner().invoke(app, ["apply", *map(str, args), "--id-col", "id", "--jobs", "1", "-q"],
                              catch_exceptions=False)


@pytest.mark.parametrize("error,says", [(PermissionError(13, "Permission denied"), "permission denied"),
                                        (FileNotFoundError(2, "No such file or directory"), "no such file")])
def test_an_error_while_hashing_is_one_line_and_no_output(tmp_path, monkeypatch, error, says):
    import weaklabel.io.fingerprint as fp

    lfs, data, votes = _setup(tmp_path)

    def refuse(path, *a, **k):
        raise error

    monkeypatch.setattr(fp, "open", refuse, raising=False)   # the hash's reads only (not the CSV reader's)
    line = one_line_error(_cli(lfs, data, "-o", votes))
    assert says in line and str(data) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "lfs.py"]   # no output, no temporary
    assert not _hash_threads()


def test_a_file_changed_while_apply_reads_it_is_an_error_not_a_stale_fingerprint(tmp_path):
    """Hashing beside the reads could record bytes the LFs never saw (the hash reads after a
    rewrite that the LFs' reads preceded): a later --update would reuse their votes for the new
    data. A file that changed during the run is an error, and nothing is written."""
    lfs, data, votes = _setup(tmp_path)
    lfs.write_text(GOOD_BAD_LFS + f'''
from pathlib import Path
DATA = Path({str(data)!r})

@labeling_function
def rewrites(x):
    if x.id == 5:   # someone replaces the input while apply reads it (same size, other bytes)
        DATA.with_name("new.csv").write_text(DATA.read_text().replace("good review number 0029999",
                                                                      "bad! review number 0029999"))
        DATA.with_name("new.csv").replace(DATA)
    return ABSTAIN
''')
    line = one_line_error(_cli(lfs, data, "-o", votes))
    assert "changed while apply was reading it" in line
    assert not votes.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_update_compares_the_hash_at_the_end_and_refuses_other_data(tmp_path):
    """With an LF to rerun the hash is compared after the LFs ran: other bytes of the same size
    are today's error, and the old votes stay as they were."""
    lfs, data, votes = _setup(tmp_path, rows=80_000)
    apply_file(lfs, data, votes, jobs=1, id_cols="id")
    before = votes.read_bytes()
    raw = data.read_bytes()
    at = raw.index(b"good", len(raw) // 2)
    data.write_bytes(raw[:at] + b"bad!" + raw[at + 4:])                 # same size, other bytes
    lfs.write_text(GOOD_BAD_LFS.replace('"good" in x.text', '"good" in x.text.lower()'))   # `good` reruns
    with pytest.raises(InputError, match="the input data differs from the one votes.parquet was made from"):
        apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
    assert votes.read_bytes() == before and not _hash_threads()
    data.write_bytes(raw)                                               # the same bytes again: reused
    s = apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)
    assert s.ran == ["good"] and s.reused == ["bad"]
    # another size is refused before anything runs (no hash needed)
    data.write_bytes(raw + b"1,good\n")
    with pytest.raises(InputError, match=r"differs .*data.csv: \d[\d,]* bytes vs data.csv"):
        apply_file(lfs, data, votes, jobs=1, id_cols="id", update=True)


@pytest.mark.parametrize("signal_class", ["KeyboardInterrupt", "Terminated"])
def test_an_interrupt_stops_the_hash_thread(tmp_path, monkeypatch, signal_class):
    """Ctrl-C (SIGTERM: Terminated) while the input is being hashed: the thread stops within a
    chunk and is joined; the run ends with the interrupt and writes nothing."""
    import weaklabel.io.fingerprint as fp
    from weaklabel._signals import Terminated

    lfs, data, votes = _setup(tmp_path)
    hashing = threading.Event()
    real_open = open

    class Slow:   # a read of a very slow disk: the hash would take minutes
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.fh.close()

        def readinto(self, buf):
            if threading.current_thread() is threading.main_thread():
                raise RuntimeError("the input is hashed before the LFs run")
            hashing.set()
            threading.Event().wait(0.05)
            return self.fh.readinto(memoryview(buf)[:16])

    monkeypatch.setattr(fp, "open", lambda *a, **k: Slow(real_open(*a, **k)), raising=False)
    exc = KeyboardInterrupt() if signal_class == "KeyboardInterrupt" else Terminated(signal.SIGTERM)

    def progress(n):   # where a Ctrl-C lands between two batches (one in an LF is the LF's error)
        assert hashing.wait(20)
        raise exc

    with pytest.raises(type(exc)):
        apply_file(lfs, data, votes, jobs=1, id_cols="id", batch_size=1000, progress=progress)
    assert not _hash_threads()       # joined, not left running (cancel() waits 5 s at most)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "lfs.py"]


SLOW_HASH_RUN = '''
import sys, threading
from pathlib import Path
import weaklabel.io.fingerprint as fp
import weaklabel.apply.input_hash as ih

real_open, real_result = open, ih.InputHash.result
MARK = Path(sys.argv[1])

class Slow:
    def __init__(self, fh): self.fh = fh
    def __enter__(self): return self
    def __exit__(self, *a): self.fh.close()
    def readinto(self, buf):
        threading.Event().wait(0.05)
        return self.fh.readinto(memoryview(buf)[:16])

def result(self):
    MARK.write_text("waiting for the hash")
    return real_result(self)

fp.open = lambda *a, **k: Slow(real_open(*a, **k))
ih.InputHash.result = result
sys.argv = ["weaklabel", *sys.argv[2:]]
from weaklabel.cli import main
main()
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals: Linux")
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_apply_waits_for_the_hash_ends_the_run(tmp_path, sig, code):
    """A real process whose LFs are done and whose hash would take minutes: the signal ends it with
    one line and 128 + the signal, no output and no temporary (the hash is stopped, not awaited)."""
    work, mark = tmp_path / "work", tmp_path / "mark"
    work.mkdir()
    lfs, data, votes = _setup(work)
    p = subprocess.Popen([sys.executable, "-c", SLOW_HASH_RUN, str(mark), "apply", str(lfs), str(data), "-o",
                          str(votes), "--id-col", "id", "-q", "-j", "1"], cwd=work, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for _ in range(1200):
            if mark.exists() or p.poll() is not None:
                break
            threading.Event().wait(0.05)
        assert mark.exists(), p.communicate(timeout=60)
        p.send_signal(sig)
        _, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert p.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert sorted(x.name for x in work.iterdir()) == ["data.csv", "lfs.py"]
