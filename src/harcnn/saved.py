"""Saved models: weights as safetensors, everything else as JSON beside them. Loading never unpickles.

A folder `model/` holds `model.safetensors` (the weights of every member of the population) and
`model.json` (`ModelMeta`): architecture and hyperparameters, input shape, channel order, class
names, the input transform, and the data, seeds and versions it came from, so that a prediction can
be traced back to how the model was made. A model of several members is an ensemble: its
prediction is the mean of the members' probabilities. A model may also hold fitted peers (a
heterogeneous ensemble, as `harcnn auto` makes): each in `peer-<i>.skops` (`models.peer_files`, no
pickle), with its weight and checksum in model.json; its prediction is the weighted mean of the
population's probabilities and the peers'.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from harcnn import pretrained
from harcnn.data.pipeline import Pipeline
from harcnn.data.transforms import Standardize
from harcnn.errors import HarcnnError
from harcnn.jsontext import parse_json
from harcnn.models import NETWORKS, build
from harcnn.models.layers import PopLinear, PopulationModel, check_finite
from harcnn.outputs import MODEL_FILES, atomic_output, check_output_folder, write_text

META_FILE, WEIGHTS_FILE = MODEL_FILES
FORMAT = "harcnn-model"
WEIGHTS_DIGEST = "weights_sha256"  # model.json's record of the weights file it was saved with
FORMAT_VERSION = 4  # 4: with peers; 3: all members of a population; 2: one member, dense weights (out, in); 1: dense weights (in, out)


@dataclass(frozen=True)
class ModelMeta:
    """Everything about a trained model but its weights; `model.json` is this, as JSON."""

    model: str
    hparams: dict
    seq_len: int
    channels: tuple[str, ...]
    classes: tuple  # class labels (names or ids) in the order of the model's outputs
    members: int = 1
    seeds: tuple[int, ...] = (0,)
    transform: Standardize | None = None  # the input standardisation fitted on its training windows
    training: dict = field(default_factory=dict)  # how it was trained (recipe, spec, wall time)
    data: dict | None = None  # the dataset it was trained on: name, sha256, source
    pipeline: Pipeline | None = None  # how recordings become its windows, where known
    test_accuracy: float | None = None  # recorded by `harcnn train`, for information only
    harcnn_version: str = ""
    torch_version: str = ""
    peers: tuple[dict, ...] = ()  # fitted peers beside the population: {"model", "hparams", "seed", "weight", "temperature", "sha256"}
    temperature: float = 1.0  # beside peers, the population's probabilities are softmax(logits / temperature)

    @property
    def peer_weight(self) -> float:
        """The peers' share of the prediction; the population's is the rest."""
        return sum(p["weight"] for p in self.peers)

    @property
    def c_in(self) -> int:
        return len(self.channels)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def to_json(self) -> dict:
        body = {f.name: _json_value(getattr(self, f.name)) for f in fields(self) if f.name not in ("peers", "temperature") or self.peers}
        version = FORMAT_VERSION if self.peers else 3  # a model without peers reads in harcnn before 0.10
        return {"format": FORMAT, "format_version": version, "c_in": self.c_in, "n_classes": self.n_classes, **body}

    @classmethod
    def from_json(cls, raw: object, where: str) -> ModelMeta:
        """Check every field of a `model.json`; a problem is one error naming the file and the field."""

        def fail(key: str, problem: str) -> HarcnnError:
            return HarcnnError(f"{where}: field {key!r}: {problem}")

        if not isinstance(raw, dict):
            raise HarcnnError(f"{where}: not a JSON object")
        if (
            raw.get("format") != FORMAT
            or not isinstance(raw.get("format_version", 1), int)
            or raw.get("format_version", 1) > FORMAT_VERSION
        ):
            raise HarcnnError(f"{where}: not a harcnn model (format {raw.get('format')!r} v{raw.get('format_version')})")
        for key in ("model", "hparams", "seq_len", "channels", "classes"):
            if key not in raw:
                raise fail(key, "missing")
        if raw["model"] not in NETWORKS:
            raise fail("model", f"unknown model {raw['model']!r}; this harcnn has {sorted(NETWORKS)}")
        if not isinstance(raw["hparams"], dict):
            raise fail("hparams", "must be an object")
        for key in ("seq_len", "members"):
            value = raw.get(key, 1)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise fail(key, f"must be a positive whole number, got {value!r}")
        channels, classes = raw["channels"], raw["classes"]
        if not isinstance(channels, list) or not channels or not all(isinstance(c, str) for c in channels):
            raise fail("channels", "must be a non-empty list of names")
        if (
            not isinstance(classes, list)
            or len(classes) < 2
            or not all(isinstance(c, str | int) and not isinstance(c, bool) for c in classes)
        ):
            raise fail("classes", "must be a list of at least two names or ids")
        if len(set(classes)) != len(classes):
            raise fail("classes", "names must be unique")
        members = raw.get("members", 1)
        seeds = raw.get("seeds", [raw.get("training", {}).get("seed", 0)] if isinstance(raw.get("training"), dict) else [0])
        if not isinstance(seeds, list) or len(seeds) != members or not all(isinstance(s, int) for s in seeds):
            raise fail("seeds", f"must be a list of {members} whole numbers, got {seeds!r}")
        transform = raw.get("transform")
        if transform is not None:
            _check_transform(transform, len(channels), fail)
            transform = Standardize.from_json(transform)
        for key in ("training",):
            if not isinstance(raw.get(key, {}), dict):
                raise fail(key, "must be an object")
        if raw.get("data") is not None and not isinstance(raw["data"], dict):
            raise fail("data", "must be an object or null")
        pipeline = raw.get("pipeline")
        if pipeline is not None:
            pipeline = Pipeline.from_json(pipeline, where)
            if list(pipeline.output_channels) != channels:
                raise fail("pipeline", f"makes channels {list(pipeline.output_channels)}, the model reads {channels}")
        accuracy = raw.get("test_accuracy")
        if accuracy is not None and (not isinstance(accuracy, int | float) or not 0 <= accuracy <= 1):
            raise fail("test_accuracy", f"must be a fraction in [0, 1] or null, got {accuracy!r}")
        return cls(
            model=raw["model"], hparams=raw["hparams"], seq_len=raw["seq_len"], channels=tuple(channels), classes=tuple(classes),
            members=members, seeds=tuple(seeds), transform=transform, training=raw.get("training", {}), data=raw.get("data"), pipeline=pipeline,
            test_accuracy=accuracy, harcnn_version=str(raw.get("harcnn_version", "")), torch_version=str(raw.get("torch_version", "")),
            peers=_checked_peers(raw.get("peers", []), fail), temperature=_checked_temperature(raw.get("temperature", 1.0), "temperature", fail),
        )  # fmt: skip

    def build(self) -> PopulationModel:
        return build(self.model, self.c_in, self.n_classes, self.seq_len, members=self.members, **self.hparams)


def peer_file(i: int) -> str:
    """The file of peer `i` in a model folder (derived, never read from model.json: names there are data)."""
    return f"peer-{i}.skops"


def _checked_peers(peers: object, fail) -> tuple[dict, ...]:
    """model.json's peers: registered peers that can be saved, each with hyperparameters, a seed, a
    weight in (0, 1) (together below 1: the population keeps a share) and its file's sha256."""
    from harcnn.models.peers import PEERS

    if not isinstance(peers, list):
        raise fail("peers", "must be a list")
    for i, p in enumerate(peers):
        where = f"peers[{i}]"
        if not isinstance(p, dict) or set(p) != {"model", "hparams", "seed", "weight", "temperature", "sha256"}:
            raise fail(where, "must be an object with model, hparams, seed, weight, temperature and sha256")
        if p["model"] not in PEERS or not PEERS[p["model"]].saveable:
            raise fail(where, f"{p['model']!r} is not a peer a model folder holds; saveable: {[k for k, e in PEERS.items() if e.saveable]}")
        if not isinstance(p["hparams"], dict) or not isinstance(p["seed"], int) or isinstance(p["seed"], bool):
            raise fail(where, "hparams must be an object and seed a whole number")
        if not isinstance(p["weight"], int | float) or not 0 < p["weight"] < 1:
            raise fail(where, f"weight must be a number in (0, 1), got {p['weight']!r}")
        _checked_temperature(p["temperature"], f"{where}.temperature", fail)
        if not isinstance(p["sha256"], str) or len(p["sha256"]) != 64:
            raise fail(where, "sha256 must be 64 hex digits")
    if sum(p["weight"] for p in peers) >= 1:
        raise fail("peers", "weights must add up to less than 1 (the population's share is the rest)")
    return tuple(peers)


