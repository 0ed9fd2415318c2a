"""UCI HAR loading on tiny data in the real file format: sources, cache, and one test per bad input."""

import zipfile

import numpy as np
import pytest

from conftest import CLASSES, write_matrix, zip_folder
from harcnn.data.resolve import load_dataset
from harcnn.datasets import uci_har
from harcnn.errors import HarcnnError
from helpers import cli


def test_fixture_uses_the_real_number_format(tiny_folder):
    line = (tiny_folder / "train" / "Inertial Signals" / "body_acc_x_train.txt").read_bytes().split(b"\r\n")[0]
    assert len(line) == 16 * 128
    assert line[:16].strip().endswith((b"e-001", b"e+000", b"e-002", b"e+001"))


def test_folder_zip_and_nested_zip_give_the_same_data(tiny_folder, tiny_zip, tmp_path):
    from_folder = uci_har.parse(tiny_folder)
    from_parent = uci_har.parse(tiny_folder.parent)
    from_zip = uci_har.parse(tiny_zip)
    outer = tmp_path / "human+activity+recognition+using+smartphones.zip"
    with zipfile.ZipFile(outer, "w") as z:
        z.write(tiny_zip, "UCI HAR Dataset.zip")
        z.writestr("__MACOSX/._UCI HAR Dataset.zip", b"junk")
    from_outer = uci_har.parse(outer)
    assert from_folder.train.X.shape == (24, 9, 128) and from_folder.test.X.shape == (12, 9, 128)
    assert from_folder.train.classes == tuple(CLASSES)
    assert from_folder.sha256 == from_parent.sha256 == from_zip.sha256 == from_outer.sha256
    np.testing.assert_array_equal(from_folder.train.y, np.arange(24) % 6)


def test_values_round_trip_the_text_format(tiny_folder, tmp_path):
    values = np.array([[1.808515e-04, -1.013856e-02] + [0.0] * 126])
    write_matrix(tmp_path / "m.txt", values)
    assert (tmp_path / "m.txt").read_bytes()[:32] == b"  1.8085150e-004 -1.0138560e-002"


def test_cache_is_used_and_a_changed_source_is_noticed(tiny_zip, tiny_folder, monkeypatch):
    first = load_dataset(str(tiny_zip))
    calls = []
    real_parse = uci_har.parse
    monkeypatch.setattr(uci_har, "parse", lambda p: calls.append(p) or real_parse(p))
    again = load_dataset(str(tiny_zip))
    assert calls == [] and again.sha256 == first.sha256
    np.testing.assert_array_equal(again.train.X, first.train.X)
    # rewrite the source with other values: the cache must not be trusted
    write_matrix(tiny_folder / "train" / "Inertial Signals" / "body_gyro_z_train.txt", np.ones((24, 128)))
    tiny_zip.unlink()
    zip_folder(tiny_folder, tiny_zip)
    changed = load_dataset(str(tiny_zip))
    assert len(calls) == 1 and changed.sha256 != first.sha256
    assert (changed.train.X[:, 8] == 1).all()


def test_default_dataset_after_fetch_and_clear_message_without_one(tiny_zip):
    with pytest.raises(HarcnnError, match="harcnn data fetch --from"):
        load_dataset()
    uci_har.fetch(str(tiny_zip))
    assert len(load_dataset().train) == 24


def test_environment_variable_names_the_data(tiny_zip, monkeypatch):
    monkeypatch.setenv("HARCNN_DATA", str(tiny_zip))
    assert len(load_dataset().test) == 12


def test_url_that_cannot_be_reached_says_how_to_work_offline():
    with pytest.raises(HarcnnError, match="Offline"):
        uci_har.fetch("http://127.0.0.1:9/UCI%20HAR%20Dataset.zip")


SIGNAL = "train/Inertial Signals/total_acc_y_train.txt"


def _edit_line(folder, rel, line_no, edit):
    path = folder / rel
    lines = path.read_bytes().split(b"\r\n" if b"\r\n" in path.read_bytes() else b"\n")
    lines[line_no - 1] = edit(lines[line_no - 1])
    path.write_bytes((b"\r\n" if b"\r\n" in path.read_bytes() else b"\n").join(lines))


