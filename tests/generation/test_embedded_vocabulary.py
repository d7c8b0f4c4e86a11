"""The prompt analysis maps free English onto the embedded model's attributes."""

from __future__ import annotations

import numpy as np
import pytest

from generation.engines.embedded import data
from generation.engines.embedded.vocabulary import attribute_indices, understand


def test_it_reads_every_attribute_of_a_plain_prompt() -> None:
    """A prompt naming all five attributes is understood in full."""
    assert understand("a small red circle moves right on a black background") == {
        "shape": "circle",
        "colour": "red",
        "background": "black",
        "size": "small",
        "motion": "right",
        "unknown_words": [],
        "not_used": [],
    }


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (
            "A big RED ball bounces on a grey background",
            ("circle", "red", "gray", "large", "bounce"),
        ),
        ("Two purple BOXES sliding to the left", ("square", "purple", None, None, "left")),
        (
            "blue background with a tiny star in yellow that spins",
            ("star", "yellow", "blue", "small", "spin"),
        ),
        ("the orange triangle gets bigger", ("triangle", "orange", None, None, "grow")),
        ("a green disc climbs", ("circle", "green", None, None, "up")),
        ("white star jumps up and down on red", ("star", "white", "red", None, "bounce")),
        ("a huge blue circle is falling", ("circle", "blue", None, "large", "down")),
        (
            "yellow square becoming smaller, the background is white",
            ("square", "yellow", "white", None, "shrink"),
        ),
    ],
)
def test_it_handles_synonyms_plurals_case_and_word_order(
    prompt: str, expected: tuple[object, ...]
) -> None:
    """Synonyms, plurals, capitals and any word order reach the same attributes."""
    u = understand(prompt)
    assert (u["shape"], u["colour"], u["background"], u["size"], u["motion"]) == expected


def test_it_reports_words_it_did_not_understand() -> None:
    """Words outside the vocabulary are listed so the page can show them."""
    u = understand("a dog slowly eating a red pizza")
    assert u["unknown_words"] == ["dog", "eating", "pizza"]
    assert u["not_used"] == ["slowly"]
    assert u["colour"] == "red"
    assert u["shape"] is None


def test_unsaid_attributes_become_index_zero() -> None:
    """The conditioning uses 0 for "not said", 1 + index otherwise."""
    assert attribute_indices(understand("a star")) == [4, 0, 0, 0, 0]


@pytest.mark.parametrize("split", ["seen", "held_out_combos", "held_out_phrasings"])
def test_it_recovers_the_truth_of_every_caption_split(split: str) -> None:
    """Training-template and held-out captions parse back to the attributes they were made from."""
    for sample in data.evaluation_set(split, 200):
        u = understand(sample.caption)
        spec = sample.spec
        truth = (spec.shape, spec.colour, spec.background, spec.size, spec.motion)
        got = (u["shape"], u["colour"], u["background"], u["size"], u["motion"])
        assert all(g is None or g == t for g, t in zip(got, truth, strict=True)), sample.caption
        assert None not in (u["shape"], u["colour"], u["motion"]), sample.caption


def test_training_captions_never_leave_words_unknown() -> None:
    """Every word of a training caption is in the vocabulary."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        assert understand(data.training_sample(rng).caption)["unknown_words"] == []
