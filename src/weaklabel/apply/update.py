"""``apply --update``: which LFs to rerun, which columns to copy from the existing output
(:class:`Reuse`, picklable: Dask workers use it too), which to drop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import ROW_IS_ID, VOTES_FORMAT, VotesDataset, input_match
from ..io.fingerprint import DATA_FILES, match_before_hash
from ..lf import LabelingFunction
from .input_hash import InputHash


#: ``TableSource.reading`` keys: how the same input bytes reach the LFs, and what each says
READINGS = {"na_text_columns": "the LFs now see NA markers (NA, null, ...) as text in column(s)",
            "json_optional_keys": "every batch now has, with one type each, the keys some records leave out or "
                                  "whose integers sit beside nulls or floats:"}


@dataclass
class UpdatePlan:
    """Which LFs an ``apply --update`` runs, copies from the existing output, or drops."""

    run: list[int]                       # positions (in the current LF list) of LFs to apply
    reuse: list[int]                     # positions of LFs whose votes are copied
    dropped: list[str]                   # LF names in the old output but not in the LF file
    old: VotesDataset | None = None      # the existing output (None: there is none; run everything)
    old_meta: dict = field(default_factory=dict)
    current_names: list[str] = field(default_factory=list)
    note: str | None = None              # why every LF runs although there is an output to update
    expect_input: dict | None = None     # the old votes' input fingerprint, compared once the input is hashed
    output_name: str = ""

    def check_input(self, fingerprint: dict) -> None:
        """The comparison :func:`plan_update` left to the end of the run, once the input is hashed
        (:mod:`.input_hash`): other data is today's error, and nothing is written."""
        if self.expect_input is not None and input_match(self.expect_input, fingerprint) != "same":
            raise _differs(self.output_name, fingerprint, self.expect_input)

    @property
    def noop(self) -> bool:
        """Nothing to run or drop and the columns are already in the LF file's order."""
        return (self.old is not None and not self.run and not self.dropped
                and [d["name"] for d in self.old_meta["lfs"]] == self.current_names
                and all("class_votes" in d for d in self.old_meta["lfs"]))


