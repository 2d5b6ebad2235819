"""Apply throughput: row-wise LFs with 1 job vs all cores, and the same rules vectorized.

Generates N short texts (default 10^6) with a seeded vocabulary, writes them to Parquet, and
times ``weaklabel apply`` as a library call on three LF files holding the same 10 regex rules:

* row-wise, ``jobs=1``;
* row-wise, ``jobs=<all cores>``;
* vectorized (pandas string methods), ``jobs=1``.

Peak memory is the process's maximum RSS measured in a fresh subprocess per configuration, so
that the figures do not contaminate each other. A second, 4x smaller input checks that peak
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

RULES = [  # (name, regex, vote)
    ("free", r"\bfree\b", 1), ("winner", r"\bwinner|won\b", 1), ("cash", r"\bcash|prize\b", 1),
    ("click", r"\bclick|link\b", 1), ("urgent", r"\burgent|now\b", 1), ("meeting", r"\bmeeting|agenda\b", 0),
    ("thanks", r"\bthanks|thank you\b", 0), ("lunch", r"\blunch|dinner\b", 0), ("call_me", r"\bcall me\b", 0),
    ("digits", r"\d{5,}", 1),
]
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


def lf_file(vectorized: bool) -> str:
    lines = ["import re", "import numpy as np", "from weaklabel import labeling_function, ABSTAIN",
             "CLASSES = ['ham', 'spam']"]
    for name, rx, vote in RULES:
        if vectorized:
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
lfs, data, out, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.perf_counter()
s = apply_file(lfs, data, out, jobs=jobs, force=True)
dt = time.perf_counter() - t0
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would report the parent's peak
# (the benchmark holds the generated texts in memory) instead of this process's own
self_rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": dt, "rows": s.rows, "peak_rss_mib": self_rss / 1024,
                  "peak_worker_rss_mib": child_rss / 1024}))
"""


def run_child(lfs: Path, data: Path, out: Path, jobs: int) -> dict:
    r = subprocess.run([sys.executable, "-c", CHILD, str(lfs), str(data), str(out), str(jobs)],
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
        (tmp / "row_lfs.py").write_text(lf_file(False))
        (tmp / "vec_lfs.py").write_text(lf_file(True))
        # warm-up (imports, file cache); not counted
        run_child(tmp / "row_lfs.py", small, tmp / "w.parquet", 1)

        configs = [("row-wise", "row_lfs.py", 1), ("row-wise", "row_lfs.py", args.jobs),
                   ("vectorized", "vec_lfs.py", 1), ("vectorized", "vec_lfs.py", args.jobs)]
        results = []
        for kind, lfs, jobs in configs:
            r = run_child(tmp / lfs, data, tmp / "v.parquet", jobs)
            r_small = run_child(tmp / lfs, small, tmp / "v_small.parquet", jobs)
            results.append({"lfs": kind, "jobs": jobs, **r, "rows_per_s": r["rows"] / r["seconds"],
                            "peak_rss_mib_quarter_input": r_small["peak_rss_mib"]})
        sn = snorkel_ratio(df, min(args.rows, 100_000))

    base = results[0]["rows_per_s"]
    print(f"\napply throughput, {args.rows:,} texts x {len(RULES)} regex LFs "
          f"({platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores)")
    print(f"{'LFs':<12}{'jobs':>5}{'seconds':>10}{'rows/s':>12}{'vs row-wise jobs=1':>20}"
          f"{'peak RSS MiB':>14}{'(1/4 input)':>13}")
    for r in results:
        print(f"{r['lfs']:<12}{r['jobs']:>5}{r['seconds']:>10.2f}{r['rows_per_s']:>12,.0f}"
              f"{r['rows_per_s'] / base:>19.1f}x{r['peak_rss_mib']:>14.0f}{r['peak_rss_mib_quarter_input']:>13.0f}")
    summary = {
        "rows": args.rows, "lfs": len(RULES), "cores": len(os.sched_getaffinity(0)), "results": results,
        "speedup_jobs": results[1]["rows_per_s"] / base,
        "speedup_vectorized": results[2]["rows_per_s"] / base,
        "speedup_vectorized_all_cores_vs_rowwise_all_cores": results[3]["rows_per_s"] / results[1]["rows_per_s"],
        "python": platform.python_version(),
    }
    if sn is not None:
        sn_rate = sn["rows"] / sn["seconds"]
        summary["snorkel_pandas_applier"] = {**sn, "rows_per_s": sn_rate, "ratio_weaklabel_jobs1": base / sn_rate}
        print(f"snorkel PandasLFApplier: {sn_rate:,.0f} rows/s; weaklabel row-wise jobs=1 is {base / sn_rate:.1f}x, "
              f"vectorized {results[2]['rows_per_s'] / sn_rate:.1f}x")
    print(f"jobs={args.jobs} speed-up: {summary['speedup_jobs']:.2f}x; vectorized vs row-wise: "
          f"{summary['speedup_vectorized']:.1f}x at jobs=1, "
          f"{summary['speedup_vectorized_all_cores_vs_rowwise_all_cores']:.1f}x at jobs={args.jobs}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
