"""The avatar pipeline end to end: real voice, real MediaPipe, real ffmpeg."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from generation.pipelines import avatar
from generation.render import probe

SCRIPT = "Hi Ana! Thanks for your time today."


def _streams(path) -> dict[str, dict]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {s["codec_type"]: s for s in json.loads(done.stdout)["streams"]}


def _frames(path, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def test_it_makes_an_mp4_with_voice_poster_and_captions(portrait_png, tmp_path, progress):
    """H.264 + AAC as long as the speech, a poster, WebVTT and SRT; progress with previews."""
    output = tmp_path / "hello.mp4"
    request = avatar.AvatarRequest(image_path=portrait_png, script=SCRIPT, fps=25, seed=2)
    result = avatar.generate(request, output=output, on_progress=progress)
    streams = _streams(output)
    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
    info = probe(output)
    assert (info.width, info.height, info.fps, info.frames) == (512, 512, 25, result.num_frames)
    speech_seconds = result.details["audio_seconds"]
    assert info.duration == pytest.approx(speech_seconds + avatar.TAIL_SECONDS, abs=0.1)
    assert float(streams["audio"]["duration"]) == pytest.approx(speech_seconds, abs=0.1)
    assert result.poster.exists() and result.poster.stat().st_size > 5000
    vtt = output.with_suffix(".vtt").read_text()
    assert vtt.startswith("WEBVTT") and "Hi Ana!" in vtt
    assert "Thanks for your time today." in output.with_suffix(".srt").read_text()
    assert result.details["voice"] == "joe"
    stages = [stage for *_, stage in progress.calls]
    assert stages.index("finding the face") < stages.index("speaking") < stages.index("animating")
    previews = [p for _, _, p, stage in progress.calls if stage == "animating" and p is not None]
    assert len(previews) >= 3
    assert progress.steps("animating")[-1] == (result.num_frames, result.num_frames)


def test_burned_captions_are_drawn_and_file_captions_are_not(portrait_png, tmp_path):
    """With burn, the bottom of the frames changes (text); with none, no caption files."""
    plain = avatar.generate(
        avatar.AvatarRequest(
            image_path=portrait_png,
            script="Hello there.",
            captions="none",
            voice="espeak-en-us",
            width=256,
            height=256,
            seed=1,
        ),
        output=tmp_path / "plain.mp4",
    )
    burned = avatar.generate(
        avatar.AvatarRequest(
            image_path=portrait_png,
            script="Hello there.",
            captions="burn",
            voice="espeak-en-us",
            width=256,
            height=256,
            seed=1,
        ),
        output=tmp_path / "burned.mp4",
    )
    assert not (tmp_path / "plain.vtt").exists() and (tmp_path / "burned.vtt").exists()
    a, b = _frames(plain.output, 256, 256), _frames(burned.output, 256, 256)
    middle = len(a) // 2
    bottom = np.abs(a[middle, 200:245].astype(int) - b[middle, 200:245].astype(int))
    top = np.abs(a[middle, :150].astype(int) - b[middle, :150].astype(int))
    assert bottom.mean() > 10 * max(top.mean(), 0.5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"script": " "}, "The script is empty"),
        ({"script": "x" * 1001}, "the limit is 1000"),
        ({"script": "Hi \U0001f44b"}, "waving hand sign"),
        ({"voice": "robot"}, "Unknown voice 'robot'"),
        ({"width": 100}, "The width is 100 px"),
        ({"fps": 60}, "The frame rate is 60"),
        ({"captions": "loud"}, "Captions are one of burn, file, none"),
    ],
)
def test_bad_requests_are_refused_before_any_work(
    portrait_png, tmp_path, progress, changes, message
):
    """Each bad value is refused with its message; no progress was reported, nothing written."""
    request = avatar.AvatarRequest(image_path=portrait_png, **{"script": "Hello.", **changes})
    with pytest.raises(ValueError, match=message):
        avatar.generate(request, output=tmp_path / "x.mp4", on_progress=progress)
    assert progress.calls == []
    assert list(tmp_path.iterdir()) == [portrait_png]


def test_a_portrait_without_a_face_is_refused_before_the_voice_speaks(cat_png, tmp_path, progress):
    """No face: refused with the reason before any progress; no speech, no file."""
    request = avatar.AvatarRequest(image_path=cat_png, script="Hello.")
    with pytest.raises(ValueError, match="No face was found"):
        avatar.generate(request, output=tmp_path / "x.mp4", on_progress=progress)
    assert progress.calls == []
    assert not (tmp_path / "x.mp4").exists()
