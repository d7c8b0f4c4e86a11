"""A finished video in the form each place it is posted wants: a file format or a platform.

Example::

    from generation import exports

    made = exports.export(Path("ad.mp4"), Path("out"), kind="tiktok", reframe="blur",
                          poster=Path("ad.jpg"))
    print(made.path, made.width, made.height, made.bytes)

Formats keep the video's size: ``mp4`` (the file as it is), ``webm`` (VP9, and Opus where there
is sound) and ``gif`` (palette-optimised for email: a palette made for the clip, Bayer
dithering, only the changed rectangle of each frame; at most ``limits.GIF_MAX_BYTES``, lowering
the frame rate, then the width, until it fits). Platforms re-frame to their aspect and size and
hold the platform's limits on length, size and bitrate, which ``PLATFORMS`` states once: a clip
that breaks one is refused with the limit named. Re-framing either pads with a blurred copy of
the picture, or crops around the subject's centre, estimated on the poster (see
``subject_centre``). Every graph is composed with ffmpeg-python and run under the project's
ffmpeg time limit.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
from PIL import Image, ImageFilter

from generation import limits, render

MB = 10**6  # platforms state sizes in decimal megabytes
MBIT = 10**6


@dataclass(frozen=True)
class Platform:
    """Where a video is posted: its frame and its limits for an uploaded video."""

    key: str
    label: str
    width: int
    height: int
    aspect: str
    min_seconds: float
    max_seconds: float
    max_bytes: int
    max_bitrate: int  # bits per second of the whole file (picture and sound)
    min_fps: int  # slower clips repeat each frame a whole number of times to reach it

    def limits_text(self) -> str:
        """The limits in words, as the export form states them."""
        length = f"{_duration(self.max_seconds)} long"
        if self.min_seconds:
            length = f"{_duration(self.min_seconds)} to {length}"
        return (
            f"{self.aspect} {self.width}x{self.height}, {length}, up to {_size(self.max_bytes)}, "
            f"{self.max_bitrate // MBIT} Mbit/s, at least {self.min_fps} fps"
        )


# The platforms' published limits for an uploaded video, checked against their pages (late
# 2025); each platform's entry names its source. Where a platform states no bitrate ceiling
# (TikTok, LinkedIn's is 30 Mbit/s, far above what a 1080p clip needs) the ceiling is the
# studio's own: more than it only makes a bigger file the platform re-encodes anyway. Where a
# platform's API and its app differ, the limit is the one that holds for both.
PLATFORMS: dict[str, Platform] = {
    # Meta's Instagram Graph API, "Reel specifications" (IG User Media): MP4, H.264 or HEVC,
    # 23 to 60 fps, 3 s to 15 min, 300 MB, video bitrate 25 Mbit/s at most (VBR), AAC 128
    # kbit/s at most 48 kHz; 9:16 recommended, 1080x1920.
    "instagram-reels": Platform(
        key="instagram-reels",
        label="Instagram Reels",
        width=1080,
        height=1920,
        aspect="9:16",
        min_seconds=3,
        max_seconds=15 * 60,
        max_bytes=300 * MB,
        max_bitrate=25 * MBIT,
        min_fps=23,
    ),
    # TikTok for Developers, Content Posting API, "Media Transfer Guide: video restrictions":
    # MP4 (recommended), H.264 (recommended), 23 to 60 fps, sides 360 to 4096 px, at most
    # 10 minutes through the API (3 for most accounts in the app), at most 4 GB; no minimum
    # length and no bitrate stated. 1080x1920 is TikTok's recommended upload size.
    "tiktok": Platform(
        key="tiktok",
        label="TikTok",
        width=1080,
        height=1920,
        aspect="9:16",
        min_seconds=0,
        max_seconds=10 * 60,
        max_bytes=4000 * MB,
        max_bitrate=20 * MBIT,
        min_fps=23,
    ),
    # YouTube Help, "Upload videos longer than 15 minutes": 256 GB or 12 hours, whichever is
    # less (15 minutes until the account is verified), and "Recommended upload encoding
    # settings": H.264 MP4, 1080p at 8 Mbit/s (24-30 fps) or 12 Mbit/s (48-60 fps). YouTube
    # states no minimum frame rate; 24 is the lowest of the rates it lists.
    "youtube": Platform(
        key="youtube",
        label="YouTube",
        width=1920,
        height=1080,
        aspect="16:9",
        min_seconds=0,
        max_seconds=12 * 3600,
        max_bytes=256_000 * MB,
        max_bitrate=12 * MBIT,  # YouTube's recommendation for 1080p up to 60 fps
        min_fps=24,
    ),
    # LinkedIn's Videos API (Microsoft Learn, Community Management): MP4, 3 s to 30 min,
    # 75 kB to 500 MB; LinkedIn Help, "Video upload specs" (a member's post): up to 5 GB but
    # 15 minutes from a desktop (10 from the app), 10 to 60 fps, 192 kbit/s to 30 Mbit/s,
    # aspect 1:2.4 to 2.4:1. So: 3 s to 15 min and 500 MB hold on every path.
    "linkedin": Platform(
        key="linkedin",
        label="LinkedIn",
        width=1080,
        height=1080,
        aspect="1:1",
        min_seconds=3,
        max_seconds=15 * 60,
        max_bytes=500 * MB,
        max_bitrate=10 * MBIT,
        min_fps=10,
    ),
}

FORMATS = {"mp4": "MP4 (H.264, as made)", "webm": "WebM (VP9 + Opus)", "gif": "GIF for email"}
KINDS: dict[str, str] = {**FORMATS, **{p.key: p.label for p in PLATFORMS.values()}}
REFRAMES = {
    "blur": "Pad with a blurred copy of the picture",
    "crop": "Crop around the subject",
}
EXTENSIONS = {"webm": "webm", "gif": "gif"}  # every other kind is an MP4

PLATFORM_CRF = 20  # x264 quality under the platform's bitrate ceiling
PLATFORM_PRESET = "medium"
AUDIO_BITRATE = 128_000  # AAC in a platform MP4; Opus in a WebM at WEBM_AUDIO_BITRATE
WEBM_CRF = 32  # libvpx-vp9 constant quality (its documented 1080p suggestion is 31)
WEBM_AUDIO_BITRATE = 96_000
BLUR_SCALE = 8  # the padding is blurred at 1/8 of the frame, then scaled up: cheap and soft
BLUR_RADIUS = 10  # boxblur radius at that size
GIF_FPS_STEPS = (15, 12, 10, 8, 6, 5)  # tried from the clip's own rate down
GIF_WIDTH_STEP = 0.8  # each narrower try is 80% as wide


class ExportError(ValueError):
    """A video that cannot be exported as asked; the message names the limit it breaks."""


@dataclass(frozen=True)
class ExportResult:
    """What was written, read back from the file."""

    path: Path
    kind: str
    codec: str
    width: int
    height: int
    frames: int
    fps: float
    duration: float  # seconds
    bytes: int
    notes: tuple[str, ...] = ()  # what the export did to fit (a lower frame rate, ...)


def export(
    source: Path,
    output_dir: Path,
    *,
    kind: str,
    reframe: str = "blur",
    poster: Path | None = None,
    gif_max_bytes: int = limits.GIF_MAX_BYTES,
) -> ExportResult:
    """Write ``source`` (an MP4) as ``kind`` into ``output_dir``; returns what was written."""
    # 1. Check the request and the clip against the kind's limits, before any encoding.
    if kind not in KINDS:
        raise ExportError(f"Unknown export {kind!r}; choose one of: {', '.join(KINDS)}.")
    if reframe not in REFRAMES:
        raise ExportError(f"Unknown re-framing {reframe!r}; choose one of: {', '.join(REFRAMES)}.")
    info = render.probe(source)
    platform = PLATFORMS.get(kind)
    if platform is not None:
        check_length(platform, info.duration)
    output_dir.mkdir(parents=True, exist_ok=True)
    output = output_dir / f"{source.stem}-{kind}.{EXTENSIONS.get(kind, 'mp4')}"

    # 2. Encode.
    notes: tuple[str, ...] = ()
    if kind == "mp4":
        shutil.copyfile(source, output)  # already the studio's H.264 MP4
    elif kind == "webm":
        _webm(source, output, has_sound=has_audio(source))
    elif kind == "gif":
        notes = _gif(source, output, info=info, max_bytes=gif_max_bytes)
    else:
        assert platform is not None
        centre = subject_centre(poster) if reframe == "crop" and poster is not None else None
        notes = _platform(
            source, output, platform, info=info, reframe=reframe, centre=centre or (0.5, 0.5)
        )

    # 3. Read back what was written, and hold it to the platform's size and bitrate.
    made = read_back(output, kind=kind, notes=notes)
    if platform is not None:
        check_file(platform, made)
    return made


def check_length(platform: Platform, seconds: float) -> None:
    """Refuse a clip shorter or longer than the platform takes."""
    if seconds > platform.max_seconds:
        raise ExportError(
            f"{platform.label} takes videos up to {_duration(platform.max_seconds)} long; "
            f"this one is {_duration(seconds)}."
        )
    if seconds < platform.min_seconds:
        raise ExportError(
            f"{platform.label} takes videos at least {_duration(platform.min_seconds)} long; "
            f"this one is {_duration(seconds)}."
        )


def check_file(platform: Platform, made: ExportResult) -> None:
    """Refuse a file bigger, or of a higher bitrate, than the platform takes."""
    if made.bytes > platform.max_bytes:
        raise ExportError(
            f"{platform.label} takes files up to {_size(platform.max_bytes)}; "
            f"this export is {_size(made.bytes)}."
        )
    bitrate = made.bytes * 8 / made.duration if made.duration else 0.0
    if bitrate > platform.max_bitrate:
        raise ExportError(
            f"{platform.label} takes up to {platform.max_bitrate / MBIT:g} Mbit/s; "
            f"this export is {bitrate / MBIT:.1f} Mbit/s."
        )


def subject_centre(poster: Path) -> tuple[float, float]:
    """Where the subject is, as fractions of the width and height (0.5, 0.5: the middle).

    A frequency-tuned saliency map (Achanta et al., 2009): each pixel's colour distance, in
    CIELAB, from the picture's mean colour, on a softened copy; the centre is the map's
    weighted centroid (squared, so the salient part outweighs a wide background).
    """
    with Image.open(poster) as image:
        small = image.convert("RGB")
        small.thumbnail((96, 96))
        softened = small.filter(ImageFilter.GaussianBlur(1.5)).convert("LAB")
    lab = np.asarray(softened, dtype=np.float64)  # (H, W, 3)
    saliency = np.linalg.norm(lab - lab.reshape(-1, 3).mean(axis=0), axis=2) ** 2  # (H, W)
    total = saliency.sum()
    if total <= 0:
        return 0.5, 0.5  # a flat picture: nothing stands out
    height, width = saliency.shape
    xs = (np.arange(width) + 0.5) / width
    ys = (np.arange(height) + 0.5) / height
    return float((saliency.sum(axis=0) * xs).sum() / total), float(
        (saliency.sum(axis=1) * ys).sum() / total
    )


def has_audio(path: Path) -> bool:
    command = [
        render._binary("ffprobe"),
        *("-v", "error", "-select_streams", "a", "-show_entries", "stream=index"),
        *("-of", "json", str(path)),
    ]
    done = render.run_tool(command, what=f"ffprobe reading {path}", text=True)
    if done.returncode != 0:
        raise render.RenderError(f"ffprobe could not read {path}: {render._last_line(done.stderr)}")
    return bool(json.loads(done.stdout).get("streams"))


def read_back(path: Path, *, kind: str, notes: tuple[str, ...] = ()) -> ExportResult:
    """The written file's codec, size, frames and length, as ffprobe reads them."""
    command = [
        render._binary("ffprobe"),
        *("-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name"),
        *("-of", "json", str(path)),
    ]
    done = render.run_tool(command, what=f"ffprobe reading {path}", text=True)
    if done.returncode != 0:
        raise render.RenderError(f"ffprobe could not read {path}: {render._last_line(done.stderr)}")
    codec = json.loads(done.stdout)["streams"][0]["codec_name"]
    info = render.probe(path)
    return ExportResult(
        path=path,
        kind=kind,
        codec=str(codec),
        width=info.width,
        height=info.height,
        frames=info.frames,
        fps=info.fps,
        duration=info.duration,
        bytes=path.stat().st_size,
        notes=notes,
    )


