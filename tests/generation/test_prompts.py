"""Prompt analysis: the words, the camera move, style and mood."""

from __future__ import annotations

import pytest

from generation.prompts import analyse


@pytest.mark.parametrize(
    ("prompt", "motion"),
    [
        ("Slow zoom in on the perfume bottle", "zoom-in"),
        ("push in towards the runner", "zoom-in"),
        ("Zooming out from a busy market", "zoom-out"),
        ("dolly out from the stage", "zoom-out"),
        ("pull back to reveal the city", "zoom-out"),
        ("pan left across the lake", "pan-left"),
        ("the camera slides to the right past the shelves", "pan-right"),
        ("tilt up to the sky", "pan-up"),
        ("camera moves down the waterfall", "pan-down"),
        ("a gentle parallax of the forest", "parallax"),
        ("a red ball bounces on green grass", None),
    ],
)
def test_it_finds_the_camera_move_a_prompt_names(prompt, motion):
    """Common ways of naming a camera move map to one motion; no move gives None."""
    assert analyse(prompt).camera_motion == motion


def test_the_first_move_named_wins():
    """When a prompt names two moves, the one written first is used."""
    assert analyse("pan right, then zoom in on the logo").camera_motion == "pan-right"


def test_it_splits_the_prompt_into_lowercase_words():
    """Tokens are lower-cased words with punctuation dropped and inner hyphens kept."""
    assert analyse("A close-up: RED ball, bouncing!").tokens == (
        "a",
        "close-up",
        "red",
        "ball",
        "bouncing",
    )


def test_it_finds_style_and_mood_words_once_each():
    """Style and mood words are listed once, in prompt order."""
    analysis = analyse("Cinematic, calm shot of a calm lake at dawn, watercolor")
    assert analysis.styles == ("cinematic", "watercolor")
    assert analysis.moods == ("calm",)


def test_it_gives_a_json_ready_dict():
    """as_dict gives lists, not tuples, for a result's details."""
    assert analyse("zoom in").as_dict() == {
        "tokens": ["zoom", "in"],
        "camera_motion": "zoom-in",
        "styles": [],
        "moods": [],
        "style": None,
    }
