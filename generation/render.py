"""Frames to files: an H.264 MP4 through the ffmpeg binary, a poster JPEG, a thumbnail, a probe.

Frames go to ffmpeg as raw RGB on its stdin, so nothing but the finished MP4 touches the disk.
The MP4 is what every browser plays: H.264, yuv420p (which needs even sides, so an odd side is
padded by one pixel of its edge), and the index at the front (``+faststart``) so playback can
start before the download ends.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

CRF = 18  # x264 quality: 18 is near transparent; smaller files would start to show blocks
PRESET = "medium"
THUMBNAIL_SIDE = 320  # longest side of a gallery thumbnail, in pixels


class RenderError(RuntimeError):
    """ffmpeg is missing or failed; the message carries its last words."""


@dataclass(frozen=True)
class VideoInfo:
    """What ffprobe says about a video file."""

    frames: int
    fps: float
    width: int
    height: int
    duration: float  # seconds


def write_mp4(frames: np.ndarray, path: Path, fps: int) -> Path:
    """Encode uint8 frames (T, H, W, 3) as an H.264 MP4 at ``fps``; returns ``path``."""
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
        raise ValueError(
            f"Expected uint8 frames shaped (T, H, W, 3), got {frames.dtype} {frames.shape}."
        )
    if len(frames) == 0:
        raise ValueError("There are no frames to encode.")
    _, height, width, _ = frames.shape
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        _binary("ffmpeg"),
        *("-hide_banner", "-loglevel", "error", "-y"),
        *("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps)),
        *("-i", "-"),
        # yuv420p halves the chroma planes, so both sides must be even; pad, never crop.
        *("-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:0:0:color=black"),
        *("-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p"),
        *("-movflags", "+faststart", "-an", str(path)),
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stderr is not None
    try:
        for frame in frames:  # one frame at a time: no second copy of the clip in memory
            process.stdin.write(np.ascontiguousarray(frame).tobytes())
        process.stdin.close()
    except BrokenPipeError:
        pass  # ffmpeg died; its own message below says why
    errors = process.stderr.read().decode(errors="replace")
    if process.wait() != 0:
        raise RenderError(f"ffmpeg could not encode the video: {_last_line(errors)}")
    return path


def write_poster(frames: np.ndarray, path: Path) -> Path:
    """The middle frame as a JPEG, the still a gallery and a <video poster> show."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frames[len(frames) // 2]).save(path, format="JPEG", quality=90)
    return path


def write_thumbnail(frames: np.ndarray, path: Path, side: int = THUMBNAIL_SIDE) -> Path:
    """A small JPEG of the middle frame, its longest side ``side`` pixels."""
    image = Image.fromarray(frames[len(frames) // 2])
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=85)
    return path


def probe(path: Path) -> VideoInfo:
    """Frames, fps, size and duration of a video's first video stream, read by ffprobe."""
    command = [
        _binary("ffprobe"),
        *("-v", "error", "-select_streams", "v:0", "-count_frames"),
        *("-show_entries", "stream=nb_read_frames,avg_frame_rate,width,height,duration"),
        *("-of", "json", str(path)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RenderError(f"ffprobe could not read {path}: {_last_line(done.stderr)}")
    streams = json.loads(done.stdout).get("streams", [])
    if not streams:
        raise RenderError(f"{path} has no video stream.")
    stream = streams[0]
    numerator, _, denominator = stream["avg_frame_rate"].partition("/")
    fps = float(numerator) / float(denominator or 1) if float(denominator or 1) else 0.0
    frames = int(stream["nb_read_frames"])
    duration = float(stream.get("duration") or (frames / fps if fps else 0.0))
    return VideoInfo(
        frames=frames,
        fps=fps,
        width=int(stream["width"]),
        height=int(stream["height"]),
        duration=duration,
    )


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RenderError(
            f"{name} is not installed; install it (Debian/Ubuntu: sudo apt-get install ffmpeg)."
        )
    return found


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
