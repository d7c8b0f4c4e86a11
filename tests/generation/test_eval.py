"""The analytic evaluator reads ground-truth clips back correctly."""

from __future__ import annotations

import numpy as np

from generation.engines.embedded import data, evaluate


def test_it_scores_ground_truth_renders_one() -> None:
    """Renders of seen and held-out combinations score 1.0 on every attribute."""
    for split in ("seen", "held_out_combos"):
        samples = data.evaluation_set(split, 60)
        result = evaluate.evaluate_clips(
            [data.render_clip(s.spec) for s in samples], [s.spec for s in samples]
        )
        assert result["all"] == 1.0, (split, result)
        assert result["flicker"] < 0.5


def test_it_sees_noise_as_flicker() -> None:
    """A clip whose background changes every frame has high flicker."""
    spec = data.sample_spec(np.random.default_rng(0), "red", "circle", "right", background="gray")
    clip = data.render_clip(spec).astype(np.int16)
    noisy = np.clip(clip + np.random.default_rng(1).integers(-20, 21, clip.shape), 0, 255).astype(
        np.uint8
    )
    assert evaluate.analyse_clip(noisy).flicker > 5.0


def test_a_still_shape_is_not_a_motion() -> None:
    """A clip of one repeated frame is read as still."""
    spec = data.sample_spec(np.random.default_rng(0), "green", "star", "right", background="black")
    clip = np.repeat(data.render_clip(spec)[:1], 16, axis=0)
    assert evaluate.analyse_clip(clip).motion == "still"
