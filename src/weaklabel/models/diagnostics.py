"""Fit diagnostics every label model runs after ``fit``: a model that cannot be trusted says so.

Why. Moment-matching and triplet fits on one-class keyword LFs, or EM on a handful of sources,
can "converge" to a state that labels every row with one class, or report accuracies that are a
placeholder or a boundary value rather than an estimate. Nothing in the fit itself fails, so
without these checks the user gets confident nonsense. Each check is label-free and cheap (it
looks at the learned parameters, the per-LF vote counts and a sample of rows), and yields a
one-line warning that the CLI prints on stderr and in ``--json`` (``warnings``), and that is
saved with the model (``warnings_``).
"""

from __future__ import annotations

import numpy as np

from ..votes import VoteMatrix

COLLAPSE_SHARE = 0.98      # the model puts (nearly) every covered row in one class ...
MAJORITY_SPREAD = 0.90     # ... where majority vote's top class holds at most this share


def majority_top_share(vm: VoteMatrix) -> tuple[int, float]:
    """Majority vote's most frequent class on the covered rows and its share (ties split)."""
    from .base import class_counts

    counts = class_counts(vm)
    covered = counts.sum(axis=1) > 0
    if not covered.any():
        return 0, 0.0
    c = counts[covered]
    top = c.max(axis=1, keepdims=True)
    shares = ((c == top) / (c == top).sum(axis=1, keepdims=True)).mean(axis=0)
    return int(shares.argmax()), float(shares.max())


def collapse_warning(proba: np.ndarray, vm: VoteMatrix, name: str) -> str | None:
    """A warning when ``proba`` puts nearly every covered row of ``vm`` in one class while majority
    vote spreads them over several."""
    covered = vm.votes_per_row() > 0
    if covered.sum() < 20:
        return None
    pred = proba[covered].argmax(axis=1)
    share = np.bincount(pred, minlength=vm.cardinality) / pred.size
    c = int(share.argmax())
    _, mv_share = majority_top_share(vm)
    if share[c] >= COLLAPSE_SHARE and mv_share <= MAJORITY_SPREAD:
        return (f"{name} labels {share[c]:.1%} of the covered rows as class {c} where majority vote gives its "
                f"top class {mv_share:.1%}: the fit has collapsed onto one class (try --model auto or majority)")
    return None


#: with this many voting LFs or fewer ...
FEW_SOURCES = 8
#: ... and at least this share of the covered rows tied under majority vote, the default's labels on
#: those rows rest on accuracy estimates the votes cannot check (``tie_breaking_note``)
TIED_SHARE = 0.05


def majority_tie_share(vm: VoteMatrix) -> float:
    """Share of the covered rows of ``vm`` on which majority vote ties between two or more classes."""
    from .tie_hedge import majority_ties

    covered = np.diff(vm.indptr) > 0
    if not covered.any():
        return 0.0
    return float(majority_ties(vm)[0][covered].mean())


def gold_advice(what: str, gold_unusable: bool) -> str:
    """The advice the notes below end with: gold rows check ``what``; when the gold rows given could not
    be used (too few with votes, all of one class, or they built the LFs), say so instead of asking
    for them."""
    if gold_unusable:
        return (f"The gold rows given could not check {what} (see the --dev note); about 100 usable ones (with votes, "
                f"of more than one class, not used to write the LFs) would")
    return f"About 100 gold rows (fit --dev) check {what}"


