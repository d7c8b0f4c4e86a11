"""Every family and mode on tiny random models, loaded through the project's loader.

Each case is a folder written by generation.testing, named as an operator would name it in
REELSMITH_MODELS, and loaded with load_engine. The plain diffusers pipeline, given the same seed
and inputs, must make the very same frames.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import pytest
import torch
from PIL import Image

from generation.engines import EngineSettings, families, load_engine
from generation.engines.diffusers_video import HIGH_NOISE, LOW_NOISE, DiffusersVideoEngine
from generation.engines.families import detect
from generation.types import Cancelled, VideoRequest

T2V, I2V = "text-to-video", "image-to-video"
CASES = [
    ("wan21-t2v", T2V),
    ("wan21-i2v", I2V),
    ("wan22-ti2v", T2V),
    ("wan22-ti2v", I2V),
    ("wan22-a14b-t2v", T2V),
    ("wan22-a14b-i2v", I2V),
    ("ltx", T2V),
    ("ltx", I2V),
    ("cogvideox-t2v", T2V),
    ("cogvideox-i2v", I2V),
]


def settings_for(kind: str, folder: Path) -> EngineSettings:
    return EngineSettings(model_paths={kind: str(folder)}, device="cpu")


def load(tiny_model: Callable[[str], Path], kind: str) -> DiffusersVideoEngine:
    engine = load_engine(kind, settings_for(kind, tiny_model(kind)))
    assert isinstance(engine, DiffusersVideoEngine)
    return engine


def request_for(
    engine: DiffusersVideoEngine, mode: str, image: Path, **changes: Any
) -> VideoRequest:
    values: dict[str, Any] = {
        "prompt": "a red ball bounces on green grass",
        "negative_prompt": "blurry",
        "mode": mode,
        "width": 32,
        "height": 32,
        "num_frames": 9,  # 4k + 1 for Wan and (tiny) LTX, 8k + 1 for CogVideoX
        "fps": engine.model.fps,
        "steps": 2,
        "guidance": 4.0,
        "seed": 5,
        "image_path": image if mode == I2V else None,
        **changes,
    }
    return VideoRequest(**values)


def count_decodes(engine: DiffusersVideoEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    vae = engine.pipes[engine.model.modes[0]].vae  # one VAE, shared by both modes' pipelines
    decode = vae.decode

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return decode(*args, **kwargs)

    monkeypatch.setattr(vae, "decode", counted)
    return calls


@pytest.mark.parametrize(("kind", "mode"), CASES)
def test_it_makes_frames_with_a_preview_per_step_and_one_decode(
    tiny_model, scene_png, progress, monkeypatch, kind, mode
):
    """uint8 (T, H, W, 3) frames; each step reported in order with an RGB preview; one decode."""
    engine = load(tiny_model, kind)
    decodes = count_decodes(engine, monkeypatch)
    frames = engine.generate(request_for(engine, mode, scene_png, steps=3), progress)
    assert frames.shape == (9, 32, 32, 3) and frames.dtype == np.uint8
    assert [(step, total) for step, total, *_ in progress.calls] == [(1, 3), (2, 3), (3, 3)]
    previews = [preview for _, _, preview, _ in progress.calls]
    assert all(
        isinstance(p, Image.Image) and p.mode == "RGB" and p.size == (256, 256) for p in previews
    )
    assert decodes == [1], "previews come from a linear map, never a VAE decode per step"


@pytest.mark.parametrize(("kind", "mode"), CASES)
def test_cancelling_from_the_callback_skips_the_decode(
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
        engine.generate(request_for(engine, mode, scene_png, steps=3), cancel)
    assert steps == [1]
    assert decodes == []


@pytest.mark.parametrize(("kind", "mode"), CASES)
def test_frames_equal_the_plain_diffusers_pipeline(tiny_model, scene_png, progress, kind, mode):
    """Same folder, seed and inputs through diffusers alone: the very same frames."""
    engine = load(tiny_model, kind)
    request = request_for(engine, mode, scene_png)
    frames = engine.generate(request, progress)

    model = detect(tiny_model(kind))
    first = getattr(diffusers, model.pipelines[model.modes[0]]).from_pretrained(model.path)
    pipe = first
    if model.modes[0] != mode:
        pipe = getattr(diffusers, model.pipelines[mode]).from_pipe(first)
    pipe.set_progress_bar_config(disable=True)
    extra: dict[str, Any] = {}
    if mode == I2V:
        extra["image"] = Image.open(scene_png).convert("RGB")
    if model.family is families.WAN22_MOE:
        extra["guidance_scale_2"] = 3.0 if mode == T2V else 4.0  # published 4 : 3 for t2v
    if model.family is families.LTX:
        extra["frame_rate"] = request.fps
    if model.family is families.COGVIDEOX:
        extra["max_sequence_length"] = 16
    plain = pipe(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        height=32,
        width=32,
        num_frames=9,
        num_inference_steps=2,
        guidance_scale=4.0,
        generator=torch.Generator("cpu").manual_seed(5),
        output_type="np",
        **extra,
    ).frames[0]
    expected = (np.clip(np.asarray(plain), 0, 1) * 255).round().astype(np.uint8)
    assert np.array_equal(frames, expected)


@pytest.mark.parametrize(("kind", "mode"), [("wan22-a14b-t2v", T2V), ("wan22-a14b-i2v", I2V)])
def test_the_moe_runs_each_expert_on_its_side_of_the_boundary(
    tiny_model, scene_png, progress, monkeypatch, kind, mode
):
    """transformer runs while t >= boundary, transformer_2 after; progress names the expert."""
    engine = load(tiny_model, kind)
    pipe = engine.pipes[mode]
    events: list[str] = []
    for attribute, label in (("transformer", HIGH_NOISE), ("transformer_2", LOW_NOISE)):
        expert = getattr(pipe, attribute)
        forward = expert.forward

        def traced(*args: Any, _forward: Any = forward, _label: str = label, **kwargs: Any) -> Any:
            events.append(_label)
            return _forward(*args, **kwargs)

        monkeypatch.setattr(expert, "forward", traced)

    def on_progress(step: int, total: int, preview: object = None, stage: str = "") -> None:
        progress(step, total, None, stage)
        events.append(f"step {step}")

    engine.generate(request_for(engine, mode, scene_png, steps=6), on_progress)

    boundary = engine.model.boundary_ratio * pipe.scheduler.config.num_train_timesteps
    expected = [HIGH_NOISE if t >= boundary else LOW_NOISE for t in pipe.scheduler.timesteps]
    assert HIGH_NOISE in expected and LOW_NOISE in expected, "the run must cross the boundary"
    ran: list[set[str]] = [set()]
    for event in events:
        if event.startswith("step"):
            ran.append(set())
        else:
            ran[-1].add(event)
    assert ran[:-1] == [{label} for label in expected]  # each step ran exactly its expert
    assert [stage for *_, stage in progress.calls] == expected
    assert [step for step, *_ in progress.calls] == [1, 2, 3, 4, 5, 6]


def test_odd_sizes_are_rounded_for_the_model_and_fitted_back(tiny_model, progress):
    """LTX makes 32-pixel multiples; a 40x24 request still comes back 40x24."""
    engine = load(tiny_model, "ltx")
    frames = engine.generate(request_for(engine, T2V, Path(), width=40, height=24), progress)
    assert frames.shape == (9, 24, 40, 3)


def test_fitted_previews_follow_the_latents(tiny_model, progress):
    """LTX's fitted latent-to-RGB map gives each step its own preview, not a copy of the first."""
    engine = load(tiny_model, "ltx")
    weights, bias = engine.preview
    assert (len(weights), len(weights[0]), len(bias)) == (8, 3, 3)  # 8 latent channels -> RGB
    engine.generate(request_for(engine, T2V, Path(), steps=3), progress)
    first, last = (np.asarray(progress.calls[i][2]).astype(int) for i in (0, -1))
    assert np.abs(first - last).mean() > 0.5


def test_a_request_the_model_cannot_make_is_refused_by_the_engine_too(tiny_model, progress):
    """The engine checks the family's limits itself, whoever calls it."""
    engine = load(tiny_model, "wan21-t2v")
    with pytest.raises(ValueError, match="choose 9 or 13"):
        engine.generate(request_for(engine, T2V, Path(), num_frames=10), progress)
    assert progress.calls == []
