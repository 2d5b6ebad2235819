"""Shared pieces of the LF generators: input checking, candidate rules, greedy selection."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..lf import LabelingFunction, Preprocessor
from . import checks
from .columns import (ID_WORDS, MIN_ROWS_NUMBERED, default_features, id_like,  # noqa: F401 (re-exported)
                      label_leaks, leak_notes, left_out_notes)


# --------------------------------------------------------------------------- inputs
@dataclass
class LFData:
    """The generator's view of the data: labelled rows, their labels, optional unlabelled rows.

    ``kind`` is ``"numeric"`` (``columns`` are numeric feature columns) or ``"text"``
    (``text_column`` holds the text). Frames keep the user's column names, which the generated
    LFs read.
    """

    kind: str
    labeled: pd.DataFrame
    y: np.ndarray
    unlabeled: pd.DataFrame | None
    cardinality: int
    classes: list[str]
    columns: list[str] = field(default_factory=list)
    text_column: str | None = None

    @property
    def n_labeled(self) -> int:
        return len(self.labeled)

    def numeric(self, which: str = "labeled") -> np.ndarray:
        frame = self.labeled if which == "labeled" else self.unlabeled
        if frame is None:
            return np.zeros((0, len(self.columns)))
        return np.column_stack([pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
                                for c in self.columns]) if self.columns else np.zeros((len(frame), 0))

    def texts(self, which: str = "labeled") -> pd.Series:
        frame = self.labeled if which == "labeled" else self.unlabeled
        if frame is None:
            return pd.Series([], dtype=object)
        return frame[self.text_column].fillna("").astype(str).reset_index(drop=True)

    def all_frame(self) -> pd.DataFrame:
        if self.unlabeled is None or len(self.unlabeled) == 0:
            return self.labeled
        return pd.concat([self.labeled, self.unlabeled], ignore_index=True)


def check_features(frame: pd.DataFrame, cols, where: str) -> None:
    """Feature columns named once, each holding numbers: a name given twice crashed deep in the
    generators (so did a frame with two columns of one name, refused by the caller), and a
    text column given as a feature was read as all-missing (no rule, or rules that never fire)."""
    seen = set()
    for c in cols:
        if c in seen:
            raise InputError(f"{where}: feature {c!r} is named twice")
        seen.add(c)
    for c in cols:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            continue
        given = s.notna().to_numpy()
        try:
            none = given.any() and pd.to_numeric(s[given], errors="coerce").isna().all()
        except (TypeError, ValueError):
            none = True
        if none:
            i = int(np.flatnonzero(given)[0])
            value = s.iloc[i]
            raise InputError(f"{where}: feature column {c!r} holds no numbers (row {i}: {value!r}); text is "
                             "read as a text column (text_column=, --text-col)")


def _as_frame(X, feature_names, text_column, where: str) -> tuple[pd.DataFrame, str, list[str], str | None]:
    """Normalise ``X`` into a DataFrame and decide numeric vs text."""
    if isinstance(X, pd.Series):
        name = text_column or (str(X.name) if X.name is not None else "text")
        checks.text_values(X, where, name)
        return X.to_frame(name).reset_index(drop=True), "text", [], name
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True)
        dup = frame.columns[frame.columns.duplicated()]
        if len(dup):
            raise InputError(f"{where}: {int((frame.columns == dup[0]).sum())} columns are named {dup[0]!r}")
        if text_column is not None:
            if text_column not in frame.columns:
                raise InputError(f"{where}: no text column {text_column!r} (columns: {', '.join(map(str, frame.columns))})")
            checks.column_names([text_column], where)
            checks.text_values(frame[text_column], where, text_column)
            return frame, "text", [], text_column
        if feature_names is None:
            cols, ids, text_numbers = default_features(frame)
            for note in left_out_notes(ids, text_numbers, "feature_names"):
                warnings.warn(f"{where}: {note}", UserWarning, stacklevel=4)
        else:
            missing = [c for c in feature_names if c not in frame.columns]
            if missing:
                raise InputError(f"{where}: no column {missing[0]!r}")
            cols = list(feature_names)
        if not cols:
            raise InputError(f"{where}: no numeric feature columns; pass text_column=... for text")
        checks.column_names(cols, where)
        check_features(frame, cols, where)
        return frame, "numeric", [str(c) for c in cols], None
    arr = np.asarray(X)
    if arr.ndim == 1 and arr.dtype.kind in "OUS":
        name = text_column or "text"
        frame = pd.DataFrame({name: arr.astype(object)})
        checks.text_values(frame[name], where, name)
        return frame, "text", [], name
    if arr.ndim == 2 and arr.dtype.kind in "iufb":
        names = [str(c) for c in feature_names] if feature_names is not None else [f"x{j}" for j in range(arr.shape[1])]
        if len(names) != arr.shape[1]:
            raise InputError(f"{where}: {len(names)} feature names for {arr.shape[1]} columns")
        frame = pd.DataFrame(arr.astype(float), columns=names)
        check_features(frame, names, where)
        return frame, "numeric", names, None
    raise InputError(f"{where}: expected a DataFrame, a 2-d numeric array or a sequence of texts, "
                     f"got {type(X).__name__} with shape {getattr(arr, 'shape', '?')}")


def prepare(X_labeled, y_labeled, X_unlabeled=None, *, classes=None, cardinality=None,
            feature_names=None, text_column=None) -> LFData:
    """Check and normalise the inputs of :func:`weaklabel.autolf.generate_lfs`."""
    classes = checks.names_list(classes, "classes")
    feature_names = checks.names_list(feature_names, "feature_names")
    cardinality = checks.cardinality_arg(cardinality)
    frame, kind, cols, tcol = _as_frame(X_labeled, feature_names, text_column, "X_labeled")
    y = checks.class_ids(y_labeled, len(frame))
    if len(y) == 0:
        raise InputError("X_labeled has no rows")
    if np.any(y < 0):
        raise InputError("y_labeled has unknown labels (-1); pass unlabelled rows as X_unlabeled instead")
    if kind == "numeric" and feature_names is None and isinstance(X_labeled, pd.DataFrame):
        # default features: not the label by another name (a frame with the label column in it)
        leaks = label_leaks(frame, y, X_unlabeled if isinstance(X_unlabeled, pd.DataFrame) else None, cols)
        cols = [c for c in cols if c not in leaks]
        if not cols:
            raise InputError(f"X_labeled: no numeric feature columns but the label by another name "
                             f"({', '.join(f'{c!r}' for c in leaks)}: {', '.join(dict.fromkeys(leaks.values()))}); "
                             "pass feature_names=[...] to use them")
        for note in leak_notes(leaks, "y_labeled", "feature_names"):
            warnings.warn(f"X_labeled: {note}", UserWarning, stacklevel=3)
    if classes is not None:
        K = len(classes)
        if cardinality is not None and cardinality != K:
            raise InputError(f"{K} class names but cardinality {cardinality}")
    else:
        K = int(cardinality) if cardinality is not None else max(2, int(y.max()) + 1)
    if np.any(y >= K):
        raise InputError(f"y_labeled has labels outside 0..{K - 1}")
    names = [str(c) for c in classes] if classes is not None else [str(k) for k in range(K)]
    from ..votes.class_names import class_key

    keys = [class_key(c) for c in names]   # as VoteMatrix and apply compare class names
    twice = [c for i, c in enumerate(names) if keys[i] in keys[:i]]
    if twice:       # the LFs' CLASSES would name two classes alike: votes for one read as the other
        raise InputError(f"class name {twice[0]!r} is given twice (classes: {', '.join(names)})")
    if np.unique(y).size < 2:   # every rule would vote that one class: LFs that cannot tell classes apart
        raise InputError(f"y_labeled: need at least 2 classes among the labelled rows, found only {names[int(y[0])]!r}")
    unl = None
    if X_unlabeled is not None:
        if kind == "text":
            if isinstance(X_unlabeled, pd.DataFrame):
                if tcol not in X_unlabeled.columns:
                    raise InputError(f"X_unlabeled: no text column {tcol!r}")
                unl = X_unlabeled[[tcol]].reset_index(drop=True)
            else:
                unl = pd.DataFrame({tcol: np.asarray(X_unlabeled, dtype=object).ravel()})
            checks.text_values(unl[tcol], "X_unlabeled", tcol)
        else:
            if isinstance(X_unlabeled, pd.DataFrame):
                missing = [c for c in cols if c not in X_unlabeled.columns]
                if missing:
                    raise InputError(f"X_unlabeled: no column {missing[0]!r}")
                unl = X_unlabeled[cols].reset_index(drop=True)
            else:
                arr = checks.numeric_rows(X_unlabeled, "X_unlabeled")
                if arr.ndim != 2 or arr.shape[1] != len(cols):
                    raise InputError(f"X_unlabeled must have {len(cols)} columns like X_labeled, got shape {arr.shape}")
                unl = pd.DataFrame(arr, columns=cols)
    return LFData(kind=kind, labeled=frame, y=y, unlabeled=unl, cardinality=K, classes=names,
                  columns=cols, text_column=tcol)


# --------------------------------------------------------------------------- statistics
def wilson_lower(correct, n, z: float = 1.0):
    """Lower end of the Wilson score interval for a proportion (0 when ``n == 0``)."""
    correct = np.asarray(correct, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = correct / n
        denom = 1.0 + z * z / n
        centre = p + z * z / (2 * n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lb = (centre - half) / denom
    return np.where(n > 0, lb, 0.0)


# --------------------------------------------------------------------------- names
def slug(text: object, max_len: int = 40) -> str:
    """``text`` as a short lower-case name part: runs of other than word characters (letters and
    digits of any script: ``'ужасно'``, not ``'x'`` for every non-Latin keyword) become ``_``."""
    s = re.sub(r"[\W_]+", "_", str(text).lower()).strip("_")
    s = s[:max_len].strip("_") or "x"
    return s if not s[0].isdigit() else "v" + s


def number_slug(x: float) -> str:
    s = f"{x:.4g}".replace("-", "m").replace(".", "p").replace("+", "")
    return re.sub(r"[^0-9a-zA-Z]+", "_", s).lower()


def unique_names(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            cand = f"{n}_{seen[n]}"
            while cand in seen:
                seen[n] += 1
                cand = f"{n}_{seen[n]}"
            seen[cand] = 1
            out.append(cand)
        else:
            seen[n] = 1
            out.append(n)
    return out


def short_float(lo: float, hi: float) -> float:
    """The number with the fewest significant digits strictly between ``lo`` and ``hi``
    (falls back to the midpoint); keeps generated thresholds readable without changing which
    labelled rows they separate."""
    mid = lo / 2.0 + hi / 2.0   # (lo + hi) / 2 overflows to inf beside 1.7e308: a rule on nothing
    for digits in range(1, 12):
        v = float(f"{mid:.{digits}g}")
        if lo < v < hi:
            return v
    return mid


# --------------------------------------------------------------------------- candidates
@dataclass
class Candidate:
    """A possible LF: its rule, its (honest) votes on the labelled rows, its votes elsewhere."""

    name: str
    rule: Callable
    resources: dict
    votes_labeled: np.ndarray                # out-of-sample where the rule was fitted on the labels
    votes_unlabeled: np.ndarray | None       # on X_unlabeled (no labels involved)
    kind: str
    view: int | None = None                  # index of the shared feature view, if any
    describe: str = ""

    @property
    def covered(self) -> np.ndarray:
        return self.votes_labeled >= 0


def class_shares(y: np.ndarray, K: int) -> np.ndarray:
    """Each class's share of the labelled rows: the accuracy of a vote for it at random."""
    return np.bincount(y, minlength=K)[:K] / max(y.size, 1)