# Encoders ---------------------------------------------------------------------------------------


def _run(stream: Any, *, what: str) -> None:
    command = ffmpeg.compile(stream, cmd=render._binary("ffmpeg"), overwrite_output=True)
    done = render.run_tool(command, what=what, text=True)
    if done.returncode != 0:
        raise render.RenderError(f"{what} failed: {render._last_line(done.stderr)}")


def _webm(source: Path, output: Path, *, has_sound: bool) -> None:
    clip = ffmpeg.input(str(source))
    sound = (
        {"acodec": "libopus", "audio_bitrate": WEBM_AUDIO_BITRATE} if has_sound else {"an": None}
    )
    streams = [clip.video, clip.audio] if has_sound else [clip.video]
    out = ffmpeg.output(
        *streams,
        str(output),
        vcodec="libvpx-vp9",
        crf=WEBM_CRF,
        video_bitrate=0,  # constant quality: no bitrate target
        pix_fmt="yuv420p",
        **{"row-mt": 1, "deadline": "good", "cpu-used": 4},
        **sound,
    )
    _run(out, what="writing the WebM")


def _gif(source: Path, output: Path, *, info: render.VideoInfo, max_bytes: int) -> tuple[str, ...]:
    """The GIF at the highest frame rate, then the widest, that fits ``max_bytes``."""
    width = min(info.width, limits.GIF_MAX_WIDTH)
    narrowest = min(width, limits.GIF_MIN_WIDTH)
    own_fps = min(round(info.fps), limits.GIF_MAX_FPS)
    rates = [own_fps, *(f for f in GIF_FPS_STEPS if limits.GIF_MIN_FPS <= f < own_fps)]
    tried = ""
    while width >= narrowest:
        for fps in rates:
            _gif_once(source, output, fps=fps, width=width)
            size = output.stat().st_size
            tried = f"{width} px wide at {fps} fps it is {_size(size)}"
            if size <= max_bytes:
                notes = []
                if width < info.width:
                    notes.append(f"narrowed to {width} px to fit {_size(max_bytes)}")
                if fps < round(info.fps):
                    notes.append(f"{fps} fps to fit {_size(max_bytes)}")
                return tuple(notes)
        width = _even(width * GIF_WIDTH_STEP)
    output.unlink(missing_ok=True)
    raise ExportError(
        f"The GIF does not fit in {_size(max_bytes)} even at its smallest ({tried}); "
        "export a shorter clip, or an MP4."
    )


