"""`weaklabel report`'s rows to look at: the text of each sampled row (repeated and null ids), the
data file opened once, and a section bounded in the number of LFs. Each test failed before its fix:
rows sharing an id showed one text (or none), labels with a null id were refused ("row 0 has uid =
nan but the votes have nan"), 1,500 sparse LFs made a 5.8 MB page, a JSON Lines --data was
scanned two or three times."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS, synthetic_votes
from weaklabel import VoteMatrix, report
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.htmlreport import collect, page, samples

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _records(rd) -> dict:
    """Every sampled row's record, by row position."""
    recs = {}
    for section in ("fired", "disagreed"):
        for rows in rd.samples[section].values():
            recs.update((r["row"], r) for r in rows)
    recs.update((r["row"], r) for r in rd.samples["uncovered"] + rd.samples["wrong"])
    return recs


def _write(df: pd.DataFrame, path):
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_parquet(path)


def _repeated(n=300, seed=0):
    """Votes whose ids repeat (each id on 3 rows, as `apply` accepts with a warning) and their data."""
    L = synthetic_votes(n=n, m=5, K=2, seed=seed)
    ids = pd.DataFrame({"doc": [f"d{i % (n // 3)}" for i in range(n)]})
    vm = VoteMatrix.from_dense(L, cardinality=2, row_ids=ids)
    data = pd.DataFrame({"doc": ids["doc"], "text": [f"text of row {i}" for i in range(n)]})
    return vm, data


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
@pytest.mark.parametrize("block_rows, batch", [(None, 1 << 16), (7, 5), (64, 1000)])
def test_rows_sharing_an_id_each_show_their_own_text(tmp_path, monkeypatch, suffix, block_rows, batch):
    """The votes' own data file (the same ids row for row, repeats included) is matched by position,
    as fit --keep-cols and the report's gold labels match it: a dict by id gave every row of an id
    the text of one of them, and the others none."""
    if hasattr(samples, "DataText"):   # batches of the data shorter or longer than the blocks
        monkeypatch.setattr(samples.DataText.__init__, "__defaults__", (batch, None))
    vm, data = _repeated()
    vm.to_parquet(tmp_path / "votes.parquet")
    _write(data, tmp_path / f"data{suffix}")
    for votes in (tmp_path / "votes.parquet", vm):
        rd = collect(votes, data=tmp_path / f"data{suffix}", samples=6, block_rows=block_rows,
                     gold=pd.DataFrame({"label": np.arange(vm.n_rows) % 2}))
        recs = _records(rd)
        assert len(recs) > 30 and len({r["ids"]["doc"] for r in recs.values()}) < len(recs)   # repeats sampled
        assert all(r.get("text") == f"text of row {row}" and "text_note" not in r for row, r in recs.items())


def test_repeated_ids_in_another_data_file_say_the_text_is_ambiguous(tmp_path):
    """Data that is not the votes' own rows (here: the same rows shuffled) is matched by id; a
    sampled row whose id is on several data rows has no one text: the page says so (escaped)."""
    n = 300
    L = synthetic_votes(n=n, m=5, K=2, seed=3)
    ids = pd.DataFrame({"doc": [f"<b>{i % 50}</b>" if i < 150 else f"u{i}" for i in range(n)]})  # 50 ids x 3, 150 once
    vm = VoteMatrix.from_dense(L, cardinality=2, row_ids=ids)
    data = pd.DataFrame({"doc": ids["doc"], "text": [f"text of row {i}" for i in range(n)]})
    data.iloc[np.random.default_rng(0).permutation(n)].to_parquet(tmp_path / "data.parquet")
    rd = collect(vm, data=tmp_path / "data.parquet", samples=6)
    recs = _records(rd)
    once = [r for row, r in recs.items() if row >= 150]
    thrice = [r for row, r in recs.items() if row < 150]
    assert once and thrice
    assert all(r["text"] == f"text of row {r['row']}" and "text_note" not in r for r in once)
    assert all("text" not in r and f"is on 3 rows of {tmp_path / 'data.parquet'}" in r["text_note"] for r in thrice)
    html = report(vm, data=tmp_path / "data.parquet", samples=6)
    assert "is on 3 rows of" in html and "<b>" not in html and "&lt;b&gt;" in html
    # an id the data lacks: said so (it was an empty cell)
    data[data["doc"] != "u200"].to_parquet(tmp_path / "fewer.parquet")
    rec = _records(collect(vm, data=tmp_path / "fewer.parquet", samples=300))[200]
    assert "text" not in rec and rec["text_note"].endswith("has id 'u200'")
    # no sampled id matching at all is still an error
    other = data.assign(doc=[f"x{i}" for i in range(n)])
    other.to_parquet(tmp_path / "other.parquet")
    with pytest.raises(InputError, match="none of the .* sampled rows' ids matches a row of it"):
        collect(vm, data=tmp_path / "other.parquet")


