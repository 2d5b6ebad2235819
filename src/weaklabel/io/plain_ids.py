"""Notes on the id columns of a Parquet votes file without weaklabel metadata that look like an
LF's votes (:func:`vote_like_id_notes`).

Such a file takes its id columns by name (``id``, ``index``, ``item``, ``row``, or ending in
``_id``) or type (not integer): :func:`~.votes_file.votes_layout`. An LF named ``doc_id``, or one
whose votes were written as class names (``"pos"``, ``"neg"``), is then read as ids and left out
of every figure without a word (``analyze`` showed one LF fewer, exit 0). The rule stays (ids
named so are ids); the note says which column was read as ids and why it looks like votes.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from ..errors import InputError
from .tables import TableSource, open_parquet
from .votes_file import _ID_NAME_RULE, _is_id_name, pandas_index_columns

#: a text column read as ids is noted when its values repeat and it has at most this many of them
#: (class names, not ids)
FEW_VALUES = 100


def vote_like_id_notes(where, schema: pa.Schema, ids: Sequence[str], ranges: dict | None = None,
                       frame: pd.DataFrame | None = None, n_rows: int | None = None) -> list[str]:
    """Notes on the id columns ``ids`` of a plain votes file (``schema``) that look like votes:

    * an integer column taken for ids by its name that holds ``-1`` (the abstain code) and no
      value below it (``ranges``: ``{column: (min, max)}``, e.g. from row-group statistics; or
      taken from ``frame``, the ids as read), over more rows (``n_rows``, or ``frame``'s) than
      ``-1..max`` has values: they repeat, as an LF's votes do (ids ``-1, 0, 1, ...``, all
      different, are ids);
    * a text (or dictionary) column taken for ids by its type, whose values repeat and are few
      (at most :data:`FEW_VALUES`): an LF's votes written as class names, or a column such as
      ``split`` (``frame`` only: it needs the values); either way the values cannot identify rows;
      not when the file's other id columns need it to (``item``, ``worker``: a row per answer).
    """
    if n_rows is None and frame is not None:
        n_rows = len(frame)
    notes: list = []                  # texts, and (column,) for a column of few repeated values
    few: dict = {}
    index = set(pandas_index_columns(schema))
    for name in ids:
        if name not in schema.names or name in index:
            continue
        t = schema.field(name).type
        if pa.types.is_integer(t) and _is_id_name(name):
            lo_hi = (ranges or {}).get(name)
            if lo_hi is None and frame is not None and name in frame.columns and frame[name].notna().any():
                col = frame[name]
                lo_hi = (int(col.min()), int(col.max()))
            if lo_hi is not None and lo_hi[0] == -1 and (n_rows is None or lo_hi[1] + 2 < n_rows):
                other = (name[:-3] if name.lower().endswith("_id") else name) + "_lf"
                notes.append(f"{where}: column {name!r} is read as row ids (a Parquet file without weaklabel "
                             f"metadata takes a column for ids by its name: {_ID_NAME_RULE}), but it holds -1, the "
                             f"abstain code, and values up to {lo_hi[1]:,}, like an LF's votes; if it is an LF, "
                             f"rename it (e.g. df.rename(columns={{{name!r}: {other!r}}}) in pandas)")
        elif frame is not None and name in frame.columns and _texts(t):
            values = frame[name].dropna()
            if len(pd.unique(values.iloc[:10 * FEW_VALUES])) > FEW_VALUES:   # ids: no pass over them all
                continue
            uniq = pd.unique(values)
            if len(uniq) < len(values) and len(uniq) <= FEW_VALUES:
                few[name] = uniq
                notes.append((name,))         # its note, once the other id columns are known
    # a column of few repeated values that the other id columns (other than such columns) need to tell rows
    # apart is a part of the rows' ids (``item``, ``worker``: a row per answer), not votes
    others = [c for c in ids if c not in few and frame is not None and c in frame.columns]
    if few and others and not _unique(frame[others]):
        few = {}
    return [n if isinstance(n, str) else _class_names_note(where, n[0], few[n[0]]) for n in notes
            if isinstance(n, str) or n[0] in few]


def _class_names_note(where, name, uniq) -> str:
    shown = ", ".join(repr(str(v)) for v in sorted(map(str, uniq))[:3]) + (", ..." if len(uniq) > 3 else "")
    return (f"{where}: column {name!r} is read as row ids (a Parquet file without weaklabel metadata "
            f"takes non-integer columns for ids), but its values repeat ({len(uniq):,} distinct: "
            f"{shown}), like an LF's votes written as class names; if it is an LF, write its votes "
            f"as class ids 0..K-1 with -1 for abstain (an integer column)")


def _unique(ids: pd.DataFrame) -> bool:
    """Whether the rows of ``ids`` all differ: the other id columns identify the rows without the
    column noted (else it is a part of the rows' ids). An index's check: sorted ids cost no hashing."""
    if ids.shape[1] == 1:
        return bool(pd.Index(ids.iloc[:, 0]).is_unique)
    return not bool(ids.duplicated().any())


def _texts(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


#: names of gold-label columns (compared stripped, in any case)
GOLD_NAMES = frozenset({"label", "labels", "y", "y_true", "gold", "gold_label", "true_label", "target", "truth"})


def gold_like_lf_notes(where, lf_names: Sequence[str]) -> list[str]:
    """Notes on a plain votes file's LF columns named like gold labels (``label``, ``y``, ``gold``,
    ...): ``df["label"] = Y`` saved beside Snorkel's ``L`` is an integer column, so an LF, and the
    label model fitted its gold labels as one more source (analyze showed it as an LF, exit 0)."""
    return [f"{where}: column {name!r} is read as an LF's votes (a Parquet file without weaklabel metadata takes its "
            "integer columns for LFs), but it is named like gold labels; if it holds them, drop it from the votes "
            "(an LF that is the truth makes every figure and fit wrong) and give it as --gold (analyze) or --dev (fit)"
            for name in lf_names if str(name).strip().lower() in GOLD_NAMES]


# --------------------------------------------------------------------------- crowdsourcing answers
#: what a crowdsourcing answers table calls its worker column, once :func:`_worker_base` has
#: normalised the name (``worker``, ``worker_id``, ``WorkerId`` (Amazon Mechanical Turk),
#: ``_worker_id`` (CrowdFlower / Figure Eight), ``!amt_worker_ids`` (Snow et al. 2008), ``annotator``, ...)
WORKER_NAMES = frozenset({"worker", "amt_worker", "annotator", "rater", "labeler", "labeller", "turker",
                          "coder", "assessor", "contributor"})
#: rows of an answers table read to see its values repeat (answers come grouped by item or by worker)
ANSWERS_SAMPLE_ROWS = 1_000_000


def _worker_base(name) -> str:
    low = str(name).strip().lower().lstrip("_!").replace(" ", "_").replace("-", "_")
    for suffix in ("_ids", "_id", "ids", "id", "s"):
        if low.endswith(suffix) and low[:-len(suffix)].rstrip("_"):
            low = low[:-len(suffix)].rstrip("_")
            break
    return low


def is_worker_name(name) -> bool:
    """Whether ``name`` is what a crowdsourcing answers table calls its worker column."""
    return _worker_base(name) in WORKER_NAMES


def _repeats(values) -> bool:
    v = pd.Series(values).dropna()
    return len(v) > 1 and not v.is_unique


def _negative(values) -> bool:
    """Whether a numeric column holds a value below 0 (text ids never do; compared with 0, they
    were a ``TypeError`` traceback from a label model's ``fit``)."""
    v = pd.Series(values).dropna()
    return pd.api.types.is_numeric_dtype(v.dtype) and not pd.api.types.is_bool_dtype(v.dtype) and bool((v < 0).any())


def answers_table_error(where, columns: Sequence[str], ids: Sequence[str], values, file=None) -> str | None:
    """The message refusing a vote matrix that is a crowdsourcing answers table, one row per answer
    (``item, worker, label``), or ``None``. Read as votes, such a table made one row per answer and
    the worker column one more LF (or an id column), the worker ids votes of hundreds of classes, and
    the fit exited 0 (``K`` = the largest worker id + 1).

    ``columns``: every column, ``ids``: those taken for row ids (they may include a pandas index
    saved as columns), ``values(name)``: a column's values (a sample of its first rows is enough).
    A column named like a worker (:func:`is_worker_name`) whose values repeat marks such a table
    when it is itself an id column (rows keyed by worker would never repeat it), when another id
    column's values repeat too (the item: several answers an item), or when there is no other id
    column and two other columns, one without a negative value for the item (``question, worker,
    answer``, all integers; an LF's column abstains with -1); never beside
    more than two columns that are not ids (LF votes on rows keyed by item and worker). A votes file
    with an LF named ``annotator`` beside unique row ids is votes, as before. ``file``: the path the
    message's ``weaklabel crowd`` command names (else ``ANSWERS``)."""
    workers = [c for c in columns if is_worker_name(c)]
    if not workers:
        return None
    w = workers[0]
    w_values = values(w)
    if not _repeats(w_values):
        return None
    others = [c for c in ids if c != w and not is_worker_name(c)]
    rest = [c for c in columns if c not in ids and c != w]
    if len(rest) > 2:   # several vote columns: votes keyed by (item, worker), e.g. LFs run on each answer
        return None
    item = next((c for c in others if _repeats(values(c))), None)
    if item is None:
        if w in ids:
            item = others[0] if others else (rest[0] if len(rest) == 2 else None)
        elif not others and len(rest) == 2 and not _negative(w_values):
            # the item is a column without a -1 (an LF's abstain): a human annotator's column beside
            # two LFs that abstain was refused as answers, with --item-col naming an LF
            item = next((c for c in rest if not _negative(values(c))), None)
            if item is None:
                return None
        else:
            return None
    labels = [c for c in columns if c not in (w, item) and c not in ids]
    opts = "" if w == "worker" else f" --worker-col {w}"
    if item is not None and item != "item":
        opts = f" --item-col {item}" + opts
    if len(labels) == 1 and labels[0] != "label":
        opts += f" --label-col {labels[0]}"
    repeats = f", as do those of {item!r}" if item is not None and _repeats(values(item)) else ""
    return (f"{where}: looks like crowdsourcing answers, one row per answer (column {w!r} names workers and its values "
            f"repeat{repeats}), not votes (one row per item, one column per worker): make votes of them with "
            f"`weaklabel crowd {shlex.quote(str(file)) if file is not None else 'ANSWERS'} -o votes.parquet{opts}` (Python: VoteMatrix.from_answers(df))")


def refuse_answers_table(path, src: TableSource, schema: pa.Schema, ids: list[str], lf_names: list[str]) -> None:
    """Refuse a plain votes file that is a crowdsourcing answers table (``item, worker, label``, one
    row per answer; :func:`~.plain_ids.answers_table_error`), reading its first rows' values only
    when a column is named like a worker (from :func:`~.votes_file.votes_layout`). Read as votes, the worker ids became an LF's votes (or row
    ids), one row per answer: a fit of hundreds of classes that exited 0."""
    columns = [n for n in schema.names if n in ids or n in lf_names]
    if not any(is_worker_name(c) for c in columns):
        return
    cache: dict = {}

    def values(name: str):
        if name not in cache:
            parts, left = [], ANSWERS_SAMPLE_ROWS
            for f in src.files:
                if left <= 0:
                    break
                pf = open_parquet(f)
                try:
                    if name not in pf.schema_arrow.names:
                        continue
                    for batch in pf.iter_batches(batch_size=min(left, 1 << 16), columns=[name]):
                        parts.append(batch.column(0).to_pandas())
                        left -= batch.num_rows
                        if left <= 0:
                            break
                except (OSError, pa.ArrowException):
                    pass   # the read that follows names the file
                finally:
                    pf.close()
            cache[name] = pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype=object)
        return cache[name]

    msg = answers_table_error(path, columns, ids, values, file=path)
    if msg is not None:
        raise InputError(msg)
