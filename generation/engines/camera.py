"""Camera motion: image-to-video with no model, an eased pan, zoom or gentle parallax of the image.

Every frame is one affine warp (bicubic, sub-pixel) of a canvas: the uploaded image cover-fitted
to the output size times ``MARGIN``, so each move has room to travel and its sharpest frame
samples the canvas at 1:1. The move follows a smoothstep curve, so it starts and stops gently.
No pixels are invented; the editor labels the engine for what it is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from generation.engines.base import EngineInfo, EngineSettings, preview_image
from generation.prompts import CAMERA_MOTIONS, analyse
from generation.types import ProgressCallback, VideoRequest

NAME = "camera-motion"
LABEL = "Camera motion (pan/zoom of your image, no AI model)"
DEFAULT_MOTION = "zoom-in"
MARGIN = 1.15  # the canvas is this much larger than the frame: a 15% zoom, or a 15% pan
PARALLAX_ZOOM = 1.06  # parallax pushes in from this scale to 1:1 while drifting sideways
PARALLAX_FAR = 0.6  # the top rows drift this fraction of the bottom rows' distance

# An affine map from output pixels to canvas pixels: (a, b, c, d, e, f) means
# x_canvas = a*x + b*y + c and y_canvas = d*x + e*y + f (Pillow's AFFINE convention).
Affine = tuple[float, float, float, float, float, float]


def info(settings: EngineSettings) -> EngineInfo:
    """Always available: it needs Pillow and nothing else."""
    return EngineInfo(
        name=NAME, label=LABEL, modes=("image-to-video",), queue="cpu", available=True
    )


def load(settings: EngineSettings) -> CameraMotionEngine:
    return CameraMotionEngine()


def describe(request: VideoRequest) -> dict[str, object]:
    """The camera move this request gets."""
    return {"motion": choose_motion(request.motion, request.prompt)}


def choose_motion(motion: str, prompt: str) -> str:
    """The move to make: the one asked for, else the prompt's words, else a zoom in."""
    if motion == "auto":
        return analyse(prompt).camera_motion or DEFAULT_MOTION
    if motion not in CAMERA_MOTIONS:
        raise ValueError(
            f"Unknown camera motion {motion!r}; choose auto or one of: {', '.join(CAMERA_MOTIONS)}."
        )
    return motion


def open_image(path: Path | None) -> Image.Image:
    """The request's image as upright RGB; ValueError saying what is wrong with it otherwise."""
    if path is None:
        raise ValueError("Image-to-video needs an image: upload a photo to animate.")
    if not Path(path).is_file():
        raise ValueError(f"The image {Path(path).name!r} was not found.")
    try:
        with Image.open(path) as image:
            image.load()
            # Phones store portraits sideways with an EXIF flag; honour it so "up" is up.
            return ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{Path(path).name!r} is not an image that can be opened.") from exc


def smoothstep(t: float) -> float:
    """Ease in and out: 0 -> 0, 1 -> 1, with zero speed at both ends."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def canvas_size(width: int, height: int) -> tuple[int, int]:
    """The cover-fitted image's size for a width x height video: MARGIN larger each way."""
    return round(width * MARGIN), round(height * MARGIN)


def motion_transform(motion: str, progress: float, width: int, height: int) -> Affine:
    """Where frame pixels sample the canvas at ``progress`` (0..1, already eased) of the move.

    The canvas is ``canvas_size(width, height)``. Pans view a 1:1 window; zooms (and parallax,
    a little) scale the window between the whole canvas and a 1:1 window at its centre.
    """
    canvas_w, canvas_h = canvas_size(width, height)
    spare_x, spare_y = canvas_w - width, canvas_h - height  # room to travel at 1:1
    if motion in ("zoom-in", "zoom-out"):
        grow = progress if motion == "zoom-in" else 1.0 - progress
        scale = MARGIN + (1.0 - MARGIN) * grow  # canvas pixels per frame pixel: MARGIN -> 1
        return _window(
            (canvas_w - width * scale) / 2, (canvas_h - height * scale) / 2, scale, scale
        )
    if motion == "pan-left":  # the view travels left: from the canvas's right edge to its left
        return _window(spare_x * (1.0 - progress), spare_y / 2, 1.0, 1.0)
    if motion == "pan-right":
        return _window(spare_x * progress, spare_y / 2, 1.0, 1.0)
    if motion == "pan-up":
        return _window(spare_x / 2, spare_y * (1.0 - progress), 1.0, 1.0)
    if motion == "pan-down":
        return _window(spare_x / 2, spare_y * progress, 1.0, 1.0)
    if motion == "parallax":
        # A slow sideways drift with a slight push in, where the bottom rows (nearer, in most
        # photos) slide further than the top rows (farther): one gentle shear, so no seams and
        # no ghosting, at the price of tall things leaning by a degree or two mid-move.
        scale = PARALLAX_ZOOM + (1.0 - PARALLAX_ZOOM) * progress  # canvas px per frame px
        drift = (canvas_w - width * PARALLAX_ZOOM) / 2 * (2.0 * progress - 1.0)  # near rows
        far = PARALLAX_FAR * drift  # the top rows move this much
        left = (canvas_w - width * scale) / 2 + far
        top = (canvas_h - height * scale) / 2
        return (scale, (drift - far) / height, left, 0.0, scale, top)
    raise ValueError(f"Unknown camera motion {motion!r}.")


class CameraMotionEngine:
    """Animates the request's image with a camera move; no model, runs anywhere."""

    name = NAME

    def generate(self, request: VideoRequest, on_progress: ProgressCallback) -> np.ndarray:
        width, height, count = request.width, request.height, request.num_frames
        motion = choose_motion(request.motion, request.prompt)
        # Cover-fit: crop the image to the frame's aspect ratio, then size it to the canvas.
        canvas = ImageOps.fit(
            open_image(request.image_path), canvas_size(width, height), Image.Resampling.LANCZOS
        )
        frames = np.empty((count, height, width, 3), dtype=np.uint8)  # (T, H, W, 3)
        for index in range(count):
            progress = smoothstep(index / (count - 1)) if count > 1 else 0.0
            frame = canvas.transform(
                (width, height),
                Image.Transform.AFFINE,
                motion_transform(motion, progress, width, height),
                resample=Image.Resampling.BICUBIC,
            )
            frames[index] = np.asarray(frame)
            on_progress(index + 1, count, preview_image(frames[index]), stage="animating")
        return frames


def _window(left: float, top: float, scale_x: float, scale_y: float) -> Affine:
    """The affine map for an axis-aligned window at (left, top), ``scale`` canvas px per px."""
    return (scale_x, 0.0, left, 0.0, scale_y, top)
