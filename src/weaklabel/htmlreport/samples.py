"""The rows ``weaklabel report`` shows: seeded samples (a hash of the seed and the row's position,
so the same rows whatever the block size), the worst-scored rows, and their text from the data
file. Split from :mod:`.collect`, which gathers the figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError


def row_keys(seed: int, start: int, n: int) -> np.ndarray:
    """A pseudo-random uint64 per row position (splitmix64 of seed and position): the sampling
    order, the same whatever the block boundaries."""
    with np.errstate(over="ignore"):
        z = (np.arange(start, start + n, dtype=np.uint64) + np.uint64(seed & 0xFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
             + np.uint64(0x632BE59BD9B4E019))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


class _Sample:
    """The ``k`` rows with the smallest keys per group (an LF), kept across blocks."""

    def __init__(self, groups: int, k: int):
        self.k = k
        self.keys = [np.zeros(0, np.uint64) for _ in range(groups)]
        self.rows = [np.zeros(0, np.int64) for _ in range(groups)]

    def threshold(self) -> np.ndarray:
        """Per group: keys at or above this cannot enter (the current k-th smallest)."""
        out = np.full(len(self.keys), np.iinfo(np.uint64).max, dtype=np.uint64)
        for g, ks in enumerate(self.keys):
            if ks.size >= self.k:
                out[g] = ks[-1]
        return out

    def offer(self, group: np.ndarray, key: np.ndarray, row: np.ndarray) -> None:
        if not group.size or self.k <= 0:
            return
        thr = self.threshold()
        keep = key < thr[group]
        group, key, row = group[keep], key[keep], row[keep]
        order = np.lexsort((key, group))
        group, key, row = group[order], key[order], row[order]
        bounds = np.searchsorted(group, np.arange(len(self.keys) + 1))
        for g in np.flatnonzero(np.diff(bounds)):
            a, b = bounds[g], bounds[g + 1]
            ks = np.concatenate([self.keys[g], key[a:b]])
            rs = np.concatenate([self.rows[g], row[a:b]])
            o = np.argsort(ks, kind="stable")[:self.k]
            self.keys[g], self.rows[g] = ks[o], rs[o]


class _Worst:
    """The ``k`` most confidently wrong rows (highest confidence; ties by key)."""

    def __init__(self, k: int):
        self.k = k
        self.conf = np.zeros(0)
        self.keys = np.zeros(0, np.uint64)
        self.rows = np.zeros(0, np.int64)

    def offer(self, conf, key, row) -> None:
        c = np.concatenate([self.conf, conf])
        ks = np.concatenate([self.keys, key])
        rs = np.concatenate([self.rows, row])
        o = np.lexsort((ks, -c))[:self.k]
        self.conf, self.keys, self.rows = c[o], ks[o], rs[o]


# --------------------------------------------------------------------------- inputs in blocks


def _assemble_samples(kept, fired, disagreed, uncovered, wrong, names) -> dict:
    out = {"fired": {}, "disagreed": {}}
    for j, name in enumerate(names):
        out["fired"][name] = [kept[int(r)] for r in fired.rows[j]]
        out["disagreed"][name] = [kept[int(r)] for r in disagreed.rows[j]]
    out["uncovered"] = [kept[int(r)] for r in uncovered.rows[0]]
    out["wrong"] = [kept[int(r)] for r in wrong.rows]
    return out


def _check_data(data: Path, text_col: str, ids: list[str], n: int) -> bool:
    """Before the pass: whether ``data`` rows match the votes by id (else by position), or a
    one-line error when they cannot be matched or the text column is missing."""
    from ..io import TableSource

    src = TableSource(data)
    if text_col not in src.columns:
        raise InputError(f"{data}: no text column {text_col!r} (columns: {', '.join(map(str, src.columns))})")
    by_id = bool(ids) and all(c in src.columns for c in ids)
    if by_id:
        return True
    # CSV and JSON Lines do not store their row count: count it (one column, in batches)
    rows = src.n_rows if src.n_rows is not None else sum(len(b) for b in src.iter_batches(1 << 16, [text_col]))
    if rows != n:
        if ids:
            absent = [c for c in ids if c not in src.columns]
            raise InputError(f"{data}: no id column {', '.join(map(repr, absent))} (the votes' id column"
                             f"{'s' * (len(ids) > 1)}: {', '.join(map(str, ids))}) and {int(rows):,} rows against "
                             f"the votes' {n:,}; add the id column(s) to match rows by id")
        raise InputError(f"{data}: has {int(rows):,} rows but the votes have {n:,}; "
                         "give the data the votes' id column(s) to match rows by id")
    return False


def _attach_text(kept: dict, data: Path, text_col: str, ids: list[str], by_id: bool) -> None:
    """Give each sampled row its text from ``data`` (by id or by position), read in batches."""
    from ..io import TableSource, format_ids

    src = TableSource(data)
    if by_id:
        want = {"\x1f".join(str(r["ids"][c]) for c in ids): r for r in kept.values()}
    else:
        want = {r["row"]: r for r in kept.values()}
        positions = np.array(sorted(want), dtype=np.int64)
    cols = (ids if by_id else []) + [text_col]
    pos = 0
    found = 0
    seen: list = []       # a few of the data's ids, for the error below
    for batch in src.iter_batches(1 << 16, cols, id_cols=ids if by_id else None):
        if by_id:
            key = batch[ids[0]].astype(str)
            for c in ids[1:]:
                key = key + "\x1f" + batch[c].astype(str)
            if len(seen) < 3:
                seen += [tuple(r) if len(ids) > 1 else r[0] for r in batch[ids].head(3).itertuples(index=False)]
            for i in np.flatnonzero(key.isin(want.keys()).to_numpy()):
                found += "text" not in want[key.iloc[i]]
                want[key.iloc[i]]["text"] = batch[text_col].iloc[i]
        else:
            a, b = np.searchsorted(positions, [pos, pos + len(batch)])
            for r in positions[a:b]:
                want[int(r)]["text"] = batch[text_col].iloc[int(r) - pos]
        pos += len(batch)
    if by_id and want and not found:
        # a report whose every sampled text is "—" is a silently wrong page: the ids do not match
        votes_ids = [tuple(r["ids"][c] for c in ids) if len(ids) > 1 else r["ids"][ids[0]]
                     for r in list(want.values())[:3]]
        raise InputError(f"{data}: none of the {len(want):,} sampled rows' ids matches a row of it (id columns "
                         f"{ids}; votes ids e.g. {format_ids(votes_ids)}; {data} ids e.g. "
                         f"{format_ids(seen[:3]) or 'none'}); check the id column's type and values")
