"""Apply throughput: row-wise LFs with 1 job vs all cores, and the same rules vectorized.

Generates N short texts (default 10^6) with a seeded vocabulary, writes them to Parquet, and
times ``weaklabel apply`` as a library call on three LF files holding the same 10 regex rules
(nine whole-word keyword rules and one ``\d{5,}``):

* **row-wise**: ``re.search`` per row;
* **vectorized (pandas)**: ``df["text"].str.contains(regex)`` per batch;
* **vectorized (keyword_lf)**: the nine keyword rules as ``weaklabel.keyword_lf`` templates,
  the digits rule as in the pandas file;

each with ``jobs=1`` and ``jobs=<all cores>``. All six outputs are checked to hold the same
votes. Each configuration runs in a fresh subprocess that first applies its LF file to 2,000
rows (imports, Numba cache load; reported as ``warmup_seconds``, not counted), so that peak
memory and times do not contaminate each other. A second, 4x smaller input checks that peak
memory does not grow with input size (batching). If ``snorkel`` is importable, its
``PandasLFApplier`` runs the same row-wise rules on a sample and the ratio is printed.

    python benchmarks/bench_apply.py              # 10^6 rows
    python benchmarks/bench_apply.py --rows 200000 --out /tmp/apply.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

KEYWORD_RULES = [  # (name, keywords, vote): the regex is \b(?:kw1|kw2)\b
    ("free", ["free"], 1), ("winner", ["winner", "won"], 1), ("cash", ["cash", "prize"], 1),
    ("click", ["click", "link"], 1), ("urgent", ["urgent", "now"], 1), ("meeting", ["meeting", "agenda"], 0),
    ("thanks", ["thanks", "thank you"], 0), ("lunch", ["lunch", "dinner"], 0), ("call_me", ["call me"], 0),
]
RULES = [(name, r"\b(?:" + "|".join(kws) + r")\b", vote) for name, kws, vote in KEYWORD_RULES]
RULES.append(("digits", r"\d{5,}", 1))   # (name, regex, vote)
WORDS = ("free winner cash prize click link urgent now meeting agenda thanks lunch dinner call me hello see you "
         "tomorrow please reply ok sure the a to and of in for on").split()


def make_texts(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vocab = np.array(WORDS + [str(x) for x in rng.integers(10000, 99999, size=20)])
    lengths = rng.integers(4, 16, size=n)
    idx = rng.integers(0, vocab.size, size=int(lengths.sum()))
    words = vocab[idx]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    texts = [" ".join(words[bounds[i]:bounds[i + 1]]) for i in range(n)]
    return pd.DataFrame({"id": np.arange(n, dtype=np.int64), "text": texts})


def lf_file(kind: str) -> str:
    """The LF file of one flavour: "row-wise", "pandas" or "keyword_lf"."""
    lines = ["import re", "import numpy as np", "from weaklabel import labeling_function, keyword_lf, ABSTAIN",
             "CLASSES = ['ham', 'spam']"]
    keywords = {name: (kws, vote) for name, kws, vote in KEYWORD_RULES}
    for name, rx, vote in RULES:
        if kind == "keyword_lf" and name in keywords:
            kws, _ = keywords[name]
            lines.append(f"{name} = keyword_lf({name!r}, {kws!r}, {vote}, case=True)")
        elif kind != "row-wise":
            lines.append(textwrap.dedent(f"""
                @labeling_function(vectorized=True)
                def {name}(df):
                    return np.where(df["text"].str.contains({rx!r}, regex=True), {vote}, ABSTAIN)
                """))
        else:
            lines.append(textwrap.dedent(f"""
                _{name} = re.compile({rx!r})
                @labeling_function
                def {name}(x):
                    return {vote} if _{name}.search(x.text) else ABSTAIN
                """))
    return "\n".join(lines)


CHILD = """
import json, resource, sys, time
from weaklabel import apply_file
lfs, data, out, jobs, warm = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
t0 = time.perf_counter()
apply_file(lfs, warm, out + ".warm", jobs=jobs, force=True)   # imports, Numba cache: not counted
warmup = time.perf_counter() - t0
t0 = time.perf_counter()
s = apply_file(lfs, data, out, jobs=jobs, force=True)
dt = time.perf_counter() - t0
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would report the parent's peak
# (the benchmark holds the generated texts in memory) instead of this process's own
self_rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": dt, "warmup_seconds": warmup, "rows": s.rows, "peak_rss_mib": self_rss / 1024,
                  "peak_worker_rss_mib": child_rss / 1024}))