def tie_breaking_note(n_voting: int, tie_share: float, name: str, kept_tied: float | None = None,
                      gold_unusable: bool = False) -> str | None:
    """A warning when a fitted model keeps its labels on few LFs and many majority-vote ties.

    Why. On real LF sets cut to 3-15 of their LFs (``benchmarks/PROTOCOL.md`` §16) every fit of the
    default that ended more than 0.5 points below majority vote lost it on rows where majority vote
    ties: the model breaks those ties by its estimates of the LFs' accuracies, which with few LFs
    the votes cannot check (a loose one-class rule that mostly fires alone looks as precise as a
    good one). Breaking ties is also where the model gains most, so this is a note on how much of
    the labelling rests on the model's assumptions, not a fall-back. Thresholds chosen on the
    tuning groups: with at most ``FEW_SOURCES`` voting LFs and ``TIED_SHARE`` of the covered rows
    tied it flagged 5 of the 6 tuning subsets that ended below majority vote (19 of the 102
    tuning fits of subsets, real sets and regimes), and on the validation and blind groups 4 of 4
    (22 fits of 147). ``kept_tied``: the share of those ties the default leaves undecided because its
    bootstrap refits disagree on them (``weaklabel.models.tie_hedge``)."""
    if n_voting > FEW_SOURCES or tie_share < TIED_SHARE:
        return None
    kept = ("" if kept_tied is None else "; its bootstrap refits break every one of them the same way" if kept_tied == 0
            else f"; {kept_tied:.0%} of them it leaves undecided, as its bootstrap refits break them differently")
    return (f"{tie_share:.0%} of the covered rows are ties under majority vote, and {name} breaks them by its "
            f"estimates of the LFs' accuracies{kept}; with {n_voting} LFs the votes cannot check those estimates (on real "
            f"LF sets cut to a few LFs this is where the default fell below majority vote). "
            f"{gold_advice('them', gold_unusable)}; --model majority leaves the ties undecided")


#: fewer covered rows than this: the label-free check of the default has little power (``small_input_note``)
SMALL_INPUT_ROWS = 400


def small_input_note(covered_rows: int, name: str, gold_unusable: bool = False) -> str | None:
    """A warning when the default keeps its fitted model on fewer than ``SMALL_INPUT_ROWS`` covered rows.

    Why. The check against majority vote (``weaklabel.models.criticism``) keeps the model unless
    majority vote predicts the held-out votes clearly better; on a few hundred rows it rarely can
    tell. On the shared sets cut to a sample of their rows, and the LF subsets and teams of
    ``benchmarks/PROTOCOL.md`` §16, the kept model ended more than 0.5 points below majority vote
    on 13 of the 72 tuning fits with fewer than 400 covered rows (18%; on average still 2.4 points
    above it) against 5 of 108 from 400 rows on (5%); on the validation groups 15 of 39 against 13
    of 98 (§21). The threshold follows the tuning fits (200-400 rows: 25%, 400-600: 10%, 600 on: 4%;
    the same table showed the validation bands). A note on how far the check can be relied on, not a
    fall-back."""
    if covered_rows >= SMALL_INPUT_ROWS or covered_rows == 0:   # no votes at all: other warnings say so
        return None
    return (f"only {covered_rows:,} covered rows: on so few, the check of {name} against majority vote can rarely "
            f"tell them apart, and on samples of our benchmark sets this small the default ended more than 0.5 points "
            f"below majority vote about three times as often as on larger ones (while gaining on average). "
            f"{gold_advice('it', gold_unusable)}; --model majority is the safe alternative")


#: a confusion matrix whose rows differ by less than this (total variation, any two classes) says
#: the same whatever the class: the source's votes move no label (``ignored_votes``)
MIN_ROW_SPREAD = 0.05
#: ... and a fit that does this to every source it models by a confusion matrix, when those sources
#: cast at least this share of the votes, has collapsed (its labels rest on the rest alone)
IGNORED_VOTE_SHARE = 0.5


def confusion_spread(confusion: np.ndarray) -> np.ndarray:
    """``(m,)``: for each source, the largest total-variation distance between two rows of its
    ``(m, K, K)`` confusion matrix (0: it votes alike whatever the class; 1: its vote names the class)."""
    conf = np.asarray(confusion, dtype=float)
    K = conf.shape[1]
    out = np.zeros(conf.shape[0])
    for a in range(K - 1):   # row a against every later row at once: K passes, not K^2 / 2
        tv = 0.5 * np.abs(conf[:, a + 1:] - conf[:, a:a + 1]).sum(axis=2)
        out = np.maximum(out, tv.max(axis=1))
    return out


