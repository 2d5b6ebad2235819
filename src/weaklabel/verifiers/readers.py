"""Reading verifier-score tables: the long layout, Weaver-style score tables, Weaver's list layout.

:func:`read_scores` returns the long table :func:`~weaklabel.verifiers.data.from_frame` reads
plus the column roles it found, so that a user with real reward-model scores needs no
reshaping. Layouts (``layout=``):

* ``long``: one row per candidate with the columns named by the caller (``question_id``,
  ``candidate_id``, verifier columns, optional ``answer`` and ``correct``).
* ``weaver-long``: a **Weaver-style score table**, one row per question x sample: a question
  column (``problem_idx``, ``question_idx``, ``instruction``, ``problem`` or ``question``), a
  sample column (``sample_idx``, ``sample_id`` or ``candidate_idx``), verifier score columns
  (any other numeric column; a ``_score``/``_scores``/``_verdict``/``_verdicts`` suffix is
  kept), optionally the sample's final answer (``extracted_answer``, ``answer``) and its
  correctness (``answer_correct``, ``is_correct``, ``correct``; booleans or 0/1). Columns are
  renamed to ``question_id``, ``candidate_id``, ``answer``, ``correct``.
* ``weaver``: Weaver's published dataset layout, one row per question with list columns
  ``samples``, ``extracted_answers``, ``answer_correct``, ``<verifier>_scores`` and
  ``<verifier>_verdicts`` (:func:`weaver_to_long`).
* ``auto`` (default): ``weaver`` when the list columns are there, ``weaver-long`` when the
  caller's question/candidate columns are missing but Weaver's names are present, else ``long``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .data import ANSWER_NAMES, CORRECT_FORMS, CORRECT_NAMES, correct_value

LAYOUTS = ("auto", "long", "weaver-long", "weaver")
QUESTION_NAMES = ("problem_idx", "question_idx", "instruction", "problem", "question")
SAMPLE_NAMES = ("sample_idx", "sample_id", "candidate_idx")
WEAVER_LIST_COLUMNS = ("samples", "extracted_answers", "answer_correct")
WEAVER_SUFFIXES = ("_scores", "_verdicts")


@dataclass
class ScoreTable:
    """A long score table and the roles of its columns (``answer_col``/``correct_col`` None when
    absent); ``layout`` is the layout it was read as; ``names`` maps the columns the reader
    renamed to their names in the user's file (for messages and options); ``warnings`` holds what
    the reader left out (Weaver's list layout: questions without samples)."""

    frame: pd.DataFrame
    question_col: str
    candidate_col: str
    answer_col: str | None
    correct_col: str | None
    layout: str
    names: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


def is_weaver_layout(df: pd.DataFrame) -> bool:
    """One row per question with list columns: ``answer_correct`` or ``samples`` plus at least one
    ``*_scores`` / ``*_verdicts`` column of per-sample lists."""
    cols = [str(c) for c in df.columns]
    has_ver = any(c.endswith(WEAVER_SUFFIXES) for c in cols)
    has_key = any(c in cols for c in WEAVER_LIST_COLUMNS)
    if not (has_ver and has_key) or len(df) == 0:
        return False
    key = next(c for c in WEAVER_LIST_COLUMNS if c in cols)
    first = df[key].iloc[0]
    return isinstance(first, (list, tuple, np.ndarray))


def weaver_to_long(df: pd.DataFrame, where: str = "weaver data") -> pd.DataFrame:
    """Weaver layout -> long table: ``question_id`` (the row position), ``candidate_id`` (the
    sample index), one column per verifier (the ``_scores``/``_verdicts`` list, suffix kept),
    ``answer`` (from ``extracted_answers``), ``correct`` (from ``answer_correct``). Lists of
    different lengths within a question are an error."""
    cols = [str(c) for c in df.columns]
    ver = [c for c in cols if c.endswith(WEAVER_SUFFIXES)]
    if not ver:
        raise InputError(f"{where}: no *_scores or *_verdicts columns (Weaver layout)")
    ref = next((c for c in WEAVER_LIST_COLUMNS if c in cols), ver[0])
    lengths = df[ref].map(lambda v: len(v) if isinstance(v, (list, tuple, np.ndarray)) else -1).to_numpy()
    if np.any(lengths < 0):
        i = int(np.flatnonzero(lengths < 0)[0])
        raise InputError(f"{where}: row {i}: column {ref!r} is not a list")
    listed = ver + [c for c in ("extracted_answers", "answer_correct") if c in cols]
    for c in listed:
        ln = df[c].map(lambda v: len(v) if isinstance(v, (list, tuple, np.ndarray)) else -1).to_numpy()
        bad = np.flatnonzero(ln != lengths)
        if bad.size:
            i = int(bad[0])
            if ln[i] < 0:                     # "has -1 entries" said nothing of a cell that is not a list
                raise InputError(f"{where}: row {i}: column {c!r} is not a list ({df[c].iloc[i]!r})")
            raise InputError(f"{where}: row {i}: column {c!r} has {ln[i]} entries but {ref!r} has {lengths[i]}")
    q = np.repeat(np.arange(len(df)), lengths)
    out = pd.DataFrame({"question_id": q, "candidate_id": np.concatenate([np.arange(n) for n in lengths])
                        if len(lengths) else np.zeros(0, dtype=int)})

    def flat(c):
        vals = [np.asarray(v, dtype=object) for v in df[c]]
        return np.concatenate(vals) if vals else np.zeros(0, dtype=object)

    def at(k: int) -> str:                    # a flat position as the file's row and list entry
        return f"row {int(q[k])} entry {int(out['candidate_id'].iloc[k])}"

    for c in ver:
        raw = pd.Series(flat(c))
        conv = pd.to_numeric(raw, errors="coerce")
        bad = np.flatnonzero((conv.isna() & raw.notna()).to_numpy())
        if bad.size:                          # a typo'd or textual score is not a missing one
            k = int(bad[0])
            raise InputError(f"{where}: column {c!r} {at(k)}: {raw.iloc[k]!r} is not a number "
                             "(use null/NaN for a missing score)")
        vals = conv.astype(float).to_numpy()
        bad = np.flatnonzero(np.isinf(vals))
        if bad.size:                          # named here: the long table's row is not a row of the file
            k = int(bad[0])
            raise InputError(f"{where}: column {c!r} {at(k)}: score {vals[k]} is not finite "
                             "(use null/NaN for a missing score)")
        out[c] = vals
    if "extracted_answers" in cols:
        out["answer"] = pd.Series(flat("extracted_answers")).map(lambda v: None if v is None else str(v))
    if "answer_correct" in cols:
        raw = flat("answer_correct")
        correct = np.empty(raw.size)
        for k, v in enumerate(raw):           # as the long readers parse it; bool("False") is True
            try:
                correct[k] = correct_value(v)
            except ValueError:
                raise InputError(f"{where}: column 'answer_correct' {at(k)}: {v!r} is not "
                                 f"{CORRECT_FORMS}") from None
        out["correct"] = correct
    return out


def _empty_question_warnings(df: pd.DataFrame, long: pd.DataFrame, where: str) -> list[str]:
    """Weaver's list layout: a question whose lists are empty has no row in the long table, so it
    vanished from the selection (and the counts) without a word. There is no candidate to select
    (``selection.parquet`` has one row per candidate and one selected per question), so it is
    said: how many, and the first one's row in the file. Every question empty is an error."""
    empty = np.setdiff1d(np.arange(len(df)), long["question_id"].to_numpy())
    if not empty.size:
        return []
    if empty.size == len(df):
        raise InputError(f"{where}: no question has a sample (every list of Weaver's layout is empty): "
                         "nothing to select")
    k, first = int(empty.size), int(empty[0])
    return [f"{where}: {k:,} question{'s' if k > 1 else ''} of Weaver's list layout "
            f"{'have' if k > 1 else 'has'} no samples (empty lists; {'first: ' if k > 1 else ''}row {first}): "
            f"no candidate to select, so {'they are' if k > 1 else 'it is'} not in the selection "
            "(nor in its counts and figures)"]


def _first(cols, names):
    return next((c for c in names if c in cols), None)


def weaver_long(df: pd.DataFrame, where: str = "scores", question_col: str | None = None,
                candidate_col: str | None = None) -> ScoreTable:
    """A Weaver-style score table (one row per question x sample; see module docstring) with
    its columns renamed to the long layout's. ``question_col``/``candidate_col``: the user's
    id columns, used instead of the first of Weaver's names found (an error when missing)."""
    cols = [str(c) for c in df.columns]
    for given, opt in ((question_col, "--question-col"), (candidate_col, "--candidate-col")):
        if given is not None and given not in cols:
            raise InputError(f"{where}: no column {given!r} ({opt}); columns: {', '.join(cols)}")
    q = question_col or _first(cols, ("question_id",) + QUESTION_NAMES)
    s = candidate_col or _first(cols, ("candidate_id",) + SAMPLE_NAMES)
    if q is None or s is None:
        raise InputError(f"{where}: a Weaver-style score table needs a question column "
                         f"({', '.join(QUESTION_NAMES)}) and a sample column ({', '.join(SAMPLE_NAMES)}); "
                         f"columns: {', '.join(cols)}")
    a = _first(cols, ANSWER_NAMES)
    c = _first(cols, CORRECT_NAMES)
    rename = {q: "question_id", s: "candidate_id"}
    if a is not None:
        rename[a] = "answer"
    if c is not None:
        rename[c] = "correct"
    rename = {k: v for k, v in rename.items() if k != v}
    taken = set(rename.values()) - set(rename)
    clash = [t for t in taken if t in cols]
    if clash:
        raise InputError(f"{where}: column {clash[0]!r} exists besides the Weaver column renamed to it")
    out = df.rename(columns=rename)
    return ScoreTable(out, "question_id", "candidate_id", "answer" if a else None, "correct" if c else None,
                      "weaver-long", {v: k for k, v in rename.items()})


def _own_column(t: ScoreTable, given: str | None, found: str | None) -> str | None:
    """The frame column an ``--answer-col``/``--correct-col`` option names: the user's own name
    of a column the reader renamed maps to the renamed column (``--correct-col answer_correct``
    is the file's ``answer_correct``, read as ``correct``); without the option, ``found``."""
    if given is None:
        return found
    back = {user: internal for internal, user in t.names.items()}
    return back.get(given, given)


def _csv_ids_as_text(path, df: pd.DataFrame, id_cols, answer_cols=()) -> None:
    """Re-read a CSV's id and final-answer columns as text, in place: parsed as numbers, ids
    ``01`` and ``1`` would be one question (a silently wrong selection) and ``05`` would be
    written back as 5. Ids keep ``NA``, ``null``... as written (only an empty cell is a missing
    id: the rule of every command that reads CSV ids, ``io/csv_ids.py``); answers keep pandas'
    missing markers, which :data:`weaklabel.verifiers.data.MISSING_TEXTS` reads as "no answer" in
    every format."""
    from ..io.tables import TableSource

    ids = [c for c in dict.fromkeys(id_cols) if c in df.columns]
    answers = [c for c in dict.fromkeys(answer_cols) if c in df.columns and c not in ids and df[c].dtype != object]
    if not (ids or answers) or TableSource(path).format != "csv":
        return
    sep = "\t" if Path(path).suffix.lower() == ".tsv" else ","
    try:
        if ids:
            text = pd.read_csv(path, sep=sep, usecols=ids, dtype=str, keep_default_na=False, na_values=[""])
            for c in ids:
                df[c] = text[c].to_numpy(dtype=object)
        if answers:
            text = pd.read_csv(path, sep=sep, usecols=answers, dtype=str)
            for c in answers:
                df[c] = text[c].to_numpy(dtype=object)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: read failed ({exc})") from None


def read_scores(path: str | Path, layout: str = "auto", *, question_col: str = "question_id",
                candidate_col: str = "candidate_id", answer_col: str | None = None,
                correct_col: str | None = None) -> ScoreTable:
    """Read a score table (Parquet/CSV/JSON Lines) in any of the layouts of the module docstring.
    For the Weaver layouts ``answer_col``/``correct_col`` default to the columns found and may
    name a column by the file's own name; ``ScoreTable.names`` maps the renamed columns back.
    Id columns other than the defaults are used by a Weaver-style table and refused by Weaver's
    list layout (its ids are the row and list positions)."""
    from ..io import read_table

    if layout not in LAYOUTS:
        raise InputError(f"--format must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    where = str(path)
    df = read_table(path)
    cols = [str(c) for c in df.columns]
    # final answers too: parsed as numbers, "010" and "10.0" would be one answer (not in a Parquet file)
    _csv_ids_as_text(path, df, [question_col, candidate_col, "question_id", "candidate_id", *QUESTION_NAMES,
                                *SAMPLE_NAMES], [*([answer_col] if answer_col else []), *ANSWER_NAMES])
    own_q = None if question_col == "question_id" else question_col
    own_c = None if candidate_col == "candidate_id" else candidate_col
    if layout == "weaver" or (layout == "auto" and is_weaver_layout(df)):
        if not is_weaver_layout(df):
            raise InputError(f"{where}: not in Weaver's layout (one row per question with list columns "
                             "'samples'/'answer_correct' and '*_scores'/'*_verdicts')")
        if own_q or own_c:
            raise InputError(f"{where}: Weaver's list layout has one row per question; its ids are the row and "
                             f"sample positions: drop {'--question-col' if own_q else '--candidate-col'}")
        long = weaver_to_long(df, where=where)
        names = {k: v for k, v in (("answer", "extracted_answers"), ("correct", "answer_correct")) if k in long}
        t = ScoreTable(long, "question_id", "candidate_id", None, None, "weaver", names,
                       _empty_question_warnings(df, long, where))
        t.answer_col = _own_column(t, answer_col, "answer" if "answer" in long else None)
        t.correct_col = _own_column(t, correct_col, "correct" if "correct" in long else None)
        return t
    if layout == "weaver-long" or (layout == "auto" and (question_col not in cols or candidate_col not in cols)
                                   and _first(cols, QUESTION_NAMES) and _first(cols, SAMPLE_NAMES)):
        t = weaver_long(df, where=where, question_col=own_q, candidate_col=own_c)
        t.answer_col = _own_column(t, answer_col, t.answer_col)
        t.correct_col = _own_column(t, correct_col, t.correct_col)
        return t
    return ScoreTable(df, question_col, candidate_col, answer_col, correct_col, "long")


def load_weaver(path: str | Path) -> pd.DataFrame:
    """Read a Weaver dataset file (Parquet or JSON Lines, as published on the Hugging Face hub)
    and return the long table :func:`weaklabel.verifiers.from_frame` reads. Questions without
    samples (empty lists) have no row in it: a ``UserWarning`` says how many."""
    import warnings

    t = read_scores(path, layout="weaver")
    for w in t.warnings:
        warnings.warn(w, UserWarning, stacklevel=2)
    return t.frame
