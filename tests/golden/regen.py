"""Regenerate tests/golden/golden.json from the current code.

    WEAKLABEL_DATA=/work/shared/data python tests/golden/regen.py            # everything
    WEAKLABEL_DATA=/work/shared/data python tests/golden/regen.py --check    # compare only, write nothing

Only for an INTENDED change of what `apply` or `fit` write (say so in the commit message and the
CHANGELOG). Never regenerate to make a refactoring pass: a move must leave these bytes alone.
Needs Dask (``pip install -e '.[dask]'``) and the shared data sets, so that no record is lost.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _golden as g  # noqa: E402


def build() -> dict:
    if not g.dask_available():
        sys.exit("regen.py needs Dask: pip install -e '.[dask]'")
    missing = [n for n in g.SHARED_SETS if not g.shared_available(n)]
    if missing:
        sys.exit(f"regen.py needs the shared data ({', '.join(missing)} not under {g.SHARED_DATA}; set WEAKLABEL_DATA)")
    out: dict = {"apply": {}, "votes": {}, "fit": {}}
    with tempfile.TemporaryDirectory() as tmp, g.dask_cluster() as scheduler:
        work = Path(tmp)
        for engine in ("local1", "local2", "dask"):
            out["apply"][engine] = g.apply_case(work, engine, scheduler)
        for name in g.SETS:
            out["votes"][name] = g.votes_record(work, name)
            for model in g.MODELS:
                for engine in g.ENGINES:
                    t = time.perf_counter()
                    out["fit"][f"{name}/{model}/{engine}"] = g.fit_case(work, name, model, engine, scheduler)
                    print(f"{name}/{model}/{engine}: {time.perf_counter() - t:.2f} s", file=sys.stderr)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with golden.json, write nothing")
    args = ap.parse_args()
    new = build()
    if args.check:
        old = g.load_golden()
        bad = [f"{sec}/{k}" for sec in new for k in new[sec] if old.get(sec, {}).get(k) != new[sec][k]]
        print("\n".join(bad) or "golden.json matches")
        return 1 if bad else 0
    g.GOLDEN.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {g.GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