@pytest.fixture
def nulls(tmp_path):
    """data.csv whose id column is empty on rows 1 and 3; votes and labels made from it by the CLI."""
    (tmp_path / "lfs.py").write_text(GOOD_BAD_LFS)
    (tmp_path / "data.csv").write_text("uid,text,label\n1,good day,pos\n,bad day,neg\n3,good good,pos\n"
                                       ",bad bad,neg\n5,meh,neg\n6,good and bad,pos\n")
    r = run("apply", tmp_path / "lfs.py", tmp_path / "data.csv", "-o", tmp_path / "votes.parquet", "--id-col", "uid")
    assert r.exit_code == 0 and "have no id" in r.stderr, r.output
    r = run("fit", tmp_path / "votes.parquet", "-o", tmp_path / "labels.parquet", "--save-model", tmp_path / "m.json")
    assert r.exit_code == 0, r.output
    return tmp_path


def test_null_ids_are_matched_by_position_in_the_votes_own_files(nulls):
    """apply writes rows with an empty id and fit accepts them; report refused their labels ("row 1
    has uid = nan but the votes have nan": NaN != NaN) and showed their text as empty."""
    d = nulls
    for extra in ([], ["--labels", d / "labels.parquet"], ["--gold", d / "data.csv"],
                  ["--labels", d / "labels.parquet", "--gold", d / "data.csv", "--model", d / "m.json"]):
        r = run("report", d / "votes.parquet", "-o", d / "r.html", "--data", d / "data.csv", "--force", *extra)
        assert r.exit_code == 0, (extra, r.output)
    texts = pd.read_csv(d / "data.csv")["text"]
    for block_rows in (None, 1, 2):
        rd = collect(d / "votes.parquet", data=d / "data.csv", labels=d / "labels.parquet", gold=d / "data.csv",
                     samples=6, block_rows=block_rows)
        recs = _records(rd)
        assert {1, 3} <= set(recs) and all(r["text"] == texts[row] for row, r in recs.items())
    # another data file: a row without an id matches none of its rows, and says so
    (d / "other.csv").write_text("uid,text\n6,six\n5,five\n3,three\n1,one\n")
    recs = _records(collect(d / "votes.parquet", data=d / "other.csv", samples=6))
    assert recs[0]["text"] == "one" and recs[2]["text"] == "three"
    assert "text" not in recs[1] and "id is empty (null)" in recs[1]["text_note"]


def test_labels_with_a_null_id_where_the_votes_have_one_are_refused(nulls, tmp_path_factory):
    """A null id still equals only a null id: labels of votes with other ids are not of these votes."""
    d = nulls
    (d / "filled.csv").write_text((d / "data.csv").read_text().replace("\n,", "\n99,"))
    r = run("apply", d / "lfs.py", d / "filled.csv", "-o", d / "filled.parquet", "--id-col", "uid")
    assert r.exit_code == 0, r.output
    r = run("report", d / "filled.parquet", "-o", d / "r.html", "--labels", d / "labels.parquet")
    assert r.exit_code == 1 and "row 1 has uid = nan but the votes have 99" in r.stderr, r.output


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("rows", [55, 65])
def test_data_without_ids_must_have_the_votes_rows(tmp_path, suffix, rows):
    """Matched by position, the data must have as many rows as the votes (a CSV or JSON Lines file
    is counted in the one read that takes the text, not in a pass of its own)."""
    vm = VoteMatrix.from_dense(synthetic_votes(n=60, m=4, K=2), cardinality=2)
    _write(pd.DataFrame({"text": [f"t{i}" for i in range(rows)]}), tmp_path / f"data{suffix}")
    with pytest.raises(InputError, match=f"has {rows} rows but the votes have 60"):
        collect(vm, data=tmp_path / f"data{suffix}", block_rows=16)
    _write(pd.DataFrame({"text": [f"t{i}" for i in range(60)]}), tmp_path / f"data{suffix}")
    recs = _records(collect(vm, data=tmp_path / f"data{suffix}", block_rows=16))
    assert recs and all(r["text"] == f"t{row}" for row, r in recs.items())


def _sparse(m, n=3000):
    from weaklabel.simulate import simulate_votes

    return simulate_votes(n=n, m=m, K=2, coverage=(0.002, 0.02), seed=1).votes


