"""Shared fixtures: paths to the example and to the shared benchmark data (skipped when absent)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reviews"
SHARED_DATA = Path(os.environ.get("WEAKLABEL_DATA", ROOT.parent / "shared" / "data"))

#: an lfs.py of two row-wise keyword LFs over a ``text`` column (neg/pos), for CLI tests
GOOD_BAD_LFS = '''
from weaklabel import ABSTAIN, labeling_function
CLASSES = ["neg", "pos"]

@labeling_function
def good(x):
    return 1 if "good" in x.text else ABSTAIN

@labeling_function
def bad(x):
    return 0 if "bad" in x.text else ABSTAIN
'''



def one_line_error(r) -> str:
    """The one ``error:`` line a CLI run (typer's CliRunner result) failed with: exit code 1, no
    traceback, nothing else on stderr."""
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in r.stderr, r.stderr
    return lines[0]

def shared(*parts: str) -> Path:
    """Path inside the shared data folder; skip the test when it is not there."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not available: {p} (set WEAKLABEL_DATA)")
    return p


@pytest.fixture
def write_lfs(tmp_path):
    """Write an lfs.py with the given body (dedented) and return its path."""

    def _write(body: str, name: str = "lfs.py") -> Path:
        p = tmp_path / name
        p.write_text("from weaklabel import labeling_function, preprocessor, ABSTAIN\n"
                     + textwrap.dedent(body))
        return p

    return _write


def synthetic_votes(n: int = 3000, m: int = 7, K: int = 3, seed: int = 0):
    """A dense vote matrix with mixed sources: accurate multi-class LFs, a single-class LF, a
    rare LF, plus exact ties (rows with one vote for each of two classes)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    acc = np.linspace(0.55, 0.9, m)
    cov = np.linspace(0.15, 0.6, m)
    L = np.where(rng.random((n, m)) < acc, y[:, None], rng.integers(0, K, (n, m)))
    L[rng.random((n, m)) > cov] = -1
    L[:, 0] = np.where(L[:, 0] == 1, 1, -1)                   # votes a single class
    L[:, 1] = np.where(rng.random(n) < 0.01, L[:, 1], -1)     # rare
    L[:40] = -1
    L[:20, 2], L[:20, 3] = 0, 1                               # exact ties
    return L


@pytest.fixture
def votes_dataset(tmp_path):
    """``(vm, file, folder)``: the same votes as one votes.parquet (with string ids) and as a votes
    dataset folder of three part files (rows split 1000 / 1300 / 700, row groups of 400)."""
    import pandas as pd
    import pyarrow.parquet as pq

    from weaklabel import VoteMatrix
    from weaklabel.io import write_dataset_metadata
    from weaklabel.votes.file import votes_metadata

    L = synthetic_votes()
    n = L.shape[0]
    ids = pd.DataFrame({"doc": [f"d{i:05d}" for i in range(n)]})
    vm = VoteMatrix.from_dense(L, cardinality=3, lf_names=[f"lf{j}" for j in range(L.shape[1])], row_ids=ids,
                               classes=["a", "b", "c"])
    file = tmp_path / "votes.parquet"
    counts = vm.lf_class_counts()
    extra = {"lfs": [{"name": nm, "votes": int(c.sum()), "class_votes": [int(x) for x in c]}
                     for nm, c in zip(vm.lf_names, counts)]}
    vm.to_parquet(file, metadata=extra)
    folder = tmp_path / "votes_dir"
    folder.mkdir()
    table = pq.read_table(file)
    cuts = [0, 1000, 2300, n]
    for i, (a, b) in enumerate(zip(cuts, cuts[1:])):
        pq.write_table(table.slice(a, b - a).replace_schema_metadata(None), folder / f"part.{i}.parquet",
                       row_group_size=400)
    write_dataset_metadata(folder, table.schema.remove_metadata(), votes_metadata(vm, extra))
    return vm, file, folder


@pytest.fixture(autouse=True)
def _thread_cap_restored():
    """``--threads`` run in-process (CliRunner) sets the process-wide cap and its environment
    variable, as it should in a real CLI process; restore both after every test."""
    from weaklabel import threads

    saved, env = threads._override, os.environ.get(threads.ENV)
    yield
    threads._override = saved
    if env is None:
        os.environ.pop(threads.ENV, None)
    else:
        os.environ[threads.ENV] = env


@pytest.fixture(scope="module")
def suite():
    """A generated verifier-score suite (the math preset, quick size), one per test module: the
    input of the `select` tests."""
    from weaklabel.bench.verifiers import generate_suite

    return generate_suite("math", 0, quick=True)


@pytest.fixture(scope="module")
def client():
    """A Dask client on a LocalCluster of two single-threaded worker processes, one per test module
    (skipped without Dask: ``pip install -e '.[dask]'``)."""
    import logging

    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def noisy_votes(n: int, m: int, K: int, seed: int):
    """``(L, y)``: ``m`` LFs that each vote on about 60% of ``n`` rows, right about 75% of the time
    (a wrong vote is another class at random): a small matrix for API tests."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    L = np.full((n, m), -1)
    for j in range(m):
        fire = rng.random(n) < 0.6
        right = rng.random(n) < 0.75
        L[fire & right, j] = y[fire & right]
        wrong = fire & ~right
        L[wrong, j] = (y[wrong] + rng.integers(1, K, wrong.sum())) % K
    return L, y


