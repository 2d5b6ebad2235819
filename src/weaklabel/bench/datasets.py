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
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..votes import VoteMatrix

ENV_VAR = "WEAKLABEL_DATA"
SPLIT_SEED = 0
EMBEDDED_TASKS = ("digits", "breast_cancer", "wine")
TEXT_TASKS = ("youtube", "sms", "trec", "imdb", "yelp")


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
def _read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def _wrench_split(path: Path, K: int, lf_names: list[str] | None) -> tuple[Split, list[str]]:
    raw = _read_json(path)
    if not isinstance(raw, dict) or not raw:
        raise InputError(f"{path}: expected a JSON object of examples")
    ids = list(raw.keys())
    try:
        weak = [raw[i]["weak_labels"] for i in ids]
        labels = [raw[i].get("label", -1) for i in ids]
    except (KeyError, TypeError):
        raise InputError(f"{path}: every example needs 'weak_labels' (WRENCH format)") from None
    m = len(weak[0])
    if any(len(w) != m for w in weak):
        raise InputError(f"{path}: examples have different numbers of weak labels")
    L = np.asarray(weak, dtype=np.int64).reshape(len(ids), m)
    y = np.asarray([-1 if v is None else int(v) for v in labels], dtype=np.int64)
    if np.any(y >= K) or np.any(y < -1):
        raise InputError(f"{path}: gold labels outside -1..{K - 1}")
    names = lf_names or [f"lf_{j}" for j in range(m)]
    votes = VoteMatrix.from_dense(L, cardinality=K, lf_names=names, row_ids=pd.DataFrame({"id": ids}))
    texts = [raw[i].get("data", {}).get("text") if isinstance(raw[i].get("data"), dict) else None for i in ids]
    features = pd.DataFrame({"text": texts}) if all(isinstance(t, str) for t in texts) else None
    return Split(y=y, votes=votes, features=features), names


def load_wrench(path: str | Path, name: str | None = None) -> Dataset:
    """A WRENCH dataset folder: ``label.json`` and ``train/valid/test.json`` (valid optional)."""
    p = Path(path)
    if not (p / "train.json").exists():
        raise InputError(f"{p}: not a WRENCH dataset folder (no train.json)")
    label_map = _read_json(p / "label.json") if (p / "label.json").exists() else None
    if label_map is not None:
        try:
            classes = [str(label_map[str(k)]) for k in range(len(label_map))]
        except KeyError:
            raise InputError(f"{p / 'label.json'}: keys must be the class ids 0..K-1") from None
    else:
        y = [v.get("label", -1) for v in _read_json(p / "train.json").values()]
        classes = [str(k) for k in range(max(2, max(y) + 1))]
    K = len(classes)
    train, names = _wrench_split(p / "train.json", K, None)
    test, _ = _wrench_split(p / "test.json", K, names)
    valid = _wrench_split(p / "valid.json", K, names)[0] if (p / "valid.json").exists() else None
    return Dataset(name=name or p.name, kind="wrench", classes=classes, train=train, test=test, valid=valid,
                   text_column="text" if train.features is not None else None, source=str(p))


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
    try:
        ans = pd.read_csv(p / "label.csv")
        truth = pd.read_csv(p / "truth.csv") if (p / "truth.csv").exists() else pd.DataFrame(columns=["item", "truth"])
    except FileNotFoundError as exc:
        raise InputError(f"{p}: {exc.filename}: no such file") from None
    for col in ("item", "worker", "label"):
        if col not in ans.columns:
            raise InputError(f"{p / 'label.csv'}: no column {col!r} (expected item,worker,label)")
    if not {"item", "truth"} <= set(truth.columns):
        raise InputError(f"{p / 'truth.csv'}: expected columns item,truth")
    ans = ans.drop_duplicates(["item", "worker"], keep="last")
    items = np.unique(np.concatenate([ans["item"].to_numpy(), truth["item"].to_numpy()]))
    workers = np.unique(ans["worker"].to_numpy())
    labels = ans["label"].to_numpy()
    if labels.dtype.kind not in "iu" or (truth["truth"].size and truth["truth"].to_numpy().dtype.kind not in "iu"):
        raise InputError(f"{p}: labels must be integer class ids 0..K-1")
    K = int(max(labels.max(initial=1), truth["truth"].max() if len(truth) else 1)) + 1
    classes_file = p / "classes.txt"
    classes = [str(k) for k in range(K)]
    if classes_file.exists():
        names = [ln.strip() for ln in classes_file.read_text(encoding="utf-8").splitlines() if ln.strip()]
        if len(names) >= K:
            classes = names
            K = len(names)
    row = np.searchsorted(items, ans["item"].to_numpy())
    col = np.searchsorted(workers, ans["worker"].to_numpy())
    order = np.lexsort((col, row))
    row, col, labels = row[order], col[order], labels[order]
    indptr = np.zeros(items.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=items.size), out=indptr[1:])
    votes = VoteMatrix(indptr, col.astype(np.int32), labels, [f"w{w}" for w in workers], cardinality=K,
                       row_ids=pd.DataFrame({"item": items}))
    y = np.full(items.size, -1, dtype=np.int64)
    y[np.searchsorted(items, truth["item"].to_numpy())] = truth["truth"].to_numpy()
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
    tr, te = train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    return np.sort(tr), np.sort(te)


