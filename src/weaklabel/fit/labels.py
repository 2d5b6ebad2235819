"""Turn a fitted label model's output into ``labels.parquet``: ONE writer for every engine.

Rows where every LF abstained carry the model's class prior as probabilities and ``label = -1``
(so a downstream trainer can drop them) unless ``fill_unlabeled="prior"``, which labels them
with the most likely class. Ties follow the model's tie rule (``-1`` for ``abstain``).

:func:`write_label_blocks` is the one writer: the in-memory fit hands it one block, the streamed
fit one block per row block, the Dask engine one block per part file, all through
:class:`weaklabel.io.LabelsWriter`. Partitioned prediction (streamed row blocks, Dask
partitions) calls :func:`block_labels` per block with the random draws consumed by the blocks
before it, so that random tie-breaks (and hence every label) are those of one prediction over
the whole vote matrix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import InputError, first_line
from ..io import LABELS_FORMAT, LabelsWriter, atomic_output, encode_metadata, ids_table, labels_metadata, labels_table
from ..models.base import LabelModel, break_ties, count_ties, tied_rows
from ..votes import VoteMatrix


def tie_rule(model: LabelModel, ties: str | None) -> str:
    """``"random"`` or ``"abstain"``: the hard-label tie rule for ``ties`` (default: the model's own)."""
    ties = ties if ties is not None else getattr(model, "ties", "random")
    return "abstain" if ties == "abstain" else "random"


def block_labels(model: LabelModel, vm: VoteMatrix, fill_unlabeled: str = "none", ties: str | None = None,
                 skip: tuple[int, int] = (0, 0)):
    """``(proba, label, draws)`` for a block of rows.

    ``skip`` = random draws made by the rows before the block (``(in predict_proba, in the tie
    rule)``, the sums of the earlier blocks' ``draws``); ``draws`` = this block's.
    """
    rule = tie_rule(model, ties)
    proba = model.predict_proba(vm, tie_skip=skip[0])
    label = break_ties(proba, rule, model.random_state, skip=skip[1])
    if fill_unlabeled != "prior":
        label[vm.votes_per_row() == 0] = -1
    return proba, label, (model.proba_draws(vm), count_ties(proba, rule))


def block_draws(model: LabelModel, vm: VoteMatrix, ties: str | None = None) -> tuple[int, int]:
    """The ``draws`` of :func:`block_labels` without labelling (they do not depend on the skips)."""
    return model.proba_draws(vm), count_ties(model.predict_proba(vm), tie_rule(model, ties))


def model_labels(model: LabelModel, vm: VoteMatrix, fill_unlabeled: str = "none", ties: str | None = None):
    """``(proba, label)`` for ``vm`` as written to labels.parquet.

    ``ties`` defaults to the model's own ``ties`` (majority vote) or ``"random"``.
    """
    proba = model.predict_proba(vm)
    label = break_ties(proba, tie_rule(model, ties), model.random_state)
    if fill_unlabeled != "prior":
        label[vm.votes_per_row() == 0] = -1
    return proba, label


@dataclass
class LabelBlock:
    """Labels of consecutive rows: their ids (a ``row`` position column without ids), the
    probabilities and hard labels, the ``--keep-cols`` columns (or None) and ``drawn``: the rows
    whose tie the model already broke at random in ``proba`` (majority vote with
    ``ties="random"``, one-hot: :meth:`~weaklabel.models.base.LabelModel.proba_draws`)."""

    ids: pa.Table
    proba: np.ndarray
    label: np.ndarray
    extra: pa.Table | None = None
    drawn: int = 0


def label_meta(model: LabelModel, fill_unlabeled: str, extra_metadata: dict | None = None, **more) -> dict:
    """The run's part of labels.parquet's metadata (the model, the fill rule, the caller's keys)."""
    meta = {"model": type(model).__name__, "fill_unlabeled": fill_unlabeled, **more}
    meta.update(extra_metadata or {})
    return meta


def votes_id_types(votes: str | Path, id_columns) -> dict:
    """``{column: type}`` the labels' id columns are written with: the votes' own type where reading
    the ids through pandas loses it. A decimal id is a Python ``Decimal`` there, its Arrow type
    inferred again per block (``decimal128(38, 0)`` ids, a SQL ``NUMERIC`` export, were written as
    ``decimal128(3, 0)`` in memory, and ``--stream`` stopped where the ids gained a digit: "row-id
    columns change type"); a dataset whose files hold ``int32`` and ``int64`` ids takes the widest
    (:meth:`~weaklabel.io.TableSource.id_schema`), which ``--stream`` refused and ``--engine dask``
    wrote as part files of both types under an ``int32`` ``_common_metadata``: unreadable."""
    from ..io import TableSource

    src = TableSource(Path(votes))
    ids = [c for c in ([] if id_columns is None else list(id_columns)) if c in src.schema.names]
    if not ids:
        return {}
    return {f.name: f.type for f in src.id_schema(ids)
            if pa.types.is_decimal(f.type) or f.type != src.schema.field(f.name).type}


def _typed_ids(ids: pa.Table, id_types: dict | None) -> pa.Table:
    for name, t in (id_types or {}).items():
        i = ids.schema.get_field_index(name)
        if i >= 0 and ids.schema.field(i).type != t:
            try:
                ids = ids.set_column(i, name, ids.column(i).cast(t))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InputError(f"id column {name!r}: its ids do not fit the type {t} of the votes' first "
                                 f"file ({first_line(exc)}); give every file of the votes one id type") from None
    return ids


def write_label_blocks(tmp: str | Path, blocks: Iterable[LabelBlock], *, cardinality: int, classes, id_columns,
                       meta: dict, drop_unlabeled: bool = False, header: bool = False,
                       empty: LabelBlock | None = None, part: dict | None = None, row_is_id: bool = False,
                       id_types: dict | None = None) -> dict:
    """Write label blocks, in order, into the Parquet file ``tmp`` (the temporary of an
    :func:`~weaklabel.io.atomic_output`, or a part file's) with :class:`~weaklabel.io.LabelsWriter`.

    ``meta``: the run's metadata keys (:func:`label_meta`); the file's metadata adds the format
    fields, the rows written and, with ``drop_unlabeled`` (only rows with ``label >= 0`` are
    written), ``dropped_unlabeled``. ``header``: one block whose metadata also goes into the
    Arrow schema (the layout of a file written in one go, as the in-memory fit always has).
    ``empty``: a 0-row block giving the schema when ``blocks`` is empty. ``part``: the file is
    part ``{"index", "offset"}`` of a folder (metadata without the dataset's row count).
    ``id_types``: the votes' id column types the ids are cast to (:func:`votes_id_types`).
    Returns ``{"rows", "labelled", "per_class", "written", "dropped", "tied"}``; ``tied``: labelled
    rows whose top classes tie (their label is a seeded draw among them: worth telling the user, as a
    fall-back to majority vote can leave a third of the rows so).
    """
    K = int(cardinality)
    labelled = dropped = rows = tied = 0
    per_class = np.zeros(K, dtype=np.int64)

    def metadata(written: int) -> dict:
        extra = dict(meta)
        if drop_unlabeled:
            extra["dropped_unlabeled"] = dropped
        out = labels_metadata(K, classes, id_columns, written, extra, row_is_id=row_is_id)
        if part is not None:
            del out["rows"]
            out["part"] = dict(part, rows=written)
        return out

    def table_of(block: LabelBlock) -> pa.Table:
        table = labels_table(_typed_ids(block.ids, id_types), block.proba, block.label, classes)
        if block.extra is not None:
            for name in block.extra.column_names:
                table = table.append_column(name, block.extra.column(name))
        return table

    writer = LabelsWriter(tmp)
    try:
        for i, block in enumerate(blocks):
            if header and i:
                raise ValueError("write_label_blocks: header=True takes one block")
            table = table_of(block)
            known = block.label >= 0
            if drop_unlabeled:
                table = table.filter(pa.array(np.asarray(known, dtype=bool)))
                dropped += int(known.size - np.count_nonzero(known))
            if header:
                table = table.replace_schema_metadata(encode_metadata(metadata(table.num_rows)))
            writer.write(table)
            rows += int(known.size)
            labelled += int(np.count_nonzero(known))
            tied += int(np.count_nonzero(known & tied_rows(np.asarray(block.proba)))) + int(block.drawn)
            per_class += np.bincount(block.label[known], minlength=K)
        writer.close(metadata(writer.rows), table_of(empty) if empty is not None else None)
    except BaseException:
        writer.abort()
        raise
    return {"rows": rows, "labelled": labelled, "per_class": per_class.tolist(), "written": writer.rows,
            "dropped": dropped, "tied": tied}


def write_model_labels(model: LabelModel, vm: VoteMatrix, path: str | Path, *, fill_unlabeled: str = "none",
                       force: bool = False, extra_metadata: dict | None = None, ties: str | None = None,
                       extra_cols=None, drop_unlabeled: bool = False, id_types: dict | None = None) -> dict:
    """Predict ``vm`` in memory and write labels.parquet (atomic); returns counts for the summary.

    ``extra_cols``: a pyarrow Table of columns to carry (one row per row of ``vm``, e.g. the
    text, see :mod:`weaklabel.fit.keep`); ``drop_unlabeled``: write only rows with ``label >= 0``
    (Snorkel's ``filter_unlabeled_dataframe``); ``id_types``: see :func:`votes_id_types`."""
    proba, label = model_labels(model, vm, fill_unlabeled, ties)
    ids = ids_table(vm.row_ids, 0, vm.n_rows)
    with atomic_output(path, force, replace_dataset=True, dataset_formats=(LABELS_FORMAT,)) as tmp:
        block = LabelBlock(ids, proba, label, extra_cols, model.proba_draws(vm))
        return write_label_blocks(tmp, [block], cardinality=vm.cardinality,
                                  classes=vm.classes, id_columns=ids.column_names,
                                  row_is_id=vm.row_ids is not None and list(vm.row_ids.columns) == ["row"],
                                  meta=label_meta(model, fill_unlabeled, extra_metadata),
                                  drop_unlabeled=drop_unlabeled, header=True, id_types=id_types)