def rare_class_votes(seed: int, n: int = 4000, share1: float = 0.02, rate1: float = 0.8, rate0: float = 0.015):
    """Class 1 is rare (``share1``) and its three rules reach most of its rows (``rate1`` each);
    class 0's three rules reach few of its rows (``rate0`` each): the covered rows' class mix is
    near even (a thin prior) while almost every unreached row is of class 0, and the LFs' firing
    rates agree with the prior from every start (so PROTOCOL §28/§30 keep it; §34 ties them)."""
    import numpy as np

    from weaklabel.votes import VoteMatrix

    rng = np.random.default_rng(seed)
    y = (rng.random(n) < share1).astype(np.int64)
    L = -np.ones((n, 6), dtype=np.int64)
    for j in range(6):
        cls = 1 if j < 3 else 0
        fire = (y == cls) & (rng.random(n) < (rate1 if cls == 1 else rate0) / 3)
        L[fire, j] = cls
    return VoteMatrix.from_dense(L, cardinality=2, lf_names=[f"lf{j}" for j in range(6)]), y


def spam_keyword_rules(n: int = 6000, spam: float = 0.4, seed: int = 0):
    """Five spam rules that fire on spam rows (half of them each, rarely on ham) and one ham rule
    that fires on a tenth of the ham rows: the voted rows are mostly spam, the rest mostly ham, so
    a model of who abstains disputes the prior of the rows without votes (PROTOCOL §28)."""
    import numpy as np

    from weaklabel.votes import VoteMatrix

    rng = np.random.default_rng(seed)
    y = (rng.random(n) < spam).astype(np.int64)
    L = np.full((n, 6), -1)
    for j in range(5):
        fire = np.where(y == 1, rng.random(n) < 0.5, rng.random(n) < 0.03)
        L[fire, j] = 1
    L[(y == 0) & (rng.random(n) < 0.1), 5] = 0
    return VoteMatrix.from_dense(L, cardinality=2), y


def two_rules_and_a_classifier(seed: int, n: int = 4000):
    """A class-1 rule and a class-0 rule of the same precision (0.75, each firing on ~30% of rows)
    and a two-class source (60% coverage, 80% accuracy): which rule wins a tie is a coin flip, so
    the tie hedge's bootstrap refits decide many ties. ``(votes, y)``."""
    import numpy as np

    from weaklabel.votes import VoteMatrix

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    L = -np.ones((n, 3), dtype=np.int64)
    c = rng.random(n) < 0.6
    L[c, 2] = np.where(rng.random(c.sum()) < 0.8, y[c], 1 - y[c])
    for j, cls in enumerate((1, 0)):
        fires = np.where(y == cls, rng.random(n) < 0.6 * 0.75, rng.random(n) < 0.6 * 0.25)
        L[fires, j] = cls
    return VoteMatrix.from_dense(L, cardinality=2), y
