"""Recordings (long CSV, per-trial files, HAPT) and the pipeline that cuts them into windows."""

import zipfile

import numpy as np
import pytest

from harcnn.data.pipeline import UCI_HAR, Pipeline, window_labels
from harcnn.data.preprocess import Stream, uci_har_channels
from harcnn.data.recordings import Layout, Recording, read_long_csv, read_recording, read_sources
from harcnn.data.units import decide_units
from harcnn.errors import HarcnnError
from helpers import fails, synthetic, write_csv


def test_uci_har_channels_body_is_total_minus_gravity():
    rec = synthetic()
    x = uci_har_channels(np.c_[rec.acc, rec.gyro])
    assert x.shape == (1000, 9)
    # gravity (~1 g on z) goes to total_acc and stays out of body_acc once the filter has settled
    assert abs(x[500:, 2].mean() - 1) < 0.05 and abs(x[500:, 5].mean()) < 0.05
    X, starts, _ = UCI_HAR.windows([rec.recording()])
    assert X.shape == (14, 9, 128) and np.allclose(starts, np.arange(14) * 1.28)


def test_stream_equals_offline_one_sample_later():
    """Causal median = centred median one sample later; the Butterworths are the same forward filters."""
    rec = synthetic(2000)
    offline = uci_har_channels(np.c_[rec.acc, rec.gyro])
    stream = Stream()
    got = []
    for chunk in np.array_split(np.arange(2000), 37):  # uneven chunks
        got += stream.push(np.c_[rec.acc, rec.gyro][chunk])
    assert [s for s, _ in got] == list(range(0, 2000 - 127, 64))
    start, window = got[5]
    np.testing.assert_allclose(window[:, 1:], offline[start : start + 127].T, atol=2e-3)


def test_resampling_keeps_the_signal_and_its_duration():
    slow, fast = synthetic(1000, rate=50.0), synthetic(2000, rate=100.0)
    pipeline = Pipeline(("ax", "ay", "az", "gx", "gy", "gz"), ("g",) * 3 + ("rad/s",) * 3, window=50, hop=50)
    k, values, _ = pipeline.regular(fast.recording().with_units(pipeline.units))
    assert len(k) == 1000 and k[0] == 0 and (np.diff(k) == 1).all()
    same, _, _ = pipeline.regular(slow.recording().with_units(pipeline.units))
    assert len(same) == 1000
    t = k / 50.0  # x (a 2 Hz shake and a slow tilt), low-passed at 20 Hz and resampled, is still what it was
    assert np.abs(values[50:-50, 0] - np.interp(t, np.arange(2000) / 100.0, fast.acc[:, 0])[50:-50]).max() < 0.05


def test_irregular_repeated_and_gappy_timestamps():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, 20, 2200))  # ~110 Hz, irregular
    t[100] = t[99]  # a repeated timestamp
    t[1200:] += 5.0  # a 5 s gap: no window may span it
    values = np.c_[np.zeros((2200, 2)), np.ones(2200), np.zeros((2200, 3))] + rng.normal(0, 0.01, (2200, 6))
    rec = Recording("r", t, values, ("ax", "ay", "az", "gx", "gy", "gz"), ("g",) * 3 + ("rad/s",) * 3, np.array(["a"] * 2200), "s1")
    pipeline = Pipeline(rec.channels, rec.units, window=100, hop=50)
    k, _, _ = pipeline.regular(rec)
    assert (np.diff(k) > 1).sum() == 1  # one hole, at the gap
    X, starts, labels = pipeline.windows([rec])
    ends = starts + 2.0
    gap_start, gap_end = t[1199] - t[0], t[1200] - t[0]
    assert len(X) > 10 and not ((starts < gap_start) & (ends > gap_end)).any()
    assert set(labels.tolist()) == {"a"}


def test_window_labels_by_policy():
    labels = np.array(["a"] * 10 + ["b"] * 3 + [""] * 7)
    starts = np.array([0, 4, 10])  # all a; a 6 + b 3 + 1 unlabelled; b 3 + 7 unlabelled
    assert window_labels(labels, starts, 10, "majority").tolist() == ["a", "a", ""]  # no label carries half the last: left out
    assert window_labels(labels, starts, 10, "centre").tolist() == ["a", "a", ""]
    assert window_labels(labels, starts, 10, "drop").tolist() == ["a", "", ""]
    assert (
        window_labels(labels, np.array([6]), 10, "centre").tolist()
        == ["b"]
        != window_labels(labels, np.array([6]), 10, "majority").tolist()
    )


