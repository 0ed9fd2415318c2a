"""Shared helpers for the benchmarks: what machine this is, and the real data's location."""

import json
import os
import platform
from pathlib import Path

import torch

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
DEFAULT_ZIP = Path(os.environ.get("HARCNN_DATA", SHARED / "data" / "UCI HAR Dataset.zip"))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores{gpu}; Python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} threads"


def write_record(out: Path, figures: dict) -> None:
    """A benchmark's figures as the JSON file the docs' tables are generated from, with the machine
    and the harcnn version that produced them (a figure in the docs names both)."""
    import harcnn

    out.write_text(json.dumps({"machine": machine(), "harcnn": harcnn.__version__, **figures}, indent=1) + "\n")
