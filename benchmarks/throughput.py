"""Population training throughput, CPU against GPU: one training step of the recommended recipe
(experiments/best.toml: the ResNet in bfloat16 where the device has it, harcnn's Adam) for a
population of 1 and 5 members, as windows a second and as GFLOP/s against the device's own peak,
measured in the same run by a large matrix product in the step's precision (a datasheet's peak is
not what a given machine reaches). FLOPs: the forward pass's convolutions and matrix products as
torch's FlopCounterMode counts them, times 3 for forward and backward (the usual convention; the
counter's own backward count treats a population's grouped convolutions as dense, 15x the forward
for 5 members against 2x for one). The optimiser's elementwise work is not counted.
Each device that is here: the CPU always, CUDA where torch has it.

    python benchmarks/throughput.py --out benchmarks/results/throughput.json
"""

import argparse
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from common import write_record
from harcnn.experiments.spec import load_spec
from step import ROOT, step_parts, time_steps


def step_flops(config, members: int, batch: int, device: str) -> int:
    """Floating-point operations of one forward and backward pass: 3x the forward's."""
    _, _, loss = step_parts(config, members, batch, device)
    with FlopCounterMode(display=False) as counter:
        loss()
    return 3 * counter.get_total_flops()


def matmul_peak(device: str, dtype: torch.dtype, n: int, repeats: int) -> float:
    """GFLOP/s of an n x n matrix product on `device` in `dtype`, the best of `repeats`."""
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    best = float("inf")
    for _ in range(repeats + 1):  # the first warms up
        t0 = time.perf_counter()
        a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(device)
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        return "CPU"


def measure(config, device: str, members: int, batch: int, steps: int) -> dict:
    warm, ms = time_steps(config, members, batch, False, 3, steps, device=device)
    flops = step_flops(config, members, batch, device)
    return {"device": device, "name": device_name(device), "members": members, "batch": batch, "ms_step": round(ms, 2),
            "windows_per_s": round(1000 * members * batch / ms), "gflop_step": round(flops / 1e9, 3),
            "gflop_s": round(flops / ms / 1e6, 1)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", type=Path, default=ROOT / "experiments" / "best.toml")
    p.add_argument("--members", type=int, nargs="+", default=[1, 5])
    p.add_argument("--batch", type=int, default=64, help="windows a member a step (the recipe's)")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--out", type=Path, help="also write the figures as JSON")
    a = p.parse_args()
    config = load_spec(a.spec).configs[0]
    dtype = torch.bfloat16 if config.precision == "bfloat16" else torch.float32
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        n, repeats = (8192, 20) if device == "cuda" else (2048, 10)
        peak = matmul_peak(device, dtype, n, repeats)
        for members in a.members:
            row = measure(config, device, members, a.batch, a.steps)
            row |= {"peak_gflop_s": round(peak, 1), "share_of_peak": round(row["gflop_s"] / peak, 3)}
            rows.append(row)
            print(row, flush=True)
    if a.out:
        write_record(a.out, {"spec": f"{a.spec.name}, one training step, precision {config.precision}", "rows": rows})


if __name__ == "__main__":
    main()
