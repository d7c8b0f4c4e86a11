"""A job's post-steps: "Smooth motion" and "Upscale", run on its finished MP4.

Example::

    from generation import post

    steps = post.PostSteps(interpolate=2, upscale=2)
    post.check_steps(steps, width=result.width, height=result.height, fps=result.fps)
    result = post.apply(result, steps, workdir=Path("out"))

Smooth motion makes 2 or 3 frames of each one by motion-compensated interpolation (ffmpeg's
``minterpolate``: bidirectional motion estimation, overlapped-block motion compensation), so the
clip keeps its length at 2x or 3x its frame rate. Upscale doubles both sides with a Lanczos
resampler (accurate rounding, full chroma interpolation). Either step can instead run a model
the operator installed: ``REELSMITH_INTERPOLATION_MODEL`` / ``REELSMITH_UPSCALE_MODEL`` name a
callable as ``package.module:function`` that takes frames (T, H, W, 3) uint8 and the factor and
returns the new frames. Unset, that backend is listed as not configured, and never used.

Each step reports its own progress stage. Sound is copied as it is.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
from PIL import Image

from generation import limits, overlays, render
from generation.types import ProgressCallback, VideoResult, no_progress

SMOOTHING_STAGE = "smoothing motion"
UPSCALING_STAGE = "upscaling"

# Built-in backends, and the environment variables that name an operator's model for each step.
MINTERPOLATE = "minterpolate"
LANCZOS = "lanczos"
MODEL = "model"
MODEL_ENV = {"interpolate": "REELSMITH_INTERPOLATION_MODEL", "upscale": "REELSMITH_UPSCALE_MODEL"}

# minterpolate's settings: motion-compensated (mci) with overlapped blocks (aobmc), motion
# searched both ways (bidir) and variable-size blocks (vsbmc), which keep edges whole.
MINTERPOLATE_OPTIONS = {"mi_mode": "mci", "mc_mode": "aobmc", "me_mode": "bidir", "vsbmc": 1}
SCALE_FLAGS = "lanczos+accurate_rnd+full_chroma_int"

ModelStep = Callable[[np.ndarray, int], np.ndarray]  # (frames (T, H, W, 3), factor) -> frames


@dataclass(frozen=True)
class PostSteps:
    """What to do to a finished clip; 1 means "leave it"."""

    interpolate: int = 1  # frames made of each one: 1, 2 or 3
    upscale: int = 1  # times each side: 1 or 2
    interpolator: str = MINTERPOLATE  # or MODEL, where the operator configured one
    upscaler: str = LANCZOS  # or MODEL

    @property
    def empty(self) -> bool:
        return self.interpolate == 1 and self.upscale == 1


@dataclass(frozen=True)
class Backend:
    """A way to run a step, and why it cannot run here."""

    step: str  # "interpolate" or "upscale"
    name: str
    label: str
    available: bool
    reason: str = ""


def list_backends(env: Mapping[str, str] | None = None) -> list[Backend]:
    """Every backend of both steps; a model backend is available only where it is configured."""
    env = os.environ if env is None else env
    found = [
        Backend("interpolate", MINTERPOLATE, "Motion-compensated (ffmpeg minterpolate)", True),
        Backend("upscale", LANCZOS, "Lanczos resampling (ffmpeg)", True),
    ]
    for step, variable in MODEL_ENV.items():
        target = env.get(variable, "").strip()
        label = f"Operator-installed model ({target})" if target else "Operator-installed model"
        reason = "" if target else f"not configured: set {variable} to package.module:function"
        found.append(Backend(step, MODEL, label, bool(target), reason))
    return found


def check_steps(steps: PostSteps, *, width: int, height: int, fps: int) -> None:
    """Raise ValueError with a message a user can act on when the steps cannot be made."""
    if steps.interpolate != 1 and steps.interpolate not in limits.INTERPOLATE_FACTORS:
        choices = " or ".join(str(f) for f in limits.INTERPOLATE_FACTORS)
        raise ValueError(f"Smooth motion makes {choices} frames of each; not {steps.interpolate}.")
    if steps.upscale != 1 and steps.upscale not in limits.UPSCALE_FACTORS:
        choices = " or ".join(f"{f}x" for f in limits.UPSCALE_FACTORS)
        raise ValueError(f"Upscale is {choices}; not {steps.upscale}x.")
    if steps.interpolate != 1 and fps * steps.interpolate > limits.MAX_SMOOTH_FPS:
        raise ValueError(
            f"Smooth motion x{steps.interpolate} of {fps} fps would be "
            f"{fps * steps.interpolate} fps; at most {limits.MAX_SMOOTH_FPS} fps is made."
        )
    if steps.upscale != 1 and max(width, height) * steps.upscale > limits.MAX_UPSCALED_SIDE:
        raise ValueError(
            f"Upscale x{steps.upscale} of {width}x{height} would be "
            f"{width * steps.upscale}x{height * steps.upscale}; "
            f"sides up to {limits.MAX_UPSCALED_SIDE} pixels are made."
        )
    available = {(b.step, b.name): b for b in list_backends()}
    for step, name, used in (
        ("interpolate", steps.interpolator, steps.interpolate != 1),
        ("upscale", steps.upscaler, steps.upscale != 1),
    ):
        backend = available.get((step, name))
        if used and backend is None:
            raise ValueError(f"There is no {step} backend named {name!r}.")
        if used and backend is not None and not backend.available:
            raise ValueError(f"The {step} model is {backend.reason}.")


def apply(
    result: VideoResult,
    steps: PostSteps,
    *,
    workdir: Path,
    on_progress: ProgressCallback = no_progress,
) -> VideoResult:
    """Run the steps on ``result``'s MP4 (smooth, then upscale); returns the new result."""
    # 1. Check: refuse before any work.
    check_steps(steps, width=result.width, height=result.height, fps=result.fps)
    if steps.empty:
        return result
    source, fps, width, height = result.output, result.fps, result.width, result.height

    # 2. Smooth motion: k frames of each, the same length at k times the frame rate.
    if steps.interpolate != 1:
        on_progress(0, 1, stage=SMOOTHING_STAGE)
        output = workdir / f"{source.stem}-smooth{steps.interpolate}.mp4"
        fps = fps * steps.interpolate
        if steps.interpolator == MODEL:
            _run_model("interpolate", source, output, steps.interpolate, fps=fps)
        else:
            count = render.probe(source).frames * steps.interpolate
            _interpolate(source, output, fps=fps, frames=count)
        source = output
        on_progress(1, 1, stage=SMOOTHING_STAGE)

    # 3. Upscale: both sides times the factor; the poster follows.
    poster = result.poster
    if steps.upscale != 1:
        on_progress(0, 1, stage=UPSCALING_STAGE)
        output = workdir / f"{source.stem}-x{steps.upscale}.mp4"
        if steps.upscaler == MODEL:
            _run_model("upscale", source, output, steps.upscale, fps=fps)
        else:
            _upscale(source, output, factor=steps.upscale)
        source = output
        width, height = width * steps.upscale, height * steps.upscale
        poster = _poster_upscaled(result.poster, workdir, width=width, height=height)
        on_progress(1, 1, stage=UPSCALING_STAGE)

    # 4. Report what was made.
    made = render.probe(source)
    details = {**result.details, "post_steps": _described(steps)}
    return dataclasses.replace(
        result,
        output=source,
        poster=poster,
        num_frames=made.frames,
        fps=fps,
        width=width,
        height=height,
        details=details,
    )


