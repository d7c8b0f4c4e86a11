"""Plain values that cross the boundary between the studio and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

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
