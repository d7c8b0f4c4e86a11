"""The assembled storyboard, measured on the MP4 itself: loudness, ducking, voice and picture."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from generation.pipelines import storyboard
from generation.render import probe
from generation.storyboard.board import FPS, Scene, Storyboard
from generation.storyboard.mix import TARGET_LUFS

COLOURS = [(220, 40, 40), (40, 200, 60), (40, 60, 220)]
TONE_HZ = 55.0  # the test's "music": a low hum the voice has almost no energy at


def _solid(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (64, 36), colour).save(path)
    return path


def _hum(path: Path, seconds: float) -> Path:
    t = np.arange(int(44_100 * seconds)) / 44_100
    pcm = (0.5 * np.sin(2 * np.pi * TONE_HZ * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44_100)
        out.writeframes(pcm.tobytes())
    return path


def _audio(path: Path) -> tuple[np.ndarray, int, float]:
    """Mono samples of the MP4's sound, its rate, and the time of its first sample."""
    with av.open(str(path)) as box:
        stream = box.streams.audio[0]
        chunks, start = [], None
        for frame in box.decode(stream):
            if start is None:
                start = float(frame.pts * frame.time_base)
            chunks.append(frame.to_ndarray().mean(axis=0))
        return np.concatenate(chunks), stream.rate, start or 0.0


def _level_db(samples: np.ndarray, rate: int, begin: float, end: float, hz: float) -> float:
    """The level of the ``hz`` component of samples[begin:end] (seconds), in dB."""
    part = samples[int(begin * rate) : int(end * rate)]
    t = np.arange(len(part)) / rate
    amplitude = 2 * abs(np.mean(part * np.exp(-2j * np.pi * hz * t)))
    return float(20 * np.log10(amplitude + 1e-9))


