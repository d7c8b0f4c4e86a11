"""Frames and a voice into one MP4: H.264 video and AAC audio through the ffmpeg binary.

Like render.write_mp4 (same quality settings and browser-friendly layout), but frames arrive
one at a time from a generator, so a long talking head never sits in memory whole, and the
voice's WAV is muxed in the same pass.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from generation import render

PRESET = "veryfast"  # a CPU worker encodes a talking head faster than it plays (see bench/)
# Finer than render.CRF: a talking head is mostly a still photo whose detail (hair, skin) must
# survive; at 18 the codec alone took SSIM with the photo down to about 0.96.
CRF = 14
AUDIO_BITRATE = "128k"


def write_mp4_with_audio(
    frames: Iterable[np.ndarray], path: Path, *, fps: int, width: int, height: int, audio: Path
) -> int:
    """Encode uint8 frames (H, W, 3) with ``audio`` (a WAV) as an MP4; returns the frame count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        render._binary("ffmpeg"),
        *("-hide_banner", "-loglevel", "error", "-y"),
        *("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps)),
        *("-i", "-", "-i", str(audio)),
        *("-map", "0:v:0", "-map", "1:a:0"),
        *("-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:0:0:color=black"),
        *("-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", "44100"),
        *("-movflags", "+faststart", str(path)),
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stderr is not None
    count = 0
    try:
        for frame in frames:
            if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                raise ValueError(
                    f"A frame is {frame.dtype} {frame.shape}; "
                    f"expected ({height}, {width}, 3) uint8."
                )
            process.stdin.write(np.ascontiguousarray(frame).tobytes())
            count += 1
        process.stdin.close()
    except BrokenPipeError:
        pass  # ffmpeg died; its own message below says why
    except BaseException:
        process.kill()
        process.wait()
        raise
    errors = process.stderr.read().decode(errors="replace")
    if process.wait() != 0:
        raise render.RenderError(f"ffmpeg could not encode the video: {render._last_line(errors)}")
    if count == 0:
        raise ValueError("There are no frames to encode.")
    return count
