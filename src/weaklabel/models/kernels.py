"""The Numba row kernels other packages call on blocks of votes, as one public module.

The votes reader checks and converts dense blocks, and the streamed and Dask fits compute a
model's row sums part by part, with the same kernels the in-memory fit uses (so every engine gives
the same bytes). The kernels themselves live in the private ``_kernels*`` modules of this package
(split by job, compiled lazily); this module is the interface the rest of weaklabel imports.
"""

from ._kernels import (dense_to_codes_fill, dense_to_csr_fill, em_pass_codes, em_pass_dense, pair_counts_codes,
                       pair_counts_dense, scan_dense)

__all__ = ["dense_to_codes_fill", "dense_to_csr_fill", "em_pass_codes", "em_pass_dense", "pair_counts_codes",
           "pair_counts_dense", "scan_dense"]
