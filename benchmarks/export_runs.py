"""Each results store under benchmarks/results as a small JSON file beside it (`<name>.runs.json`):
every run without its learning curves, what the tables are built from. The SQLite stores stay on the
machine that ran them (they resume studies) and out of git; the exports are committed.

    python benchmarks/export_runs.py [benchmarks/results]
"""

import json
import sys
from pathlib import Path

from harcnn.experiments.store import Run, Store

FOLDER = Path(__file__).parent / "results"


def export(db: Path) -> Path:
    with Store(db) as store:
        runs = [{k: v for k, v in run.__dict__.items() if k != "curves"} for run in store.runs()]
    out = db.with_suffix(".runs.json")
    out.write_text(json.dumps(runs, separators=(",", ":"), sort_keys=True) + "\n")
    return out


def load(path: Path) -> list[Run]:
    """The runs of an export, as the store gave them (learning curves empty)."""
    return [Run(**{**run, "curves": {}}) for run in json.loads(path.read_text())]


if __name__ == "__main__":
    for db in sorted(Path(sys.argv[1] if len(sys.argv) > 1 else FOLDER).rglob("*.db")):
        print(export(db))
