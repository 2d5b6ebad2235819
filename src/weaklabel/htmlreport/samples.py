"""The rows ``weaklabel report`` shows: seeded samples (a hash of the seed and the row's position,
so the same rows whatever the block size), the worst-scored rows, and their text from the data
file. Split from :mod:`.collect`, which gathers the figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


class DataText:
    """The text of the sampled rows from ``--data``, read from one :class:`~weaklabel.io.TableSource`
    opened once (a JSON Lines file is scanned when opened; it was opened two or three times).

    Rows are matched as everywhere else in the report (gold labels: :class:`.inputs._Gold`) and as
    ``fit --keep-cols`` matches them: a data file that holds the votes' id columns is matched by
    position when it is the votes' own rows (the same ids row for row, the same row count: repeated
    and null ids included), else by id; one without them, by position (the same row count). The
    first is decided in the pass over the votes: the data is read alongside, one block at a time
    (:meth:`block`), and each new sampled row gets its text there; :meth:`finish` checks the row
    count and, when the data is not the votes' own rows, matches the sampled rows by id (a second
    read of the same source). A row whose id is null, or whose id is on several rows of the data,
    then cannot be given a text unambiguously: it says so (``text_note``) instead of showing
    another row's text."""

    def __init__(self, src, text_col: str, ids: list[str], n: int, batch: int = 1 << 16, votes=None):
        if text_col not in src.columns:
            raise InputError(f"{src.path}: no text column {text_col!r} (columns: {', '.join(map(str, src.columns))})")
        self.src, self.text_col, self.ids, self.n, self.batch = src, text_col, ids, n, batch
        self.by_id = bool(ids) and all(c in src.columns for c in ids)
        if not self.by_id and src.n_rows is not None and src.n_rows != n:
            self._count_error(int(src.n_rows))   # Parquet knows its row count: before the pass
        # by position, as `fit --keep-cols`: a re-sorted copy of the data `apply` read showed each
        # sampled row's votes beside another row's text, without a word. Checked once the row counts
        # are known to agree (a CSV's after the pass), so a row-count error comes alone
        self._position_votes = votes if not self.by_id and votes is not None else None
        if self._position_votes is not None and src.n_rows is not None:
            self._check_position()
        cols = (ids if self.by_id else []) + [text_col]
        # the text as the LFs saw it (a CSV's "NA" is text to them)
        self._it = src.iter_batches(batch, cols, id_cols=ids if self.by_id else None, text_as_written=True)
        self._buf = None       # rows read but not used yet
        self.rows = 0          # data rows lined up with the votes' so far
        self.aligned = True    # so far the votes' own rows (same ids row for row, or no ids)

    def _count_error(self, rows: int):
        if self.ids:
            absent = [c for c in self.ids if c not in self.src.columns]
            raise InputError(f"{self.src.path}: no id column {', '.join(map(repr, absent))} (the votes' id column"
                             f"{'s' * (len(self.ids) > 1)}: {', '.join(map(str, self.ids))}) and {rows:,} rows "
                             f"against the votes' {self.n:,}; add the id column(s) to match rows by id")
        raise InputError(f"{self.src.path}: has {rows:,} rows but the votes have {self.n:,}; "
                         "give the data the votes' id column(s) to match rows by id")

    def _next(self, k: int):
        """Up to ``k`` more data rows (``None`` at the end of the file)."""
        if self._buf is None:
            nxt = next(self._it, None)
            while nxt is not None and not len(nxt):
                nxt = next(self._it, None)
            if nxt is None:
                return None
            self._buf = nxt.reset_index(drop=True)
        head = self._buf.iloc[:k]
        rest = self._buf.iloc[k:]
        self._buf = rest.reset_index(drop=True) if len(rest) else None
        return head.reset_index(drop=True)

    def block(self, offset: int, row_ids, nb: int, rows) -> dict:
        """Read the data rows of the votes' rows ``offset .. offset + nb`` (ids ``row_ids``) and
        return the text of ``rows`` (positions in the votes), while the data lines up with the
        votes; ``{}`` once it does not (:meth:`finish` then matches by id)."""
        if not self.aligned:
            return {}
        want = np.sort(np.asarray(list(rows), dtype=np.int64)) - offset
        out, done = {}, 0
        while done < nb:
            df = self._next(nb - done)
            if df is None:   # fewer data rows than votes rows
                if not self.by_id:
                    self._count_error(self.rows)
                self._stop()
                return {}
            k = len(df)
            if self.by_id:
                from ..votes.row_ids import same_ids

                theirs = row_ids[self.ids].iloc[done:done + k].reset_index(drop=True)
                if not same_ids(df[self.ids], theirs):
                    self._stop()
                    return {}
            a, b = np.searchsorted(want, [done, done + k])
            texts = df[self.text_col]
            for i in want[a:b]:
                out[offset + int(i)] = texts.iloc[int(i) - done]
            done += k
            self.rows += k
        return out

    def _stop(self):
        self.aligned = False
        self._it = self._buf = None

    def _check_position(self) -> None:
        from ..fit.keep import check_position_data

        votes, self._position_votes = self._position_votes, None
        meta = getattr(votes, "metadata", None)
        check_position_data("the votes" if meta is not None else votes, self.src, meta)

    def finish(self, kept: dict) -> None:
        """After the pass: the row count checked and, unless the data was the votes' own rows, each
        sampled row's text matched by id."""
        if self.aligned and self._next(1) is not None:   # more data rows than votes rows
            if not self.by_id:
                self._count_error(self.rows + 1 + len(self._buf if self._buf is not None else ())
                                  + sum(len(b) for b in self._it))
            self._stop()
        if self._position_votes is not None:
            self._check_position()
        if self.aligned:
            return
        for r in kept.values():
            r.pop("text", None)
        self._match_by_id(kept)

    def _match_by_id(self, kept: dict) -> None:
        """Each sampled row's text by id, ids compared by value as gold labels are (``align_gold``:
        a pandas merge, so the id 7 of a CSV matches the id 7.0 of votes whose id column has a null)."""
        from ..io import format_id, format_ids

        ids, data = self.ids, self.src.path
        want: dict[tuple, list] = {}
        for r in kept.values():
            vals = tuple(r["ids"][c] for c in ids)
            if any(pd.isna(v) for v in vals):
                r["text_note"] = (f"no text: the row's id is empty (null), and {data} is not the votes' own rows "
                                  "(the same ids row for row), so no row of it can be told to be this one")
            else:
                want.setdefault(vals, []).append(r)
        keys = list(want)
        at, which = "\x00row", "\x00want"     # no id column's name
        table = pd.DataFrame(keys, columns=ids).assign(**{which: np.arange(len(keys))})
        hits = np.zeros(len(keys), dtype=np.int64)
        seen: list = []       # a few of the data's ids, for the error below
        if want:
            for batch in self.src.iter_batches(self.batch, ids + [self.text_col], id_cols=ids, text_as_written=True):
                batch = batch[~batch[ids].isna().to_numpy().any(axis=1)].reset_index(drop=True)
                if len(seen) < 3:
                    seen += [tuple(r) if len(ids) > 1 else r[0] for r in batch[ids].head(3).itertuples(index=False)]
                try:
                    found = batch[ids].assign(**{at: np.arange(len(batch))}).merge(table, on=ids, how="inner")
                except (ValueError, TypeError):   # e.g. text ids against integer ids: no match, as align_gold
                    continue
                for i, w in zip(found[at].to_numpy(), found[which].to_numpy()):
                    hits[w] += 1
                    if hits[w] == 1:
                        for r in want[keys[w]]:
                            r["text"] = batch[self.text_col].iloc[i]
        if want and not hits.any():
            # a report whose every sampled text is missing is a silently wrong page: the ids do not match
            votes_ids = [k if len(ids) > 1 else k[0] for k in keys[:3]]
            raise InputError(f"{data}: none of the {sum(map(len, want.values())):,} sampled rows' ids matches a row "
                             f"of it (id columns {ids}; votes ids e.g. {format_ids(votes_ids)}; {data} ids e.g. "
                             f"{format_ids(seen[:3]) or 'none'}); check the id column's type and values")
        for w, k in enumerate(keys):
            shown = format_id(k if len(ids) > 1 else k[0])
            for r in want[k] if hits[w] != 1 else ():
                r.pop("text", None)
                r["text_note"] = (f"no text: no row of {data} has id {shown}" if not hits[w] else
                                  f"no text: id {shown} is on {hits[w]:,} rows of {data}, and it is not the votes' "
                                  "own rows (the same ids row for row), so which of them is this row is unknown")
