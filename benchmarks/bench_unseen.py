"""The default on votes that played no part in any choice (issue 12's "data we have never seen").

Two kinds of sets no choice in weaklabel was made on (neither half of ``split.json``):

* **Blind keyword LFs on raw text.** ``raw/imdb`` and ``raw/yelp`` (dev + test texts; twelve
  sentiment LFs), and, added later, ``raw/trec`` (seven topic LFs over the six coarse question
  types: the issue's "few multi-class LFs"), ``raw/sms`` and ``raw/youtube`` (six spam/ham LFs
  each). Each LF set below was written once, from what a practitioner would try first, without
  looking at the gold labels or at any model's output, and was not edited after the first run.
  The trec, sms and youtube texts are those of three shared WRENCH sets, but these vote matrices
  are new.
* **The three shared crowd sets outside the 17 of PEERS.md** (``crowd/temp``, ``crowd/wsd``,
  ``crowd/weather_sentiment``; weather's gold is a checked aggregate of the same crowd, which
  favours majority vote). ``weaklabel bench``'s crowd suite reports them, but no method,
  default or threshold was chosen on them.

Reported: covered-row expected accuracy (random ties) of every model and of the default, in points
over majority vote, without labels; and ``auto --dev`` with 100 gold rows drawn from the pool
``--draws`` times (seeds 0, 1, ...; the rest is scored), against majority vote and against the
no-label default on the same rows, with the default settings and with the opt-in bar
``min_rows_gained=3``. These sets were looked at once with the code as it was
(``PROTOCOL.md`` §13): they are no longer unseen for later choices.

    python benchmarks/bench_unseen.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from weaklabel import __version__
from weaklabel.bench import label_accuracy as la
from weaklabel.bench.datasets import resolve_data_dir
from weaklabel.bench.suites import reference_mv_proba
from weaklabel.models import MODELS, AutoModel
from weaklabel.votes import VoteMatrix

HERE = Path(__file__).resolve().parent
#: the opt-in bar reported next to the default (``AutoModel(min_rows_gained=...)``, PROTOCOL.md §13)
STRICT_ROWS = 3.0
POS, NEG = 1, 0
#: Written blind, once (see the module docstring).
SENTIMENT_LFS = {
    "great": (POS, r"\b(great|excellent|superb|outstanding|wonderful|amazing)\b"),
    "love": (POS, r"\b(love|loved|loving|adore)\b"),
    "best": (POS, r"\b(best|favorite|favourite)\b"),
    "recommend": (POS, r"\b(highly recommend|must see|must-see|a must|worth (it|every|the))\b"),
    "stars_hi": (POS, r"\b(10/10|9/10|8/10|five stars|5 stars|4 stars)\b"),
    "enjoy": (POS, r"\b(enjoyed|enjoyable|delicious|fantastic|perfect)\b"),
    "bad": (NEG, r"\b(bad|awful|terrible|horrible|worst|poor)\b"),
    "waste": (NEG, r"\b(waste|wasted|boring|dull|disappointing|disappointed)\b"),
    "stars_lo": (NEG, r"\b(1/10|2/10|3/10|one star|1 star|zero stars)\b"),
    "never_again": (NEG, r"\b(never again|never go back|avoid|stay away|rude)\b"),
    "not_good": (NEG, r"\bnot (good|great|worth|recommended)\b"),
    "meh": (NEG, r"\b(mediocre|bland|overrated|meh|so-so)\b"),
}

#: TREC question types, coarse (``raw/trec``): the issue's "few multi-class LFs" regime, seven
#: topic-keyword LFs over six classes. Written blind, once, 2026-12-06, in this class order.
TREC_CLASSES = ["DESC", "ENTY", "HUM", "ABBR", "LOC", "NUM"]
DESC, ENTY, HUM, ABBR, LOC, NUM = range(6)
TREC_LFS = {
    "who": (HUM, r"^(who|whom|whose)\b|\bwhat (man|woman|person|actor|actress|president|author|company)\b"),
    "where": (LOC, r"^where\b|\bwhat (country|city|state|continent|river|mountain|ocean|island)\b"),
    "quantity": (NUM, r"^(when|how (many|much|long|far|old|big|tall|fast))\b|\bwhat (year|date|percentage)\b"),
    "abbreviation": (ABBR, r"\b(stand for|abbreviation|acronym|abbreviated)\b"),
    "why_how": (DESC, r"^(why|how (do|does|did|can|is|are|was))\b"),
    "definition": (DESC, r"^what (is|are|was) (a |an |the )?\w+( \w+)? \?$|\bmean(ing)?\b"),
    "thing": (ENTY, r"\bwhat (kind|type|sort) of\b|^name (a|an|the)\b|\bwhat (animal|color|colour|food|sport|book|film|movie|instrument)\b"),
}

#: SMS spam (``raw/sms``, ham 0 / spam 1). Written blind, once, 2026-12-06.
HAM, SPAM = 0, 1
SMS_LFS = {
    "prize": (SPAM, r"\b(free|win|winner|won|prize|claim|reward|bonus)\b"),
    "call_now": (SPAM, r"\b(urgent|call now|call free|txt|text \w+ to|reply (yes|stop))\b"),
    "money": (SPAM, r"(\u00a3|\$)\d|\b\d{5}\b|www\.|http"),
    "offer": (SPAM, r"\b(offer|guaranteed|selected|cash|voucher|ringtone)\b"),
    "chat": (HAM, r"\b(i'm|i am|lol|haha|ok|okay|sorry|love you|miss you)\b"),
    "plans": (HAM, r"\b(tonight|tomorrow|later|home|dinner|see you|on my way)\b"),
}

#: YouTube comment spam (``raw/youtube``, ham 0 / spam 1). Written blind, once, 2026-12-06.
YOUTUBE_LFS = {
    "channel": (SPAM, r"\b(check out|subscribe|my channel|my video|visit)\b"),
    "link": (SPAM, r"http|www\.|\.com\b"),
    "please": (SPAM, r"\b(please|plz|pls)\b.*\b(like|share|subscribe|check)\b"),
    "song": (HAM, r"\b(song|music|voice|dance|lyrics)\b"),
    "feeling": (HAM, r"\b(love|best|beautiful|awesome|amazing|favorite|favourite)\b"),
    "views": (HAM, r"\b(billion|million) views\b|\b(2014|2015|2016)\b"),
}


def expected_accuracy(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    top = proba.max(axis=1, keepdims=True)
    is_top = proba >= top - 1e-9 * np.maximum(1.0, np.abs(top))
    return is_top[np.arange(y.size), y] / is_top.sum(axis=1)


def keyword_votes(texts: list[str], lfs: dict, cardinality: int) -> VoteMatrix:
    """The vote matrix of regex LFs (``{name: (label, pattern)}``) over lower-cased texts."""
    L = -np.ones((len(texts), len(lfs)), dtype=np.int64)
    lowered = [t.lower() for t in texts]
    for j, (label, pattern) in enumerate(lfs.values()):
        rx = re.compile(pattern)
        L[[i for i, t in enumerate(lowered) if rx.search(t)], j] = label
    return VoteMatrix.from_dense(L, cardinality=cardinality, lf_names=list(lfs))


def sentiment_votes(root: Path, name: str) -> tuple[VoteMatrix, np.ndarray]:
    rows = []
    for split in ("dev_data", "test_data"):
        rows += json.loads((root / "raw" / name / f"{split}.json").read_text())
    return keyword_votes([r["text"] for r in rows], SENTIMENT_LFS, 2), np.array([r["label"] for r in rows])


def trec_votes(root: Path) -> tuple[VoteMatrix, np.ndarray]:
    texts, labels = [], []
    for split in ("train", "valid", "test"):
        for line in (root / "raw" / "trec" / f"{split}.txt").read_text(encoding="latin-1").splitlines():
            if ":" in line:
                label, text = line.split(":", 1)
                labels.append(TREC_CLASSES.index(label))
                texts.append(text)
    return keyword_votes(texts, TREC_LFS, len(TREC_CLASSES)), np.array(labels)


def sms_votes(root: Path) -> tuple[VoteMatrix, np.ndarray]:
    frames = [pd.read_csv(root / "raw" / "sms" / f"{split}.csv", encoding="latin-1")
              for split in ("train", "valid", "test")]
    df = pd.concat(frames, ignore_index=True)
    return keyword_votes(df["v2"].astype(str).tolist(), SMS_LFS, 2), (df["v1"] == "spam").to_numpy(np.int64)


def youtube_votes(root: Path) -> tuple[VoteMatrix, np.ndarray]:
    df = pd.concat([pd.read_csv(f) for f in sorted((root / "raw" / "youtube").glob("*.csv"))], ignore_index=True)
    return keyword_votes(df["CONTENT"].astype(str).tolist(), YOUTUBE_LFS, 2), df["CLASS"].to_numpy(np.int64)


def score(vm: VoteMatrix, y: np.ndarray, proba: np.ndarray) -> float:
    covered = vm.votes_per_row() > 0
    return float(expected_accuracy(proba, y)[covered].mean())


def run(tag: str, vm: VoteMatrix, y: np.ndarray, models: list[str], draws: int) -> dict:
    mv = score(vm, y, reference_mv_proba(vm))
    row = {"set": tag, "rows": int(vm.n_rows), "sources": int(vm.n_lfs), "classes": int(vm.cardinality),
           "mv": mv, "models": {}}
    free = None
    for name in models:
        m = MODELS[name]().fit(vm)
        row["models"][name] = score(vm, y, m.predict_proba(vm))
        if name == "auto":
            row["auto_choice"] = m.selection_["choice"]
            free = m
    row["dev"] = []
    for draw in range(draws):
        # 100 gold rows drawn from the pool; the rest is scored
        gold = np.random.default_rng(draw).choice(vm.n_rows, 100, replace=False)
        yy = -np.ones(vm.n_rows, dtype=np.int64)
        yy[gold] = y[gold]
        rest = np.setdiff1d(np.arange(vm.n_rows), gold)
        tv, ty = vm.take(rest), y[rest]
        dev = AutoModel().fit(vm, yy)
        strict = AutoModel(min_rows_gained=STRICT_ROWS).fit(vm, yy)
        row["dev"].append({"draw": draw, "mv": score(tv, ty, reference_mv_proba(tv)),
                           "auto": score(tv, ty, dev.predict_proba(tv)),
                           "strict": score(tv, ty, strict.predict_proba(tv)),
                           "no_labels": score(tv, ty, free.predict_proba(tv)),
                           "choice": dev.selection_["choice"], "strict_choice": strict.selection_["choice"]})
    return row


def dev_cell(r: dict) -> str:
    cells = []
    for key in ("auto", "strict"):
        gains = [100 * (d[key] - d["mv"]) for d in r["dev"]]
        over_free = [100 * (d[key] - d["no_labels"]) for d in r["dev"]]
        cells.append(f"{np.mean(gains):+.1f} (worst {min(gains):+.1f}) | {np.mean(over_free):+.1f} "
                     f"(worst {min(over_free):+.1f})")
    return " | ".join(cells)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--draws", type=int, default=10, help="draws of the 100 gold rows for `auto --dev`")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "unseen")
    args = ap.parse_args()
    root = Path(resolve_data_dir(args.data_dir, required=True))
    models = [m for m in MODELS if m != "majority"]
    t0 = time.perf_counter()
    sets = [(f"{name} (blind keyword LFs)", lambda name=name: sentiment_votes(root, name)) for name in ("imdb", "yelp")]
    sets += [("trec (blind topic LFs)", lambda: trec_votes(root)),
             ("sms (blind keyword LFs)", lambda: sms_votes(root)),
             ("youtube (blind keyword LFs)", lambda: youtube_votes(root))]
    for name in ("temp", "wsd", "weather_sentiment"):
        def crowd(name=name):
            t = la.unsupervised_task(la.load("crowd", name, root))
            return t.test_votes, t.test_y
        sets.append((f"crowd_{name}", crowd))
    head = ("| set | rows | sources | K | MV | " + " | ".join(models)
            + f" | `auto --dev` over MV, {args.draws} draws | `auto --dev` over no labels"
            + f" | `-p min_rows_gained={STRICT_ROWS:g}` over MV | ... over no labels |")
    intro = (f"Covered-row expected accuracy on votes no choice in weaklabel was made on (see "
             f"`bench_unseen.py`); models in points over majority vote (MV); `auto --dev`: 100 gold rows drawn "
             f"{args.draws} times, the rest scored. weaklabel {__version__}, Python {platform.python_version()}.")
    md = [intro, "", head, "|" + "---|" * (len(models) + 9)]
    rows = []
    for tag, load in sets:
        vm, y = load()
        r = run(tag, vm, y, models, args.draws)
        rows.append(r)
        cells = [f"{100 * (r['models'][m] - r['mv']):+.1f}" for m in models]
        md.append(f"| {r['set']} | {r['rows']} | {r['sources']} | {r['classes']} | {r['mv']:.3f} | " + " | ".join(cells)
                  + f" | {dev_cell(r)} |")
        print(md[-1], flush=True)
    gains = np.array([100 * (r["models"]["auto"] - r["mv"]) for r in rows])
    free_line = (f"Default (`auto`, no labels): mean {gains.mean():+.2f} points over MV, worst {gains.min():+.1f}; "
                 f"{int((gains < -0.5).sum())} of {gains.size} sets more than 0.5 below MV.")
    md += ["", free_line]
    for key, name in (("auto", "`auto --dev`"), ("strict", f"`auto --dev -p min_rows_gained={STRICT_ROWS:g}`")):
        dev = np.array([[100 * (d[key] - d["mv"]) for d in r["dev"]] for r in rows])
        over_free = np.array([[100 * (d[key] - d["no_labels"]) for d in r["dev"]] for r in rows])
        line = (f"{name} (100 gold rows): mean {dev.mean():+.2f} points over MV, worst set "
                f"{dev.mean(axis=1).min():+.1f}; {int((dev < -0.5).sum())} of {dev.size} set x draw tasks more than "
                f"0.5 below MV and {int((over_free < -0.5).sum())} more than 0.5 below the no-label default "
                f"(worst {over_free.min():+.1f}).")
        md += ["", line]
    print("\n".join(md[-5:]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"weaklabel_version": __version__, "rows": rows,
                                                         "seconds": time.perf_counter() - t0}, indent=1))
    args.out.with_suffix(".md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
