"""Golden tests: `apply` and `fit` write the same bytes as recorded in golden.json.

Written against the code before the layout-by-concern move (issue 15): a refactoring must pass
them unchanged. Every label model x engine (in memory, ``--stream`` in row blocks, Dask in
partitions) on the example's votes and on two small shared sets (wrench/youtube, crowd/bluebird;
skipped when $WEAKLABEL_DATA is absent); `apply` on the example with 1 and 2 jobs and on Dask.
Labels and votes are compared column by column, bit for bit (digests of the raw values), with
their normalised metadata; model.json entry by entry after dropping volatile keys. See
``_golden.py`` for the canonical form and ``regen.py`` for when (rarely) to regenerate.

The Dask fits of the example run by default (one LocalCluster for the module); those of the
shared sets are marked slow.
"""

from __future__ import annotations

import pytest

import _golden as g

GOLDEN = g.load_golden()


def _diff(path: str, want, got) -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for k in sorted(set(want) | set(got)):
            out += _diff(f"{path}.{k}", want.get(k, "<absent>"), got.get(k, "<absent>"))
        return out
    return [] if want == got else [f"{path}: expected {str(want)[:120]}, got {str(got)[:120]}"]


def check(section: str, key: str, got: dict) -> None:
    want = GOLDEN[section][key]
    bad = _diff(f"{section}[{key}]", want, got)
    assert not bad, "output differs from the golden record (see tests/golden/regen.py):\n" + "\n".join(bad[:20])


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("golden")


@pytest.fixture(scope="module")
def scheduler():
    if not g.dask_available():
        pytest.skip("Dask is not installed (pip install 'weaklabel[dask]')")
    with g.dask_cluster() as address:
        yield address


def _need(name: str) -> None:
    if not g.shared_available(name):
        pytest.skip(f"shared data not available: {g.SHARED_DATA / g.SHARED_SETS[name][0]} (set WEAKLABEL_DATA)")


@pytest.mark.parametrize("engine", ["local1", "local2"])
def test_apply_example_local(work, engine):
    check("apply", engine, g.apply_case(work, engine))


def test_apply_example_dask(work, scheduler):
    check("apply", "dask", g.apply_case(work, "dask", scheduler))


@pytest.mark.parametrize("name", g.SETS)
def test_votes_of_the_sets(work, name):
    _need(name)
    check("votes", name, g.votes_record(work, name))


@pytest.mark.parametrize("engine", ["memory", "stream"])
@pytest.mark.parametrize("model", g.MODELS)
@pytest.mark.parametrize("name", g.SETS)
def test_fit_local(work, name, model, engine):
    _need(name)
    check("fit", f"{name}/{model}/{engine}", g.fit_case(work, name, model, engine))


@pytest.mark.parametrize("name", [pytest.param("example"),
                                  *(pytest.param(n, marks=pytest.mark.slow) for n in g.SHARED_SETS)])
@pytest.mark.parametrize("model", g.MODELS)
def test_fit_dask(work, scheduler, name, model):
    _need(name)
    check("fit", f"{name}/{model}/dask", g.fit_case(work, name, model, "dask", scheduler))


def test_the_golden_file_covers_every_model_and_engine():
    from weaklabel.models import MODELS

    assert sorted(g.MODELS) == sorted(MODELS), "a new model needs golden records: add it to _golden.MODELS"
    want = {f"{n}/{m}/{e}" for n in g.SETS for m in g.MODELS for e in g.ENGINES}
    assert set(GOLDEN["fit"]) == want and set(GOLDEN["apply"]) == {"local1", "local2", "dask"}
