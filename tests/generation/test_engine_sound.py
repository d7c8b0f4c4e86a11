"""An engine's own soundtrack (LTX-2's) in the MP4: AAC, as long as the picture."""

from __future__ import annotations

import av
import numpy as np
import pytest

from generation import render
from generation.engines import EngineSettings
from generation.pipelines import text_to_video
from generation.types import Sound, VideoRequest


def tone(seconds: float, rate: int = 24_000, channels: int = 2) -> Sound:
    """A 440 Hz tone, a little louder on the left."""
    t = np.arange(round(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 440 * t)
    return Sound(samples=np.stack([wave * 1.2, wave][:channels]).astype(np.float32), rate=rate)


def frames(count: int) -> np.ndarray:
    video = np.full((count, 32, 48, 3), 40, dtype=np.uint8)
    video[:, :, : count % 48] = 200
    return video


@pytest.mark.parametrize("sound_seconds", [0.2, 1.0, 3.0])
def test_the_sound_is_aac_as_long_as_the_picture(tmp_path, sound_seconds):
    """Shorter sound is padded with silence, longer cut: within one frame of 24 frames at 24 fps."""
    path = render.write_mp4(frames(24), tmp_path / "clip.mp4", fps=24, sound=tone(sound_seconds))
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.streams.audio[0].codec_context.channels == 2
    seconds = render.audio_seconds(path)
    assert seconds is not None and abs(seconds - render.probe(path).duration) <= 1 / 24


def test_a_silent_clip_has_no_audio_stream(tmp_path):
    """Engines that make no sound leave the MP4 without an audio stream."""
    path = render.write_mp4(frames(8), tmp_path / "clip.mp4", fps=8)
    assert render.audio_seconds(path) is None


def test_the_sound_is_the_engines_not_noise(tmp_path):
    """Decoded back, the AAC carries the tone (its energy where the tone is, little elsewhere)."""
    path = render.write_mp4(frames(24), tmp_path / "clip.mp4", fps=24, sound=tone(1.0))
    with av.open(str(path)) as container:
        decoded = np.concatenate(
            [f.to_ndarray() for f in container.decode(container.streams.audio[0])], axis=1
        )
    spectrum = np.abs(np.fft.rfft(decoded[0, 2048:20480]))
    peak_hz = np.argmax(spectrum) * 24_000 / (20480 - 2048)
    assert abs(peak_hz - 440) < 5


def test_ltx2_text_to_video_writes_an_mp4_with_its_sound(tiny_model, tmp_path):
    """Through the pipeline: LTX-2's MP4 has an audio stream within one frame of the picture."""
    settings = EngineSettings(model_paths={"ltx2": str(tiny_model("ltx2"))}, device="cpu")
    request = VideoRequest(
        prompt="a red ball bounces", width=64, height=64, num_frames=17, fps=24, steps=2, seed=3
    )
    result = text_to_video.generate(
        request, output=tmp_path / "ltx2.mp4", engine="ltx2", settings=settings
    )
    assert result.has_sound
    picture = render.probe(result.output)
    seconds = render.audio_seconds(result.output)
    assert picture.frames == 17
    assert seconds is not None and abs(seconds - picture.duration) <= 1 / 24


def test_a_silent_engines_result_says_it_has_no_sound(tiny_model, tmp_path):
    """Kandinsky 5 makes no sound: the result says so and the MP4 has no audio stream."""
    settings = EngineSettings(model_paths={"k5": str(tiny_model("kandinsky5-t2v"))}, device="cpu")
    request = VideoRequest(
        prompt="a red ball", width=64, height=64, num_frames=9, fps=24, steps=2, seed=3
    )
    result = text_to_video.generate(
        request, output=tmp_path / "k5.mp4", engine="k5", settings=settings
    )
    assert not result.has_sound and render.audio_seconds(result.output) is None
