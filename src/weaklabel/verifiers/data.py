"""Verifier scores as arrays: a long table (one row per candidate) checked and converted once.

Input layout: ``question_id``, ``candidate_id``, one numeric column per verifier (any scale;
NaN = missing), optionally ``answer`` (the candidate's final answer, for majority voting) and
``correct`` (0/1; NaN = unknown). Every problem a user can fix is a one-line
:class:`~weaklabel.errors.InputError` naming the column and, where there is one, the row.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ._groups import Groups


@dataclass
class ScoreData:
    """Candidates of many questions with their verifier scores, in the input's row order.

    ``scores`` is ``(n, m)`` float64 with NaN for a missing score; ``answers`` holds per-row
    answer codes (equal codes = same final answer within a question, ``-1`` = no answer);
    ``correct`` holds 1, 0 or ``-1`` (unknown); ``positions`` (None: the same) each row's
    position in the user's file, for messages that name a row.
    """

    question_ids: np.ndarray        # (G,) the question id of each group code
    codes: np.ndarray               # (n,) group code of each row
    candidate_ids: np.ndarray       # (n,)
    scores: np.ndarray              # (n, m)
    verifiers: list[str]
    answers: np.ndarray | None = None
    correct: np.ndarray | None = None
    question_col: str = "question_id"
    candidate_col: str = "candidate_id"
    positions: np.ndarray | None = None

    def __post_init__(self):
        self.groups = Groups(self.codes)

    @property
    def n_rows(self) -> int:
        return int(self.codes.size)

    @property
    def n_questions(self) -> int:
        return self.groups.n_groups

    def take_questions(self, mask_q: np.ndarray) -> "ScoreData":
        """The rows of the questions where ``mask_q`` (one flag per question) is set."""
        mask_q = np.asarray(mask_q, dtype=bool)
        rows = np.flatnonzero(mask_q[self.codes])
        return self.take(rows)

    def take(self, rows) -> "ScoreData":
        rows = np.asarray(rows, dtype=np.int64)
        sub_codes = self.codes[rows]
        kept, new_codes = np.unique(sub_codes, return_inverse=True)
        return ScoreData(self.question_ids[kept], new_codes.astype(np.int64), self.candidate_ids[rows],
                         self.scores[rows], list(self.verifiers),
                         None if self.answers is None else self.answers[rows],
                         None if self.correct is None else self.correct[rows],
                         self.question_col, self.candidate_col, self.file_positions()[rows])

    def file_positions(self) -> np.ndarray:
        """Each row's position in the user's file."""
        return np.arange(self.n_rows) if self.positions is None else self.positions

    def columns(self, names: Sequence[str]) -> np.ndarray:
        """The score columns ``names``, in that order (a fitted selector's verifiers); a clear
        error names the first one missing."""
        missing = [v for v in names if v not in self.verifiers]
        if missing:
            raise InputError(f"the scores have no column for verifier {missing[0]!r}, which the selector "
                             "was fitted with")
        return self.scores[:, [self.verifiers.index(v) for v in names]]

    def frame(self) -> pd.DataFrame:
        """The id columns as a DataFrame (row order)."""
        return pd.DataFrame({self.question_col: self.question_ids[self.codes],
                             self.candidate_col: self.candidate_ids})


CORRECT_NAMES = ("answer_correct", "is_correct", "correct")
ANSWER_NAMES = ("extracted_answer", "answer")
# Never verifiers by default: every name the readers take as correctness or as the final answer
# (a 0/1 correctness column taken as a verifier leaks the truth into the fit and the metrics).
RESERVED = CORRECT_NAMES + ANSWER_NAMES
LABEL_LIKE = ("label", "labels", "gold", "y")
# Text that is empty (or only spaces) or one of the texts pandas.read_csv reads as missing is missing
# in every format: a final answer "None" or "NA" was missing in a CSV file while the same table in
# Parquet pooled such answers as one answer (and a majority); failed extractions written as text
# ("None", "nan") were pooled as one answer too; a correctness "" was unknown in a CSV file, an error
# in Parquet
MISSING_TEXTS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                             "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})


def _shown(cols, display: dict | None) -> str:
    """Column names as the user's file has them (``display``: internal name -> the user's)."""
    return ", ".join(str((display or {}).get(c, c)) for c in cols)


def match_verifiers(columns: Sequence[str], patterns: Sequence[str] | str | None,
                    exclude: Sequence[str] = (), numeric: Sequence[str] | None = None,
                    where: str = "scores", display: dict | None = None) -> list[str]:
    """Verifier columns named by comma-separated globs (``'rm_*,judge_*'``), in table order.

    Without patterns: every numeric column except ``exclude`` and the label and answer columns
    the readers recognise (:data:`RESERVED`: ``answer_correct``, ``is_correct``, ``correct``,
    ``extracted_answer``, ``answer``), which are never taken as verifiers by default. A pattern
    that matches no column is an error (a typo should not silently drop a verifier).
    ``display`` maps renamed columns to the user's names, for the messages.
    """
    cols = [c for c in columns if c not in set(exclude)]
    if patterns is None:
        chosen = [c for c in cols if (numeric is None or c in set(numeric)) and c not in RESERVED]
        if not chosen:
            raise InputError(f"{where}: no numeric verifier columns besides {_shown(exclude, display)}; "
                             "name them with --verifiers")
        return chosen
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",")]
    patterns = [p for p in patterns if p]
    if not patterns:
        raise InputError(f"{where}: empty verifier pattern")
    chosen: list[str] = []
    for pat in patterns:
        # a column's own name is that column, even when it holds glob characters ('rm[v2]')
        hits = [pat] if pat in cols else [c for c in cols if fnmatch.fnmatchcase(c, pat)]
        if not hits and pat in set(exclude):   # "no column matches 'correct'" when the file has one
            raise InputError(f"{where}: --verifiers names {_shown([pat], display)!r}, which is the question, "
                             "candidate, answer or correctness column; a column has one role")
        if not hits:
            raise InputError(f"{where}: no verifier column matches {pat!r} (columns: {_shown(cols, display)})")
        chosen += [c for c in hits if c not in chosen]
    order = {c: i for i, c in enumerate(cols)}
    return sorted(chosen, key=order.__getitem__)


def _py(value):
    """A numpy scalar as the plain Python value (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _numeric_column(s: pd.Series, name: str, where: str) -> np.ndarray:
    if s.dtype == bool or pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(s.dtype):
        arr = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna() & s.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{where}: verifier column {name!r} is not numeric (row {i}: {_py(s.iloc[i])!r})")
        arr = conv.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(arr)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise InputError(f"{where}: verifier column {name!r} row {i}: score {arr[i]} is not finite "
                         "(use NaN for a missing score)")
    return arr


def correct_value(v) -> float:
    """One correctness value as 1.0, 0.0 or NaN (unknown): a boolean, the number 0 or 1, or the
    text true/false/1/0 (any case; files exported from text hold them as strings; also the number
    written otherwise, ``1.0``; empty or ``NA``-like text, :data:`MISSING_TEXTS`, is unknown). Anything
    else raises ``ValueError``: ``bool("False")`` is True, so a guess would count every wrong
    candidate as correct and the metrics would read perfect."""
    if v is None or v is pd.NA or v is pd.NaT:
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return float(v)
    if isinstance(v, str):
        if v.strip() in MISSING_TEXTS:
            return np.nan
        t = v.strip().lower()
        if t in ("true", "1"):
            return 1.0
        if t in ("false", "0"):
            return 0.0
        try:                     # a number written as text ("1.0"): a CSV reader parses it, Parquet keeps it
            x = float(t)
        except ValueError:
            raise ValueError(v) from None
        if x in (0.0, 1.0):
            return 1.0 if x else 0.0
        raise ValueError(v)
    if isinstance(v, (int, float, np.integer, np.floating)) and (v != v or v in (0, 1)):
        return float(v)
    raise ValueError(v)


CORRECT_FORMS = "0/1 or true/false (NaN = unknown)"


def _is_label(v) -> bool:
    """Whether ``v`` reads as a correctness label 0/1 (not as unknown)."""
    try:
        return not np.isnan(correct_value(v))
    except ValueError:
        return False


def _correct_column(s: pd.Series, name: str, where: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.to_numpy().astype(np.int8)
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        conv = pd.to_numeric(s.astype("float64"), errors="coerce")
        bad = ~(conv.isna() | conv.isin([0, 1]))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{where}: column {name!r} row {i}: {_py(s.iloc[i])!r} is not {CORRECT_FORMS}")
        return np.where(conv.isna(), -1, conv.fillna(0)).astype(np.int8)
    vals = np.empty(len(s))
    for i, v in enumerate(s.to_numpy(dtype=object)):
        try:
            vals[i] = correct_value(v)
        except ValueError:
            raise InputError(f"{where}: column {name!r} row {i}: {_py(v)!r} is not {CORRECT_FORMS}") from None
    return np.where(np.isnan(vals), -1, vals).astype(np.int8)


def labels_array(y, n: int) -> np.ndarray:
    """``VerifierSelector.fit``'s ``y`` as numbers (NaN for None; text true/false as a correctness
    column's): text labels failed with numpy's "'>=' not supported between 'str' and 'int'"."""
    y = np.asarray(y)
    if y.shape != (n,):
        raise InputError(f"y must have one entry per candidate ({n}), got shape {y.shape}")
    if y.dtype.kind in "biuf":
        return y
    s = pd.Series(y, dtype=object)
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    text = s.astype(str).str.strip().str.lower().map({"true": 1.0, "false": 0.0}).to_numpy(dtype=float)
    num = np.where(np.isnan(num), text, num)
    bad = np.flatnonzero(np.isnan(num) & pd.notna(y))
    if bad.size:
        raise InputError(f"y: row {int(bad[0])} has label {_py(y[bad[0]])!r}; labels are 1, 0 or -1 (unknown)")
    return num


def check_score_data(data) -> None:
    """A DataFrame (what scikit-learn estimators take) given to the selector failed with
    "'DataFrame' object has no attribute 'groups'"."""
    if not isinstance(data, ScoreData):
        raise InputError(f"VerifierSelector takes ScoreData, got a {type(data).__name__}: convert the score table "
                         "with weaklabel.verifiers.from_frame(df, verifiers=..., answer_col=...)")


def label_like_warnings(data: "ScoreData", used: Sequence[str], patterns: Sequence[str] | str | None) -> list[str]:
    """Warnings for verifiers among ``used`` that hold only 0/1 and are named like a correctness
    label (``label``, ``gold``, ``y``, ``*correct*``): taken as a verifier, the
    truth would weigh most and the selection and its metrics would look far better than they
    are. A column the user named exactly in ``patterns`` (not by a glob) is not warned about."""
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",")]
    exact = {p for p in (patterns or []) if not any(ch in p for ch in "*?[")}
    out = []
    for name in used:
        low = str(name).lower()
        if name in exact or name not in data.verifiers or not (low in LABEL_LIKE or "correct" in low):
            continue
        x = data.scores[:, data.verifiers.index(name)]
        x = x[~np.isnan(x)]
        if x.size and np.isin(x, (0.0, 1.0)).all():
            out.append(f"verifier column {name!r} holds only 0/1 and is named like a correctness label: if it "
                       f"is the truth, pass it as --correct-col {name}; if not, leave it out with --verifiers "
                       "(or name it there to keep it)")
    return out


