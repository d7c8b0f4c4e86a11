"""Kandinsky 5, LTX-2, HunyuanVideo 1.5 and SkyReels-V2 make what plain diffusers makes.

The plain diffusers pipeline, given the same folder, seed and inputs, must make the same frames
(and, for LTX-2, the same sound); SkyReels-V2's long clips run window after window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from generation.engines import families
from generation.engines.families import detect
from tests.generation.frontier import CASES, I2V, T2V, load, request_for


def plain_pipeline(folder: Path, mode: str) -> Any:
    model = detect(folder)
    first = getattr(diffusers, model.pipelines[model.modes[0]]).from_pretrained(model.path)
    pipe = first
    if model.modes[0] != mode:
        pipe = getattr(diffusers, model.pipelines[mode]).from_pipe(first)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.mark.parametrize(("kind", "mode"), CASES)
def test_frames_equal_the_plain_diffusers_pipeline(tiny_model, scene_png, progress, kind, mode):
    """Same folder, seed and inputs through diffusers alone: the same frames (within 1e-3)."""
    engine = load(tiny_model, kind)
    request = request_for(kind, mode, scene_png)
    clip = engine.generate_clip(request, progress)

    pipe = plain_pipeline(tiny_model(kind), mode)
    family = engine.model.family
    inputs: dict[str, Any] = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "height": 32,
        "width": 32,
        "num_frames": request.num_frames,
        "num_inference_steps": 2,
        "guidance_scale": 4.0,
    }
    image = Image.open(scene_png).convert("RGB")
    if mode == I2V:
        inputs["image"] = image
    if family is families.LTX2:
        inputs["frame_rate"] = 24.0
    if family is families.SKYREELS_V2_DF:
        inputs["fps"] = 24
    if family is families.HUNYUAN15:
        # Guidance is its guider's; image-to-video takes no size, so the image is cropped to
        # the request's shape and the pipeline picks its size from that.
        pipe.guider = pipe.guider.new(guidance_scale=inputs.pop("guidance_scale"))
        if mode == I2V:
            del inputs["height"], inputs["width"]
            inputs["image"] = ImageOps.fit(image, (32, 32))
    output = pipe(**inputs, generator=torch.Generator("cpu").manual_seed(5), output_type="np")
    plain = np.asarray(output.frames[0])
    assert plain.shape == (request.num_frames, 32, 32, 3)
    # The engine's frames are uint8: rounding is up to half a level away from the floats.
    assert np.abs(clip.frames / 255.0 - np.clip(plain, 0, 1)).max() <= 0.5 / 255 + 1e-3
    if family.sound:
        assert clip.sound is not None
        assert np.abs(clip.sound.samples - output.audio[0].numpy()).max() <= 1e-3
    else:
        assert clip.sound is None


def test_ltx2_returns_stereo_sound_as_long_as_the_picture(tiny_model, progress):
    """The sound follows the frame count and frame rate: within one frame of the picture."""
    engine = load(tiny_model, "ltx2")
    request = request_for("ltx2", T2V, Path(), num_frames=17)
    clip = engine.generate_clip(request, progress)
    assert clip.sound is not None
    assert clip.sound.samples.shape[0] == 2 and clip.sound.rate == 24_000
    assert abs(clip.sound.seconds - 17 / 24) <= 2 / 24  # the audio VAE works in 40 ms latents


def test_skyreels_makes_a_long_clip_window_after_window(tiny_model, progress):
    """Longer than one window: progress runs across the windows, naming each, in order."""
    engine = load(tiny_model, "skyreels-df", window="9", overlap="5")
    frames = engine.generate(request_for("skyreels-df", T2V, Path(), num_frames=21), progress)
    assert frames.shape == (21, 32, 32, 3)
    # 21 frames are 6 latent frames; windows of 3 that keep 2 from the last: 4 windows.
    assert [(step, total) for step, total, *_ in progress.calls] == [(n, 8) for n in range(1, 9)]
    assert [stage for *_, stage in progress.calls] == [
        f"window {n} of 4" for n in (1, 1, 2, 2, 3, 3, 4, 4)
    ]
