"""``weaklabel bench``: label models and automatic LF generation on benchmark tasks.

* :mod:`~weaklabel.bench.datasets`: WRENCH and crowd vote matrices, raw text tasks and tasks built
  from scikit-learn's bundled datasets (no download), as :class:`~weaklabel.bench.datasets.Dataset`.
* :mod:`~weaklabel.bench.config`: what a run executes (:class:`~weaklabel.bench.config.BenchConfig`,
  :func:`~weaklabel.bench.config.plan`).
* :mod:`~weaklabel.bench.suites`: the ``wrench``, ``crowd`` and ``autows`` runners
  (:func:`~weaklabel.bench.suites.run_bench`).
* :mod:`~weaklabel.bench.endmodel`: end model and baselines.
* :mod:`~weaklabel.bench.report`: tables, ``results.json``/``.csv``, ``report.md``, plots.

Every label model in :data:`weaklabel.models.MODELS` is benchmarked; a new model appears in every
table without changes here.
"""

from .config import BenchConfig
from .datasets import Dataset, Split, load_crowd, load_embedded, load_task, load_text, load_wrench
from .suites import BenchResult, run_bench

__all__ = ["Dataset", "Split", "load_crowd", "load_embedded", "load_task", "load_text", "load_wrench",
           "BenchConfig", "BenchResult", "run_bench"]
