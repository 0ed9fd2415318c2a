"""Benchmark: one training step of the recommended ResNet (issue #19), by batch size, eager or under
torch.compile. Random windows of UCI HAR's shape, the spec's model and precision, harcnn's Adam;
forward, loss, backward and optimiser step, timed over `--steps` steps after `--warmup` (torch.compile
traces and builds its C++ kernels in the warm-up, timed apart). Per window is what an epoch costs.

    python benchmarks/step.py                          # batch 64, 128 and 256, eager
    python benchmarks/step.py --batch 64 --compile     # the same step through torch.compile (inductor)
"""

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from common import machine
from harcnn.data.sensors import CHANNELS, STEPS
from harcnn.experiments.spec import load_spec
from harcnn.models import create
from harcnn.train.adam import Adam
from harcnn.train.recipe import ADAM_EPS

ROOT = Path(__file__).resolve().parents[1]
CLASSES = 6  # UCI HAR's activities


def step_parts(config, members: int, batch: int, device: str = "cpu"):
    """The spec's population, harcnn's Adam and the loss of one batch of random windows, on `device`."""
    model = create(config.model, len(CHANNELS), CLASSES, STEPS, members=members, **config.hparams).to(device)
    optimizer = Adam(model.parameters(), lr=config.lr, eps=ADAM_EPS, weight_decay=config.weight_decay)
    x = torch.randn(members, batch, len(CHANNELS), STEPS, device=device)
    y = torch.randint(0, CLASSES, (members, batch), device=device)

    def loss() -> torch.Tensor:
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=config.precision == "bfloat16"):
            logits = model(x).float()
        return F.cross_entropy(logits.flatten(0, 1), y.flatten(), label_smoothing=config.label_smoothing)

    return model, optimizer, loss


def time_steps(config, members: int, batch: int, compiled: bool, warmup: int, steps: int, *, device: str = "cpu") -> tuple[float, float]:
    """Seconds of the first `warmup` steps, and milliseconds a step after them."""
    _, optimizer, loss = step_parts(config, members, batch, device)
    step = torch.compile(loss) if compiled else loss
    times = []
    for _ in range(warmup + steps):
        t0 = time.perf_counter()
        optimizer.zero_grad()
        step().backward()
        optimizer.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return sum(times[:warmup]), 1000 * sum(times[warmup:]) / steps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", type=Path, default=ROOT / "experiments" / "best.toml")
    p.add_argument("--members", type=int, default=1)
    p.add_argument("--batch", type=int, nargs="+", default=[64, 128, 256])
    p.add_argument("--compile", action="store_true", help="run the step through torch.compile")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=60)
    a = p.parse_args()
    config = load_spec(a.spec).configs[0]
    print(machine())
    for batch in a.batch:
        warm, ms = time_steps(config, a.members, batch, a.compile, a.warmup, a.steps)
        print(
            f"{'compiled' if a.compile else 'eager'}, {a.members} member(s), batch {batch}: warm-up {warm:.1f} s, "
            f"{ms:.2f} ms a step, {1000 * ms / batch:.1f} us a window"
        )


if __name__ == "__main__":
    main()