def ignored_votes(model, counts: np.ndarray) -> dict | None:
    """The sources a fitted model describes by a confusion matrix, when the fit ignores every one
    of them and they cast at least ``IGNORED_VOTE_SHARE`` of the votes; else ``None``.

    Why. EM on a small team of annotators can drift to a state in which no worker's vote says
    anything about the class (every confusion matrix with near-identical rows), so the labels come
    from the one-class sources and the prior alone. On crowd_temp cut to three workers (one 93% right,
    two answering one class on nearly every item) the default hybrid fit got there after 100 EM
    steps and ended 31 points below majority vote (``benchmarks/PROTOCOL.md`` §17). Nothing else
    flags it: the fit "converges" towards it, its labels are not one class, and majority vote
    predicts held-out votes no better. Sources whose abstains are modelled (their evidence is
    whether they vote) and single-class sources of ``hybrid`` (frozen ratios, placeholder
    confusions) are not counted."""
    conf = getattr(model, "confusion_", None)
    if conf is None:
        return None
    conf = np.asarray(conf, dtype=float)
    counts = np.asarray(counts)
    tot = counts.sum(axis=1).astype(float)
    modelled = tot > 0
    single = getattr(model, "single_class_", None)
    if single is not None:
        modelled &= ~np.asarray(single, dtype=bool)
    abstains = getattr(model, "abstain_modelled_", None)
    if abstains is not None:
        modelled &= ~np.asarray(abstains, dtype=bool)
    weights = getattr(model, "source_weights_", None)
    if weights is not None:
        modelled &= np.asarray(weights, dtype=float) > 0
    if not modelled.any() or conf.shape[0] != tot.size:
        return None
    share = float(tot[modelled].sum() / tot.sum())
    if share < IGNORED_VOTE_SHARE:
        return None
    sub = conf[modelled]
    # each row's distance from the first bounds the largest distance between two rows from below:
    # this O(m K^2) test settles every fit that has not collapsed; the exact O(m K^3) spread is for
    # those whose rows all sit near the first (K = 500: 15 s of a 50 s fit, K = 1000 minutes)
    if (0.5 * np.abs(sub - sub[:, :1]).sum(axis=2)).max() >= MIN_ROW_SPREAD:
        return None
    spread = confusion_spread(sub)
    if spread.max() >= MIN_ROW_SPREAD:
        return None
    return {"sources": int(modelled.sum()), "vote_share": round(share, 4), "max_spread": round(float(spread.max()), 4)}


def ignored_votes_warning(info: dict, name: str) -> str:
    """The one-line warning for :func:`ignored_votes`' finding."""
    return (f"{name}'s fit ignores the votes of all {info['sources']} source(s) it models by a confusion matrix "
            f"({info['vote_share']:.0%} of the votes; no two rows of any of their matrices differ by "
            f"{MIN_ROW_SPREAD:g} or more): the fit has collapsed and its labels rest on the other sources and the "
            f"prior alone (try --model ds or majority, or fit --dev)")


#: what rows without votes get where some class gets no vote (``LabelModel._uncovered_rule``), as
#: the no-vote warning says it
NO_VOTE_RULES = {
    None: "it can only come from the class prior",
    "equal": ("no vote is evidence for it, and the votes cannot tell how common it is, so rows without "
              "votes get equal probabilities for every class (ties: --ties abstain leaves them unlabelled; gold "
              "labels (--dev) estimate it)"),
    "gold": "no vote is evidence for it; rows without votes get the class mix of the gold rows without votes",
    "class_balance": "no vote is evidence for it; rows without votes get the class balance you set",
    "thin": "it can only come from the class prior",
    "corrected": ("no vote is evidence for it; rows without votes get equal probabilities as shifted by "
                  "the correction learned from the gold rows (gold rows without votes would set them directly)"),
}


