"""How close harcnn's raw-signal preprocessing comes to the real UCI HAR windows.

The HAPT raw recordings of the 21 UCI HAR training subjects are the signals the UCI HAR training
windows were cut from. For a sample of UCI HAR training windows this finds the matching stretch of
the subject's recording (least squares on harcnn's total_acc, which agrees with UCI's to about
0.001 g wherever both exist), and compares harcnn's window at that place with UCI's, per channel.

    python benchmarks/preprocess_agreement.py                 # the table for the default filters
    python benchmarks/preprocess_agreement.py --out benchmarks/results/preprocess_agreement.json
    python benchmarks/preprocess_agreement.py --tune          # compare filter settings first
"""

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from common import DEFAULT_ZIP, SHARED, write_record
from harcnn.data.preprocess import Filters, uci_har_channels
from harcnn.datasets import hapt
from harcnn.datasets.uci_har import CHANNELS, load_source

HAPT_ZIP = SHARED / "data" / "HAPT-RawData-train-subjects.zip"


def locate(raw_acc: np.ndarray, window: np.ndarray) -> tuple[int, float]:
    """Offset in `raw_acc` (n, 3) whose 128 samples best match the window's total_acc (3, 128)."""
    views = np.lib.stride_tricks.sliding_window_view(raw_acc, window.shape[1], axis=0)  # (m, 3, 128)
    cost = (views**2).sum((1, 2)) - 2 * np.einsum("mct,ct->m", views, window)
    best = int(np.argmin(cost))
    return best, float(np.sqrt(max(cost[best] + (window**2).sum(), 0) / window.size))


def match(uci_train, recordings, every: int):
    """(recording index, offset, uci window) for every `every`-th training window found."""
    by_user = {}
    for i, rec in enumerate(recordings):
        by_user.setdefault(int(rec.subject), []).append(i)
    total = [uci_har_channels(rec.values)[:, :3] for rec in recordings]
    matches = []
    for w in range(0, len(uci_train), every):
        subject = int(uci_train.subject[w])
        window = uci_train.X[w].astype(np.float64)
        best = min(((i, *locate(total[i], window[:3])) for i in by_user[subject]), key=lambda t: t[2])
        if best[2] < 0.05:  # rms error in g: static windows match to ~0.001, walking ones to ~0.03
            matches.append((best[0], best[1], window))
    return matches


def agreement(matches, recordings, filters: Filters) -> dict:
    processed = {}
    ours, theirs = [], []
    for i, offset, window in matches:
        if i not in processed:
            processed[i] = uci_har_channels(recordings[i].values, filters=filters)
        ours.append(processed[i][offset : offset + window.shape[1]].T)
        theirs.append(window)
    ours, theirs = np.array(ours), np.array(theirs)
    rows = {}
    for c, name in enumerate(CHANNELS):
        a, b = ours[:, c].ravel(), theirs[:, c].ravel()
        err = np.abs(a - b)
        rows[name] = {
            "corr": float(np.corrcoef(a, b)[0, 1]),
            "max": float(err.max()),
            "mean": float(err.mean()),
            "scale": float(np.abs(b).mean()),
        }
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--uci", type=Path, default=DEFAULT_ZIP)
    p.add_argument("--hapt", type=Path, default=HAPT_ZIP)
    p.add_argument("--every", type=int, default=25, help="use every N-th UCI HAR training window")
    p.add_argument("--tune", action="store_true", help="compare filter settings")
    p.add_argument("--out", type=Path, help="also write the figures as JSON (the docs' table reads it)")
    a = p.parse_args()
    t0 = time.perf_counter()
    uci = load_source(a.uci).train
    recordings = hapt.read(a.hapt)
    matches = match(uci, recordings, a.every)
    print(
        f"matched {len(matches)} of {len(range(0, len(uci), a.every))} sampled UCI HAR training windows to the HAPT raw recordings ({time.perf_counter() - t0:.0f} s)"
    )
    if a.tune:
        base = Filters()
        variants = {"default": base, "no median": replace(base, median=1), "median 5": replace(base, median=5)}
        variants |= {f"gravity order {k}": replace(base, gravity_order=k) for k in (1, 2, 4)}
        variants |= {"noise order 4": replace(base, noise_order=4)}
        print(f"{'filters':<18} " + " ".join(f"{n[:12]:>12}" for n in CHANNELS[::3]) + "   mean abs error: total, body, gyro (x axis)")
        for name, f in variants.items():
            rows = agreement(matches, recordings, f)
            print(f"{name:<18} " + " ".join(f"{rows[n]['mean']:12.5f}" for n in CHANNELS[::3]))
    rows = agreement(matches, recordings, Filters())
    print("\n| channel | correlation | mean abs error | max abs error | mean abs value (UCI) |\n|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['corr']:.4f} | {r['mean']:.5f} | {r['max']:.4f} | {r['scale']:.4f} |")
    if a.out:
        write_record(a.out, {"every": a.every, "sampled": len(range(0, len(uci), a.every)), "matched": len(matches), "channels": rows})


if __name__ == "__main__":
    main()
