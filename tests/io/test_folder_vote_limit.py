"""A vote above the class limit in a part file of a plain votes folder names the part file and its row.

A plain votes file's cardinality is its largest vote + 1, found from the row-group statistics (or
a pass); a vote over the 32,767-class limit there was refused from those maxima alone, so a folder
(or glob) of part files said "votes: LF column 'b' holds the vote ..." and the user had to open
every part to find it. Other bad votes in a folder already say "votes/part-1.parquet: row 5 of the
file, votes row 105, LF 'b': ..."; this one now does too, on every reader and command.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.votes.file import read_votes
from weaklabel.votes.reader import VotesSource

BIG = 2 ** 40
PLACE = "part-1.parquet: row 47 of the file, votes row 147, LF column 'b' holds the vote 1,099,511,627,776, above"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def folder_of_parts(where: Path, stats: bool, bad: int | None = BIG, dtype=pa.int64()) -> Path:
    """Three part files of 100 rows (row groups of 20), ``b`` holding ``bad`` at row 47 of part 1
    (unsigned columns have no -1: they never abstain)."""
    folder = where / "votes"
    folder.mkdir()
    for k in range(3):
        a = np.arange(100) % 2
        if not pa.types.is_unsigned_integer(dtype):   # -1 = abstain
            a = np.where(np.arange(100) % 3 == 0, -1, a)
        b = a.copy().astype(object)
        if k == 1 and bad is not None:
            b[47] = bad
        table = pa.table({"doc_id": np.arange(k * 100, (k + 1) * 100), "a": pa.array(a, dtype),
                          "b": pa.array(b.tolist(), dtype)})
        pq.write_table(table, folder / f"part-{k}.parquet", row_group_size=20, write_statistics=stats)
    return folder


@pytest.mark.parametrize("stats", [True, False], ids=["stats", "no-stats"])
def test_the_readers_name_the_part_file_and_the_row(tmp_path, stats):
    folder = folder_of_parts(tmp_path, stats)
    for read in (read_votes, VotesSource):
        with pytest.raises(InputError) as err:
            read(folder)
        msg = str(err.value)
        assert msg.startswith(str(folder / PLACE.split(":")[0])) and PLACE in msg, msg
        assert "\n" not in msg


def test_a_glob_of_part_files_names_the_part_file(tmp_path):
    folder = folder_of_parts(tmp_path, True)
    with pytest.raises(InputError, match=PLACE):
        read_votes(f"{folder}/part-*.parquet")


@pytest.mark.parametrize("cmd", [["fit", "-o", "{out}"], ["fit", "-o", "{out}", "--stream"],
                                 ["fit", "-o", "{out}", "--no-stream"], ["analyze"], ["report", "-o", "{out}.html"]],
                         ids=["fit", "stream", "memory", "analyze", "report"])
def test_every_command_names_the_part_file_in_one_line(tmp_path, cmd):
    folder = folder_of_parts(tmp_path, True)
    out = tmp_path / "out"
    line = one_line_error(run(cmd[0], folder, *[a.format(out=out) for a in cmd[1:]]))
    assert PLACE in line, line
    assert not out.exists() and not Path(f"{out}.html").exists()


def test_an_unsigned_vote_past_the_int64_range_names_the_part_file(tmp_path):
    folder = folder_of_parts(tmp_path, True, bad=2 ** 63 + 5, dtype=pa.uint64())
    with pytest.raises(InputError, match="part-1.parquet: row 47 of the file, votes row 147, LF column 'b' "
                                         "holds the vote 9,223,372,036,854,775,813"):
        VotesSource(folder)


def test_one_file_names_its_row(tmp_path):
    folder = folder_of_parts(tmp_path, True)
    part = folder / "part-1.parquet"
    for read in (read_votes, VotesSource):
        with pytest.raises(InputError, match=r"part-1.parquet: LF column 'b' holds the vote 1,099,511,627,776, "
                                             r"above the limit of 32,767 classes \(.*\), at row 47;"):
            read(part)


def test_good_folders_still_read(tmp_path):
    folder = folder_of_parts(tmp_path, True, bad=None)
    assert read_votes(folder).cardinality == 2 and VotesSource(folder).cardinality == 2
