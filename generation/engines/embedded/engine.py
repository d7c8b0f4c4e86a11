"""The embedded engine: prompt analysis -> attribute embeddings -> space-time denoiser -> frames.

Weights ship in the repository (``weights/embedded-v3.safetensors`` + its ``.json`` config)
and load once per process. The model's native clip is 16 frames of 32x32; the engine
resamples in time to the requested frame count and decodes each frame to the requested size
(``field_decode``: the object's outline drawn at the output size in the clip's two colours, the
square world in the middle of a wider or taller frame; ``crisp_upscale`` where the denoiser drew
something else).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file
from scipy import ndimage

from generation.engines.embedded.model import (
    DenoiserConfig,
    TinyVideoUNet,
    clips_to_uint8,
    sample_planned,
)
from generation.engines.embedded.vocabulary import ATTRIBUTES, attribute_indices, understand
from generation.types import EngineUnavailable, ProgressCallback, VideoRequest

WEIGHTS = Path(__file__).parent / "weights" / "embedded-v3.safetensors"
# Ten Euler steps are as good as twenty on this model's evaluator scores (docs/embedded-model.md);
# the engine honours whatever the request asks for.
RECOMMENDED_STEPS = 10
RECOMMENDED_GUIDANCE = 2.0
# What the registry lists as this engine's recommended settings (base.Recommended's shape):
# its native 16 frames, at 8 frames per second a two-second clip.
RECOMMENDED = {"steps": RECOMMENDED_STEPS, "guidance": RECOMMENDED_GUIDANCE, "frames": 16, "fps": 8}
# Every frame starts from the same noise when sampling (training shares 90% of it): background
# flicker falls from 3.5 to 1.8 / 255 with every attribute still right (docs/embedded-model.md).
NOISE_CORRELATION = 1.0
PREVIEW_SIZE = 128
MAX_SIDE = 2048
MAX_FRAMES = 256  # the frames it resamples its native clip to, at most (see EngineInfo)

_loaded: dict[Path, EmbeddedEngine] = {}
_lock = threading.Lock()


def is_available(weights: Path = WEIGHTS) -> tuple[bool, str]:
    """Whether the shipped weights are present, and why not."""
    if not weights.is_file():
        return False, f"weights not found at {weights}"
    if not weights.with_suffix(".json").is_file():
        return False, f"model config not found at {weights.with_suffix('.json')}"
    return True, ""


def load(settings: Any = None) -> EmbeddedEngine:
    """The engine, loading its weights on first use only (one copy per process).

    ``settings`` (the registry's ``EngineSettings``, or a dict in tests) may point elsewhere:
    ``model_paths["embedded"]`` or ``embedded_weights`` names a weights file, or a folder
    holding ``embedded-v3.safetensors``. The model always runs on the CPU: it is small enough
    that moving it to a GPU would cost more than it saves.
    """
    path = _weights_path(settings)
    with _lock:
        if path not in _loaded:
            ok, reason = is_available(path)
            if not ok:
                raise EngineUnavailable(reason)
            _loaded[path] = EmbeddedEngine(path)
        return _loaded[path]


def _weights_path(settings: Any) -> Path:
    if settings is None:
        return WEIGHTS
    if isinstance(settings, dict):
        override = settings.get("embedded_weights")
    else:
        override = getattr(settings, "model_paths", {}).get("embedded")
    if not override:
        return WEIGHTS
    path = Path(override)
    return path / WEIGHTS.name if path.is_dir() else path


def describe(request: VideoRequest) -> dict[str, object]:
    """What the pipeline should put in ``VideoResult.details`` for this request."""
    return {
        "prompt_analysis": dict(understand(request.prompt)),
        "native_size": "32x32",
        "native_frames": 16,
        "recommended_steps": RECOMMENDED_STEPS,
        "negative_prompt": "ignored by the embedded model" if request.negative_prompt else "",
    }


class EmbeddedEngine:
    """The small text-to-video model trained by ``python -m generation.engines.embedded.train``."""

    name = "embedded"

    def __init__(self, weights: Path) -> None:
        config = json.loads(weights.with_suffix(".json").read_text())
        self.config = DenoiserConfig.from_dict(config["model"])
        self.training = config.get("training", {})
        self.model = TinyVideoUNet(self.config)
        self.model.load_state_dict(load_file(str(weights)))
        self.model.eval().requires_grad_(False)

    def generate(self, request: VideoRequest, on_progress: ProgressCallback) -> np.ndarray:
        """Frames as uint8 (num_frames, height, width, 3)."""
        # 1. Check inputs.
        _check_inputs(request)
        # 2. Prompt analysis -> the denoiser's conditioning.
        attributes = torch.tensor([attribute_indices(understand(request.prompt))])

        # 3. Denoising loop, with a preview of the middle frame of the current estimate.
        def on_step_end(i: int, total: int, x0: torch.Tensor) -> None:
            on_progress(i + 1, total, _preview(x0), "denoising")

        generator = torch.Generator().manual_seed(request.seed)
        clips, layout = sample_planned(
            self.model,
            attributes,
            steps=request.steps,
            guidance=request.guidance,
            generator=generator,
            callback_on_step_end=on_step_end,
            noise_correlation=NOISE_CORRELATION,
        )
        # 4. Decode: native frames -> requested frame count and size. The object's outline is
        # drawn at the output size (the outline head, or the layout field); where the
        # denoiser drew something else, the clip's own coverage is upscaled.
        native = clips_to_uint8(clips)[0].numpy()  # (16, 32, 32, 3)
        outline = outline_of(self.model, attributes)
        if layout is not None and outline is not None:
            decoded = field_decode(
                outline, native, layout[0], request.num_frames, request.width, request.height
            )
            if decoded is not None:
                return decoded
        frames = resample_time(native, request.num_frames)
        return crisp_upscale(frames, request.width, request.height)


def _check_inputs(request: VideoRequest) -> None:
    if not (1 <= request.width <= MAX_SIDE and 1 <= request.height <= MAX_SIDE):
        raise ValueError(f"The width and height must be between 1 and {MAX_SIDE} pixels.")
    if not 1 <= request.num_frames <= MAX_FRAMES:
        raise ValueError(
            f"The frame count is {request.num_frames}; the embedded model makes 1 to "
            f"{MAX_FRAMES} frames."
        )
    if request.steps < 1:
        raise ValueError("The number of steps must be at least 1.")
    if request.guidance < 0:
        raise ValueError("The guidance must not be negative.")


def _preview(x0: torch.Tensor) -> Image.Image:
    middle = clips_to_uint8(x0[:1])[0, x0.shape[2] // 2].numpy()  # (H, W, 3)
    return Image.fromarray(middle).resize((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.NEAREST)


def resample_time(frames: np.ndarray, count: int) -> np.ndarray:
    """Linear interpolation between native frames to ``count`` frames spanning the same motion."""
    if count == len(frames):
        return frames
    positions = np.linspace(0, len(frames) - 1, count)
    lower = np.floor(positions).astype(int)
    upper = np.minimum(lower + 1, len(frames) - 1)
    w = (positions - lower)[:, None, None, None]
    mixed = frames[lower].astype(np.float32) * (1 - w) + frames[upper].astype(np.float32) * w
    return np.rint(mixed).astype(np.uint8)


# The edge of the object at the output size, from 10% to 90% coverage: about 1.2 pixels, so
# edges are crisp at any size yet still antialiased (no stair steps).
EDGE_PIXELS = 1.5
# Below this colour distance (0..441) between the object and the background there is no object
# to draw crisply, and the clip is upscaled as it is.
MIN_CONTRAST = 40.0


def crisp_upscale(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Frames (T, S, S, 3) -> (T, height, width, 3): one flat background and one object colour
    drawn with a coverage whose edge is sharp at the output size.

    The model's world is one flat-coloured object on a flat background, and its 32-pixel
    frames say three things: the two colours and, per pixel, how much of the object covers it.
    Upscaling the pixels blurs a 32-pixel edge over 16 output pixels and enlarges every speck
    of leftover noise. Instead the coverage (a smooth function of position) is upsampled
    bicubically and its 50% level is taken as the edge, rising over ``EDGE_PIXELS`` output
    pixels; the colours are the clip's own, one per clip, so the background is flat and still.
    A clip with no clear object (too little contrast) is upscaled as it is (``upscale``).
    """
    clip = frames.astype(np.float32)
    background = _border_colour(clip)  # (3,)
    distance = np.linalg.norm(clip - background, axis=-1)  # (T, S, S)
    far = float(np.percentile(distance, 99.5))
    core = distance > 0.6 * far
    if far < MIN_CONTRAST or not core.any():
        return np.stack([upscale(f, width, height) for f in frames])
    colour = clip[core].mean(axis=0)  # (3,)
    direction = colour - background
    alpha = np.clip(((clip - background) @ direction) / float(direction @ direction), 0.0, 1.0)
    alpha = _without_specks(alpha)
    side = max(width, height)
    steepness = max(1.0, side / frames.shape[1] / EDGE_PIXELS)  # native edge ~1 native pixel
    left, top = (side - width) // 2, (side - height) // 2
    out = np.empty((len(frames), height, width, 3), dtype=np.uint8)
    for i, a in enumerate(alpha):
        big = Image.fromarray(a).resize((side, side), Image.Resampling.BICUBIC)
        cover = np.asarray(big)[top : top + height, left : left + width]  # (H, W)
        cover = np.clip((cover - 0.5) * steepness + 0.5, 0.0, 1.0)[..., None]
        out[i] = np.rint(background + cover * direction).astype(np.uint8)
    return out


SPECK = 0.1  # a blob under this share of the frame's largest is leftover noise, not an object


def _without_specks(alpha: np.ndarray) -> np.ndarray:
    """Coverage (T, S, S) with blobs far smaller than the frame's largest removed.

    The world has one object; a few pixels of leftover noise over half covered would otherwise
    become sharp coloured dots at the output size.
    """
    structure = np.ones((3, 3), dtype=bool)
    cleaned = alpha.copy()
    for i, frame in enumerate(alpha):
        labels, count = ndimage.label(frame > 0.3, structure=structure)
        if count < 2:
            continue
        sizes = np.bincount(labels.ravel())[1:]
        small = np.isin(labels, 1 + np.flatnonzero(sizes < SPECK * sizes.max()))
        kept = ndimage.binary_dilation((labels > 0) & ~small, structure=structure)
        specks = ndimage.binary_dilation(small, structure=structure) & ~kept  # with their rims
        cleaned[i] = np.where(specks, 0.0, frame)
    return cleaned


def upscale(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Lanczos upscale of a square frame to cover ``width`` x ``height``, centre-cropped.

    Cropping keeps circles round when the requested size is not square.
    """
    side = max(width, height)
    big = Image.fromarray(frame).resize((side, side), Image.Resampling.LANCZOS)
    left, top = (side - width) // 2, (side - height) // 2
    return np.asarray(big.crop((left, top, left + width, top + height)))


# The outline must agree this well (IoU at the native size) with what the denoiser drew for it
# to be drawn at the output size; below it the clip's own coverage is used.
MIN_AGREEMENT = 0.5
# The square of the object's own frame, in planned radii either side of its centre, that holds
# the whole shape (the star's points reach 1.15 radii): the outline is drawn within it.
REACH = 1.35
# Output pixels between two samples of the outline's raster, at the clip's largest planned size.
RASTER_PIXELS = 1.5

# A signed measure (...) of being inside the object at points (..., 2) of its own frame:
# positive inside, negative outside, zero on the outline, smooth across it (``outline_of``).
Outline = Callable[[torch.Tensor], torch.Tensor]


def outline_of(model: TinyVideoUNet, attributes: torch.Tensor) -> Outline | None:
    """What the decode draws for a prompt's attributes (1, 5): the outline head's shape (its
    logit) where the prompt names one, else the layout field's own coverage less a half (the
    shape the denoiser was shown); None for a model with neither."""
    shape = int(attributes[0, list(ATTRIBUTES).index("shape")])
    head, field = model.outline, model.layout_field
    if head is not None and shape > 0:
        index = torch.tensor([shape])
        return lambda u: head(u[None], index)[0]
    if field is not None:
        return lambda u: field.at(u[None], attributes)[0, ..., 0] - 0.5
    return None


def field_decode(
    outline: Outline,
    native: np.ndarray,
    layout: torch.Tensor,
    count: int,
    width: int,
    height: int,
) -> np.ndarray | None:
    """Frames (count, height, width, 3) drawn from the model's outline at the output size.

    The outline is a function of position in the object's own frame, the same in every frame:
    it is evaluated once per clip on a raster of that frame, fine enough for the output size,
    and every output frame samples it where the planned layout (interpolated in time) puts the
    object. So the outline is sharp at any size, and in-between frames are drawn, not blended.
    The two colours come from the denoised clip ``native`` (T, S, S, 3). Returns None when the
    clip has no clear object or the denoiser's object does not match the outline (the caller
    then upscales the clip).
    """
    frames, size = native.shape[0], native.shape[1]
    rows = _resample_layout(layout.numpy(), count)
    # The model's square world fills the frame's short side, in its middle, and the flat
    # background runs on to the long side's edges: in a 16:9 or 9:16 frame the whole object and
    # its whole path stay in view (cropping a square to cover the frame cut them off).
    side = min(width, height)
    largest = float(np.abs(rows[:, 2]).max()) * side / 2  # the planned radius, output pixels
    raster = _raster(outline, int(np.clip(2 * REACH * largest / RASTER_PIXELS, 32, 512)))
    px, py = np.meshgrid(np.arange(size), np.arange(size))  # the native pixels
    native_cover = np.stack(
        [_sample(raster, layout[i].numpy(), px, py, size) for i in range(frames)]
    )
    clip = native.astype(np.float32)
    background = _border_colour(clip)
    core = ndimage.binary_erosion(native_cover > 0)  # a native pixel in from the outline
    if core.sum() < 4:
        return None
    colour = np.median(clip[core], axis=0)
    direction = colour - background
    if float(np.linalg.norm(direction)) < MIN_CONTRAST:
        return None
    drawn = ((clip - background) @ direction) / float(direction @ direction) > 0.5
    planned = native_cover > 0
    if (drawn & planned).sum() < MIN_AGREEMENT * max((drawn | planned).sum(), 1):
        return None
    left, top = (side - width) // 2, (side - height) // 2
    out = np.empty((count, height, width, 3), dtype=np.uint8)
    for i, row in enumerate(rows):
        cover = _frame_cover(raster, row, side, left, top, width, height)
        out[i] = np.rint(background + cover[..., None] * direction).astype(np.uint8)
    return out


def _border_colour(clip: np.ndarray) -> np.ndarray:
    """The background colour (3,) of a float clip (T, S, S, 3): the median of its border."""
    border = np.concatenate([clip[:, 0], clip[:, -1], clip[:, :, 0], clip[:, :, -1]], axis=1)
    return np.median(border.reshape(-1, 3), axis=0)


def _resample_layout(layout: np.ndarray, count: int) -> np.ndarray:
    """The layout (T, 4) linearly interpolated to ``count`` frames over the same motion."""
    if count == len(layout):
        return layout
    positions = np.linspace(0, len(layout) - 1, count)
    return np.stack([np.interp(positions, np.arange(len(layout)), c) for c in layout.T], axis=1)


def _raster(outline: Outline, n: int) -> np.ndarray:
    """The outline's values (n, n) on a grid over [-REACH, REACH]^2 of the object's frame."""
    grid = torch.linspace(-REACH, REACH, n)
    u = torch.stack(torch.meshgrid(grid, grid, indexing="xy"), dim=-1)  # (n, n, 2): x, y
    with torch.no_grad():
        return outline(u.reshape(-1, 2)).reshape(n, n).numpy()


def _sample(
    raster: np.ndarray, row: np.ndarray, px: np.ndarray, py: np.ndarray, side: int
) -> np.ndarray:
    """The outline's values at pixels (px, py) of a ``side`` square frame (pixel centres at
    + 0.5) for one layout row (x, y, radius, turn): bilinear between the raster's samples,
    the raster's edge value beyond it (every shape lies within it, so that is outside)."""
    scale = side / 2
    x = (px.astype(np.float32) + 0.5) / scale - 1 - row[0]
    y = (py.astype(np.float32) + 0.5) / scale - 1 - row[1]
    radius = max(float(row[2]), 0.05)
    turn = float(row[3]) * np.pi / 2
    cos, sin = np.cos(turn), np.sin(turn)
    ux, uy = (x * cos + y * sin) / radius, (y * cos - x * sin) / radius
    n = raster.shape[0]
    index = (np.stack([uy, ux]) + REACH) * ((n - 1) / (2 * REACH))
    return ndimage.map_coordinates(raster, index, order=1, mode="nearest")


