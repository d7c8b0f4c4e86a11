"""The layout field's outline: trained on exact points, evaluated at the output size."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from generation.engines.embedded import data, evaluate, train
from generation.engines.embedded.engine import EDGE_PIXELS, Outline, field_decode, outline_of
from generation.engines.embedded.model import LayoutField, TinyVideoUNet, pixel_grid
from generation.engines.embedded.vocabulary import SHAPES, attribute_indices, understand


@pytest.mark.parametrize("shape", SHAPES)
def test_inside_agrees_with_the_renderer(shape: str) -> None:
    """A point is inside where the renderer's antialiased coverage says it is."""
    cx, cy, radius, degrees = 16.0, 15.0, 10.0, 20.0
    rendered = data.coverage(shape, cx, cy, radius, degrees)
    centres = np.arange(data.RESOLUTION) + 0.5
    xs, ys = np.meshgrid(centres, centres)
    d = np.stack([xs - cx, ys - cy], axis=-1) / radius
    turn = np.radians(degrees)
    u = np.stack(
        [
            d[..., 0] * np.cos(turn) + d[..., 1] * np.sin(turn),
            d[..., 1] * np.cos(turn) - d[..., 0] * np.sin(turn),
        ],
        axis=-1,
    )
    inside = data.inside(shape, u)
    clear = (rendered < 0.05) | (rendered > 0.95)  # away from the antialiased edge
    assert clear.sum() > 0.9 * rendered.size
    assert np.array_equal(inside[clear], (rendered[clear] > 0.5).astype(np.float32))


def test_the_star_is_concave() -> None:
    """Between two points of the star, near its tips' radius, is outside."""
    polygon = data.shape_polygon("star", 0.0, 0.0, 1.0, 0.0)
    tip_a, tip_b = np.array(polygon[0]), np.array(polygon[2])
    between = (tip_a + tip_b) / 2 * 1.1
    assert data.inside("star", np.array([between, [0.0, 0.0]])).tolist() == [0.0, 1.0]


def test_outline_points_crowd_the_outline() -> None:
    """Half the training points lie within a few hundredths of the outline, the rest spread."""
    points = train.outline_points(np.random.default_rng(0), "triangle", 400)
    assert points.shape == (400, 2)
    truth = data.inside("triangle", points)
    assert 0.2 < truth.mean() < 0.8  # both sides of the outline are taught
    near, spread = points[200:], points[:200]
    assert np.abs(spread).max() <= 1.4 and spread.std() > 0.7  # uniform over -1.4..1.4: 0.81
    assert np.hypot(*near.T).max() < 1.3 and np.hypot(*near.T).min() > 0.3


def test_the_field_at_points_is_the_field_on_its_grid() -> None:
    """``at`` on the native grid's object coordinates gives what ``forward`` gives."""
    torch.manual_seed(0)
    field = LayoutField(16, 4, data.RESOLUTION, angles=2, octaves=4)
    layout = torch.tensor([[[0.1, -0.2, 0.4, 0.3], [0.0, 0.0, 0.3, 0.0]]])
    attributes = torch.tensor([[1, 2, 0, 3, 1]])
    grid = field(layout, attributes)  # (T, c, S, S)
    u = field.object_coordinates(layout)  # (1, T, S, S, 2)
    points = field.at(u, attributes)  # (1, T, S, S, c)
    assert torch.allclose(grid, points[0].permute(0, 3, 1, 2), atol=1e-6)


def test_pixel_grid_is_the_middle_of_the_square() -> None:
    """A 16:9 grid is the middle rows of the square of its width, as the decode crops."""
    square = pixel_grid(64)
    wide = pixel_grid(36, 64)
    assert wide.shape == (2, 36, 64)
    assert torch.equal(wide, square[:, 14:50, :])


def _exact(shape: str) -> Outline:
    """An outline that is the true shape (exact at any size): +1 inside, -1 outside."""
    return lambda u: torch.from_numpy(2 * data.inside(shape, u.numpy()) - 1)


def _square() -> tuple[data.ClipSpec, np.ndarray, torch.Tensor]:
    spec = data.sample_spec(np.random.default_rng(3), "red", "square", "right", background="white")
    spec = data.ClipSpec(**{**spec.__dict__, "size": "large"})
    return spec, data.render_clip(spec), torch.from_numpy(data.clip_layout(spec))


