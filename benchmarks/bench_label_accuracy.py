"""Every label model on the 17 shared sets of PEERS.md, with the peers' protocol.

Prints (and writes as JSON + markdown) test accuracy, macro-F1 and fit time of every model in
``weaklabel.models.MODELS`` on each set, next to textbook majority vote and the per-dataset best
peer from ``PEERS.md``; then the same with 100 gold dev rows (``fit(L, y)``: semi-supervised
models and ``auto``'s cross-validated selection). The protocol is in
``weaklabel.bench.label_accuracy``. ``--sets youtube,crowd_dog`` restricts the sets (PEERS.md's
row names).

With ``--peers`` (needs ``benchmarks/requirements-peers.txt`` in the same environment) the peers
run in this run on the same sets, each (peer, set) in its own subprocess (``benchmarks/peers.py``),
with PEERS.md's protocol and settings: Snorkel's ``LabelModel`` (n_epochs=500, seed 0), crowd-kit's
``DawidSkene`` and ``OneCoinDawidSkene`` (n_iter=100; they cannot predict new rows, so on WRENCH
sets they are fitted on train + test votes without gold and read out on test) and FlyingSquid
(binary sets only, ``n/a`` otherwise); same scored rows and seeded random tie-breaking as
weaklabel. A peer over ``--peer-timeout`` seconds (240) is ``T/O``, one over
``--peer-memory-gib`` of address space (20) ``OOM``, a crash ``ERR`` (the one-line reason is
listed under the table). Their columns join the accuracy table, and a second table compares
weaklabel's default (``auto``, which is ``hybrid`` without gold; ``hybrid`` when ``auto`` is not in
``--models``) with each peer: mean accuracy, sets where weaklabel is better / equal / worse, the
smallest difference and the ratio of total fit + predict time (peer / weaklabel), on the sets
where the peer gave a result. Peer times exclude the subprocess's imports and data conversion;
weaklabel's models are warmed up first (Numba compile or cache load; only with ``--peers``).

    python benchmarks/bench_label_accuracy.py --data-dir ../shared/data
    python benchmarks/bench_label_accuracy.py --models hybrid,auto --no-dev
    python benchmarks/bench_label_accuracy.py --sets youtube,crowd_dog --no-dev --peers --out /tmp/la
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from weaklabel import __version__
from weaklabel.bench import label_accuracy as la
from weaklabel.bench.datasets import resolve_data_dir
from weaklabel.models import MODELS

HERE = Path(__file__).resolve().parent


def factory(name: str, seed: int):
    cls = MODELS[name]
    params = {"random_state": seed} if "random_state" in cls._param_names() else {}
    return lambda: cls(**params)


def warm_up(models: list[str], votes) -> float:
    """Fit and predict every model once on a small slice (Numba compile or cache load)."""
    t0 = time.perf_counter()
    small = votes.take(np.arange(min(200, votes.n_rows)))
    for m in models:
        factory(m, 0)().fit(small).predict_proba(small)
    return time.perf_counter() - t0


def run_peers(peerlib, suite: str, name: str, K: int, root: Path, timeout: float, memory_gib: float) -> dict:
    out = {}
    for p in peerlib.PEERS:
        if p in peerlib.BINARY_ONLY and K != 2:
            r = {"status": "n/a"}
        else:
            r = peerlib.run_json([str(HERE / "peers.py"), p, suite, name, str(root)], timeout, memory_gib)
            if "status" not in r:
                r["seconds"] = r["fit_seconds"] + r["predict_seconds"]
        out[p] = r
    return out


def peer_cell(r: dict) -> str:
    return f"{r['accuracy']:.3f}" if "accuracy" in r else r["status"]


def compare(rows: list[dict], vs: str, p: str) -> dict:
    """weaklabel's ``vs`` model against peer ``p`` on the sets where the peer gave a result."""
    ok = [r for r in rows if "accuracy" in r["peers"][p]]
    missing: dict[str, int] = {}
    for r in rows:
        if "accuracy" not in r["peers"][p]:
            missing[r["peers"][p]["status"]] = missing.get(r["peers"][p]["status"], 0) + 1
    out = {"sets": len(ok), "no_result": missing}
    if not ok:
        return out
    ours = np.array([r["models"][vs]["accuracy"] for r in ok])
    theirs = np.array([r["peers"][p]["accuracy"] for r in ok])
    diff = ours - theirs
    t_ours = sum(r["models"][vs]["fit_seconds"] + r["models"][vs]["predict_seconds"] for r in ok)
    t_peer = sum(r["peers"][p]["seconds"] for r in ok)
    out.update({"mean_accuracy": float(theirs.mean()), "mean_accuracy_weaklabel": float(ours.mean()),
                "better": int((diff > 1e-9).sum()), "equal": int((np.abs(diff) <= 1e-9).sum()),
                "worse": int((diff < -1e-9).sum()), "min_difference": float(diff.min()),
                "min_difference_set": ok[int(np.argmin(diff))]["set"], "seconds": float(t_peer),
                "seconds_weaklabel": float(t_ours), "time_ratio": float(t_peer / t_ours) if t_ours > 0 else None})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--dev-models", default="hybrid,ds,auto")
    ap.add_argument("--n-dev", type=int, default=100)
    ap.add_argument("--dev-seeds", type=int, default=3)
    ap.add_argument("--no-dev", action="store_true")
    ap.add_argument("--sets", default=None, help="comma-separated set names (default: all 17 of PEERS.md)")
    ap.add_argument("--peers", action="store_true",
                    help="also run Snorkel, crowd-kit and FlyingSquid (must be installed) on the same sets")
    ap.add_argument("--peer-timeout", type=float, default=240.0, help="seconds per (peer, set)")
    ap.add_argument("--peer-memory-gib", type=float, default=20.0, help="address-space cap per (peer, set)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "label_accuracy")
    args = ap.parse_args()
    root = resolve_data_dir(args.data_dir, required=True)
    peers = la.read_peers(root / "PEERS.md") if (root / "PEERS.md").exists() else {}
    models = [m for m in args.models.split(",") if m]
    dev_models = [m for m in args.dev_models.split(",") if m] if not args.no_dev else []
    sets = la.PEER_SETS
    if args.sets:
        wanted = [x for x in args.sets.split(",") if x]
        known = {la.set_name(s, n) for s, n in la.PEER_SETS}
        if set(wanted) - known:
            ap.error(f"--sets: unknown {', '.join(sorted(set(wanted) - known))}; choose from {', '.join(sorted(known))}")
        sets = [(s, n) for s, n in la.PEER_SETS if la.set_name(s, n) in wanted]
    peerlib = vs = None
    warmup_s = None
    if args.peers:
        sys.path.insert(0, str(HERE))
        import peers as peerlib

        missing = sorted(d for d, v in peerlib.versions().items() if v is None)
        if missing:
            ap.error(f"--peers: not installed in this environment: {', '.join(missing)} "
                     "(pip install -r benchmarks/requirements-peers.txt)")
        vs = "auto" if "auto" in models else "hybrid" if "hybrid" in models else None
        if vs is None:
            ap.error("--peers compares weaklabel's default with the peers: include auto or hybrid in --models")
        warmup_s = warm_up(models, la.unsupervised_task(la.load(*sets[0], root)).fit_votes)
    rows = []
    for suite, name in sets:
        ds = la.load(suite, name, root)
        task = la.unsupervised_task(ds)
        row = {"set": la.set_name(suite, name), "mv": la.score(task, None)["accuracy"],
               "mv_expected": la.expected_mv_accuracy(task),
               "peer_mv": peers.get(la.set_name(suite, name), {}).get("MV"),
               "best_peer": peers.get(la.set_name(suite, name), {}).get("best peer"), "models": {}, "dev": {}}
        for m in models:
            row["models"][m] = la.score(task, factory(m, 0))
        for m in dev_models:
            res = [la.score(la.dev_task(ds, args.n_dev, s), factory(m, s), s) for s in range(args.dev_seeds)]
            mv_dev = [la.expected_mv_accuracy(la.dev_task(ds, args.n_dev, s)) for s in range(args.dev_seeds)]
            row["dev"][m] = {"accuracy": float(np.mean([r["accuracy"] for r in res])),
                             "macro_f1": float(np.mean([r["macro_f1"] for r in res])),
                             "mv_expected": float(np.mean(mv_dev))}
        if peerlib is not None:
            row["peers"] = run_peers(peerlib, suite, name, ds.cardinality, root, args.peer_timeout,
                                     args.peer_memory_gib)
        rows.append(row)
        cells = "  ".join(f"{m} {row['models'][m]['accuracy']:.3f}" for m in models)
        if peerlib is not None:
            cells += "  |  " + "  ".join(f"{peerlib.PEERS[p]} {peer_cell(r)}" for p, r in row["peers"].items())
        print(f"{row['set']:<20} MV {row['mv']:.3f}  {cells}", flush=True)

    def col(m, key="accuracy", dev=False):
        return np.array([(r["dev"] if dev else r["models"])[m][key] for r in rows])

    mv = np.array([r["mv"] for r in rows])
    ref_mv = np.array([max(r["mv_expected"], r["peer_mv"] or 0) for r in rows])
    best = np.array([r["best_peer"] if r["best_peer"] is not None else np.nan for r in rows])
    summary = {"mean_mv": float(mv.mean()), "mean_best_peer": float(np.nanmean(best)), "models": {}, "dev": {}}
    for m in models:
        a = col(m)
        summary["models"][m] = {"mean_accuracy": float(a.mean()), "mean_macro_f1": float(col(m, "macro_f1").mean()),
                                "min_vs_mv": float((a - ref_mv).min()),
                                "worst_set": rows[int(np.argmin(a - ref_mv))]["set"],
                                "sets_below_mv_by_more_than_0.5pt": int(((a - ref_mv) < -0.005).sum()),
                                "total_fit_seconds": float(col(m, "fit_seconds").sum())}
    for m in dev_models:
        a = col(m, dev=True)
        mv_dev = np.array([r["dev"][m]["mv_expected"] for r in rows])
        summary["dev"][m] = {"mean_accuracy": float(a.mean()), "min_vs_mv": float((a - mv_dev).min())}
    peer_keys = list(peerlib.PEERS) if peerlib is not None else []
    if peer_keys:
        summary["peers"] = {"vs": vs, "versions": peerlib.versions(), "timeout_seconds": args.peer_timeout,
                            "memory_gib": args.peer_memory_gib, "weaklabel_warmup_seconds": warmup_s, "models": {}}
        for p in peer_keys:
            ok = [(r, rm) for r, rm in zip(rows, ref_mv) if "accuracy" in r["peers"][p]]
            a = np.array([r["peers"][p]["accuracy"] for r, _ in ok])
            summary["peers"]["models"][p] = {
                "name": peerlib.PEERS[p], "sets": len(ok),
                "mean_accuracy": float(a.mean()) if ok else None,
                "mean_macro_f1": float(np.mean([r["peers"][p]["macro_f1"] for r, _ in ok])) if ok else None,
                "min_vs_mv": float((a - np.array([rm for _, rm in ok])).min()) if ok else None,
                "vs_weaklabel": compare(rows, vs, p)}

    # ---------------------------------------------------------------- markdown
    head = "| set | MV | PEERS MV | best peer | " + " | ".join(models + [peerlib.PEERS[p] for p in peer_keys]) + " |"
    on = "the 17 sets" if len(rows) == len(la.PEER_SETS) else f"{len(rows)} of the 17 sets"
    lines = [f"Label-model test accuracy on {on} of PEERS.md (weaklabel {__version__}; "
             f"Python {platform.python_version()}). MV: textbook majority vote (random guess on "
             "rows without votes), tie-averaged (its expected accuracy; a single seeded draw moves by up to "
             "±3 points on the small sets); PEERS MV: the single draw PEERS.md reports; best peer: "
             "per-dataset best of Snorkel, FlyingSquid, crowd-kit and HyperLM from PEERS.md. Bold: below "
             "max(MV, PEERS MV) by more than 0.5 points."
             + (_peer_caption(summary["peers"]) if peer_keys else ""),
             "", head, "|" + "---|" * (4 + len(models) + len(peer_keys))]
    for r, rm in zip(rows, ref_mv):
        cells = []
        for m in models:
            a = r["models"][m]["accuracy"]
            cells.append(f"**{a:.3f}**" if a < rm - 0.005 else f"{a:.3f}")
        for p in peer_keys:
            c = peer_cell(r["peers"][p])
            cells.append(f"**{c}**" if "accuracy" in r["peers"][p] and r["peers"][p]["accuracy"] < rm - 0.005 else c)
        lines.append(f"| {r['set']} | {r['mv_expected']:.3f} | {r['peer_mv'] if r['peer_mv'] is not None else '-'} | "
                     f"{r['best_peer'] if r['best_peer'] is not None else '-'} | " + " | ".join(cells) + " |")
    mv_exp = np.array([r["mv_expected"] for r in rows])
    peer_mv = np.array([r["peer_mv"] if r["peer_mv"] is not None else np.nan for r in rows])
    pm = summary["peers"]["models"] if peer_keys else {}

    def peer_stat(p: str, key: str, fmt) -> list[str]:
        if pm[p]["sets"] == 0:
            return ["-"]
        n = f" ({pm[p]['sets']} set{'s' if pm[p]['sets'] != 1 else ''})" if pm[p]["sets"] < len(rows) else ""
        return [fmt(pm[p][key]) + n]

    lines.append(f"| **mean** | {mv_exp.mean():.3f} | {np.nanmean(peer_mv):.3f} | {np.nanmean(best):.3f} | "
                 + " | ".join([f"**{summary['models'][m]['mean_accuracy']:.3f}**" for m in models]
                              + [c for p in peer_keys for c in peer_stat(p, "mean_accuracy", lambda v: f"**{v:.3f}**")])
                 + " |")
    lines.append("| macro-F1 (mean) | | | | " + " | ".join([f"{summary['models'][m]['mean_macro_f1']:.3f}" for m in models]
                                                    + [c for p in peer_keys
                                                       for c in peer_stat(p, "mean_macro_f1", lambda v: f"{v:.3f}")])
                 + " |")
    lines.append("| min vs MV (pts) | | | | " + " | ".join([f"{100 * summary['models'][m]['min_vs_mv']:+.1f}" for m in models]
                                                    + [c for p in peer_keys
                                                       for c in peer_stat(p, "min_vs_mv", lambda v: f"{100 * v:+.1f}")])
                 + " |")
    lines.append(f"| fit time, {len(rows)} set{'s' if len(rows) != 1 else ''} | | | | "
                 + " | ".join([f"{summary['models'][m]['total_fit_seconds']:.1f} s" for m in models]
                              + ["" for _ in peer_keys]) + " |")
    if peer_keys:
        lines += _peer_tables(rows, summary["peers"], peerlib.PEERS)
    if dev_models:
        lines += ["", f"With {args.n_dev} gold dev rows (mean over {args.dev_seeds} draws; scored rows exclude "
                  "the dev rows):", "", "| set | MV | " + " | ".join(f"{m} + dev" for m in dev_models) + " |",
                  "|" + "---|" * (2 + len(dev_models))]
        for r in rows:
            lines.append(f"| {r['set']} | {r['dev'][dev_models[0]]['mv_expected']:.3f} | "
                         + " | ".join(f"{r['dev'][m]['accuracy']:.3f}" for m in dev_models) + " |")
        lines.append("| **mean** | | " + " | ".join(f"**{summary['dev'][m]['mean_accuracy']:.3f}**"
                                                 for m in dev_models) + " |")
    md = "\n".join(lines) + "\n"
    print("\n" + md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"rows": rows, "summary": summary,
                                                         "weaklabel": __version__}, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(md)
    print(f"wrote {args.out.with_suffix('.json')} and .md")


def _peer_caption(ps: dict) -> str:
    vers = ", ".join(f"{d} {v}" for d, v in ps["versions"].items())
    return (f" Peer columns: measured in this run ({vers}) with PEERS.md's protocol and settings; n/a: "
            f"binary-only model; T/O: over {ps['timeout_seconds']:.0f} s; OOM: over "
            f"{ps['memory_gib']:g} GiB of address space; ERR: the peer crashed (reason below the table).")


def _peer_tables(rows: list[dict], ps: dict, names: dict) -> list[str]:
    """The ERR reasons, then weaklabel's default against each peer."""
    lines = []
    errs = [f"{names[p]} on {r['set']}: {q['error']}" for r in rows for p, q in r["peers"].items()
            if q.get("status") in ("ERR", "OOM")]
    if errs:
        lines += ["", "Peer failures: " + "; ".join(errs) + "."]
    vs = ps["vs"]
    label = "`auto` without gold: `hybrid`, or majority vote where the check against it falls back" if vs == "auto" else f"`{vs}`"
    lines += ["", f"weaklabel default ({label}) vs each peer, same run, on the sets where the peer gave a result "
              "(difference = weaklabel - peer accuracy; equal = the same number of correct rows; time = total "
              "fit + predict over those sets, the peer's measured inside its subprocess without imports and data "
              f"conversion, weaklabel's after a warm-up of {ps['weaklabel_warmup_seconds']:.1f} s):", "",
              "| peer | sets | mean acc. weaklabel | mean acc. peer | better / equal / worse | min difference (pts) "
              "| time peer / weaklabel | no result |",
              "|---|---:|---:|---:|---:|---:|---:|---|"]
    for p, st in ps["models"].items():
        c = st["vs_weaklabel"]
        none = ", ".join(f"{k} {v}" for k, v in c["no_result"].items()) or "-"
        if c["sets"] == 0:
            lines.append(f"| {names[p]} | 0 | | | | | | {none} |")
            continue
        ratio = f"{c['time_ratio']:.1f}x" if c["time_ratio"] is not None else "-"
        lines.append(f"| {names[p]} | {c['sets']} | {c['mean_accuracy_weaklabel']:.3f} | {c['mean_accuracy']:.3f} | "
                     f"{c['better']} / {c['equal']} / {c['worse']} | {100 * c['min_difference']:+.1f} "
                     f"({c['min_difference_set']}) | {c['seconds']:.3g} s / {c['seconds_weaklabel']:.3g} s = {ratio} "
                     f"| {none} |")
    return lines


if __name__ == "__main__":
    main()