def no_vote_warning(counts: np.ndarray, how: str | None = None) -> str | None:
    """The warning for classes no LF votes (``counts``: ``(m, K)`` votes per LF and class), saying
    what rows without votes get (``how``: a key of :data:`NO_VOTE_RULES`); ``None`` if every class
    is voted."""
    no_vote = np.flatnonzero(np.asarray(counts).sum(axis=0) == 0)
    if not no_vote.size:
        return None
    cls = ", ".join(map(str, no_vote))
    return f"no LF votes class {cls}: " + NO_VOTE_RULES[how].format(cls=cls)


def disputed_prior_warning(rows: int, prior_class: int, abstain_class: int, names=None,
                           kind: str = "disputed") -> str:
    """The warning for rows without votes given equal probabilities because a model of who abstains
    disputes the class prior, or cannot rule out the other class (``kind="undetermined"``;
    ``LabelModel._uncovered_disputed``)."""
    a, b = (names[prior_class], names[abstain_class]) if names else (prior_class, abstain_class)
    why = (f"the rate at which the LFs leave each class unvoted says class {b}" if kind == "disputed" else
           f"the rate at which the LFs leave each class unvoted fits class {b} as well")
    return (f"{rows:,} row(s) without votes get equal probabilities: the class mix of the voted rows says class {a}, "
            f"{why}, and the votes cannot tell which is "
            f"right (ties: --ties abstain leaves them unlabelled; gold labels (--dev) or --class-balance settle it)")


def thin_prior_warning(rows: int, covered: int, prior_class: int, share: float, names=None) -> str:
    """The warning for rows without votes given equal probabilities because the class prior leans too
    little over the covered rows to bet on (``UncoveredRule._uncovered_thin``)."""
    from .uncovered import THIN_PRIOR_Z

    a = names[prior_class] if names else prior_class
    return (f"{rows:,} row(s) without votes get equal probabilities: the {covered:,} voted rows lean to class {a} "
            f"({share:.0%}), within {THIN_PRIOR_Z:g} standard errors of an even split, too little to bet on for rows "
            f"no LF reaches (ties: --ties abstain leaves them unlabelled; gold labels (--dev) or --class-balance "
            f"settle it)")


def identifiability_warnings(counts: np.ndarray, uncovered_how: str | None = None) -> list[str]:
    """Warnings about what the votes cannot tell, from the ``(m, K)`` votes per LF and class;
    ``uncovered_how``: what the model gives rows without votes (:func:`no_vote_warning`)."""
    out = []
    m, K = counts.shape
    voting = counts.sum(axis=1) > 0
    if voting.sum() < 3:
        out.append(f"only {int(voting.sum())} LF(s) cast votes: source accuracies are not identifiable without "
                   f"gold labels (at least 3 are needed)")
    dual = ((counts > 0).sum(axis=1) > 1).sum()
    no_vote = np.flatnonzero(counts.sum(axis=0) == 0)
    line = no_vote_warning(counts, uncovered_how)
    if line:
        out.append(line)
    if K > 2 or dual > 0:
        lonely = [k for k in range(K) if k not in no_vote and ((counts[:, k] > 0) & voting).sum() == 1]
        if lonely and len(lonely) < K:
            out.append(f"class {', '.join(map(str, lonely))} is voted by a single LF: its evidence cannot be "
                       f"checked against any other source")
    return out


def at_boundary(accuracies, counts) -> tuple[int, int] | None:
    """``(LFs at 0 or 1, voting LFs)`` when more than half of the voting LFs' accuracies sit at 0 or 1
    (and at least two LFs vote); else ``None``."""
    a = np.asarray(accuracies, dtype=float)
    voting = np.asarray(counts).sum(axis=1) > 0
    at_edge = voting & np.isfinite(a) & ((a >= 0.999) | (a <= 0.001))
    if voting.sum() >= 2 and at_edge.sum() > voting.sum() / 2:
        return int(at_edge.sum()), int(voting.sum())
    return None


