"""Check on the real data: 10 seeds trained as one population vs the same 10 seeds trained one at a
time. Each member follows the same data order and dropout masks as its separate run and computes
the same function (in float64 they agree to 1e-15, tests/test_population.py), but in float32 the
last-bit differences between grouped and single convolutions grow over 2300 Adam steps, so single
seeds end at different accuracies; the populations must agree in mean accuracy (within one std).

    python benchmarks/equivalence.py [--model cnn] [--epochs 10]
"""

import argparse
import time

import numpy as np

from common import DEFAULT_ZIP, machine
from harcnn.data.resolve import load_dataset
from harcnn.models import build
from harcnn.train.population import Recipe, predict_logits, train_population


def accuracy(model, test) -> np.ndarray:
    return 100 * (predict_logits(model, test.X).argmax(-1).numpy() == test.y).mean(1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="cnn")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--repeats", type=int, default=10)
    a = p.parse_args()
    print(machine())
    ds = load_dataset(str(DEFAULT_ZIP))
    seeds = list(range(a.repeats))
    recipe = Recipe(epochs=a.epochs)
    t0 = time.perf_counter()
    population = build(a.model, 9, 6, 128, members=len(seeds))
    train_population(population, ds.train, seeds, recipe)
    together = accuracy(population, ds.test)
    t1 = time.perf_counter()
    alone = []
    for seed in seeds:
        model = build(a.model, 9, 6, 128)
        train_population(model, ds.train, [seed], recipe)
        alone.append(accuracy(model, ds.test)[0])
    alone = np.array(alone)
    t2 = time.perf_counter()
    print(f"population of {len(seeds)}: {together.mean():.2f}% +/- {together.std():.2f} ({t1 - t0:.0f} s)")
    print(f"separate runs:    {alone.mean():.2f}% +/- {alone.std():.2f} ({t2 - t1:.0f} s)")
    print("per seed (population, separate): " + ", ".join(f"{s}: {p:.2f}/{q:.2f}" for s, p, q in zip(seeds, together, alone)))
    diff = abs(together.mean() - alone.mean())
    print(f"difference of means {diff:.2f} points, {'within' if diff <= max(together.std(), alone.std()) else 'OUTSIDE'} one std")


if __name__ == "__main__":
    main()