def test_the_decode_draws_the_fields_outline_sharp_at_512() -> None:
    """Corners survive at 512 px, edges rise within a few pixels, the colours are the clip's."""
    spec, clip, layout = _square()
    frames = field_decode(_exact("square"), clip, layout, 16, 512, 512)
    assert frames is not None and frames.shape == (16, 512, 512, 3)
    _, _, alpha = evaluate.object_alpha(frames)
    fit = evaluate.outline_fit(evaluate.largest_object(alpha)[8])
    assert fit.shape == "square" and fit.iou > 0.97 and fit.error < 0.03
    crisp = evaluate.crispness(frames)
    assert crisp.edge_rise <= 4.0 and crisp.grain < 0.5 and crisp.flicker < 0.5
    red, white = data.OBJECT_RGB["red"], data.BACKGROUND_RGB["white"]
    x, y, _, _ = data.frame_geometry(spec, 0.0)
    assert np.abs(frames[0, int(y * 16), int(x * 16)].astype(int) - red).max() <= 8
    assert np.abs(frames[0, 4, 4].astype(int) - white).max() <= 8


def test_in_between_frames_are_drawn_not_blended() -> None:
    """32 frames from a 16-frame clip: every frame is one object, not two half-faded ones."""
    _, clip, layout = _square()
    frames = field_decode(_exact("square"), clip, layout, 32, 128, 128)
    assert frames is not None and len(frames) == 32
    _, _, alpha = evaluate.object_alpha(frames)
    half = ((alpha > 0.2) & (alpha < 0.8)).sum(axis=(1, 2))
    edge = (alpha > 0.5).sum(axis=(1, 2)) ** 0.5 * 4  # about the outline's length
    assert (half < 2.5 * EDGE_PIXELS * edge).all()  # only the antialiased rim is partial
    xs = [np.nonzero(a > 0.5)[1].mean() for a in alpha]
    assert all(b > a for a, b in itertools.pairwise(xs))  # moves right every frame


def test_a_16_9_frame_shows_the_whole_square_world_in_its_middle() -> None:
    """A wide frame is the square frame in its middle, full height, with the background on
    to its sides: the whole object and its path stay in view (nothing is cropped away)."""
    _, clip, layout = _square()
    field = _exact("square")
    square = field_decode(field, clip, layout, 16, 144, 144)
    wide = field_decode(field, clip, layout, 16, 256, 144)
    tall = field_decode(field, clip, layout, 16, 144, 256)
    assert square is not None and wide is not None and tall is not None
    assert wide.shape == (16, 144, 256, 3) and tall.shape == (16, 256, 144, 3)
    # The same frames, but for a rare pixel of an outline's antialiasing (this exact outline
    # has no soft edge of its own, so the coarse grid's phase decides it).
    for band in (wide[:, :, 56:200], tall[:, 56:200]):
        off = (np.abs(band.astype(int) - square.astype(int)).max(axis=3) > 8).sum(axis=(1, 2))
        assert off.max() <= 3, off
    white = np.array(data.BACKGROUND_RGB["white"])
    assert (np.abs(wide[:, :, :56].astype(int) - white).max() <= 8) and (
        np.abs(wide[:, :, 200:].astype(int) - white).max() <= 8
    )


def test_a_clip_the_field_does_not_match_is_left_to_the_clip() -> None:
    """Where the denoiser drew something else than the field (or nothing), no field decode."""
    _, clip, layout = _square()
    flat = np.full_like(clip, 128)
    assert field_decode(_exact("square"), flat, layout, 16, 64, 64) is None
    elsewhere = layout.clone()
    elsewhere[:, 0] = -elsewhere[:, 0]  # the field's square on the other side of the frame
    assert field_decode(_exact("square"), clip, elsewhere, 16, 64, 64) is None


def test_outline_fit_tells_a_rounded_square_from_a_square() -> None:
    """The true outline fits closely; corners rounded away fit worse and stray further."""
    from scipy import ndimage

    true = data.coverage("square", 250, 260, 120, 17, 512)
    rounded = (ndimage.gaussian_filter(true, 12) > 0.5).astype(np.float32)
    exact, soft = evaluate.outline_fit(true), evaluate.outline_fit(rounded)
    assert exact.shape == soft.shape == "square"
    assert exact.iou > 0.99 and exact.error < 0.015
    assert soft.iou < exact.iou - 0.015 and soft.error > 2 * exact.error
    star = evaluate.outline_fit(data.coverage("star", 250, 250, 150, 5, 512))
    assert star.shape == "star" and star.iou > 0.99


