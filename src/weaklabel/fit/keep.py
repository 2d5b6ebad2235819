"""``fit --keep-cols``: carry columns of the data file (the text, features) into labels.parquet.

Why: labels.parquet holds ids and probabilities; training an end model then needed a manual join
with the data. The columns are matched to the votes' rows by the id columns (as gold labels are,
:mod:`weaklabel.gold`), or by position when the votes have no ids. The data file defaults to the
input recorded in the votes' metadata (its name), looked up beside the votes file and in the
working directory. The columns are read once, before the fit, whatever the engine: the in-memory
fit appends them to its one label block, ``--stream`` slices them block by block and the Dask
engine sends each partition its slice (the votes stay out of memory; the kept columns do not).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..votes import VoteMatrix


def parse_cols(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """``--keep-cols`` (comma-separated) or, from Python, a list of column names."""
    if isinstance(text, (list, tuple)):
        if not all(isinstance(c, str) for c in text):
            raise InputError(f"keep_cols must be column names, got {text!r}")
        text = ",".join(text)
    elif not isinstance(text, str):
        raise InputError(f"keep_cols must be comma-separated column names or a list of them, got {text!r}")
    cols = [c.strip() for c in text.split(",")]
    if not cols or any(not c for c in cols):
        raise InputError(f"--keep-cols must be comma-separated column names, got {text!r}")
    if len(set(cols)) != len(cols):
        raise InputError(f"--keep-cols names a column twice: {text!r}")
    return cols


def find_data(votes: str | Path, data: str | Path | None) -> Path:
    """The data file: ``data`` if given, else the votes' recorded input beside VOTES or here."""
    if data is not None:
        p = Path(data)
        if not p.exists():
            raise InputError(f"{p}: no such file (--data)")
        return p
    from ..io import read_metadata

    meta = read_metadata(votes) or {}
    name = (meta.get("input") or {}).get("name")
    if not name:
        raise InputError(f"{votes}: does not record the data file it was made from; pass --data DATA")
    for cand in (Path(votes).parent / name, Path.cwd() / name):
        if cand.exists():
            return cand
    raise InputError(f"--keep-cols: {votes} was made from {name!r}, which is neither beside it nor in the working "
                     "directory; pass --data DATA")


def kept_columns(vm: VoteMatrix, votes: str | Path, keep_cols: str, data: str | Path | None = None) -> pa.Table:
    """The ``keep_cols`` of the data file, one row per row of ``vm`` (in its order)."""
    return kept_columns_of(vm.row_ids, vm.n_rows, vm.cardinality, votes, keep_cols, data, meta=vm.metadata)


def source_ids(source) -> pd.DataFrame | None:
    """Every row id of a :class:`~weaklabel.votes.reader.VotesSource` (as read_votes has them), or None."""
    from ..votes.reader import read_ids

    if not source.layout.id_columns:
        return None
    parts = [read_ids(f, 0, n, source.layout) for f, n in zip(source.files, source.file_rows)]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _arrow_columns(src, cols: list[str]) -> pa.Table | None:
    """``cols`` of a Parquet file or dataset as one Arrow table, with the file's types (not through
    pandas, where an integer column with nulls becomes float64 and loses values above 2**53);
    ``None`` for CSV / JSON Lines, whose types come from pandas anyway."""
    from ..errors import first_line
    from ..io import open_parquet

    if src.format not in ("parquet", "parquet-dir"):
        return None
    tables = []
    try:
        for f in src.files:
            pf = open_parquet(f)
            try:
                tables.append(pf.read(columns=cols, use_threads=False).replace_schema_metadata(None))
            finally:
                pf.close()
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowIOError, OSError) as exc:
        raise InputError(f"{src.path}: read failed ({first_line(exc)})") from None