@pytest.mark.parametrize(
    "rel, line, edit, message",
    [
        (SIGNAL, 3, lambda line: line[:-16], r"total_acc_y_train.txt: line 3 has 127 values, expected 128"),
        (SIGNAL, 5, lambda line: line[:100], r"total_acc_y_train.txt: line 5.*(truncated|not a number)"),
        (SIGNAL, 2, lambda line: line[:16] + b"             abc" + line[32:], r"line 2, value 2: 'abc' is not a number"),
        (SIGNAL, 4, lambda line: line[:16] + b"             nan" + line[32:], r"line 4, value 2 is nan"),
        (SIGNAL, 6, lambda line: b"             inf" + line[16:], r"line 6, value 1 is inf"),
        ("train/y_train.txt", 7, lambda line: b"7", r"y_train.txt line 7: label 7 is not in 1..6"),
        ("train/y_train.txt", 7, lambda line: b"0", r"y_train.txt line 7: label 0 is not in 1..6"),
        ("test/subject_test.txt", 2, lambda line: b"x", r"subject_test.txt: line 2, value 1: 'x' is not a number"),
    ],
    ids=["ragged-row", "truncated-row", "non-numeric", "nan", "inf", "label-7", "label-0", "bad-subject"],
)
def test_bad_values_name_file_and_line(tiny_folder, rel, line, edit, message):
    _edit_line(tiny_folder, rel, line, edit)
    with pytest.raises(HarcnnError, match=message):
        uci_har.parse(tiny_folder)


def test_missing_file(tiny_folder):
    (tiny_folder / "test" / "Inertial Signals" / "body_gyro_x_test.txt").unlink()
    with pytest.raises(HarcnnError, match=r"missing file test/Inertial Signals/body_gyro_x_test.txt"):
        uci_har.parse(tiny_folder)


def test_files_of_one_split_with_different_row_counts(tiny_folder):
    path = tiny_folder / SIGNAL
    path.write_bytes(b"\r\n".join(path.read_bytes().split(b"\r\n")[:-2]) + b"\r\n")
    with pytest.raises(HarcnnError, match=r"total_acc_y_train.txt has 23 rows but train/y_train.txt has 24"):
        uci_har.parse(tiny_folder)


def test_empty_file(tiny_folder):
    (tiny_folder / "train" / "y_train.txt").write_bytes(b"")
    with pytest.raises(HarcnnError, match=r"y_train.txt: the file is empty"):
        uci_har.parse(tiny_folder)


def test_corrupt_and_truncated_zip(tiny_zip, tmp_path):
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(tiny_zip.read_bytes()[: tiny_zip.stat().st_size // 2])
    with pytest.raises(HarcnnError, match=r"truncated.zip: not a readable zip file"):
        uci_har.parse(truncated)
    data = bytearray(tiny_zip.read_bytes())
    with zipfile.ZipFile(tiny_zip) as z:
        info = z.getinfo("UCI HAR Dataset/train/Inertial Signals/body_acc_z_train.txt")
    middle = info.header_offset + 100 + info.compress_size // 2
    data[middle : middle + 64] = bytes(64)
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(data))
    with pytest.raises(HarcnnError, match=r"corrupt.zip: .*body_acc_z_train.txt in the zip is corrupt"):
        uci_har.parse(corrupt)


def test_not_the_dataset(tmp_path):
    (tmp_path / "other").mkdir()
    with pytest.raises(HarcnnError, match="is this the UCI HAR folder"):
        uci_har.parse(tmp_path / "other")
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(HarcnnError, match="neither train/y_train.txt nor a nested"):
        uci_har.parse(tmp_path / "x.zip")


def test_a_damaged_cache_entry_is_rebuilt(monkeypatch, capsys, tiny_zip):
    from harcnn.datasets import uci_har

    assert cli(monkeypatch, capsys, "data", "fetch", "--from", tiny_zip)[0] == 0
    for npz_file in uci_har.cache_location().glob("*.npz"):
        npz_file.write_bytes(npz_file.read_bytes()[:1000])
    code, text = cli(monkeypatch, capsys, "data", "info")
    assert code == 0 and "WALKING" in text, text
    code, text = cli(monkeypatch, capsys, "data", "fetch", "--from", tiny_zip)
    assert code == 0, text


def test_a_broken_download_is_not_cached_and_urls_do_not_share_files(tmp_path, tiny_zip):
    from harcnn.datasets.uci_har import download
    from harcnn.errors import HarcnnError

    page = tmp_path / "a" / "UCI HAR Dataset.zip"
    page.parent.mkdir()
    page.write_text("<html>please log in</html>")
    with pytest.raises(HarcnnError, match="not a zip file"):
        download(page.as_uri())
    good = tmp_path / "b" / "UCI HAR Dataset.zip"
    good.parent.mkdir()
    good.write_bytes(tiny_zip.read_bytes())
    target = download(good.as_uri())
    assert zipfile.is_zipfile(target)
    page.write_bytes(b"PK" + b"0" * 100)
    with pytest.raises(HarcnnError):
        download(page.as_uri())  # same file name, another URL: not served from the good one's file
