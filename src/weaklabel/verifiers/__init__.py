"""Weak verifiers: aggregate reward-model and judge scores to pick the best candidate answer.

The Weaver recipe ("Shrinking the Generation-Verification Gap with Weak Verifiers") as a library:
many imperfect verifiers score the candidate answers of each question; weak supervision
estimates how good each verifier is without labels and combines them.

Pipeline (each step a module, all driven by :class:`VerifierSelector`):

1. :mod:`~weaklabel.verifiers.normalise`: per-verifier scales (``minmax``, ``quantile``,
   ``winsorize``) over all questions or within each question;
2. :mod:`~weaklabel.verifiers.binarise`: fixed threshold or class-balance quantile (global or
   per question), or keep scores continuous;
3. :mod:`~weaklabel.verifiers.filtering`: drop near-constant verifiers and verifiers that
   agree with nothing; flip (or drop) those estimated below chance;
   :mod:`~weaklabel.verifiers.families`: find families of verifiers that share their errors
   and count each family about once;
4. a label model: :class:`~weaklabel.verifiers.mixture.ScoreMixture` on continuous scores, or
   any vote model of :mod:`weaklabel.models` on the binary votes
   (:mod:`~weaklabel.verifiers.votepath`); answer pooling (:mod:`~weaklabel.verifiers.pooling`);
5. :mod:`~weaklabel.verifiers.metrics`: select the top candidate per question; Select@1,
   Pass@1, Pass@k; :mod:`~weaklabel.verifiers.evaluate` scores the baselines side by side.

Input: a long table (``question_id``, ``candidate_id``, one column per verifier, optional
``answer`` and ``correct``) read by :func:`from_frame`; :func:`read_scores` also reads
Weaver-style tables. :func:`select_file` is the whole run (``weaklabel select``);
:mod:`~weaklabel.verifiers.simulate` draws pools for the protocol in ``benchmarks/``. Every
step is a scikit-learn-style estimator (:mod:`~weaklabel.verifiers._base`).
"""

from .binarise import Binariser
from .data import ScoreData, from_frame, match_verifiers
from .evaluate import Evaluation, evaluate, split_dev
from .families import FamilyDetector
from .metrics import top_candidates, within_question_auc
from .mixture import ScoreMixture
from .normalise import Normaliser
from .readers import ScoreTable, read_scores
from .runner import SelectSummary, select_file
from .selector import VerifierSelector

__all__ = ["Binariser", "Evaluation", "FamilyDetector", "Normaliser", "ScoreData", "ScoreMixture", "ScoreTable",
           "SelectSummary", "VerifierSelector", "evaluate", "from_frame", "match_verifiers", "read_scores",
           "select_file", "split_dev", "top_candidates", "within_question_auc"]
