"""The procedural clip renderer and its held-out splits."""

from __future__ import annotations

import numpy as np

from generation.engines.embedded import data


def test_it_renders_the_same_clip_for_the_same_seed() -> None:
    """Sampling and rendering are deterministic for a seed."""
    first = data.render_clip(data.training_sample(np.random.default_rng(7)).spec)
    second = data.render_clip(data.training_sample(np.random.default_rng(7)).spec)
    assert first.shape == (16, 32, 32, 3)
    assert first.dtype == np.uint8
    assert np.array_equal(first, second)


def test_it_draws_the_background_and_the_object_colours() -> None:
    """Corners are the background colour; the object's colour appears in its middle."""
    spec = data.sample_spec(
        np.random.default_rng(0), "red", "square", "spin", background="blue", size="large"
    )
    clip = data.render_clip(spec)
    assert tuple(clip[0, 0, 0]) == data.BACKGROUND_RGB["blue"]
    assert tuple(clip[0, round(spec.y), round(spec.x)]) == data.OBJECT_RGB["red"]


def test_it_antialiases_edges() -> None:
    """Supersampling leaves in-between values on the shape's edge."""
    spec = data.sample_spec(
        np.random.default_rng(1), "white", "circle", "right", background="black"
    )
    values = np.unique(data.render_clip(spec)[0, ..., 0])
    assert len(values) > 4


def test_training_never_renders_a_held_out_combination() -> None:
    """Held-out (colour, shape, motion) triples are not among the training draws."""
    rng = np.random.default_rng(0)
    seen = {
        (s.spec.colour, s.spec.shape, s.spec.motion)
        for s in (data.training_sample(rng) for _ in range(3000))
    }
    assert not seen & data.HELD_OUT_COMBOS
    assert len(data.HELD_OUT_COMBOS) == 14


def test_held_out_phrasings_are_not_training_captions() -> None:
    """No held-out caption can be produced by the training templates and synonyms."""
    rng = np.random.default_rng(0)
    training = {data.training_sample(rng, drop=0.0).caption for _ in range(5000)}
    held = {s.caption for s in data.evaluation_set("held_out_phrasings", 300)}
    assert not training & held


def test_shapes_stay_inside_the_frame() -> None:
    """Every frame keeps a border of background pixels."""
    rng = np.random.default_rng(3)
    for _ in range(100):
        spec = data.training_sample(rng).spec
        clip = data.render_clip(spec)
        border = np.concatenate([clip[:, 0], clip[:, -1], clip[:, :, 0], clip[:, :, -1]], axis=1)
        bg = np.array(data.BACKGROUND_RGB[spec.background])
        assert np.abs(border.astype(int) - bg).max() < 16  # at most a faint antialiased edge


def test_every_evaluation_prompt_states_what_is_scored() -> None:
    """A clip is never marked wrong for an attribute its prompt did not ask for."""
    from generation.engines.embedded.vocabulary import understand

    for split in ("seen", "held_out_combos", "held_out_phrasings"):
        for sample in data.evaluation_set(split, 100):
            understood = understand(sample.caption)
            said = (understood["colour"], understood["shape"], understood["motion"])
            assert said == (sample.spec.colour, sample.spec.shape, sample.spec.motion)
            assert understood["background"] == sample.spec.background, sample.caption
