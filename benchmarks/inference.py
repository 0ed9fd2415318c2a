"""Benchmark: inference speed of a saved model (PyTorch, CPU): windows per second at batch 1 and
1024, single-window latency, and the streaming path's per-window latency (preprocess + predict).

    harcnn train experiments/baseline.toml --out model/
    python benchmarks/inference.py model/ [--out benchmarks/results/inference.json]
    python benchmarks/inference.py pretrained:uci-har     # a model shipped in the package
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from common import machine, write_record
from harcnn.data.preprocess import Stream
from harcnn.estimator import load


def per_call(fn, n: int) -> np.ndarray:
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return np.array(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a saved model's folder, or pretrained:NAME")
    p.add_argument("--out", type=Path, help="also write the figures as JSON (the docs' Performance table reads it)")
    a = p.parse_args()
    print(machine())
    model = load(a.model)
    rng = np.random.default_rng(0)
    shape = (len(model.channels_), model.meta_.seq_len)
    one, big = rng.normal(size=(1, *shape)).astype(np.float32), rng.normal(size=(1024, *shape)).astype(np.float32)
    t1 = per_call(lambda: model.predict_proba(one), 300)
    tb = per_call(lambda: model.predict_proba(big), 10)
    print(
        f"batch 1:    {1 / np.median(t1):8.0f} windows/s; latency median {1e3 * np.median(t1):.2f} ms, p99 {1e3 * np.quantile(t1, 0.99):.2f} ms"
    )
    print(f"batch 1024: {1024 / np.median(tb):8.0f} windows/s")
    stream = Stream()
    chunks = [rng.normal(size=(64, 6)) for _ in range(201)]  # acc and gyro samples
    stream.push(chunks[0])
    stream.push(chunks[0])  # fill the first window
    latencies = []
    for chunk in chunks[1:]:
        t0 = time.perf_counter()
        for _, window in stream.push(chunk):
            model.predict_proba(window[None])
        latencies.append(time.perf_counter() - t0)
    lat = np.array(latencies)
    print(
        f"streaming: per window (64 new samples -> filters -> window -> prediction) median {1e3 * np.median(lat):.2f} ms, p99 {1e3 * np.quantile(lat, 0.99):.2f} ms; torch threads {torch.get_num_threads()}"
    )
    if a.out:
        ms = {"median": round(1e3 * float(np.median(t1)), 3), "p99": round(1e3 * float(np.quantile(t1, 0.99)), 3)}
        stream_ms = {"median": round(1e3 * float(np.median(lat)), 3), "p99": round(1e3 * float(np.quantile(lat, 0.99)), 3)}
        write_record(a.out, {
            "model": a.model, "members": model.meta_.members,
            "batch_1_windows_per_s": round(1 / float(np.median(t1))), "batch_1_latency_ms": ms,
            "batch_1024_windows_per_s": round(1024 / float(np.median(tb))), "stream_per_window_ms": stream_ms,
        })  # fmt: skip


if __name__ == "__main__":
    main()