def test_long_csv_with_subjects_recordings_and_time_in_milliseconds(tmp_path):
    rows = ["time,acc_x,acc_y,acc_z,label,subject,recording"]
    for subject in ("m1", "f2"):
        for i in range(200):
            rows.append(f"{1657544418000 + 20 * i},0.0,0.0,9.81,{'walk' if i < 100 else 'sit'},{subject},{subject}-a")
    recordings = read_long_csv("\n".join(rows).encode(), "long.csv")
    assert [r.key for r in recordings] == [("m1", "m1-a"), ("f2", "f2-a")]
    assert recordings[0].channels == ("acc_x", "acc_y", "acc_z") and np.allclose(np.diff(recordings[0].time), 0.02, atol=1e-6)
    [decided], notes = decide_units(recordings[:1])
    assert decided.units == ("m/s^2",) * 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("ax,ay,az\n1,2,3\n", "no time column (timestamp or time)"),
        ("timestamp,ax,ay\n0,1,2\n0.02,1,2\n", "lacks channel column(s) ['az']"),
        ("timestamp,ax,ay,az\n0,1,2,3\n0.02,1,2\n", "line 3 has 3 fields"),
        ("timestamp,ax,ay,az\n0.04,1,2,3\n0.02,1,2,3\n", "line 3: time goes backwards"),
        ("timestamp,ax,ay,az\n0,1,2,3\n0.02,1,x,3\n", "line 3: column 'ay' holds 'x', not a number"),
        ("timestamp,ax,ay,az\n0,1,2,3\n", "holds 1 sample line(s)"),
        ("timestamp,ax,ay,az\n0,1,2,3\n0.5,1,2,3\n1.0,1,2,3\n", "no time unit (s, ms, us, ns) gives a sampling rate"),
        ("timestamp,ax,ay,az\n0,1,2,3\n0.02,nan,2,3\n", "line 3 holds NaN"),
    ],
)
def test_long_csv_errors_name_the_line(tmp_path, text, message):
    path = tmp_path / "r.csv"
    path.write_text(text)
    with pytest.raises(HarcnnError, match=None) as error:
        read_recording(path, ("ax", "ay", "az"))
    assert message in str(error.value) and str(path) in str(error.value)


def test_units_recognised_declared_or_refused():
    rec = synthetic(1000)
    moving = rec.recording()
    in_si = Recording("si", moving.time, np.c_[rec.acc * 9.80665, np.degrees(rec.gyro)], moving.channels, ("",) * 6, None, "1")
    [found], notes = decide_units([in_si])
    assert found.units == ("m/s^2",) * 3 + ("deg/s",) * 3
    assert "acc in m/s^2: the median acceleration magnitude" in notes[0] and "read in deg/s" in notes[1]
    still = Recording("still", moving.time, np.c_[np.tile([0, 0, 1.0], (1000, 1)), rec.gyro * 0.01], moving.channels, ("",) * 6)
    with pytest.raises(
        HarcnnError,
        match=r"cannot tell the units of gyro channel 'gx' from the signal \(the device turns too little.*--units gyro=rad/s\|deg/s",
    ):
        decide_units([still])
    [declared], _ = decide_units([Recording("still", still.time, still.values, still.channels, ("g",) * 3 + ("deg/s",) * 3)])
    assert declared.units[3:] == ("deg/s",) * 3
    odd = Recording("odd", moving.time, np.c_[rec.acc * 1e3 * 7, rec.gyro], moving.channels, ("",) * 6)
    with pytest.raises(HarcnnError, match="cannot tell the units of acc channel 'ax'"):
        decide_units([odd])


