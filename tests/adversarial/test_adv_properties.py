"""Property tests (hypothesis): every label model on random vote matrices gives finite
probabilities whose rows sum to 1, deterministically, or a clear ValueError/InputError; random
mutations of a model file or of votes metadata give a model/votes that work or an InputError,
never another exception."""

from __future__ import annotations

import copy
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weaklabel.errors import InputError
from weaklabel.models import MODELS, BaseLabelModel


def synthetic_votes(n: int, m: int, K: int, seed: int = 0) -> np.ndarray:
    """Conditionally independent LFs of accuracy 0.6-0.9 and coverage 0.3-0.7."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    L = np.where(rng.random((n, m)) < np.linspace(0.6, 0.9, m), y[:, None], rng.integers(0, K, (n, m)))
    L[rng.random((n, m)) > np.linspace(0.3, 0.7, m)] = -1
    return L


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
                    derandomize=True)


@st.composite
def vote_matrices(draw):
    n = draw(st.integers(1, 40))
    m = draw(st.integers(0, 6))
    K = draw(st.integers(2, 4))
    flat = draw(st.lists(st.integers(-1, K - 1), min_size=n * m, max_size=n * m))
    return np.array(flat, dtype=np.int64).reshape(n, m), K


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(SETTINGS, max_examples=12)
@given(data=vote_matrices())
def test_models_on_random_votes_are_finite_normalised_and_deterministic(name, data):
    from weaklabel.votes import VoteMatrix

    L, K = data
    vm = VoteMatrix.from_dense(L, cardinality=K)
    try:
        p1 = MODELS[name]().fit(vm).predict_proba(vm)
    except (ValueError, InputError):
        return
    p2 = MODELS[name]().fit(vm).predict_proba(vm)
    assert p1.shape == (L.shape[0], K)
    assert np.all(np.isfinite(p1)) and np.all(p1 >= 0)
    np.testing.assert_allclose(p1.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_array_equal(p1, p2)


# --------------------------------------------------------------------------- JSON mutations
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 15, 10 ** 15) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=8)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:6]):
            yield from _paths(v, prefix + (i,))


def _mutate(obj, data):
    obj = copy.deepcopy(obj)
    paths = [p for p in _paths(obj) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = obj
        try:
            for k in path[:-1]:
                parent = parent[k]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue
    return obj


@pytest.fixture(scope="module")
def fitted_dicts():
    L = synthetic_votes(400, 5, 3)
    return {name: MODELS[name]().fit(L).to_dict() for name in ("ds", "hybrid", "weighted", "mc", "majority",
                                                                "triplet")}, L


@pytest.mark.parametrize("name", ["ds", "hybrid", "weighted", "mc", "majority", "triplet"])
@SETTINGS
@given(data=st.data())
def test_mutated_model_files_load_cleanly_or_raise_input_error(fitted_dicts, name, data):
    dicts, L = fitted_dicts
    mutated = _mutate(dicts[name], data)
    try:
        model = BaseLabelModel.from_dict(json.loads(json.dumps(mutated)), where="model.json")
    except InputError:
        return
    try:
        p = model.predict_proba(L)
    except InputError:
        return
    assert np.all(np.isfinite(p))


@pytest.fixture(scope="module")
def votes_file(tmp_path_factory):
    from weaklabel.votes import VoteMatrix

    folder = tmp_path_factory.mktemp("meta")
    vm = VoteMatrix.from_dense(synthetic_votes(50, 4, 3), cardinality=3, classes=["a", "b", "c"])
    vm.to_parquet(folder / "votes.parquet")
    return folder / "votes.parquet"


@SETTINGS
@given(data=st.data())
def test_mutated_votes_metadata_reads_cleanly_or_raises_input_error(votes_file, tmp_path_factory, data):
    from weaklabel.votes import VoteMatrix

    meta = json.loads(pq.read_metadata(votes_file).metadata[b"weaklabel"])
    mutated = _mutate(meta, data)
    table = pq.read_table(votes_file)
    dest = tmp_path_factory.mktemp("m") / "votes.parquet"
    pq.write_table(table.replace_schema_metadata({b"weaklabel": json.dumps(mutated).encode()}), dest)
    try:
        vm = VoteMatrix.read_parquet(dest)
    except InputError:
        return
    assert vm.classes is None or len(vm.classes) == vm.cardinality
