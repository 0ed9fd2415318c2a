"""Sensor facts the datasets, the recordings pipeline and prediction share, declared once: UCI HAR's
layout (rate, window, hop, channel names), the raw-recording columns and their units, and the
physical ranges that tell a recording's units apart."""

RATE = 50.0  # Hz: UCI HAR's and HAPT's sampling rate, and the rate raw recordings are resampled to
STEPS = 128  # samples in a window (2.56 s)
STEP = STEPS // 2  # the hop between windows (50 % overlap)
SIGNALS = ("total_acc", "body_acc", "body_gyro")
CHANNELS = tuple(f"{s}_{axis}" for s in SIGNALS for axis in "xyz")  # UCI HAR's nine, in its order
CSV_COLUMNS = ("timestamp", "ax", "ay", "az", "gx", "gy", "gz")  # a raw recording: seconds, g, rad/s

# Plausible physical ranges, to catch recordings in other units before they are predicted on.
RATE_RANGE = (5.0, 1000.0)  # Hz
GRAVITY_RANGE = (0.5, 2.0)  # median |acceleration| in g: gravity is always in it
GYRO_MAX = 35.0  # rad/s, about 2000 deg/s: the range of phone and wearable gyroscopes