def _check_id_types(df: pd.DataFrame, cols, where: str, shown) -> None:
    """Id columns must hold one type of value (as every other command's ids, ``io.pandas_ids``):
    in a JSON Lines file ``0`` and ``"0"`` would otherwise be two questions, and text and numbers
    mixed failed only when the selection was written, after the whole fit."""
    from ..io.tables import pandas_ids

    import pyarrow as pa

    ids = df[list(dict.fromkeys(cols))]
    table = pandas_ids(ids.set_axis([str(shown(c)) for c in ids.columns], axis=1), where)
    for name, field in zip(ids.columns, table.schema):
        if pa.types.is_nested(field.type):
            col = ids[name]
            i = int(np.flatnonzero(col.notna().to_numpy())[0])
            raise InputError(f"{where}: column {shown(name)!r} row {i}: an id must be a number or text, "
                             f"not a {type(col.iloc[i]).__name__}")


def numbers_as_text(df: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Text columns (besides ``exclude`` and :data:`RESERVED`) whose values are all numbers
    written as text (``"0.83"``): a CSV reader parses them as numbers, a Parquet or JSON Lines
    file keeps them as text, so they are not taken as verifiers by default; the caller warns
    (:func:`weaklabel.io.numbers_as_text`, shared with ``autolf``)."""
    from ..io import numbers_as_text as text_numbers

    return text_numbers(df, exclude=[*exclude, *RESERVED])


def from_frame(df: pd.DataFrame, *, question_col: str = "question_id", candidate_col: str = "candidate_id",
               verifiers: Sequence[str] | str | None = None, answer_col: str | None = None,
               correct_col: str | None = None, where: str = "scores", display: dict | None = None) -> ScoreData:
    """Check a long table of verifier scores and convert it to :class:`ScoreData`.

    ``display`` maps columns a reader renamed (a Weaver-style table's ``question_id``,
    ``correct``...) to the names in the user's file: messages name the columns the user can
    find there."""
    disp = display or {}
    shown = lambda col: disp.get(col, col)  # noqa: E731
    for col, opt in ((question_col, "--question-col"), (candidate_col, "--candidate-col"),
                     (answer_col, "--answer-col"), (correct_col, "--correct-col")):
        if col is not None and col not in df.columns:
            raise InputError(f"{where}: no column {shown(col)!r} ({opt}); columns: {_shown(df.columns, disp)}")
    for col, opt, what in ((question_col, "--question-col", "every candidate of a question would have the same "
                            "answer and pool all their evidence"),
                           (candidate_col, "--candidate-col", "every candidate would have an answer of its own: "
                            "nothing to pool and no majority answer"),
                           (correct_col, "--correct-col", "the correct candidates would share one answer and the "
                            "wrong ones another: pooling by it selects with the labels")):
        if answer_col is not None and answer_col == col:
            raise InputError(f"{where}: --answer-col {shown(answer_col)!r} is the {opt} column: {what}; "
                             "give the column of the candidates' final answers, or no --answer-col")
    if question_col == candidate_col:
        raise InputError(f"{where}: --candidate-col {shown(candidate_col)!r} is the --question-col column; give the "
                         "column that tells a question's candidates apart")
    if answer_col is not None and "correct" in str(shown(answer_col)).lower():   # 'answer_correct', 'is_correct'...
        vals = df[answer_col].dropna()
        if len(vals) and vals.map(_is_label).all():
            raise InputError(f"{where}: --answer-col {shown(answer_col)!r} holds only 0/1 (true/false) and is named "
                             "like a correctness label: pooling by it selects with the labels; give the column of "
                             "the candidates' final answers (and this one as --correct-col)")
    if len(df) == 0:
        raise InputError(f"{where}: the table has no rows")
    special = [c for c in (question_col, candidate_col, answer_col, correct_col) if c is not None]
    # verifiers are named as text: a frame built from arrays has columns 0, 1, ... (one was left out
    # silently, and naming it failed with a KeyError)
    by_name = {str(c): c for c in df.columns}
    numeric = [str(c) for c in df.columns if pd.api.types.is_numeric_dtype(df[c].dtype)
               or pd.api.types.is_bool_dtype(df[c].dtype)]
    names = match_verifiers(list(by_name), verifiers, exclude=[str(c) for c in special], numeric=numeric,
                            where=where, display=disp)
    q = df[question_col]
    if q.isna().any():
        i = int(np.flatnonzero(q.isna().to_numpy())[0])
        raise InputError(f"{where}: column {shown(question_col)!r} row {i}: missing question id")
    c = df[candidate_col]
    if c.isna().any():
        i = int(np.flatnonzero(c.isna().to_numpy())[0])
        raise InputError(f"{where}: column {shown(candidate_col)!r} row {i}: missing candidate id")
    _check_id_types(df, (question_col, candidate_col), where, shown)
    codes, uniques = pd.factorize(q, sort=False)
    dup = pd.DataFrame({"q": codes, "c": c.to_numpy()}).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"{where}: row {i}: duplicate ({shown(question_col)}, {shown(candidate_col)}) pair "
                         f"({_py(q.iloc[i])!r}, {_py(c.iloc[i])!r})")
    scores = np.empty((len(df), len(names)))
    for j, name in enumerate(names):
        scores[:, j] = _numeric_column(df[by_name[name]], name, where)
    answers = None
    if answer_col is not None:
        a = df[answer_col].reset_index(drop=True)   # by position: the frame's index may be any labels
        text = a.astype(str)
        key = pd.Series(codes).astype(str) + "\x1f" + text
        present = a.notna() & ~text.str.strip().isin(MISSING_TEXTS)
        acodes, _ = pd.factorize(key.where(present, None), sort=False)
        answers = acodes.astype(np.int64)          # -1 where the answer is missing
    correct = _correct_column(df[correct_col], shown(correct_col), where) if correct_col is not None else None
    # plain numeric ids keep their type (int32 stays int32 in the selection); others as objects
    qids = uniques.to_numpy() if isinstance(uniques.dtype, np.dtype) and uniques.dtype.kind in "iuf" else \
        np.asarray(uniques, dtype=object)
    return ScoreData(qids, codes.astype(np.int64), c.to_numpy(), scores, names,
                     answers, correct, question_col, candidate_col)
