"""Kandinsky 5, LTX-2, HunyuanVideo 1.5 and SkyReels-V2 on tiny random models, through the loader:
frames, progress, previews and cancellation.

Each case is a folder written by generation.testing and loaded with load_engine, as an operator's
REELSMITH_MODELS entry would be.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation.types import Cancelled
from tests.generation.frontier import CASES, count_decodes, frames_for, load, request_for


@pytest.mark.parametrize(("kind", "mode"), CASES)
def test_it_makes_frames_with_a_preview_per_step_and_one_decode(
    tiny_model, scene_png, progress, monkeypatch, kind, mode
):
    """uint8 frames of the requested shape; each step reported in order with an RGB preview."""
    engine = load(tiny_model, kind)
    decodes = count_decodes(engine, monkeypatch)
    frames = engine.generate(request_for(kind, mode, scene_png, steps=3, width=48), progress)
    assert frames.shape == (frames_for(kind), 32, 48, 3) and frames.dtype == np.uint8
    assert [(step, total) for step, total, *_ in progress.calls] == [(1, 3), (2, 3), (3, 3)]
    previews = [preview for _, _, preview, _ in progress.calls]
    assert all(isinstance(p, Image.Image) and p.mode == "RGB" for p in previews)
    assert decodes == [1], "previews come from a linear map, never a VAE decode per step"


@pytest.mark.parametrize(("kind", "mode"), CASES)
def test_cancelling_from_the_progress_callback_skips_the_decode(
    tiny_model, scene_png, monkeypatch, kind, mode
):
    """Raising Cancelled at the first step stops the run before the VAE decodes anything."""
    engine = load(tiny_model, kind)
    decodes = count_decodes(engine, monkeypatch)
    steps: list[int] = []

    def cancel(step: int, total: int, *args: object, **kwargs: object) -> None:
        steps.append(step)
        raise Cancelled

    with pytest.raises(Cancelled):
        engine.generate(request_for(kind, mode, scene_png, steps=3), cancel)
    assert steps == [1]
    assert decodes == []


def test_fitted_previews_follow_each_vaes_channels(tiny_model):
    """The latent-to-RGB map is fitted per VAE: one row of weights per latent channel."""
    for kind, channels in (("kandinsky5-t2v", 4), ("ltx2", 4), ("hunyuan15-t2v", 4)):
        weights, bias = load(tiny_model, kind).preview
        assert (len(weights), len(weights[0]), len(bias)) == (channels, 3, 3)
    wan_like = load(tiny_model, "skyreels-df").preview
    assert len(wan_like[0]) == 16  # SkyReels-V2 has Wan 2.1's VAE and its published map
