"""Generate the example dataset: short, messy product reviews with a sentiment label.

The reviews are synthetic (a seeded grammar of aspects, opinions, negations, hedges, typos,
star mentions and emoticons) so the repository can ship them. About a fifth are "mixed"
reviews whose overall sentiment disagrees with part of the text, and some carry no cue any
keyword rule can catch: the labeling functions in ``lfs.py`` are noisy on purpose.

    python examples/reviews/make_reviews.py            # rewrites reviews.parquet beside this file
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

PRODUCTS = {
    "headphones": ["sound", "bass", "battery", "ear cushions", "bluetooth pairing", "noise cancelling", "mic"],
    "phone case": ["grip", "fit", "buttons", "drop protection", "colour", "camera cutout"],
    "blender": ["motor", "blades", "jug", "lid", "noise level", "cleaning"],
    "desk lamp": ["brightness", "arm", "switch", "colour temperature", "base", "cable"],
    "running shoes": ["cushioning", "sizing", "laces", "sole", "breathability", "arch support"],
    "backpack": ["zippers", "straps", "laptop sleeve", "stitching", "pockets", "fabric"],
}
POS_ADJ = ["great", "excellent", "amazing", "solid", "fantastic", "perfect", "really good", "sturdy", "awesome",
           "impressive", "superb", "comfortable", "reliable"]
NEG_ADJ = ["terrible", "awful", "cheap", "flimsy", "useless", "poor", "disappointing", "bad", "horrible",
           "weak", "broken", "garbage", "uncomfortable", "unreliable"]
POS_CLOSERS = ["Would recommend.", "Highly recommend!", "Worth every penny.", "Five stars from me.",
               "Buying another one for my sister.", "Very happy with it.", "No complaints so far.",
               "Exceeded my expectations.", "Best purchase this year.", "10/10", "Love it!"]
NEG_CLOSERS = ["Would not recommend.", "Returning it.", "Asked for a refund.", "Waste of money.",
               "Stay away.", "Never again.", "Total disappointment.", "One star.", "Doesn't work as advertised.",
               "Save your money.", "Sent it back the next day."]
NEUTRAL = ["Arrived on Tuesday.", "Bought it for my commute.", "Got it on sale.", "Using it daily for a month now.",
           "Came in a plain box.", "Ordered the blue one.", "My second order from this brand.", ""]
POS_EMO = [":)", ":D", "<3", "!!"]
NEG_EMO = [":(", ">:(", ":/", "..."]
TIME_FAIL = ["stopped working after {n} days", "broke after {n} weeks", "fell apart within {n} days",
             "died after {n} uses"]


def _typo(s: str, rng: random.Random) -> str:
    if len(s) < 5 or rng.random() > 0.08:
        return s
    i = rng.randrange(1, len(s) - 2)
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def review(rng: random.Random) -> tuple[str, str, str]:
    product = rng.choice(list(PRODUCTS))
    aspects = rng.sample(PRODUCTS[product], k=min(len(PRODUCTS[product]), rng.choice([1, 2, 2, 3])))
    positive = rng.random() < 0.55
    kind = rng.random()
    parts = []
    if rng.random() < 0.5:
        parts.append(rng.choice(NEUTRAL))
    main, other = (POS_ADJ, NEG_ADJ) if positive else (NEG_ADJ, POS_ADJ)
    if kind < 0.20:
        # mixed: one aspect against the overall verdict, verdict stated last
        parts.append(f"The {aspects[0]} is {rng.choice(other)}, but")
        parts.append(f"the {aspects[-1]} is {rng.choice(main)}.")
        parts.append(f"Overall {'happy' if positive else 'not happy'} with this {product}.")
    elif kind < 0.32:
        # negated opinion: "not great" / "not bad at all"
        neg_word = rng.choice(["not", "never", "hardly"])
        parts.append(f"The {aspects[0]} is {neg_word} {rng.choice(other)}.")
        if rng.random() < 0.5:
            parts.append(rng.choice(POS_CLOSERS if positive else NEG_CLOSERS))
    elif kind < 0.40 and not positive:
        parts.append(f"The {aspects[0]} {rng.choice(TIME_FAIL).format(n=rng.randint(2, 12))}.")
    elif kind < 0.44:
        # comparison or sarcasm: opinion words that point the wrong way
        if positive:
            parts.append(f"My old {product} was {rng.choice(NEG_ADJ)} and {rng.choice(NEG_ADJ)}, "
                         f"this one is {rng.choice(POS_ADJ)}.")
        else:
            parts.append(f"{rng.choice(['Great', 'Perfect', 'Amazing', 'Fantastic'])}, the {aspects[0]} "
                         f"{rng.choice(TIME_FAIL).format(n=rng.randint(2, 12))}. Just {rng.choice(POS_ADJ)}.")
    elif kind < 0.47:
        parts.append(rng.choice(["Can't recommend it enough!", "I'd recommend it to anyone."] if positive else
                                ["I would recommend it to nobody.", "Recommend? Only to my enemies."]))
    elif kind < 0.52:
        # cue-free: only neutral facts and a hedge
        parts.append(rng.choice(["It does the job I guess.", "It is what it is.", "Fine for the price maybe.",
                                 "Not sure how I feel yet.", "Hmm."]))
    else:
        for a in aspects:
            parts.append(f"The {a} is {rng.choice(main)}.")
        if rng.random() < 0.7:
            parts.append(rng.choice(POS_CLOSERS if positive else NEG_CLOSERS))
    if rng.random() < 0.25:
        stars = rng.choice([4, 5] if positive else [1, 2]) if rng.random() < 0.85 else rng.choice([2, 3, 4])
        parts.append(rng.choice([f"{stars}/5", f"{stars} stars", f"rating: {stars}"]))
    if rng.random() < 0.2:
        fits = rng.random() < 0.85  # emoticons are sometimes ironic
        parts.append(rng.choice(POS_EMO if positive == fits else NEG_EMO))
    text = " ".join(_typo(p, rng) for p in parts if p).strip()
    if rng.random() < 0.15:
        shout = rng.random() < (0.75 if not positive else 0.25)
        text = text.upper() if shout else text.lower()
    label = positive if rng.random() > 0.02 else not positive  # annotators disagree now and then
    return product, text, "positive" if label else "negative"


def make(n: int = 600, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = [review(rng) for _ in range(n)]
    return pd.DataFrame({
        "review_id": [f"r{i:04d}" for i in range(n)],
        "product": [r[0] for r in rows],
        "text": [r[1] for r in rows],
        "label": [r[2] for r in rows],
    })


if __name__ == "__main__":
    out = Path(__file__).with_name("reviews.parquet")
    make().to_parquet(out, index=False)
    print(f"wrote {out}")
