"""A scene's own sound (an engine's soundtrack, LTX-2's) in the assembly: kept, ducked, muted.

Measured on real mixes: the footage carries a low hum the voice has almost no energy at, so the
hum's level in the finished MP4 is the footage sound's level.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generation.pipelines import storyboard, voiceover
from generation.render import write_mp4
from generation.storyboard import timeline
from generation.storyboard.board import Scene, Storyboard, check_storyboard
from generation.types import Sound
from tests.generation.test_storyboard_mix import TONE_HZ, _audio, _level_db

LINE = "Our bakery opens at seven."
SCENE_SECONDS = 5.0


def _humming_clip(path: Path, seconds: float, *, amplitude: float = 0.1) -> Path:
    """A grey clip at 8 fps whose soundtrack is a steady hum (as an engine's sound track)."""
    frames = np.full((round(seconds * 8), 36, 64, 3), 90, np.uint8)
    rate = 48_000
    t = np.arange(round(seconds * rate)) / rate
    hum = (amplitude * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
    return write_mp4(frames, path, 8, sound=Sound(samples=np.stack([hum, hum]), rate=rate))


def _board(sound: str) -> Storyboard:
    scene = Scene(
        visual="text-to-video",
        voiceover=LINE,
        prompt="a bakery at dawn",
        transition="cut",
        duration=SCENE_SECONDS,
        sound=sound,  # type: ignore[arg-type]
    )
    return Storyboard(scenes=(scene,), captions="none")


@pytest.fixture(scope="module")
def mixes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, float]]:
    """The same humming scene assembled with its sound kept, ducked and muted: mode -> (MP4,
    seconds the voice speaks from the scene's start)."""
    tmp = tmp_path_factory.mktemp("scene-sound")
    clip = _humming_clip(tmp / "clip.mp4", SCENE_SECONDS)
    voices = storyboard.make_voices(_board("keep"), tmp)
    assert voices[0] is not None
    made = {}
    for mode in ("keep", "duck", "mute"):
        work = tmp / mode
        work.mkdir()
        out = storyboard.assemble(
            _board(mode),
            [clip],
            tmp / f"{mode}.mp4",
            "16:9",
            voices=voices,
            work=work,
            threads=1,
            size=(64, 36),
        )
        made[mode] = (out.output, voices[0].seconds)
    return made


def _levels(path: Path, spoken: float) -> tuple[float, float]:
    """The hum's level (dB) while the voice speaks, and after it, before the end's fade."""
    samples, rate, start = _audio(path)
    speaking = _level_db(samples, rate, 0.2 - start, spoken - 0.1 - start, TONE_HZ)
    after = spoken + timeline.AIR_SECONDS
    quiet = _level_db(
        samples, rate, after - start, SCENE_SECONDS - timeline.END_SECONDS - 0.1 - start, TONE_HZ
    )
    return speaking, quiet


def test_ducked_scene_sound_is_at_least_10_db_lower_while_the_voice_speaks(mixes):
    """Ducked, the footage's hum is at least 10 dB under its level once the voice is done."""
    speaking, quiet = _levels(*mixes["duck"])
    assert quiet - speaking >= 10


def test_kept_scene_sound_stays_at_its_level_under_the_voice(mixes):
    """Kept, the hum is as loud under the voice as after it, and far above the ducked hum."""
    speaking, quiet = _levels(*mixes["keep"])
    assert abs(quiet - speaking) <= 3
    ducked_speaking, _ = _levels(*mixes["duck"])
    assert speaking - ducked_speaking >= 10


def test_muted_scene_sound_is_not_heard(mixes):
    """Muted, the hum is gone: 30 dB or more below the kept hum, voice or no voice."""
    kept = _levels(*mixes["keep"])
    muted = _levels(*mixes["mute"])
    assert all(k - m >= 30 for k, m in zip(kept, muted, strict=True))


def test_a_voiceover_ducks_the_engines_own_sound(tmp_path):
    """A job's voiceover over a clip with its engine's sound keeps that sound, ducked."""
    clip = _humming_clip(tmp_path / "clip.mp4", SCENE_SECONDS)
    result = voiceover.add(
        clip, voiceover.VoiceoverRequest(text=LINE, captions="none"), output=tmp_path / "o.mp4"
    )
    voices = storyboard.make_voices(_board("duck"), tmp_path)
    assert voices[0] is not None
    speaking, quiet = _levels(result.output, voices[0].seconds)
    assert quiet > -40  # the engine's sound is there once the voice is done
    assert quiet - speaking >= 10


def test_only_an_engines_footage_has_its_sound_mixed(tmp_path):
    """A talking head's footage carries its voice, already mixed: only engine scenes' count."""
    clip = _humming_clip(tmp_path / "clip.mp4", 1.0)
    silent = write_mp4(np.zeros((8, 36, 64, 3), np.uint8), tmp_path / "silent.mp4", 8)
    scenes = [
        Scene(visual="text-to-video", sound="keep"),
        Scene(visual="image-to-video", sound="duck"),
        Scene(visual="talking-head"),
        Scene(visual="text-to-video", sound="mute"),
        Scene(visual="text-to-video"),
    ]
    fit = timeline.fit_footage(8, 8)
    heard = storyboard.footage_sounds(scenes, [clip, clip, clip, clip, silent], [fit] * 5)
    assert [(h.duck if h else None) for h in heard] == [False, True, None, None, None]


def test_a_scene_sound_outside_the_choices_is_refused():
    """A scene's sound is keep, duck or mute; anything else is named in the refusal."""
    board = Storyboard(scenes=(Scene(on_screen_text="Hi", duration=2.0, sound="loud"),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Scene 1: its own sound is one of keep, duck, mute"):
        check_storyboard(board)


def test_the_scene_sound_leaves_the_footage_key_alone():
    """Choosing keep, duck or mute remixes the sound but never makes the footage again."""
    board = _board("duck")
    keys = {
        storyboard.footage_key(_board(mode).scenes[0], board=board, aspect="16:9", frames=100)
        for mode in ("keep", "duck", "mute")
    }
    assert len(keys) == 1