def test_the_outline_loss_is_the_fields_error_on_the_named_shapes_points() -> None:
    """The loss gains the field's squared error at the batch's points, over clips whose caption
    names the shape (an unnamed shape is the model's guess, not a mistake)."""
    torch.manual_seed(0)
    config = replace(train.PRESETS["tiny"], batch=4, outline_weight=1.0, outline_points=64)
    model = TinyVideoUNet(config.model)
    assert model.layout_field is not None
    batch = train.training_batch(np.random.default_rng(0), config)
    attributes = batch.attributes.clone()
    attributes[0, train.SHAPE_COLUMN] = 0  # the first caption leaves the shape out

    def loss(weight: float) -> float:
        with torch.no_grad():
            return train.training_loss(
                model,
                batch.clips,
                attributes,
                torch.Generator().manual_seed(1),
                layout=batch.layout,
                points=batch.points,
                inside=batch.inside,
                outline_weight=weight,
            ).item()

    with torch.no_grad():
        drawn = model.layout_field.at(batch.points, attributes)[..., 0]
        named = attributes[:, train.SHAPE_COLUMN] > 0
        expected = (drawn[named] - batch.inside[named]).pow(2).mean()
    assert not named[0] and named.sum() >= 1
    assert loss(2.0) - loss(0.0) == pytest.approx(2 * float(expected), rel=1e-4)
    assert batch.inside.shape == (4, 64) and set(np.unique(batch.inside.numpy()).tolist()) == {
        0.0,
        1.0,
    }


def test_the_outline_head_learns_each_shape_and_the_decode_asks_it_for_named_shapes() -> None:
    """A few hundred steps on exact points: every shape's outline fits well; the decode draws
    the head's outline where the prompt names a shape and the layout field's where not."""
    config = replace(train.PRESETS["tiny"], outline_steps=400, outline_batch=8, outline_points=256)
    torch.manual_seed(0)
    model = TinyVideoUNet(replace(config.model, outline_channels=32))
    before = train.outline_iou(model)
    info = train.train_outline(model, config, seed=0, log=lambda _: None)
    after = info["iou"]
    assert isinstance(after, dict) and min(after.values()) > 0.9 > max(before.values())
    square = torch.tensor([attribute_indices(understand("a square"))])
    unsaid = torch.zeros(1, 5, dtype=torch.long)
    corner, middle = torch.tensor([[0.6, 0.6]]), torch.tensor([[0.0, 0.0]])
    drawn = outline_of(model, square)
    assert drawn is not None and float(drawn(middle)[0]) > 0 > float(
        drawn(torch.tensor([[1.3, 1.3]]))[0]
    )
    assert float(drawn(corner)[0]) > 0  # a square's corner, not a disc's
    guessed = outline_of(model, unsaid)
    assert model.layout_field is not None and guessed is not None
    assert torch.allclose(
        guessed(middle), model.layout_field.at(middle[None], unsaid)[0, ..., 0] - 0.5
    )


def test_outline_only_adds_a_head_to_weights_made_without_one(tmp_path: Path) -> None:
    """Weights without an outline head get one, trained, the rest kept exactly; weights of
    another model are refused."""
    from safetensors.torch import load_file

    config = replace(train.PRESETS["tiny"], outline_steps=5)
    plain = replace(config, model=replace(config.model, outline_channels=0))
    first = tmp_path / "plain.safetensors"
    train.train(plain, 0, first, log=lambda _: None)
    out = tmp_path / "with-head.safetensors"
    info = train.outline_only(config, 0, first, out, log=lambda _: None)
    before, after = load_file(str(first)), load_file(str(out))
    assert set(after) - set(before) and all(
        k.startswith("outline.") for k in set(after) - set(before)
    )
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert (
        "outline" in info
        and json.loads(out.with_suffix(".json").read_text())["model"]["outline_channels"] == 8
    )
    made = json.loads(first.with_suffix(".json").read_text())
    made["model"]["channels"] = [16, 16, 64]  # a config that is not the one these weights had
    first.with_suffix(".json").write_text(json.dumps(made))
    with pytest.raises(SystemExit, match="does not fit"):
        train.outline_only(config, 0, first, tmp_path / "x.safetensors")


def test_the_whole_recipe_and_outline_only_make_the_same_head() -> None:
    """The head is made last and trained on a stream of its own, so the one-command recipe and
    a head added afterwards to the same weights are the same model."""
    config = replace(train.PRESETS["tiny"], outline_steps=3)
    torch.manual_seed(0)
    with_head = TinyVideoUNet(config.model)
    torch.manual_seed(0)
    without = TinyVideoUNet(replace(config.model, outline_channels=0))
    shared = without.state_dict()
    assert all(torch.equal(with_head.state_dict()[k], v) for k, v in shared.items())
