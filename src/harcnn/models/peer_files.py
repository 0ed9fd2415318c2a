"""A fitted peer in a model folder, without pickle.

The file is skops' format (`skops.io`): a zip of JSON and numpy arrays, from which loading builds
only the classes in a list it is handed. harcnn hands it the registry entry's own classes
(`Peer.saved_types`; scikit-learn's and numpy's are skops' defaults) and refuses a file that names
any other, so a model folder from someone else cannot run code by being loaded. Peers whose fitted
state skops cannot write (aeon's Hydra and QUANT hold torch tensors) have no `saved_types`.
"""

from __future__ import annotations

import hashlib

from harcnn.errors import HarcnnError
from harcnn.extras import require
from harcnn.models.peers import Peer


def dumps(entry: Peer, fitted) -> bytes:
    """The fitted peer as the bytes of its file."""
    if not entry.saveable:
        raise HarcnnError(f"model {entry.name!r}: a fitted {entry.name} cannot be saved yet (no format without pickle holds it)")
    require("skops", f"saving a fitted {entry.name}")
    import skops.io

    return skops.io.dumps(fitted)


def loads(entry: Peer, data: bytes, where: str):
    """The fitted peer of a file's bytes; a file naming a class outside the entry's is refused."""
    require("skops", f"{where}: loading a fitted {entry.name}")
    import skops.io

    try:
        named = skops.io.get_untrusted_types(data=data)
    except Exception as e:  # skops reports a damaged zip or schema in its own classes
        raise HarcnnError(f"{where}: not a readable {entry.name} file ({type(e).__name__}: {str(e)[:120]})") from None
    foreign = sorted(set(named) - set(entry.saved_types))
    if foreign:
        raise HarcnnError(f"{where}: names classes a fitted {entry.name} does not hold ({', '.join(foreign[:3])}); refused unread")
    try:
        return skops.io.loads(data, trusted=named)
    except Exception as e:
        raise HarcnnError(f"{where}: not a readable {entry.name} file ({type(e).__name__}: {str(e)[:120]})") from None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
