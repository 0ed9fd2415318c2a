"""Every export format of one model: the time each takes, its size, how close its probabilities come to
PyTorch's on UCI HAR's test windows (ONNX Runtime for ONNX and ORT, LiteRT's interpreter for
`.tflite`; Core ML predicts on Apple's systems only), int8's accuracy, and ONNX Runtime's verdict on
whether Android's NNAPI runs the fixed-batch graph whole.

    python benchmarks/export_formats.py pretrained:uci-har --out benchmarks/results/export_formats.json
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import DEFAULT_ZIP, write_record
from harcnn.data.resolve import load_dataset
from harcnn.deploy.coreml import export_coreml
from harcnn.deploy.litert import export_litert, litert_predict
from harcnn.deploy.onnx import export_onnx, onnx_predict, quantize_int8, to_ort
from harcnn.estimator import load
from harcnn.metrics import accuracy


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def nnapi_verdict(path: Path) -> str:
    """The line of ONNX Runtime's mobile usability check that says how NNAPI would run the model."""
    out = subprocess.run([sys.executable, "-m", "onnxruntime.tools.check_onnx_model_mobile_usability", str(path)],
                         capture_output=True, text=True).stderr  # fmt: skip
    return next((line.split("INFO:")[-1].strip() for line in out.splitlines() if "perform well with NNAPI" in line), "no verdict")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a model folder or pretrained:NAME")
    p.add_argument("--data", default=str(DEFAULT_ZIP))
    p.add_argument("--out", type=Path, help="also write the figures as JSON (the docs' table reads it)")
    a = p.parse_args()
    clf, test = load(a.model), load_dataset(a.data).test
    reference = clf.predict_proba(test.X)
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        steps = {
            "onnx": lambda: export_onnx(clf, folder / "model.onnx"),
            "onnx --batch 1": lambda: export_onnx(clf, folder / "b1.onnx", batch=1),
            "ort --batch 1": lambda: to_ort(folder / "b1.onnx", folder / "b1.ort"),
            "onnx --quantize int8": lambda: quantize_int8(folder / "model.onnx", folder / "model.int8.onnx"),
            "coreml": lambda: export_coreml(clf, folder / "model.mlpackage"),
            "tflite": lambda: export_litert(clf, folder / "model.tflite"),
        }
        for name, step in steps.items():
            t0 = time.perf_counter()
            path = step()
            row = {"seconds": round(time.perf_counter() - t0, 2), "bytes": size(path)}
            if path.suffix in (".onnx", ".ort", ".tflite"):
                proba = (litert_predict if path.suffix == ".tflite" else onnx_predict)(path, test.X)
                row |= {"max_abs_diff": float(np.abs(proba - reference).max()), "accuracy": accuracy(clf, proba, test)}
            if name == "onnx --batch 1":
                row["nnapi"] = nnapi_verdict(path)
            rows[name] = row
            print(name, row, flush=True)
    if a.out:
        write_record(a.out, {"model": a.model, "accuracy_pytorch": accuracy(clf, reference, test), "formats": rows})


if __name__ == "__main__":
    main()
