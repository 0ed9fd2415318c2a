"""A fitted peer in a model folder, without pickle.

The file is skops' format (`skops.io`): a zip of JSON and numpy arrays, from which loading builds
only the classes in a list it is handed. harcnn hands it the registry entry's own classes
(`Peer.saved_types`; scikit-learn's and numpy's are skops' defaults) and refuses a file that names
any other, so a model folder from someone else cannot run code by being loaded.

skops writes no torch tensors, which aeon's Hydra, MultiRocket-Hydra and QUANT hold. Before the file
is written, a copy of the fitted peer has each tensor replaced by its numpy array, and Hydra's torch
module (random kernels drawn from the seed for the windows' shape, nothing learned) replaced by
what rebuilds it: the transform's seed, the windows' shape and a checksum of the kernels. The file
lists both in the attribute `TORCH_NOTES`; loading turns the arrays back into tensors, draws the
kernels again from the seed and refuses them if their checksum differs (a torch that draws other
numbers from the same seed).
"""

from __future__ import annotations

import copy
import hashlib
import json

import numpy as np

from harcnn.errors import HarcnnError
from harcnn.extras import require
from harcnn.models.peers import Peer

TORCH_NOTES = "harcnn_torch_notes_"  # the attribute of the saved copy that lists its tensors and modules, as JSON text


def dumps(entry: Peer, fitted) -> bytes:
    """The fitted peer as the bytes of its file."""
    if not entry.saveable:
        raise HarcnnError(f"model {entry.name!r}: a fitted {entry.name} cannot be saved yet (no format without pickle holds it)")
    require("skops", f"saving a fitted {entry.name}")
    import skops.io

    return skops.io.dumps(without_torch(fitted))


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
        loaded = skops.io.loads(data, trusted=named)
    except Exception as e:
        raise HarcnnError(f"{where}: not a readable {entry.name} file ({type(e).__name__}: {str(e)[:120]})") from None
    return with_torch(loaded, where)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def without_torch(fitted):
    """A copy of `fitted` that skops can write: tensors as numpy arrays, Hydra's module as `None`,
    and what turns them back (`with_torch`) as JSON in `TORCH_NOTES`; `fitted` itself unchanged.
    A peer without torch in it comes back as it is."""
    notes: list[dict] = []
    copied = copy.deepcopy(fitted)
    _strip(copied, [], notes)
    if not notes:
        return fitted
    setattr(copied, TORCH_NOTES, json.dumps(notes))
    return copied


def with_torch(loaded, where: str):
    """`without_torch` undone on a loaded copy: arrays back to tensors, Hydra's kernels drawn again
    from their seed and checked against the checksum taken when it was saved."""
    notes = getattr(loaded, TORCH_NOTES, None)
    if notes is None:
        return loaded
    import torch

    delattr(loaded, TORCH_NOTES)
    try:
        notes = json.loads(notes)
        for note in notes:
            owner, key = _owner(loaded, note["path"])
            if note["kind"] == "tensor":
                _set(owner, key, torch.from_numpy(np.ascontiguousarray(_get(owner, key))).to(getattr(torch, note["dtype"])))
            else:
                _rebuild_hydra(owner, key, note, where)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:
        raise HarcnnError(f"{where}: its list of torch tensors does not fit the fitted peer ({type(e).__name__}: {e})") from None
    return loaded


def _strip(obj, path: list, notes: list[dict]) -> None:
    """Every tensor and torch module reachable from `obj`'s attributes, lists, tuples and dicts,
    replaced in place (a deep copy's) and noted with its path."""
    import torch

    for key, value in list(_children(obj)):
        here = [*path, key]
        if isinstance(value, torch.nn.Module):
            if type(value).__name__ != "_HydraInternal":
                raise HarcnnError(f"a fitted peer holds a torch module harcnn cannot save: {type(value).__name__}")
            if not isinstance(getattr(obj, "random_state", None), int):
                raise HarcnnError("a fitted Hydra saves only when its kernels were drawn from a whole-number seed")
            shape = [obj.metadata_["n_channels"], obj.metadata_["n_timepoints"]]  # what aeon noted of the windows it was fitted on
            notes.append({"kind": "hydra", "path": here, "shape": shape, "seed": obj.random_state, "sha256": _kernels_sha256(value)})
            _set(obj, key, None)
        elif isinstance(value, torch.Tensor):
            notes.append({"kind": "tensor", "path": here, "dtype": str(value.dtype).removeprefix("torch.")})
            _set(obj, key, value.detach().cpu().numpy())
        elif isinstance(value, (list, tuple, dict)) or (hasattr(value, "__dict__") and not isinstance(value, (np.ndarray, type))):
            _strip(value, here, notes)  # a Pipeline's steps are tuples of (name, estimator): walked, never replaced


def _children(obj):
    if isinstance(obj, (list, tuple)):
        return enumerate(obj)
    if isinstance(obj, dict):
        return obj.items()
    return vars(obj).items() if hasattr(obj, "__dict__") else ()


def _get(obj, key):
    return obj[key] if isinstance(obj, (list, tuple, dict)) else getattr(obj, key)


def _set(obj, key, value) -> None:
    if isinstance(obj, tuple):
        raise HarcnnError("a fitted peer holds a torch tensor directly in a tuple, which harcnn cannot save")
    if isinstance(obj, (list, dict)):
        obj[key] = value
    else:
        setattr(obj, key, value)


def _owner(root, path: list):
    """The container holding the last step of `path`, and that step."""
    obj = root
    for key in path[:-1]:
        obj = _get(obj, key)
    return obj, path[-1]


def _kernels_sha256(module) -> str:
    """A checksum of every tensor of Hydra's module: its random kernels and channel choices."""
    import torch

    digest = hashlib.sha256()
    for name, value in sorted(vars(module).items()):
        for tensor in value if isinstance(value, list) else [value]:
            if isinstance(tensor, torch.Tensor):
                digest.update(name.encode() + tensor.detach().cpu().numpy().tobytes())
    return digest.hexdigest()


def _rebuild_hydra(transformer, key: str, note: dict, where: str) -> None:
    """Hydra's module drawn again as its transformer's fit drew it (the seed and the windows' shape),
    leaving torch's random state and thread count as they were."""
    import torch

    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        transformer._fit(np.zeros((1, *note["shape"]), np.float32))
    torch.set_num_threads(threads)
    if _kernels_sha256(_get(transformer, key)) != note["sha256"]:
        raise HarcnnError(
            f"{where}: Hydra's kernels drawn again from seed {note['seed']} differ from those it was fitted with "
            "(another torch version?); refit the model with this one"
        )