def test_rows_section_is_bounded_in_the_number_of_lfs(tmp_path):
    """A section per LF made the page grow with LFs x samples (1,500 sparse LFs: 4.5 MB of rows).
    Rows are shown for the MAX_SAMPLE_LFS LFs with the most votes; the LF table lists every LF."""
    cap = getattr(page, "MAX_SAMPLE_LFS", 100)
    pd.DataFrame({"text": ["a review of some length, " * 10] * 3000}).to_parquet(tmp_path / "data.parquet")
    sizes = {}
    for m in (cap, 2 * cap, 8 * cap):
        vm = _sparse(m)
        html = report(vm, data=tmp_path / "data.parquet")
        rows = html[html.index('<section id="rows">'):]
        sizes[m] = len(rows)
        shown = re.findall(r"<details><summary>(lf_\d+) ", rows)
        votes = np.bincount(vm.indices, minlength=m)
        assert len(shown) == min(m, cap)
        if m > cap:
            assert 'id="rows-cap"' in rows and f"Rows of {cap} of the {m:,} LFs" in rows
            top = np.sort(np.argsort(-votes, kind="stable")[:cap])
            assert shown == [vm.lf_names[j] for j in top]
            assert html.count('<tr><td class="l" data-v=') == m      # every LF in the table
        else:
            assert "rows-cap" not in rows
    # 4x the LFs: about the same rows section (rows of better-covered LFs name a few more votes, at
    # most page.MAX_ROW_VOTES each); it was 4x the size
    assert sizes[8 * cap] < 1.3 * sizes[2 * cap], sizes


@pytest.mark.parametrize("with_ids", [True, False])
def test_data_file_is_opened_and_scanned_once(tmp_path, monkeypatch, with_ids):
    """`report --data data.jsonl --gold data.jsonl` opened the file three times (each open of a JSON
    Lines file scans all of it) and read it in batches twice more; now once, shared with --gold."""
    import weaklabel.io.tables as tables

    n = 500
    L = synthetic_votes(n=n, m=4, K=2, seed=4)
    ids = pd.DataFrame({"doc": [f"d{i}" for i in range(n)]}) if with_ids else None
    vm = VoteMatrix.from_dense(L, cardinality=2, row_ids=ids)
    vm.to_parquet(tmp_path / "votes.parquet")
    with open(tmp_path / "data.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"doc": f"d{i}", "text": f"text {i}", "label": int(i % 2)}) + "\n")
    scans = []
    real = tables.scan_json_lines
    monkeypatch.setattr(tables, "scan_json_lines", lambda path: scans.append(path) or real(path))
    for gold in (None, tmp_path / "data.jsonl"):
        scans.clear()
        rd = collect(tmp_path / "votes.parquet", data=tmp_path / "data.jsonl", gold=gold, block_rows=64)
        assert len(scans) == 1, scans
        assert all(r["text"] == f"text {row}" for row, r in _records(rd).items())


def test_rows_section_escapes_every_name(tmp_path):
    """LF, class, id column, id and text column names, row text, and the data file's name in a
    row's "no text" note are all escaped: one <script> on the page (the sorting one), no <b>."""
    import html.parser

    n = 120
    L = synthetic_votes(n=n, m=4, K=2, seed=6)
    col = "<b>doc</b>"
    ids = pd.DataFrame({col: [f"<b>{i % 40}</b>" for i in range(n)]})
    names = ["<b>lf</b>", "a&b", "<script>x</script>", 'q"lf']
    vm = VoteMatrix.from_dense(L, cardinality=2, row_ids=ids, lf_names=names, classes=["<b>no</b>", "yes"])
    data = pd.DataFrame({col: ids[col], "<b>text</b>": ["<b>row</b><script>alert(1)</script>"] * n})
    folder = tmp_path / "<b>dir&"
    folder.mkdir()
    data.iloc[::-1].to_parquet(folder / "data.parquet")     # not the votes' rows: matched by id, ids on 3 rows
    page_text = report(vm, data=folder / "data.parquet", text_col="<b>text</b>", samples=4)
    assert "is on 3 rows of" in page_text and "&lt;b&gt;dir&amp;/data.parquet" in page_text
    data.to_parquet(folder / "data.parquet")                # the votes' own rows: the text is shown
    page_text += report(vm, data=folder / "data.parquet", text_col="<b>text</b>", samples=4,
                        gold=pd.DataFrame({"label": np.arange(n) % 2}))
    assert "&lt;b&gt;row&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page_text

    class Tags(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

    p = Tags()
    p.feed(page_text)
    assert p.tags.count("script") == 2 and "b" not in p.tags    # two pages, one sorting script each
