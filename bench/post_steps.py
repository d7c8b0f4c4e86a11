"""Benchmark of the post-steps on the embedded engine's clips: flicker and edge sharpness.

    .venv/bin/python bench/post_steps.py [--clips 2] [--steps 8]

For each clip (the embedded model, 256x256, 16 frames at 8 fps, on one CPU thread; up to 3)
prints:

- smooth motion x2 and x3 (minterpolate), against the clip and against simply repeating its
  frames: *flicker*, the mean |change of mean luma| between consecutive frames (0..255);
  *step*, the mean absolute per-pixel change between consecutive frames (0..255), which
  interpolation divides by about its factor; *judder*, how uneven those steps are (their
  coefficient of variation: repeating frames gives about 1, even motion near 0);
- upscale x2 (Lanczos), against bilinear at the same size and against the clip itself:
  *edge rise*, the median 10-90% rise of the strongest edges, in pixels of the clip as made
  (an upscaled clip's rise is halved): smaller is sharper. The same on a sharp synthetic
  card (a square moving over a flat ground), where the resamplers differ most.

Nothing here is asserted; figures go in bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation import overlays, post, render
from generation.pipelines import text_to_video
from generation.types import VideoRequest, VideoResult

PROMPTS = (
    "a red ball bounces on green grass",
    "a blue cube moves left across a white floor",
    "a yellow star spins on a dark background",
)
EDGES_PER_FRAME = 40  # strongest horizontal-gradient maxima measured per frame
PROFILE_HALF = 8  # pixels either side of an edge, at the output's scale


def luma(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, H, W) float BT.601 luma."""
    return frames[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def flicker(frames: np.ndarray) -> float:
    means = luma(frames).mean(axis=(1, 2))  # (T,)
    return float(np.abs(np.diff(means)).mean())


def steps_of(frames: np.ndarray) -> np.ndarray:
    """Mean absolute per-pixel change of each transition: (T-1,)."""
    y = luma(frames)  # (T, H, W)
    return np.abs(np.diff(y, axis=0)).mean(axis=(1, 2))


def judder(frames: np.ndarray) -> float:
    """How uneven the steps are (their coefficient of variation): repeated frames alternate
    still and double steps (about 1); even motion is near 0."""
    changes = steps_of(frames)
    return float(changes.std() / changes.mean()) if changes.mean() else 0.0


def edge_rise(frames: np.ndarray, scale: float = 1.0) -> float:
    """Median 10-90% rise (pixels, times ``scale``) across the strongest horizontal edges."""
    rises: list[float] = []
    for y in luma(frames[:: max(1, len(frames) // 4)]):  # a few frames: edges move slowly
        gx = np.abs(np.diff(y, axis=1))  # (H, W-1)
        flat = np.argsort(gx, axis=None)[::-1]
        taken: list[tuple[int, int]] = []
        for index in flat:
            row, col = divmod(int(index), gx.shape[1])
            if any(abs(row - r) < 3 and abs(col - c) < PROFILE_HALF for r, c in taken):
                continue
            if PROFILE_HALF <= col < y.shape[1] - PROFILE_HALF - 1:
                rise = _rise(y[row, col - PROFILE_HALF : col + PROFILE_HALF + 2])
                if rise is not None:
                    rises.append(rise * scale)
                taken.append((row, col))
            if len(taken) >= EDGES_PER_FRAME:
                break
    return statistics.median(rises) if rises else float("nan")


def _rise(profile: np.ndarray) -> float | None:
    """Distance between the 10% and 90% crossings of a monotone-ish step, or None."""
    if profile[-1] < profile[0]:
        profile = profile[::-1]
    low, high = profile[:3].mean(), profile[-3:].mean()
    if high - low < 20:  # too weak to be an edge
        return None
    level = (profile - low) / (high - low)

    def crossing(fraction: float) -> float:
        above = np.nonzero(level >= fraction)[0]
        i = int(above[0])
        if i == 0:
            return 0.0
        before, after = level[i - 1], level[i]
        return i - 1 + (fraction - before) / (after - before)

    return crossing(0.9) - crossing(0.1)


def bilinear_x2(source: Path, output: Path) -> Path:
    import ffmpeg

    clip = ffmpeg.input(str(source))
    video = clip.video.filter("scale", "iw*2", "ih*2", flags="bilinear")
    command = ffmpeg.compile(
        ffmpeg.output(video, str(output), vcodec="libx264", crf=render.CRF, pix_fmt="yuv420p"),
        cmd=render._binary("ffmpeg"),
        overwrite_output=True,
    )
    render.run_tool(command, what="bilinear upscale")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    header = (
        f"{'clip':<44}{'flicker':>9}{'step':>8}{'judder':>8}{'rise px':>9}{'frames':>8}{'size':>10}"
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for n, prompt in enumerate(PROMPTS[: args.clips]):
            request = VideoRequest(
                prompt=prompt, width=256, height=256, num_frames=16, fps=8, steps=args.steps, seed=n
            )
            made = text_to_video.generate(
                request, output=workdir / f"clip{n}.mp4", engine="embedded"
            )
            _report(prompt, made, workdir / f"post{n}")
        _report("synthetic card", _card(workdir / "card.mp4"), workdir / "post-card")
    return 0


def _card(path: Path) -> VideoResult:
    """A square moving right over a flat ground, 256x256, 16 frames at 8 fps: sharp edges."""
    frames = np.zeros((16, 256, 256, 3), np.uint8)
    frames[...] = (30, 60, 120)
    for t in range(16):
        frames[t, 80:176, 20 + t * 8 : 116 + t * 8] = (250, 200, 40)
    render.write_mp4(frames, path, 8)
    poster = render.write_poster(frames, path.with_suffix(".jpg"))
    return VideoResult(
        output=path,
        poster=poster,
        engine="card",
        num_frames=16,
        fps=8,
        width=256,
        height=256,
        seed=0,
        seconds=0.0,
    )


def _report(prompt: str, made: VideoResult, workdir: Path) -> None:
    workdir.mkdir()
    frames, _ = overlays.read_frames(made.output)
    _row(f"{prompt[:30]}: as made", frames)
    _row("  repeated x2 (no interpolation)", frames.repeat(2, axis=0))
    for factor in (2, 3):
        started = time.monotonic()
        smooth = post.apply(made, post.PostSteps(interpolate=factor), workdir=workdir)
        seconds = time.monotonic() - started
        _row(f"  smooth motion x{factor} ({seconds:.1f} s)", overlays.read_frames(smooth.output)[0])
    started = time.monotonic()
    larger = post.apply(made, post.PostSteps(upscale=2), workdir=workdir)
    seconds = time.monotonic() - started
    _row(
        f"  upscale x2 lanczos ({seconds:.1f} s)",
        overlays.read_frames(larger.output)[0],
        scale=0.5,
    )
    bilinear = bilinear_x2(made.output, workdir / "bilinear.mp4")
    _row("  upscale x2 bilinear", overlays.read_frames(bilinear)[0], scale=0.5)


def _row(name: str, frames: np.ndarray, *, scale: float = 1.0) -> None:
    size = f"{frames.shape[2]}x{frames.shape[1]}"
    print(
        f"{name:<44}{flicker(frames):>9.3f}{steps_of(frames).mean():>8.2f}{judder(frames):>8.2f}"
        f"{edge_rise(frames, scale):>9.2f}{len(frames):>8}{size:>10}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
