"""Storyboard checks: what cannot be made is refused, named, before anything is made."""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path

import numpy as np
import pytest

from generation.storyboard import music
from generation.storyboard.board import (
    BrandCard,
    Scene,
    Storyboard,
    all_scenes,
    check_storyboard,
    frame_size,
)

SCENE = Scene(voiceover="Meet the new spring menu.", on_screen_text="Spring menu")


def board(**changes: object) -> Storyboard:
    return dataclasses.replace(Storyboard(scenes=(SCENE,)), **changes)


def test_a_plain_storyboard_passes():
    """One text card with a voice and the defaults is fine."""
    check_storyboard(board())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scenes": ()}, "no scenes"),
        ({"aspects": ("4:3",)}, "The aspect '4:3' is not offered"),
        ({"aspects": ()}, "at least one aspect"),
        ({"speed": 3.0}, "The speed is 3.0"),
        ({"captions": "subtitles"}, "Captions are one of"),
        ({"voice": "nobody"}, "Unknown voice 'nobody'"),
        ({"music": "jazz"}, "neither a file nor a bed"),
        ({"music_db": 6.0}, "music level"),
        ({"scenes": (Scene(),)}, "Scene 1 has nothing to say"),
        ({"scenes": (Scene(voiceover="Grüß dich 你好"),)}, "'你' (cjk unified ideograph-4f60)"),
        ({"scenes": (Scene(voiceover="Hi", transition="spin"),)}, "transition 'spin'"),
        ({"scenes": (Scene(voiceover="Hi", duration=99),)}, "Scene 1 lasts 99 s"),
        (
            {
                "scenes": (
                    SCENE,
                    Scene(
                        visual="text-to-video", voiceover="Hi", prompt="a cat", engine="wan2.1-t2v"
                    ),
                )
            },
            "Scene 2: the engine 'wan2.1-t2v' is not installed here",
        ),
        (
            {"scenes": (Scene(visual="image-to-video", voiceover="Hi", engine="camera-motion"),)},
            "Scene 1 needs an image",
        ),
        (
            {"scenes": (Scene(visual="talking-head", duration=2.0),)},
            "talking head with nothing to say",
        ),
    ],
)
def test_it_refuses_what_cannot_be_made(changes, message):
    """Each mistake is refused with a message naming the scene or setting."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_storyboard(board(**changes))


def test_a_silent_scene_with_a_fixed_duration_is_fine():
    """A card with no voice but a duration is a pause, not a mistake."""
    check_storyboard(board(scenes=(SCENE, Scene(on_screen_text="Thanks", duration=2.0))))


def test_brand_cards_open_and_close_the_scenes():
    """The intro and outro become brand-card scenes around the storyboard's own."""
    scenes = all_scenes(board(intro=BrandCard("Rosa's"), outro=BrandCard("Order today")))
    assert [s.visual for s in scenes] == ["brand-card", "text-card", "brand-card"]
    assert scenes[-1].on_screen_text == "Order today"


def test_frame_sizes_follow_the_aspect():
    """16:9, 9:16 and 1:1 at a short side of 720 px."""
    assert frame_size("16:9", 720) == (1280, 720)
    assert frame_size("9:16", 720) == (720, 1280)
    assert frame_size("1:1", 180) == (180, 180)


def _wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(np.zeros(int(8000 * seconds), "<i2").tobytes())
    return path


def test_uploaded_music_is_checked_by_content(tmp_path):
    """A WAV is music; a text file named .mp3 is not, and says so."""
    assert music.check_music(_wav(tmp_path / "bed.wav", 2.0)) == pytest.approx(2.0)
    fake = tmp_path / "song.mp3"
    fake.write_text("not music at all")
    with pytest.raises(ValueError, match=r"song\.mp3 is not audio"):
        check_storyboard(board(music=fake))


def test_music_over_twenty_minutes_is_refused(tmp_path, monkeypatch):
    """The music's duration is read from the file and held to the limit."""
    monkeypatch.setattr(music, "MAX_MUSIC_SECONDS", 1)
    with pytest.raises(ValueError, match="the limit is 0 minutes"):
        music.check_music(_wav(tmp_path / "long.wav", 2.0))


def test_music_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    """A file too big is refused before it is opened."""
    monkeypatch.setattr(music, "MAX_MUSIC_BYTES", 100)
    with pytest.raises(ValueError, match="MB; the limit is"):
        music.check_music(_wav(tmp_path / "big.wav", 1.0))