def plan_update(output: str | Path, lfs: Sequence[LabelingFunction], fingerprint: dict | InputHash,
                n_rows: int | None, id_cols: Sequence[str] | None, K: int | None,
                classes: Sequence[str] | None, hashes: Sequence[str] | None = None) -> UpdatePlan:
    """Compare the current LFs with the existing output's metadata (LF source hashes, input
    fingerprint, id columns, classes) and decide what an ``apply --update`` must do.

    ``fingerprint``: the input's (with its ``reading``), or an :class:`InputHash` not hashed yet:
    when the answer then depends on the hash, the plan's :meth:`UpdatePlan.check_input` compares it
    at the end of the run (before anything is written), so the hash runs beside the LFs.

    ``hashes``: the LFs' source hashes, if already taken (else they are taken now).

    With no existing output every LF runs. Anything that makes the old votes unusable (other
    input data, other id columns, other classes) is an :class:`InputError`: rerun without
    ``--update``.
    """
    names = [lf.name for lf in lfs]
    out = Path(output)
    if not out.exists():
        return UpdatePlan(run=list(range(len(lfs))), reuse=[], dropped=[], current_names=names)
    hint = "; run without --update to apply every LF"
    old = VotesDataset(out)
    meta = old.meta
    if not meta or meta.get("format") != VOTES_FORMAT:
        raise InputError(f"{out}: has no weaklabel votes metadata; --update needs votes written by "
                         f"`weaklabel apply`{hint}")
    old_lfs = meta.get("lfs") or []
    if not old_lfs or any("hash" not in d for d in old_lfs) or not meta.get("input"):
        raise InputError(f"{out}: has no LF source hashes or input fingerprint (not written by "
                         f"`weaklabel apply`){hint}")
    old_in = meta["input"]
    match = _compare_input(old_in, fingerprint)
    known = fingerprint if isinstance(fingerprint, dict) else fingerprint.known()
    if match == "differs":
        raise _differs(out.name, known, old_in)
    if match == "unknown":
        return _rerun_all(names, old_lfs, f"{out.name} records only a partial fingerprint of its input (written by "
                          "an older weaklabel, which hashed the first and last MiB): every LF was rerun")
    if match == "folder":
        return _rerun_all(names, old_lfs, f"{out.name} records a fingerprint of every file in the folder "
                          f"{known.get('name')} (written by an older weaklabel, which also hashed files that are not "
                          "data, such as _SUCCESS or .crc files), and it does not match the folder now; the "
                          "fingerprint now covers the data files only: every LF was rerun")
    for key, what in READINGS.items():   # the same bytes, other values for the LFs (TableSource.reading)
        before, now = old_in.get(key) or [], known.get(key) or []
        if before != now:
            return _rerun_all(names, old_lfs, f"{out.name} was made from another reading of {known.get('name')}: "
                              f"{what} {', '.join(map(repr, now)) or 'none'} (before: "
                              f"{', '.join(map(repr, before)) or 'none'}), so every LF was rerun")
    rows = meta.get("rows")
    if old.n_rows != rows or (n_rows is not None and n_rows != rows):
        raise InputError(f"--update: {out.name} has {old.n_rows:,} rows (metadata: {rows}) but the input has "
                         f"{n_rows if n_rows is not None else '?'}{hint}")
    want_ids = list(id_cols) if id_cols else ["row"]
    old_ids = list(meta.get("id_columns") or [])
    old_real_row, new_real_row = bool(meta.get(ROW_IS_ID)), list(id_cols or []) == ["row"]
    if old_ids != want_ids or old_real_row != new_real_row:
        if old_ids == want_ids == ["row"]:   # same name, one of them positions (ROW_IS_ID says which)
            said = ("row positions, not a real id column named 'row' (files written before the 'row' id "
                    "column was marked in the metadata hold positions there)" if new_real_row
                    else "a real id column named 'row', and this run has no --id-col (row positions)")
            raise InputError(f"--update: the 'row' column of {out.name} holds {said}{hint}")
        raise InputError(f"--update: {out.name} has id columns {old_ids} but this run uses {want_ids}{hint}")
    old_K, old_classes = meta.get("cardinality"), meta.get("classes")
    if classes is not None and old_classes is not None and list(classes) != list(old_classes):
        raise InputError(f"--update: the classes changed from {old_classes} to {list(classes)}{hint}")
    if (classes is None) != (old_classes is None) or (K is not None and K != old_K):
        raise InputError(f"--update: the classes changed (K={old_K}, classes {old_classes} before; "
                         f"K={K if K is not None else 'inferred'}, classes {list(classes) if classes else None} now)"
                         f"{hint}")
    missing = [d["name"] for d in old_lfs if d["name"] not in old.schema.names]
    if missing:
        raise InputError(f"{out}: column {missing[0]!r} named in its metadata is missing{hint}")
    by_name = {d["name"]: d for d in old_lfs}
    run, reuse = [], []
    if hashes is None:
        hashes = [lf.source_hash for lf in lfs]
    for j, (lf, h) in enumerate(zip(lfs, hashes)):
        d = by_name.get(lf.name)
        (reuse if d is not None and d["hash"] == h else run).append(j)
    dropped = [d["name"] for d in old_lfs if d["name"] not in set(names)]
    return UpdatePlan(run=run, reuse=reuse, dropped=dropped, old=old, old_meta=meta, current_names=names,
                      expect_input=old_in if match == "later" else None, output_name=out.name)


def _compare_input(old_in: dict, fingerprint: dict | InputHash) -> str:
    """:func:`~weaklabel.io.input_match` of the old votes' input and this one, or ``"later"`` (the
    hash decides, and is not known yet: :meth:`UpdatePlan.check_input`), or ``"folder"``: a folder's
    fingerprint from an earlier version (of every file in it) that matches neither what the folder's
    files nor its data files are now, so it cannot tell whether the data changed."""
    if isinstance(fingerprint, dict):
        return input_match(old_in, fingerprint)
    if fingerprint.folder and isinstance(old_in, dict) and old_in.get("files") != DATA_FILES:
        new, old = fingerprint.with_old_value()    # one read of every file, this once
        found = {input_match(old_in, fp) for fp in (new, old) if fp is not None}
        return "same" if "same" in found else "unknown" if "unknown" in found else "folder"
    return match_before_hash(old_in, fingerprint.size) or "later"