def test_two_devices_join_on_their_timestamps():
    """The watch starts 0.3 s after the phone: joined, a step at t = 5 s lines up in both."""
    t_phone, t_watch = np.arange(0, 10, 0.01), np.arange(0.3, 10, 0.0123)

    def rec(t, device):
        step = (t >= 5).astype(float)
        values = np.c_[step, np.zeros(len(t)), np.ones(len(t))]
        return Recording(device, t, values, ("ax", "ay", "az"), ("g",) * 3, np.array(["a"] * len(t)), "s1", "r1", device)

    channels = ("sp:ax", "sp:ay", "sp:az", "sw:ax", "sw:ay", "sw:az")
    pipeline = Pipeline(channels, ("g",) * 6, window=50, hop=25, devices=("sp", "sw"))
    k, values, labels = pipeline.joined([rec(t_phone, "sp"), rec(t_watch, "sw")])
    assert k[0] == 15 and values.shape[1] == 6  # 0.3 s at 50 Hz: where both have samples
    rise = lambda column: k[np.argmax(values[:, column] > 0.5)] / 50  # noqa: E731
    assert abs(rise(0) - rise(3)) <= 0.02 and abs(rise(0) - 5) <= 0.02


def test_sources_patterns_and_per_trial_labels(tmp_path):
    for subject in ("s1", "s2"):
        for activity in ("walk", "sit"):
            folder = tmp_path / subject / activity
            folder.mkdir(parents=True)
            write_csv(folder / "trial_1.csv", synthetic(300, seed=len(activity) + 10 * int(subject[1])))
    recordings = read_sources([tmp_path], r"(?P<subject>s\d)/(?P<label>\w+)/trial_(?P<recording>\d+)\.csv$")
    assert sorted((r.subject, str(r.labels[0])) for r in recordings) == [("s1", "sit"), ("s1", "walk"), ("s2", "sit"), ("s2", "walk")]
    with pytest.raises(HarcnnError, match="group 'person' means nothing to harcnn"):
        read_sources([tmp_path], r"(?P<person>s\d)")
    with pytest.raises(HarcnnError, match=r"none of the 4 file\(s\) matches the pattern"):
        read_sources([tmp_path], r"nothing")
    with pytest.raises(HarcnnError, match=r"gz"):
        read_sources([tmp_path], r"\.csv$", Layout(channels=("ax", "gz", "gq")))


def long_csv(path, rec, header="timestamp,ax,ay,az,gx,gy,gz,label,subject", time=None, label="walk", subject="s1"):
    t = np.arange(len(rec)) / rec.rate if time is None else time
    rows = np.column_stack([t, rec.acc, rec.gyro])
    path.write_text(header + "\n" + "\n".join(",".join(f"{v:.6f}" for v in r) + f",{label},{subject}" for r in rows) + "\n")
    return path


def test_the_fast_and_the_line_by_line_reader_agree(tmp_path):
    """numpy's parser reads plain files; a quoted cell sends a file line by line: the same recordings."""
    plain = long_csv(tmp_path / "a.csv", synthetic(500))
    quoted = tmp_path / "b.csv"
    quoted.write_text(plain.read_text().replace(",walk,", ',"walk",'))
    [a], [b] = read_sources([plain]), read_sources([quoted])
    assert (a.values == b.values).all() and (a.time == b.time).all() and (a.labels == b.labels).all() and a.labels[0] == "walk"


def test_many_trials_are_grouped_in_file_order(tmp_path):
    rng = np.random.default_rng(0)
    lines = ["timestamp,ax,ay,az,label,subject,recording"]
    order = rng.permutation(300)
    for trial in order:
        lines += [f"{i / 50:.2f},0,0,1,walk,s{trial % 7},t{trial}" for i in range(10)]
    recordings = read_long_csv("\n".join(lines).encode(), "many.csv")
    assert [r.recording for r in recordings] == [f"t{t}" for t in order] and all(len(r) == 10 for r in recordings)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda h, r: (h.replace("timestamp", "timestamp,time"), [x.replace(",", ",0,", 1) for x in r]), "two time columns"),
        (lambda h, r: (h, r[:3] + [r[3].replace("walk", "w" * 140_000)]), "line 5: not a readable CSV row (field larger than field limit"),
        (lambda h, r: (h, r[:3] + [r[3].replace(r[3].split(",")[4], "1e308", 1)]), "line 5: gx is 1e+308, beyond any gyro sensor's range"),
    ],
    ids=["two-time-columns", "huge-cell", "1e308"],
)
def test_files_that_cannot_be_read_right_say_why(tmp_path, edit, message):
    header, *rows = long_csv(tmp_path / "a.csv", synthetic(300)).read_text().splitlines()
    header, rows = edit(header, rows)
    if "w" * 100 in rows[3]:
        rows[3] = rows[3].replace(",0.", ',"0.', 1).replace(",", '",', 2).replace('",', ",", 1)  # a quote: line by line
    (tmp_path / "a.csv").write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(HarcnnError, match=None) as error:
        read_sources([tmp_path / "a.csv"])
    assert message in str(error.value) and "a.csv" in str(error.value)


