"""`harcnn auto` on the rows of the cross-dataset benchmark (benchmarks/across.sh), in the row's own
protocol, read from the recipe's runs in the row's store: on a dataset's fixed split, one run; on
subject folds over all subjects, one run per fold, choosing on that fold's training subjects only and scored once on its test subjects. Each run
lands in the row's store (benchmarks/results/across/<dataset>.db) as study "auto", one run per test
fold (seed s tests fold s, as the other studies' seeds do), with its per-subject figures, so the
tables set it beside the recipe and the peers; what auto tried and why it chose go beside it
(benchmarks/results/across-auto/<dataset>.json). The data files are across.sh's (data/<name>.npz).

    python benchmarks/across_auto.py pickup-gesture basicmotions gunpoint
    SPLIT=1 python benchmarks/across_auto.py geotec-phone    # a fresh subject deal (split_seed 1)

Resumable: a fold already in the store is skipped, and each fold's candidates keep their
probabilities in results/auto-cache/ (not committed), so an interrupted fold resumes its choice.
"""

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import torch

import harcnn
from common import DEFAULT_ZIP
from harcnn.choices import AUTO_BUDGET_MIN, AUTO_FOLDS
from harcnn.data.resolve import load_dataset
from harcnn.data.splits import split_test_fold
from harcnn.experiments import auto
from harcnn.experiments.store import Run, Store
from harcnn.metrics import classification_metrics, per_subject, predicted_classes


def data_of(row: str) -> str:
    name = row.removesuffix("-folds")
    return str(DEFAULT_ZIP) if name == "uci-har" else f"data/{name}.npz"


def run_row(row: str, split_seed: int) -> None:
    folder = Path("benchmarks/results") / ("across" if split_seed == 0 else f"across-split{split_seed}")
    dataset = load_dataset(data_of(row))
    record_path = Path("benchmarks/results/across-auto") / (f"{row}.json" if split_seed == 0 else f"{row}-split{split_seed}.json")
    record_path.parent.mkdir(parents=True, exist_ok=True)
    records = json.loads(record_path.read_text()) if record_path.is_file() else {}
    with Store(folder / f"{row}.db") as store:
        recipe = store.runs("best")
        if not recipe:
            raise SystemExit(
                f"{row}: no runs of the recipe in {folder / f'{row}.db'} to take the protocol from; run benchmarks/across.sh first"
            )
        test_folds = recipe[-1].config.get("test_folds", 0)  # the row's protocol, as across.sh ran it
        config = {"model": "auto", "budget_min": AUTO_BUDGET_MIN, "folds": AUTO_FOLDS, "test_folds": test_folds, "split_seed": split_seed,
                  "candidates": list(auto.candidates())}  # fmt: skip
        key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
        records = {fold: r for fold, r in records.items() if r.get("config_key") == key}  # an earlier procedure's are superseded
        store.set_study("auto", f"harcnn auto, {AUTO_BUDGET_MIN:g}-min budget", None, json.dumps(config), ["auto"])
        done = store.seeds_done("auto", key, dataset.sha256)
        for fold in range(max(1, test_folds)):
            if fold in done:
                continue
            train, test = split_test_fold(dataset, test_folds, fold if test_folds else None, split_seed)
            print(f"{row}: fold {fold + 1}/{max(1, test_folds)}: {len(train)} training windows, {len(test)} test", flush=True)
            t0 = time.perf_counter()
            cache = Path("results/auto-cache") / f"{dataset.sha256[:16]}-{key}-fold{fold}"
            model, choice, refit_s = auto.run(train, AUTO_BUDGET_MIN, cache=cache, echo=lambda line: print(line, flush=True))
            wall = time.perf_counter() - t0
            predicted = predicted_classes(model, model.predict_proba(test.X), test)
            m = classification_metrics(test.y, predicted, test.classes)
            record, text = auto.report(choice, 60 * AUTO_BUDGET_MIN, refit_s, model.meta_.members, m["accuracy"])
            print(text, flush=True)
            records[str(fold)] = {"config_key": key, **record}
            record_path.write_text(json.dumps(records, indent=1) + "\n")
            store.add([
                Run(
                    study="auto", config_key=key, label="auto", config=config, seed=fold, data_sha256=dataset.sha256,
                    accuracy=m["accuracy"], macro_f1=m["macro_f1"], per_class=m["per_class"], confusion=m["confusion"], curves={},
                    wall_s=wall, harcnn_version=harcnn.__version__, torch_version=torch.__version__,
                    ensemble_accuracy=m["accuracy"], ensemble_size=model.meta_.members, per_subject=per_subject(test, predicted),
                )
            ])  # fmt: skip


if __name__ == "__main__":
    for row in sys.argv[1:]:
        run_row(row, int(os.environ.get("SPLIT", "0")))
