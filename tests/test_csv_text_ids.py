"""CSV id columns whose text is not the canonical text of the number pandas infers (``007``,
``+3``, `` 4``, ``1e3``, ``1.50``) are read as text, by every command that reads a CSV id column:
`apply --id-col` used to turn ids "007" and "7" both into 7, and the commands that match ids
against a CSV (`analyze --gold`, `fit --dev`, `fit --keep-cols`, `evaluate`, `report --data/--gold`)
read them as numbers too. Columns whose text survives the inferred type keep it, exactly as before
(plain integers stay int64, so existing votes files keep matching and `--update` keeps working);
the decision is made on the whole column, so every batch of `apply` gets the same type."""

from __future__ import annotations

import json
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS, one_line_error
from weaklabel.cli import app

runner = CliRunner()

LFS = GOOD_BAD_LFS + '''
@labeling_function
def big(x):
    # a data column keeps its inferred type (int): text would raise here
    return 1 if x.n + 1 > 20 else ABSTAIN
'''

# "000" and "0", "001" and "1", ...: distinct rows, one id as pandas would read both
IDS = [t for i in range(12) for t in (f"{i:03d}", str(i))]


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def ok(*args):
    r = run(*args)
    assert r.exit_code == 0, r.output
    return r



def text_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture
def d(tmp_path):
    """data.csv (ids as IDS, unique texts, an int column n), the same rows shuffled, a gold.csv
    (a shuffled subset, some labels the LFs get wrong) and the votes apply made from data.csv."""
    (tmp_path / "lfs.py").write_text(LFS)
    rows = pd.DataFrame({"id": IDS,
                         "text": [f"{'good' if t.startswith('0') and len(t) > 1 else 'bad'} item {t}" for t in IDS],
                         "n": range(len(IDS))})
    rows.to_csv(tmp_path / "data.csv", index=False)
    rows.sample(frac=1, random_state=1).to_csv(tmp_path / "shuffled.csv", index=False)
    gold = rows.sample(n=18, random_state=2)[["id", "text"]].copy()
    gold["label"] = ["pos" if "good" in t else "neg" for t in gold["text"]]
    gold.loc[gold.index[::4], "label"] = gold.loc[gold.index[::4], "label"].map({"pos": "neg", "neg": "pos"})
    gold[["id", "label"]].to_csv(tmp_path / "gold.csv", index=False)
    assert text_csv(tmp_path / "data.csv")["id"].tolist() == IDS    # the file holds the texts
    ok("apply", tmp_path / "lfs.py", tmp_path / "data.csv", "-o", tmp_path / "votes.parquet", "--id-col", "id",
       "--jobs", "1", "-q")
    return tmp_path


def expected_counts(d) -> dict:
    """Per LF: (correct, incorrect) against gold.csv, matched on the ids' text."""
    votes = pq.read_table(d / "votes.parquet").to_pandas()
    m = votes.merge(text_csv(d / "gold.csv"), on="id")
    assert len(m) == 18
    y = (m["label"] == "pos").astype(int)
    return {lf: (int(((m[lf] >= 0) & (m[lf] == y)).sum()), int(((m[lf] >= 0) & (m[lf] != y)).sum()))
            for lf in ("good", "bad", "big")}


def test_apply_keeps_the_ids_text(d):
    r = run("apply", d / "lfs.py", d / "data.csv", "-o", d / "v2.parquet", "--id-col", "id", "--jobs", "1")
    assert r.exit_code == 0, r.output
    assert "more than once" not in r.stderr          # "007" and "7" are two ids
    t = pq.read_table(d / "v2.parquet")
    assert pa.types.is_string(t.schema.field("id").type) or pa.types.is_large_string(t.schema.field("id").type)
    assert t.column("id").to_pylist() == IDS
    # LFs saw the data columns with their inferred types: `big` votes where n >= 20
    assert t.column("big").to_pylist() == [1 if n + 1 > 20 else -1 for n in range(len(IDS))]


def test_analyze_gold_matches_by_the_ids_text(d):
    r = ok("analyze", d / "votes.parquet", "--gold", d / "gold.csv", "--json")
    got = {s["lf"]: (s["correct"], s["incorrect"]) for s in json.loads(r.stdout)["lfs"]}
    assert got == expected_counts(d)


def test_fit_dev_and_keep_cols_match_by_the_ids_text(d):
    r = ok("fit", d / "votes.parquet", "-o", d / "labels.parquet", "--dev", d / "gold.csv", "--json", "-q")
    assert json.loads(r.stdout)["dev_rows"] == 18
    ok("fit", d / "votes.parquet", "-o", d / "kept.parquet", "--keep-cols", "text,n", "--data", d / "shuffled.csv",
       "-q")
    kept = pq.read_table(d / "kept.parquet").to_pandas()
    data = text_csv(d / "data.csv")
    assert kept["id"].tolist() == IDS
    assert kept["text"].tolist() == data["text"].tolist()          # matched by id, not by the shuffled position
    assert kept["n"].tolist() == list(range(len(IDS)))              # a kept column keeps its type


