"""The training recipe: a tiny run trains, checkpoints and reloads."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import load_file

from generation.engines.embedded import train
from generation.engines.embedded.model import DenoiserConfig, TinyVideoUNet


def _tiny_run(out: Path, steps: int = 2) -> dict[str, object]:
    config = replace(train.PRESETS["tiny"], steps=steps, eval_every=steps)
    return train.train(config, seed=0, out=out, log=lambda line: None)


def test_a_two_step_run_gives_a_finite_loss_and_a_loadable_checkpoint(tmp_path: Path) -> None:
    """Two steps on a tiny model write safetensors + JSON that load back into the model."""
    out = tmp_path / "tiny.safetensors"
    info = _tiny_run(out)
    assert math.isfinite(float(info["loss_last_200"]))  # type: ignore[arg-type]
    config = json.loads(out.with_suffix(".json").read_text())
    model = TinyVideoUNet(DenoiserConfig.from_dict(config["model"]))
    model.load_state_dict(load_file(str(out)))
    assert config["training"]["steps_done"] == 2
    assert "seen" in config["training"]["evaluations"][0]


def test_it_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    """The same seed gives bit-identical weights."""
    _tiny_run(tmp_path / "a.safetensors")
    _tiny_run(tmp_path / "b.safetensors")
    a, b = load_file(str(tmp_path / "a.safetensors")), load_file(str(tmp_path / "b.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_the_loss_goes_down_on_a_repeated_batch() -> None:
    """A few optimiser steps on one batch lower the flow-matching loss."""
    import numpy as np

    torch.manual_seed(0)
    config = train.PRESETS["tiny"]
    model = TinyVideoUNet(config.model)
    batch = train.training_batch(np.random.default_rng(0), replace(config, batch=4))
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss() -> torch.Tensor:
        generator = torch.Generator().manual_seed(0)
        return train.training_loss(
            model,
            batch.clips,
            batch.attributes,
            generator,
            layout=batch.layout,
            coverage=batch.coverage,
            coverage_weight=1.0,
        )

    first = float(loss().detach())
    for _ in range(15):
        optimiser.zero_grad()
        loss().backward()
        optimiser.step()
    assert float(loss().detach()) < first


def test_every_preset_fits_the_size_limit() -> None:
    """Every preset's float32 weights are under 30 MB."""
    for name, preset in train.PRESETS.items():
        model = TinyVideoUNet(preset.model)
        assert sum(p.numel() for p in model.parameters()) * 4 < 30 * 1024 * 1024, name


def test_the_object_weight_marks_the_object_and_its_edge_only() -> None:
    """Pixels on and next to the shape get the extra weight; the far background does not."""
    import numpy as np

    from generation.engines.embedded import data
    from generation.engines.embedded.model import uint8_to_clips

    spec = data.sample_spec(np.random.default_rng(0), "yellow", "square", "right", "blue", "small")
    clip = uint8_to_clips(torch.from_numpy(data.render_clip(spec))[None])
    weight = train.object_weight(clip, 8.0)[0, 0]  # (T, H, W)
    alpha = torch.from_numpy(data.coverage("square", *data.frame_geometry(spec, 0.0)))
    assert torch.all(weight[0][alpha > 0.5] == 9.0)
    assert weight[0, 0, 0] == 1.0  # a corner, far from the shape
    heavy = int((weight[0] > 1).sum())
    assert (alpha > 0).sum() <= heavy <= (alpha > 0).sum() + 4 * 32


def test_focused_noise_levels_sit_mostly_above_the_middle() -> None:
    """With ``focus`` the training noise levels lean towards the noisy end, where layout is set."""
    torch.manual_seed(0)
    config = train.PRESETS["tiny"]
    model = TinyVideoUNet(config.model)
    seen: list[float] = []
    original = model.forward

    def spy(
        x: torch.Tensor, t: torch.Tensor, attributes: torch.Tensor, **kwargs: torch.Tensor
    ) -> torch.Tensor:
        seen.extend(t.tolist())
        return original(x, t, attributes, **kwargs)

    model.forward = spy  # type: ignore[method-assign]
    clips = torch.zeros(64, 3, 16, 32, 32)
    attributes = torch.zeros(64, 5, dtype=torch.long)
    layout = torch.zeros(64, 16, 4)
    generator = torch.Generator().manual_seed(0)
    train.training_loss(model, clips, attributes, generator, focus=1.0, layout=layout)
    assert sum(t > 0.5 for t in seen) > 0.6 * len(seen)