def _differs(name: str, fingerprint: dict, old_in: dict) -> InputError:
    return InputError(f"--update: the input data differs from the one {name} was made from "
                      f"({_described(fingerprint)} vs {_described(old_in)}); run without --update to apply every LF")


def _described(fp: dict) -> str:
    """A fingerprint in a message (any metadata: never a formatting error on a field of another type)."""
    size = fp.get("size")
    size = f"{size:,}" if isinstance(size, int) else repr(size)
    if "sha256_ends" not in fp:    # not hashed (yet): the sizes differ
        return f"{fp.get('name')}: {size} bytes"
    return f"{fp.get('name')}: {size} bytes, fingerprint {str(fp.get('sha256_ends'))[:12]}"


def _rerun_all(names: list[str], old_lfs: list[dict], note: str) -> UpdatePlan:
    """An update that cannot trust the old votes: every LF runs (the output is rewritten), none is
    reused; LFs of the old output no longer defined are reported dropped."""
    dropped = [d["name"] for d in old_lfs if d["name"] not in set(names)]
    return UpdatePlan(run=list(range(len(names))), reuse=[], dropped=dropped, current_names=names, note=note)


class Reuse:
    """Fills the columns of reused LFs from the old output for a range of rows, checking that the
    old output's row ids are the new ones (module level and picklable: Dask workers use it too).
    Ids are compared row by row, not matched, so rows without an id (null on both sides) are fine."""

    def __init__(self, plan: UpdatePlan, lf_names: Sequence[str], id_columns: Sequence[str], where: str):
        self.old = plan.old
        self.cols = list(plan.reuse)
        self.names = [lf_names[j] for j in plan.reuse]
        self.id_columns = list(id_columns)
        self.where = where
        self.K = int(plan.old_meta["cardinality"])

    def fresh(self) -> "Reuse":
        """A copy with its own open-file cache (for use from another thread)."""
        import copy

        other = copy.copy(self)
        other.old = copy.copy(self.old)
        other.old._open = {}
        return other

    def fill(self, dense: np.ndarray, start: int, ids) -> None:
        import pyarrow as pa

        b = dense.shape[0]
        t = self.old.read(start, start + b, self.id_columns + self.names)
        if t.num_rows != b:
            raise InputError(f"--update: {self.where} ends at row {start + t.num_rows:,}, before the input does; "
                             "run without --update")
        for c in self.id_columns:
            new, old = ids.column(c), t.column(c)
            old_type = old.type
            if old.type != new.type:
                try:
                    old = old.cast(new.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    pass
            if not old.equals(new):
                types = ""
                if old_type != new.type:
                    types = f" ({c!r} is {old_type} there, {new.type} here"
                    if pa.types.is_string(new.type) or pa.types.is_large_string(new.type):
                        types += (": a CSV id column is read as text when reading it as numbers would change an id, "
                                  "e.g. 007")
                    types += ")"
                raise InputError(f"--update: the row ids in {self.where} differ from the input's in rows "
                                 f"{start:,}..{start + b - 1:,}{types}; run without --update")
        for j, name in zip(self.cols, self.names):
            col = np.asarray(t.column(name).to_numpy(zero_copy_only=False))
            bad = (col < -1) | (col >= self.K) if col.dtype.kind in "iu" else np.ones(len(col), dtype=bool)
            if bad.any():   # a damaged or edited file: its votes must not pass into a fresh file
                i = int(np.argmax(bad))
                raise InputError(f"--update: {self.where}: LF {name!r} has vote {col[i].item()!r} in row {start + i:,}, "
                                 f"not an int in -1..{self.K - 1}; run without --update")
            dense[:, j] = col