def test_evaluate_matches_by_the_ids_text(d):
    ok("fit", d / "votes.parquet", "-o", d / "labels.parquet", "-m", "majority", "--ties", "abstain", "-q")
    r = ok("evaluate", d / "labels.parquet", "--gold", d / "gold.csv", "--json")
    res = json.loads(r.stdout)
    labels = pq.read_table(d / "labels.parquet").to_pandas()
    m = labels.merge(text_csv(d / "gold.csv"), on="id")
    y = (m["label_y"] == "pos").astype(int)
    covered = m["label_x"] >= 0
    assert res["gold_rows"] == 18 and res["gold_rows_unmatched"] == 0
    assert res["labelled_gold_rows"] == int(covered.sum())
    assert res["accuracy"] == pytest.approx(float((m["label_x"][covered] == y[covered]).mean()))


def test_report_matches_data_and_gold_by_the_ids_text(d):
    ok("fit", d / "votes.parquet", "-o", d / "labels.parquet", "-q")
    ok("report", d / "votes.parquet", "--labels", d / "labels.parquet", "--data", d / "shuffled.csv",
       "--gold", d / "gold.csv", "--label-col", "label", "-o", d / "report.html", "--samples", "5")
    html = (d / "report.html").read_text()
    data = dict(zip(*text_csv(d / "data.csv")[["id", "text"]].to_dict("list").values()))
    gold = dict(zip(*text_csv(d / "gold.csv")[["id", "label"]].to_dict("list").values()))
    shown = re.findall(r'<td class=l>id=([^<]*)</td><td class="txt">([^<]*)</td><td class="votes">[^<]*</td>'
                       r'<td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td></tr>', html)
    assert shown and any(i.startswith("0") and len(i) > 1 for i, _, _ in shown)
    for i, text, g in shown:
        assert text == data[i] and g == gold.get(i, "unknown"), (i, text, g)


def test_a_column_is_text_only_when_its_inferred_type_would_change_an_id(tmp_path):
    """Plain integers (with or without empty cells) and plain decimals keep the type pandas gives
    them, exactly as before; a column where that type would change some id's text is text."""
    (tmp_path / "lfs.py").write_text(LFS)
    cases = [  # (ids as written, Arrow type of the votes' ids, their values)
        (["7", "10", "12", "-3"], pa.int64(), [7, 10, 12, -3]),
        (["7", "", "12", "3"], pa.float64(), [7.0, None, 12.0, 3.0]),       # as pandas reads them, as before
        (["1.5", "2.25", "3.0", "4"], pa.float64(), [1.5, 2.25, 3.0, 4.0]),
        (["18446744073709551615", "1", "2", "3"], pa.uint64(), [2**64 - 1, 1, 2, 3]),
        (["007", "010", "012", "100"], "text", None),
        (["+3", "4", "5", "6"], "text", None),
        ([" 4", "5", "6", "7"], "text", None),
        (["1e3", "5", "6", "7"], "text", None),
        (["1.50", "2.5", "3.5", "4.5"], "text", None),
        (["-0", "1", "2", "3"], "text", None),
        (["9007199254740993", "", "1", "2"], "text", None),                   # float64 would round it
        (["true", "false", "true", "false"], "text", None),
        (["a1", "7", "8", "9"], "text", None),
    ]
    for k, (ids, typ, values) in enumerate(cases):
        data = tmp_path / f"d{k}.csv"
        quoted = [f'"{t}"' if t.strip() != t else t for t in ids]
        data.write_text("id,text,n\n" + "".join(f"{t},good {j},{j}\n" for j, t in enumerate(quoted)))
        votes = tmp_path / f"v{k}.parquet"
        ok("apply", tmp_path / "lfs.py", data, "-o", votes, "--id-col", "id", "--jobs", "1", "-q")
        col = pq.read_table(votes).column("id")
        if typ == "text":
            assert pa.types.is_string(col.type) or pa.types.is_large_string(col.type), (ids, col.type)
            assert col.to_pylist() == [t if t else None for t in ids], ids
        else:
            assert col.type == typ and col.to_pylist() == values, (ids, col.type, col.to_pylist())
        # a TSV is read by the same rule
        tsv = tmp_path / f"d{k}.tsv"
        tsv.write_text(data.read_text().replace(",", "\t"))
        ok("apply", tmp_path / "lfs.py", tsv, "-o", tmp_path / f"t{k}.parquet", "--id-col", "id", "--jobs", "1", "-q")
        assert pq.read_table(tmp_path / f"t{k}.parquet").column("id").equals(col)