def gate(cands: list[Candidate], y: np.ndarray, min_accuracy: float, min_covered: int) -> list[Candidate]:
    """Keep candidates covering at least ``min_covered`` labelled rows whose accuracy there has a
    Wilson lower bound of at least ``min_accuracy`` and above the accuracy of the same votes
    cast at random (the mean share among the labelled rows of the class voted): a rule voting
    the majority class on nearly every row (``number of words > 2 -> ham``: 0.87 on a set that
    is 87% ham) passed the bar, informed nothing and weighed on the label model."""
    kept = []
    K = max([int(y.max()) + 1] + [int(c.votes_labeled.max()) + 1 for c in cands if c.votes_labeled.size])
    share = class_shares(y, K)
    for c in cands:
        cov = c.covered
        n = int(cov.sum())
        if n < min_covered:
            continue
        correct = int((c.votes_labeled[cov] == y[cov]).sum())
        lb = wilson_lower(correct, n)
        if lb >= min_accuracy and lb > share[c.votes_labeled[cov]].mean():
            kept.append(c)
    return kept


def select(cands: list[Candidate], y: np.ndarray, K: int, max_lfs: int, *,
           redundancy: float = 0.95) -> list[Candidate]:
    """Greedy, Snuba-style selection for accuracy and diversity.

    Each step takes the candidate with the largest gain: on the labelled rows, +1 per correct
    and -1 per wrong vote, weighted towards rows the LFs chosen so far leave uncovered, tied or
    wrong (weight 1, halving with each vote of margin the chosen LFs already give the right
    class); plus, on the unlabelled rows, a cautious expected value of a vote, ``2 * lb - 1``
    with ``lb`` the Wilson lower bound of the candidate's accuracy, for rows no chosen LF covers
    yet, scaled to the size of the labelled set. A candidate whose votes
    agree with an already chosen LF's on more than ``redundancy`` of the rows either covers is a
    near duplicate and is skipped. Stops at ``max_lfs`` or when no candidate has a positive gain.
    """
    n = y.shape[0]
    if not cands or max_lfs <= 0:
        return []
    VL = np.stack([c.votes_labeled for c in cands])                 # (C, n)
    has_u = all(c.votes_unlabeled is not None for c in cands) and cands[0].votes_unlabeled.size > 0
    VU = np.stack([c.votes_unlabeled for c in cands]) if has_u else None
    cov = VL >= 0
    right = (VL == y[None, :])
    sign = np.where(right, 1.0, np.where(cov, -1.0, 0.0))
    n_cov = cov.sum(axis=1)
    value_u = np.clip(2 * wilson_lower(right.sum(axis=1), n_cov) - 1, 0.0, None)
    F = np.hstack([VL, VU]).astype(np.int16) if has_u else VL.astype(np.int16)
    counts = np.zeros((n, K))
    covered_u = np.zeros(VU.shape[1], dtype=bool) if has_u else None
    chosen: list[int] = []
    alive = np.ones(len(cands), dtype=bool)
    while len(chosen) < max_lfs and alive.any():
        own = counts[np.arange(n), y]
        other = counts.copy()
        other[np.arange(n), y] = -np.inf
        margin = own - other.max(axis=1)
        w = np.where(margin <= 0, 1.0, 0.5 ** np.maximum(margin, 0))
        gain = sign @ w
        if has_u:
            new_u = ((VU >= 0) & ~covered_u[None, :]).sum(axis=1)
            gain = gain + value_u * new_u * (n / VU.shape[1])
        gain = np.where(alive, gain, -np.inf)
        best = int(np.argmax(gain))               # first maximum: candidate order breaks ties
        if not np.isfinite(gain[best]) or gain[best] <= 0:
            break
        chosen.append(best)
        alive[best] = False
        b = cands[best]
        rows = np.flatnonzero(b.votes_labeled >= 0)
        counts[rows, b.votes_labeled[rows]] += 1
        if has_u:
            covered_u |= VU[best] >= 0
        # drop near-duplicates of the chosen LF
        either = (F[best][None, :] >= 0) | (F >= 0)
        same = ((F == F[best][None, :]) & either).sum(axis=1)
        agree = np.where(either.any(axis=1), same / np.maximum(either.sum(axis=1), 1), 1.0)
        alive &= ~(agree > redundancy)
    return [cands[i] for i in chosen]


def to_lfs(chosen: list[Candidate], views: list[Preprocessor] | None = None) -> list[LabelingFunction]:
    names = unique_names([c.name for c in chosen])
    out = []
    for name, c in zip(names, chosen):
        pre = [views[c.view]] if c.view is not None else None
        out.append(LabelingFunction(name, c.rule, resources=c.resources, pre=pre, vectorized=True))
    return out
