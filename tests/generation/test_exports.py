"""Exports: each kind is a real file read back (codec, size, frames), held to its limits."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation import exports, render


def moving_square(frames: int = 16, width: int = 128, height: int = 96) -> np.ndarray:
    """A yellow square moving right over a blue ground: (T, H, W, 3) uint8."""
    clip = np.zeros((frames, height, width, 3), np.uint8)
    clip[...] = (30, 60, 120)
    for t in range(frames):
        x = 10 + t * 5
        clip[t, 30:60, x : x + 24] = (250, 200, 40)
    return clip


def write_clip(
    path: Path, *, frames: int = 16, fps: int = 8, width: int = 128, sound: bool = False
) -> Path:
    """An MP4 of the moving square (with a tone as AAC when ``sound``) and its poster."""
    clip = moving_square(frames, width=width, height=width * 3 // 4)
    audio = None
    if sound:
        audio = path.with_suffix(".wav")
        tone = (np.sin(np.arange(22050 * frames // fps) * 2 * np.pi * 440 / 22050) * 8000).astype(
            "<i2"
        )
        with wave.open(str(audio), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(22050)
            out.writeframes(tone.tobytes())
    render.encode_frames(
        iter(clip), path, fps=fps, width=clip.shape[2], height=clip.shape[1], audio_from=audio
    )
    render.write_poster(clip, path.with_suffix(".jpg"))
    return path


def audio_codecs(path: Path) -> list[str]:
    done = subprocess.run(
        [
            *("ffprobe", "-v", "error", "-select_streams", "a"),
            *("-show_entries", "stream=codec_name", "-of", "json", str(path)),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [s["codec_name"] for s in json.loads(done.stdout)["streams"]]


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "clip.mp4")


def test_an_mp4_export_is_the_video_as_made(clip: Path, tmp_path: Path) -> None:
    """MP4 is the studio's H.264 file, byte for byte."""
    made = exports.export(clip, tmp_path / "out", kind="mp4")
    assert made.codec == "h264"
    assert made.path.read_bytes() == clip.read_bytes()


def test_a_webm_export_is_vp9_with_opus_sound(tmp_path: Path) -> None:
    """A clip with sound becomes VP9 + Opus at its own size and frame count."""
    source = write_clip(tmp_path / "voiced.mp4", sound=True)
    made = exports.export(source, tmp_path / "out", kind="webm")
    assert made.path.suffix == ".webm"
    assert (made.codec, made.width, made.height, made.frames) == ("vp9", 128, 96, 16)
    assert audio_codecs(made.path) == ["opus"]


def test_a_webm_export_of_a_silent_clip_has_no_sound(clip: Path, tmp_path: Path) -> None:
    """No sound in, no sound track out."""
    made = exports.export(clip, tmp_path / "out", kind="webm")
    assert made.codec == "vp9"
    assert audio_codecs(made.path) == []


def test_a_gif_export_uses_a_palette_and_keeps_the_frames(clip: Path, tmp_path: Path) -> None:
    """Under the cap the GIF keeps the clip's size and every frame, in at most 256 colours."""
    made = exports.export(clip, tmp_path / "out", kind="gif")
    assert (made.codec, made.width, made.frames) == ("gif", 128, 16)
    with Image.open(made.path) as gif:
        assert gif.mode == "P"
        assert gif.n_frames == 16


def test_a_gif_lowers_its_rate_then_its_width_to_fit_the_cap(tmp_path: Path) -> None:
    """A cap the first try breaks makes a smaller GIF under the cap, and says what it did."""
    source = write_clip(tmp_path / "long.mp4", frames=48, fps=16, width=320)
    full = exports.export(source, tmp_path / "full", kind="gif")
    cap = full.bytes // 2
    made = exports.export(source, tmp_path / "capped", kind="gif", gif_max_bytes=cap)
    assert made.bytes <= cap
    assert made.frames < full.frames or made.width < full.width
    assert made.notes


def test_a_gif_that_cannot_fit_is_refused(clip: Path, tmp_path: Path) -> None:
    """A cap no frame rate or width reaches is refused, and nothing is left behind."""
    with pytest.raises(exports.ExportError, match="does not fit in"):
        exports.export(clip, tmp_path / "out", kind="gif", gif_max_bytes=200)
    assert not list((tmp_path / "out").glob("*.gif"))


@pytest.mark.parametrize(
    ("kind", "reframe", "size"),
    [("tiktok", "blur", (1080, 1920)), ("youtube", "crop", (1920, 1080))],
)
def test_a_platform_export_has_its_frame_and_rate(
    clip: Path, tmp_path: Path, kind: str, size: tuple[int, int], reframe: str
) -> None:
    """Re-framed to the platform's size, H.264, its minimum rate reached by repeating frames."""
    made = exports.export(
        clip, tmp_path / "out", kind=kind, reframe=reframe, poster=clip.with_suffix(".jpg")
    )
    assert (made.codec, made.width, made.height) == ("h264", *size)
    assert made.fps == 24
    assert made.frames == 16 * 3  # 8 fps, each frame three times: the same two seconds
    assert made.duration == pytest.approx(2.0, abs=0.05)