def _checked_temperature(value: object, key: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise fail(key, f"must be a positive finite number, got {value!r}")
    return float(value)


def _json_value(value: object) -> object:
    """A field of `ModelMeta` as model.json holds it: tuples as lists, the typed parts as their JSON."""
    if isinstance(value, Pipeline | Standardize):
        return value.to_json()
    return list(value) if isinstance(value, tuple) else value


def _check_transform(transform: object, channels: int, fail) -> None:
    stats = transform.get("standardize") if isinstance(transform, dict) else None
    if not isinstance(stats, dict):
        raise fail("transform", "must be null or {'standardize': {'mean': [...], 'std': [...]}}")
    for key in ("mean", "std"):
        values = stats.get(key)
        if not isinstance(values, list) or len(values) != channels:
            raise fail("transform", f"{key} must list one number per channel ({channels})")
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise fail("transform", f"{key} must hold finite numbers")
    if any(v <= 0 for v in stats["std"]):
        raise fail("transform", "std must be positive")


def save_model(folder: Path, state: dict[str, torch.Tensor], meta: ModelMeta, peers: tuple[bytes, ...] = ()) -> Path:
    """The files, each written whole (`outputs.atomic_output`), model.json last; it records the
    weights' and the peers' checksums, so that a folder whose files come from two savings (a crash
    between the writes, a copy by hand) is refused on load instead of predicting with the wrong weights.
    `peers`: the bytes of each peer's file (`models.peer_files.dumps`), in `meta.peers`' order."""
    folder = Path(folder)
    check_output_folder(folder)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as e:
        raise HarcnnError(f"{folder}: cannot make the model folder ({e.strerror or e})") from None
    with atomic_output(folder / WEIGHTS_FILE) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, tmp)
        digest = _sha256(tmp)
    for i, data in enumerate(peers):
        with atomic_output(folder / peer_file(i)) as tmp:
            tmp.write_bytes(data)
    write_text(folder / META_FILE, json.dumps({**meta.to_json(), WEIGHTS_DIGEST: digest}, indent=1))
    return folder


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_model(folder: str | Path) -> tuple[PopulationModel, ModelMeta, list]:
    """The population, its metadata and its fitted peers (`ModelMeta.peers`, usually none) from a
    model folder (any format version), or from a model shipped in the package (`pretrained:NAME`)."""
    folder = pretrained.resolve(folder)
    meta_path, weights_path = folder / META_FILE, folder / WEIGHTS_FILE
    for p in (meta_path, weights_path):
        if not p.is_file():
            raise HarcnnError(f"{folder}: not a harcnn model folder (missing {p.name})")
    raw = parse_json(meta_path.read_bytes(), str(meta_path))
    meta = ModelMeta.from_json(raw, str(meta_path))
    digest = raw.get(WEIGHTS_DIGEST)  # older models have none
    if digest is not None and digest != _sha256(weights_path):
        raise HarcnnError(
            f"{folder}: {WEIGHTS_FILE} is not the file {META_FILE} was saved with (its sha256 differs from the one recorded): the two "
            "files come from two savings, say a save cut short or a copy by hand; save or copy the model again"
        )
    try:
        with torch.device("meta"):  # the shapes its fields describe, before anything is allocated
            shapes = {k: tuple(v.shape) for k, v in meta.build().state_dict().items()}
    except (HarcnnError, ValueError, TypeError) as e:
        raise HarcnnError(f"{meta_path}: the model cannot be built from its fields ({e})") from None
    _check_weights_file(weights_path, shapes, transposed=raw.get("format_version", 1) == 1)
    model = meta.build()
    try:
        state = load_file(weights_path)
        if raw.get("format_version", 1) == 1:
            state = _dense_weights_transposed(model, state)
        model.load_state_dict(state)
    except (SafetensorError, RuntimeError, OSError) as e:
        raise HarcnnError(f"{weights_path}: weights do not load into {meta.model} ({str(e).splitlines()[0]})") from None
    try:
        check_finite(model)
    except HarcnnError as e:
        raise HarcnnError(f"{weights_path}: {e}") from None
    return model.eval(), meta, _load_peers(folder, meta)


