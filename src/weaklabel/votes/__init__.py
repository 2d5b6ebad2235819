"""Votes: the in-memory vote matrix and everything that reads votes without the label models.

* :mod:`.matrix`: :class:`VoteMatrix` (CSR votes + LF names + cardinality + row ids), dense/CSR
  conversion; no file I/O of its own (``VoteMatrix.read_parquet``/``to_parquet`` call
  :mod:`weaklabel.io`);
* :mod:`.dense`: dense votes (numpy or DataFrame) checked cell by cell and converted to CSR;
* :mod:`.reader`: a votes file, folder or glob read in row blocks (:class:`~.reader.VotesSource`);
* :mod:`.gold`: gold labels lined up with votes (by id or position), dev labels;
* :mod:`.analysis`: per-LF statistics (``weaklabel analyze``).

Only the matrix is imported here (numpy only); the others on first use of their module.
"""

from .matrix import VoteMatrix, check_labels, concat_csr, dense_to_csr, vote_dtype

__all__ = ["VoteMatrix", "check_labels", "concat_csr", "dense_to_csr", "vote_dtype"]
