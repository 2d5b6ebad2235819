"""The numbers behind ``weaklabel report``, gathered in one pass over the votes in row blocks.

Memory is one block of votes (and of labels) at a time plus ``O(m^2 K)`` accumulators and the
sampled rows, whatever the number of rows; every figure is a sum over rows, so the blocks add
up to exactly what one pass over the whole matrix gives:

* per-LF figures are :func:`weaklabel.analysis.analyze`'s (run per block, counts added up), so
  they equal ``weaklabel analyze``'s; label scores are :class:`weaklabel.metrics.LabelScores`'
  (so they equal ``weaklabel evaluate``'s on the same labels);
* pairwise matrices: ``overlap[j, l]`` rows where both LFs vote, ``conflict[j, l]`` rows where
  they vote different classes, and the **estimated error correlation**: the correlation, over the
  rows where both vote, of the events "LF j is wrong" and "LF l is wrong" with the truth replaced
  by the label model's posterior (``E[e_j e_l] = sum_k P(y=k) [v_j != k][v_l != k]``). With a
  calibrated posterior it estimates the true error correlation; conditionally independent LFs
  are near 0, copies of one rule near 1;
* the posterior is, in this order of preference, the ``--labels`` probabilities, the
  ``--model``'s prediction, or the majority-vote shares (stated in the report);
* rows to look at are sampled with a seeded key per row (a hash of the seed and the row's
  position), so the sample does not depend on the block size: the same rows for every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..metrics import LabelScores
from ..votes import VoteMatrix
from .pairs import SUB_ROWS, PairSums
from .inputs import (BLOCK_CELLS, DEFAULT_BLOCK_ROWS, _first_other_id, _Gold, _RowsReader, _same_file,  # noqa: F401
                     _vote_blocks, check_args, default_block_rows)
from .samples import DataText, _assemble_samples, _Sample, _Worst, row_keys  # noqa: F401
from .modelinfo import model_estimates, model_summary as _model_summary

HIST_BINS = 20
MIN_PAIR_ROWS = 20          # fewer shared rows: no error correlation (too noisy to show)


@dataclass
class ReportData:
    """Everything the HTML page shows (plain numbers; see the module docstring)."""

    n_rows: int
    lf_names: list[str]
    cardinality: int
    classes: list[str]
    lf: pd.DataFrame                      # analyze()'s columns + estimated accuracy and Wilson bounds
    totals: dict                          # analyze_totals()'s keys
    overlap: np.ndarray                   # (m, m) rows
    conflict: np.ndarray                  # (m, m) rows
    error_corr: np.ndarray                # (m, m), NaN where undefined
    order: list[int]                      # LF order of the heat maps (hierarchical clustering)
    posterior_source: str                 # "labels", "model" or "majority vote"
    label_counts: np.ndarray              # (K,) hard labels; rows without a label are not counted
    unlabelled_rows: int
    mean_proba: np.ndarray                # (K,) mean posterior over rows with a vote
    confidence_hist: np.ndarray           # (HIST_BINS,) rows with a vote by confidence
    est_confusion: np.ndarray             # (K, K) posterior mass of class k among rows labelled l
    scores: dict | None                   # LabelScores.result() with gold
    model: dict | None                    # model summary (class, prior, selection, warnings)
    samples: dict = field(default_factory=dict)   # section -> list of row records
    sources: dict = field(default_factory=dict)   # input paths for the header
    has_gold: bool = False
    has_text: bool = False


# --------------------------------------------------------------------------- the pass
def collect(votes, *, labels=None, data=None, text_col: str = "text", gold=None, label_col: str = "label",
            model=None, samples: int = 3, worst: int = 10, seed: int = 0,
            block_rows: int | None = None) -> ReportData:
    """Read ``votes`` (a votes.parquet path or a :class:`VoteMatrix`) in row blocks and gather the
    report's numbers. ``labels``: labels.parquet of these votes (same rows, same order);
    ``data``: the table the LFs ran on (for the text of sampled rows: the votes' own rows by position,
    another table by id; :class:`.samples.DataText`; opened once, and shared with ``gold`` when that
    is the same file);
    ``gold``/``label_col``: gold labels; ``model``: a fitted label model or a model.json path."""
    # the products below are on (rows x m) sub-blocks: BLAS threads gain little there and, spinning
    # after each call, starve the Numba kernels between them (300,000 x 100: 50 s -> 7.6 s)
    from threadpoolctl import threadpool_limits

    gold = check_args(votes, labels=labels, data=data, gold=gold, label_col=label_col, model=model,
                      samples=samples, worst=worst, seed=seed, block_rows=block_rows)
    with threadpool_limits(limits=1, user_api="blas"):
        return _collect(votes, labels=labels, data=data, text_col=text_col, gold=gold, label_col=label_col,
                        model=model, samples=samples, worst=worst, seed=seed, block_rows=block_rows)


def _collect(votes, *, labels, data, text_col, gold, label_col, model, samples, worst, seed,
             block_rows) -> ReportData:
    from ..votes.analysis import analyze, analyze_totals, dominant_lf, unvoted_classes
    from ..models import BaseLabelModel, load_model

    n, names, K, classes, ids, blocks = _vote_blocks(votes, block_rows)
    m = len(names)
    if block_rows is None and default_block_rows(m + K) < default_block_rows(m):
        # a block holds (rows, K) probabilities too (K = 1,000, 50,000 x 50 votes: 2.2 GB in one block, now 0.7)
        block_rows = default_block_rows(m + K)
        n, names, K, classes, ids, blocks = _vote_blocks(votes, block_rows)
    if n == 0:
        raise InputError(f"{votes}: the votes have no rows")
    if model is not None and not isinstance(model, BaseLabelModel):
        model = load_model(model)
    model_names = None
    if model is not None:
        model_names = list(getattr(model, "lf_names_", None) or names)
        missing = [x for x in model_names if x not in names]
        if missing:
            raise InputError(f"the model was fitted on LF {missing[0]!r}, which the votes do not have")
        if int(model.cardinality_) != K:
            raise InputError(f"the model has {int(model.cardinality_)} classes but the votes have {K}")
        from ..models.alignment import check_class_names   # with --labels, its prior was shown misnamed

        check_class_names(model, classes, f"the votes ({votes})" if not isinstance(votes, VoteMatrix) else "the votes")
    lab_reader = None
    if labels is not None:
        from ..io import LABELS_FORMAT, read_metadata

        meta = read_metadata(labels) if Path(labels).exists() else None
        if meta is None or meta.get("format") != LABELS_FORMAT:
            raise InputError(f"{labels}: not a labels file written by `weaklabel fit`")
        if int(meta.get("cardinality", -1)) != K:
            raise InputError(f"{labels}: has {meta.get('cardinality')} classes but the votes have {K}")
        from ..votes.class_names import same_class_names

        if classes and meta.get("classes") and not same_class_names(classes, meta["classes"]):
            # prob_k of the labels would be scored and shown as the votes' class k
            raise InputError(f"{labels}: classes {', '.join(map(str, meta['classes']))} but the votes have classes "
                             f"{', '.join(map(str, classes))} (in this order); the labels are not of these votes")
        lab_ids = [c for c in meta.get("id_columns") or [] if c in ids]
        lab_reader = _RowsReader(Path(labels), lab_ids + [f"prob_{k}" for k in range(K)] + ["label"],
                                 block_rows or default_block_rows(m))
        if lab_reader.n_rows != n:
            raise InputError(f"{labels}: has {lab_reader.n_rows:,} rows but the votes have {n:,}; report on the "
                             "labels `weaklabel fit` wrote for these votes (without dropping rows)")
        if ids and meta.get("id_columns") and set(meta["id_columns"]) != set(ids):
            # fit writes the votes' id columns: labels of other votes of as many rows were matched by position
            raise InputError(f"{labels}: rows identified by {', '.join(map(str, meta['id_columns']))} but the votes' "
                             f"by {', '.join(map(str, ids))}; the labels are not of these votes (report on the labels "
                             "`weaklabel fit` wrote for them)")
    data_src = None
    if data is not None:   # opened once (a JSON Lines file is scanned when opened), shared with --gold
        from ..io import TableSource

        data_src = TableSource(data)
    gold_src = (_Gold(data_src if data_src is not None and _same_file(gold, data) else gold, label_col, ids, n, K,
                      classes, rows_where="the votes" if isinstance(votes, VoteMatrix) else str(votes))
                if gold is not None else None)
    data_text = DataText(data_src, text_col, ids, n, votes=votes) if data_src is not None else None
    source = "labels" if lab_reader is not None else ("model" if model is not None else "majority vote")

    # accumulators
    cnt = {"votes": np.zeros(m, np.int64), "overlaps": np.zeros(m, np.int64), "conflicts": np.zeros(m, np.int64),
           "correct": np.zeros(m, np.int64), "incorrect": np.zeros(m, np.int64)}
    pol = np.zeros((m, K), dtype=bool)
    post_acc = np.zeros(m)
    tot = {"covered": 0, "conflicted": 0, "votes": 0, "labelled_rows": 0, "mv_hits": 0.0, "mv_rows": 0}
    pair_sums = PairSums(m, K)
    label_counts = np.zeros(K, np.int64)
    unlabelled = 0
    proba_sum = np.zeros(K)
    hist = np.zeros(HIST_BINS, np.int64)
    est_cm = np.zeros((K, K))
    scores = LabelScores(K) if gold_src is not None else None
    fired, disagreed = _Sample(m, samples), _Sample(m, samples)
    uncovered = _Sample(1, samples * 2)
    wrong = _Worst(worst)
    kept: dict[int, dict] = {}
    skip = (0, 0)

    for offset, bvm in blocks:
        nb = bvm.n_rows
        y = gold_src.block(offset, bvm) if gold_src is not None else None
        # per-LF figures: analyze()'s, per block, back to counts
        df = analyze(bvm, y)
        for col in ("votes", "correct", "incorrect"):
            if col in df:
                cnt[col] += df[col].to_numpy(dtype=np.int64)
        for col in ("overlaps", "conflicts"):
            cnt[col] += np.rint(df[col].to_numpy() * nb).astype(np.int64)
        for j, p in enumerate(df["polarity"]):
            pol[j, p] = True
        t = analyze_totals(bvm, y)
        per_row = bvm.votes_per_row()
        covered = per_row > 0
        tot["covered"] += int(covered.sum())
        tot["mv_tied"] = tot.get("mv_tied", 0) + int(round(t["mv_tied"] * int(covered.sum())))
        tot["conflicted"] += int(round(t["conflicted"] * nb))
        tot["votes"] += bvm.nnz
        if y is not None:
            tot["labelled_rows"] += t["labelled_rows"]
            tot["mv_ties"] = tot.get("mv_ties", 0) + int(t.get("mv_ties", 0))
            k_rows = int((covered & (y >= 0)).sum())
            if k_rows:
                tot["mv_hits"] += t["mv_accuracy_covered"] * k_rows
                tot["mv_rows"] += k_rows

        # posterior and hard labels
        if lab_reader is not None:
            lab = lab_reader.take(nb)
            for c in ids:
                bad = _first_other_id(lab[c], bvm.row_ids[c]) if c in lab.columns else None
                if bad is not None:
                    from ..io import format_id

                    raise InputError(f"{labels}: row {offset + bad:,} has {c} = {format_id(lab[c].iloc[bad])} but "
                                     f"the votes have {format_id(bvm.row_ids[c].iloc[bad])}; the labels are not of "
                                     "these votes")
            from ..evaluation import label_arrays

            # checked as evaluate checks them: a label 5 of 2 classes was a traceback here, NaN
            # probabilities an error without the file's name
            P, label = label_arrays(lab, K, labels, first_row=offset)
            if meta.get("fill_unlabeled") == "none":
                _no_vote_no_label(label, bvm, offset, labels, votes)
        elif model is not None:
            from ..fit.labels import block_labels

            sub = bvm.select_lfs(model_names) if model_names != names else bvm
            P, label, draws = block_labels(model, sub, skip=skip)
            skip = (skip[0] + draws[0], skip[1] + draws[1])
            label = np.asarray(label, dtype=np.int64)
        else:
            from ..models.base import class_counts

            C = class_counts(bvm)
            tot_c = C.sum(axis=1, keepdims=True)
            P = np.where(tot_c > 0, C / np.maximum(tot_c, 1), 1.0 / K)
            top = C.max(axis=1, keepdims=True)
            tied = (C == top).sum(axis=1) > 1
            label = np.where(covered & ~tied, C.argmax(axis=1), -1)
        has = label >= 0
        label_counts += np.bincount(label[has], minlength=K)
        unlabelled += int((~has).sum())
        proba_sum += P[covered].sum(axis=0)
        conf = P.max(axis=1)
        hist += np.bincount(np.clip((conf[covered] * HIST_BINS).astype(np.int64), 0, HIST_BINS - 1),
                            minlength=HIST_BINS)
        if scores is not None:
            scores.add(y, P, label)
        for k in range(K):
            est_cm[k] += np.bincount(label[has], weights=P[has, k], minlength=K)
        row = bvm.row_of_vote()
        post_acc += np.bincount(bvm.indices, weights=P[row, bvm.votes.astype(np.int64)], minlength=m)

        # pairwise matrices (dense or sparse products, whichever costs less: .pairs) and the
        # samples (per sub-block, the rows in key order: the first k per LF are candidates)
        dense = bvm.to_dense()
        pair_sums.add(bvm, P, dense)
        key = row_keys(seed, offset, nb)
        gpos = offset + np.arange(nb, dtype=np.int64)
        for s in range(0, nb, SUB_ROWS):
            D = dense[s:s + SUB_ROWS]
            o = np.argsort(key[s:s + SUB_ROWS], kind="stable")
            Ds, ks, gs, ls = D[o], key[s:s + SUB_ROWS][o], gpos[s:s + SUB_ROWS][o], label[s:s + SUB_ROWS][o]
            DT = np.ascontiguousarray(Ds.T)           # (m, rows): the running counts run along memory
            votes_mask = DT >= 0
            for sample, mask in ((fired, votes_mask),
                                 (disagreed, votes_mask & (ls[None, :] >= 0) & (DT != ls[None, :]))):
                j, r = np.nonzero(mask & (np.cumsum(mask, axis=1, dtype=np.int32) <= samples))
                sample.offer(j.astype(np.int64), ks[r], gs[r])
        unc = np.flatnonzero(~covered)
        if unc.size > 2 * samples:
            unc = unc[np.argpartition(key[unc], 2 * samples)[:2 * samples]]
        uncovered.offer(np.zeros(unc.size, np.int64), key[unc], gpos[unc])
        if y is not None:
            w = np.flatnonzero((y >= 0) & has & (label != y))
            if not worst:
                w = w[:0]
            elif w.size > worst:  # every row as confident as the worst-th (ties are broken by key)
                w = w[conf[w] >= np.partition(conf[w], w.size - worst)[w.size - worst]]
            wrong.offer(conf[w], key[w], gpos[w])
        wanted = set(np.concatenate([*fired.rows, *disagreed.rows, *uncovered.rows, wrong.rows]).tolist())
        kept = {r: v for r, v in kept.items() if r in wanted}
        new = [r for r in wanted if offset <= r < offset + nb and r not in kept]
        # the data read alongside the votes (every block, to check that its rows are the votes')
        texts = data_text.block(offset, bvm.row_ids, nb, new) if data_text is not None else {}
        for r in new:
            i = r - offset
            a, b = bvm.indptr[i], bvm.indptr[i + 1]
            # the row's votes as (LF indices, classes): a list of (name, class) pairs per kept row
            # held m x samples x votes-a-row objects (1,000 LFs voting on half the rows: 870 MB)
            kept[r] = {"row": r, "votes": (bvm.indices[a:b].astype(np.int32), bvm.votes[a:b].astype(np.int64)),
                       "label": int(label[i]), "confidence": float(conf[i]),
                       "gold": int(y[i]) if y is not None else None,
                       "ids": ({c: bvm.row_ids[c].iloc[i] for c in ids} if ids and bvm.row_ids is not None
                               else {})}
            if r in texts:
                kept[r]["text"] = texts[r]

    if gold_src is not None and tot["labelled_rows"] == 0:
        how = f"id columns {ids}" if gold_src.by_id else "position"
        raise InputError(f"{gold_src.where}: no gold label matches a row of the votes (matched by {how})")

    # assemble the LF table (same columns as analyze())
    lf = pd.DataFrame({
        "polarity": [np.flatnonzero(pol[j]).tolist() for j in range(m)],
        "votes": cnt["votes"],
        "coverage": cnt["votes"] / n,
        "overlaps": cnt["overlaps"] / n,
        "conflicts": cnt["conflicts"] / n,
    }, index=pd.Index(names, name="lf"))
    if gold_src is not None:
        from ..metrics import wilson_interval

        den = cnt["correct"] + cnt["incorrect"]
        lf["correct"], lf["incorrect"] = cnt["correct"], cnt["incorrect"]
        with np.errstate(invalid="ignore", divide="ignore"):
            lf["emp_acc"] = np.where(den > 0, cnt["correct"] / np.maximum(den, 1), np.nan)
        lo, hi = wilson_interval(cnt["correct"], den)
        lf["emp_acc_lo"], lf["emp_acc_hi"] = lo, hi
    with np.errstate(invalid="ignore", divide="ignore"):
        lf["posterior_acc"] = np.where(cnt["votes"] > 0, post_acc / np.maximum(cnt["votes"], 1), np.nan)
    msum = _model_summary(model) if model is not None else None
    if msum is not None and msum["accuracies"] is not None:
        # an LF without votes, or one the model could not estimate: n/a, as fit and analyze show them
        lf["est_acc"], lf.attrs["est_na"] = model_estimates(msum, list(names), cnt["votes"])
        lf.attrs["est_acc_source"] = "model"
    else:
        lf["est_acc"] = lf["posterior_acc"]
        lf.attrs["est_acc_source"] = source

    totals = {"rows": n, "lfs": m, "cardinality": K, "covered": tot["covered"] / n,
              "conflicted": tot["conflicted"] / n,
              "mean_votes_per_covered_row": tot["votes"] / tot["covered"] if tot["covered"] else 0.0,
              "mv_tied": tot.get("mv_tied", 0) / tot["covered"] if tot["covered"] else 0.0}
    dominant = dominant_lf(cnt["votes"], names, n)
    if dominant is not None:
        totals["dominant_lf"] = dominant
    unvoted = unvoted_classes(pol.sum(axis=0))   # LFs voting each class
    if unvoted:
        totals["unvoted_classes"] = unvoted
    if gold_src is not None:
        totals["labelled_rows"] = tot["labelled_rows"]
        totals["mv_accuracy_covered"] = tot["mv_hits"] / tot["mv_rows"] if tot["mv_rows"] else float("nan")
        totals["mv_ties"] = int(tot.get("mv_ties", 0))

    overlap, agree = pair_sums.overlap, pair_sums.agree
    err_one, err_joint = pair_sums.err_one, pair_sums.err_joint
    conflict = np.rint(overlap - agree)
    np.fill_diagonal(conflict, 0)
    overlap = np.rint(overlap)
    with np.errstate(invalid="ignore", divide="ignore"):
        O = overlap
        mean = err_one / O                         # mean[j, l]: E[e_j] over rows where j and l vote
        cov = err_joint / O - mean * mean.T
        var = mean * (1 - mean)
        corr = cov / np.sqrt(var * var.T)
    corr = np.where((O >= MIN_PAIR_ROWS) & np.isfinite(corr), np.clip(corr, -1, 1), np.nan)
    np.fill_diagonal(corr, np.nan)

    rd = ReportData(
        n_rows=n, lf_names=list(names), cardinality=K,
        classes=list(classes) if classes else [str(k) for k in range(K)],
        lf=lf, totals=totals, overlap=overlap, conflict=conflict, error_corr=corr,
        order=cluster_order(overlap), posterior_source=source, label_counts=label_counts,
        unlabelled_rows=unlabelled,
        mean_proba=proba_sum / tot["covered"] if tot["covered"] else np.full(K, np.nan),
        confidence_hist=hist, est_confusion=est_cm, scores=scores.result(classes) if scores is not None else None, model=msum,
        has_gold=gold_src is not None)
    if data_text is not None:
        data_text.finish(kept)
        rd.has_text = True
    rd.samples = _assemble_samples(kept, fired, disagreed, uncovered, wrong, names)
    return rd


def _no_vote_no_label(label: np.ndarray, bvm: VoteMatrix, offset: int, labels, votes) -> None:
    """Labels written with ``--fill-unlabeled none`` (fit's default, and predict's) give no row
    without votes a label: one that does is of other votes (votes without ids take any labels of as
    many rows by position; those of the same votes shuffled made every figure silently wrong)."""
    bad = np.flatnonzero((label >= 0) & (bvm.votes_per_row() == 0))
    if bad.size:
        where = "the votes" if isinstance(votes, VoteMatrix) else str(votes)
        raise InputError(f"{labels}: row {offset + int(bad[0]):,} has no vote in {where} but label "
                         f"{int(label[bad[0]])}, and the file was written with --fill-unlabeled none, which "
                         "labels no row without votes: the labels are not of these votes (report on the labels "
                         "`weaklabel fit` wrote for them)")


def cluster_order(overlap: np.ndarray) -> list[int]:
    """LF order for the heat maps: average-linkage hierarchical clustering of the LFs' firing
    patterns (cosine distance ``1 - overlap_jl / sqrt(votes_j votes_l)``), leaves in optimal order,
    so that LFs that fire on the same rows (families, copies) sit next to each other."""
    m = overlap.shape[0]
    if m < 3:
        return list(range(m))
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    d = np.sqrt(np.maximum(np.diag(overlap), 1.0))
    sim = overlap / d[:, None] / d[None, :]
    dist = np.clip(1.0 - sim, 0.0, 1.0)
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 0.0)
    Z = linkage(squareform(dist, checks=False), method="average", optimal_ordering=m <= 300)
    return [int(i) for i in leaves_list(Z)]
