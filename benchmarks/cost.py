"""Benchmark: what the recommended model costs a user, against one fit of each peer (issue #19).

One after the other on this machine, each command with the whole machine, as a user waits for it:
`harcnn train SPEC` (one model), `harcnn train SPEC --members 5` (the ensemble), `harcnn run SPEC`
(a 10-seed study), and one fit each of MiniRocket and MultiRocket-Hydra through harcnn's runner
(`harcnn run experiments/<peer>.toml --repeats 1`, aeon's defaults, a thread per core). Every wall
time is the whole command: start, load, train, predict. Also the training FLOPs of one model
(forward convolutions and dense layers counted on a window, times 3 for the backward pass, times
windows and epochs), the GFLOP/s the one-model command reached, and this machine's matrix-product
peak in float32 and bfloat16 (torch.matmul of 2048 x 2048 on every thread).

    python benchmarks/cost.py --out benchmarks/results/cost.json
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from common import DEFAULT_ZIP, machine

ROOT = Path(__file__).resolve().parents[1]
HARCNN = [sys.executable, "-m", "harcnn.cli"]


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, done.stdout + done.stderr


def test_accuracy(output: str) -> float:
    return float(re.findall(r"test accuracy (\d+\.\d+)%", output)[-1])


def study(spec: Path, repeats: int, data: Path, results: Path) -> dict:
    from harcnn.experiments.spec import load_spec
    from harcnn.experiments.store import Store

    wall, _ = timed(HARCNN + ["run", str(spec), "--data", str(data), "--repeats", str(repeats), "--results", str(results), "--no-progress"])
    config = load_spec(spec).configs[0]
    with Store(results / "harcnn.db") as store:
        runs = [r for r in store.runs(load_spec(spec).name) if r.config_key == config.key][:repeats]
    acc = np.array([r.accuracy for r in runs]) * 100
    return {
        "wall_s": round(wall, 1),
        "runs": len(runs),
        "accuracy_mean": round(float(acc.mean()), 2),
        "accuracy_std": round(float(acc.std()), 2),
    }


def training_flop(spec: Path, data: Path) -> float:
    """FLOPs to train one model of `spec`'s first configuration on `data`'s training windows."""
    from harcnn.data.resolve import load_dataset
    from harcnn.experiments.spec import load_spec
    from harcnn.models import build
    from harcnn.models.layers import PopConv1d, PopLinear

    config = load_spec(spec).configs[0]
    train = load_dataset(str(data)).train
    net = build(config.model, train.n_channels, len(train.classes), train.seq_len, **config.hparams).eval()
    macs = []

    def count(module, inputs, out):
        weight = module.weight
        macs.append(out.numel() * weight[0].numel() // weight.shape[1] if isinstance(module, PopConv1d) else out.numel() * weight.shape[2])

    for m in net.modules():
        if isinstance(m, PopConv1d | PopLinear):
            m.register_forward_hook(count)
    with torch.no_grad():
        net(torch.from_numpy(train.X[:1]))
    epochs = config.recipe.for_windows(len(train)).epochs
    return 3 * 2 * sum(macs) * len(train) * epochs


def peak_gflops(dtype: torch.dtype) -> float:
    a, b = torch.randn(2048, 2048, dtype=dtype), torch.randn(2048, 2048, dtype=dtype)
    a @ b
    t0, n = time.perf_counter(), 10
    for _ in range(n):
        a @ b
    return 2 * 2048**3 * n / (time.perf_counter() - t0) / 1e9


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", type=Path, default=ROOT / "experiments" / "best.toml")
    p.add_argument("--data", type=Path, default=DEFAULT_ZIP)
    p.add_argument("--repeats", type=int, default=10, help="seeds of the study")
    p.add_argument("--out", type=Path, help="write the figures as JSON")
    a = p.parse_args()
    rows: dict = {"machine": machine(), "spec": str(a.spec.relative_to(ROOT)) if a.spec.is_relative_to(ROOT) else str(a.spec)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, members in (("one_model", 1), ("ensemble_5", 5)):
            wall, out = timed(HARCNN + ["train", str(a.spec), "--data", str(a.data), "--members", str(members), "--out", str(tmp / name)])
            rows[name] = {"wall_s": round(wall, 1), "test_accuracy": test_accuracy(out)}
            print(name, rows[name], flush=True)
        rows["study"] = study(a.spec, a.repeats, a.data, tmp / "study")
        print("study", rows["study"], flush=True)
        for peer in ("minirocket", "multirocket-hydra"):
            rows[peer] = study(ROOT / "experiments" / f"{peer}.toml", 1, a.data, tmp / peer)
            print(peer, rows[peer], flush=True)
    flop = training_flop(a.spec, a.data)
    rows["training_tflop"] = round(flop / 1e12, 2)
    rows["one_model_gflops"] = round(flop / rows["one_model"]["wall_s"] / 1e9, 1)
    rows["peak_gflops"] = {"float32": round(peak_gflops(torch.float32), 1), "bfloat16": round(peak_gflops(torch.bfloat16), 1)}
    fit = rows["minirocket"]["wall_s"]
    rows["ratios_to_minirocket"] = {k: round(rows[k]["wall_s"] / fit, 2) for k in ("one_model", "ensemble_5", "multirocket-hydra")}
    print(json.dumps(rows, indent=1))
    if a.out:
        a.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