def test_blur_padding_shows_the_whole_picture_on_a_blurred_copy(clip: Path, tmp_path: Path) -> None:
    """Padded: the middle band is the picture, the band above it a soft copy, not black."""
    made = exports.export(clip, tmp_path / "out", kind="tiktok", reframe="blur")
    frame = _middle_frame(made.path)  # (1920, 1080, 3)
    band = frame[300:400].reshape(-1, 3).mean(axis=0)
    assert band.min() > 20  # the blurred copy's blue, not black bars
    ground = frame[1300:1340, 20:60].reshape(-1, 3)  # inside the picture, below the square
    assert (np.abs(ground.astype(int) - (30, 60, 120)) < 30).all()


def test_cropping_keeps_the_subject_in_the_frame(tmp_path: Path) -> None:
    """The crop window follows the subject: a square at the right edge stays in the picture."""
    clip = np.zeros((8, 96, 192, 3), np.uint8)
    clip[...] = (20, 20, 20)
    clip[:, 30:66, 150:186] = (250, 250, 250)  # the subject, near the right edge
    source = tmp_path / "right.mp4"
    render.write_mp4(clip, source, 8)
    poster = render.write_poster(clip, source.with_suffix(".jpg"))
    centre = exports.subject_centre(poster)
    assert centre[0] > 0.75
    made = exports.export(source, tmp_path / "out", kind="tiktok", reframe="crop", poster=poster)
    frame = _middle_frame(made.path)
    # The subject fills a quarter of the 9:16 window (two thirds of its width, 36 of 96 rows);
    # a centre crop would show none of it.
    assert (frame.min(axis=2) > 200).mean() > 0.2


def test_the_subject_centre_of_a_flat_picture_is_the_middle(tmp_path: Path) -> None:
    """Nothing stands out: the crop stays centred."""
    path = tmp_path / "flat.jpg"
    Image.new("RGB", (64, 48), (90, 90, 90)).save(path)
    assert exports.subject_centre(path) == (0.5, 0.5)


def test_a_clip_shorter_than_the_platform_takes_is_refused(clip: Path, tmp_path: Path) -> None:
    """Instagram takes Reels of 3 s and more; a 2 s clip is refused with both lengths named."""
    with pytest.raises(exports.ExportError, match="at least 3 s long; this one is 2 s"):
        exports.export(clip, tmp_path / "out", kind="instagram-reels")


def test_a_clip_longer_than_the_platform_takes_is_refused(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the platform's length the export is refused before anything is encoded."""
    short = dataclasses.replace(exports.PLATFORMS["tiktok"], max_seconds=1)
    monkeypatch.setitem(exports.PLATFORMS, "tiktok", short)
    with pytest.raises(exports.ExportError, match="up to 1 s long; this one is 2 s"):
        exports.export(clip, tmp_path / "out", kind="tiktok")
    assert not (tmp_path / "out").exists()


def test_a_file_over_the_platform_size_or_bitrate_is_refused(clip: Path, tmp_path: Path) -> None:
    """The written file is held to the platform's size and bitrate ceilings."""
    made = exports.export(clip, tmp_path / "out", kind="youtube")
    small = dataclasses.replace(exports.PLATFORMS["youtube"], max_bytes=made.bytes - 1)
    with pytest.raises(exports.ExportError, match="takes files up to"):
        exports.check_file(small, made)
    slow = dataclasses.replace(exports.PLATFORMS["youtube"], max_bitrate=1000)
    with pytest.raises(exports.ExportError, match="Mbit/s; this export is"):
        exports.check_file(slow, made)


def test_every_platform_states_its_limits() -> None:
    """Each platform's frame, length, size and bitrate are stated in words."""
    text = exports.PLATFORMS["tiktok"].limits_text()
    assert text == "9:16 1080x1920, 10 min long, up to 4 GB, 20 Mbit/s, at least 23 fps"
    assert all(p.limits_text() for p in exports.PLATFORMS.values())


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("instagram-reels", "9:16 1080x1920, 3 s to 15 min long, up to 300 MB, 25 Mbit/s"),
        ("tiktok", "9:16 1080x1920, 10 min long, up to 4 GB, 20 Mbit/s, at least 23 fps"),
        ("youtube", "16:9 1920x1080, 12 h long, up to 256 GB, 12 Mbit/s, at least 24 fps"),
        ("linkedin", "1:1 1080x1080, 3 s to 15 min long, up to 500 MB, 10 Mbit/s"),
    ],
)
def test_each_platform_holds_its_published_limits(key: str, text: str) -> None:
    """The limits each platform's page states (see the sources by PLATFORMS), in the words the
    export form shows: LinkedIn's 500 MB and 15 minutes hold for its API and its app alike."""
    assert exports.PLATFORMS[key].limits_text().startswith(text)


@pytest.mark.parametrize(
    ("kind", "reframe", "message"),
    [("mov", "blur", "Unknown export 'mov'"), ("tiktok", "stretch", "Unknown re-framing")],
)
def test_an_unknown_kind_or_reframing_is_refused(
    clip: Path, tmp_path: Path, kind: str, reframe: str, message: str
) -> None:
    """Only the listed kinds and re-framings are made."""
    with pytest.raises(exports.ExportError, match=message):
        exports.export(clip, tmp_path / "out", kind=kind, reframe=reframe)


def _middle_frame(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as box:
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]
    return frames[len(frames) // 2]
