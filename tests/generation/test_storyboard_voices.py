"""A storyboard's voices: a line said again (by another row of a batch) is spoken once per
process; a different text, voice or speed is spoken anew, and every scene still gets its file."""

from __future__ import annotations

from typing import Any

from generation.avatar import tts
from generation.pipelines import storyboard
from generation.storyboard.board import Scene, Storyboard


def _board(*lines: str, speed: float = 1.0) -> Storyboard:
    return Storyboard(
        scenes=tuple(Scene(visual="text-card", voiceover=line) for line in lines),
        speed=speed,
        aspects=("16:9",),
    )


def test_a_line_said_again_is_spoken_once(tmp_path: Any, monkeypatch: Any) -> None:
    """Two rows share two lines and differ in one: four lines spoken, not six."""
    spoken: list[str] = []
    real = tts.speak

    def speak(text: str, **options: Any) -> Any:
        spoken.append(text)
        return real(text, **options)

    monkeypatch.setattr(tts, "speak", speak)
    first = storyboard.make_voices(_board("Welcome in.", "Hello Ana.", "See you."), tmp_path / "a")
    second = storyboard.make_voices(_board("Welcome in.", "Hello Bo.", "See you."), tmp_path / "b")
    assert spoken == ["Welcome in.", "Hello Ana.", "See you.", "Hello Bo."]
    assert all(voice is not None and voice.wav.is_file() for voice in [*first, *second])
    assert first[0] is not None and second[0] is not None
    assert first[0].seconds == second[0].seconds
    storyboard.make_voices(_board("Welcome in.", speed=1.3), tmp_path / "c")
    assert spoken[-1] == "Welcome in."  # another speed: spoken again
