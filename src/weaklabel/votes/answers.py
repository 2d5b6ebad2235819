"""Crowd answers in long form (one row per answer: item, worker, label) as a vote matrix.

Crowdsourcing data comes as a long table (crowd-kit's ``task, worker, label``, the truth-inference
benchmarks' ``answer.csv``), while a label model reads a vote matrix: items are its rows, workers
its sources (LFs), each answer one vote. :func:`votes_from_answers` makes the one from the other
without losing or inventing an answer:

* the classes are the label values, sorted (numbers by value, else as text) unless ``classes``
  gives them, and each value is written as a class *name*, so that 1-based labels (``1..5``), labels
  with gaps (``1, 2, 5``) or ``-1/+1`` are classes ``0..K-1`` named as in the file, and a truth file
  holding the same values matches them by name (:func:`~weaklabel.votes.gold.labels_to_ids`);
* an answer without a label is no vote (counted in ``empty_labels``); an answer without an item or
  a worker is an error naming its line: it cannot be placed;
* a worker answering an item twice: the same label counts once (``repeated_answers``); of
  different labels the last in the file is kept (``resolved_duplicates``: the worker's latest
  judgement, as the benchmark loader does; real sets have them, zencrowd_all 247 pairs), or the
  first (``duplicates="first"``), or it is an error naming both (``duplicates="error"``);
* items and workers keep the order of their first answer; an item whose every answer has no
  label is still a row (without votes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from .class_names import number_text
from .matrix import VoteMatrix

#: column names read as the item, the worker and the label when none is given (any case)
ITEM_NAMES = ("item", "task", "item_id", "task_id", "question", "question_id", "example", "example_id")
WORKER_NAMES = ("worker", "worker_id", "annotator", "annotator_id", "rater", "rater_id", "user", "user_id",
                "performer", "labeler", "labeller", "judge", "coder")
LABEL_NAMES = ("label", "answer", "response", "value", "class", "judgment", "judgement", "annotation")
DUPLICATES = ("error", "first", "last")


@dataclass
class AnswersSummary:
    """What :func:`votes_from_answers` read and what it did with each answer."""

    answers: int                       # rows of the table
    votes: int                         # votes in the matrix
    items: int
    workers: int
    classes: list[str]
    class_answers: list[int]           # votes per class
    empty_labels: int = 0              # answers without a label: no vote
    repeated_answers: int = 0          # a worker's same label on the same item again: counted once
    resolved_duplicates: int = 0       # a worker's other label on the same item, dropped by ``duplicates``
    columns: dict = field(default_factory=dict)   # {"item": ..., "worker": ..., "label": ...}

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def find_column(columns: Sequence, given: str | None, names: Sequence[str], role: str, where: str) -> str:
    """The column for ``role`` (item, worker, label): ``given`` if set, else the one column named
    like ``names`` (any case)."""
    cols = [str(c) for c in columns]
    flag = f"--{role}-col"
    if given is not None:
        if given not in cols:
            raise InputError(f"{where}: no {role} column {given!r} (columns: {', '.join(cols)})")
        return given
    found = [c for c in cols if c.strip().lower() in names]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(f"{where}: no column named like the {role} ({', '.join(names[:4])}, ...; columns: "
                         f"{', '.join(cols)}); name it with {flag}")
    raise InputError(f"{where}: {len(found)} columns could be the {role} ({', '.join(found)}); name one with {flag}")


def _distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, uniques)`` of ``values`` (no missing ones): each distinct value once (an object
    array) and each row's position in it, in O(rows) hashing, so that the per-value work below is
    done once per distinct label, not once per answer (10 million answers: 21 s -> 2 s). An object
    column mixing types that pandas would hash as one value (``True`` and ``1``, ``False`` and
    ``0``) is taken one value a row, as before."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in _SAFE_KINDS:
        v = values.to_numpy(dtype=object)
        return np.arange(v.size, dtype=np.int64), v
    codes, uniq = pd.factorize(values, sort=False)
    return codes.astype(np.int64), np.asarray(uniq, dtype=object)


#: kinds of object columns (:func:`pandas.api.types.infer_dtype`) whose distinct values pandas tells apart as Python does
_SAFE_KINDS = frozenset({"string", "integer", "floating", "mixed-integer-float", "boolean"})


def _class_names(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes ``0..K-1`` of ``values`` (no missing ones) and the class names, sorted: numbers by
    value (integral floats written as integers: ``1.0`` is class ``"1"``; integers compared exactly,
    not as floats, which made ``2**60`` and ``2**60 + 1`` one class), anything else (text,
    booleans, a mix) as text."""
    codes, v = _distinct(values)
    numeric = all(isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))
                  for x in v)
    if numeric and all(isinstance(x, (int, np.integer)) for x in v):
        exact = [int(x) for x in v]
        order = sorted(set(exact))
        at = {u: i for i, u in enumerate(order)}
        return np.array([at[x] for x in exact], dtype=np.int64)[codes], [str(u) for u in order]
    if numeric:
        f = v.astype(float)
        uniq = np.unique(f)
        # each value as gold labels are read (``number_text``): 0.5, 1 and 1.5, so that a truth file of
        # the same values matches them by name (``1.0`` named "1.0" beside 0.5 did not)
        names = [number_text(u) for u in uniq]
        return np.searchsorted(uniq, f)[codes], names
    uniq, inverse = np.unique(np.array([_text(x) for x in v], dtype=object), return_inverse=True)
    return inverse.reshape(-1)[codes], [str(u) for u in uniq]


