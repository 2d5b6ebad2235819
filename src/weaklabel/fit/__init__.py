"""Fitting label models on votes files and writing labels, on every engine.

* :mod:`.run`: :func:`fit_file` and :func:`predict_file`, the one library entry for
  ``weaklabel fit`` / ``predict`` (in memory, streamed, Dask), and :class:`FitSummary`;
* :mod:`.plan`: the run plan (every engine option checked once), model construction;
* :mod:`.labels`: the one label writer (:func:`write_label_blocks`) and the tie/fill rules;
* :mod:`.keep`: ``keep_cols``, data columns joined to the labels; :mod:`.predict_checks`: a saved
  model checked against the votes it labels;
* :mod:`.partitioned`: the statistics summed part by part, shared by the two below;
* :mod:`.streaming`: :class:`StreamingVoteStats` (votes re-read block by block);
* :mod:`.dask`: :class:`DaskVoteStats` (votes held by Dask workers); imports Dask.
"""

from __future__ import annotations

from .labels import write_model_labels
from .plan import RunPlan, check_engine_options, model_for, plan_run
from .run import FitSummary, fit_file, predict_file

__all__ = ["FitSummary", "RunPlan", "check_engine_options", "fit_file", "model_for", "plan_run", "predict_file",
           "write_model_labels"]
