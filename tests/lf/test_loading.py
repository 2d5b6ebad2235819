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