def _text(x) -> str:
    """A label value as its class name: floats as gold labels are read (:func:`number_text`:
    ``1.0`` -> ``"1"``), anything else as text."""
    if isinstance(x, (float, np.floating)):
        return number_text(x)
    return str(x.item() if isinstance(x, np.generic) else x)


def _given_classes(values: pd.Series, classes: Sequence[str], where) -> np.ndarray:
    """Codes of ``values`` in the order ``classes`` gives (compared as text)."""
    lookup = {str(c): i for i, c in enumerate(classes)}
    if len(lookup) != len(classes):
        raise InputError(f"the classes given repeat a name: {', '.join(map(str, classes))}")
    codes, v = _distinct(values)
    text = [_text(x) for x in v]
    u_codes = np.array([lookup.get(t, -1) for t in text], dtype=np.int64)
    out = u_codes[codes]
    bad = np.flatnonzero(out < 0)
    if bad.size:
        r = int(bad[0])
        raise InputError(f"{where(int(values.index[r]))}: label {text[codes[r]]!r} is not one of the classes given "
                         f"({', '.join(map(str, classes))})")
    return out


def votes_from_answers(table: pd.DataFrame, item_col: str | None = None, worker_col: str | None = None,
                       label_col: str | None = None, *, classes: Sequence[str] | None = None,
                       duplicates: str = "last", where=None, name: str = "answers") -> tuple[VoteMatrix, AnswersSummary]:
    """The vote matrix of a long table of crowd answers (see the module docstring), and a summary.

    ``where(r)``: how errors name the table's row ``r`` (0-based; default ``"<name>, row r"``, a
    CSV file's caller gives its line). The matrix's row ids are one column named like the item
    column; its LFs are named by the workers' ids as text."""
    if duplicates not in DUPLICATES:
        raise InputError(f"--duplicates (duplicates=) must be one of {', '.join(DUPLICATES)}, got {duplicates!r}")
    where = where or (lambda r: f"{name}, row {r:,}")
    item_col = find_column(table.columns, item_col, ITEM_NAMES, "item", name)
    worker_col = find_column(table.columns, worker_col, WORKER_NAMES, "worker", name)
    label_col = find_column(table.columns, label_col, LABEL_NAMES, "label", name)
    if len({item_col, worker_col, label_col}) < 3:
        raise InputError(f"{name}: the item, worker and label columns must be three different columns "
                         f"(got {item_col!r}, {worker_col!r}, {label_col!r})")
    df = table[[item_col, worker_col, label_col]].reset_index(drop=True)
    for col, role in ((item_col, "item"), (worker_col, "worker")):
        miss = np.flatnonzero(df[col].isna().to_numpy())
        if miss.size:
            raise InputError(f"{where(int(miss[0]))}: the answer has no {role} ({col!r} is empty); every answer "
                             f"needs one ({miss.size:,} such row{'s' * (miss.size > 1)})")
    items, item_codes = _factorize(df[item_col], "item", name)
    workers, worker_codes = _factorize(df[worker_col], "worker", name)
    if any(str(w) == str(item_col) for w in workers):   # the votes file's columns: the item id, then workers
        raise InputError(f"{name}: a worker is named {str(item_col)!r}, like the item column; the votes file has a "
                         "column per worker beside the item column: rename that worker (or the item column)")
    has_label = ~df[label_col].isna().to_numpy()
    labelled = df[label_col][has_label]
    if classes is not None:
        codes, names = _given_classes(labelled, list(map(str, classes)), where), [str(c) for c in classes]
    elif labelled.empty:
        codes, names = np.zeros(0, dtype=np.int64), []
    else:
        codes, names = _class_names(labelled)
    if len(names) < 2:
        found = f"only the class {names[0]!r}" if names else "no label at all"
        raise InputError(f"{name}: the answers hold {found}; a label model needs two classes or more: give the "
                         "classes (--classes a,b)")
    rows, cols = item_codes[has_label], worker_codes[has_label]
    at = np.flatnonzero(has_label)                       # table rows of the labelled answers
    order = np.lexsort((np.arange(rows.size), cols, rows))   # by item, worker, then file order
    rows, cols, codes, at = rows[order], cols[order], np.asarray(codes)[order], at[order]
    same_cell = np.r_[False, (rows[1:] == rows[:-1]) & (cols[1:] == cols[:-1])]
    first_of_cell = ~same_cell
    cell = np.cumsum(first_of_cell) - 1
    clash = np.zeros(rows.size, dtype=bool)
    clash[same_cell] = codes[same_cell] != codes[np.flatnonzero(first_of_cell)[cell[same_cell]]]
    repeated = int(same_cell.sum())
    resolved = 0
    if clash.any():
        cells = np.unique(cell[clash])
        if duplicates == "error":
            c0 = cells[0]
            members = np.flatnonzero(cell == c0)
            a, b = members[0], members[np.flatnonzero(codes[members] != codes[members[0]])[0]]
            raise InputError(f"{name}: worker {_shown(workers[cols[a]])} answers item {_shown(items[rows[a]])} twice "
                             f"with different labels ({names[codes[a]]!r} at {where(int(at[a]))}, {names[codes[b]]!r} "
                             f"at {where(int(at[b]))}; {cells.size:,} such pair{'s' * (cells.size > 1)}); keep one "
                             "with --duplicates first or --duplicates last")
        resolved = int(cells.size)
    keep_pos = np.flatnonzero(first_of_cell) if duplicates != "last" else \
        np.r_[np.flatnonzero(first_of_cell)[1:] - 1, rows.size - 1] if rows.size else np.zeros(0, dtype=np.int64)
    rows, cols, codes = rows[keep_pos], cols[keep_pos], codes[keep_pos]
    repeated -= int(clash.sum())
    indptr = np.zeros(len(items) + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    first_rows = np.unique(item_codes, return_index=True)[1]   # each item's first answer, in code order
    row_ids = pd.DataFrame({item_col: df[item_col].iloc[first_rows].reset_index(drop=True)})
    vm = VoteMatrix(indptr, cols, codes, [str(w) for w in workers], cardinality=len(names), row_ids=row_ids,
                    classes=names)
    summary = AnswersSummary(answers=len(df), votes=int(codes.size), items=len(items), workers=len(workers),
                             classes=names, class_answers=np.bincount(codes, minlength=len(names)).tolist(),
                             empty_labels=int((~has_label).sum()), repeated_answers=repeated,
                             resolved_duplicates=resolved,
                             columns={"item": item_col, "worker": worker_col, "label": label_col})
    return vm, summary


def _factorize(values: pd.Series, role: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``values`` in order of first appearance and each row's code. Ids of two types that
    would print alike (``7`` and ``"7"``) are refused: they would be one worker, or one item, in the
    votes file's text column names or in a gold file matched by id."""
    codes, uniq = pd.factorize(values, sort=False)
    uniq = np.asarray(uniq, dtype=object)
    text = pd.Series([str(u) for u in uniq])
    dup = text.duplicated(keep=False).to_numpy()
    if dup.any():
        a, b = [uniq[i] for i in np.flatnonzero(dup)[:2]]
        raise InputError(f"{name}: {role} ids {a!r} and {b!r} are different values that read as the same text; "
                         f"write each {role} id one way")
    return uniq, codes.astype(np.int64)


def _shown(v) -> str:
    return repr(v.item() if hasattr(v, "item") else v)
