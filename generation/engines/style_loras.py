"""Users' style LoRAs: checked against a model's layers, then switched on per job.

A style LoRA is a file a workspace owner uploads (a look: "neon noir", "claymation") for one
model family. Before it is accepted it is read, never run: only safetensors, only up to
``limits.MAX_STYLE_LORA_BYTES``, and its header (names and shapes, no tensors, no torch) must
map onto the transformer of the model it is for, each adapted layer present with the same
input and output widths. The model's side is read the same way, from the safetensors headers
of its ``transformer`` folder, so the web process can check an upload without loading a model.

On a worker the file loads through diffusers' ``load_lora_weights`` under an adapter name of
its own, next to the Fast preset's adapter (options.py). ``StyleAdapters`` keeps the most
recently used ones loaded in the engine (least recently used deleted first), and each job
switches on exactly the adapters it asks for with ``set_adapters``, at its strength; a job
without a style LoRA runs with the style adapters off, as if none had ever been loaded.

Keys are read in diffusers' (peft's) layout, ``transformer.blocks.0.attn1.to_q.lora_A.weight``
and ``lora_B``, with or without the ``transformer.`` prefix, as diffusers' own LoRA savers and
training scripts write them.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from generation import limits
from generation.engines import families
from generation.engines.families import ModelFolder
from generation.types import EngineUnavailable

SUFFIX = ".safetensors"
PREFIX = "transformer."  # diffusers' key prefix for the denoiser's layers
DOWN, UP = ".lora_A.weight", ".lora_B.weight"
IGNORED = (".alpha",)  # per-layer scale some trainers store beside the weights
FAMILIES = {
    f.key: f
    for f in (
        families.WAN21,
        families.WAN22_TI2V,
        families.WAN22_MOE,
        families.LTX,
        families.COGVIDEOX,
    )
}
NAMED = 3  # layers named in a refusal before "and N more"

# A layer as a LoRA adapts it: [inputs, outputs, rank], JSON-friendly for the studio's row.
Layers = dict[str, list[int]]


def read_header(path: Path) -> dict[str, Any]:
    """The tensors a safetensors file holds: {name: {"dtype", "shape", "data_offsets"}}.

    Read by hand from the format's 8-byte length and JSON header, so nothing is loaded and no
    torch is needed. Raises ValueError saying why the file is not a safetensors file.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise ValueError(_not_safetensors(path, "it is too short"))
        (length,) = struct.unpack("<Q", head)
        if length > min(limits.MAX_SAFETENSORS_HEADER_BYTES, size - 8):
            raise ValueError(_not_safetensors(path, "its header length is wrong"))
        raw = handle.read(length)
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise ValueError(_not_safetensors(path, "its header is not JSON")) from None
    if not isinstance(header, dict):
        raise ValueError(_not_safetensors(path, "its header is not a table of tensors"))
    header.pop("__metadata__", None)
    data_bytes = size - 8 - length
    for name, entry in header.items():
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(v, int) for v in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_bytes
            or not isinstance(shape, list)
            or not all(isinstance(v, int) and v >= 0 for v in shape)
        ):
            raise ValueError(_not_safetensors(path, f"its entry {name!r} is malformed"))
    return header


def read_layers(path: Path) -> Layers:
    """The layers a LoRA file adapts: {module: [inputs, outputs, rank]}.

    Raises ValueError (with the reason a user can act on) for a file that is not a
    safetensors file, is over the size limit, or holds no LoRA layers.
    """
    if path.suffix != SUFFIX:
        raise ValueError(
            f"{path.name} is not a .safetensors file; LoRAs are taken in safetensors only "
            "(other formats can run code when they are loaded)."
        )
    size = path.stat().st_size
    if size > limits.MAX_STYLE_LORA_BYTES:
        raise ValueError(
            f"{path.name} is {size / 2**20:,.0f} MB; a LoRA may be at most "
            f"{limits.MAX_STYLE_LORA_BYTES / 2**20:,.0f} MB."
        )
    header = read_header(path)
    layers: Layers = {}
    for name, entry in header.items():
        if name.endswith(IGNORED) or not name.endswith(DOWN):
            continue
        module = name.removesuffix(DOWN).removeprefix(PREFIX)
        up = header.get(name.removesuffix(DOWN) + UP)
        down_shape, up_shape = entry["shape"], up["shape"] if up else None
        if up_shape is None or len(down_shape) < 2 or len(up_shape) < 2:
            raise ValueError(f"{path.name}: the layer {module} has no matching lora_B weight.")
        # lora_A: (rank, inputs, ...) and lora_B: (outputs, rank, ...), as peft stores them
        if down_shape[0] != up_shape[1]:
            raise ValueError(f"{path.name}: the layer {module} has lora_A and lora_B of two ranks.")
        layers[module] = [down_shape[1], up_shape[0], down_shape[0]]
    if not layers:
        raise ValueError(
            f"{path.name} holds no LoRA layers (keys such as "
            f"{PREFIX}blocks.0.attn1.to_q{DOWN}, as diffusers saves them)."
        )
    return layers


