"""Golden outputs: what `apply` and `fit` write today, reduced to comparable digests.

A case runs one command through the CLI (in-process) into a temporary folder and returns a
*record*: for every Parquet output its row count, column names, Arrow types and one sha256 per
column of the column's canonical bytes (the raw little-endian values for numbers: ints bit for
bit, floats rounded to 9 significant digits, :func:`column_digest`; JSON of the values for
strings), plus the normalised ``weaklabel``
metadata; for model.json the sha256 of the canonical JSON of each top-level and each
``learned`` entry, its floats rounded to 6 significant digits (:func:`rounded`: learned
parameters differ in their last bits between machines). Volatile content is dropped first: the package version, timestamps, durations,
host names and absolute paths (see :func:`normalise`).

``tests/golden/golden.json`` holds the records of the current behaviour; ``regen.py`` rewrites it
(only for an intended behaviour change, never for a refactoring).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLE = ROOT / "examples" / "reviews"
GOLDEN = HERE / "golden.json"
SHARED_DATA = Path(os.environ.get("WEAKLABEL_DATA", ROOT.parent / "shared" / "data"))

MODELS = ["majority", "weighted", "hybrid", "ds", "onecoin", "mc", "triplet", "auto"]
ENGINES = ["memory", "stream", "dask"]
SETS = ["example", "youtube", "bluebird"]          # the example's votes and two small shared sets
SHARED_SETS = {"youtube": ("wrench", "youtube"), "bluebird": ("crowd", "bluebird")}
VOLATILE_KEYS = {"weaklabel_version", "created", "created_at", "timestamp", "time", "seconds", "fit_seconds",
                 "host", "hostname", "pid", "user"}


def shared_available(name: str) -> bool:
    return (SHARED_DATA / Path(*SHARED_SETS[name])).exists() if name in SHARED_SETS else True


def dask_available() -> bool:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- canonical digests
def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()[:32]


#: significant digits of float columns (``prob_*``, ``confidence``) in Parquet records: see :func:`column_digest`
COLUMN_DIGITS = 9


def column_digest(col: pa.ChunkedArray | pa.Array) -> str:
    """sha256 of a column's canonical bytes: validity mask + raw values for fixed-width types
    (ints and booleans bit-exact, floats rounded to :data:`COLUMN_DIGITS` significant digits),
    JSON of the Python values otherwise.

    Why floats are rounded: like model.json's parameters (:func:`rounded`), probabilities differ in
    their last bits from one CPU to another (seen in the nineteenth session: on an Intel Xeon the
    in-memory ``mc`` fit of wrench/youtube wrote a ``prob_1`` column that differed from the
    recorded one while every other column, and the same fit streamed or on Dask, matched). Nine
    digits still catch any change of behaviour; a last-bit difference crosses a rounding boundary
    about once in 10^7 values."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        mask = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=np.uint8)
        vals = arr.fill_null(0 if not pa.types.is_boolean(t) else False).to_numpy(zero_copy_only=False)
        if pa.types.is_floating(t):
            vals = _round_significant(np.asarray(vals, dtype=np.float64), COLUMN_DIGITS)
        vals = np.ascontiguousarray(vals)
        if vals.dtype.byteorder == ">":
            vals = vals.byteswap().view(vals.dtype.newbyteorder("<"))
        return _sha(str(t).encode() + b"|" + mask.tobytes() + b"|" + vals.tobytes())
    return _sha(str(t).encode() + b"|" + json.dumps(arr.to_pylist(), default=str).encode())


def _round_significant(x: np.ndarray, digits: int) -> np.ndarray:
    """``x`` rounded to ``digits`` significant digits by Python's correctly rounded formatting
    (not ``log10`` arithmetic, whose last bit varies between CPUs too); ``-0.0`` becomes ``0.0``."""
    out = np.array([float(f"{v:.{digits}g}") for v in x.tolist()], dtype=np.float64)
    out[out == 0] = 0.0
    return out


def normalise(obj):
    """Drop volatile keys (versions, times, hosts) and reduce absolute paths to their base name."""
    if isinstance(obj, dict):
        return {k: normalise(v) for k, v in sorted(obj.items()) if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, str) and os.path.isabs(obj):
        return Path(obj).name
    return obj


def _parts(path: Path) -> list[Path]:
    if path.is_dir():
        from weaklabel.io import parquet_files

        return parquet_files(path)
    return [path]


def parquet_record(path: Path) -> dict:
    """Rows, columns, types, per-column digests and normalised metadata of a Parquet file or
    of a folder of part files (read in part order; the part names are part of the record)."""
    from weaklabel.io import read_metadata

    parts = _parts(path)
    table = pa.concat_tables([pq.read_table(p).replace_schema_metadata(None) for p in parts])
    return {
        "parts": [p.name for p in parts] if path.is_dir() else None,
        "rows": table.num_rows,
        "columns": table.column_names,
        "types": [str(f.type) for f in table.schema],
        "digests": {name: column_digest(table.column(name)) for name in table.column_names},
        "metadata": normalise(read_metadata(path)),
    }


#: significant digits of the floats in model.json records (see :func:`rounded`)
MODEL_DIGITS = 6


