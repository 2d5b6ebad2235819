import pytest

from weaklabel import load_lfs
from weaklabel.errors import InputError, LFDefinitionError


def test_collects_module_level_lfs_in_definition_order(write_lfs):
    p = write_lfs("""
        CLASSES = ["ham", "spam"]

        @labeling_function
        def zeta(x):
            return 1

        @labeling_function
        def alpha(x):
            return 0

        alias = zeta  # the same LF bound twice counts once
        """)
    mod = load_lfs(p)
    assert [lf.name for lf in mod.lfs] == ["zeta", "alpha"]
    assert mod.classes == ["ham", "spam"] and mod.cardinality == 2


def test_lfs_list_takes_precedence(write_lfs):
    p = write_lfs("""
        @labeling_function
        def a(x):
            return 1

        @labeling_function
        def b(x):
            return 0

        LFS = [b]
        """)
    assert [lf.name for lf in load_lfs(p).lfs] == ["b"]


def test_sibling_imports_work(tmp_path, write_lfs):
    (tmp_path / "helpers_for_lfs.py").write_text("WORD = 'spam'\n")
    p = write_lfs("""
        from helpers_for_lfs import WORD

        @labeling_function
        def a(x):
            return 1 if WORD in x.text else -1
        """)
    assert load_lfs(p).lfs[0].name == "a"


@pytest.mark.parametrize("body, line, name", [
    # a second def of one name replaces the first LF at module level
    ("@labeling_function\ndef f(x): return 1\n@labeling_function\ndef f(x): return 0\n", 2, "f"),
    # LFs kept only in a list not named LFS (Snorkel's lower-case `lfs = [...]`), from a template too
    ("from weaklabel import keyword_lf\n@labeling_function\ndef f(x): return 1\n"
     "lfs = [keyword_lf(w, w, 0) for w in ['bad', 'awful']]\n", 5, "bad"),
    ("def make(w):\n    return labeling_function(name=w)(lambda x: 0)\nRULES = {'a': make('a')}\n", 3, "a"),
])
def test_lfs_the_file_makes_but_would_skip_are_an_error(write_lfs, body, line, name):
    p = write_lfs(body)
    with pytest.raises(LFDefinitionError) as info:
        load_lfs(p)
    msg = str(info.value)
    assert msg.startswith(f"lfs.py:{line}: labeling function {name!r} is not bound") and "LFS = [...]" in msg
    assert "\n" not in msg


def test_lfs_made_elsewhere_or_listed_in_LFS_are_not_skipped_lfs(tmp_path, write_lfs):
    # a sibling module's LFs that this file does not import are that module's business
    (tmp_path / "shared_lfs_mod.py").write_text(
        "from weaklabel import labeling_function\n@labeling_function\ndef a(x): return 1\n"
        "@labeling_function\ndef b(x): return 0\n")
    p = write_lfs("from shared_lfs_mod import a\n")
    assert [lf.name for lf in load_lfs(p).lfs] == ["a"]
    # with LFS the list is the choice: LFs left out of it are left out on purpose
    p = write_lfs("from weaklabel import keyword_lf\n@labeling_function\ndef f(x): return 1\n"
                  "spare = [keyword_lf(w, w, 0) for w in ['bad', 'awful']]\nLFS = [f, spare[1]]\n")
    assert [lf.name for lf in load_lfs(p).lfs] == ["f", "awful"]


@pytest.mark.parametrize("body, names", [
    # a decorator of the user's that wraps an LF in a new one of the same name
    ("from weaklabel import LabelingFunction\ndef negate(lf):\n"
     "    return LabelingFunction(lf.name, lambda x: 1 - lf(x) if lf(x) >= 0 else -1)\n"
     "@negate\n@labeling_function()\ndef lf_pos(x): return 1\n", ["lf_pos"]),
    # an LF switched off with del
    ("@labeling_function()\ndef lf_a(x): return 1\n@labeling_function()\ndef lf_off(x): return 0\ndel lf_off\n",
     ["lf_a"]),
    # a temporary LF made in a function at import time
    ("def _check():\n    @labeling_function()\n    def tmp(x): return 1\n    assert tmp({'text': 'a'}) == 1\n"
     "_check()\n@labeling_function()\ndef lf_a(x): return 1\n", ["lf_a"]),
    # template LFs bound through globals()
    ("from weaklabel import keyword_lf\nfor w in ['good', 'great']:\n"
     "    globals()[f'kw_{w}'] = keyword_lf(f'kw_{w}', [w], label=1)\n", ["kw_good", "kw_great"]),
])
def test_lfs_a_file_makes_on_purpose_without_binding_them_are_not_an_error(write_lfs, body, names):
    assert [lf.name for lf in load_lfs(write_lfs(body)).lfs] == names


@pytest.mark.parametrize("body, message", [
    ("x = 1\n", "defines no labeling functions"),
    ("@labeling_function(name='same')\ndef a(x): return 1\n@labeling_function(name='same')\ndef b(x): return 1\n",
     "duplicate labeling function name 'same'"),
    ("import not_a_real_module_xyz\n", "lfs.py:2: error while importing: ModuleNotFoundError"),
    ("def broken(:\n", "lfs.py:2: SyntaxError"),
    ("CLASSES = 'ab'\n@labeling_function\ndef a(x): return 1\n", "CLASSES must be a list"),
    ("CLASSES = ['a', 'a']\n@labeling_function\ndef a(x): return 1\n", "repeated names"),
    ("LFS = [1]\n", "LFS[0] is 1, not a labeling function"),
])
def test_definition_errors_are_one_line(write_lfs, body, message):
    p = write_lfs(body)
    with pytest.raises(LFDefinitionError) as info:
        load_lfs(p)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_lfs(tmp_path / "nope.py")
