"""The labels.parquet format: the row-id column(s), ``prob_0 .. prob_{K-1}`` (float32, each row
sums to 1), ``label`` (argmax, ``-1`` for rows no LF voted on unless filled with the prior),
``confidence`` (the largest probability) and, with known class names, ``label_name``; metadata
under the footer key ``weaklabel``. :class:`LabelsWriter` streams blocks into one file; the
fit side builds its label writing on it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._version import __version__
from ..dtypes import vote_dtype
from ..errors import InputError
from .atomic import atomic_output
from .metadata import FORMAT_VERSION, LABELS_FORMAT, encode_metadata
from .votes_file import ids_table


_PROB = re.compile(r"prob_[0-9]+")


def labels_column_name(name) -> bool:
    """Whether labels.parquet writes a column of this name besides the ids (``prob_<k>`` for any
    k, ``label``, ``confidence``, ``label_name``): an id column of that name would be overwritten."""
    return isinstance(name, str) and (name in ("label", "confidence", "label_name") or bool(_PROB.fullmatch(name)))


def labels_table(ids: pa.Table, proba: np.ndarray, label: np.ndarray,
                 classes: Sequence[str] | None = None) -> pa.Table:
    """The columns of labels.parquet for a block of rows: ids, ``prob_k`` (float32, rows sum to 1),
    ``label``, ``confidence``, and with known class names ``label_name`` (null where ``label`` is
    -1): a downstream trainer reads the class without a lookup."""
    n, K = proba.shape
    p32 = proba.astype(np.float32)
    p32 /= p32.sum(axis=1, keepdims=True)
    written = {f"prob_{k}" for k in range(K)} | {"label", "confidence"} | ({"label_name"} if classes is not None else set())
    clash = [name for name in ids.column_names if name in written]
    if clash:
        raise InputError(f"id column {clash[0]!r}: labels.parquet writes a column of that name; rename the id "
                         "column (re-run `weaklabel apply` with another --id-col)")
    cols = {name: ids.column(name) for name in ids.column_names}
    for k in range(K):
        cols[f"prob_{k}"] = pa.array(p32[:, k])
    cols["label"] = pa.array(label.astype(vote_dtype(K)))
    cols["confidence"] = pa.array(p32.max(axis=1) if n else np.zeros(0, np.float32))
    if classes is not None:
        names = pa.array(list(classes), pa.string())
        idx = pa.array(np.asarray(label, dtype=np.int64), mask=np.asarray(label) < 0)
        cols["label_name"] = names.take(idx)
    return pa.table(cols)


def labels_metadata(K: int, classes: Sequence[str] | None, id_columns: Sequence[str], rows: int,
                    extra: dict | None = None, row_is_id: bool = False) -> dict:
    """The labels file's metadata. ``row_is_id``: the ``row`` column holds the votes' real ids
    (an input id column named ``row``), not positions; ``evaluate`` then matches gold by it."""
    meta = {"format": LABELS_FORMAT, "format_version": FORMAT_VERSION,
            "weaklabel_version": __version__, "cardinality": K,
            "classes": list(classes) if classes is not None else None,
            "id_columns": list(id_columns), "rows": rows}
    meta.update(extra or {})
    meta.pop("row_is_id", None)   # never carried over from another file's metadata
    if row_is_id and list(id_columns) == ["row"]:
        meta["row_is_id"] = True
    return meta


def write_labels(path: str | Path, proba: np.ndarray, label: np.ndarray, *,
                 row_ids: pd.DataFrame | None = None, classes: Sequence[str] | None = None,
                 metadata: dict | None = None, force: bool = False, extra_cols: pa.Table | None = None,
                 keep: np.ndarray | None = None, row_is_id: bool = False) -> None:
    """Write ``labels.parquet`` atomically: ids, ``prob_k`` (float32), ``label``, ``confidence``
    (+ ``label_name``). ``extra_cols``: columns appended after them (one row per row of ``proba``);
    ``keep``: a boolean mask of the rows to write (e.g. only the labelled ones); ``row_is_id``: a
    ``row`` column in ``row_ids`` holds real ids, not the votes' row positions."""
    n, K = proba.shape
    ids = ids_table(row_ids, 0, n)
    table = labels_table(ids, proba, label, classes)
    if extra_cols is not None:
        for name in extra_cols.column_names:
            table = table.append_column(name, extra_cols.column(name))
    if keep is not None:
        table = table.filter(pa.array(np.asarray(keep, dtype=bool)))
    meta = labels_metadata(K, classes, ids.column_names, table.num_rows, metadata, row_is_id=row_is_id)
    table = table.replace_schema_metadata(encode_metadata(meta))
    with atomic_output(path, force, replace_dataset=True, dataset_formats=(LABELS_FORMAT,)) as tmp:
        pq.write_table(table, str(tmp), compression="zstd")


class LabelsWriter:
    """Streams blocks of labels into one Parquet file (bounded memory); the ``weaklabel``
    metadata is added when it is closed. ``path`` is the temporary file of an :func:`atomic_output`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.rows = 0
        self.schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.schema = table.schema
            self._writer = pq.ParquetWriter(str(self.path), self.schema, compression="zstd")
        elif table.schema != self.schema:
            try:
                table = table.cast(self.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
                raise InputError(f"row-id columns change type at row {self.rows}: {table.schema} "
                                 f"vs {self.schema}") from None
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self, metadata: dict, empty: pa.Table) -> None:
        """Finish the file (``empty``: a 0-row table giving the schema when nothing was written)."""
        if self._writer is None:
            self.schema = empty.schema
            self._writer = pq.ParquetWriter(str(self.path), self.schema, compression="zstd")
        self._writer.add_key_value_metadata(encode_metadata(metadata))
        self._writer.close()
        self._writer = None

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
            self._writer = None
