"""Benchmark loaders: embedded tasks always; WRENCH, crowd and raw text on the shared data."""

import numpy as np
import pytest

from weaklabel.bench import datasets as D
from weaklabel.errors import InputError
from conftest import shared


@pytest.mark.parametrize("name, K, n, d", [("digits", 10, 1797, 64), ("breast_cancer", 2, 569, 30),
                                           ("wine", 3, 178, 13)])
def test_embedded_tasks(name, K, n, d):
    ds = D.load_embedded(name)
    assert ds.cardinality == K and ds.train.n + ds.test.n == n
    assert ds.train.features.shape[1] == d and ds.test.features.shape[1] == d
    assert ds.train.votes is None and ds.text_column is None
    # stratified 75/25 split with a fixed seed: same rows every time, every class in both
    assert abs(ds.test.n - round(0.25 * n)) <= 1
    assert set(np.unique(ds.test.y)) == set(range(K)) == set(np.unique(ds.train.y))
    again = D.load_embedded(name)
    np.testing.assert_array_equal(ds.test.y, again.test.y)
    assert ds.test.features.equals(again.test.features)


@pytest.mark.parametrize("name, K, sizes, m, test_counts", [
    ("youtube", 2, (1586, 120, 250), 10, [132, 118]),
    ("sms", 2, (4571, 500, 500), 73, [433, 67]),
    ("trec", 6, (5033, 500, 500), 68, [138, 94, 65, 9, 81, 113]),
    ("spouse_cage", 2, (22276, 2814, 2702), 10, [2484, 218]),
    ("tennis_flyingsquid", 2, (6959, 0, 746), 6, [437, 309]),
])
def test_wrench_loader(name, K, sizes, m, test_counts):
    ds = D.load_wrench(shared("wrench", name))
    assert ds.cardinality == K and ds.n_lfs == m
    assert (ds.train.n, ds.valid.n if ds.valid is not None else 0, ds.test.n) == sizes
    assert ds.train.votes.shape == (sizes[0], m) and ds.test.votes.shape == (sizes[2], m)
    assert np.bincount(ds.test.y, minlength=K).tolist() == test_counts
    assert ds.test.votes.row_ids["id"].nunique() == sizes[2]


def test_wrench_text_and_names():
    ds = D.load_wrench_dataset("youtube", shared("wrench").parent)
    assert ds.classes == ["HAM", "SPAM"] and ds.text_column == "text"
    assert ds.train.features["text"].str.len().min() > 0
    chem = D.load_wrench(shared("wrench", "chemprot"))
    assert chem.train.features is None and chem.cardinality == 10      # votes only


@pytest.mark.parametrize("name, items, workers, K, answers, gold", [
    ("dog", 807, 109, 4, 8070, 807), ("bluebird", 108, 39, 2, 4212, 108), ("web", 2665, 177, 5, 15567, 2653),
    ("trec", 19033, 762, 2, 88385, 2275),
    ("zencrowd_all", 2040, 78, 2, 20125, 2040),    # 21855 answers, 1730 repeated (item, worker) pairs
])
def test_crowd_loader(name, items, workers, K, answers, gold):
    ds = D.load_crowd(shared("crowd", name))
    assert ds.train.votes.shape == (items, workers) and ds.cardinality == K
    assert ds.train.votes.nnz == answers
    assert ds.test.n == gold and (ds.test.y >= 0).all()
    assert (ds.train.y >= 0).sum() == gold


def test_crowd_class_names_file():
    ds = D.load_crowd(shared("crowd", "weather_sentiment"))
    assert ds.cardinality == 5 and ds.classes[1] == "Negative"


@pytest.mark.parametrize("name, K, train, test", [("youtube", 2, 1467, 489), ("sms", 2, 4502, 500),
                                                  ("trec", 6, 4965, 500), ("imdb", 2, 2500, 2500),
                                                  ("yelp", 2, 3800, 3800)])
def test_text_tasks(name, K, train, test):
    root = shared("raw", name).parents[1]
    ds = D.load_text(name, root)
    assert (ds.train.n, ds.test.n, ds.cardinality) == (train, test, K)
    assert ds.text_column == "text" and ds.train.features["text"].map(type).eq(str).all()
    assert set(np.unique(ds.test.y)) == set(range(K))


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    assert D.resolve_data_dir(None) is None
    with pytest.raises(InputError, match="WEAKLABEL_DATA"):
        D.resolve_data_dir(None, required=True)
    with pytest.raises(InputError, match="not found"):
        D.resolve_data_dir(tmp_path / "nope")
    monkeypatch.setenv(D.ENV_VAR, str(tmp_path))
    assert D.resolve_data_dir(None) == tmp_path
    assert D.list_wrench(tmp_path) == [] and D.list_text(tmp_path) == []
    with pytest.raises(InputError, match="no wrench dataset"):
        D.load_wrench_dataset("youtube", tmp_path)


def test_loader_errors(tmp_path):
    (tmp_path / "train.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        D.load_wrench(tmp_path)
    (tmp_path / "label.csv").write_text("item,who,label\n0,1,1\n")
    (tmp_path / "truth.csv").write_text("item,truth\n0,1\n")
    with pytest.raises(InputError, match="no column 'worker'"):
        D.load_crowd(tmp_path)
