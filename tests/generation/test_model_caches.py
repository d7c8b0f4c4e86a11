"""diffusers' cache accelerators as model options: cache=NAME[:VALUE] in REELSMITH_MODELS.

Where a family supports one, the engine's frames equal what diffusers itself gives with the
same cache config at the same seed, and differ from the uncached frames (the cache took effect);
where it does not, the engine is listed as unavailable with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import pytest
import torch

from generation.engines import EngineSettings, get_engine_info, options, parse_models
from generation.engines.families import detect
from tests.generation.frontier import load, request_for

T2V = "text-to-video"


def test_a_cache_option_is_read_with_its_value():
    """cache=taylorseer:3 is kept as written; the entry's other options stay beside it."""
    entry = parse_models("hy=/models/hy;cache=taylorseer:3;vae-tiling")["hy"]
    assert entry.options == {"cache": "taylorseer:3", "vae-tiling": ""}


@pytest.mark.parametrize(
    ("part", "message"),
    [
        ("cache=teacache", "the caches are first-block, mag, taylorseer, faster, pab"),
        ("cache=first-block:2", "the threshold is between 0 and 1"),
        ("cache=pab:0", "the skip is a whole number from 1 to 50"),
        ("cache", "cache is one of diffusers' cache accelerators"),
    ],
)
def test_a_malformed_cache_option_fails_when_the_settings_are_read(part, message):
    """An unknown cache or a value out of range names what is valid."""
    with pytest.raises(ValueError, match=message):
        options.parse_options([part])


def test_two_caches_at_once_are_refused():
    """first-block-cache and cache= both set a cache: one is refused."""
    with pytest.raises(ValueError, match="Give one cache"):
        options.parse_options(["first-block-cache=0.05", "cache=pab"])


@pytest.mark.parametrize(
    ("kind", "cache", "reason"),
    [
        ("ltx2", "first-block", "not in diffusers' block registry"),
        ("kandinsky5-t2v", "pab", "Pyramid Attention Broadcast fails"),
        ("skyreels-df", "mag", "MagCache's hooks need its transformer blocks"),
        ("wan22-a14b-t2v", "mag", "two experts each run part of the steps"),
    ],
)
def test_a_cache_the_family_does_not_support_is_refused_with_the_reason(
    tiny_model, kind, cache, reason
):
    """The engine is listed as unavailable before anything loads, saying why."""
    settings = EngineSettings(
        model_paths={kind: str(tiny_model(kind))}, options={kind: {"cache": cache}}
    )
    info = get_engine_info(kind, settings)
    assert not info.available
    assert f"cache={cache} does not work with" in info.reason and reason in info.reason


def plain_frames(folder: Path, request: Any, cache: str | None) -> np.ndarray:
    model = detect(folder)
    pipe = getattr(diffusers, model.pipelines[T2V]).from_pretrained(model.path)
    pipe.set_progress_bar_config(disable=True)
    inputs: dict[str, Any] = {"guidance_scale": request.guidance}
    if model.family.key == "hunyuanvideo-1.5":
        pipe.guider = pipe.guider.new(guidance_scale=inputs.pop("guidance_scale"))
    if model.family.key == "ltx-2":
        inputs["frame_rate"] = float(request.fps)
    if cache:
        pipe.transformer.enable_cache(options.cache_config(pipe, cache))
    output = pipe(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        height=request.height,
        width=request.width,
        num_frames=request.num_frames,
        num_inference_steps=request.steps,
        generator=torch.Generator("cpu").manual_seed(request.seed),
        output_type="np",
        **inputs,
    )
    return (np.clip(np.asarray(output.frames[0]), 0, 1) * 255).round().astype(np.uint8)


@pytest.mark.parametrize(
    ("kind", "cache"),
    [
        ("hunyuan15-t2v", "taylorseer:2"),
        ("hunyuan15-t2v", "pab:2"),
        ("ltx2", "taylorseer:2"),
        ("wan21-t2v", "first-block:0.2"),
    ],
)
def test_cached_frames_equal_diffusers_own_cache_and_differ_from_uncached(
    tiny_model, progress, kind, cache
):
    """Off and on, the frames are what diffusers gives at the same seed; on, they change."""
    request = request_for(kind, T2V, Path(), steps=6)
    cached = load(tiny_model, kind, cache=cache).generate(request, progress)
    assert np.array_equal(cached, plain_frames(tiny_model(kind), request, cache))
    uncached = plain_frames(tiny_model(kind), request, None)
    assert not np.array_equal(cached, uncached), "the cache took effect"
