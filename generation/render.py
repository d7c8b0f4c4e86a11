"""Frames to files: an H.264 MP4, a poster JPEG, a probe.

Frames are encoded in this process by PyAV (libav), so nothing but the finished MP4 touches the
disk; the probe asks the ffprobe binary. The MP4 is what every browser plays: H.264, yuv420p
(which needs even sides, so an odd side is padded by one pixel of its edge), and the index at
the front (``+faststart``) so playback can start before the download ends.
Sound comes in beside the frames: another MP4's AAC copied as it is, a voice's WAV encoded
as AAC, or an engine's own soundtrack (LTX-2's samples) encoded as AAC at the picture's length.
This is the project's one video encoder; the avatar's (avatar/encode.py) is a use of it.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from generation import limits
from generation.types import Sound

CRF = 18  # x264 quality: 18 is near transparent; smaller files would start to show blocks
PRESET = "medium"  # footage fresh from an engine: encoded once, after minutes on a GPU
# Footage re-encoded with overlays (a batch re-encodes the same footage once per row): on the
# embedded engine's clips, 3x faster than "medium" for files about 2% larger at the same CRF.
OVERLAY_PRESET = "veryfast"
THUMBNAIL_SIDE = 320  # longest side of a small still (the avatar's progress previews), in pixels
AUDIO_RATE = 44_100  # Hz: the rate a WAV (a voice speaks at 22.05 kHz) is resampled to for AAC
AUDIO_BITRATE = 128_000  # bits per second of that AAC


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


def write_mp4(
    frames: np.ndarray,
    path: Path,
    fps: int,
    *,
    preset: str = PRESET,
    audio_from: Path | None = None,
    sound: Sound | None = None,
) -> Path:
    """Encode uint8 frames (T, H, W, 3) as an H.264 MP4 at ``fps``; returns ``path``.

    ``preset`` is x264's speed / compression trade-off (the quality is set by CRF).
    ``audio_from``: an MP4 whose sound is copied in as it is (not re-encoded), interleaved
    with the frames, as when overlays are drawn on a talking head. Frames past the end of
    the sound (an end card) are silent. ``sound``: the engine's own soundtrack, encoded as AAC
    and cut or padded with silence to the picture's length.
    """
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
        raise ValueError(
            f"Expected uint8 frames shaped (T, H, W, 3), got {frames.dtype} {frames.shape}."
        )
    _, height, width, _ = frames.shape
    if sound is not None:
        sound = fitted_sound(sound, len(frames) / fps)
    encode_frames(
        frames,
        path,
        fps=fps,
        width=width,
        height=height,
        preset=preset,
        audio_from=audio_from,
        sound=sound,
    )
    return path


def fitted_sound(sound: Sound, seconds: float) -> Sound:
    """``sound`` cut, or padded with silence, to last ``seconds``."""
    wanted = round(seconds * sound.rate)
    samples = sound.samples[:, :wanted]
    if samples.shape[1] < wanted:
        samples = np.pad(samples, ((0, 0), (0, wanted - samples.shape[1])))
    return Sound(samples=samples, rate=sound.rate)


def encode_frames(
    frames: Iterable[np.ndarray],
    path: Path,
    *,
    fps: int,
    width: int,
    height: int,
    preset: str = PRESET,
    crf: int = CRF,
    audio_from: Path | None = None,
    sound: Sound | None = None,
) -> int:
    """Encode uint8 frames (H, W, 3) as they arrive into an H.264 MP4; returns the frame count.

    Frames may come from a generator, so a long video never sits in memory whole.
    ``audio_from``: a file whose first audio stream is interleaved with the frames: copied as it
    is when it is AAC already (another MP4's sound), else encoded as AAC (a voice's WAV).
    Frames past the end of the sound are silent. ``sound``: samples encoded as AAC instead.
    """
    pending = iter(frames)
    first = next(pending, None)
    if first is None:
        raise ValueError("There are no frames to encode.")
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    try:
        source = av.open(str(audio_from)) if audio_from is not None else None
        with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as box:
            stream = box.add_stream("libx264", rate=fps)
            # yuv420p halves the chroma planes, so both sides must be even; pad, never crop.
            stream.width, stream.height = width + width % 2, height + height % 2
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf), "preset": preset}
            track: _Sound | _Samples | None = None
            if sound is not None:
                track = _Samples(sound, box)
            elif source is not None and source.streams.audio:
                track = _Sound(source, box)
            for frame in itertools.chain([first], pending):
                if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                    raise ValueError(
                        f"A frame is {frame.dtype} {frame.shape}; "
                        f"expected ({height}, {width}, 3) uint8."
                    )
                picture = av.VideoFrame.from_ndarray(_even(frame), format="rgb24")
                box.mux(stream.encode(picture))
                count += 1
                if track is not None:
                    track.mux_until(count / fps)
            box.mux(stream.encode(None))
            if track is not None:
                track.mux_until(float("inf"))
        if source is not None:
            source.close()
    except av.FFmpegError as exc:
        raise RenderError(f"the video could not be encoded: {exc}") from exc
    return count


class _Sound:
    """The first audio stream of ``source``, interleaved into ``box`` packet by packet.

    AAC (another MP4's sound) is copied as it is, never encoded twice; anything else (a voice's
    WAV) is resampled and encoded as AAC, the sound every browser plays in an MP4.
    """

    def __init__(self, source: Any, box: Any) -> None:
        original = source.streams.audio[0]
        self.copied = original.codec_context.name == "aac"
        packets: Iterator[Any]
        if self.copied:
            self.stream = box.add_stream_from_template(original)
            packets = (p for p in source.demux(original) if p.dts is not None)
        else:
            self.stream = box.add_stream("aac", rate=AUDIO_RATE)
            self.stream.bit_rate = AUDIO_BITRATE
            # A WAV may state no channel layout, only a count; a voice is mono.
            self.stream.layout = "mono" if original.codec_context.channels == 1 else "stereo"
            packets = self._encoded(source, original)
        self.packets = packets
        self.pending: Any = next(self.packets, None)

    def _encoded(self, source: Any, original: Any) -> Iterator[Any]:
        resampler = av.AudioResampler(format="fltp", layout=self.stream.layout, rate=AUDIO_RATE)
        for frame in itertools.chain(source.decode(original), [None]):
            for resampled in resampler.resample(frame):
                yield from self.stream.encode(resampled)
        yield from self.stream.encode(None)

    def mux_until(self, seconds: float) -> None:
        """Mux the packets that start before ``seconds``."""
        while self.pending is not None and float(self.pending.pts * self.pending.time_base) < (
            seconds
        ):
            if self.copied:
                self.pending.stream = self.stream
            self.stream.container.mux(self.pending)
            self.pending = next(self.packets, None)


class _Samples:
    """An engine's float samples, encoded as AAC and interleaved into ``box`` packet by packet."""

    def __init__(self, sound: Sound, box: Any) -> None:
        channels = sound.samples.shape[0]
        self.stream = box.add_stream("aac", rate=sound.rate)
        self.stream.bit_rate = AUDIO_BITRATE
        self.stream.layout = "mono" if channels == 1 else "stereo"
        self.packets = self._encoded(np.clip(sound.samples[:2], -1.0, 1.0), sound.rate)
        self.pending: Any = next(self.packets, None)

    def _encoded(self, samples: np.ndarray, rate: int) -> Iterator[Any]:
        size = self.stream.codec_context.frame_size or 1024  # AAC takes 1024 samples a frame
        planar = np.ascontiguousarray(samples, dtype=np.float32)
        for start in range(0, planar.shape[1], size):
            chunk = np.ascontiguousarray(planar[:, start : start + size])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=self.stream.layout)
            frame.sample_rate, frame.pts = rate, start
            yield from self.stream.encode(frame)
        yield from self.stream.encode(None)

    def mux_until(self, seconds: float) -> None:
        """Mux the packets that start before ``seconds``."""
        while self.pending is not None and float(self.pending.pts * self.pending.time_base) < (
            seconds
        ):
            self.stream.container.mux(self.pending)
            self.pending = next(self.packets, None)


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad an odd side by one pixel of its edge."""
    height, width, _ = frame.shape
    if not (height % 2 or width % 2):
        return frame
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


def write_poster(frames: np.ndarray, path: Path) -> Path:
    """The middle frame as a JPEG, the still a gallery and a <video poster> show."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frames[len(frames) // 2]).save(path, format="JPEG", quality=90)
    return path


