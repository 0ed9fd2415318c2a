"""The microcontroller-sized model (experiments/tiny.toml) beside the recommended one: what each costs
a device (`harcnn.deploy.footprint` of its batch-1 ONNX graph: int8 weights, peak int8 activations,
MACs a window), the latency of its int8 file in ONNX Runtime on this CPU (one thread, one window),
and its accuracy in float32 and int8 on UCI HAR's test split.

    harcnn train experiments/tiny.toml --teacher pretrained:uci-har --seed S --out tiny-S/   # S = 0, 1, 2
    python benchmarks/tiny.py tiny-0/ tiny-1/ tiny-2/ --out benchmarks/results/tiny.json
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from common import DEFAULT_ZIP, write_record
from harcnn.data.resolve import load_dataset
from harcnn.deploy.footprint import footprint
from harcnn.deploy.onnx import export_onnx, onnx_predict, quantize_int8
from harcnn.estimator import load
from harcnn.metrics import accuracy


def latency_ms(path: Path, window: np.ndarray, n: int = 300) -> float:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {"windows": window[None].astype(np.float32)}
    session.run(None, feed)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def figures(model: str, test) -> dict:
    clf = load(model)
    with tempfile.TemporaryDirectory() as folder:
        float32 = export_onnx(clf, Path(folder) / "model.onnx", batch=1)
        int8 = quantize_int8(float32, Path(folder) / "model.int8.onnx")
        return {
            "model": model,
            "network": f"{clf.meta_.model} {json.dumps(clf.meta_.hparams, sort_keys=True)}",
            "parameters": int(sum(p.numel() for p in clf.net_.parameters())),
            **footprint(float32).__dict__,
            "onnx_int8_bytes": int8.stat().st_size,
            "onnx_float32_bytes": float32.stat().st_size,
            "latency_int8_ms": round(latency_ms(int8, test.X[0]), 4),
            "accuracy_float32": accuracy(clf, clf.predict_proba(test.X), test),
            "accuracy_int8": accuracy(clf, onnx_predict(int8, test.X), test),
        }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="the tiny models' folders (one per seed)")
    p.add_argument("--reference", default="pretrained:uci-har", help="the model to set beside them")
    p.add_argument("--data", default=str(DEFAULT_ZIP))
    p.add_argument("--out", type=Path, help="also write the figures as JSON (the docs' table reads it)")
    a = p.parse_args()
    test = load_dataset(a.data).test
    rows = {"tiny": [figures(m, test) for m in a.models], "reference": figures(a.reference, test)}
    for row in [*rows["tiny"], rows["reference"]]:
        print(row)
    if a.out:
        write_record(a.out, rows)


if __name__ == "__main__":
    main()
