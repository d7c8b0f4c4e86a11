"""The embedded model's layout planner and layout field."""

from __future__ import annotations

import numpy as np
import torch

from generation.engines.embedded import data
from generation.engines.embedded.model import LayoutField, LayoutPlanner
from generation.engines.embedded.vocabulary import attribute_indices, understand


def _frame(spec: data.ClipSpec, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Coverage of frame ``i`` of 16 and every pixel in the object's frame, from the layout."""
    layout = torch.from_numpy(data.clip_layout(spec))[None]
    u = LayoutField(8, 4, data.RESOLUTION).object_coordinates(layout)[0, i].numpy()
    return data.coverage(spec.shape, *data.frame_geometry(spec, i / 15)), u


def test_the_layout_matches_the_rendered_clip() -> None:
    """The layout is the geometry the renderer draws, in the model's units."""
    spec = data.sample_spec(np.random.default_rng(3), "red", "star", "right", "black", "large")
    layout = data.clip_layout(spec)
    assert layout.shape == (16, 4)
    x0, y0, r0, _ = data.frame_geometry(spec, 0.0)
    assert np.allclose(layout[0], [(x0 - 16) / 16, (y0 - 16) / 16, r0 / 16, 0.0], atol=1e-6)
    assert layout[-1, 0] > layout[0, 0] + 0.5  # moved right by most of the frame
    spin = data.clip_layout(data.sample_spec(np.random.default_rng(3), "red", "star", "spin"))
    assert abs(spin[-1, 3]) == 1.0 and spin[0, 3] == 0.0  # a quarter turn over the clip


def test_the_field_sees_each_pixel_in_the_objects_own_frame() -> None:
    """Moved, scaled and turned back by the layout, a turning square is the same square."""
    rng = np.random.default_rng(1)
    spec = data.sample_spec(rng, "red", "square", "spin", "black", "large")
    for i in (0, 7, 15):  # 0, 42 and 90 degrees
        coverage, u = _frame(spec, i)
        extent = np.abs(u).max(axis=-1)  # the canonical square is |u| <= 0.9 / sqrt(2)
        assert extent[coverage > 0.99].max() < 0.9 / 2**0.5
        assert extent[coverage < 0.01].min() > 0.9 / 2**0.5
    spec = data.sample_spec(rng, "red", "circle", "left", "black", "small")
    coverage, u = _frame(spec, 10)
    distance = np.linalg.norm(u, axis=-1)
    assert distance[coverage > 0.99].max() < 1.0 < distance[coverage < 0.01].min()


def test_the_planner_learns_where_each_motion_takes_the_object() -> None:
    """A few hundred steps on captions alone: right goes right, up goes up, grow grows."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    planner = LayoutPlanner(embed_dim=8, hidden=32, frames=16, hypotheses=2)
    optimiser = torch.optim.Adam(planner.parameters(), lr=1e-2)
    for _ in range(300):
        samples = [data.training_sample(rng, drop=0.0) for _ in range(16)]
        attributes = torch.tensor([attribute_indices(understand(s.caption)) for s in samples])
        layout = torch.from_numpy(np.stack([data.clip_layout(s.spec) for s in samples]))
        optimiser.zero_grad()
        planner.loss(attributes, layout).backward()
        optimiser.step()
    prompts = ["a red box moves right", "a red box rises", "a large red box grows"]
    attributes = torch.tensor([attribute_indices(understand(p)) for p in prompts])
    plans = planner.plan(attributes, torch.Generator().manual_seed(0))  # (3, T, 4)
    right, up, grow = plans
    assert right[-1, 0] - right[0, 0] > 0.5 and abs(right[-1, 1] - right[0, 1]) < 0.2
    assert up[0, 1] - up[-1, 1] > 0.5 and abs(up[-1, 0] - up[0, 0]) < 0.2
    assert grow[-1, 2] > 1.3 * grow[0, 2]  # truth: 2x


def test_a_spin_is_planned_both_ways_over_seeds() -> None:
    """Two layouts for one prompt: the draw follows the seed and never picks an unlikely one."""
    planner = LayoutPlanner(embed_dim=4, hidden=8, frames=16, hypotheses=2)
    with torch.no_grad():
        last = planner.mlp[-1]
        assert isinstance(last, torch.nn.Linear)
        last.weight.zero_()
        last.bias.copy_(torch.tensor([0, 0, 0.5, 1.0, 0, 0, 0.5, -1.0]))  # K=2 x 4
        head = planner.choice[-1]
        assert isinstance(head, torch.nn.Linear)
        head.weight.zero_()
        head.bias.zero_()
    attributes = torch.tensor([attribute_indices(understand("a star spins"))])
    turns = {
        float(planner.plan(attributes, torch.Generator().manual_seed(s))[0, 0, 3]) for s in range(8)
    }
    assert turns == {1.0, -1.0}
    with torch.no_grad():
        head.bias.copy_(torch.tensor([3.0, 0.0]))  # the second is now unlikely (p < 0.05)
    turns = {
        float(planner.plan(attributes, torch.Generator().manual_seed(s))[0, 0, 3]) for s in range(8)
    }
    assert turns == {1.0}


def test_a_larger_native_size_draws_the_same_clip_finer() -> None:
    """At 64x64 (the GPU recipe) the object is where it is at 32x32, at twice the pixels."""
    spec = data.sample_spec(np.random.default_rng(2), "red", "star", "right", "black", "large")
    small, large = data.clip_coverage(spec, res=32), data.clip_coverage(spec, res=64)
    assert large.shape == (16, 64, 64)
    pooled = large.reshape(16, 32, 2, 32, 2).mean(axis=(2, 4))
    assert np.abs(pooled - small).mean() < 0.02
    assert abs(large.sum() / 4 - small.sum()) < 0.05 * small.sum()  # antialiasing differs


def test_shared_starting_noise_is_the_same_in_every_frame() -> None:
    """Correlation 1 gives one noise for all frames; 0.9 keeps a tenth of it per frame."""
    from generation.engines.embedded.model import video_noise

    same = video_noise((2, 3, 16, 8, 8), 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(same[:, :, :1].expand_as(same), same)
    mixed = video_noise((64, 3, 16, 8, 8), 0.9, torch.Generator().manual_seed(0))
    own = mixed - mixed.mean(dim=2, keepdim=True)
    assert 0.05 < float(own.var()) < 0.15  # about (1 - 0.9) * 15/16
    assert abs(float(mixed.var()) - 1.0) < 0.05
