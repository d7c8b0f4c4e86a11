"""Wan 2.1 text-to-video through diffusers' ``WanPipeline``, loaded from a local folder.

The folder is a diffusers save (``model_index.json`` beside ``transformer/``, ``vae/``,
``text_encoder/``, ``tokenizer/``, ``scheduler/``), e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers copied
to the worker. Nothing is fetched from a hub and only safetensors weights are read.

Wan's shapes are rigid, so two things are rounded, and the output is brought back to the request:

* width and height go to the nearest multiple of 16 (the VAE downsamples 8x and the transformer
  patches 2x2); the frames are resized to the requested size afterwards;
* the frame count goes up to the next 4k + 1 (the VAE compresses time 4x, keeping frame one
  apart); the extra (at most three) frames are dropped from the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from generation.engines.base import (
    EngineInfo,
    EngineSettings,
    latent_preview,
    resize_frames,
    resolve_device,
    seeded_generator,
    to_uint8,
)
from generation.types import ProgressCallback, VideoRequest

if TYPE_CHECKING:
    import torch
    from diffusers import WanPipeline

NAME = "wan2.1-t2v"
LABEL = "Wan 2.1 text-to-video (diffusers)"
ENV_VAR = "REELSMITH_WAN21_T2V_MODEL"
SIZE_MULTIPLE = 16  # VAE 8x spatial compression x transformer 2x2 patches
TIME_COMPRESSION = 4  # the VAE keeps frame 1, then packs each 4 frames into one latent frame

# Wan 2.1's 16 latent channels -> RGB, a linear fit of the VAE decoder's response, as published
# with ComfyUI (comfy/latent_formats.py, class Wan21). Applied to the normalised latents the
# denoiser works on, it gives values in about [-1, 1].
LATENT_RGB_FACTORS = (
    (-0.1299, -0.1692, 0.2932),
    (0.0671, 0.0406, 0.0442),
    (0.3568, 0.2548, 0.1747),
    (0.0372, 0.2344, 0.1420),
    (0.0313, 0.0189, -0.0328),
    (0.0296, -0.0956, -0.0665),
    (-0.3477, -0.4059, -0.2925),
    (0.0166, 0.1902, 0.1975),
    (-0.0412, 0.0267, -0.1364),
    (-0.1293, 0.0740, 0.1636),
    (0.0680, 0.3019, 0.1128),
    (0.0032, 0.0581, 0.0639),
    (-0.1251, 0.0927, 0.1699),
    (0.0060, -0.0633, 0.0005),
    (0.3477, 0.2275, 0.2950),
    (0.1984, 0.0913, 0.1861),
)
LATENT_RGB_BIAS = (-0.1835, -0.0868, -0.3360)


def check_folder(path: str) -> tuple[bool, str]:
    """(True, "") when ``path`` is a diffusers folder, else (False, why) for the editor."""
    if not path:
        return False, f"no model configured (set {ENV_VAR})"
    if not (Path(path) / "model_index.json").is_file():
        return (
            False,
            f"weights not found at {path} (expected a diffusers folder with model_index.json)",
        )
    return True, ""


def info(settings: EngineSettings) -> EngineInfo:
    available, reason = check_folder(settings.model_paths.get(NAME, ""))
    return EngineInfo(
        name=NAME,
        label=LABEL,
        modes=("text-to-video",),
        queue="gpu-large",
        available=available,
        reason=reason,
    )


def load(settings: EngineSettings) -> WanEngine:
    """Load the pipeline from the configured folder onto the configured device."""
    import torch
    import transformers
    from diffusers import WanPipeline
    from diffusers.utils import logging as diffusers_logging

    # Loading bars would interleave with the CLI's own bar and fill worker logs; progress is
    # reported through on_progress instead.
    diffusers_logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    path = settings.model_paths.get(NAME, "")
    device = resolve_device(settings.device)
    # bf16 halves GPU memory at no visible cost for the transformer; the VAE stays float32,
    # which Wan's authors recommend (bf16 decoding bands colours). CPUs compute in float32.
    dtype: Any = {"default": torch.bfloat16, "vae": torch.float32}
    if not device.startswith("cuda"):
        dtype = torch.float32
    pipe = WanPipeline.from_pretrained(
        path, dtype=dtype, use_safetensors=True, local_files_only=True
    )
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)  # progress goes through on_progress instead
    return WanEngine(pipe, device)


def describe(request: VideoRequest) -> dict[str, object]:
    """The size and frame count Wan generates at before the output is fitted to the request."""
    width, height = model_size(request.width, request.height)
    return {"model_size": f"{width}x{height}", "model_frames": model_frames(request.num_frames)}


def model_size(width: int, height: int) -> tuple[int, int]:
    """The size Wan generates at: each side to the nearest multiple of 16 (ties up, at least 16)."""
    return _round_to(width, SIZE_MULTIPLE), _round_to(height, SIZE_MULTIPLE)


def model_frames(num_frames: int) -> int:
    """The frame count Wan generates: the smallest 4k + 1 at or above ``num_frames``."""
    latent_frames = -(-(num_frames - 1) // TIME_COMPRESSION)  # ceil((n - 1) / 4)
    return TIME_COMPRESSION * max(latent_frames, 0) + 1


class WanEngine:
    """A loaded WanPipeline; one per worker, reused for every job."""

    name = NAME

    def __init__(self, pipe: WanPipeline, device: str) -> None:
        self.pipe = pipe
        self.device = device

    def generate(self, request: VideoRequest, on_progress: ProgressCallback) -> np.ndarray:
        width, height = model_size(request.width, request.height)

        def on_step_end(
            pipe: WanPipeline, step: int, timestep: torch.Tensor, tensors: dict[str, Any]
        ) -> dict[str, Any]:
            # Raising Cancelled here leaves the pipeline before its VAE decode: nothing wasted.
            preview = latent_preview(tensors["latents"], LATENT_RGB_FACTORS, LATENT_RGB_BIAS)
            on_progress(step + 1, pipe.num_timesteps, preview, stage="denoising")
            return {}

        output = self.pipe(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            height=height,
            width=width,
            num_frames=model_frames(request.num_frames),
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            generator=seeded_generator(request.seed, self.device),
            output_type="np",
            callback_on_step_end=on_step_end,
            callback_on_step_end_tensor_inputs=["latents"],
        )
        video = np.asarray(output.frames[0])  # (T, H, W, 3) floats in [0, 1]
        frames = to_uint8(video[: request.num_frames])
        return resize_frames(frames, request.width, request.height)


def _round_to(value: int, multiple: int) -> int:
    return max(multiple, int(value / multiple + 0.5) * multiple)  # ties round up
