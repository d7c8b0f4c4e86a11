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


def test_it_judges_the_largest_object_not_a_speck() -> None:
    """A stray second blob in a far corner does not change the shape read (it did when
    the evaluator looked at every object pixel at once)."""
    spec = data.sample_spec(np.random.default_rng(2), "yellow", "star", "spin", background="black")
    spec = data.ClipSpec(**{**spec.__dict__, "size": "large"})
    clip = data.render_clip(spec).copy()
    corner = 0 if spec.x > 16 else 27  # a 5x5 blob in the far corner
    clip[:, corner : corner + 5, corner : corner + 5] = data.OBJECT_RGB["yellow"]
    assert evaluate.analyse_clip(clip).shape == "star"


def test_grain_is_the_distance_from_a_flat_background_away_from_the_object() -> None:
    """A flat render has no grain; adding noise of +-10 gives about 5 / 255."""
    spec = data.sample_spec(np.random.default_rng(0), "red", "circle", "right", background="gray")
    clip = data.render_clip(spec)
    assert evaluate.crispness(clip).grain == 0.0
    noise = np.random.default_rng(1).integers(-10, 11, clip.shape)
    noisy = np.clip(clip.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    assert 4.0 < evaluate.crispness(noisy).grain < 6.5


def test_edge_rise_of_a_linear_ramp_is_four_fifths_of_its_width() -> None:
    """A disc whose edge ramps over 10 pixels rises 10% -> 90% in about 8."""
    ys, xs = np.mgrid[0:128, 0:128]
    r = np.hypot(xs - 64, ys - 64)
    alpha = np.clip((40 - r) / 10 + 0.5, 0, 1)[None]
    assert abs(evaluate.edge_rise(alpha) - 8.0) < 0.5
