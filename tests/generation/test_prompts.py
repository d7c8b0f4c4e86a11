"""Prompt analysis: the words, the camera move, style and mood."""

from __future__ import annotations

import pytest

from generation.engines.embedded.vocabulary import understand
from generation.prompts import analyse, heading, intensifiers, tokenize


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


# Phrasings a person types, read by the shared helpers and by the embedded model's analysis -----


@pytest.mark.parametrize(
    ("words", "direction"),
    [
        ("travels from left to right", "right"),
        ("goes from right to left", "left"),
        ("moves from the top to the bottom", "down"),
        ("climbs from the bottom to the top of the screen", "up"),
        ("drifts toward the top", "up"),
        ("heads towards the left", "left"),
        ("slides left to right", "right"),
        ("comes in from the right", "left"),
        ("falls from the top", "down"),
        ("moves from the far left edge to the right edge", "right"),
        ("sits at the top", None),
        ("a red ball bounces", None),
    ],
)
def test_places_say_where_a_thing_travels(words, direction):
    """ "from X to Y" and "X to Y" head for Y, "from X" away from X, "toward Y" for Y."""
    assert heading(tokenize(words))[0] == direction


def test_intensifiers_are_found_with_their_positions():
    """How fast and how much are found once each; "a little" before a noun is a size."""
    found = intensifiers(tokenize("a little ball grows a little bigger, slowly, a bit"))
    assert [phrase for phrase, _ in found] == ["a little", "slowly", "a bit"]
    assert found[0][1] == (4, 5)


@pytest.mark.parametrize(
    ("prompt", "motion"),
    [
        ("the camera pans from left to right over the city", "pan-right"),
        ("camera tilts from the bottom to the top of the tower", "pan-up"),
        ("a slow pan toward the left across the shelves", "pan-left"),
        ("zoom in, then pan from left to right", "zoom-in"),
    ],
)
def test_a_pan_said_with_places_heads_where_they_say(prompt, motion):
    """The camera move reads "from X to Y" and "toward Y" too, the first move still winning."""
    assert analyse(prompt).camera_motion == motion


# (prompt, (shape, colour, background, size, motion), not used). The first group is what the
# analysis was written against; HELD_OUT was written afterwards and never tuned on.
TUNED = [
    ("a red square travels from left to right on a white background",
     ("square", "red", "white", None, "right"), []),
    ("a blue ball moves from the top to the bottom on black",
     ("circle", "blue", "black", None, "down"), []),
    ("a yellow dot drifts toward the top, grey backdrop",
     ("circle", "yellow", "gray", None, "up"), []),
    ("a green box slowly moves right on black", ("square", "green", "black", None, "right"),
     ["slowly"]),
    ("a white circle getting bigger on a blue backdrop",
     ("circle", "white", "blue", None, "grow"), []),
    ("a purple star spins fast on a white background",
     ("star", "purple", "white", None, "spin"), ["fast"]),
    ("an orange triangle grows a bit against a red backdrop",
     ("triangle", "orange", "red", None, "grow"), ["a bit"]),
    ("a red dot goes from right to left", ("circle", "red", None, None, "left"), []),
    ("a box on black gets smaller slowly", ("square", None, "black", None, "shrink"),
     ["slowly"]),
]  # fmt: skip
HELD_OUT = [
    ("a tiny purple disc slides from the right edge to the left edge, blue backdrop",
     ("circle", "purple", "blue", "small", "left"), []),
    ("an orb floats up toward the ceiling on black", ("circle", None, "black", None, "up"), []),
    ("big box gliding left to right over a grey backdrop",
     ("square", None, "gray", "large", "right"), []),
    ("a gold star falls from the top of the frame to the bottom",
     ("star", "yellow", None, None, "down"), []),
    ("white dot enters from the right on red", ("circle", "white", "red", None, "left"), []),
    ("a green cube drifts quickly towards the bottom", ("square", "green", None, None, "down"),
     ["quickly"]),
    ("a red block getting a little smaller on white",
     ("square", "red", "white", None, "shrink"), ["a little"]),
    ("a little blue ball rolls to the right, gently", ("circle", "blue", None, "small", "right"),
     ["gently"]),
    ("on black, a huge violet ball gets much bigger",
     ("circle", "purple", "black", "large", "grow"), ["much"]),
    ("the yellow box rises slightly from the floor", ("square", "yellow", None, None, "up"),
     ["slightly"]),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "attributes", "not_used"), TUNED + HELD_OUT)
def test_the_embedded_analysis_reads_free_phrasings(prompt, attributes, not_used):
    """Places, synonyms ("box", "ball", "dot", "backdrop", "on black") and intensifiers are
    read; how fast or how much is named as not used, never as unknown."""
    u = understand(prompt)
    assert (u["shape"], u["colour"], u["background"], u["size"], u["motion"]) == attributes
    assert u["not_used"] == not_used
    assert u["unknown_words"] == []