def _frame_cover(
    raster: np.ndarray, row: np.ndarray, side: int, left: int, top: int, width: int, height: int
) -> np.ndarray:
    """Coverage (height, width) in 0..1 of the object at one layout ``row``, its edge
    antialiased over ``EDGE_PIXELS``: the outline's value over its slope is the signed distance
    from the outline in pixels."""
    cover = np.zeros((height, width), dtype=np.float32)
    scale = side / 2
    cx, cy = (row[0] + 1) * scale - left, (row[1] + 1) * scale - top
    reach = REACH * max(float(row[2]), 0.05) * scale
    x0, x1 = max(int(cx - reach), 0), min(int(np.ceil(cx + reach)) + 1, width)
    y0, y1 = max(int(cy - reach), 0), min(int(np.ceil(cy + reach)) + 1, height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return cover
    px, py = np.meshgrid(np.arange(x0, x1) + left, np.arange(y0, y1) + top)
    values = _sample(raster, row, px, py, side)
    dy, dx = np.gradient(values)
    slope = np.maximum(np.hypot(dx, dy), 1e-4)  # per output pixel
    ramp = EDGE_PIXELS / 0.8  # a linear ramp rises from 10% to 90% over 0.8 of its width
    cover[y0:y1, x0:x1] = _one_object(np.clip(0.5 + values / (slope * ramp), 0.0, 1.0))
    return cover


def _one_object(cover: np.ndarray) -> np.ndarray:
    """The coverage of the largest connected object only, with its antialiased rim: the world
    has one object, and a stray speck the outline leaves would be a sharp dot at this size."""
    labels, count = ndimage.label(cover > 0.5)
    if count < 2:
        return cover
    sizes = np.bincount(labels.ravel())[1:]
    kept = ndimage.binary_dilation(labels == 1 + int(np.argmax(sizes)), iterations=2)
    return np.where(kept, cover, 0.0)
