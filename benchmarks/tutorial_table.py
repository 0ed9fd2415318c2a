"""The tutorial's studies table of the docs' Results page, from the runs `benchmarks/suite.py` writes
(benchmarks/results/tutorial/harcnn.db, exported by benchmarks/export_runs.py as harcnn.runs.json,
which is what is committed and read here): each configuration's test accuracy, mean +/- std over its
10 seeds (ddof 0, as the tutorial), Welch's p against the study's reference, beside the figure the
tutorial published.

    python benchmarks/tutorial_table.py            # markdown, one row per configuration
"""

from pathlib import Path

import numpy as np
from scipy import stats

from export_runs import load

RUNS = Path(__file__).parent / "results" / "tutorial" / "harcnn.runs.json"
STUDIES = {  # study -> (its reference label or None, {label: (what it is, the tutorial's figure)})
    "baseline": (None, {"baseline": ("CNN, 64 filters, kernel 3", "90.8 +/- 1.3")}),
    "multihead": (None, {"multihead": ("heads with kernels 3, 5, 11", "91.7 +/- 0.8")}),
    "standardize": ("standardize=False", {"standardize=False": ("raw inputs", "90.5"), "standardize=True": ("standardised", "91.5")}),
    "filters": ("filters=64", {f"filters={f}": (f"{f} filters", t) for f, t in zip((8, 16, 32, 64, 128, 256), ("89.1", "90.4", "90.4", "90.1", "91.0", "90.7"))}),
    "kernel": ("kernel=3", {f"kernel={k}": (f"kernel {k} (15 epochs)", t) for k, t in zip((2, 3, 5, 7, 11), ("90.2", "90.3", "91.9", "91.3", "91.5"))}),
}  # fmt: skip


def main() -> None:
    runs = load(RUNS)
    accuracies = {}
    for run in runs:
        accuracies.setdefault((run.study, run.label), []).append(100 * run.accuracy)
    versions = sorted({run.harcnn_version for run in runs})
    print("| study | configuration | tutorial | harcnn (mean +/- std, n) | Welch p against the reference | command |")
    print("|---|---|---|---|---|---|")
    for study, (reference, configurations) in STUDIES.items():
        for label, (what, published) in configurations.items():
            a = np.array(accuracies.get((study, label), []))
            if not len(a):
                continue
            ref = np.array(accuracies.get((study, reference), []))
            p = f"{stats.ttest_ind(a, ref, equal_var=False).pvalue:.2g}" if reference and label != reference and len(ref) > 1 else ""
            print(
                f"| {study} | {what} | {published} | {a.mean():.2f} +/- {a.std():.2f} (n={len(a)}) | {p} | `harcnn run experiments/{study}.toml` |"
            )
    print(f"\nharcnn {', '.join(versions)}; `python benchmarks/suite.py --results benchmarks/results/tutorial`, "
          "`python benchmarks/export_runs.py`, `python benchmarks/tutorial_table.py`.")  # fmt: skip


if __name__ == "__main__":
    main()