def _interpolate(source: Path, output: Path, *, fps: int, frames: int) -> None:
    """Interpolate ``source`` to ``fps``, writing exactly ``frames`` frames."""
    clip = ffmpeg.input(str(source))
    # minterpolate stops short of the clip's end (the last source frame's slot, and a frame
    # or two it keeps back); two copies of the last frame held at the end let it fill the slot,
    # and the trim keeps exactly k frames of each source frame.
    video = (
        clip.video.filter("tpad", stop=2, stop_mode="clone")
        .filter("minterpolate", fps=fps, **MINTERPOLATE_OPTIONS)
        .filter("trim", end_frame=frames)
    )
    _encode(clip, video, output, what="smoothing the motion")


def _upscale(source: Path, output: Path, *, factor: int) -> None:
    clip = ffmpeg.input(str(source))
    video = clip.video.filter("scale", f"iw*{factor}", f"ih*{factor}", flags=SCALE_FLAGS)
    _encode(clip, video, output, what="upscaling")


def _encode(clip: Any, video: Any, output: Path, *, what: str) -> None:
    """Encode ``video`` as the project's H.264 MP4, with ``clip``'s sound copied as it is."""
    stream = ffmpeg.output(
        video,
        clip["a?"],
        str(output),
        vcodec="libx264",
        crf=render.CRF,
        preset=render.PRESET,
        pix_fmt="yuv420p",
        movflags="+faststart",
        acodec="copy",
    )
    command = ffmpeg.compile(stream, cmd=render._binary("ffmpeg"), overwrite_output=True)
    done = render.run_tool(command, what=what, text=True)
    if done.returncode != 0:
        raise render.RenderError(f"{what} failed: {render._last_line(done.stderr)}")


def _run_model(step: str, source: Path, output: Path, factor: int, *, fps: int) -> None:
    """Run the operator's model for ``step`` on the decoded frames and encode what it made."""
    model = _load_model(step)
    frames, _ = overlays.read_frames(source)
    made = np.asarray(model(frames, factor))
    if made.ndim != 4 or made.shape[3] != 3 or made.dtype != np.uint8:
        raise RuntimeError(f"The {step} model returned {made.dtype} {made.shape}, not frames.")
    render.write_mp4(made, output, fps, audio_from=source)


def _load_model(step: str) -> ModelStep:
    variable = MODEL_ENV[step]
    target = os.environ.get(variable, "").strip()
    module_name, _, name = target.partition(":")
    if not module_name or not name:
        raise ValueError(f"{variable} must name package.module:function; it is {target!r}.")
    try:
        found: ModelStep = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{variable} names {target!r}, which cannot be loaded: {exc}") from exc
    return found


def _poster_upscaled(poster: Path, workdir: Path, *, width: int, height: int) -> Path:
    output = workdir / f"{poster.stem}-x.jpg"
    with Image.open(poster) as image:
        image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS).save(
            output, format="JPEG", quality=90
        )
    return output


def _described(steps: PostSteps) -> dict[str, object]:
    described: dict[str, object] = {}
    if steps.interpolate != 1:
        described["smooth_motion"] = {"factor": steps.interpolate, "backend": steps.interpolator}
    if steps.upscale != 1:
        described["upscale"] = {"factor": steps.upscale, "backend": steps.upscaler}
    return described
