"""A voiceover over a finished clip: the storyboard's voice, mix and captions on one scene."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from generation.pipelines import voiceover
from generation.render import probe, write_mp4
from generation.storyboard import timeline


def _clip(path: Path, seconds: float, *, size: tuple[int, int] = (192, 128)) -> Path:
    """A clip of a square moving left to right, ``size`` (width, height) at 8 fps."""
    width, height = size
    frames = np.full((round(seconds * 8), height, width, 3), 30, np.uint8)
    for t, frame in enumerate(frames):
        x = t * (width - 32) // len(frames)
        frame[height // 2 - 16 : height // 2 + 16, x : x + 32] = (230, 60, 40)
    return write_mp4(frames, path, 8)


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as box:
        stream = box.streams.audio[0]
        samples = sum(frame.samples for frame in box.decode(stream))
        return samples / stream.rate


def test_a_short_line_keeps_the_clips_length_and_size(tmp_path):
    """A voice shorter than the clip: the clip plays whole, at its own size, with sound."""
    clip = _clip(tmp_path / "clip.mp4", 4.0)
    result = voiceover.add(
        clip, voiceover.VoiceoverRequest(text="Meet the bottle."), output=tmp_path / "out.mp4"
    )
    made = probe(result.output)
    assert (made.width, made.height) == (192, 128)
    assert made.duration == pytest.approx(4.0, abs=0.1)
    assert _audio_seconds(result.output) == pytest.approx(made.duration, abs=0.1)
    assert result.poster.is_file()


def test_a_long_line_holds_the_clip_until_the_voice_is_done(tmp_path):
    """A voice longer than the clip: the video lasts the voice plus a little air."""
    clip = _clip(tmp_path / "clip.mp4", 1.0)
    text = "Our new bottle keeps water cold for a whole day, and it fits every cup holder."
    result = voiceover.add(
        clip, voiceover.VoiceoverRequest(text=text, captions="none"), output=tmp_path / "o.mp4"
    )
    assert result.duration > 1.0 + timeline.AIR_SECONDS + timeline.END_SECONDS
    assert probe(result.output).duration == pytest.approx(result.duration, abs=0.1)
    assert result.captions == {}


def test_captions_as_files_sit_beside_the_video_with_its_words(tmp_path):
    """With captions as files, the WebVTT and SRT carry the spoken words."""
    clip = _clip(tmp_path / "clip.mp4", 2.0)
    result = voiceover.add(
        clip, voiceover.VoiceoverRequest(text="Fresh bread daily."), output=tmp_path / "b.mp4"
    )
    vtt = Path(result.captions["vtt"])
    assert vtt.parent == tmp_path and vtt.suffix == ".vtt"
    assert "Fresh bread daily" in vtt.read_text()
    assert Path(result.captions["srt"]).is_file()


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (voiceover.VoiceoverRequest(text="   "), "empty"),
        (voiceover.VoiceoverRequest(text="Hi.", voice="nobody"), "Unknown voice"),
        (voiceover.VoiceoverRequest(text="Hi.", speed=9.0), "speed"),
        (voiceover.VoiceoverRequest(text="Hi.", captions="loud"), "Captions"),  # type: ignore[arg-type]
        (voiceover.VoiceoverRequest(text="word " * 400), "characters"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_made(tmp_path, request_, message):
    """Each bad request raises a ValueError naming what to change, and writes nothing."""
    clip = _clip(tmp_path / "clip.mp4", 1.0)
    with pytest.raises(ValueError, match=message):
        voiceover.add(clip, request_, output=tmp_path / "never.mp4")
    assert not (tmp_path / "never.mp4").exists()
