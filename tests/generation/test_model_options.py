"""Operators' memory and speed options, switched on through diffusers when a model loads."""

from __future__ import annotations

import numpy as np
import pytest

from generation.engines import EngineSettings, load_engine
from generation.types import EngineUnavailable, VideoRequest


def load_with(tiny_model, kind: str, **options: str):
    settings = EngineSettings(
        model_paths={kind: str(tiny_model(kind))}, device="cpu", options={kind: options}
    )
    return load_engine(kind, settings)


def test_vae_tiling_and_first_block_cache_are_switched_on(tiny_model, progress):
    """Each option reaches its diffusers switch, and the model still makes its frames."""
    engine = load_with(tiny_model, "wan22-ti2v", **{"vae-tiling": "", "first-block-cache": "0.05"})
    pipe = engine.pipes["text-to-video"]
    assert pipe.vae.use_tiling
    assert pipe.transformer.is_cache_enabled
    request = VideoRequest(prompt="a ball", width=32, height=32, num_frames=9, fps=24, steps=3)
    frames = engine.generate(request, progress)
    assert [step for step, *_ in progress.calls] == [1, 2, 3]
    assert frames.shape == (9, 32, 32, 3) and frames.dtype == np.uint8


def test_both_moe_experts_get_the_cache(tiny_model):
    """Wan 2.2 A14B's options apply to the high-noise and the low-noise expert alike."""
    engine = load_with(tiny_model, "wan22-a14b-t2v", **{"first-block-cache": "0.1"})
    pipe = engine.pipes["text-to-video"]
    assert pipe.transformer.is_cache_enabled and pipe.transformer_2.is_cache_enabled


def test_an_attention_backend_is_set_by_name(tiny_model, progress):
    """attention=native selects PyTorch's SDPA through diffusers' dispatcher."""
    engine = load_with(tiny_model, "cogvideox-t2v", attention="native")
    request = VideoRequest(prompt="a ball", width=32, height=32, num_frames=9, fps=8, steps=2)
    assert engine.generate(request, progress).shape == (9, 32, 32, 3)


def test_offloading_needs_a_cuda_device(tiny_model):
    """On a CPU worker an offload option is refused with the reason, not ignored."""
    with pytest.raises(EngineUnavailable, match="offload=group needs a CUDA device"):
        load_with(tiny_model, "ltx", offload="group")