def model_layers(model: ModelFolder) -> dict[str, list[int]]:
    """The shapes of the weights of ``model``'s transformer: {"blocks.0.attn1.to_q": [out, in]}.

    Read from the safetensors headers of its ``transformer`` folder (one file or shards).
    """
    folder = model.path / "transformer"
    files = sorted(folder.glob("*.safetensors")) if folder.is_dir() else []
    if not files:
        raise EngineUnavailable(f"no transformer weights (safetensors) found in {folder}")
    shapes: dict[str, list[int]] = {}
    for file in files:
        stat = file.stat()
        shapes.update(_weight_shapes(str(file), stat.st_mtime_ns, stat.st_size))
    return shapes


def check_fits(layers: Mapping[str, list[int]], model: ModelFolder, family: str = "") -> None:
    """Raise ValueError saying why a LoRA of ``layers`` (for ``family``, when known) does not
    fit ``model``: another family, layers the model lacks, or layers of another width."""
    label = model.family.label
    if family and family != model.family.key:
        known = FAMILIES.get(family)
        raise ValueError(
            f"This LoRA is for {known.label if known else family} models; this model is {label}."
        )
    weights = model_layers(model)
    missing = sorted(module for module in layers if module not in weights)
    if missing:
        raise ValueError(
            f"This LoRA is for other layers than {label}'s: {_some(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not found in its transformer "
            f"({len(missing)} of the LoRA's {len(layers)} layers)."
        )
    for module, (inputs, outputs, _rank) in sorted(layers.items()):
        shape = weights[module]
        if len(shape) < 2 or shape[0] != outputs or shape[1] != inputs:
            theirs = f"{shape[1]} -> {shape[0]}" if len(shape) >= 2 else str(shape)
            raise ValueError(
                f"This LoRA is for another size of model: the shape of {module} differs "
                f"(the LoRA's {inputs} -> {outputs}, {label}'s {theirs}), a LoRA for a bigger "
                "or smaller model of the family."
            )


def summary(layers: Mapping[str, list[int]]) -> str:
    """A line for the page: '16 layers (attn1.to_q, attn1.to_k, ...) in 2 blocks, rank 4'."""
    kinds = sorted({_kind(module) for module in layers})
    blocks = {module.split(".")[1] for module in layers if module.startswith("blocks.")}
    ranks = sorted({rank for _inputs, _outputs, rank in layers.values()})
    rank = f"rank {ranks[0]}" if len(ranks) == 1 else f"ranks {ranks[0]}-{ranks[-1]}"
    where = f" in {len(blocks)} blocks" if blocks else ""
    shown = ", ".join(kinds[:6]) + (", ..." if len(kinds) > 6 else "")
    return f"{len(layers)} layers ({shown}){where}, {rank}"


class StyleAdapters:
    """The style LoRAs loaded into one engine's pipelines, the least recently used dropped.

    ``capacity`` is how many stay loaded (EngineSettings.max_style_loras). All of an engine's
    pipelines share its transformer(s), so an adapter loaded through one serves them all.
    """

    def __init__(self, capacity: int, *, both_experts: bool = False) -> None:
        self.capacity = max(capacity, 1)
        self.both_experts = both_experts  # Wan 2.2 A14B: the style goes into each expert
        self.loaded: OrderedDict[tuple[str, int, int], str] = OrderedDict()  # file -> adapter

    def use(self, pipe: Any, path: Path | None, strength: float, *, fast: str | None) -> None:
        """Switch on the adapters one job runs: ``fast`` (the Fast preset's adapter name, or
        None) and the style LoRA at ``path`` at ``strength``; all off when neither."""
        if path is None and not self.loaded:
            return  # no style LoRA was ever loaded: the preset's switch (options.py) stands
        names, weights = ([fast], [1.0]) if fast else ([], [])
        if path is not None:
            names.append(self._adapter(pipe, path))
            weights.append(strength)
        if not names:
            pipe.disable_lora()
            return
        pipe.enable_lora()
        pipe.set_adapters(names, weights)

    def _adapter(self, pipe: Any, path: Path) -> str:
        """The adapter name of the file at ``path``, loading it (after making room) if needed."""
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key in self.loaded:
            self.loaded.move_to_end(key)
            return self.loaded[key]
        while len(self.loaded) >= self.capacity:
            _, oldest = self.loaded.popitem(last=False)
            pipe.delete_adapters(oldest)
        name = "style_" + hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        try:
            pipe.load_lora_weights(str(path), adapter_name=name)
            if self.both_experts:
                pipe.load_lora_weights(str(path), adapter_name=name, load_into_transformer_2=True)
        except (OSError, ValueError) as exc:  # a malformed file, an unknown layout
            raise ValueError(f"The style LoRA {path.name} did not load: {exc}") from exc
        self.loaded[key] = name
        return name


@lru_cache(maxsize=64)
def _weight_shapes(file: str, mtime_ns: int, size: int) -> dict[str, list[int]]:
    """{module: shape} of one weights file's ``<module>.weight`` tensors (cached per version)."""
    header = read_header(Path(file))
    suffix = ".weight"
    return {
        name.removesuffix(suffix): list(entry["shape"])
        for name, entry in header.items()
        if name.endswith(suffix)
    }


def _kind(module: str) -> str:
    """'blocks.3.attn1.to_q' -> 'attn1.to_q': a layer's name within its block."""
    parts = module.split(".")
    return ".".join(parts[2:]) if parts[0] == "blocks" and len(parts) > 2 else module


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED])
    return shown if len(names) <= NAMED else f"{shown} and {len(names) - NAMED} more"


def _not_safetensors(path: Path, why: str) -> str:
    return f"{path.name} is not a safetensors file: {why}."