"""


def run_child(lfs: Path, data: Path, out: Path, jobs: int, warm: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", CHILD, str(lfs), str(data), str(out), str(jobs), str(warm)],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def snorkel_ratio(df: pd.DataFrame, sample: int) -> dict | None:
    try:
        from snorkel.labeling import PandasLFApplier, labeling_function as snorkel_lf  # noqa: F401
    except ImportError:
        return None
    import re

    lfs = []
    for name, rx, vote in RULES:
        pat = re.compile(rx)

        def f(x, pat=pat, vote=vote):
            return vote if pat.search(x.text) else -1

        lfs.append(snorkel_lf(name=name)(f))
    part = df.iloc[:sample]
    t0 = time.perf_counter()
    PandasLFApplier(lfs).apply(part, progress_bar=False)
    return {"rows": sample, "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "apply.json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        df = make_texts(args.rows)
        data = tmp / "texts.parquet"
        df.to_parquet(data, row_group_size=100_000)
        small = tmp / "texts_small.parquet"
        df.iloc[: args.rows // 4].to_parquet(small, row_group_size=100_000)
        warm = tmp / "texts_warm.parquet"
        df.iloc[:2000].to_parquet(warm)
        kinds = ["row-wise", "pandas", "keyword_lf"]
        for kind in kinds:
            (tmp / f"{kind}.py").write_text(lf_file(kind))
        results, reference = [], None
        for kind in kinds:
            for jobs in (1, args.jobs):
                out = tmp / f"v_{kind}_{jobs}.parquet"
                r = run_child(tmp / f"{kind}.py", data, out, jobs, warm)
                r_small = run_child(tmp / f"{kind}.py", small, tmp / "v_small.parquet", jobs, warm)
                votes = pd.read_parquet(out).drop(columns=["row"])
                if reference is None:
                    reference = votes
                elif not votes.equals(reference):
                    raise SystemExit(f"{kind} jobs={jobs}: votes differ from row-wise jobs=1")
                out.unlink()
                results.append({"lfs": kind, "jobs": jobs, **r, "rows_per_s": r["rows"] / r["seconds"],
                                "peak_rss_mib_quarter_input": r_small["peak_rss_mib"]})
        sn = snorkel_ratio(df, min(args.rows, 100_000))

    def rate(kind, jobs):
        return next(r["rows_per_s"] for r in results if r["lfs"] == kind and r["jobs"] == jobs)

    base = rate("row-wise", 1)
    print(f"\napply throughput, {args.rows:,} texts x {len(RULES)} regex LFs "
          f"({platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores); "
          "all outputs hold the same votes")
    print(f"{'LFs':<12}{'jobs':>5}{'seconds':>10}{'rows/s':>12}{'vs row-wise jobs=1':>20}"
          f"{'peak RSS MiB':>14}{'(1/4 input)':>13}{'warm-up s':>11}")
    for r in results:
        print(f"{r['lfs']:<12}{r['jobs']:>5}{r['seconds']:>10.2f}{r['rows_per_s']:>12,.0f}"
              f"{r['rows_per_s'] / base:>19.1f}x{r['peak_rss_mib']:>14.0f}{r['peak_rss_mib_quarter_input']:>13.0f}"
              f"{r['warmup_seconds']:>11.2f}")
    J = args.jobs
    summary = {
        "rows": args.rows, "lfs": len(RULES), "cores": len(os.sched_getaffinity(0)), "results": results,
        "speedup_jobs": rate("row-wise", J) / base,
        "speedup_pandas_jobs1": rate("pandas", 1) / base,
        "speedup_pandas_all_cores": rate("pandas", J) / rate("row-wise", J),
        "speedup_keyword_lf_jobs1": rate("keyword_lf", 1) / base,
        "speedup_keyword_lf_all_cores": rate("keyword_lf", J) / rate("row-wise", J),
        "python": platform.python_version(),
    }
    if sn is not None:
        sn_rate = sn["rows"] / sn["seconds"]
        summary["snorkel_pandas_applier"] = {**sn, "rows_per_s": sn_rate, "ratio_weaklabel_jobs1": base / sn_rate}
        print(f"snorkel PandasLFApplier: {sn_rate:,.0f} rows/s; weaklabel row-wise jobs=1 is {base / sn_rate:.1f}x, "
              f"keyword_lf {rate('keyword_lf', 1) / sn_rate:.1f}x")
    print(f"jobs={J} speed-up: {summary['speedup_jobs']:.2f}x; vectorized vs row-wise at equal jobs: "
          f"pandas {summary['speedup_pandas_jobs1']:.1f}x (jobs=1) / {summary['speedup_pandas_all_cores']:.1f}x "
          f"(jobs={J}), keyword_lf {summary['speedup_keyword_lf_jobs1']:.1f}x / "
          f"{summary['speedup_keyword_lf_all_cores']:.1f}x")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
