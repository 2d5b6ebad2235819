"""autolf never turns data into code: hostile class names and column names (quotes, newlines, `#`,
triple quotes, backslashes, carriage returns, NUL, escapes, Unicode line separators) land in the
generated lfs.py only as literals, and applying the generated file runs nothing but the rules."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest

from weaklabel import apply_lfs, load_lfs
from weaklabel.autolf import generate_lfs
from weaklabel.autolf.export import _str, _text, to_python


def payloads(mark) -> list[str]:
    """Names that would run ``open(mark, "w")`` if spliced into source text."""
    m = str(mark)
    return [
        f'a"\nopen({m!r}, "w")\n#',
        f"b'''\nopen({m!r}, 'w')\n'''",
        f'c"""\nopen({m!r}, "w")\n"""',
        f"d\\\nopen({m!r}, 'w')",
        f"e\ropen({m!r}, 'w')",
        f"f\r\nopen({m!r}, 'w')#",
        f"g\u2028open({m!r}, 'w')",
        "h # ]\x1b[31m\x00\\",
        f"\u00e9t\u00e9 {{open({m!r}, 'w')}}",
        "\\",
    ]


def _numeric_frame(names: list[str], n: int = 240, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    cols = {name: y * 2.0 + rng.normal(0, 0.6, n) + j for j, name in enumerate(names)}
    return pd.DataFrame(cols), y


def _string_constants(source: str) -> set:
    return {n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _calls(source: str) -> set[str]:
    names = set()
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, ast.Call):
            f = n.func
            names.add(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "?")
    return names


ALLOWED_CALLS = {"labeling_function", "keyword_lf", "num", "softmax", "where", "to_numpy", "to_numeric",
                 "column_stack", "array", "max", "exp", "sum", "argmax", "count", "float",
                 "errstate", "isposinf"}     # softmax and the pair models on infinite values, quietly


@pytest.mark.parametrize("kind", ["columns", "classes", "both"])
def test_hostile_names_stay_literals_and_applying_runs_no_code(tmp_path, kind):
    mark = tmp_path / "pwned"
    bad = payloads(mark)
    cols = bad[:6] if kind in ("columns", "both") else [f"x{j}" for j in range(6)]
    classes = [bad[6], bad[2]] if kind in ("classes", "both") else ["neg", "pos"]
    X, y = _numeric_frame(cols)
    lfs = generate_lfs(X, y, "snuba", classes=classes, min_accuracy=0.55, random_state=0)
    assert len(lfs) > 0
    path = tmp_path / "lfs.py"
    lfs.write(path, format="python")
    source = path.read_text()
    compile(source, str(path), "exec")                      # valid Python
    consts = _string_constants(source)
    assert set(classes) <= consts                           # class names survive exactly, as literals
    used = {c for lf in lfs for c in ([lf.resources.get("column")] if "column" in lf.resources
                                      else lf.resources.get("columns", []))}
    assert used and used <= consts                          # so do the column names the rules read
    assert _calls(source) <= ALLOWED_CALLS, _calls(source) - ALLOWED_CALLS
    module = load_lfs(path)                                 # importing runs nothing else
    assert module.classes == classes
    got = apply_lfs(X, module.lfs, cardinality=2).to_dense()
    want = apply_lfs(X, list(lfs), cardinality=2).to_dense()
    np.testing.assert_array_equal(got, want)                # the file votes as the in-memory rules
    assert not mark.exists()


def test_hostile_text_column_and_model_format(tmp_path):
    mark = tmp_path / "pwned"
    col = payloads(mark)[0]
    rng = np.random.default_rng(1)
    words = np.array(["great", "awful", "fine", "bad", "good", "terrible"])
    y = rng.integers(0, 2, 300)
    text = [" ".join(rng.choice(words[[0, 2, 4]] if k else words[[1, 3, 5]], 4)) for k in y]
    X = pd.DataFrame({col: text})
    classes = payloads(mark)[1:3]
    lfs = generate_lfs(X, y, "snuba", classes=classes, text_column=col, random_state=0)
    written = lfs.write(tmp_path / "lfs.py", format="python")
    source = written[0].read_text()
    assert col in _string_constants(source)
    module = load_lfs(written[0])
    np.testing.assert_array_equal(apply_lfs(X, module.lfs, cardinality=2).to_dense(),
                                  apply_lfs(X, list(lfs), cardinality=2).to_dense())
    # the model format's loader lfs.py carries names in comments and the model file name
    Xn, yn = _numeric_frame(payloads(mark)[:3])
    gen = generate_lfs(Xn, yn, "cluster", classes=classes, random_state=0)
    files = gen.write(tmp_path / "gen.py", format="model")
    src = files[0].read_text()
    compile(src, "gen.py", "exec")
    load_lfs(files[0])
    assert not mark.exists()


@pytest.mark.parametrize("s", ["plain", r"\bfree\b", 'q"uote', "back\\", "new\nline", "cr\rx", "nul\x00",
                               "tab\tx", "\u2028", "é", "'''", '"""'])
def test_string_literals_round_trip(s):
    assert ast.literal_eval(_str(s)) == s
    t = _text(s)
    assert t.isprintable() and '"' not in t and "\n" not in t


def test_non_finite_thresholds_are_literals():
    from weaklabel.autolf.export import _fmt

    for v in (float("nan"), float("inf"), -float("inf"), 1.5):
        x = eval(_fmt(v), {"__builtins__": {"float": float}})
        assert (x != x) if v != v else x == v


def test_to_python_refuses_nothing_legitimate():
    X, y = _numeric_frame(["a", "b"])
    src = to_python(generate_lfs(X, y, "snuba", min_accuracy=0.55))
    assert "CLASSES = ['0', '1']" in src
