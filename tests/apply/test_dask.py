"""apply --engine dask: equality with the local engine, worker errors, --update, a real cluster.

Skipped when Dask is not installed (``pip install 'weaklabel[dask]'``). One LocalCluster with two
worker processes serves the module; one test starts real ``dask scheduler`` / ``dask worker``
processes on 127.0.0.1 and drives the CLI against them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

from typer.testing import CliRunner  # noqa: E402

from weaklabel import VoteMatrix, apply_file  # noqa: E402
from weaklabel.cli import app  # noqa: E402
from weaklabel.errors import InputError, LFError, MissingColumnError  # noqa: E402
from weaklabel.io import read_metadata  # noqa: E402

LFS = '''
import re
import numpy as np
from weaklabel import ABSTAIN, labeling_function, preprocessor

CLASSES = ["ham", "spam", "other"]
SPAM_WORDS = {"free", "win", "cash"}


@preprocessor
def tokens(x):
    x.words = re.findall(r"[a-z]+", x.text.lower() if isinstance(x.text, str) else "")


@labeling_function(pre=[tokens], resources={"vocab": SPAM_WORDS})
def spam_words(x, vocab):
    return 1 if sum(w in vocab for w in x.words) >= 2 else ABSTAIN


@labeling_function(pre=[tokens])
def greeting(x):
    return 0 if "hello" in x.words else ABSTAIN


@labeling_function
def score_rule(x):
    if x.score != x.score:  # NaN
        return ABSTAIN
    return 2 if x.score > 1.2 else (0 if x.score < -1.2 else ABSTAIN)


@labeling_function(vectorized=True)
def vec_now(df):
    return np.where(df["text"].str.contains("now", na=False), 1, ABSTAIN)


@labeling_function(vectorized=True)
def vec_short(df):
    return np.where(df["text"].str.len() < 12, 0, ABSTAIN)
'''


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(["free", "win", "cash", "hello", "meeting", "now", "lunch", "the", "a"])
    texts = [" ".join(rng.choice(words, size=rng.integers(1, 7))) for _ in range(n)]
    texts = [None if i % 97 == 5 else t for i, t in enumerate(texts)]
    score = rng.normal(size=n)
    score[::53] = np.nan
    return pd.DataFrame({"key": [f"k{i:05d}" for i in range(n)], "num": np.arange(n) * 3 + 1,
                         "text": pd.array(texts, dtype=object), "score": score})




@pytest.fixture
def dataset(tmp_path):
    """A folder of three Parquet files whose names sort differently as text and as numbers."""
    df = _frame(5000)
    folder = tmp_path / "data"
    folder.mkdir()
    df.iloc[:1800].to_parquet(folder / "part.2.parquet", row_group_size=700)
    df.iloc[1800:3100].to_parquet(folder / "part.10.parquet", row_group_size=1000)
    df.iloc[3100:].to_parquet(folder / "part.11.parquet", row_group_size=400)
    (folder / "_SUCCESS").write_text("")  # like Spark/Hadoop markers: skipped
    lfs = tmp_path / "lfs.py"
    lfs.write_text(LFS)
    return tmp_path, folder, lfs, df


def _same_votes(a: Path, b: Path) -> None:
    da, db = pd.read_parquet(a), pd.read_parquet(b)
    pd.testing.assert_frame_equal(da, db)
    va, vb = VoteMatrix.read_parquet(a), VoteMatrix.read_parquet(b)
    assert va.equals(vb)
    ma, mb = read_metadata(a), read_metadata(b)
    for key in ("format", "cardinality", "classes", "id_columns", "rows", "lfs", "input"):
        assert ma[key] == mb[key], key


@pytest.mark.parametrize("id_cols, partition_rows, batch_size", [
    (["key"], 600, 300), (["key", "num"], 250, 250), (None, 10_000, 1000),
])
def test_dask_equals_local_row_for_row(client, dataset, id_cols, partition_rows, batch_size):
    tmp, folder, lfs, df = dataset
    loc = apply_file(lfs, folder, tmp / "local.parquet", jobs=1, batch_size=batch_size, id_cols=id_cols)
    dsk = apply_file(lfs, folder, tmp / "dask.parquet", engine="dask", client=client, batch_size=batch_size,
                     partition_rows=partition_rows, id_cols=id_cols)
    assert (tmp / "dask.parquet").is_dir()
    _same_votes(tmp / "local.parquet", tmp / "dask.parquet")
    np.testing.assert_array_equal(dsk.vote_counts, loc.vote_counts)
    assert dsk.rows == loc.rows == 5000 and dsk.engine == "dask" and dsk.partitions > 1
    # row order is the files' numeric order (part.2, part.10, part.11), as Dask and the local engine read it
    got = pd.read_parquet(tmp / "dask.parquet")
    if id_cols:
        assert got["key"].tolist() == df["key"].tolist()
    else:
        assert got["row"].tolist() == list(range(5000))
    # every part carries the weaklabel header; the folder's _common_metadata the full metadata
    meta = read_metadata(tmp / "dask.parquet")
    assert sum(p["rows"] for p in meta["parts"]) == 5000 and meta["engine"] == "dask"
    for p in meta["parts"]:
        part_meta = json.loads(pq.read_metadata(tmp / "dask.parquet" / p["file"]).metadata[b"weaklabel"])
        assert part_meta["part"]["offset"] == p["offset"]
        assert [d["name"] for d in part_meta["lfs"]] == [d["name"] for d in meta["lfs"]]


def test_dask_single_file_and_glob_inputs(client, dataset):
    tmp, folder, lfs, df = dataset
    single = tmp / "single.parquet"
    df.to_parquet(single, row_group_size=333)
    apply_file(lfs, single, tmp / "l1.parquet", jobs=1, batch_size=200, id_cols=["key"])
    apply_file(lfs, single, tmp / "d1", engine="dask", client=client, batch_size=200, partition_rows=900,
               id_cols=["key"])
    _same_votes(tmp / "l1.parquet", tmp / "d1")
    pattern = str(folder / "part.1*.parquet")  # part.10 and part.11
    apply_file(lfs, pattern, tmp / "l2.parquet", jobs=1, batch_size=500, id_cols=["key"])
    apply_file(lfs, pattern, tmp / "d2", engine="dask", client=client, batch_size=500, partition_rows=500,
               id_cols=["key"])
    _same_votes(tmp / "l2.parquet", tmp / "d2")
    assert read_metadata(tmp / "d2")["rows"] == 3200


def test_votes_dataset_feeds_analyze_and_fit(client, dataset):
    tmp, folder, lfs, _ = dataset
    apply_file(lfs, folder, tmp / "votes", engine="dask", client=client, batch_size=500, partition_rows=1000,
               id_cols=["key"])
    apply_file(lfs, folder, tmp / "votes.parquet", jobs=1, batch_size=500, id_cols=["key"])
    runner = CliRunner()
    a = runner.invoke(app, ["analyze", str(tmp / "votes"), "--json"])
    b = runner.invoke(app, ["analyze", str(tmp / "votes.parquet"), "--json"])
    assert a.exit_code == 0, a.output
    assert json.loads(a.stdout) == json.loads(b.stdout)
    r = runner.invoke(app, ["fit", str(tmp / "votes"), "-o", str(tmp / "labels.parquet")])
    assert r.exit_code == 0, r.output
    labels = pd.read_parquet(tmp / "labels.parquet")
    assert len(labels) == 5000 and labels["key"].iloc[0] == "k00000"


def _boom_lfs(tmp: Path, fail_at: list[int]) -> Path:
    p = tmp / "boom.py"
    p.write_text(LFS + f'''

@labeling_function
def fragile(x):
    if x.num in {{{", ".join(str(i * 3 + 1) for i in fail_at)}}}:
        raise ValueError("cannot parse " + x.key)
    return ABSTAIN
''')
    return p


def test_worker_lf_error_is_the_local_error(client, dataset):
    tmp, folder, _, _ = dataset
    # failures in three partitions: the first in row order is reported, with its global position and id
    lfs = _boom_lfs(tmp, [4321, 2950, 3500])
    out = tmp / "votes"
    with pytest.raises(LFError) as local:
        apply_file(lfs, folder, tmp / "local.parquet", jobs=1, batch_size=250, id_cols=["key"])
    with pytest.raises(LFError) as remote:
        apply_file(lfs, folder, out, engine="dask", client=client, batch_size=250, partition_rows=250,
                   id_cols=["key"])
    assert str(remote.value) == str(local.value)
    assert "LF 'fragile' raised ValueError: cannot parse k02950 on row 2950 (id='k02950')" in str(remote.value)
    assert remote.value.position == 2950 and remote.value.row_id == "k02950" and remote.value.lf == "fragile"
    assert not out.exists() and not (tmp / "local.parquet").exists()
    assert not [p for p in tmp.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_worker_error_through_the_cli(client, dataset):
    tmp, folder, _, _ = dataset
    lfs = _boom_lfs(tmp, [4000])
    addr = client.scheduler.address
    r = CliRunner().invoke(app, ["apply", str(lfs), str(folder), "-o", str(tmp / "votes"), "--engine", "dask",
                                 "--scheduler", addr, "--id-col", "key", "--batch-size", "500",
                                 "--partition-rows", "500"])
    assert r.exit_code == 1
    assert r.output.strip() == ("error: LF 'fragile' raised ValueError: cannot parse k04000 on row 4000 "
                                "(id='k04000') of data")
    assert not (tmp / "votes").exists()


def test_on_error_abstain_and_missing_column(client, dataset):
    tmp, folder, _, _ = dataset
    lfs = _boom_lfs(tmp, [10, 2000, 4999])
    loc = apply_file(lfs, folder, tmp / "l.parquet", jobs=1, batch_size=500, on_error="abstain")
    dsk = apply_file(lfs, folder, tmp / "d", engine="dask", client=client, batch_size=500, partition_rows=500,
                     on_error="abstain")
    assert dsk.errors == loc.errors and dsk.errors[-1] == 3
    _same_votes(tmp / "l.parquet", tmp / "d")
    bad = tmp / "needs_col.py"
    bad.write_text("from weaklabel import labeling_function\n@labeling_function\ndef f(x): return 1 if x.title else 0\n")
    with pytest.raises(MissingColumnError, match="LF 'f' needs column 'title'"):
        apply_file(bad, folder, tmp / "d2", engine="dask", client=client, batch_size=500, partition_rows=500)
    assert not (tmp / "d2").exists()


def test_dask_update_reruns_exactly_the_changed_lfs(client, dataset):
    tmp, folder, lfs, _ = dataset
    out = tmp / "votes"
    kw = dict(engine="dask", client=client, batch_size=500, partition_rows=1000, id_cols=["key"])
    apply_file(lfs, folder, out, **kw)
    s = apply_file(lfs, folder, out, update=True, **kw)
    assert s.ran == [] and s.reused == ["spam_words", "greeting", "score_rule", "vec_now", "vec_short"]
    lfs.write_text(LFS.replace("x.score > 1.2", "x.score > 1.0")
                   .replace("@labeling_function(vectorized=True)\ndef vec_short(df):\n"
                            "    return np.where(df[\"text\"].str.len() < 12, 0, ABSTAIN)\n", "")
                   + "\n@labeling_function\ndef lunch(x):\n    return 0 if isinstance(x.text, str) and 'lunch' in x.text else ABSTAIN\n")
    # a different partitioning than the first run: workers read their rows of the old parts by range
    s = apply_file(lfs, folder, out, update=True, **dict(kw, partition_rows=1500))
    assert s.ran == ["score_rule", "lunch"] and s.dropped == ["vec_short"]
    assert s.reused == ["spam_words", "greeting", "vec_now"]
    apply_file(lfs, folder, tmp / "fresh.parquet", jobs=1, batch_size=500, id_cols=["key"])
    _same_votes(out, tmp / "fresh.parquet")
    assert read_metadata(out)["update"]["ran"] == ["score_rule", "lunch"]
    # the local engine updates a Dask output too (and writes a single file in its place)
    lfs.write_text(lfs.read_text().replace("x.score < -1.2", "x.score < -1.0"))
    s = apply_file(lfs, folder, out, update=True, jobs=1, batch_size=700, id_cols=["key"])
    assert s.ran == ["score_rule"] and out.is_file()
    apply_file(lfs, folder, tmp / "fresh2.parquet", jobs=1, batch_size=500, id_cols=["key"])
    _same_votes(out, tmp / "fresh2.parquet")


def test_dask_infers_the_cardinality_like_local(client, dataset):
    tmp, folder, _, _ = dataset
    lfs = tmp / "nok.py"
    lfs.write_text("from weaklabel import labeling_function, ABSTAIN\n"
                   "@labeling_function\ndef big(x): return 4 if x.num % 7 == 0 else ABSTAIN\n"
                   "@labeling_function\ndef small(x): return 1 if x.num % 5 == 0 else ABSTAIN\n")
    loc = apply_file(lfs, folder, tmp / "l.parquet", jobs=1, batch_size=500)
    dsk = apply_file(lfs, folder, tmp / "d", engine="dask", client=client, batch_size=500, partition_rows=1000)
    assert loc.cardinality == dsk.cardinality == 5
    _same_votes(tmp / "l.parquet", tmp / "d")


def test_dask_needs_parquet_and_a_file(client, dataset, tmp_path):
    tmp, folder, lfs, df = dataset
    csv = tmp / "data.csv"
    df.to_csv(csv, index=False)
    with pytest.raises(InputError, match="--engine dask reads Parquet"):
        apply_file(lfs, csv, tmp / "v", engine="dask", client=client)
    from weaklabel import load_lfs

    with pytest.raises(InputError, match="needs the LFs as an lfs.py file"):
        apply_file(load_lfs(lfs).lfs, folder, tmp / "v", engine="dask", client=client)


def test_unreachable_scheduler_is_a_one_line_error(dataset, monkeypatch):
    tmp, folder, lfs, _ = dataset
    import weaklabel._dask as de

    monkeypatch.setattr(de, "_CONNECT_TIMEOUT", "1s")
    r = CliRunner().invoke(app, ["apply", str(lfs), str(folder), "-o", str(tmp / "v"), "--engine", "dask",
                                 "--scheduler", f"tcp://127.0.0.1:{_free_port()}"])
    assert r.exit_code == 1 and r.output.startswith("error: cannot connect to the Dask scheduler at tcp://127.0.0.1:")
    assert len(r.output.strip().splitlines()) == 1 and not (tmp / "v").exists()


def test_dask_not_installed_is_a_one_line_error(dataset, monkeypatch):
    tmp, folder, lfs, _ = dataset
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    r = CliRunner().invoke(app, ["apply", str(lfs), str(folder), "-o", str(tmp / "v"), "--engine", "dask"])
    assert r.exit_code == 1
    assert r.output.strip() == ("error: --engine dask needs Dask, which is not installed (no module "
                                "'distributed'): pip install 'weaklabel[dask]'")


def test_weaklabel_does_not_import_dask():
    code = ("import sys, weaklabel, weaklabel.cli, weaklabel.apply, weaklabel.io\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- a real cluster
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def real_cluster(tmp_path):
    """`dask scheduler` and `dask worker` processes on 127.0.0.1 (own process groups, always killed)."""
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    logs = tmp_path / "cluster-logs"
    logs.mkdir()
    procs = []

    def start(name, *args):
        log = open(logs / f"{name}.log", "w")
        p = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=subprocess.STDOUT,
                             env=env, start_new_session=True, cwd=tmp_path)
        procs.append((p, log))
        return p

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
        start("worker", "worker", addr, "--nworkers", "2", "--nthreads", "1", "--host", "127.0.0.1",
              "--no-dashboard", "--local-directory", str(tmp_path / "dask-worker-space"))
        deadline = time.monotonic() + 60
        while True:
            try:
                with distributed.Client(addr, timeout="2s") as c:
                    c.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline or any(p.poll() is not None for p, _ in procs):
                    text = "\n".join((logs / f).read_text()[-2000:] for f in os.listdir(logs))
                    pytest.fail(f"the Dask cluster did not start within 60 s:\n{text}")
                time.sleep(0.5)
        yield addr
    finally:
        for p, log in reversed(procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)  # the process and its children (worker nannies)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(timeout=5)
            log.close()


def test_cli_against_a_real_scheduler_and_workers(real_cluster, dataset):
    tmp, folder, lfs, _ = dataset
    exe = [sys.executable, "-m", "weaklabel"]
    r = subprocess.run([*exe, "apply", str(lfs), str(folder), "-o", str(tmp / "votes"), "--engine", "dask",
                        "--scheduler", real_cluster, "--id-col", "key", "--batch-size", "400",
                        "--partition-rows", "800", "--json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["engine"] == "dask" and summary["jobs"] == 2 and summary["partitions"] >= 6
    local = subprocess.run([*exe, "apply", str(lfs), str(folder), "-o", str(tmp / "local.parquet"), "--id-col",
                            "key", "--batch-size", "400", "-q"], capture_output=True, text=True, timeout=300)
    assert local.returncode == 0, local.stderr
    _same_votes(tmp / "votes", tmp / "local.parquet")
    # the LF file reached the workers as text: a worker error names the LF, the row and the id
    bad = _boom_lfs(tmp, [3333])
    r = subprocess.run([*exe, "apply", str(bad), str(folder), "-o", str(tmp / "bad"), "--engine", "dask",
                        "--scheduler", real_cluster, "--id-col", "key", "--batch-size", "400",
                        "--partition-rows", "800"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "error: LF 'fragile' raised ValueError: cannot parse k03333 on row 3333 (id='k03333')" in r.stderr
    assert not (tmp / "bad").exists()


def test_relative_paths_are_the_clients(client, dataset, monkeypatch):
    # the workers run in another working directory (the cluster was started from the repo):
    # relative paths are resolved where the user typed them, not on each worker
    from weaklabel.fit import fit_file, predict_file

    tmp, folder, lfs, df = dataset
    monkeypatch.chdir(tmp)
    apply_file("lfs.py", "data", "votes", engine="dask", client=client, partition_rows=2000)
    local = tmp / "local.parquet"
    apply_file(lfs, folder, local)
    assert VoteMatrix.read_parquet(tmp / "votes").equals(VoteMatrix.read_parquet(local))
    fit_file("votes", "labels", engine="dask", client=client, save_model="model.json")
    predict_file("model.json", "votes", "again", engine="dask", client=client)
    a, b = pd.read_parquet(tmp / "labels"), pd.read_parquet(tmp / "again")
    assert len(a) == len(df) and a["label"].equals(b["label"])


def test_old_copies_of_lf_files_on_workers_are_pruned(tmp_path, monkeypatch):
    # every distinct lfs.py shipped to a worker left a folder under /tmp for good
    import tempfile

    from weaklabel.apply import dask_runner as dr

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    root = tmp_path / f"weaklabel-lfs-{os.getuid()}"
    old, recent = root / "old", root / "recent"
    for d in (old, recent):
        d.mkdir(parents=True)
        (d / "lfs.py").write_text("")
    week = time.time() - (dr.LF_COPY_DAYS + 1) * 86400
    os.utime(old, (week, week))
    spec = dr.PartitionSpec(lf_text=LFS, lf_filename="lfs.py", lf_digest="new", run_names=["greeting"], run_cols=[0],
                            lf_names=["greeting"], K=2, K_store=2, on_error="raise", id_cols=None, id_schema=None,
                            batch_size=10, source="x", columns=[], folder="", n_parts=1, part_meta={})
    monkeypatch.setattr(dr, "_LF_CACHE", {})
    assert [lf.name for lf in dr._worker_lfs(spec)] == ["greeting"]
    assert sorted(p.name for p in root.iterdir()) == ["new", "recent"]
