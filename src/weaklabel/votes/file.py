"""A :class:`~weaklabel.votes.VoteMatrix` as a votes.parquet file and back.

The file format itself (schema, writer, layout of plain files) is :mod:`weaklabel.io.votes_file`;
this module only converts between it and the in-memory matrix (``VoteMatrix.to_parquet`` and
``VoteMatrix.read_parquet`` call it), so that :mod:`weaklabel.io` never imports the votes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import InputError
from ..io.frames import index_columns_back
from ..io.plain_ids import gold_like_lf_notes, vote_like_id_notes
from ..io import (FORMAT_VERSION, ROW_IS_ID, VOTES_FORMAT, TableSource, VotesWriter, atomic_output,
                  check_metadata_counts, check_metadata_rows, check_plain_vote_maxima, id_columns_metadata, ids_table,
                  ids_to_pandas, metadata_counts, votes_layout)
from .dense import row_place
from .matrix import VoteMatrix, concat_csr, dense_to_csr


def votes_metadata(vm: VoteMatrix, extra: dict | None = None) -> dict:
    meta = {
        "format": VOTES_FORMAT,
        "format_version": FORMAT_VERSION,
        "weaklabel_version": __version__,
        "cardinality": vm.cardinality,
        "classes": vm.classes,
        **id_columns_metadata(list(vm.row_ids.columns) if vm.row_ids is not None else None),
        "lfs": [{"name": n} for n in vm.lf_names],
        "rows": vm.n_rows,
    }
    if extra:
        meta.update(extra)
        if vm.row_ids is None or list(vm.row_ids.columns) != ["row"]:
            meta.pop(ROW_IS_ID, None)   # carried over from another file: only a real ``row`` id column has it
        # counts carried over from another file (``vm.take(rows).to_parquet(p, metadata=vm.metadata)``)
        # are this file's, or reading it back is refused as an edited file
        meta["rows"] = vm.n_rows
        counts = dict(zip(vm.lf_names, vm.lf_class_counts().tolist()))
        # ... and its LFs, in its order (``vm.select_lfs(names)`` dropped or reordered some)
        given = {d.get("name"): d for d in meta.get("lfs", []) if isinstance(d, dict)}
        meta["lfs"] = []
        for name in vm.lf_names:
            d = dict(given.get(name, {"name": name}))
            if "class_votes" in d or "votes" in d:
                d.update(class_votes=counts[name], votes=sum(counts[name]))
            meta["lfs"].append(d)
    return meta


#: vote cells per batch :func:`read_votes` converts (rows x LF columns)
READ_CELLS = 1 << 25


def write_votes(vm: VoteMatrix, path: str | Path, *, force: bool = False,
                metadata: dict | None = None, batch_rows: int = 1 << 18) -> None:
    """Write a VoteMatrix as ``votes.parquet`` atomically."""
    meta = votes_metadata(vm, metadata)
    with atomic_output(path, force) as tmp:
        id0 = ids_table(vm.row_ids.iloc[:0] if vm.row_ids is not None else None, 0, 0)
        writer = VotesWriter(tmp, id0.schema, vm.lf_names, vm.cardinality)
        try:
            for start in range(0, max(vm.n_rows, 1), batch_rows):
                stop = min(start + batch_rows, vm.n_rows)
                part = vm.take(np.arange(start, stop))
                ids = ids_table(part.row_ids, start, stop - start)
                writer.write(ids, part.to_dense())
            writer.close(meta)
        except BaseException:
            writer.abort()
            raise


def read_votes(path: str | Path, *, id_cols: Sequence[str] | None = None,
               cardinality: int | None = None, batch_rows: int = 1 << 18,
               lf_names: Sequence[str] | None = None) -> VoteMatrix:
    """Read ``votes.parquet`` (or any Parquet file of integer vote columns) into a VoteMatrix.

    See :func:`votes_layout` for how LF columns, id columns and K are found. ``lf_names``: read
    only these LF columns, in this order (``predict``: the model's), as
    :class:`~weaklabel.votes.reader.VotesSource` does: the file's other LF columns are not read,
    so a bad vote there is not an error, and a plain file's K (without ``cardinality``) is the
    largest vote of these columns + 1. A name that is not an LF column of the file is an error.
    """
    p = Path(path)
    src = TableSource(p)
    file_lfs, ids, K, classes, meta = votes_layout(src, id_cols=id_cols, cardinality=cardinality)
    lf_names = file_lfs if lf_names is None else select_lf_names(p, file_lfs, lf_names)
    if src.n_rows is not None:
        check_metadata_rows(p, meta, int(src.n_rows))
    if K is None and src.n_rows is not None:   # a plain file: K from its row-group statistics, as VotesSource
        from .reader import stats_vote_range

        found = stats_vote_range(src.files, lf_names)
        if found is not None:
            check_plain_vote_maxima(p, *found, int(src.n_rows), files=src.files)
            K = max(2, max(found[0].values(), default=-1) + 1)
    # Convert batch by batch when K is known (bounded memory); plain files without a cardinality
    # nor statistics need the maximum vote first, so they are held dense until the end.
    dense_parts, csr_parts, id_parts = [], [], []
    place = _row_places(p, src)
    # rows per batch bounded by cells too: a crowd's votes (`weaklabel crowd`) have a column per
    # worker, and 2**18 rows of 10,000 workers were one batch of 2.6 billion cells (12 GB resident
    # to read 100,000 items, where this bound reads them in 1.4 GB)
    batch_rows = max(1, min(batch_rows, READ_CELLS // max(1, len(lf_names))))
    pos = 0
    batches = (src.iter_batches_with_ids(batch_rows, ids + lf_names, ids) if ids
               else ((df, None) for df in src.iter_batches(batch_rows, ids + lf_names)))
    for df, id_table in batches:
        block = lf_frame(df, lf_names, p)
        missing = block.isna().to_numpy()
        if missing.any():
            r, c = np.argwhere(missing)[0]
            name, row = place(pos + int(r))
            raise InputError(f"{name}: LF column {lf_names[c]!r} has a missing value at {row}; abstains must be -1")
        arr = block.to_numpy()  # native integer dtype; range is checked before narrowing
        if K is None:
            dense_parts.append(arr)
        else:
            csr_parts.append(dense_to_csr(arr, K, lf_names, where=str(p),
                                          at=lambda r, start=pos: ": ".join(place(start + r))))
        if ids:   # from Arrow: nullable int ids stay exact (not float64)
            id_parts.append(ids_to_pandas(id_table) if id_table is not None else df[ids])
        pos += len(df)
    if K is None:
        dense = np.concatenate(dense_parts) if dense_parts else np.zeros((0, len(lf_names)), np.int64)
        if dense.size:
            check_plain_vote_maxima(p, dict(zip(lf_names, dense.max(axis=0).tolist())),
                                    dict(zip(lf_names, dense.min(axis=0).tolist())), dense.shape[0],
                                    files=src.files)
        K = max(2, int(dense.max()) + 1) if dense.size else 2
        csr_parts = [dense_to_csr(dense, K, lf_names, where=str(p), at=lambda r: ": ".join(place(r)))]
    indptr, indices, votes = concat_csr(csr_parts, K)
    row_ids = None
    if ids:   # [] when the file has only a ``row`` position column (decided from its metadata)
        row_ids = pd.concat(id_parts, ignore_index=True) if id_parts else pd.DataFrame(columns=ids)
    if not meta and id_cols is None:   # a plain file's ids and LFs chosen by name or type: say which look otherwise
        from .gold import VotesNote, _note

        for text in vote_like_id_notes(p, src.schema, ids, frame=row_ids) + gold_like_lf_notes(p, lf_names):
            _note(text, VotesNote)
    vm = VoteMatrix(indptr, indices, votes, lf_names, cardinality=K, row_ids=row_ids,
                    classes=classes, metadata=meta, validate=False)
    # as `fit --stream`: votes edited after `weaklabel apply` wrote them are refused (one bincount)
    if src.n_rows is None:   # else checked before the read
        check_metadata_rows(p, meta, pos)
    stated = metadata_counts(meta, lf_names, K, pos)
    if stated is not None:
        check_metadata_counts(p, stated, vm.lf_class_counts())
    return vm


def _row_places(p: Path, src: TableSource):
    """``place(row)``: ``(name, "row ...")`` of a row of the votes read from ``src`` for a message: a
    part file of a folder or glob and the row within it (:func:`~.dense.row_place`). A bad vote in a
    folder said "votes (rows from 100): row 0", naming neither the part file nor its row."""
    if src.format != "parquet-dir" or not src.files:
        return lambda row: row_place(p, row)
    starts = np.cumsum([0] + [int(n) for n in src.file_rows])

    def place(row: int) -> tuple[str, str]:
        i = min(int(np.searchsorted(starts, row, side="right")) - 1, len(src.files) - 1)   # empty files skipped
        return row_place(p, row, src.files[i], row - int(starts[i]))
    return place


def select_lf_names(where, file_lfs: Sequence[str], lf_names: Sequence[str]) -> list[str]:
    """``lf_names`` checked against a votes file's LF columns ``file_lfs``: each one of them, once."""
    names = list(lf_names)
    have = set(file_lfs)
    missing = [n for n in names if n not in have]
    if missing:
        raise InputError(f"{where}: has no column for LF {missing[0]!r}")
    if len(set(names)) != len(names):
        twice = next(n for i, n in enumerate(names) if n in names[:i])
        raise InputError(f"{where}: LF {twice!r} is selected twice")
    if not names:
        raise InputError(f"{where}: no LF column selected")
    return names


def lf_frame(df: pd.DataFrame, lf_names: Sequence[str], where) -> pd.DataFrame:
    """The LF columns ``lf_names`` (Parquet column names) of a batch read through pandas, which
    restores the column names a DataFrame was saved with: Snorkel's ``pd.DataFrame(L).to_parquet()``
    has Parquet columns ``"0"``, ``"1"``, ... that come back as the integers 0, 1, ... (and
    MultiIndex columns as tuples, saved as their text); matched by that text. Looked up by name
    alone, they were a ``KeyError`` traceback."""
    have = set(df.columns)   # a set: m LF names looked up in a list of m columns was O(m^2) a batch
    if all(n in have for n in lf_names):
        return df[list(lf_names)]
    df = index_columns_back(df, lf_names)   # an LF column pandas made the index (``id_cols`` that leave it out)
    have = set(df.columns)
    by_text: dict[str, object] = {}
    for c in df.columns:
        by_text.setdefault(str(c), c)
    missing = [n for n in lf_names if n not in have and n not in by_text]
    if missing:   # pragma: no cover (pandas' metadata names a column it does not give back)
        raise InputError(f"{where}: LF column {missing[0]!r} could not be read through pandas; write the votes "
                         "with plain column names and without the index (df.to_parquet(path, index=False))")
    return df[[n if n in have else by_text[n] for n in lf_names]]
