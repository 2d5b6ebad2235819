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
    ``correct`` holds 1, 0 or ``-1`` (unknown).
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
                         self.question_col, self.candidate_col)

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


RESERVED = ("correct", "answer")


def match_verifiers(columns: Sequence[str], patterns: Sequence[str] | str | None,
                    exclude: Sequence[str] = (), numeric: Sequence[str] | None = None,
                    where: str = "scores") -> list[str]:
    """Verifier columns named by comma-separated globs (``'rm_*,judge_*'``), in table order.

    Without patterns: every numeric column except ``exclude`` and the conventional label and
    answer columns (``correct``, ``answer``), which are never taken as verifiers by default. A
    pattern that matches no column is an error (a typo should not silently drop a verifier).
    """
    cols = [c for c in columns if c not in set(exclude)]
    if patterns is None:
        chosen = [c for c in cols if (numeric is None or c in set(numeric)) and c not in RESERVED]
        if not chosen:
            raise InputError(f"{where}: no numeric verifier columns besides {', '.join(exclude)}; "
                             "name them with --verifiers")
        return chosen
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",")]
    patterns = [p for p in patterns if p]
    if not patterns:
        raise InputError(f"{where}: empty verifier pattern")
    chosen: list[str] = []
    for pat in patterns:
        hits = [c for c in cols if fnmatch.fnmatchcase(c, pat)]
        if not hits:
            raise InputError(f"{where}: no verifier column matches {pat!r} (columns: {', '.join(cols)})")
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


def _correct_column(s: pd.Series, name: str, where: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.to_numpy().astype(np.int8)
    conv = pd.to_numeric(s.map(lambda v: {True: 1, False: 0}.get(v, v) if isinstance(v, (bool, np.bool_)) else v),
                         errors="coerce")
    bad = (conv.isna() & s.notna()) | ~(conv.isna() | conv.isin([0, 1]))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{where}: column {name!r} row {i}: {_py(s.iloc[i])!r} is not 0/1 (NaN = unknown)")
    return np.where(conv.isna(), -1, conv.fillna(0)).astype(np.int8)


def from_frame(df: pd.DataFrame, *, question_col: str = "question_id", candidate_col: str = "candidate_id",
               verifiers: Sequence[str] | str | None = None, answer_col: str | None = None,
               correct_col: str | None = None, where: str = "scores") -> ScoreData:
    """Check a long table of verifier scores and convert it to :class:`ScoreData`."""
    for col, opt in ((question_col, "--question-col"), (candidate_col, "--candidate-col"),
                     (answer_col, "--answer-col"), (correct_col, "--correct-col")):
        if col is not None and col not in df.columns:
            raise InputError(f"{where}: no column {col!r} ({opt}); columns: {', '.join(map(str, df.columns))}")
    if len(df) == 0:
        raise InputError(f"{where}: the table has no rows")
    special = [c for c in (question_col, candidate_col, answer_col, correct_col) if c is not None]
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c].dtype)
               or pd.api.types.is_bool_dtype(df[c].dtype)]
    names = match_verifiers([str(c) for c in df.columns], verifiers, exclude=special, numeric=numeric, where=where)
    q = df[question_col]
    if q.isna().any():
        i = int(np.flatnonzero(q.isna().to_numpy())[0])
        raise InputError(f"{where}: column {question_col!r} row {i}: missing question id")
    c = df[candidate_col]
    if c.isna().any():
        i = int(np.flatnonzero(c.isna().to_numpy())[0])
        raise InputError(f"{where}: column {candidate_col!r} row {i}: missing candidate id")
    codes, uniques = pd.factorize(q, sort=False)
    dup = pd.DataFrame({"q": codes, "c": c.to_numpy()}).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"{where}: row {i}: duplicate ({question_col}, {candidate_col}) pair "
                         f"({_py(q.iloc[i])!r}, {_py(c.iloc[i])!r})")
    scores = np.empty((len(df), len(names)))
    for j, name in enumerate(names):
        scores[:, j] = _numeric_column(df[name], name, where)
    answers = None
    if answer_col is not None:
        a = df[answer_col]
        key = pd.Series(codes).astype(str) + "\x1f" + a.astype(str)
        acodes, _ = pd.factorize(key.where(a.notna().to_numpy(), None), sort=False)
        answers = acodes.astype(np.int64)          # -1 where the answer is missing
    correct = _correct_column(df[correct_col], correct_col, where) if correct_col is not None else None
    return ScoreData(np.asarray(uniques, dtype=object), codes.astype(np.int64), c.to_numpy(), scores, names,
                     answers, correct, question_col, candidate_col)
