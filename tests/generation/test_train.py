"""The training recipe: a tiny run trains, checkpoints and reloads."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import load_file

from generation import train
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
    clips, attributes = train.training_batch(np.random.default_rng(0), replace(config, batch=4))
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss() -> torch.Tensor:
        return train.training_loss(model, clips, attributes, torch.Generator().manual_seed(0))

    first = float(loss().detach())
    for _ in range(15):
        optimiser.zero_grad()
        loss().backward()
        optimiser.step()
    assert float(loss().detach()) < first


def test_the_cpu_preset_fits_the_size_limit() -> None:
    """The cpu preset's weights are far under 30 MB."""
    model = TinyVideoUNet(train.PRESETS["cpu"].model)
    assert sum(p.numel() for p in model.parameters()) * 4 < 30 * 1024 * 1024