def _gif_once(source: Path, output: Path, *, fps: int, width: int) -> None:
    frames = (
        ffmpeg.input(str(source))
        .video.filter("fps", fps)
        .filter("scale", width, -2, flags="lanczos")
        .filter_multi_output("split")
    )
    # A palette made for this clip from what changes (stats_mode=diff), used with ordered
    # dithering, which compresses far better than error diffusion, redrawing only the rectangle
    # that changed.
    palette = frames[0].filter("palettegen", stats_mode="diff")
    gif = ffmpeg.filter(
        [frames[1], palette], "paletteuse", dither="bayer", bayer_scale=5, diff_mode="rectangle"
    )
    _run(ffmpeg.output(gif, str(output), loop=0), what="writing the GIF")


def _platform(
    source: Path,
    output: Path,
    platform: Platform,
    *,
    info: render.VideoInfo,
    reframe: str,
    centre: tuple[float, float],
) -> tuple[str, ...]:
    clip = ffmpeg.input(str(source))
    width, height = platform.width, platform.height
    notes: list[str] = []
    fps = _platform_fps(info.fps, platform.min_fps)
    if fps != round(info.fps):
        notes.append(f"{fps} fps, each frame shown {fps // max(1, round(info.fps))} times")
    # The rate first: after an overlay the clip's end is its last frame's start, and the fps
    # filter would drop that frame.
    video = clip.video.filter("fps", fps)
    if _same_aspect(info.width, info.height, width, height):
        video = video.filter("scale", width, height, flags="lanczos")
    elif reframe == "crop":
        video = _cropped(video, info, width, height, centre)
        notes.append(f"cropped to {platform.aspect} around the subject")
    else:
        video = _blur_padded(video, width, height)
        notes.append(f"padded to {platform.aspect} with a blurred copy")
    video = video.filter("setsar", 1)
    video_bitrate = platform.max_bitrate - AUDIO_BITRATE
    streams = [video, clip["a?"]]
    out = ffmpeg.output(
        *streams,
        str(output),
        vcodec="libx264",
        crf=PLATFORM_CRF,
        preset=PLATFORM_PRESET,
        maxrate=video_bitrate,
        bufsize=video_bitrate,  # one second of buffer: the rate holds over any second
        pix_fmt="yuv420p",
        movflags="+faststart",
        acodec="aac",
        audio_bitrate=AUDIO_BITRATE,
        ar=48_000,
    )
    _run(out, what=f"writing the {platform.label} export")
    return tuple(notes)