def _load_peers(folder: Path, meta: ModelMeta) -> list:
    """Each peer's file, checked against the checksum model.json recorded before it is read."""
    from harcnn.models import peer_files
    from harcnn.models.peers import PEERS

    fitted = []
    for i, p in enumerate(meta.peers):
        path = folder / peer_file(i)
        if not path.is_file():
            raise HarcnnError(f"{folder}: not a whole harcnn model folder (missing {path.name}, which {META_FILE} lists)")
        data = path.read_bytes()
        if peer_files.sha256(data) != p["sha256"]:
            raise HarcnnError(f"{path}: is not the file {META_FILE} was saved with (its sha256 differs); save or copy the model again")
        fitted.append(peer_files.loads(PEERS[p["model"]], data, str(path)))
    return fitted


def _check_weights_file(path: Path, shapes: dict[str, tuple[int, ...]], transposed: bool) -> None:
    """The file's tensors, read from its header only, against what model.json describes: a missing,
    extra or misshapen tensor is named, and nothing the size of an absurd model.json is allocated."""
    try:
        with safe_open(path, "pt") as f:
            found = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError) as e:
        raise HarcnnError(f"{path}: not a readable safetensors file ({str(e).splitlines()[0]})") from None
    for key in sorted(set(shapes) | set(found)):
        if key not in found:
            raise HarcnnError(f"{path}: tensor {key!r} is missing (model.json describes it)")
        if key not in shapes:
            raise HarcnnError(f"{path}: tensor {key!r} is not part of the model model.json describes")
        want = shapes[key][:-2] + shapes[key][:-3:-1] if transposed and len(shapes[key]) >= 2 else shapes[key]
        if found[key] != shapes[key] and found[key] != want:
            raise HarcnnError(f"{path}: tensor {key!r} has shape {list(found[key])}, model.json describes {list(shapes[key])}")


def _dense_weights_transposed(model: PopulationModel, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Version 1 state with its dense weights laid out as later versions store them."""
    dense = {f"{name}.weight" for name, module in model.named_modules() if isinstance(module, PopLinear)}
    return {k: v.transpose(-1, -2).contiguous() if k in dense else v for k, v in state.items()}
