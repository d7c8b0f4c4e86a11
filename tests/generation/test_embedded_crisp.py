"""The embedded engine's decode to the output size keeps edges, corners and a flat background."""

from __future__ import annotations

import numpy as np

from generation.engines.embedded import data, evaluate
from generation.engines.embedded.engine import crisp_upscale, upscale


def _square_clip(background: str = "white") -> tuple[np.ndarray, data.ClipSpec]:
    spec = data.sample_spec(
        np.random.default_rng(3), "red", "square", "right", background=background
    )
    spec = data.ClipSpec(**{**spec.__dict__, "size": "large"})
    return data.render_clip(spec), spec


def test_a_squares_corners_are_inside_at_512_pixels() -> None:
    """Just inside each corner of a rendered square, the 512-pixel frame is the object."""
    clip, spec = _square_clip()
    frame = crisp_upscale(clip[:1], 512, 512)[0]
    cx, cy, radius, degrees = data.frame_geometry(spec, 0.0)
    scale = 512 / clip.shape[1]
    red = np.array(data.OBJECT_RGB["red"], dtype=float)
    for x, y in data.shape_polygon("square", cx, cy, radius, degrees):
        # 3% of the square's side in from the corner, towards its centre
        inward = np.array([cx - x, cy - y]) / np.hypot(cx - x, cy - y)
        px, py = (np.array([x, y]) + inward * 0.03 * radius * 0.9 * np.sqrt(2) * 2) * scale
        pixel = frame[int(py), int(px)].astype(float)
        assert np.linalg.norm(pixel - red) < 40, (x, y, pixel)


def test_edges_rise_within_a_few_pixels_where_lanczos_takes_sixteen() -> None:
    """The edge rises 10% -> 90% within 4 pixels at 512 px; plain Lanczos blurs it over many."""
    clip, _ = _square_clip()
    crisp = evaluate.crispness(crisp_upscale(clip, 512, 512))
    blurred = evaluate.crispness(np.stack([upscale(f, 512, 512) for f in clip]))
    assert crisp.edge_rise <= 4.0 < blurred.edge_rise


def test_the_background_is_flat_and_still_even_when_the_model_leaves_grain() -> None:
    """Noise the model leaves on the background does not survive the decode, nor flickers."""
    clip, _ = _square_clip()
    noise = np.random.default_rng(1).integers(-12, 13, clip.shape)
    grainy = np.clip(clip.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    assert evaluate.crispness(np.stack([upscale(f, 256, 256) for f in grainy])).grain > 3.0
    figures = evaluate.crispness(crisp_upscale(grainy, 256, 256))
    assert figures.grain <= 1.0 and figures.flicker < 1.0


def test_the_attributes_still_read_back_after_the_decode() -> None:
    """Shape, colour, background and motion of a rendered clip survive the decode."""
    clip, spec = _square_clip("blue")
    big = crisp_upscale(clip, 256, 256)
    small = big.reshape(len(big), 32, 8, 32, 8, 3).mean(axis=(2, 4)).astype(np.uint8)
    assert all(evaluate.score_clip(evaluate.analyse_clip(small), spec).values())


def test_a_clip_without_a_clear_object_is_upscaled_as_it_is() -> None:
    """A nearly flat clip has no object to draw, so it is the plain Lanczos upscale."""
    flat = np.full((2, 32, 32, 3), 120, dtype=np.uint8)
    flat[:, 10, 10] = 130
    assert np.array_equal(crisp_upscale(flat, 64, 48), np.stack([upscale(f, 64, 48) for f in flat]))


def test_a_wide_frame_is_cropped_from_the_square_one() -> None:
    """A 16:9 request is the centre of the square decode, so circles stay round."""
    clip, _ = _square_clip()
    wide = crisp_upscale(clip[:1], 448, 256)
    square = crisp_upscale(clip[:1], 448, 448)
    assert wide.shape == (1, 256, 448, 3)
    assert np.abs(wide[0].astype(int) - square[0, 96:352].astype(int)).max() <= 1


def test_a_speck_of_leftover_noise_is_not_drawn_as_a_dot() -> None:
    """A two-pixel blob far from the object is background at the output size."""
    clip, spec = _square_clip("gray")
    clip = clip.copy()
    corner = 0 if spec.x > 16 else 30
    clip[:, corner : corner + 2, 30] = data.OBJECT_RGB["red"]
    frame = crisp_upscale(clip[:1], 256, 256)[0]
    y = corner * 8 + 8
    assert np.abs(frame[y, 30 * 8 + 4].astype(int) - data.BACKGROUND_RGB["gray"]).max() <= 2
