"""File input and output: atomic writes, input tables, the votes and labels Parquet formats,
part-file datasets. Nothing here knows about label models or the in-memory vote matrix.

* :mod:`.atomic`: :func:`atomic_output` (the one way an output is written), output groups,
  output checks; :mod:`.output_paths`: the paths refused as outputs by every command (devices,
  FIFOs, ``/dev/stdout``, names too long for their temporary, other formats' and compressed names);
* :mod:`.tables`: :class:`TableSource` (Parquet/CSV/JSON Lines in bounded batches), whole-table
  reads; :mod:`.fingerprint`: input fingerprints (``apply --update``); :mod:`.csv_ids`: how a
  CSV's id columns are read (text when their inferred type would change an id, e.g. ``007``, and
  NA markers such as ``NA`` kept as text); :mod:`.json_lines`: a JSON Lines file's columns (the
  union of its records' keys) and batches (every column, one type each); :mod:`.id_types`: ids
  between pandas and Arrow, one type per id column across batches and files;
* :mod:`.metadata`: the ``weaklabel`` footer metadata (format names, read, schema check);
* :mod:`.votes_file`, :mod:`.labels_file`: the two output formats and their streaming writers;
* :mod:`.datasets`: folders of part files (``--engine dask``) and row-range access for
  ``apply --update``.

Every public name of the former ``weaklabel/io.py`` is importable from here. ``read_votes``,
``write_votes`` and ``votes_metadata`` (a :class:`~weaklabel.votes.VoteMatrix` to and from a file)
moved to :mod:`weaklabel.votes.file`; importing them from here still works for one release, with
a DeprecationWarning.
"""

from __future__ import annotations

import importlib
import warnings

from .atomic import (STALE_SECONDS, atomic_output, check_distinct, check_json_name, check_output, check_parquet_name,
                     clean_stale_temporaries, os_error_text, output_group, write_error, write_json_atomic)
from .csv_ids import csv_id_dtypes
from .datasets import VotesDataset, is_votes_dataset, part_name, read_rows, row_group_starts, write_dataset_metadata
from .labels_file import labels_column_name, LabelsWriter, labels_metadata, labels_table, write_labels
from .metadata import (COMMON_METADATA, FORMAT_VERSION, LABELS_FORMAT, META_KEY, VOTES_FORMAT, encode_metadata,
                       read_metadata, validate_metadata)
from .output_paths import check_compressed_name, check_model_outside_labels, check_special_output
from .tables import (CSV_SUFFIXES, JSONL_SUFFIXES, PARQUET_SUFFIXES, TableSource, file_fingerprint,
                     files_fingerprint, format_id, format_ids, id_sample, ids_to_pandas, input_match, is_glob,
                     numbers_as_text, open_parquet, parquet_files, read_table, same_input)
from .votes_file import (ROW_IS_ID, VotesWriter, check_metadata_counts, check_metadata_rows, check_plain_vote_maxima,
                         id_columns_metadata, ids_table, metadata_counts, real_id_columns, votes_layout, votes_schema)

_MOVED = {"read_votes": "weaklabel.votes.file", "write_votes": "weaklabel.votes.file",
          "votes_metadata": "weaklabel.votes.file"}

__all__ = [
    "STALE_SECONDS", "atomic_output", "check_distinct", "check_json_name", "check_output", "check_parquet_name",
    "clean_stale_temporaries", "os_error_text",
    "output_group", "write_error", "write_json_atomic",
    "check_compressed_name", "check_model_outside_labels", "check_special_output",
    "VotesDataset", "is_votes_dataset", "part_name", "read_rows", "row_group_starts", "write_dataset_metadata",
    "LabelsWriter", "labels_column_name", "labels_metadata", "labels_table", "write_labels",
    "COMMON_METADATA", "FORMAT_VERSION", "LABELS_FORMAT", "META_KEY", "VOTES_FORMAT", "encode_metadata",
    "read_metadata", "validate_metadata",
    "csv_id_dtypes", "CSV_SUFFIXES", "JSONL_SUFFIXES", "PARQUET_SUFFIXES", "TableSource", "file_fingerprint",
    "files_fingerprint", "format_id", "format_ids", "id_sample", "ids_to_pandas", "is_glob", "numbers_as_text", "open_parquet", "parquet_files", "read_table",
    "input_match", "same_input",
    "ROW_IS_ID", "VotesWriter", "check_metadata_counts", "check_metadata_rows", "check_plain_vote_maxima",
    "id_columns_metadata", "metadata_counts", "ids_table", "real_id_columns", "votes_layout", "votes_schema",
]


def __getattr__(name: str):
    new = _MOVED.get(name)
    if new is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(f"weaklabel.io.{name} is deprecated and will be removed in the next release: import it from "
                  f"{new}", DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(new), name)
