"""GeoTec's smartphone and smartwatch recordings (Matey-Sanz, Casteleyn and Granell, "Dataset of
inertial measurements of smartphones and smartwatches for human activity recognition", Data in
Brief 2023, doi 10.1016/j.dib.2023.109809; CC BY 4.0): 23 subjects, 223 executions each, a phone in
the back pocket (`sNN_EE_sp.csv`) and a watch (`sNN_EE_sw.csv`) recorded at once, accelerometer in
m/s^2, gyroscope in rad/s, millisecond UNIX timestamps, a label on every sample.

Its recordings are long CSVs that `harcnn data recordings` reads as they are; what is specific to
it is how a file's name carries subject, execution and device, said here once as `--pattern`s.
"""

from __future__ import annotations

DEVICES = {"phone": "sp", "watch": "sw"}
LICENCE = "CC BY 4.0"
CITATION = (
    "Matey-Sanz, M., Casteleyn, S., & Granell, C. (2023). Dataset of inertial measurements of smartphones and "
    "smartwatches for human activity recognition. Data in Brief, 109809."
)


def pattern(device: str = "phone", subjects: str = r"s\d+") -> str:
    """The `--pattern` that reads one device's files (`phone`, `watch`), or both joined on time
    (`both`), of the subjects matching the regular expression `subjects`."""
    if device not in (*DEVICES, "both"):
        raise ValueError(f"device must be one of {[*DEVICES, 'both']}, got {device!r}")
    code = "(?P<device>sp|sw)" if device == "both" else DEVICES[device]
    return rf"(?P<subject>{subjects})_(?P<recording>\d+)_{code}\.csv$"