def _cropped(video: Any, info: render.VideoInfo, width: int, height: int, centre: Any) -> Any:
    """Scale to cover the frame, then crop it with the subject as near the middle as fits."""
    scale = max(width / info.width, height / info.height)
    covered_w = max(width, _even(info.width * scale))
    covered_h = max(height, _even(info.height * scale))
    x = min(max(0, round(centre[0] * covered_w - width / 2)), covered_w - width)
    y = min(max(0, round(centre[1] * covered_h - height / 2)), covered_h - height)
    return video.filter("scale", covered_w, covered_h, flags="lanczos").crop(x, y, width, height)


def _blur_padded(video: Any, width: int, height: int) -> Any:
    """The picture whole in the middle, on a blurred copy of itself that covers the frame."""
    parts = video.filter_multi_output("split")
    small_w, small_h = _even(width / BLUR_SCALE), _even(height / BLUR_SCALE)
    background = (
        parts[0]
        .filter("scale", small_w, small_h, force_original_aspect_ratio="increase")
        .filter("crop", small_w, small_h)  # centred, as crop is when it is given no origin
        .filter("boxblur", BLUR_RADIUS)
        .filter("scale", width, height, flags="bicubic")
    )
    picture = parts[1].filter(
        "scale",
        width,
        height,
        force_original_aspect_ratio="decrease",
        force_divisible_by=2,
        flags="lanczos",
    )
    return ffmpeg.overlay(background, picture, x="(W-w)/2", y="(H-h)/2")


def _platform_fps(fps: float, minimum: int) -> int:
    """The clip's own rate, or the least whole multiple of it that reaches ``minimum``."""
    own = max(1, round(fps))
    if own >= minimum:
        return min(own, limits.MAX_FPS)
    return min(own * math.ceil(minimum / own), limits.MAX_FPS)


def _same_aspect(w: int, h: int, width: int, height: int) -> bool:
    return abs(w / h - width / height) < 0.01 * (width / height)


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    return f"{seconds:.1f} s".replace(".0 s", " s")


def _size(count: float) -> str:
    if count >= 1000 * MB:
        return f"{count / (1000 * MB):g} GB"
    if count >= MB:
        return f"{count / MB:.1f} MB".replace(".0 MB", " MB")
    return f"{count / 1000:.0f} kB"
