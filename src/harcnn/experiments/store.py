"""The results store: one SQLite file, one row per trained member (a run).

SQLite gives what a study needs without a server: each population's runs land in one transaction,
so killing the process (even with SIGKILL) loses at most the runs in flight; WAL mode and a busy
timeout let several processes write to one store; a UNIQUE key makes a rerun skip what is done.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from harcnn.errors import HarcnnError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    study TEXT NOT NULL,
    config_key TEXT NOT NULL,
    label TEXT NOT NULL,
    config TEXT NOT NULL,
    seed INTEGER NOT NULL,
    data_sha256 TEXT NOT NULL,
    accuracy REAL NOT NULL,
    macro_f1 REAL NOT NULL,
    per_class TEXT NOT NULL,
    confusion TEXT NOT NULL,
    curves TEXT NOT NULL,
    wall_s REAL NOT NULL,
    harcnn_version TEXT NOT NULL,
    torch_version TEXT NOT NULL,
    created TEXT NOT NULL,
    ensemble_accuracy REAL,
    ensemble_size INTEGER,
    per_subject TEXT,
    UNIQUE (study, config_key, seed, data_sha256)
);
CREATE TABLE IF NOT EXISTS selections (
    study TEXT NOT NULL,
    data_sha256 TEXT NOT NULL,
    config_key TEXT NOT NULL,
    label TEXT NOT NULL,
    method TEXT NOT NULL,
    ranking TEXT NOT NULL,
    refit_study TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (study, data_sha256)
);
CREATE TABLE IF NOT EXISTS studies (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    reference TEXT,
    spec TEXT NOT NULL,
    labels TEXT
);
"""


@dataclass(frozen=True)
class Run:
    study: str
    config_key: str
    label: str
    config: dict
    seed: int
    data_sha256: str
    accuracy: float
    macro_f1: float
    per_class: dict
    confusion: list
    curves: dict
    wall_s: float
    harcnn_version: str
    torch_version: str
    created: str = ""
    ensemble_accuracy: float | None = None  # the mean-probability ensemble of the population this run trained in
    ensemble_size: int | None = None
    per_subject: dict | None = None  # subject id -> accuracy, macro_f1, windows (stores of 0.6 and older: None)


JSON_FIELDS = ("config", "per_class", "confusion", "curves", "per_subject")


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise HarcnnError(f"{self.path}: is a folder, not a results store file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(studies)")}
            if "labels" not in columns:  # stores written by harcnn 0.2
                self._db.execute("ALTER TABLE studies ADD COLUMN labels TEXT")
            run_columns = {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}
            for column, kind in (("ensemble_accuracy", "REAL"), ("ensemble_size", "INTEGER"), ("per_subject", "TEXT")):
                if "id" in run_columns and column not in run_columns:
                    self._db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
            missing = set(Run.__dataclass_fields__) - {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}
        except (sqlite3.DatabaseError, OSError) as e:
            raise HarcnnError(f"{self.path}: cannot use this file as a results store ({e}); name another with --db or --results") from None
        if missing:
            raise HarcnnError(f"{self.path}: not a harcnn results store (its runs table lacks {sorted(missing)})")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def seeds_done(self, study: str, config_key: str, data_sha256: str) -> set[int]:
        rows = self._db.execute("SELECT seed FROM runs WHERE study=? AND config_key=? AND data_sha256=?", (study, config_key, data_sha256))
        return {seed for (seed,) in rows}

    def add(self, runs: list[Run]) -> None:
        """Insert runs atomically; a run already stored (same study, config, seed, data) is kept."""
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        rows = [{**run.__dict__, **{k: json.dumps(getattr(run, k)) for k in JSON_FIELDS}, "created": created} for run in runs]
        columns = list(Run.__dataclass_fields__)
        sql = f"INSERT OR IGNORE INTO runs ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(sql, rows)

    def runs(self, study: str | None = None) -> list[Run]:
        columns = list(Run.__dataclass_fields__)
        sql = f"SELECT {', '.join(columns)} FROM runs"
        rows = self._db.execute(sql + (" WHERE study=? ORDER BY id" if study else " ORDER BY id"), (study,) if study else ())
        out = []
        for row in rows:
            values = dict(zip(columns, row))
            for k in JSON_FIELDS:
                values[k] = json.loads(values[k]) if values[k] is not None else None
            out.append(Run(**values))
        return out

    def set_study(self, name: str, description: str, reference: str | None, spec_text: str, labels: list[str]) -> None:
        """Remember a study's description, reference configuration and configurations in grid order, for reports."""
        try:
            with self._db:
                self._db.execute(
                    "INSERT OR REPLACE INTO studies (name, description, reference, spec, labels) VALUES (?, ?, ?, ?, ?)",
                    (name, description, reference, spec_text, json.dumps(labels)),
                )
        except sqlite3.OperationalError as e:
            raise HarcnnError(f"{self.path}: cannot write to the results store ({e})") from None

    def study_info(self, name: str) -> dict:
        """Description, reference and `labels` (grid order; None for stores written before harcnn 0.3)."""
        row = self._db.execute("SELECT description, reference, spec, labels FROM studies WHERE name=?", (name,)).fetchone()
        if not row:
            return {"description": "", "reference": None, "spec": "", "labels": None}
        return {"description": row[0], "reference": row[1], "spec": row[2], "labels": json.loads(row[3]) if row[3] else None}

    def set_selection(
        self, study: str, data_sha256: str, config_key: str, label: str, *, method: str, ranking: list, refit_study: str
    ) -> None:
        """Record how a study's configuration was chosen (the ranking it was chosen from, on validation only)."""
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO selections VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (study, data_sha256, config_key, label, method, json.dumps(ranking), refit_study, created),
            )

    def selection(self, study: str, data_sha256: str) -> dict | None:
        row = self._db.execute(
            "SELECT config_key, label, method, ranking, refit_study, created FROM selections WHERE study=? AND data_sha256=?",
            (study, data_sha256),
        ).fetchone()
        if row is None:
            return None
        keys = ("config_key", "label", "method", "ranking", "refit_study", "created")
        return {**dict(zip(keys, row)), "ranking": json.loads(row[3])}

    def studies(self) -> list[str]:
        return [s for (s,) in self._db.execute("SELECT study FROM runs GROUP BY study ORDER BY MIN(id)")]