@pytest.mark.parametrize("ids", [
    [str(i) for i in range(1, 10)] + ["010", "011"],                   # zeros only in the last batch
    [str(i) for i in range(1, 7)] + ["007", "008", "009", "a10"],      # text only in the last batch
])
def test_batched_apply_gives_every_batch_the_same_ids(tmp_path, ids):
    (tmp_path / "lfs.py").write_text(LFS)
    data = tmp_path / "data.csv"
    data.write_text("id,text,n\n" + "".join(f"{t},good {j},{j * 5}\n" for j, t in enumerate(ids)))
    for b in (3, 100_000):
        ok("apply", tmp_path / "lfs.py", data, "-o", tmp_path / f"v{b}.parquet", "--id-col", "id",
           "--batch-size", b, "--jobs", "1", "-q")
    small, whole = pq.read_table(tmp_path / "v3.parquet"), pq.read_table(tmp_path / "v100000.parquet")
    assert small.column("id").to_pylist() == ids
    assert small.equals(whole)                  # the same ids (and votes) whatever the batch size
    assert small.column("big").to_pylist() == [1 if j * 5 + 1 > 20 else -1 for j in range(len(ids))]


def test_update_keeps_working(tmp_path):
    """`--update` on votes made from a plain-int CSV (int64 ids, as before) and from a CSV of
    text ids, in batches; votes written with the old reading of "007" (int ids) are one line."""
    lfs, edited = tmp_path / "lfs.py", tmp_path / "lfs2.py"
    lfs.write_text(LFS)
    edited.write_text(LFS.replace('"bad" in x.text', '"bad" in x.text.lower()'))
    plain, padded = tmp_path / "plain.csv", tmp_path / "padded.csv"
    plain.write_text("id,text,n\n" + "".join(f"{i * 7},good {i},{i}\n" for i in range(1, 11)))
    padded.write_text("id,text,n\n" + "".join(f"{i:03d},bad {i},{i * 3}\n" for i in range(1, 11)))
    for data, want in ((plain, [i * 7 for i in range(1, 11)]), (padded, [f"{i:03d}" for i in range(1, 11)])):
        votes = tmp_path / f"{data.stem}.parquet"
        ok("apply", lfs, data, "-o", votes, "--id-col", "id", "--batch-size", 3, "--jobs", "1", "-q")
        before = pq.read_table(votes)
        r = ok("apply", edited, data, "-o", votes, "--id-col", "id", "--update", "--batch-size", 3, "--jobs", "1",
               "--json")
        assert json.loads(r.stdout)["ran"] == ["bad"]
        after = pq.read_table(votes)
        assert after.column("id").to_pylist() == want and after.schema.field("id").type == before.schema.field("id").type
        assert after.column("good").equals(before.column("good")) and after.column("big").equals(before.column("big"))
    assert pq.read_schema(tmp_path / "plain.parquet").field("id").type == pa.int64()
    # votes whose ids an older version read from padded.csv as numbers (7 for "007"): one line
    t = pq.read_table(tmp_path / "padded.parquet")
    old = t.set_column(0, "id", pa.array([int(v) for v in t.column("id").to_pylist()], pa.int64()))
    footer = pq.ParquetFile(tmp_path / "padded.parquet").metadata.metadata    # the weaklabel metadata
    pq.write_table(old.replace_schema_metadata(footer), tmp_path / "old.parquet")
    line = one_line_error(run("apply", lfs, padded, "-o", tmp_path / "old.parquet", "--id-col", "id", "--update",
                              "--jobs", "1"))
    assert "row ids" in line and "int64 there" in line and "string here" in line and "without --update" in line


def test_text_ids_against_integer_ids_are_one_line_naming_both(d):
    """Votes with text ids ("007") against a Parquet file of integer ids: one line showing a
    sample of each file's ids and their types."""
    pd.DataFrame({"id": [7, 10, 11, 3], "label": ["pos", "neg", "pos", "neg"],
                  "text": "x"}).to_parquet(d / "gold_int.parquet")
    ok("fit", d / "votes.parquet", "-o", d / "labels.parquet", "-q")
    for args in (("analyze", d / "votes.parquet", "--gold", d / "gold_int.parquet"),
                 ("fit", d / "votes.parquet", "-o", d / "l2.parquet", "--dev", d / "gold_int.parquet"),
                 ("evaluate", d / "labels.parquet", "--gold", d / "gold_int.parquet"),
                 ("report", d / "votes.parquet", "--gold", d / "gold_int.parquet", "-o", d / "r.html"),
                 ("fit", d / "votes.parquet", "-o", d / "l3.parquet", "--keep-cols", "text", "--data",
                  d / "gold_int.parquet")):
        line = one_line_error(run(*args))
        assert "gold_int.parquet" in line and "'000', '0', '001' (text)" in line, line
        assert "7, 10, 11 (int64)" in line, line
