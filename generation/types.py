"""Plain values that cross the boundary between the studio and the engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from PIL import Image

Mode = Literal["text-to-video", "image-to-video"]


class Cancelled(Exception):
    """Raised from a progress callback to stop a generation; nothing is decoded or written."""


class EngineUnavailable(RuntimeError):
    """The engine cannot run on this worker (weights missing, no GPU, ...); the message says why."""


class ProgressCallback(Protocol):
    """``on_progress(step, total, preview=None, stage="denoising")``.

    Called after each unit of work. ``preview`` is a small RGB image of the frames being
    formed (or ``None`` when the stage has nothing to show). The callback may raise
    :class:`Cancelled` to stop the run before the next step.
    """

    def __call__(
        self,
        step: int,
        total: int,
        preview: Image.Image | None = None,
        stage: str = "denoising",
    ) -> None: ...


def no_progress(
    step: int, total: int, preview: Image.Image | None = None, stage: str = "denoising"
) -> None:
    """A progress callback that ignores everything."""


@dataclass(frozen=True)
class Style:
    """A style preset, as plain values (the studio keeps a copy of it on each job)."""

    name: str  # what it is called: "anime", or a workspace's own "Spring campaign"
    label: str  # what the editor shows: "Anime"
    prompt: str  # appended to the prompt after a comma
    negative: str = ""  # appended to the negative prompt after a comma
    guidance: float | None = None  # replaces the request's guidance; None keeps it
    steps: int | None = None  # replaces the request's steps; None keeps them
    cues: tuple[str, ...] = ()  # phrases in a prompt that name this style ("anime style")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, as a job keeps it."""
        return {**dataclasses.asdict(self), "cues": list(self.cues)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Style:
        """The style :meth:`as_dict` wrote (unknown keys are ignored)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        return cls(**{**values, "cues": tuple(values.get("cues", ()))})


@dataclass(frozen=True)
class VideoRequest:
    """Everything an engine needs to make one clip. Sizes are output pixels."""

    prompt: str
    mode: Mode = "text-to-video"
    negative_prompt: str = ""
    width: int = 512
    height: int = 512
    num_frames: int = 16
    fps: int = 8
    steps: int = 20
    guidance: float = 5.0
    seed: int = 0
    image_path: Path | None = None  # the source image for image-to-video
    motion: str = "auto"  # camera motion for image-to-video: auto, zoom-in, pan-left, ...
    preset: str = "quality"  # "fast" runs a model's few-step LoRA where its operator set one
    # A user's style LoRA (a safetensors file, see engines/style_loras.py) and its strength:
    # 0 adds nothing, 1 is the LoRA as trained.
    style_lora: Path | None = None
    style_lora_strength: float = 1.0
    style: Style | None = None  # a style preset, applied in the pipeline's prompt step


@dataclass(frozen=True)
class Sound:
    """A soundtrack an engine made with the picture: float samples in [-1, 1]."""

    samples: np.ndarray  # (channels, samples) float32
    rate: int  # samples per second

    @property
    def seconds(self) -> float:
        return self.samples.shape[-1] / self.rate


@dataclass(frozen=True)
class VideoResult:
    """What a pipeline wrote and how."""

    output: Path  # the MP4
    poster: Path  # a JPEG of a representative frame
    engine: str
    num_frames: int
    fps: int
    width: int
    height: int
    seed: int
    seconds: float  # wall time of the whole pipeline
    # engine notes: prompt analysis, motion, ...
    details: dict[str, object] = field(default_factory=dict)
    has_sound: bool = False  # the MP4 carries the engine's own soundtrack
