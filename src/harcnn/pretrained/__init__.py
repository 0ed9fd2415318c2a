"""Models shipped in the package, usable offline without training: `harcnn.load("pretrained:uci-har")`,
`harcnn predict pretrained:uci-har rec.csv`. Each is a model folder as `harcnn train` writes it, with
its model card (`MODEL_CARD.md`: data, licence and citation, classes, sensors, units, rate, window,
accuracy per held-out subject, intended use and limits), made by `benchmarks/pretrained.py`.

`SHIPPED` records each folder's `model.json` checksum; `model.json` records its weights' checksum,
so a damaged or swapped file is refused when it loads.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from harcnn.errors import HarcnnError

PREFIX = "pretrained:"
SHIPPED = {  # name -> sha256 of its model.json
    "uci-har": "7898bd84b1995431a8adc676280348d7120ca91adcd1fb1f96ae4197472effe4",
    "geotec-phone": "6106fc3515ed157d8a6f662ff7355987df958518502e1ce494ae5b879f938510",
    "geotec-watch": "97e80526bdccb3590369a9e7eb24c5ef24d1181a4dea501cd267ae2647c0296a",
}


def resolve(model: str | Path) -> Path:
    """The folder of a model reference: `pretrained:NAME` for a shipped model, else the path itself."""
    text = str(model)
    if not text.startswith(PREFIX):
        return Path(model)
    name = text[len(PREFIX) :]
    if name not in SHIPPED:
        raise HarcnnError(f"{text}: no such pretrained model; harcnn ships {', '.join(PREFIX + n for n in SHIPPED) or 'none'}")
    folder = Path(str(resources.files(__package__) / name))
    digest = hashlib.sha256((folder / "model.json").read_bytes()).hexdigest()
    if digest != SHIPPED[name]:
        raise HarcnnError(f"{text}: its model.json ({folder}) is not the file harcnn shipped (sha256 differs); reinstall harcnn")
    return folder


def is_pretrained(model: str | Path) -> bool:
    return str(model).startswith(PREFIX)


def beside(model: str | Path) -> Path:
    """Where a command writes what it makes of `model` by default: the model's own folder, or the
    working folder for a shipped model (the installed package is never written to)."""
    return Path(".") if is_pretrained(model) else Path(model)


def card(name: str) -> str:
    """The model card of a shipped model, as Markdown."""
    return (resolve(PREFIX + name) / "MODEL_CARD.md").read_text()


def summaries() -> list[str]:
    """One line per shipped model for `harcnn models --pretrained`: the card's summary line."""
    lines = []
    for name in SHIPPED:
        summary = next((line.removeprefix("Summary: ") for line in card(name).splitlines() if line.startswith("Summary: ")), "")
        lines.append(f"{PREFIX}{name}: {summary}")
    return lines