def rounded(obj):
    """``obj`` with every float rounded to ``MODEL_DIGITS`` significant digits.

    Why. The learned parameters in model.json differ in their last bits from one machine to
    another (seen in the tenth session: on an AVX2-only AMD EPYC every hybrid, ds, mc and auto
    record of the example's votes differed while every label column still matched bit for bit,
    with numpy 2.3.5-2.4.6 and numba 0.68.0-0.68.1 alike), so their digests are taken of the
    rounded values; the label columns stay bit-exact."""
    if isinstance(obj, float):
        return obj if obj != obj or obj in (float("inf"), float("-inf")) else float(f"{obj:.{MODEL_DIGITS}g}")
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v) for v in obj]
    return obj


def model_record(path: Path) -> dict:
    """One digest per entry of model.json (and per ``learned`` entry), after :func:`normalise`,
    its floats :func:`rounded`."""
    doc = rounded(normalise(json.loads(path.read_text(encoding="utf-8"))))

    def d(v) -> str:
        return _sha(json.dumps(v, sort_keys=True, allow_nan=True).encode())

    rec = {k: d(v) for k, v in doc.items() if k != "learned"}
    rec["learned"] = {k: d(v) for k, v in sorted(doc.get("learned", {}).items())}
    return rec


# --------------------------------------------------------------------------- running the commands
def cli(*args: str) -> None:
    from typer.testing import CliRunner

    from weaklabel.cli import app

    r = CliRunner().invoke(app, [str(a) for a in args])
    if r.exit_code != 0:
        raise AssertionError(f"weaklabel {' '.join(map(str, args))} failed ({r.exit_code}):\n{r.output}\n"
                             f"{r.exception!r}")


@contextmanager
def dask_cluster():
    """A LocalCluster of two single-threaded worker processes; yields its scheduler address."""
    import distributed

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def apply_case(work: Path, engine: str, scheduler: str | None = None) -> dict:
    """`weaklabel apply` on the shipped example; engine ``local1``, ``local2`` (jobs) or ``dask``."""
    out = work / f"votes_{engine}.parquet"
    args = ["apply", EXAMPLE / "lfs.py", EXAMPLE / "reviews.parquet", "-o", out, "--id-col", "review_id", "-q",
            "--batch-size", "128"]
    if engine == "dask":
        args += ["--engine", "dask", "--scheduler", scheduler, "--partition-rows", "256"]
    else:
        args += ["--jobs", engine[-1]]
    cli(*args)
    return parquet_record(out)


def votes_file(work: Path, name: str) -> Path:
    """The votes of a set as a votes.parquet in ``work`` (made once per folder)."""
    out = work / f"{name}.votes.parquet"
    if out.exists():
        return out
    if name == "example":
        cli("apply", EXAMPLE / "lfs.py", EXAMPLE / "reviews.parquet", "-o", out, "--id-col", "review_id", "-q",
            "--jobs", "1")
        return out
    from weaklabel.bench.datasets import load_crowd, load_wrench

    kind, sub = SHARED_SETS[name]
    ds = (load_wrench if kind == "wrench" else load_crowd)(SHARED_DATA / kind / sub, name)
    ds.train.votes.to_parquet(out)
    return out


def fit_case(work: Path, name: str, model: str, engine: str, scheduler: str | None = None) -> dict:
    """`weaklabel fit` of ``model`` on the votes of set ``name`` with ``engine`` (memory, stream,
    dask): the labels and model.json records."""
    votes = votes_file(work, name)
    out = work / f"{name}_{model}_{engine}_labels.parquet"
    model_json = work / f"{name}_{model}_{engine}_model.json"
    args = ["fit", votes, "-o", out, "--model", model, "--save-model", model_json, "-q", "--threads", "1"]
    if engine == "memory":
        args += ["--no-stream"]
    elif engine == "stream":
        args += ["--stream", "--batch-size", "256"]
    else:
        args += ["--engine", "dask", "--scheduler", scheduler, "--partition-rows", "256"]
    cli(*args)
    return {"labels": parquet_record(out), "model": model_record(model_json)}


def votes_record(work: Path, name: str) -> dict:
    return parquet_record(votes_file(work, name))


def load_golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def dask_records(work: Path, name: str, models=MODELS) -> dict:
    """The Dask records of set ``name`` (the example's apply too) on one LocalCluster."""
    out: dict = {"apply": {}, "fit": {}}
    with dask_cluster() as scheduler:
        if name == "example":
            out["apply"]["dask"] = apply_case(work, "dask", scheduler)
        for model in models:
            out["fit"][f"{name}/{model}/dask"] = fit_case(work, name, model, "dask", scheduler)
    return out


def dask_records_in_subprocess(work: Path, name: str) -> dict:
    """:func:`dask_records` in a child process: a Dask client leaves threads behind in its process
    (``Dask-Offload``), and tests that fork worker processes check that none are running."""
    import subprocess

    r = subprocess.run([sys.executable, str(Path(__file__)), "dask", str(work), name], capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"the Dask golden run failed:\n{r.stderr[-4000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


if __name__ == "__main__":  # python _golden.py dask WORK_DIR SET: the Dask records as one JSON line
    if len(sys.argv) != 4 or sys.argv[1] != "dask":
        sys.exit("usage: _golden.py dask WORK_DIR SET   (to regenerate golden.json, run regen.py)")
    print(json.dumps(dask_records(Path(sys.argv[2]), sys.argv[3])))
