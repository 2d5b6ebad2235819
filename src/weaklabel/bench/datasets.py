"""Benchmark datasets: WRENCH and crowdsourcing vote matrices, raw text tasks, embedded tasks.

Every loader returns a :class:`Dataset`: class names and ``train`` / ``test`` (and, where the
source has one, ``valid``) :class:`Split` objects holding gold labels (``-1`` = no gold), a
:class:`~weaklabel.votes.VoteMatrix` when the source comes with votes, and a feature DataFrame
when it comes with features or text.

Folder layout (``--data-dir`` or ``WEAKLABEL_DATA``)::

    wrench/<name>/{train,valid,test}.json, label.json   WRENCH format
    crowd/<name>/label.csv, truth.csv                     item,worker,label / item,truth
    raw/{youtube,sms,trec,imdb,yelp}/...                  text with gold labels

**Embedded tasks** (no data folder needed) come from datasets scikit-learn ships: ``digits``
(8x8 handwritten digits, 10 classes, an MNIST-like image task), ``breast_cancer`` (2 classes) and
``wine`` (3 classes). Tasks without an official split get a stratified 75/25 train/test split
with a fixed seed (0), so every run and every ``--seed`` sees the same test rows.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..dtypes import MAX_CARDINALITY
from ..errors import InputError
from ..votes import VoteMatrix
from . import validate as V

ENV_VAR = "WEAKLABEL_DATA"
SPLIT_SEED = 0
EMBEDDED_TASKS = ("digits", "breast_cancer", "wine")
TEXT_TASKS = ("youtube", "sms", "trec", "imdb", "yelp")
TREC_CLASSES = ("DESC", "ENTY", "HUM", "ABBR", "LOC", "NUM")        # WRENCH's class ids


@dataclass
class Split:
    """One split: gold labels, and votes and/or features for the same rows."""

    y: np.ndarray
    votes: VoteMatrix | None = None
    features: pd.DataFrame | None = None

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    def take(self, rows) -> "Split":
        rows = np.asarray(rows)
        return Split(y=self.y[rows], votes=self.votes.take(rows) if self.votes is not None else None,
                     features=self.features.iloc[rows].reset_index(drop=True) if self.features is not None else None)


@dataclass
class Dataset:
    """A benchmark dataset or task.

    ``kind`` is ``"wrench"``, ``"crowd"``, ``"text"`` or ``"embedded"``; ``text_column`` names the
    text column of text features (else features are numeric columns).
    """

    name: str
    kind: str
    classes: list[str]
    train: Split
    test: Split
    valid: Split | None = None
    text_column: str | None = None
    source: str = ""

    @property
    def cardinality(self) -> int:
        return len(self.classes)

    @property
    def n_lfs(self) -> int:
        return self.train.votes.n_lfs if self.train.votes is not None else 0

    def describe(self) -> dict:
        d = {"name": self.name, "kind": self.kind, "classes": self.classes, "K": self.cardinality,
             "train": self.train.n, "test": self.test.n, "valid": self.valid.n if self.valid is not None else 0,
             "source": self.source}
        if self.train.votes is not None:
            d["lfs"] = self.n_lfs
        if self.train.features is not None:
            d["features"] = "text" if self.text_column else int(self.train.features.shape[1])
        return d


# --------------------------------------------------------------------------- data folder
def resolve_data_dir(data_dir: str | Path | None = None, required: bool = False) -> Path | None:
    """``data_dir`` if given (it must exist), else ``$WEAKLABEL_DATA`` if set, else ``None``."""
    if data_dir is not None:
        p = Path(data_dir).expanduser()
        if not p.is_dir():
            raise InputError(f"{p}: data folder not found")
        return p
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        if not p.is_dir():
            raise InputError(f"{ENV_VAR}={env}: data folder not found")
        return p
    if required:
        raise InputError(f"this needs benchmark data: pass --data-dir DIR or set {ENV_VAR} "
                         "(a folder with wrench/, crowd/ and raw/ subfolders)")
    return None


def _sub(data_dir: Path, group: str, name: str) -> Path:
    """``data_dir/group/name``, or ``data_dir/name``, or ``data_dir`` itself if it is the dataset."""
    for p in (data_dir / group / name, data_dir / name):
        if p.is_dir():
            return p
    raise InputError(f"{data_dir}: no {group} dataset {name!r} (looked in {data_dir / group / name})")


def list_wrench(data_dir: str | Path) -> list[str]:
    root = Path(data_dir) / "wrench"
    return sorted(p.name for p in root.iterdir() if (p / "train.json").exists()) if root.is_dir() else []


def list_crowd(data_dir: str | Path) -> list[str]:
    root = Path(data_dir) / "crowd"
    return sorted(p.name for p in root.iterdir() if (p / "label.csv").exists()) if root.is_dir() else []


def list_text(data_dir: str | Path | None) -> list[str]:
    if data_dir is None:
        return []
    root = Path(data_dir) / "raw"
    return [n for n in TEXT_TASKS if (root / n).is_dir()]


# --------------------------------------------------------------------------- WRENCH
def _wrench_split(path: Path, parsed, K: int, names: list[str], why: str) -> Split:
    raw, (ids, L, y) = parsed
    V.check_wrench_range(path, ids, L, y, K, why)
    votes = VoteMatrix.from_dense(L, cardinality=K, lf_names=names, row_ids=pd.DataFrame({"id": ids}))
    texts = [raw[i].get("data", {}).get("text") if isinstance(raw[i].get("data"), dict) else None for i in ids]
    features = pd.DataFrame({"text": texts}) if all(isinstance(t, str) for t in texts) else None
    return Split(y=y, votes=votes, features=features)


def load_wrench(path: str | Path, name: str | None = None) -> Dataset:
    """A WRENCH dataset folder: ``label.json`` and ``train/valid/test.json`` (valid optional).

    Every example needs ``weak_labels`` (a list of integer class ids, ``-1`` = abstain, the same
    length in every split) and may have ``label`` (an integer class id; ``-1``, ``null`` or absent
    = no gold). Without ``label.json`` the classes are ``0..K-1`` with K one above the largest
    label or weak label of any split (at least 2)."""
    p = Path(path)
    if not (p / "train.json").exists():
        raise InputError(f"{p}: not a WRENCH dataset folder (no train.json)")
    files = {s: p / f"{s}.json" for s in ("train", "test", "valid")
             if s != "valid" or (p / "valid.json").exists()}
    parsed = {}
    for s, f in files.items():
        raw = V.read_json(f)
        parsed[s] = (raw, V.wrench_examples(f, raw))
    m = parsed["train"][1][1].shape[1]
    for s in ("test", "valid"):
        if s in parsed and parsed[s][1][1].shape[1] != m:
            raise InputError(f"{files[s]}: examples have {parsed[s][1][1].shape[1]} weak labels, "
                             f"{files['train'].name} has {m}")
    if (p / "label.json").exists():
        classes = V.wrench_classes(p / "label.json", V.read_json(p / "label.json"))
        why = f"{len(classes)} classes in label.json"
    else:
        top = max(max(int(L.max(initial=-1)), int(y.max(initial=-1))) for _, (_, L, y) in parsed.values())
        if top >= MAX_CARDINALITY:        # a typo (a class id of 100000) names its example
            for s, (_, (ids, L, y)) in parsed.items():
                V.check_wrench_range(files[s], ids, L, y, MAX_CARDINALITY, f"at most {MAX_CARDINALITY} classes")
        classes = [str(k) for k in range(max(2, top + 1))]
        why = "no label.json"
    K = len(classes)
    names = [f"lf_{j}" for j in range(m)]
    splits = {s: _wrench_split(files[s], parsed[s], K, names, why) for s in parsed}
    train = splits["train"]
    return Dataset(name=name or p.name, kind="wrench", classes=classes, train=train, test=splits["test"],
                   valid=splits.get("valid"), text_column="text" if train.features is not None else None,
                   source=str(p))


def load_wrench_dataset(name: str, data_dir: str | Path | None = None) -> Dataset:
    root = resolve_data_dir(data_dir, required=True)
    return load_wrench(_sub(root, "wrench", name), name)


# --------------------------------------------------------------------------- crowd
def load_crowd(path: str | Path, name: str | None = None) -> Dataset:
    """A crowdsourcing folder: ``label.csv`` (item, worker, label) and ``truth.csv`` (item, truth).

    Items are rows and workers are LFs (named ``w<id>``). A worker's repeated answers on one item
    count once (the last one). ``train`` holds every item (gold where known), ``test`` the items
    with gold: fitting on ``train`` without labels and scoring on ``test`` is the usual protocol
    (fit on all answers, score on gold items).
    """
    p = Path(path)
    lab_file, truth_file = p / "label.csv", p / "truth.csv"
    ans = V.read_csv(lab_file, "item,worker,label")
    truth = (V.read_csv(truth_file, "item,truth") if truth_file.exists()
             else pd.DataFrame({"item": pd.Series([], dtype=np.int64), "truth": pd.Series([], dtype=np.int64)}))
    V.need_columns(ans, ("item", "worker", "label"), lab_file, "item,worker,label")
    V.need_columns(truth, ("item", "truth"), truth_file, "item,truth")
    for col in ("item", "worker", "label"):
        V.no_missing(ans, col, lab_file)
    for col in ("item", "truth"):
        V.no_missing(truth, col, truth_file)
    if ans.empty:
        raise InputError(f"{lab_file}: no answers (expected rows item,worker,label)")
    ans = ans.assign(label=V.int_column(ans, "label", lab_file, 0, MAX_CARDINALITY - 1, text=True))
    ans = ans.drop_duplicates(["item", "worker"], keep="last")
    truth = truth.assign(truth=V.int_column(truth, "truth", truth_file, -1, MAX_CARDINALITY - 1, text=True))
    clash = truth[truth["truth"].to_numpy() >= 0].groupby("item", sort=False)["truth"].nunique()
    if (clash > 1).any():
        item = clash.index[(clash > 1).to_numpy()][0]
        item = item.item() if hasattr(item, "item") else item
        raise InputError(f"{truth_file}: item {item!r} has two different truths")
    a_items, t_items = ans["item"].to_numpy(), truth["item"].to_numpy()
    try:
        items = np.unique(np.concatenate([a_items, t_items]))
    except TypeError:       # numbers in one file, text in the other: compare them as text
        a_items, t_items = a_items.astype(str), t_items.astype(str)
        items = np.unique(np.concatenate([a_items, t_items]))
    gold = truth["truth"].to_numpy() >= 0                     # -1: no gold for that item
    t_items = t_items[gold]
    truth = truth[gold]
    try:
        workers = np.unique(ans["worker"].to_numpy())
    except TypeError:
        workers = np.unique(ans["worker"].to_numpy().astype(str))
        ans = ans.assign(worker=ans["worker"].to_numpy().astype(str))
    labels = ans["label"].to_numpy()
    t_vals = truth["truth"].to_numpy()
    K = int(max(labels.max(initial=1), t_vals.max(initial=1))) + 1
    classes_file = p / "classes.txt"
    classes = [str(k) for k in range(K)]
    if classes_file.exists():
        names = [ln.strip() for ln in V.read_bytes(classes_file).decode("utf-8", "replace").splitlines() if ln.strip()]
        if len(names) < K:
            raise InputError(f"{classes_file}: {len(names)} class names, but the labels go up to {K - 1} "
                             f"({K} classes needed, one name a line)")
        classes = names
        K = len(names)
    row = np.searchsorted(items, a_items)
    col = np.searchsorted(workers, ans["worker"].to_numpy())
    order = np.lexsort((col, row))
    row, col, labels = row[order], col[order], labels[order]
    indptr = np.zeros(items.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=items.size), out=indptr[1:])
    votes = VoteMatrix(indptr, col.astype(np.int32), labels, [f"w{w}" for w in workers], cardinality=K,
                       row_ids=pd.DataFrame({"item": items}))
    y = np.full(items.size, -1, dtype=np.int64)
    y[np.searchsorted(items, t_items)] = t_vals
    train = Split(y=y, votes=votes)
    test = train.take(np.flatnonzero(y >= 0))
    return Dataset(name=name or p.name, kind="crowd", classes=classes, train=train, test=test, source=str(p))


def load_crowd_dataset(name: str, data_dir: str | Path | None = None) -> Dataset:
    root = resolve_data_dir(data_dir, required=True)
    return load_crowd(_sub(root, "crowd", name), name)


# --------------------------------------------------------------------------- splits
def stratified_split(y: np.ndarray, test_size: float = 0.25, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(y.shape[0])
    try:
        tr, te = train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    except ValueError as exc:          # too few rows, or a class with a single row
        raise InputError(f"cannot split {y.shape[0]} rows {1 - test_size:.0%}/{test_size:.0%} stratified by class "
                         f"({str(exc).splitlines()[0]})") from None
    return np.sort(tr), np.sort(te)


def _from_frame(name: str, kind: str, frame: pd.DataFrame, y: np.ndarray, classes: list[str],
                text_column: str | None, source: str, test_rows: np.ndarray | None = None) -> Dataset:
    if test_rows is None:
        try:
            tr, te = stratified_split(y)
        except InputError as exc:
            raise InputError(f"{source}: {exc}") from None
    else:
        te = np.asarray(test_rows)
        tr = np.setdiff1d(np.arange(len(y)), te)
    whole = Split(y=np.asarray(y, dtype=np.int64), features=frame.reset_index(drop=True))
    return Dataset(name=name, kind=kind, classes=classes, train=whole.take(tr), test=whole.take(te),
                   text_column=text_column, source=source)


# --------------------------------------------------------------------------- embedded
def load_embedded(name: str) -> Dataset:
    """A task built from a dataset scikit-learn ships (no download): digits, breast_cancer, wine."""
    from sklearn import datasets as skd

    if name == "digits":
        b = skd.load_digits()
        cols = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
        classes = [str(k) for k in range(10)]
    elif name == "breast_cancer":
        b = skd.load_breast_cancer()
        cols = [str(c) for c in b.feature_names]
        classes = [str(c) for c in b.target_names]
    elif name == "wine":
        b = skd.load_wine()
        cols = [str(c) for c in b.feature_names]
        classes = [str(c) for c in b.target_names]
    else:
        raise InputError(f"unknown embedded task {name!r}; choose one of {', '.join(EMBEDDED_TASKS)}")
    frame = pd.DataFrame(np.asarray(b.data, dtype=float), columns=cols)
    return _from_frame(name, "embedded", frame, np.asarray(b.target), classes, None, "scikit-learn")


# --------------------------------------------------------------------------- raw text
def load_text(name: str, data_dir: str | Path | None = None) -> Dataset:
    """A text task from ``raw/``: youtube, sms, trec, imdb or yelp (column ``text``)."""
    root = resolve_data_dir(data_dir, required=True)
    p = _sub(root, "raw", name)
    if name == "youtube":
        files = sorted(glob.glob(str(p / "Youtube*.csv")))
        if not files:
            raise InputError(f"{p}: no Youtube*.csv files")
        parts = []
        for f in files:
            d = V.read_text_csv(Path(f), "CONTENT,CLASS")
            V.need_columns(d, ("CONTENT", "CLASS"), Path(f), "the YouTube spam collection's CONTENT,CLASS")
            parts.append(pd.DataFrame({"text": d["CONTENT"].astype(str),
                                       "y": V.int_column(d, "CLASS", Path(f), 0, 1, text=True)}))
        df = pd.concat(parts, ignore_index=True)
        frame = pd.DataFrame({"text": df["text"]})
        return _from_frame(name, "text", frame, df["y"].to_numpy(), ["ham", "spam"], "text", str(p))
    if name == "sms":
        parts = {s: V.read_text_csv(p / f"{s}.csv", "v1,v2", encoding="latin-1") for s in ("train", "test")}
        frames, ys = [], []
        for s in ("train", "test"):
            d = parts[s]
            V.need_columns(d, ("v1", "v2"), p / f"{s}.csv", "v1 (ham/spam), v2 (text)")
            lab = d["v1"].astype(str).str.strip().str.lower()
            bad = np.flatnonzero(~lab.isin(["ham", "spam"]).to_numpy())
            if bad.size:
                where = V.csv_line(p / f"{s}.csv", int(bad[0]))
                raise InputError(f"{p / f'{s}.csv'}, {where}: v1 {d['v1'].iloc[bad[0]]!r} "
                                 "is not ham or spam")
            frames.append(pd.DataFrame({"text": d["v2"].astype(str)}))
            ys.append((lab == "spam").astype(np.int64).to_numpy())
        frame = pd.concat(frames, ignore_index=True)
        y = np.concatenate(ys)
        return _from_frame(name, "text", frame, y, ["ham", "spam"], "text", str(p),
                           test_rows=np.arange(len(frames[0]), len(frame)))
    if name == "trec":
        classes = list(TREC_CLASSES)
        lab_tr, txt_tr = V.trec_lines(TREC_CLASSES, p / "train.txt")
        lab_te, txt_te = V.trec_lines(TREC_CLASSES, p / "test.txt")
        labels = lab_tr + lab_te
        frame = pd.DataFrame({"text": txt_tr + txt_te})
        y = np.array([classes.index(lab) for lab in labels], dtype=np.int64)
        return _from_frame(name, "text", frame, y, classes, "text", str(p),
                           test_rows=np.arange(len(txt_tr), len(labels)))
    if name in ("imdb", "yelp"):
        classes = ["negative", "positive"]
        parts = {}
        for s in ("dev", "test"):
            f = p / f"{s}_data.json"
            parts[s] = V.json_records(f, V.read_json(f), ("text", "label"))
            parts[s]["label"] = V.json_labels(parts[s], "label", f, classes)
        dev, test = parts["dev"], parts["test"]
        if not len(test):
            raise InputError(f"{p / 'test_data.json'}: no records")
        frame = pd.DataFrame({"text": pd.concat([dev["text"], test["text"]], ignore_index=True).astype(str)})
        y = np.concatenate([dev["label"].to_numpy(), test["label"].to_numpy()]).astype(np.int64)
        return _from_frame(name, "text", frame, y, classes, "text", str(p),
                           test_rows=np.arange(len(dev), len(frame)))
    raise InputError(f"unknown text task {name!r}; choose one of {', '.join(TEXT_TASKS)}")


def load_task(name: str, data_dir: str | Path | None = None) -> Dataset:
    """An AutoWS task by name: embedded tasks always, text tasks from the data folder."""
    if name in EMBEDDED_TASKS:
        return load_embedded(name)
    if name in TEXT_TASKS:
        return load_text(name, data_dir)
    raise InputError(f"unknown task {name!r}; choose from {', '.join(EMBEDDED_TASKS + TEXT_TASKS)}")
