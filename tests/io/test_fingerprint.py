"""Input fingerprints cover every byte (they hashed only the first and last MiB: a file edited in
the middle with the same size kept its fingerprint). Old fingerprints of files up to 1 MiB were
already whole-file hashes and still match; old ones of larger files prove nothing ("unknown")."""

from __future__ import annotations

import hashlib

import pytest

from weaklabel.io import TableSource, file_fingerprint, files_fingerprint, input_match, same_input

MIB = 1 << 20


def _old_fingerprint(path) -> dict:
    """The fingerprint as earlier versions computed it (first and last MiB, then the size)."""
    data = path.read_bytes()
    h = hashlib.sha256(data[:MIB])
    if len(data) > MIB:
        h.update(data[max(MIB, len(data) - MIB):])
    h.update(str(len(data)).encode())
    return {"name": path.name, "size": len(data), "sha256_ends": h.hexdigest()[:32]}


def _flip_middle(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_byte_changed_in_the_middle_changes_the_fingerprint(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(range(256)) * (3 * MIB // 256 + 7))
    before, old_before = file_fingerprint(path), _old_fingerprint(path)
    _flip_middle(path)
    after = file_fingerprint(path)
    assert after["size"] == before["size"] and after["covers"] == "all"
    assert _old_fingerprint(path) == old_before            # the defect: the old one did not see it
    assert input_match(before, after) == "differs" and not same_input(before, after)
    assert input_match(file_fingerprint(path), after) == "same"


@pytest.mark.parametrize("size", [0, 1, MIB - 1, MIB])
def test_files_up_to_one_mib_keep_their_old_fingerprint(tmp_path, size):
    """Votes made by earlier versions from such files keep matching (and golden records stay)."""
    path = tmp_path / "small.bin"
    path.write_bytes(b"x" * size)
    new = file_fingerprint(path)
    assert new == _old_fingerprint(path) and "covers" not in new
    assert input_match(_old_fingerprint(path), new) == "same"


def test_an_old_fingerprint_of_a_larger_file_is_unknown_and_another_size_differs(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"y" * (2 * MIB + 5))
    new, old = file_fingerprint(path), _old_fingerprint(path)
    assert input_match(old, new) == "unknown"            # even when it still matches: it proves nothing
    assert input_match({**old, "size": old["size"] + 1}, new) == "differs"
    for garbage in ({}, {"size": "2 MiB"}, {"size": new["size"], "sha256_ends": None, "covers": "all"}, []):
        assert input_match(garbage, new) in ("differs", "unknown")


def test_several_files_are_one_whole_fingerprint(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for k in range(3):
        (folder / f"part.{k}.bin").write_bytes(bytes([k]) * (MIB // 2 + 1000))
    files = sorted(folder.iterdir())
    before = files_fingerprint("data/part.*.bin", files)
    # the same value as the folder's (which is marked: it covers the folder's data files only)
    assert before["covers"] == "all"
    assert before | {"files": "data"} == file_fingerprint(folder) | {"name": before["name"]}
    _flip_middle(files[1])
    assert input_match(before, files_fingerprint("data/part.*.bin", files)) == "differs"


def test_a_source_takes_its_fingerprint_once(tmp_path):
    """apply records the fingerprint of the data as it was before reading, not after."""
    import pandas as pd

    path = tmp_path / "d.parquet"
    pd.DataFrame({"a": range(10)}).to_parquet(path)
    src = TableSource(path)
    first = src.fingerprint()
    pd.DataFrame({"a": range(11)}).to_parquet(path)
    assert src.fingerprint() is first and file_fingerprint(path) != first


def test_memory_stays_flat(tmp_path, monkeypatch):
    """The file is read through one reused buffer, not whole."""
    import weaklabel.io.fingerprint as fp

    reads = []
    real_open = open

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.fh.close()

        def readinto(self, buf):
            reads.append(len(buf))
            return self.fh.readinto(buf)

    monkeypatch.setattr(fp, "open", lambda *a, **k: Spy(real_open(*a, **k)), raising=False)
    path = tmp_path / "big.bin"
    path.write_bytes(b"z" * (3 * fp._CHUNK + 10))
    fp.file_fingerprint(path)
    assert len(reads) == 5 and set(reads) == {fp._CHUNK}


def test_a_folder_has_the_fingerprint_of_its_data_files_and_the_old_one_of_every_file(tmp_path):
    """folder_fingerprints: this version's value (data files only, marked) and, for votes of earlier
    versions, theirs (every file), from one read of each file."""
    import weaklabel.io.fingerprint as fp

    folder = tmp_path / "data"
    folder.mkdir()
    for k in range(2):
        (folder / f"part.{k}.bin").write_bytes(bytes([k]) * (MIB // 2 + 1000))
    data = sorted(folder.iterdir())
    new, old = fp.folder_fingerprints(folder, data)
    assert new == file_fingerprint(folder) and old == {k: v for k, v in new.items() if k != "files"}
    (folder / "_SUCCESS").write_text("")
    (folder / ".part.0.bin.crc").write_bytes(b"crc")
    new2, old2 = fp.folder_fingerprints(folder, data)
    assert new2 == new == file_fingerprint(folder) and input_match(old, old2) == "differs"
    assert old2 == files_fingerprint("data", sorted(folder.iterdir()))     # every file, as earlier versions


def test_match_before_hash_says_what_the_sizes_and_the_old_fingerprint_settle():
    from weaklabel.io.fingerprint import match_before_hash

    full = {"name": "d", "size": 5 * MIB, "sha256_ends": "ab" * 16, "covers": "all"}
    assert match_before_hash(full, 5 * MIB) is None                      # the hash decides
    assert match_before_hash(full, 5 * MIB + 1) == "differs"
    assert match_before_hash({**full, "covers": None}, 5 * MIB) == "unknown"   # an old ends-only hash
    assert match_before_hash({"size": 10, "sha256_ends": "ab" * 16}, 10) is None
    for garbage in ({}, [], {"size": 5 * MIB, "sha256_ends": 7, "covers": "all"}):
        assert match_before_hash(garbage, 5 * MIB) in ("differs", "unknown")


def test_a_stop_ends_the_hash_within_a_chunk_and_read_errors_are_one_line(tmp_path, monkeypatch):
    import threading

    import weaklabel.io.fingerprint as fp
    from weaklabel.errors import InputError

    path = tmp_path / "big.bin"
    path.write_bytes(b"z" * (3 * fp._CHUNK + 10))
    stop = threading.Event()
    stop.set()
    with pytest.raises(fp.HashStopped):
        fp.table_fingerprint(path, [path], stop=stop)
    with pytest.raises(InputError, match="missing.bin: no such file"):
        file_fingerprint(tmp_path / "missing.bin")

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fp, "open", refuse, raising=False)
    with pytest.raises(InputError, match="big.bin: permission denied"):
        file_fingerprint(path)
