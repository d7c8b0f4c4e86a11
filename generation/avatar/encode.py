"""Frames and a voice into one MP4: H.264 video and AAC audio, through render.py's encoder.

The talking head's own settings on render.encode_frames: frames arrive one at a time from a
generator, so a long talking head never sits in memory whole, and the voice's WAV is encoded as
AAC in the same pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from generation import render

PRESET = "veryfast"  # a CPU worker encodes a talking head faster than it plays (see bench/)
# Finer than render.CRF: a talking head is mostly a still photo whose detail (hair, skin) must
# survive; at 18 the codec alone took SSIM with the photo down to about 0.96.
CRF = 14


def write_mp4_with_audio(
    frames: Iterable[np.ndarray], path: Path, *, fps: int, width: int, height: int, audio: Path
) -> int:
    """Encode uint8 frames (H, W, 3) with ``audio`` (a WAV) as an MP4; returns the frame count."""
    return render.encode_frames(
        frames,
        path,
        fps=fps,
        width=width,
        height=height,
        preset=PRESET,
        crf=CRF,
        audio_from=audio,
    )
