"""What a ``weaklabel bench`` run will execute: the configuration (:class:`BenchConfig` and its
checks), the suites with their quick subsets, and the plan (:func:`plan`: the units in order).

Apart from the runners (:mod:`weaklabel.bench.suites`) because it is a different job: the CLI
builds a config and calls :func:`plan` to reject bad options before any work, and the runners
only execute units.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from ..autolf import METHODS
from ..errors import InputError
from ..models import MODELS
from . import datasets as dsets

SUITES = ("autows", "wrench", "crowd", "verifiers")
MAX_SEEDS = 10_000           # each seed is a whole run of every dataset; more is a typo (and filled memory)
VERIFIER_MODEL = "mixture"   # the continuous label model; only the verifiers suite runs it
QUICK = {"autows": ("breast_cancer", "wine", "digits"),
         "wrench": ("youtube", "sms", "tennis_flyingsquid"),
         "crowd": ("bluebird", "dog", "rte"),
         "verifiers": ("math", "mcq", "judges")}


# --------------------------------------------------------------------------- configuration
@dataclass
class BenchConfig:
    """What to run. ``tasks``/``models`` ``None`` = everything available."""

    suites: tuple[str, ...] = ("autows",)
    quick: bool = False
    seeds: tuple[int, ...] = (0, 1, 2)
    tasks: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    methods: tuple[str, ...] = METHODS
    n_labels: tuple[int, ...] = (100,)
    data_dir: Path | None = None
    max_lfs: int | None = None
    threads: int | None = 1
    dev_frac: float = 0.05

    def __post_init__(self):
        # a name or budget given twice ran twice (twice the time, and one leaderboard row per copy)
        for name in ("tasks", "models", "methods", "n_labels", "seeds"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, tuple(dict.fromkeys(value)))

    def model_names(self) -> list[str]:
        """The vote-based label models to run (``mixture`` is run by the verifiers suite only)."""
        names = list(self.models) if self.models else list(MODELS)
        unknown = [m for m in names if m not in MODELS and m != VERIFIER_MODEL]
        if unknown:
            raise InputError(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}, {VERIFIER_MODEL}")
        return [m for m in names if m != VERIFIER_MODEL]

    def verifier_models(self) -> list[str]:
        """Label models of the verifiers suite: ``mixture`` first, then the vote models."""
        names = list(self.models) if self.models else [VERIFIER_MODEL] + list(MODELS)
        self.model_names()
        return [VERIFIER_MODEL] + [m for m in names if m != VERIFIER_MODEL] if VERIFIER_MODEL in names else names

    def check(self) -> None:
        for s in self.suites:
            if s not in SUITES:
                raise InputError(f"unknown suite {s!r}; choose from {', '.join(SUITES)} or all")
        bad = [m for m in self.methods if m not in METHODS]
        if bad:
            raise InputError(f"unknown LF method {bad[0]!r}; choose from {', '.join(METHODS)}")
        if not self.seeds:
            raise InputError("need at least one seed")
        if min(self.seeds) < 0:
            raise InputError(f"--seed must be >= 0, got {min(self.seeds)}")
        if len(self.seeds) > MAX_SEEDS:
            raise InputError(f"--seeds must be at most {MAX_SEEDS:,}, got {len(self.seeds):,}")
        if max(self.seeds) >= 2 ** 32:   # numpy's seeds (the models', k-means') end there
            raise InputError(f"seeds must be below 2**32 ({2 ** 32}); --seed and --seeds give up to {max(self.seeds)}")
        if self.max_lfs is not None and self.max_lfs < 1:
            raise InputError(f"--max-lfs must be at least 1, got {self.max_lfs}")
        if self.threads is not None and self.threads < 0:
            raise InputError(f"--threads must be >= 0 (0: the libraries' default), got {self.threads}")
        if any(n < 2 for n in self.n_labels) or not self.n_labels:
            raise InputError("--n-labels must be integers >= 2")
        if not 0 <= self.dev_frac < 1:
            raise InputError(f"--dev-frac must be in [0, 1), got {self.dev_frac}")
        vote_models = self.model_names()
        if self.models and VERIFIER_MODEL in self.models and "verifiers" not in self.suites:
            # it would be silently dropped: a run of no model at all, or of fewer than asked
            raise InputError(f"--models {VERIFIER_MODEL} runs in the verifiers suite only; this run has suite "
                             f"{', '.join(self.suites)} (add --suite verifiers or all, or drop {VERIFIER_MODEL})")
        vote_suites = [s for s in self.suites if s != "verifiers"]
        if vote_suites and not vote_models:
            raise InputError(f"--models {', '.join(self.models or ())} has no vote model for suite "
                             f"{', '.join(vote_suites)}; add one of {', '.join(MODELS)}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["data_dir"] = str(self.data_dir) if self.data_dir is not None else None
        d["models"] = self.model_names()
        if "verifiers" in self.suites:
            d["verifier_models"] = self.verifier_models()
        return d


@dataclass
class Unit:
    """One step of a run: a dataset (or task) with one seed (and label budget)."""

    suite: str
    name: str
    seed: int
    n_labels: int | None = None

    def label(self) -> str:
        extra = f", {self.n_labels} labels" if self.n_labels is not None else ""
        return f"{self.suite}: {self.name} (seed {self.seed}{extra})"


# --------------------------------------------------------------------------- planning
def available(suite: str, data_dir: Path | None) -> list[str]:
    if suite == "verifiers":
        from .verifiers import PRESETS

        return list(PRESETS)
    if suite == "autows":
        return list(dsets.EMBEDDED_TASKS) + dsets.list_text(data_dir)
    if data_dir is None:
        return []
    return dsets.list_wrench(data_dir) if suite == "wrench" else dsets.list_crowd(data_dir)


def seed_range(seed: int, n_seeds: int) -> tuple[int, ...]:
    """``seed .. seed + n_seeds - 1``, refused before it is built when it is too long: the tuple of
    ``--seeds 5000000000`` filled the memory (a MemoryError traceback) before any check ran."""
    if n_seeds < 1:
        raise InputError(f"--seeds must be at least 1, got {n_seeds}")
    if n_seeds > MAX_SEEDS:
        raise InputError(f"--seeds must be at most {MAX_SEEDS:,}, got {n_seeds:,}")
    if seed < 0:
        raise InputError(f"--seed must be >= 0, got {seed}")
    return tuple(range(seed, seed + n_seeds))


def plan(cfg: BenchConfig) -> list[Unit]:
    """The units a run will execute, in order."""
    cfg.check()
    if any(s in ("wrench", "crowd") for s in cfg.suites) and cfg.data_dir is None:
        raise InputError(f"suites wrench and crowd need benchmark data: pass --data-dir DIR or set {dsets.ENV_VAR}")
    names_by_suite = {}
    for s in cfg.suites:
        avail = available(s, cfg.data_dir)
        if cfg.tasks:
            names = [t for t in cfg.tasks if t in avail]
        elif cfg.quick:
            # the usual quick subset, or whatever the data folder holds (up to as many)
            names = [t for t in QUICK[s] if t in avail]
            names += [t for t in avail if t not in names][: max(0, len(QUICK[s]) - len(names))]
        else:
            names = avail
        names_by_suite[s] = names
    if cfg.tasks:
        found = {n for names in names_by_suite.values() for n in names}
        missing = [t for t in cfg.tasks if t not in found]
        if missing:
            needs = {"wrench": "train.json", "crowd": "label.csv"}
            for s in cfg.suites:          # the folder is there, its main file is not: say that
                folder = cfg.data_dir / s / missing[0] if cfg.data_dir is not None and s in needs else None
                if folder is not None and folder.is_dir():
                    raise InputError(f"{folder}: no {needs[s]}, so not a {s} dataset")
            opts = sorted({n for s in cfg.suites for n in available(s, cfg.data_dir)})
            raise InputError(f"no task or dataset {missing[0]!r} in suite(s) {', '.join(cfg.suites)} "
                             f"(available: {', '.join(opts) or 'none'})")
    units = []
    for s in cfg.suites:
        for name in names_by_suite[s]:
            for seed in cfg.seeds:
                if s == "autows":
                    units.extend(Unit(s, name, seed, n) for n in cfg.n_labels)
                else:
                    units.append(Unit(s, name, seed))
    if not units:
        looked = {"wrench": "wrench/<name>/train.json", "crowd": "crowd/<name>/label.csv"}
        where = "; ".join(f"no {s} dataset in {cfg.data_dir}/{looked[s]}" for s in cfg.suites if s in looked)
        raise InputError(f"nothing to run: {where or 'no dataset found for the chosen suite(s)'}")
    return units
