"""Keeping loaded models on a worker, and giving GPU memory back when a job runs out of it.

A worker loads a model once and keeps it for the jobs that follow, but a GPU holds only so many.
``EngineCache`` is a least-recently-used store of loaded engines, bounded by a count and, on
CUDA, by free memory: before a model loads, the engines used longest ago are dropped until its
weights fit. A CUDA out-of-memory during a job drops that job's model (while loading, every kept
model) and becomes ``OutOfMemory``: a failed job with a reason a user can act on, while the
worker carries on.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from generation.types import EngineUnavailable, VideoRequest

GB = 1024**3
HEADROOM = 1.2  # weights plus what loading and the first step need on top, as a share of them

Loaded = TypeVar("Loaded")


class OutOfMemory(EngineUnavailable):
    """The GPU ran out of memory for this job; the model was freed and the next job can run."""


class EngineCache(Generic[Loaded]):
    """Loaded engines by key, the least recently used dropped first.

    ``free_bytes`` says how much GPU memory is free (None when there is no GPU to bound by);
    ``needed_bytes`` how much a key's model will take once loaded.
    """

    def __init__(
        self,
        capacity: int,
        free_bytes: Callable[[], int | None],
        needed_bytes: Callable[[Hashable], int],
    ) -> None:
        self.capacity = capacity
        self.free_bytes = free_bytes
        self.needed_bytes = needed_bytes
        self._loaded: OrderedDict[Hashable, Loaded] = OrderedDict()
        self._lock = threading.Lock()  # two threads asking at once must not load twice

    def get(self, key: Hashable, load: Callable[[], Loaded]) -> Loaded:
        """The engine for ``key``, loading it (after making room) when it is not kept."""
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
            self._make_room(key)
            engine = load()
            self._loaded[key] = engine
            return engine

    def kept(self) -> list[Hashable]:
        """Kept keys, least recently used first."""
        with self._lock:
            return list(self._loaded)

    def drop(self, key: Hashable) -> None:
        """Forget one engine and give its memory back."""
        with self._lock:
            if self._loaded.pop(key, None) is not None:
                release_memory()

    def clear(self) -> None:
        with self._lock:
            had_any = bool(self._loaded)
            self._loaded.clear()
        if had_any:
            release_memory()

    def _make_room(self, key: Hashable) -> None:
        while len(self._loaded) >= max(self.capacity, 1):
            self._evict_oldest()
        needed = self.needed_bytes(key)
        while self._loaded and needed and (free := self.free_bytes()) is not None:
            if free >= needed:
                break
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        self._loaded.popitem(last=False)
        release_memory()


def release_memory() -> None:
    """Collect dropped models now, and hand their CUDA blocks back to the driver."""
    gc.collect()
    torch = sys.modules.get("torch")  # nothing to release if torch was never imported
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def cuda_free_bytes(device: str) -> int | None:
    """Free memory on ``device`` when it is a CUDA device, else None (no bound)."""
    if not device.startswith(("cuda", "auto")):
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    index = torch.device(device if device != "auto" else "cuda").index
    free, _total = torch.cuda.mem_get_info(index if index is not None else 0)
    return int(free)


def weights_bytes(path: str) -> int:
    """Bytes of safetensors weights in a model folder (0 when there is none, e.g. camera motion)."""
    from generation.engines.families import UnknownModel, resolve_folder

    try:
        folder = resolve_folder(path) if path else None
    except UnknownModel:
        folder = None
    if folder is None or not folder.is_dir():
        return 0
    # A hub snapshot links its files into a blob store; stat follows the links to the weights.
    return sum(file.stat().st_size for file in folder.rglob("*.safetensors"))


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's CUDA out-of-memory error (without importing torch to find out)."""
    torch = sys.modules.get("torch")
    error_type = getattr(torch, "OutOfMemoryError", None) if torch else None
    return error_type is not None and isinstance(exc, error_type)


def estimate_gb(path: str, request: VideoRequest) -> float:
    """A rough figure for the GPU memory a request needs: the weights plus working memory.

    Working memory is a rule of thumb, not a measurement: the transformer's activations grow
    with the latent tokens (frames / 4 x (width / 16) x (height / 16)), about 0.5 MB each in
    bf16 for a 14B expert's width with attention done in blocks, and the VAE decodes a few
    frames at a time at full resolution, about 64 float32 feature maps per pixel.
    """
    tokens = (request.num_frames // 4 + 1) * (request.width // 16) * (request.height // 16)
    activations = tokens * 0.5 * 1024**2
    vae_decode = 4 * request.width * request.height * 64 * 4
    return (weights_bytes(path) + activations + vae_decode) / GB


def out_of_memory_message(label: str, path: str, request: VideoRequest) -> str:
    needed = estimate_gb(path, request)
    size = f"{request.width}x{request.height}, {request.num_frames} frames"
    return (
        f"{label} ran out of GPU memory: it needs ~{max(needed, 1):.0f} GB at {size}. "
        "Try a smaller size or fewer frames, or a worker with more GPU memory."
    )


def load_out_of_memory_message(label: str, path: str) -> str:
    needed = weights_bytes(path) * HEADROOM / GB
    return (
        f"{label} does not fit in GPU memory: its weights alone need ~{max(needed, 1):.0f} GB. "
        "Try again once other models are freed, or serve it from a worker with more GPU memory."
    )