def _from_frame(name: str, kind: str, frame: pd.DataFrame, y: np.ndarray, classes: list[str],
                text_column: str | None, source: str, test_rows: np.ndarray | None = None) -> Dataset:
    if test_rows is None:
        tr, te = stratified_split(y)
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
def _read_csv(path: Path, **kw) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kw)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="latin-1", **kw)


def _trec_lines(path: Path) -> tuple[list[str], list[str]]:
    raw = path.read_bytes().decode("latin-1").splitlines()
    labels, texts = [], []
    for ln in raw:
        ln = ln.strip()
        if not ln:
            continue
        lab, _, text = ln.partition(":")
        labels.append(lab)
        texts.append(text.strip())
    return labels, texts


def load_text(name: str, data_dir: str | Path | None = None) -> Dataset:
    """A text task from ``raw/``: youtube, sms, trec, imdb or yelp (column ``text``)."""
    root = resolve_data_dir(data_dir, required=True)
    p = _sub(root, "raw", name)
    if name == "youtube":
        files = sorted(glob.glob(str(p / "Youtube*.csv")))
        if not files:
            raise InputError(f"{p}: no Youtube*.csv files")
        df = pd.concat([_read_csv(Path(f)) for f in files], ignore_index=True)
        frame = pd.DataFrame({"text": df["CONTENT"].astype(str)})
        return _from_frame(name, "text", frame, df["CLASS"].to_numpy(), ["ham", "spam"], "text", str(p))
    if name == "sms":
        parts = {s: _read_csv(p / f"{s}.csv", encoding="latin-1") for s in ("train", "test")}
        frames, ys = [], []
        for s in ("train", "test"):
            d = parts[s]
            frames.append(pd.DataFrame({"text": d["v2"].astype(str)}))
            ys.append((d["v1"].str.strip().str.lower() == "spam").astype(np.int64).to_numpy())
        frame = pd.concat(frames, ignore_index=True)
        y = np.concatenate(ys)
        return _from_frame(name, "text", frame, y, ["ham", "spam"], "text", str(p),
                           test_rows=np.arange(len(frames[0]), len(frame)))
    if name == "trec":
        classes = ["DESC", "ENTY", "HUM", "ABBR", "LOC", "NUM"]        # WRENCH's class ids
        lab_tr, txt_tr = _trec_lines(p / "train.txt")
        lab_te, txt_te = _trec_lines(p / "test.txt")
        labels = lab_tr + lab_te
        unknown = sorted(set(labels) - set(classes))
        if unknown:
            raise InputError(f"{p}: unknown TREC label {unknown[0]!r}")
        frame = pd.DataFrame({"text": txt_tr + txt_te})
        y = np.array([classes.index(lab) for lab in labels], dtype=np.int64)
        return _from_frame(name, "text", frame, y, classes, "text", str(p),
                           test_rows=np.arange(len(txt_tr), len(labels)))
    if name in ("imdb", "yelp"):
        dev = pd.DataFrame(_read_json(p / "dev_data.json"))
        test = pd.DataFrame(_read_json(p / "test_data.json"))
        frame = pd.DataFrame({"text": pd.concat([dev["text"], test["text"]], ignore_index=True).astype(str)})
        y = np.concatenate([dev["label"].to_numpy(), test["label"].to_numpy()]).astype(np.int64)
        return _from_frame(name, "text", frame, y, ["negative", "positive"], "text", str(p),
                           test_rows=np.arange(len(dev), len(frame)))
    raise InputError(f"unknown text task {name!r}; choose one of {', '.join(TEXT_TASKS)}")


def load_task(name: str, data_dir: str | Path | None = None) -> Dataset:
    """An AutoWS task by name: embedded tasks always, text tasks from the data folder."""
    if name in EMBEDDED_TASKS:
        return load_embedded(name)
    if name in TEXT_TASKS:
        return load_text(name, data_dir)
    raise InputError(f"unknown task {name!r}; choose from {', '.join(EMBEDDED_TASKS + TEXT_TASKS)}")