def kept_columns_of(row_ids: pd.DataFrame | None, n_rows: int, cardinality: int, votes: str | Path, keep_cols: str,
                    data: str | Path | None = None, *, meta: dict | None = None) -> pa.Table:
    """The ``keep_cols`` of the data file, one row per row of the votes (ids ``row_ids``, or
    ``n_rows`` rows matched by position, from the data file the votes' metadata ``meta``, default
    read from ``votes``, records: :func:`check_position_data`)."""
    from ..votes.row_ids import DUPLICATES_HOWTO, check_ids_present, duplicate_ids, first_null_id, same_ids
    from ..io import format_ids, id_sample, read_table

    cols = parse_cols(keep_cols)
    reserved = set(row_ids.columns if row_ids is not None else ["row"])
    reserved |= {"label", "confidence", "label_name"} | {f"prob_{k}" for k in range(cardinality)}
    clash = [c for c in cols if c in reserved]
    if clash:
        raise InputError(f"--keep-cols {clash[0]!r}: labels.parquet already has a column of that name")
    path = find_data(votes, data)
    ids = list(row_ids.columns) if row_ids is not None else []
    from ..io import TableSource

    src = TableSource(path)
    available = src.columns
    missing = [c for c in cols if c not in available]
    if missing:
        raise InputError(f"{path}: no column {missing[0]!r} to keep (columns: {', '.join(map(str, available))})")
    by_id = bool(ids) and all(c in available for c in ids)
    if not by_id and src.n_rows is not None and src.n_rows != n_rows:
        # counted already (a Parquet footer, the JSON Lines scan): refused without reading the file
        raise _row_count_error(path, int(src.n_rows), n_rows)
    if not by_id:
        check_position_data(votes, src, meta)
    # Parquet columns are kept with their own Arrow types (through pandas, an integer column with
    # nulls became float64: 64-bit ids rounded above 2**53); the rows are taken by position below
    arrow = _arrow_columns(src, cols)
    table = None   # the ids to match by and, from CSV / JSON Lines, the kept columns (pandas)
    if by_id or arrow is None:
        # kept text as the LFs saw it: a CSV's "NA" stays "NA" (an end model trains on what was labelled)
        table = read_table(src, (ids if by_id else []) + (cols if arrow is None else []),
                           id_cols=ids if by_id else None, text_as_written=True)
    rows = None   # the data's row of each votes row (None: the same rows, in order)
    if by_id:
        keys = table[ids].reset_index(drop=True)
        left = row_ids[ids].reset_index(drop=True)
        n_dup, first = duplicate_ids(keys)
        nulls = first_null_id(keys) is not None or first_null_id(left) is not None
        # the votes' own data file, row for row (repeated or null ids and all): matched by position
        own_rows = (n_dup or nulls) and len(keys) == len(left) and same_ids(keys, left)
        if not own_rows:
            check_ids_present(left, str(votes))
            check_ids_present(keys, str(path))
        if n_dup and not own_rows:
            raise InputError(f"{path}: {n_dup} id{'s' * (n_dup > 1)} of {ids} {'appear' if n_dup > 1 else 'appears'} more than once "
                             f"(first: {format_ids(first)}); {DUPLICATES_HOWTO}")
        if not own_rows:
            pos = pd.Series(np.arange(len(keys)), index=pd.MultiIndex.from_frame(keys) if len(ids) > 1
                            else pd.Index(keys[ids[0]]))
            try:
                where = pos.reindex(pd.MultiIndex.from_frame(left) if len(ids) > 1 else pd.Index(left[ids[0]]))
            except (TypeError, ValueError) as exc:
                raise InputError(f"{path}: cannot match ids {ids} with the votes ({exc})") from None
            lost = where.isna().to_numpy()
            if lost.any():
                i = int(np.flatnonzero(lost)[0])
                raise InputError(f"{path}: {int(lost.sum()):,} rows of the votes have no row here (first id: "
                                 f"{left.iloc[i].tolist()!r}; votes ids e.g. {id_sample(left)}; {path.name} ids e.g. "
                                 f"{id_sample(keys)}); is it the file the votes were made from?")
            rows = where.to_numpy().astype(np.int64)
    else:
        n_data = arrow.num_rows if arrow is not None else len(table)
        if n_data != n_rows:
            raise _row_count_error(path, n_data, n_rows)
    if arrow is not None:
        return arrow if rows is None else arrow.take(pa.array(rows))
    if rows is not None:
        table = table.iloc[rows]
    return _kept_arrow(table[cols].reset_index(drop=True), path)


def check_position_data(votes: str | Path, src, meta: dict | None = None) -> None:
    """Votes without ids are paired with the data's rows by position: refuse a data file that is not
    the one ``apply`` read (the fingerprint in the votes' ``input`` metadata, :mod:`weaklabel.io.fingerprint`)
    when it has that file's size (a re-sorted or edited copy) or its name (the votes' own data file,
    changed since); a file of another name and size (columns added, another format) is paired as
    asked, with a note. A re-sorted data file of the same size paired each row's labels with another
    row's text, exit 0. Votes that record no input (not written by ``apply``; ``meta`` None and no
    file ``votes``: a matrix in memory) are not checked."""
    from ..io import is_glob, read_metadata
    from ..io.fingerprint import recorded_match
    from ..votes.gold import votes_note

    if meta is None and Path(votes).exists():
        meta = read_metadata(votes)
    recorded = (meta or {}).get("input")
    if not isinstance(recorded, dict) or not isinstance(recorded.get("size"), int):
        return
    glob = src.format == "parquet-dir" and is_glob(src.path)
    files = list(src.files) if src.format == "parquet-dir" else [src.path]
    match, size = recorded_match(recorded, src.path, files, glob=glob)
    if match == "same":
        return
    name = str(src.path) if glob else src.path.name
    then = f"{recorded.get('name')!s} ({recorded['size']:,} bytes)"
    if match == "unknown":
        votes_note(f"{src.path}: cannot tell whether it is {then}, the data {votes} was made from (an earlier "
                   "version recorded a partial fingerprint); its rows are paired with the votes by position")
        return
    if recorded["size"] == size or recorded.get("name") == name:
        what = (f"is not the data {votes} was made from: the size of {then}, other bytes (re-sorted or edited?)"
                if recorded["size"] == size else
                f"has changed since {votes} was made from it ({recorded['size']:,} bytes then, {size:,} now)")
        raise InputError(f"{src.path}: {what}; without id columns in both, its rows are paired with the votes by "
                         "position and could get other rows' votes: pass the file `weaklabel apply` read (--data), "
                         "or apply again to this one (with --id-col to match by id)")
    votes_note(f"{src.path} is not {then}, the data {votes} was made from; its rows are paired with the votes by "
               "position: they must be the same rows in the same order")


def _row_count_error(path, n_data: int, n_rows: int) -> InputError:
    return InputError(f"{path}: has {n_data:,} rows but the votes have {n_rows:,} and no id column to "
                     "match them by; pass the data file the votes were made from (--data)")


def _kept_arrow(frame: pd.DataFrame, path) -> pa.Table:
    """The kept columns as Arrow; a column Arrow cannot give one type (JSON values that are text on
    some lines and numbers on others) is one line naming the file and column, not pyarrow's
    traceback (writing it as text would change its values silently)."""
    for c in frame.columns:
        try:
            pa.array(frame[c], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
            kinds = sorted({type(v).__name__ for v in frame[c] if v is not None and v == v})
            raise InputError(f"{path}: --keep-cols column {c!r} mixes value types ({', '.join(kinds)}); a Parquet "
                             "column has one type: write its values with one type (e.g. all text)") from None
    return pa.Table.from_pandas(frame, preserve_index=False)
