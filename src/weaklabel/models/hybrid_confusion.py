"""The confusion matrices of :class:`~weaklabel.models.hybrid.HybridDawidSkene`: each source's own
one-coin prior, the wrong-class spread shrunk towards even (``wrong_class_strength``), the
crowd-wide bias pinned at zero with near-constant answerers counted by the entropy of their answers
(``crowd_bias``, ``crowd_bias_entropy``), and the rows of classes no vote points to.

Why a module of its own: these are plain array functions on ``(m, K, K)`` count and confusion
matrices, the regularisation choices the hybrid module docstring argues for ("Crowd-wide bias",
"Whose bias is the crowd's", "Which wrong class"), each tested on its own; the model's EM calls
them once per M-step (``HybridDawidSkene._confusion``). Re-exported by :mod:`weaklabel.models.hybrid`.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def _onecoin(N: np.ndarray, acc0: float, pseudo: float) -> np.ndarray:
    """Each source's own one-coin matrix: accuracy (trace + pseudo*acc0) / (votes + pseudo)."""
    m, K, _ = N.shape
    acc = (np.trace(N, axis1=1, axis2=2) + pseudo * acc0) / (N.sum(axis=(1, 2)) + pseudo)
    out = np.repeat(((1 - acc) / (K - 1))[:, None, None], K, axis=1).repeat(K, axis=2)
    idx = np.arange(K)
    out[:, idx, idx] = acc[:, None]
    return out


def spread_errors(theta: np.ndarray, N: np.ndarray, strength: float) -> np.ndarray:
    """Keep each confusion row's accuracy ``theta[j, y, y]`` and re-spread its error mass over the
    wrong classes by the source's wrong-class counts plus ``strength`` pseudo-votes split evenly."""
    K = theta.shape[1]
    idx = np.arange(K)
    diag = theta[:, idx, idx].copy()
    off = N.copy()
    off[:, idx, idx] = 0.0
    off += strength / (K - 1)
    off[:, idx, idx] = 0.0
    out = off / off.sum(axis=2, keepdims=True) * (1.0 - diag)[:, :, None]
    out[:, idx, idx] = diag
    return out


def bias_weights(N: np.ndarray, full_entropy: float) -> np.ndarray:
    """Each source's weight in the common bias: its votes, times ``min(1, H / full_entropy)`` with
    ``H`` the normalised entropy of its answers (``N`` (m, K, K) summed over the class)."""
    votes = N.sum(axis=(1, 2))
    if full_entropy <= 0:
        return votes
    answers = N.sum(axis=1)
    p = answers / np.maximum(answers.sum(axis=1, keepdims=True), _EPS)
    H = -(p * np.log(np.maximum(p, _EPS))).sum(axis=1) / np.log(N.shape[1])
    w = votes * np.minimum(1.0, H / full_entropy)
    return w if w.sum() > 0 else votes


def pin_common_bias(theta: np.ndarray, weights: np.ndarray, n_proj: int = 10) -> np.ndarray:
    """Remove the crowd-wide label bias from multi-class sources' confusion matrices.

    A zero entry (a vote a source never gave for a class, with ``conf_strength=0`` or a prior
    accuracy of ~1) counts as ``_EPS``, the floor the model scores with: its log made the bias
    -inf - -inf, NaN in every probability. Only zeros: every other input gives the same bytes."""
    L = np.log(np.where(theta > 0, theta, _EPS))
    use = weights > 0
    if not use.any():
        return theta
    ws = weights / weights.sum()
    for _ in range(n_proj):
        b = L.mean(axis=1)
        b = b - b.mean(axis=1, keepdims=True)
        B = (ws[:, None] * b).sum(axis=0)
        if np.abs(B).max() < 1e-10:
            break
        L[use] = L[use] - B[None, None, :]
        L[use] = L[use] - np.log(np.exp(L[use]).sum(axis=2, keepdims=True))
    return np.exp(L)


def exclude_classes(theta: np.ndarray, unseen: np.ndarray | None) -> np.ndarray:
    """Confusion rows of the classes in ``unseen`` (no vote, and no gold label on a row with votes)
    put all their mass on voting that class, which no source ever does: a row with a multi-class
    vote is then never labelled one of them.

    Why: such a class's row is its prior alone (nothing was counted in it), a nearly flat row that
    "explains" any row whose votes conflict, and with the crowd bias pinned no class prior holds it
    back on rows with votes. Six two-class LFs on three classes (the third never voted) had 15% of
    the rows with votes labelled with it, 6 points below majority vote, which never gives a class
    no source votes. Nothing in the votes can say a voted row belongs to such a class."""
    if unseen is None or not np.any(unseen):
        return theta
    theta = theta.copy()
    for k in np.flatnonzero(unseen):
        theta[:, k, :] = 0.0
        theta[:, k, k] = 1.0
    return theta
