"""``selection.parquet``: the question and candidate ids, ``p_correct`` (float32; with final
answers, the probability that the candidate's answer is correct), ``p_candidate`` (the candidate's
own, before answer pooling), ``rank`` within the question (1 = best), ``selected`` (one per
question), and ``dev`` (whether the question was in the labelled dev set). JSON metadata under
the footer key ``weaklabel`` records the selector's settings, the kept and flipped verifiers
and, with labels, the evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._version import __version__
from ..io import atomic_output, encode_metadata
from .data import ScoreData
from .draws import candidate_keys

SELECTION_FORMAT = "weaklabel.selection"


def ranks(proba: np.ndarray, data: ScoreData, selected: np.ndarray | None = None, own: np.ndarray | None = None,
          seed=0) -> np.ndarray:
    """Rank of each candidate within its question by ``proba`` (1 = highest). Among equal
    probabilities the selected candidate comes first, then the higher ``own`` (the candidate's
    own probability, before answer pooling), then a seeded draw keyed on the ids
    (:func:`~weaklabel.verifiers.draws.candidate_keys`): by input order, the same rows in another
    order were ranked otherwise."""
    first = np.zeros(data.n_rows, dtype=bool) if selected is None else np.asarray(selected, dtype=bool)
    own = np.zeros(data.n_rows) if own is None else -np.nan_to_num(own, nan=-np.inf)
    order = np.lexsort((candidate_keys(data, seed), own, ~first, -np.nan_to_num(proba, nan=-np.inf), data.codes))
    pos = np.empty(data.n_rows, dtype=np.int64)
    pos[order] = np.arange(data.n_rows)
    return (pos - data.groups.starts[data.codes] + 1).astype(np.int32)


def write_selection(path: str | Path, data: ScoreData, proba: np.ndarray, selected: np.ndarray, selector, *,
                    dev_q: np.ndarray | None = None, force: bool = False, extra: dict | None = None,
                    p_candidate: np.ndarray | None = None) -> None:
    """Write ``selection.parquet`` atomically (see module docstring)."""
    ids = data.frame()
    table = pa.Table.from_pandas(ids, preserve_index=False)
    rk = ranks(proba, data, selected, own=p_candidate, seed=selector.random_state)
    table = table.append_column("p_correct", pa.array(np.asarray(proba, dtype=np.float32)))
    own = proba if p_candidate is None else p_candidate
    table = table.append_column("p_candidate", pa.array(np.asarray(own, dtype=np.float32)))
    table = table.append_column("rank", pa.array(rk))
    table = table.append_column("selected", pa.array(np.asarray(selected, dtype=bool)))
    dev = np.zeros(data.n_rows, dtype=bool) if dev_q is None else np.asarray(dev_q, dtype=bool)[data.codes]
    table = table.append_column("dev", pa.array(dev))
    meta = {"format": SELECTION_FORMAT, "format_version": 1, "weaklabel_version": __version__,
            "question_column": data.question_col, "candidate_column": data.candidate_col,
            "rows": data.n_rows, "questions": data.n_questions, "label_model": selector.label_model,
            "verifiers": list(selector.verifiers_), "kept": list(selector.kept_),
            "flipped": [v for v, f in zip(selector.verifiers_, selector.flipped_) if f],
            "class_balance": selector.class_balance_, "answer_icc": getattr(selector, "answer_icc_", None),
            "params": selector.json_params()}
    meta.update(extra or {})
    table = table.replace_schema_metadata(encode_metadata(_plain(meta)))
    with atomic_output(path, force) as tmp:
        pq.write_table(table, str(tmp), compression="zstd")


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, pd.Timestamp):
        return str(obj)
    return obj