def probe(path: Path) -> VideoInfo:
    """Frames, fps, size and duration of a video's first video stream, read by ffprobe."""
    command = [
        _binary("ffprobe"),
        *("-v", "error", "-select_streams", "v:0", "-count_frames"),
        *("-show_entries", "stream=nb_read_frames,avg_frame_rate,width,height,duration"),
        *("-of", "json", str(path)),
    ]
    done = run_tool(command, what=f"ffprobe reading {path}", text=True)
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


def has_audio(path: Path) -> bool:
    """Whether a video file carries an audio stream (False for a file that is no video)."""
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError):
        return False
    sounding = bool(container.streams.audio)
    container.close()
    return sounding


def audio_seconds(path: Path) -> float | None:
    """How long a video's first audio stream lasts, read by ffprobe; None when it has none."""
    command = [
        _binary("ffprobe"),
        *("-v", "error", "-select_streams", "a:0"),
        *("-show_entries", "stream=duration", "-of", "json", str(path)),
    ]
    done = run_tool(command, what=f"ffprobe reading {path}", text=True)
    if done.returncode != 0:
        raise RenderError(f"ffprobe could not read {path}: {_last_line(done.stderr)}")
    streams = json.loads(done.stdout).get("streams", [])
    return float(streams[0].get("duration") or 0.0) if streams else None


def run_tool(
    command: list[str], *, what: str, text: bool = False
) -> subprocess.CompletedProcess[Any]:
    """Run ffmpeg or ffprobe to its end, or raise RenderError once it has run past
    limits.FFMPEG_TIMEOUT_SECONDS (subprocess.run kills it then)."""
    timeout = limits.FFMPEG_TIMEOUT_SECONDS
    try:
        return subprocess.run(command, capture_output=True, text=text, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{what} did not finish within {timeout} s.") from None


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