def test_time_units_declared_are_checked_and_bursts_are_timed_by_their_spans(tmp_path):
    rec = synthetic(500)
    ms = long_csv(tmp_path / "ms.csv", rec, time=np.arange(500) * 20.0)
    with pytest.raises(HarcnnError, match=r"with the time unit 's' the timestamps give 0.05 samples a second.*in ms they would \(50 Hz\)"):
        read_sources([ms], layout=Layout(time_unit="s"))
    assert np.allclose(np.diff(read_sources([ms], layout=Layout(time_unit="ms"))[0].time), 0.02)
    bursts = (np.arange(500) // 5) * 100_000 + (np.arange(500) % 5)  # 5 events 1 us apart every 100 ms: 50 Hz, in us
    [burst] = read_sources([long_csv(tmp_path / "b.csv", rec, time=bursts.astype(float))])
    assert abs(burst.time[-1] - burst.time[0] - 9.9) < 1e-3  # microseconds, not nanoseconds
    pipeline = Pipeline(CHANNELS_6, ("g",) * 3 + ("rad/s",) * 3, window=50, hop=25)
    assert sum(pipeline.bytes_needed([burst])) < 10e6  # resampled from 50 Hz, not from a 1 MHz grid
    k, _, _ = pipeline.regular(burst.with_units(pipeline.units))
    assert len(k) == 496


CHANNELS_6 = ("ax", "ay", "az", "gx", "gy", "gz")


def test_data_given_twice_is_refused(tmp_path):

    a = long_csv(tmp_path / "a.csv", synthetic(300, seed=1))
    with pytest.raises(HarcnnError, match="has the same contents as"):
        read_sources([a, tmp_path / "." / "a.csv"])
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "a.csv").write_bytes(a.read_bytes())
    with pytest.raises(HarcnnError, match="copy: a.csv: has the same contents as"):
        read_sources([a, tmp_path / "copy"])
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("r/a.csv", a.read_bytes())
        z.writestr("r/a.csv", long_csv(tmp_path / "b.csv", synthetic(300, seed=2)).read_bytes())
    with pytest.raises(HarcnnError, match="the zip holds two members named r/a.csv"):
        read_sources([tmp_path / "z.zip"])


def test_two_devices_files_of_one_trial_without_a_device_group_are_refused(tmp_path):
    for device, seed in (("sp", 3), ("sw", 4)):
        long_csv(tmp_path / f"s01_01_{device}.csv", synthetic(300, seed=seed), subject="s01")
    with pytest.raises(HarcnnError, match=r"subject 's01' trial '01' is also in .*name them with \(\?P<device>...\)"):
        read_sources([tmp_path], r"(?P<subject>s\d+)_(?P<recording>\d+)_(sp|sw)\.csv$", Layout())
    joined = read_sources([tmp_path], r"(?P<subject>s\d+)_(?P<recording>\d+)_(?P<device>sp|sw)\.csv$")
    assert sorted(r.device for r in joined) == ["sp", "sw"]


def test_a_zip_member_that_inflates_far_beyond_its_size_is_refused(tmp_path, monkeypatch):

    from harcnn.data import archive

    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("r.csv", b"timestamp,ax\n" + b"0" * 2_000_000)
    monkeypatch.setattr(archive, "MAX_MEMBER", 100_000)
    with pytest.raises(HarcnnError, match=r"r.csv would inflate from .* to 2,000,013 bytes.*a zip bomb"):
        read_sources([tmp_path / "bomb.zip"])


def test_windows_that_would_not_fit_in_memory_are_refused_before_cutting(tmp_path, monkeypatch):
    from harcnn.data import recording_windows
    from harcnn.data.recording_windows import load_recordings

    long_csv(tmp_path / "a.csv", synthetic(3000))
    monkeypatch.setattr("harcnn.resources.machine_memory", lambda: 16 * 2**20)
    monkeypatch.setattr(recording_windows.Pipeline, "windows", lambda *a: pytest.fail("cut before the memory check"))
    with pytest.raises(HarcnnError, match=r"1 recording\(s\) cut at 50 Hz into windows of 128 samples every 1 need\(s\) about .* GiB"):
        load_recordings([tmp_path / "a.csv"], overlap=0.999, units={"acc": "g", "gyro": "rad/s"})


