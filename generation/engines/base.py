"""What every engine is, and the helpers engines share: seeds, devices, previews, resizing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from PIL import Image

from generation import limits
from generation.types import Mode, ProgressCallback, Sound, VideoRequest

if TYPE_CHECKING:  # torch is imported where it is used, so listing engines stays light
    import torch

PREVIEW_SIDE = 256  # longest side of a progress preview, in pixels


@dataclass(frozen=True)
class Recommended:
    """The settings an engine makes its best videos at, and so every caller's defaults.

    The editor fills its fields with them (and switches them with the engine), the command line
    and the API use them for what a request leaves out, and a template that names no engine runs
    at its engine's steps and guidance. An engine states them once: the embedded model in its
    module, a diffusers family as a plain ``recommended`` dict on its ``Family``
    (``{"steps": 30, "guidance": 5.0, "frames": 81, "fps": 16}``, any key may be left out).
    The defaults are ``VideoRequest``'s own.
    """

    steps: int = VideoRequest.steps  # denoising steps
    guidance: float = VideoRequest.guidance  # classifier-free guidance scale
    frames: int = VideoRequest.num_frames  # frames per clip
    fps: int = VideoRequest.fps  # frames per second

    @classmethod
    def from_dict(
        cls, values: Mapping[str, int | float] | None, fallback: Recommended | None = None
    ) -> Recommended:
        """The settings a plain dict states, the rest from ``fallback`` (or the defaults).

        Raises ValueError naming a key that is not one of steps, guidance, frames and fps.
        """
        base = fallback or cls()
        given = dict(values or {})
        unknown = sorted(set(given) - {"steps", "guidance", "frames", "fps"})
        if unknown:
            raise ValueError(
                f"Recommended settings take steps, guidance, frames and fps, not {unknown}."
            )
        return cls(
            steps=int(given.get("steps", base.steps)),
            guidance=float(given.get("guidance", base.guidance)),
            frames=int(given.get("frames", base.frames)),
            fps=int(given.get("fps", base.fps)),
        )

    def request_values(self) -> dict[str, int | float]:
        """The same settings under ``VideoRequest``'s field names."""
        return {
            "steps": self.steps,
            "guidance": self.guidance,
            "num_frames": self.frames,
            "fps": self.fps,
        }

    def for_page(self) -> dict[str, int | float]:
        """A JSON-ready copy for the editor's script (``json_script``)."""
        return {
            "steps": self.steps,
            "guidance": self.guidance,
            "frames": self.frames,
            "fps": self.fps,
        }


@dataclass(frozen=True)
class EngineInfo:
    """One engine as the editor lists it: what it makes, where it runs, whether it can run here."""

    name: str  # registry key: "embedded", "wan2.1-t2v", "camera-motion"
    label: str  # shown in the editor; says plainly what the engine is
    modes: tuple[Mode, ...]  # what it can make
    queue: str  # the Celery queue whose workers run it: "cpu", "gpu-small" or "gpu-large"
    available: bool  # can it run on this machine now
    reason: str = ""  # why not, in words an operator can act on
    presets: tuple[str, ...] = ("quality",)  # "fast" too where the operator set a few-step LoRA
    fast_steps: int | None = None  # the Fast preset's steps and guidance, for the editor to
    fast_guidance: float | None = None  # fill in when Fast is picked (None: no Fast preset)
    max_frames: int = limits.MAX_FRAMES  # the longest clip it makes; the editor offers no more
    recommended: Recommended = field(default_factory=Recommended)  # its best settings: defaults
    sound: bool = False  # it makes a soundtrack with the picture (LTX-2)


@dataclass(frozen=True)
class EngineSettings:
    """What an operator configures for the engines (environment, Django settings or the CLI)."""

    # engine name -> model folder. Names other than the built-in engines' are operator-named
    # diffusers folders (Wan 2.1 / 2.2, LTX-Video, CogVideoX), each listed as an engine.
    model_paths: Mapping[str, str] = field(default_factory=dict)
    device: str = "auto"  # "auto" (the GPU when there is one), "cuda", "cuda:1", "cpu", ...
    queues: Mapping[str, str] = field(default_factory=dict)  # engine name -> Celery queue
    max_loaded: int = 2  # models a worker keeps loaded at once (fewer when the GPU is full)
    max_style_loras: int = 4  # users' style LoRAs a loaded model keeps loaded, per model
    # engine name -> memory and speed options: {"vae-tiling": "", "offload": "group", ...}
    options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # where cache=mag keeps the ratios it calibrates per model ("": magcache.default_file())
    mag_ratios_file: str = ""


class Engine(Protocol):
    """Turns a request into frames: uint8, shaped (T, H, W, 3), at the request's width x height."""

    name: str

    def generate(self, request: VideoRequest, on_progress: ProgressCallback) -> np.ndarray: ...


def generate_with_sound(
    engine: Engine, request: VideoRequest, on_progress: ProgressCallback
) -> tuple[np.ndarray, Sound | None]:
    """The engine's frames and, where its model makes one (LTX-2), its soundtrack."""
    generate_clip = getattr(engine, "generate_clip", None)
    if generate_clip is None:
        return engine.generate(request, on_progress), None
    clip = generate_clip(request, on_progress)
    return clip.frames, clip.sound


def resolve_device(device: str) -> str:
    """ "auto" means the GPU when torch sees one, else the CPU; anything else is taken as given."""
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def seeded_generator(seed: int, device: str = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded with ``seed``, so one seed gives one video."""
    import torch

    return torch.Generator(device=device).manual_seed(seed)


def preview_image(frame: np.ndarray, side: int = PREVIEW_SIDE) -> Image.Image:
    """A small RGB preview of one uint8 (H, W, 3) frame, its longest side ``side`` pixels."""
    image = Image.fromarray(frame)
    return image.resize(_fit(image.width, image.height, side), Image.Resampling.BILINEAR)


def latent_preview(
    latents: torch.Tensor,
    factors: Sequence[Sequence[float]],
    bias: Sequence[float],
    side: int = PREVIEW_SIDE,
) -> Image.Image:
    """A cheap look at a video latent: the middle frame through a fixed linear map to RGB.

    No VAE decode: each latent pixel is one RGB pixel (``rgb = latent @ factors + bias``, values
    in about [-1, 1]), and the small image is then enlarged to ``side`` for the page.
    """
    import torch

    frame = latents[0, :, latents.shape[2] // 2].float().cpu()  # (B, C, T, h, w) -> (C, h, w)
    weights = torch.tensor(factors, dtype=torch.float32)  # (C, 3)
    rgb = torch.einsum("chw,cd->hwd", frame, weights) + torch.tensor(bias)  # (h, w, 3)
    pixels = ((rgb + 1.0) * 127.5).clamp(0, 255).round().to(torch.uint8).numpy()
    return Image.fromarray(pixels).resize(
        _fit(pixels.shape[1], pixels.shape[0], side), Image.Resampling.BILINEAR
    )


def resize_frames(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 resized to exactly width x height (bicubic); as-is when equal."""
    if frames.shape[1:3] == (height, width):
        return frames
    return np.stack(
        [
            np.asarray(Image.fromarray(f).resize((width, height), Image.Resampling.BICUBIC))
            for f in frames
        ]
    )


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """Float frames in [0, 1] to uint8, rounding rather than truncating."""
    return (np.clip(frames, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def _fit(width: int, height: int, side: int) -> tuple[int, int]:
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))
