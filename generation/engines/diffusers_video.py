"""Any recognised diffusers video folder as an engine: Wan 2.1 / 2.2, LTX-Video, CogVideoX,
Kandinsky 5, LTX-2 (with its soundtrack), HunyuanVideo 1.5 and SkyReels-V2 diffusion forcing.

diffusers does the work: the folder's own pipeline class loads it (``from_pretrained``, local
files and safetensors only), and a folder that makes both modes gets its other pipeline through
``from_pipe``, sharing the weights. This module adds only what the project needs around a call:

* the request's size rounded to the family's multiple, and the frames resized back afterwards
  (and, for the one folder not held to its grid, the frame count rounded up and trimmed back);
* per-step progress from ``callback_on_step_end``, naming the expert in use for Wan 2.2 A14B
  (the pipeline switches from ``transformer`` to ``transformer_2`` below
  ``boundary_ratio * num_train_timesteps``; the callback sees the same timestep), and the
  window for SkyReels-V2's long clips (one run of the steps per window). HunyuanVideo 1.5's
  pipeline takes no step callback, so there the scheduler's step reports instead;
* a preview per step through a linear latent-to-RGB map, never a VAE decode;
* cancellation by raising from that callback, so the pipeline never reaches its decode;
* the job's adapters switched on: the Fast preset's (options.py) and a user's style LoRA
  (style_loras.py), kept loaded for the jobs that follow.
* LTX-2's soundtrack, returned beside the frames (``generate_clip``) for the MP4 to carry.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageOps

from generation.engines import families, magcache, options, style_loras
from generation.engines.base import (
    latent_preview,
    resize_frames,
    resolve_device,
    seeded_generator,
    to_uint8,
)
from generation.engines.families import ModelFolder
from generation.types import EngineUnavailable, Mode, ProgressCallback, Sound, VideoRequest

if TYPE_CHECKING:
    import torch

# Wan 2.1's 16 latent channels -> RGB, a linear fit of the VAE decoder's response, as published
# with ComfyUI (comfy/latent_formats.py, class Wan21); applied to the normalised latents the
# denoiser works on, it gives values in about [-1, 1]. The A14B experts and SkyReels-V2 share
# this VAE. For the other VAEs (Wan 2.2's 48 channels, LTX-Video's and LTX-2's 128, CogVideoX's
# 16, Kandinsky 5's HunyuanVideo VAE with 16, HunyuanVideo 1.5's 32) no factors are published
# with diffusers, so they are fitted when the model loads: see fit_preview_factors.
WAN21_PREVIEW = (
    (
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
    ),
    (-0.1835, -0.0868, -0.3360),
)
FIT_GRID = 16  # latent pixels per side decoded once at load to fit a preview map
HIGH_NOISE, LOW_NOISE = "high-noise expert", "low-noise expert"
# SkyReels-V2 long clips: the noise added to the frames a window carries over from the last one,
# as diffusers' documentation of the pipeline recommends for long videos.
LONG_VIDEO_ADDNOISE = 20.0

Factors = tuple[tuple[tuple[float, ...], ...], tuple[float, ...]]  # (C x 3 weights, 3 biases)


def load(
    model: ModelFolder,
    device: str,
    model_options: Mapping[str, str] | None = None,
    max_style_loras: int = 4,
    *,
    mag_ratios_file: str = "",
) -> DiffusersVideoEngine:
    """Load ``model``'s pipelines onto ``device`` (bf16 on a GPU, float32 on a CPU), with the
    operator's memory and speed options (see options.py); ``max_style_loras`` users' style
    LoRAs stay loaded at once."""
    import diffusers
    import torch
    import transformers

    # Loading bars would interleave with the CLI's own bar and fill worker logs.
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    model_options = model_options or {}
    refusal = options.cache_refusal(model.family.key, model.family.label, model_options)
    if refusal:
        raise EngineUnavailable(refusal)
    device = resolve_device(device)
    dtype: Any = torch.float32
    if device.startswith("cuda"):
        # bf16 halves memory at no visible cost for the transformers; Wan's VAE stays float32,
        # which its authors recommend (bf16 decoding bands colours).
        dtype = {"default": torch.bfloat16, "vae": torch.float32}
        if model.family.key.startswith(("ltx", "cog")):
            dtype = torch.bfloat16
    _let_pipelines_run_without_ftfy([getattr(diffusers, name) for name in model.pipelines.values()])
    first, *others = model.modes
    pipe = getattr(diffusers, model.pipelines[first]).from_pretrained(
        str(model.path), dtype=dtype, use_safetensors=True, local_files_only=True
    )
    options.load_lora(pipe, model_options)
    options.place(pipe, model_options, device)
    options.apply(pipe, model_options)
    pipes = {first: pipe}
    for mode in others:  # e.g. TI2V-5B or LTX: the image pipeline on the same weights
        pipes[mode] = getattr(diffusers, model.pipelines[mode]).from_pipe(pipe)
    for each in pipes.values():
        each.set_progress_bar_config(disable=True)  # progress goes through on_progress instead
    preview = _preview_factors(model, pipe)
    return DiffusersVideoEngine(
        model,
        pipes,
        device,
        preview,
        dict(model_options),
        max_style_loras=max_style_loras,
        mag_ratios_file=mag_ratios_file,
    )


class DiffusersVideoEngine:
    """Loaded pipelines for one model folder, reused for every job of that model."""

    def __init__(
        self,
        model: ModelFolder,
        pipes: dict[Mode, Any],
        device: str,
        preview: Factors,
        model_options: dict[str, str] | None = None,
        *,
        max_style_loras: int = 4,
        mag_ratios_file: str = "",
    ) -> None:
        self.name = model.family.key
        self.model = model
        self.pipes = pipes
        self.device = device
        self.preview = preview
        self.options = model_options or {}
        # Users' style LoRAs, loaded on first use; Wan 2.2 A14B gets each in both experts.
        two_experts = getattr(next(iter(pipes.values())), "transformer_2", None) is not None
        self.style_adapters = style_loras.StyleAdapters(max_style_loras, both_experts=two_experts)
        self.mag_ratios_file = Path(mag_ratios_file) if mag_ratios_file else None

    def generate(self, request: VideoRequest, on_progress: ProgressCallback) -> np.ndarray:
        return self.generate_clip(request, on_progress).frames

    def generate_clip(self, request: VideoRequest, on_progress: ProgressCallback) -> Clip:
        """The frames (uint8, (T, H, W, 3) at the request's size) and, for LTX-2, the sound."""
        families.check_request(self.model, request)
        pipe = self.pipes[request.mode]
        # The pipelines of one model share their transformer, so the adapter is set per job.
        distilled = self.model.distilled
        step_distilled = distilled is not None and distilled.steps is not None
        options.use_preset(pipe, self.options, request.preset, step_distilled=step_distilled)
        # A step-distilled checkpoint's Fast preset is its own steps: no adapter to keep on.
        with_lora = request.preset == "fast" and "fast-lora" in self.options
        fast = options.LORA_ADAPTER if with_lora else None
        self.style_adapters.use(pipe, request.style_lora, request.style_lora_strength, fast=fast)
        width, height = families.model_size(self.model, request.width, request.height)
        kwargs = call_arguments(self.model, pipe, request, width, height, self.options)
        # Wan 2.2 A14B runs `transformer` while t >= boundary and `transformer_2` below it; the
        # callback gets the same t, so it can name the expert that made the step.
        boundary = _boundary_timestep(pipe)
        windows = long_video_windows(self.model, kwargs)
        total = request.steps * windows
        done = [0]

        def report(step: int, timestep: Any, latents: torch.Tensor) -> None:
            # Raising Cancelled here leaves the pipeline before its VAE decode.
            done[0] += 1
            preview = latent_preview(
                video_latents(self.model, pipe, latents, kwargs), *self.preview
            )
            stage = "denoising"
            if boundary is not None:
                stage = HIGH_NOISE if float(timestep) >= boundary else LOW_NOISE
            if windows > 1:
                stage = f"window {(done[0] - 1) // request.steps + 1} of {windows}"
            on_progress(done[0], total, preview, stage=stage)

        def on_step_end(
            pipe: Any, step: int, timestep: torch.Tensor, tensors: dict[str, Any]
        ) -> dict[str, Any]:
            report(step, timestep, tensors["latents"])
            return {}

        if self.model.family is families.HUNYUAN15:
            # No step callback in this pipeline: the scheduler's step reports instead.
            pipe.guider = pipe.guider.new(guidance_scale=request.guidance)
            with _reporting_scheduler_steps(pipe, report):
                output = pipe(
                    **kwargs,
                    generator=seeded_generator(request.seed, self.device),
                    output_type="np",
                )
        else:
            with self._mag_cache(pipe, request):
                output = pipe(
                    **kwargs,
                    generator=seeded_generator(request.seed, self.device),
                    output_type="np",
                    callback_on_step_end=on_step_end,
                    callback_on_step_end_tensor_inputs=["latents"],
                )
        video = np.asarray(output.frames[0])  # (T, H, W, 3) floats in [0, 1]
        frames = resize_frames(to_uint8(video[: request.num_frames]), request.width, request.height)
        return Clip(frames, _sound(pipe, output))

    @contextmanager
    def _mag_cache(self, pipe: Any, request: VideoRequest) -> Iterator[None]:
        """cache=mag for this run: calibrating on the model's first, skipping after."""
        cache = self.options.get("cache", "")
        if not cache.startswith("mag"):
            yield
            return
        _, _, number = cache.partition(":")
        mag = magcache.MagCache(
            file=self.mag_ratios_file or magcache.default_file(),
            key=f"{self.model.path.resolve()}::{self.model.pipelines[request.mode]}",
            threshold=float(number) if number else options.CACHE_VALUES["mag"][1],
        )
        with mag.run(pipe.transformer, request.steps):
            yield


@dataclass(frozen=True)
class Clip:
    """What one generation made: the frames and, where the model makes one, the soundtrack."""

    frames: np.ndarray  # uint8 (T, H, W, 3)
    sound: Sound | None = None


def call_arguments(
    model: ModelFolder,
    pipe: Any,
    request: VideoRequest,
    width: int,
    height: int,
    model_options: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The pipeline's arguments for ``request`` (all but the generator and callbacks)."""
    kwargs: dict[str, Any] = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt or None,
        "height": height,
        "width": width,
        "num_frames": families.model_frames(model, request.num_frames),
        "num_inference_steps": request.steps,
        "guidance_scale": request.guidance,
    }
    if request.mode == "image-to-video":
        if request.image_path is None:
            raise ValueError("Image-to-video needs an image: upload a photo to animate.")
        with Image.open(request.image_path) as image:
            kwargs["image"] = image.convert("RGB")  # the pipeline resizes it to width x height
    key = model.family.key
    if key == families.WAN22_MOE.key and request.mode == "text-to-video":
        # Wan 2.2 A14B text-to-video is published with guidance 4.0 for the high-noise expert
        # and 3.0 for the low-noise one; the request's guidance keeps that ratio. Its
        # image-to-video uses one scale for both, as diffusers does by default.
        kwargs["guidance_scale_2"] = request.guidance * 0.75
    elif key == families.WAN22_MOE.key:
        kwargs["guidance_scale_2"] = request.guidance
    if key == families.LTX.key:
        kwargs["frame_rate"] = request.fps  # LTX conditions its positions on the frame rate
    if key == families.COGVIDEOX.key:
        # The transformer's text positions are fixed in number (226 for the released models).
        kwargs["max_sequence_length"] = pipe.transformer.config.max_text_seq_length
    if key == families.LTX2.key:
        # The playback rate: the positions and the sound's length follow it.
        kwargs["frame_rate"] = float(request.fps)
        sigmas = _distilled_sigmas(model, request.steps)
        if sigmas is not None:
            kwargs["sigmas"] = sigmas
    if key == families.HUNYUAN15.key:
        # Guidance is the pipeline's guider (set per job); image-to-video takes no size but
        # picks the trained size nearest the image's shape, so the image is cropped to the
        # request's shape first.
        del kwargs["guidance_scale"]
        if request.mode == "image-to-video":
            del kwargs["height"], kwargs["width"]
            kwargs["image"] = ImageOps.fit(kwargs["image"], (width, height))
    if key == families.SKYREELS_V2_DF.key:
        window, overlap = skyreels_window(model_options or {})
        kwargs["fps"] = request.fps  # its transformer tells 16 fps from 24 fps clips
        kwargs["base_num_frames"] = window
        if kwargs["num_frames"] > window:
            kwargs["overlap_history"] = overlap
            kwargs["addnoise_condition"] = LONG_VIDEO_ADDNOISE
    return kwargs


def _distilled_sigmas(model: ModelFolder, steps: int) -> list[float] | None:
    """LTX-2's distilled checkpoint is trained on a schedule of its own (diffusers'
    DISTILLED_SIGMA_VALUES, as its authors run it): that schedule when a run asks for its
    number of steps, else None (the scheduler's own spacing)."""
    if model.distilled is None or model.distilled.steps is None:
        return None
    from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES

    return list(DISTILLED_SIGMA_VALUES) if steps == len(DISTILLED_SIGMA_VALUES) else None


def skyreels_window(model_options: Mapping[str, str]) -> tuple[int, int]:
    """SkyReels-V2's window and overlap in frames: the options' or the 540p models' own."""
    window = int(model_options.get("window", families.SKYREELS_WINDOW))
    overlap = int(model_options.get("overlap", families.SKYREELS_OVERLAP))
    return window, overlap


def long_video_windows(model: ModelFolder, kwargs: Mapping[str, Any]) -> int:
    """How many windows SkyReels-V2 makes a clip in (1 for every other family), counted as its
    pipeline counts them in latent frames."""
    if "overlap_history" not in kwargs:
        return 1
    step = model.frame_step
    frames = (kwargs["num_frames"] - 1) // step + 1
    window = (kwargs["base_num_frames"] - 1) // step + 1
    overlap = (kwargs["overlap_history"] - 1) // step + 1
    return 1 + (frames - window - 1) // (window - overlap) + 1


def video_latents(
    model: ModelFolder, pipe: Any, latents: torch.Tensor, kwargs: dict[str, Any]
) -> torch.Tensor:
    """The denoising loop's latents as (B, C, T, h, w), whatever layout the family keeps."""
    key = model.family.key
    if key == families.LTX.key:  # packed tokens (B, T * h * w, C) -> (B, C, T, h, w)
        return pipe._unpack_latents(
            latents,
            (kwargs["num_frames"] - 1) // pipe.vae_temporal_compression_ratio + 1,
            kwargs["height"] // pipe.vae_spatial_compression_ratio,
            kwargs["width"] // pipe.vae_spatial_compression_ratio,
            pipe.transformer_spatial_patch_size,
            pipe.transformer_temporal_patch_size,
        )
    if key == families.LTX2.key:  # packed tokens as in LTX-Video
        return pipe._unpack_latents(
            latents,
            (kwargs["num_frames"] - 1) // pipe.vae_temporal_compression_ratio + 1,
            kwargs["height"] // pipe.vae_spatial_compression_ratio,
            kwargs["width"] // pipe.vae_spatial_compression_ratio,
            pipe.transformer_spatial_patch_size,
            pipe.transformer_temporal_patch_size,
        )
    if key == families.COGVIDEOX.key:
        return latents.permute(0, 2, 1, 3, 4)  # (B, T, C, h, w) -> (B, C, T, h, w)
    if key == families.KANDINSKY5.key:
        # (B, T, h, w, C), the image's latents and mask after the C noise channels in i2v
        channels = pipe.vae.config.latent_channels
        return latents[..., :channels].permute(0, 4, 1, 2, 3)
    return latents


def fit_preview_factors(model: ModelFolder, pipe: Any) -> Factors:
    """A least-squares linear map from the loop's latents to RGB, fitted on one small decode.

    No per-family factors are published with diffusers for these VAEs, so this derives them the
    way such factors are usually made: decode latents, average each latent pixel's patch of
    output, and fit ``rgb = latent @ W + b``. The latents are standard normal samples of the space
    the denoiser works in (which is what it starts from), turned into the VAE's input space the
    way the pipeline does before its decode. It costs one decode of a 16x16-latent image at load
    time, and none per step.
    """
    import torch

    vae = pipe.vae
    config: Any = vae.config
    channels: int = config.z_dim if hasattr(config, "z_dim") else config.latent_channels
    generator = torch.Generator().manual_seed(0)
    loop = torch.randn(1, channels, 1, FIT_GRID, FIT_GRID, generator=generator)  # (1, C, 1, g, g)
    with torch.no_grad():
        decoded = _decode(model, vae, loop.to(vae.device))  # (1, 3, T, H, W) in [-1, 1]
    frame = decoded[:, :, 0].float().cpu()  # (1, 3, H, W)
    rgb = torch.nn.functional.adaptive_avg_pool2d(frame, FIT_GRID)  # (1, 3, g, g)
    x = loop[0, :, 0].reshape(channels, -1).T  # (g*g, C)
    x = torch.cat([x, torch.ones(x.shape[0], 1)], dim=1)  # (g*g, C+1): a bias column
    y = rgb[0].reshape(3, -1).T  # (g*g, 3)
    ridge = 1e-3 * torch.eye(channels + 1)  # keeps the fit stable when C + 1 nears g*g
    solution = torch.linalg.solve(x.T @ x + ridge, x.T @ y)  # (C+1, 3)
    weights = tuple(tuple(float(v) for v in row) for row in solution[:-1].tolist())
    bias = tuple(float(v) for v in solution[-1].tolist())
    return weights, bias


def _preview_factors(model: ModelFolder, pipe: Any) -> Factors:
    channels = getattr(pipe.vae.config, "z_dim", None)
    if _has_wan_vae(model) and channels == len(WAN21_PREVIEW[0]):
        return WAN21_PREVIEW
    return fit_preview_factors(model, pipe)


def _has_wan_vae(model: ModelFolder) -> bool:
    return model.family.key.startswith("wan") or model.family is families.SKYREELS_V2_DF


def _decode(model: ModelFolder, vae: Any, latents: torch.Tensor) -> torch.Tensor:
    """Decode loop-space latents (B, C, T, h, w) as the family's pipeline does before output."""
    import torch

    key = model.family.key
    config = vae.config
    latents = latents.to(vae.dtype)
    if _has_wan_vae(model):
        mean = torch.tensor(config.latents_mean).view(1, -1, 1, 1, 1).to(latents)
        std = torch.tensor(config.latents_std).view(1, -1, 1, 1, 1).to(latents)
        return vae.decode(latents * std + mean).sample
    if key in (families.LTX.key, families.LTX2.key):
        mean = vae.latents_mean.view(1, -1, 1, 1, 1).to(latents)
        std = vae.latents_std.view(1, -1, 1, 1, 1).to(latents)
        latents = latents * std / config.scaling_factor + mean
        timestep = torch.zeros(1).to(latents) if config.timestep_conditioning else None
        return vae.decode(latents, timestep).sample
    return vae.decode(latents / config.scaling_factor).sample


def _let_pipelines_run_without_ftfy(pipeline_classes: list[Any]) -> None:
    """Give diffusers' pipeline modules the text cleaner some of them assume is installed.

    In diffusers 0.42 ``pipeline_wan.py`` skips ``ftfy.fix_text`` when ftfy is not installed,
    but ``pipeline_wan_i2v.py`` and SkyReels-V2's modules call it regardless and fail with a
    NameError. Without ftfy these pipelines now do what Wan's text pipeline does: no ftfy
    clean-up (the html unescape and whitespace clean-up still run). With ftfy installed this
    changes nothing.
    """
    for pipeline_class in pipeline_classes:
        module = importlib.import_module(pipeline_class.__module__)
        if hasattr(module, "basic_clean") and not hasattr(module, "ftfy"):
            setattr(module, "ftfy", types.SimpleNamespace(fix_text=lambda text: text))  # noqa: B010


@contextmanager
def _reporting_scheduler_steps(
    pipe: Any, report: Callable[[int, Any, torch.Tensor], None]
) -> Iterator[None]:
    """Call ``report(step, timestep, latents)`` after each of the scheduler's steps in a run."""
    scheduler = pipe.scheduler
    step = scheduler.step
    count = [0]

    def reported(model_output: Any, timestep: Any, sample: Any, *args: Any, **kwargs: Any) -> Any:
        result = step(model_output, timestep, sample, *args, **kwargs)
        latents = result[0] if isinstance(result, tuple) else result.prev_sample
        report(count[0], timestep, latents)
        count[0] += 1
        return result

    scheduler.step = reported
    try:
        yield
    finally:
        del scheduler.step  # the class's own step again


def _sound(pipe: Any, output: Any) -> Sound | None:
    """LTX-2's soundtrack from its output: (channels, samples) at the vocoder's rate."""
    audio = getattr(output, "audio", None)
    if audio is None:
        return None
    samples = np.asarray(audio[0].float().cpu().numpy() if hasattr(audio, "cpu") else audio[0])
    rate = int(pipe.vocoder.config.output_sampling_rate)
    return Sound(samples=samples.astype(np.float32), rate=rate)


def _boundary_timestep(pipe: Any) -> float | None:
    ratio = getattr(pipe.config, "boundary_ratio", None)
    if ratio is None or getattr(pipe, "transformer_2", None) is None:
        return None
    return float(ratio) * float(pipe.scheduler.config.num_train_timesteps)