def _onsets(samples: np.ndarray, rate: int, start: float, times: list[float]) -> list[float]:
    """The first time after each of ``times`` - 0.2 s at which the voice gets loud (a first
    difference hears the voice, not the low hum under it)."""
    samples = np.diff(samples, prepend=samples[:1])
    hop = rate // 200  # 5 ms
    rms = np.sqrt(np.mean(samples[: len(samples) // hop * hop].reshape(-1, hop) ** 2, axis=1))
    loud = rms > rms.max() / 20
    found = []
    for time in times:
        first = max(0, int((time - start - 0.2) * 200))
        found.append(start + (first + int(np.argmax(loud[first:]))) / 200)
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[storyboard.StoryboardResult, Path]:
    """A three-scene storyboard with a silent pause scene, a hum as music, captions as files."""
    tmp = tmp_path_factory.mktemp("mix")
    board = Storyboard(
        scenes=(
            Scene(
                voiceover="Our bakery opens at seven.", image_path=_solid(tmp / "r.png", COLOURS[0])
            ),
            Scene(
                voiceover="",
                duration=2.4,
                transition="cut",
                image_path=_solid(tmp / "g.png", COLOURS[1]),
            ),
            Scene(
                voiceover="Every croissant is folded by hand.",
                transition="crossfade",
                image_path=_solid(tmp / "b.png", COLOURS[2]),
            ),
        ),
        music=_hum(tmp / "hum.wav", 30),
        short_side=90,
        captions="file",
    )
    result = storyboard.generate(board, output=tmp / "board.mp4", threads=1)
    return result, tmp / "board.mp4"


def test_it_writes_an_h264_and_aac_mp4_with_its_poster(rendered):
    """The MP4 has the aspect's size and the timeline's length, and a poster beside it."""
    result, path = rendered
    info = probe(path)
    assert (info.width, info.height) == (160, 90)
    assert info.duration == pytest.approx(result.duration, abs=0.1)
    assert result.outputs["16:9"].poster.stat().st_size > 0
    streams = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert streams == ["h264", "aac"]


def test_the_loudness_is_minus_14_lufs(rendered):
    """ffmpeg's EBU R128 meter reads -14 +/- 1 LUFS integrated on the output."""
    _, path = rendered
    done = subprocess.run(
        ["ffmpeg", "-nostats", "-i", path, "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", done.stderr)[-1])
    assert integrated == pytest.approx(TARGET_LUFS, abs=1.0)


def test_the_music_ducks_at_least_10_db_under_the_voice(rendered):
    """The hum is at least 10 dB lower while the voice speaks than in the silent scene."""
    result, path = rendered
    samples, rate, start = _audio(path)
    vtt = Path(result.outputs["16:9"].captions["vtt"]).read_text()
    first = _seconds(next(line for line in vtt.splitlines() if "-->" in line).split(" --> ")[0])
    first -= start
    speaking = _level_db(samples, rate, first + 0.2, first + 1.0, TONE_HZ)
    pause_start = result.outputs["16:9"].voice_starts[1] - start
    pause = _level_db(samples, rate, pause_start + 0.9, pause_start + 2.0, TONE_HZ)
    assert pause - speaking >= 10


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.strip().split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_each_voice_starts_within_a_frame_of_its_picture(rendered):
    """The voice of scene k is first heard within one frame of scene k's picture being in."""
    result, path = rendered
    samples, rate, start = _audio(path)
    starts = result.outputs["16:9"].voice_starts
    voiced = [starts[0], starts[2]]
    heard = _onsets(samples, rate, start, voiced)
    pictures = [_first_frame_of(path, COLOURS[0]), _first_frame_of(path, COLOURS[2])]
    for when, picture in zip(heard, pictures, strict=True):
        assert abs(when - picture) <= 1 / FPS + 0.005


def _first_frame_of(path: Path, colour: tuple[int, int, int], after: float = 0.0) -> float:
    """The time of the first frame from ``after`` whose top strip (above the card's text) shows
    ``colour`` fully, not mixed with the scene before it."""
    target = np.array(colour, float)
    channel = int(np.argmax(target))
    pure = target[channel] / np.delete(target, channel).max()
    with av.open(str(path)) as box:
        for frame in box.decode(video=0):
            if float(frame.pts * frame.time_base) < after:
                continue
            pixels = frame.to_ndarray(format="rgb24")
            strip = pixels[: max(2, pixels.shape[0] // 10)].reshape(-1, 3).mean(axis=0)
            if strip[channel] / max(np.delete(strip, channel).max(), 1.0) >= 0.85 * pure:
                return float(frame.pts * frame.time_base)
    raise AssertionError(f"no frame of colour {colour}")


def test_captions_start_within_100_ms_of_the_words(rendered):
    """Each scene's first cue starts within 100 ms of its voice being heard."""
    result, path = rendered
    samples, rate, start = _audio(path)
    vtt = Path(result.outputs["16:9"].captions["vtt"]).read_text()
    cue_starts = [_seconds(line.split(" --> ")[0]) for line in vtt.splitlines() if "-->" in line]
    starts = result.outputs["16:9"].voice_starts
    heard = _onsets(samples, rate, start, [starts[0], starts[2]])
    firsts = [min(c for c in cue_starts if c >= s - 0.1) for s in (starts[0], starts[2])]
    for cue, when in zip(firsts, heard, strict=True):
        assert abs(cue - when) <= 0.1
    assert Path(result.outputs["16:9"].captions["srt"]).read_text().startswith("1\n")


def test_voices_stay_on_their_pictures_across_many_transitions(tmp_path):
    """Cuts, cross-fades and slides in a row: every scene's voice is heard within one frame
    of its picture being fully in, with no drift building up along the video."""
    colours = [COLOURS[0], COLOURS[1], COLOURS[2], COLOURS[0], COLOURS[1]]
    transitions = ["cut", "crossfade", "slide", "crossfade", "cut"]
    board = Storyboard(
        scenes=tuple(
            Scene(
                voiceover=f"Scene number {n} speaks now.",
                transition=transition,  # type: ignore[arg-type]
                image_path=_solid(tmp_path / f"{n}.png", colour),
            )
            for n, (colour, transition) in enumerate(zip(colours, transitions, strict=True))
        ),
        short_side=90,
        captions="none",
    )
    made = storyboard.generate(board, output=tmp_path / "many.mp4", threads=1).outputs["16:9"]
    samples, rate, start = _audio(made.output)
    heard = _onsets(samples, rate, start, made.voice_starts)
    for colour, voice_start, when in zip(colours, made.voice_starts, heard, strict=True):
        picture = _first_frame_of(made.output, colour, after=voice_start - 0.3)
        assert abs(when - picture) <= 1 / FPS + 0.005