def uncovered_rule_warnings(model, data) -> list[str]:
    """The lines saying that ``model``'s own rule gave its rows without votes equal probabilities
    (the thin prior of ``UncoveredRule._uncovered_thin``, the dispute of ``_uncovered_disputed``).
    A model that decides those rows above them (``AutoModel``'s gold rows, class balance or
    correction) drops these lines of the model it wraps."""
    out = []
    names = getattr(model, "class_names_", None)
    thin = getattr(model, "_thin_prior", None)
    if thin is not None:
        out.append(thin_prior_warning(data.n_uncovered(), *thin, names))
    dispute = getattr(model, "_uncovered_dispute", None)
    if dispute is not None:
        out.append(disputed_prior_warning(data.n_uncovered(), dispute[0], dispute[1], names, kind=dispute[2]))
    return out


def fit_warnings(model, data) -> list[str]:
    """All diagnostics for a fitted ``model`` on ``data`` (a VoteStats)."""
    name = type(model).__name__
    counts = np.asarray(data.lf_counts())
    out = identifiability_warnings(counts, getattr(model, "_uncovered_how", None))
    if not hasattr(model, "accuracies_"):   # majority vote estimates nothing to be unidentifiable
        out = [w for w in out if "not identifiable" not in w and "cannot be checked" not in w]
    out += uncovered_rule_warnings(model, data)
    silent = np.flatnonzero(counts.sum(axis=1) == 0)
    if silent.size and silent.size < counts.shape[0]:   # none votes at all: other warnings say so
        names = [data.lf_names[j] for j in silent[:5]]
        more = f" and {silent.size - 5} more" if silent.size > 5 else ""
        prior = (", and their accuracy in `accuracies_` and `--json` is a prior, not an estimate"
                 if hasattr(model, "accuracies_") else "")
        out.append(f"LF(s) {', '.join(names)}{more} never vote on these rows: they carry no evidence{prior} (a typo "
                   f"in a rule? `weaklabel analyze` shows each LF's coverage)")
    unidentified = getattr(model, "identified_", None)
    if unidentified is not None:
        bad = np.flatnonzero(~np.asarray(unidentified, dtype=bool) & (counts.sum(axis=1) > 0))
        if bad.size:
            names = [data.lf_names[j] for j in bad[:5]]
            more = f" and {bad.size - 5} more" if bad.size > 5 else ""
            out.append(f"{name} cannot estimate the accuracy of {bad.size} LF(s) ({', '.join(names)}{more}: one-class "
                       f"LFs or too few overlaps); they get a neutral prior accuracy")
    if not bool(getattr(model, "converged_", True)) and int(getattr(model, "n_iter_", 0)) > 0:
        cap = getattr(model, "max_iter", None)
        how = f" (max_iter={cap})" if cap is not None else ""
        out.append(f"{name} stopped after {int(model.n_iter_)} iterations{how} before its estimates settled: they may "
                   f"still move; raise max_iter (`-p max_iter=...`)")
    skipped = getattr(model, "_dependency_note", None)   # the hybrid's dependency pass, too large to run
    if skipped:
        out.append(str(skipped))
    blind = ignored_votes(model, counts)
    if blind is not None:
        out.append(ignored_votes_warning(blind, name))
    for note in ("_fallback_note", "_unidentified_note"):   # a moment fit replaced, or partly unchecked
        if getattr(model, note, None):
            out.append(str(getattr(model, note)))
    acc = getattr(model, "accuracies_", None)
    edge = at_boundary(acc, counts) if acc is not None else None
    if edge:
        out.append(f"{name} put {edge[0]} of {edge[1]} LF accuracies at 0 or 1: a boundary solution, not an estimate")
    try:
        # the same sample the default's criticism takes (streamed and Dask stats keep it: one pass)
        from .criticism import sample_size

        single = (counts.max(axis=1) == counts.sum(axis=1)) & (counts.sum(axis=1) > 0)
        sample = data.sample_rows(sample_size(data.n_rows, int(counts.sum()), int(single.sum())))
    except NotImplementedError:
        sample = None
    if sample is not None and sample.n_rows:
        w = collapse_warning(model.predict_proba(sample), sample, name)
        if w:
            out.append(w)
    return out
