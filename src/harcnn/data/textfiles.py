"""Whitespace-separated numeric text files (UCI HAR, HAPT) parsed fast, with errors a person can act on.

The fast path is numpy's C parser; only when it fails do we walk the lines in Python to say which
line and value are wrong, so that good files pay nothing for the diagnosis.
"""

import io

import numpy as np

from harcnn.errors import HarcnnError
from harcnn.names import check_name


def parse_matrix(raw: bytes, where: str, columns: int | None = None) -> np.ndarray:
    """Parse a numeric matrix (one row a line), checking shape and that every value is finite."""
    if not raw.strip():
        raise HarcnnError(f"{where}: the file is empty")
    try:
        values = np.loadtxt(io.BytesIO(raw), dtype=np.float64, ndmin=2)
    except ValueError:
        _diagnose(raw, where, columns)
        raise HarcnnError(f"{where}: could not be parsed as a numeric table") from None
    if columns is not None and values.shape[1] != columns:
        _diagnose(raw, where, columns)
    finite = np.isfinite(values)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise HarcnnError(f"{where}: line {row + 1}, value {col + 1} is {values[row, col]} (NaN or infinite)")
    return values


def parse_integers(raw: bytes, where: str) -> np.ndarray:
    """Parse a one-column file of integers (labels, subject ids)."""
    values = parse_matrix(raw, where, columns=1)[:, 0]
    fractional = values != np.round(values)
    if fractional.any():
        row = int(np.argmax(fractional))
        raise HarcnnError(f"{where}: line {row + 1} holds {values[row]}, not a whole number")
    return values.astype(np.int64)


def _diagnose(raw: bytes, where: str, columns: int | None) -> None:
    """Find the first bad line and raise an error naming it."""
    expected = columns
    for number, line in enumerate(raw.decode("latin-1").splitlines(), start=1):
        tokens = line.split()
        if not tokens:
            raise HarcnnError(f"{where}: line {number} is empty")
        for k, token in enumerate(tokens, start=1):
            try:
                float(token)
            except ValueError:
                raise HarcnnError(f"{where}: line {number}, value {k}: {token!r} is not a number") from None
        if expected is None:
            expected = len(tokens)
        if len(tokens) != expected:
            raise HarcnnError(f"{where}: line {number} has {len(tokens)} values, expected {expected} (truncated or ragged row)")


def parse_activity_labels(raw: bytes, where: str) -> dict[int, str]:
    """Class names by id from an `activity_labels.txt` (`<id> <NAME>` a line; UCI HAR's and HAPT's),
    matched by id, never by position."""
    names: dict[int, str] = {}
    for number, line in enumerate(raw.decode("latin-1").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1:
            raise HarcnnError(f"{where}: line {number} should be '<id> <NAME>' with a positive id, got {line!r}")
        if int(parts[0]) in names:
            raise HarcnnError(f"{where}: line {number}: id {parts[0]} is named twice")
        names[int(parts[0])] = check_name(parts[1], "activity name", where)
    if not names:
        raise HarcnnError(f"{where}: no activity names")
    return names
