"""JSON from files a user hands harcnn (model.json, a dataset's pipeline): parsed with one error
naming the file for every defect, nesting depth included (Python's parser recurses, and a file
nested 100,000 deep would otherwise end in a RecursionError)."""

from __future__ import annotations

import json

from harcnn.errors import HarcnnError


def parse_json(text: str | bytes, where: str) -> object:
    try:
        return json.loads(text)
    except RecursionError:
        raise HarcnnError(f"{where}: nested too deeply to be harcnn's JSON") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise HarcnnError(f"{where}: not valid JSON ({e})") from None
