"""A label column stored every which way, with ``--classes`` naming classes by digits: one label
is one class however it is stored (``autolf/labels.py``'s promise), also when the names look like
numbers (a review of the label-column parsing)."""

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from weaklabel.autolf.labels import labels_from_column
from weaklabel.cli import app

runner = CliRunner()


def test_whole_numbers_name_the_class_their_digits_name():
    """With classes named "1" and "2", the labels 1, "1", 1.0 and "1.0" are all class "1": 1.0
    and "1.0" were read as the class id 1, i.e. class "2" (and 2.0 was refused), silently
    mislabelling the rows of a column mixing numbers and text."""
    s = pd.Series([1, "1", 1.0, "1.0", 2, "2", 2.0, " 2.0 ", None], dtype=object)
    y, classes = labels_from_column(s, ["1", "2"], "t")
    assert classes == ["1", "2"]
    assert y.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, -1]
    # negative class names: -1.0 is the class "-1", not an unlabelled row; 1.0 is "1", not id 1 ("-1")
    y, _ = labels_from_column(pd.Series([-1.0, "-1", 1.0, 0], dtype=object), ["-2", "-1", "0", "1"], "t")
    assert y.tolist() == [1, 1, 3, 2]
    # ids still work where no class is named by the number
    y, _ = labels_from_column(pd.Series([0, 1.0, "1", "neg"], dtype=object), ["neg", "pos"], "t")
    assert y.tolist() == [0, 1, 1, 0]


def test_cli_mixed_label_column_with_digit_class_names(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    k = rng.integers(0, 2, n)
    label = pd.Series([(str(int(v) + 1) if i % 2 else float(v + 1)) if i < 120 else None for i, v in enumerate(k)],
                      dtype=object)
    pd.DataFrame({"f": k * 3 + rng.normal(size=n), "g": rng.normal(size=n), "label": label}).to_json(
        tmp_path / "t.jsonl", orient="records", lines=True)
    r = runner.invoke(app, ["autolf", str(tmp_path / "t.jsonl"), "--label-col", "label", "--classes", "1,2",
                            "--features", "f,g", "-o", str(tmp_path / "lfs.py"), "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["classes"] == ["1", "2"] and info["labelled_rows"] == 120
    # the best rule on f is nearly always right: its accuracy shows the labels were read as written
    assert max(lf["accuracy_labeled"] for lf in info["lfs"]) > 0.9, info["lfs"]