def test_labels_changing_every_sample_and_clocks_apart_say_so(tmp_path):
    from harcnn.data.recording_windows import load_recordings

    rec = synthetic(1000, seed=7)
    path = long_csv(tmp_path / "a.csv", rec)
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0]] + [line.replace(",walk,", f",{'abc'[i % 3]},") for i, line in enumerate(text[1:])]) + "\n")
    units = {"acc": "g", "gyro": "rad/s"}
    with pytest.raises(HarcnnError, match=r"every one of the 14 windows cut is unlabelled, or no label covers half"):
        load_recordings([path], units=units)
    for device, start in (("sp", 0.0), ("sw", 5000.0)):
        long_csv(tmp_path / f"x_{device}.csv", rec, time=start + np.arange(1000) / 50, subject="s1")
    with pytest.raises(
        HarcnnError, match=r"the devices' recordings share no stretch of 2.56 s on their clocks \(sp 0-19.98 s, sw 5000-5019.98 s\)"
    ):
        load_recordings([tmp_path], pattern=r"x_(?P<device>sp|sw)\.csv$", units=units)


def test_window_labels_need_no_samples_by_labels_table():
    labels = np.array([f"l{i}" for i in range(20_000)]).repeat(64)  # 20,000 distinct labels, 1.3 million samples
    out = window_labels(labels, np.arange(0, len(labels) - 128, 64), 128, "majority")
    assert out[:3].tolist() == ["l0", "l1", "l2"] and (out != "").all()  # each window half one label, half the next: the earlier


@pytest.fixture
def phone_folder(tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    for i, subject in enumerate(("s1", "s2")):
        rec = synthetic(1000, seed=i)
        rows = np.column_stack([np.arange(1000) / 50, rec.acc, rec.gyro])
        lines = [",".join(f"{v:.5f}" for v in r) + f",walk,{subject}" for r in rows]
        (folder / f"{subject}.csv").write_text("timestamp,ax,ay,az,gx,gy,gz,label,subject\n" + "\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rate", "nan"], "--rate must be 5 to 1000 Hz, got nan"),
        (["--rate", "inf"], "--rate must be 5 to 1000 Hz, got inf"),
        (["--window", "nan"], "--window must be a positive number of seconds, got nan"),
        (["--seed", "-1"], "--seed must be a whole number from 0 to 4294967295, got -1"),
        (["--filter", "uci-har", "--rate", "20"], "filter 'uci-har' low-passes at 20 Hz, which needs a rate above 40 Hz; got 20 Hz"),
        (["--time-unit", "s", "--units", "acc=g,gyro=rad/s", "--rate", "40"], None),
    ],
    ids=["rate-nan", "rate-inf", "window-nan", "seed", "filter-rate", "ok"],
)
def test_recordings_options_are_checked_before_reading(monkeypatch, capsys, tmp_path, phone_folder, args, message):
    monkeypatch.setattr("harcnn.data.recording_windows.read_sources", lambda *a: pytest.fail("read before the options were checked"))
    if message is None:
        return
    fails(monkeypatch, capsys, message, "data", "recordings", phone_folder, "--out", tmp_path / "d.npz", *args)


def test_a_recordings_labels_take_8_bytes_a_sample_whatever_their_length():
    """A fixed-width text array would take 4 bytes a character of the longest label at every sample
    (`walking_downstairs`: 72 bytes; a million windows' samples: 4.6 GiB); one shared string per
    label keeps them at a pointer each, and reads the same."""
    names = np.array(["walking_downstairs", "sitting", ""])[np.arange(10_000) % 3]
    rec = Recording("r.csv", np.arange(10_000) / 50, np.zeros((10_000, 1)), ("ax",), ("g",), labels=names)
    assert rec.labels.nbytes == 8 * 10_000 and names.nbytes == 72 * 10_000
    assert (rec.labels == names).all() and len({id(v) for v in rec.labels}) == 3
