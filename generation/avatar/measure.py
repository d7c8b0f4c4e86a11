"""Measuring a talking head from its MP4 alone: lip sync and identity.

Lip sync: MediaPipe finds the lips on every output frame; the mouth's openness (the gap
between the inner lips over the mouth's width) is correlated with the audio's energy envelope
(RMS over each frame's interval) at lags of a few frames either way. A video in sync peaks
near the lag that a clip in sync by construction gives (the calibrated baseline, see
bench/avatar_lipsync.py); a video whose sound is late or early peaks that many frames away.

Identity: SSIM between each frame and the portrait as framed, outside the mouth's region.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generation import render
from generation.avatar import face

MAX_LAG = 12  # frames tried either way
# The lag this measure reports for a clip in sync by construction (its mouth opened by the
# audio's own energy, frame by frame): bench/avatar_lipsync.py re-measures it on every run.
BASELINE_LAG = 0
LAG_TOLERANCE = 1  # frames either side of the baseline that count as in sync
MIN_CORRELATION = 0.75
AUDIO_RATE = 16000


@dataclass(frozen=True)
class SyncReport:
    lag: int  # frames; > 0: the mouth moves after the sound it matches
    correlation: float  # Pearson correlation at that lag
    fps: float
    frames: int
    correlations: dict[int, float]  # every lag tried

    @property
    def in_sync(self) -> bool:
        return abs(self.lag - BASELINE_LAG) <= LAG_TOLERANCE


def read_video(path: Path) -> tuple[np.ndarray, float]:
    """All frames (T, H, W, 3) uint8 and the frame rate."""
    info = render.probe(path)
    raw = _ffmpeg_output(
        [
            render._binary("ffmpeg"),
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        what=f"ffmpeg reading {path}",
    )
    frames = np.frombuffer(raw, np.uint8).reshape(-1, info.height, info.width, 3)
    return frames, info.fps


def read_audio(path: Path) -> np.ndarray:
    """The first audio stream, mono float32 at AUDIO_RATE, from the file's time zero."""
    raw = _ffmpeg_output(
        [
            render._binary("ffmpeg"),
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-af",
            "aresample=async=1:first_pts=0",
            "-ac",
            "1",
            "-ar",
            str(AUDIO_RATE),
            "-f",
            "f32le",
            "-",
        ],
        what=f"ffmpeg reading {path}",
    )
    return np.frombuffer(raw, np.float32)


def mouth_openness(frames: np.ndarray) -> np.ndarray:
    """Per frame, the inner lips' gap over the mouth's width (NaN where no face is found)."""
    import mediapipe as mp

    values = np.full(len(frames), np.nan, np.float32)
    # Tracking mode: landmarks follow the face from frame to frame, as in a video.
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1) as mesh:
        for index, frame in enumerate(frames):
            found = mesh.process(np.ascontiguousarray(frame))
            if not found.multi_face_landmarks:
                continue
            p = found.multi_face_landmarks[0].landmark
            gap = np.hypot(p[13].x - p[14].x, p[13].y - p[14].y)
            width = np.hypot(p[61].x - p[291].x, p[61].y - p[291].y)
            values[index] = gap / width if width else np.nan
    return values


def energy_envelope(audio: np.ndarray, *, fps: float, frames: int) -> np.ndarray:
    """RMS of the audio over each frame's interval [i / fps, (i + 1) / fps)."""
    envelope = np.zeros(frames, np.float32)
    for index in range(frames):
        a = round(index / fps * AUDIO_RATE)
        b = round((index + 1) / fps * AUDIO_RATE)
        a, b = max(a, 0), min(b, len(audio))
        if b > a:
            envelope[index] = float(np.sqrt(np.mean(audio[a:b] ** 2)))
    return envelope


def best_lag(
    openness: np.ndarray, energy: np.ndarray, *, max_lag: int = MAX_LAG
) -> tuple[int, float, dict[int, float]]:
    """The lag (frames, > 0: mouth after sound) where openness and energy correlate most."""
    found: dict[int, float] = {}
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            mouth, sound = openness[lag:], energy[: len(energy) - lag]
        else:
            mouth, sound = openness[:lag], energy[-lag:]
        keep = ~np.isnan(mouth)
        if keep.sum() < 10 or np.std(mouth[keep]) == 0 or np.std(sound[keep]) == 0:
            continue
        found[lag] = float(np.corrcoef(mouth[keep], sound[keep])[0, 1])
    if not found:
        raise ValueError("The video has too few frames with a face to measure lip sync.")
    lag = max(found, key=lambda k: found[k])
    return lag, found[lag], found


def measure_sync(path: Path) -> SyncReport:
    """Lip sync of an MP4, from its frames and its audio alone."""
    frames, fps = read_video(path)
    openness = mouth_openness(frames)
    energy = energy_envelope(read_audio(path), fps=fps, frames=len(frames))
    lag, correlation, correlations = best_lag(openness, energy)
    return SyncReport(
        lag=lag, correlation=correlation, fps=fps, frames=len(frames), correlations=correlations
    )


def identity_ssim(frames: np.ndarray, portrait: np.ndarray) -> np.ndarray:
    """Per frame, SSIM with the framed portrait over the pixels outside the mouth's region
    (the lower face from the nose to below the chin, found on the portrait)."""
    from generation.avatar.animate import Animator

    found = face.find_face(portrait, min_pixels=1)
    x0, y0, x1, y1 = Animator(portrait, found).mouth_box
    outside = np.ones(portrait.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    return np.array([ssim_map(portrait, frame)[outside].mean() for frame in frames], np.float32)


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SSIM (Wang et al. 2004: Gaussian window, sigma 1.5) per pixel, averaged over channels."""
    import cv2

    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    score = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return score.mean(axis=2) if score.ndim == 3 else score


def _ffmpeg_output(command: list[str], *, what: str) -> bytes:
    """What ffmpeg wrote to stdout; RenderError if it failed or ran past its time limit."""
    done = render.run_tool(command, what=what)
    if done.returncode != 0:
        raise render.RenderError(f"{what} failed: {render._last_line(done.stderr.decode())}")
    stdout: bytes = done.stdout
    return stdout
