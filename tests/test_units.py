"""`harcnn.data.units`: units called on positive evidence only, declared units checked against the
signal, and never the wrong unit: on real recordings (GeoTec in m/s^2 and rad/s, HAPT in g and
rad/s) and on synthetic gentle gyroscopes in deg/s and rad/s."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from harcnn.data.recordings import Layout, Recording, read_sources
from harcnn.data.units import decide_units, for_model, recognise_units
from harcnn.datasets import hapt
from harcnn.errors import HarcnnError
from helpers import fails, synthetic, write_csv

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GEOTEC, HAPT = SHARED / "GeoTec-sp-sw-har-dataset.zip", SHARED / "HAPT-RawData-train-subjects.zip"
CHANNELS = ("ax", "ay", "az", "gx", "gy", "gz")


def needs(path: Path) -> None:
    if not path.is_file():
        from conftest import missing

        missing(f"{path.name} is needed (../shared/data)")


@pytest.mark.realdata
@pytest.mark.parametrize("device", ["sp", "sw"])
def test_geotec_phone_and_watch_are_recognised_in_m_s2_and_rad_s(device):
    needs(GEOTEC)
    recordings = read_sources([GEOTEC], rf"(?P<subject>s0[1-3])_(?P<recording>\d+)_{device}\.csv$")
    found = recognise_units(recordings)
    assert (found["acc"].unit, found["gyro"].unit) == ("m/s^2", "rad/s"), found
    in_degrees = [replace(r, values=np.c_[r.values[:, :3], np.degrees(r.values[:, 3:])]) for r in recordings]
    assert recognise_units(in_degrees)["gyro"].unit == "deg/s"


@pytest.mark.slow  # 42 real recordings: 1.6 s
@pytest.mark.realdata
def test_hapt_is_recognised_in_g_and_rad_s():
    needs(HAPT)
    recordings = [r.with_units(("",) * 6) for r in hapt.read(HAPT)[:6]]  # as if its units were not known
    decided, notes = decide_units(recordings)
    assert decided[0].units == ("g",) * 3 + ("rad/s",) * 3 and len(notes) == 2
    assert all(recognise_units([r])["gyro"].unit == "rad/s" for r in recordings)


def gentle(turn: float, seconds: float, seed: int, unit: str) -> Recording:
    """A phone that tilts at most `turn` times the shared synthetic phone (0.4 rad/s at 1): |gyro|
    stays under 35 deg/s, where the old rule read deg/s as rad/s."""
    rec = synthetic(int(50 * seconds), seed=seed, turn=turn)
    gyro = np.degrees(rec.gyro) if unit == "deg/s" else rec.gyro
    assert np.abs(np.degrees(rec.gyro)).max() < 35
    return Recording("gentle", np.arange(len(rec)) / 50.0, np.c_[rec.acc, gyro], CHANNELS, ("",) * 6, None, "s1")


@pytest.mark.parametrize("unit", ["rad/s", "deg/s"])
@pytest.mark.parametrize("turn", [0.0, 0.05, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("seconds", [6, 60])
def test_a_gentle_gyroscope_is_recognised_or_refused_never_the_wrong_unit(unit, turn, seconds):
    recording = gentle(turn, seconds, seed=int(10 * turn) + seconds, unit=unit)
    try:
        [decided], notes = decide_units([recording])
    except HarcnnError as e:
        assert "cannot tell the units of gyro channel 'gx'" in str(e) and "--units gyro=rad/s|deg/s" in str(e)
        assert turn < 1 or seconds < 60  # a minute of clear turning is always called
        return
    assert decided.units[3:] == (unit,) * 3 and "gravity turns as the gyroscope says" in notes[1]


def test_still_and_turning_gyroscopes_are_refused_and_called():
    with pytest.raises(HarcnnError, match=r"the device turns too little"):
        decide_units([gentle(0.0, 60, 0, "deg/s")])
    for unit in ("rad/s", "deg/s"):
        assert decide_units([gentle(1.0, 60, 1, unit)])[0][0].units[3] == unit


def test_declared_units_are_checked_against_the_signal():
    g_data = gentle(1.0, 60, 2, "rad/s")
    with pytest.raises(HarcnnError, match=r"--units gives 'ax' in m/s\^2, but the median acceleration magnitude .* the signal is in g"):
        decide_units([g_data.with_units(("m/s^2",) * 3 + ("",) * 3)])
    with pytest.raises(HarcnnError, match=r"--units gives 'gx' in deg/s, but gravity turns .* the signal is in rad/s"):
        decide_units([g_data.with_units(("",) * 3 + ("deg/s",) * 3)])
    still = gentle(0.0, 60, 3, "deg/s")  # no evidence: a declared unit is taken
    assert decide_units([still.with_units(("g",) * 3 + ("deg/s",) * 3)])[0][0].units[3] == "deg/s"
    no_gravity = replace(g_data, values=g_data.values * [50, 50, 50, 1, 1, 1])
    with pytest.raises(HarcnnError, match="is gravity in no unit harcnn knows"):
        decide_units([no_gravity.with_units(("g",) * 3 + ("rad/s",) * 3)])


def test_prediction_recognises_a_gentle_deg_s_gyroscope_or_says_it_assumed():
    from harcnn.data.pipeline import UCI_HAR

    turning, _ = for_model(gentle(1.0, 60, 4, "deg/s"), UCI_HAR)
    assert turning.units[3:] == ("deg/s",) * 3
    still, notes = for_model(gentle(0.0, 60, 5, "deg/s"), UCI_HAR)
    assert still.units[3:] == ("rad/s",) * 3 and any("turns too little" in n and "taken as the model's rad/s" in n for n in notes)


def test_mistyped_or_meaningless_units_are_refused(monkeypatch, capsys, tmp_path):
    rec = synthetic(3000, seed=6)
    folder = tmp_path / "rec"
    folder.mkdir()
    t = np.arange(len(rec)) / 50
    rows = np.column_stack([t, rec.acc, rec.gyro])
    lines = ["timestamp,ax,ay,az,gx,gy,gz,x,label,subject"] + [",".join(f"{v:.5f}" for v in r) + ",0.5,walk,s1" for r in rows]
    (folder / "r.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "d.npz"
    fails(monkeypatch, capsys, "--units gyr=...: 'gyr' is neither a kind of channel these recordings have (acc, gyro)",
          "data", "recordings", folder, "--out", out, "--units", "gyr=deg/s")  # fmt: skip
    fails(monkeypatch, capsys, "channel 'x' is neither an accelerometer's nor a gyroscope's by its name",
          "data", "recordings", folder, "--out", out, "--units", "x=g")  # fmt: skip
    assert not out.exists()
    with pytest.raises(HarcnnError, match="'gz ' is neither a kind"):
        read_sources([write_csv(tmp_path / "p.csv", rec)], layout=Layout(units={"gz": "rad/s", "acc": "g", "gz ": "g"}))
