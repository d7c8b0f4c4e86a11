"""Per-model memory and speed options an operator sets in REELSMITH_MODELS, each one of diffusers'.

    ltx=/models/LTX-Video:gpu-small;vae-tiling;first-block-cache=0.05
    wan22=/models/Wan2.2-T2V-A14B-Diffusers:gpu-large;offload=group;compile;attention=_native_cudnn
    wan=/models/Wan2.1-T2V-14B-Diffusers;fast-lora=/loras/wan-4step.safetensors;fast-steps=4
    hy=/models/HunyuanVideo-1.5-Diffusers-480p_t2v;cache=taylorseer:5
    a14b=/models/Wan2.2-T2V-A14B-Diffusers;fast-lora=/loras/high_noise.safetensors;fast-lora-2=/loras/low_noise.safetensors

Options follow the entry, each after a ``;``. They are checked when the settings are read, so a
typo fails at start-up rather than on the first job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from generation.types import EngineUnavailable

if TYPE_CHECKING:
    from generation.engines.families import Distilled

OPTIONS = {
    "vae-tiling": "decode the video in tiles: much less memory for the same picture",
    "offload": "model or group: keep weights in CPU memory, move them to the GPU as needed",
    "compile": "regional torch.compile of the transformer's repeated blocks",
    "attention": "a diffusers attention backend: flash, _flash_3, sage, _native_cudnn, ...",
    "first-block-cache": "a threshold such as 0.05: reuse a step's later blocks while the first "
    "block's output barely changes (faster, slightly different frames)",
    "fast-lora": "a few-step (distillation) LoRA file in diffusers' format: offers the Fast preset",
    "fast-lora-2": "Wan 2.2 A14B: the low-noise expert's (transformer_2) few-step LoRA file, "
    "for LoRAs published as a high-noise / low-noise pair; without it only the high-noise "
    "expert runs the LoRA",
    "fast-steps": "the Fast preset's denoising steps (default 4, or a distilled checkpoint's own)",
    "fast-guidance": "the Fast preset's guidance scale (default 1, no guidance: distilled models "
    "need none)",
    "distilled": "the folder is its family's published step-distilled checkpoint (LTX-2, "
    "HunyuanVideo 1.5, Kandinsky 5), for a folder whose config and name do not say so: its "
    "Recommended and Fast settings are the checkpoint's published steps and guidance",
    "cache": "one of diffusers' cache accelerators, NAME[:VALUE]: first-block[:threshold], "
    "mag[:threshold], taylorseer[:interval], faster[:skip], pab[:skip] (faster, frames a "
    "little different; refused where the model's family does not support it)",
    "window": "SkyReels-V2: the frames one diffusion-forcing window makes (4k + 1, default 97); "
    "longer clips are made window after window",
    "overlap": "SkyReels-V2: the frames each window carries over from the last (4k + 1, less "
    "than the window, default 17)",
}
OFFLOADS = ("model", "group")
VALUED = (
    "offload",
    "attention",
    "first-block-cache",
    "fast-lora",
    "fast-lora-2",
    "fast-steps",
    "fast-guidance",
    "cache",
    "window",
    "overlap",
)
PRESETS = ("quality", "fast")
FAST_STEPS, FAST_GUIDANCE = 4, 1.0
LORA_ADAPTER = "fast"
# cache=NAME[:VALUE]: each cache's value (a threshold, or every how many steps or blocks it
# reuses) and its default, as diffusers' own configs default them.
CACHE_VALUES: dict[str, tuple[str, float]] = {
    "first-block": ("threshold", 0.05),
    "mag": ("threshold", 0.06),
    "taylorseer": ("interval", 5),
    "faster": ("skip", 2),
    "pab": ("skip", 2),
}
# Where each cache works in diffusers 0.42.1, as measured on tiny builds of each family's
# transformer (the pairs of tests/generation/test_model_caches.py among them): the hooks
# attach, the run completes and the frames change. Elsewhere diffusers refuses (its block
# registry lacks the family's blocks), fails mid-run, or matches nothing and does nothing; the
# reason is given instead.
WAN_KEYS = ("wan2.1", "wan2.2-ti2v-5b", "wan2.2-a14b")
CACHE_FAMILIES: dict[str, tuple[str, ...]] = {
    "first-block": WAN_KEYS,
    "mag": ("wan2.1", "wan2.2-ti2v-5b"),  # calibrated on the first run: see magcache.py
    "taylorseer": ("ltx-2", "hunyuanvideo-1.5"),
    "faster": (),
    "pab": (*WAN_KEYS, "ltx-video", "hunyuanvideo-1.5"),
}
CACHE_REFUSALS = {
    "first-block": "its transformer blocks are not in diffusers' block registry",
    "mag": "MagCache's hooks need its transformer blocks in diffusers' block registry, and "
    "one transformer to calibrate (Wan 2.2 A14B's two experts each run part of the steps)",
    "taylorseer": "TaylorSeer's layer patterns match none of its transformer's layers, so it "
    "would change nothing",
    "faster": "FasterCache fails inside this family's transformer in diffusers 0.42.1",
    "pab": "Pyramid Attention Broadcast fails inside this family's transformer (or its "
    "pipeline keeps no current timestep) in diffusers 0.42.1",
}


def parse_options(parts: list[str]) -> dict[str, str]:
    """``["vae-tiling", "offload=group"]`` -> {"vae-tiling": "", "offload": "group"}.

    Raises ValueError naming the option and what it takes.
    """
    options: dict[str, str] = {}
    for part in parts:
        name, _, value = (piece.strip() for piece in part.partition("="))
        if name not in OPTIONS:
            raise ValueError(
                f"Unknown model option {name!r}; the options are: {', '.join(OPTIONS)}."
            )
        takes_value = name in VALUED
        if takes_value != bool(value) or (name == "offload" and value not in OFFLOADS):
            raise ValueError(f"Model option {part.strip()!r}: {name} is {OPTIONS[name]}.")
        if name == "first-block-cache" and not 0.0 < _float(value) < 1.0:
            raise ValueError(f"Model option {part.strip()!r}: the threshold is between 0 and 1.")
        if name == "cache":
            _check_cache(part.strip(), value)
        if name == "fast-steps" and not (value.isdigit() and 1 <= int(value) <= 50):
            raise ValueError(f"Model option {part.strip()!r}: the steps are 1 to 50.")
        if name == "fast-guidance" and not 0.0 <= _float(value) <= 20.0:
            raise ValueError(f"Model option {part.strip()!r}: the guidance is 0 to 20.")
        if name in ("window", "overlap") and not (
            value.isdigit() and int(value) % 4 == 1 and 5 <= int(value) <= 721
        ):
            raise ValueError(
                f"Model option {part.strip()!r}: the {name} is 4k + 1 frames, 5 to 721."
            )
        options[name] = value
    window, overlap = options.get("window"), options.get("overlap")
    if int(overlap or 17) >= int(window or 97):
        raise ValueError("The overlap must be shorter than the window (SkyReels-V2 options).")
    fast_settings = "fast-steps" in options or "fast-guidance" in options
    if fast_settings and "fast-lora" not in options and "distilled" not in options:
        raise ValueError(
            "fast-steps and fast-guidance set the Fast preset, which needs fast-lora "
            "(or a distilled checkpoint, named with distilled)."
        )
    if "cache" in options and "first-block-cache" in options:
        raise ValueError("Give one cache: cache=first-block:THRESHOLD replaces first-block-cache.")
    if "fast-lora-2" in options and "fast-lora" not in options:
        raise ValueError("fast-lora-2 is the low-noise half of a LoRA pair; give fast-lora too.")
    return options


def _check_cache(part: str, value: str) -> None:
    cache, _, number = value.partition(":")
    if cache not in CACHE_VALUES:
        raise ValueError(f"Model option {part!r}: the caches are {', '.join(CACHE_VALUES)}.")
    what, _ = CACHE_VALUES[cache]
    if number and what == "threshold" and not 0.0 < _float(number) < 1.0:
        raise ValueError(f"Model option {part!r}: the threshold is between 0 and 1.")
    if number and what != "threshold" and not (number.isdigit() and 1 <= int(number) <= 50):
        raise ValueError(f"Model option {part!r}: the {what} is a whole number from 1 to 50.")


def cache_refusal(family: str, label: str, options: Mapping[str, str]) -> str | None:
    """Why a model of ``family`` cannot take its cache option, or None when it can (or has none)."""
    cache = options.get("cache", "").partition(":")[0]
    if not cache or family in CACHE_FAMILIES[cache]:
        return None
    return f"cache={cache} does not work with {label}: {CACHE_REFUSALS[cache]}."


def cache_config(pipe: Any, value: str) -> Any:
    """The diffusers cache config for ``cache=value`` (see CACHE_VALUES)."""
    from diffusers.hooks import (
        FasterCacheConfig,
        FirstBlockCacheConfig,
        MagCacheConfig,
        PyramidAttentionBroadcastConfig,
        TaylorSeerCacheConfig,
    )

    cache, _, number = value.partition(":")
    amount = float(number) if number else CACHE_VALUES[cache][1]
    if cache == "first-block":
        return FirstBlockCacheConfig(threshold=amount)
    if cache == "mag":
        return MagCacheConfig(threshold=amount)
    if cache == "taylorseer":
        return TaylorSeerCacheConfig(cache_interval=int(amount))

    # Both skip attention on the steps between the timesteps of diffusers' defaults, which they
    # read from the pipeline as it runs.
    def timestep() -> Any:
        return pipe.current_timestep

    if cache == "faster":
        return FasterCacheConfig(
            spatial_attention_block_skip_range=int(amount), current_timestep_callback=timestep
        )
    return PyramidAttentionBroadcastConfig(
        spatial_attention_block_skip_range=int(amount), current_timestep_callback=timestep
    )


def presets(options: Mapping[str, str], *, step_distilled: bool = False) -> list[str]:
    """The presets a model with these options offers: Quality always, Fast with a few-step LoRA
    or where the checkpoint itself is step-distilled."""
    return ["quality", "fast"] if "fast-lora" in options or step_distilled else ["quality"]


def preset_defaults(
    options: Mapping[str, str], preset: str, distilled: Distilled | None = None
) -> dict[str, int | float]:
    """The steps and guidance a preset runs at, for the editor and the CLI to fill in: the
    options' own, else a distilled checkpoint's published ones, else a few-step LoRA's usual
    ones. The Quality preset keeps the request's own."""
    if preset != "fast":
        return {}
    steps: int = distilled.steps if distilled and distilled.steps else FAST_STEPS
    guidance = distilled.guidance if distilled else FAST_GUIDANCE
    return {
        "steps": int(options.get("fast-steps", steps)),
        "guidance": float(options.get("fast-guidance", guidance)),
    }


def load_lora(pipe: Any, options: Mapping[str, str]) -> None:
    """Load the Fast preset's LoRA as a switched-off adapter (``use_preset`` switches it).

    diffusers loads a LoRA into one transformer per call: ``transformer`` by default, which in
    Wan 2.2 A14B is the high-noise expert. The low-noise expert (``transformer_2``) gets an
    adapter only from its own file, fast-lora-2, loaded with ``load_into_transformer_2``; both
    adapters share one name, so one switch turns them on and off together.
    """
    path, low_noise_path = options.get("fast-lora"), options.get("fast-lora-2")
    if not path:
        return
    if low_noise_path and getattr(pipe, "transformer_2", None) is None:
        raise EngineUnavailable(
            f"fast-lora-2 ({low_noise_path}) is for a low-noise expert (transformer_2), as in "
            "Wan 2.2 A14B; this model has one transformer, so give fast-lora alone."
        )
    _load_lora_file(pipe, path)
    if low_noise_path:
        _load_lora_file(pipe, low_noise_path, load_into_transformer_2=True)
    pipe.disable_lora()


def use_preset(
    pipe: Any, options: Mapping[str, str], preset: str, *, step_distilled: bool = False
) -> None:
    """Switch the few-step LoRA on for the Fast preset and off for Quality (a step-distilled
    checkpoint has none to switch: its Fast preset is its own few steps)."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}: choose {' or '.join(PRESETS)}.")
    if preset not in presets(options, step_distilled=step_distilled):
        raise ValueError(
            "This model has no Fast preset: its operator has not installed a few-step LoRA."
        )
    if "fast-lora" not in options:
        return
    if preset == "fast":
        pipe.enable_lora()
    else:
        pipe.disable_lora()


def place(pipe: Any, options: Mapping[str, str], device: str) -> None:
    """Put the pipeline on ``device``, or set it to offload there as the options say."""
    offload = options.get("offload")
    if offload is None:
        pipe.to(device)
        return
    if not device.startswith("cuda"):
        raise EngineUnavailable(
            f"offload={offload} needs a CUDA device; this worker uses {device}."
        )
    if offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.enable_group_offload(onload_device=device, offload_type="leaf_level", use_stream=True)


def apply(pipe: Any, options: Mapping[str, str]) -> None:
    """Switch on the options' diffusers features: VAE tiling, attention, caches, compilation."""
    from diffusers.hooks import FirstBlockCacheConfig

    experts = [pipe.transformer, getattr(pipe, "transformer_2", None)]
    for transformer in [each for each in experts if each is not None]:
        if "attention" in options:
            transformer.set_attention_backend(options["attention"])
        if "first-block-cache" in options:
            threshold = float(options["first-block-cache"])
            transformer.enable_cache(FirstBlockCacheConfig(threshold=threshold))
        # MagCache is switched on per run, at the run's steps (DiffusersVideoEngine).
        if "cache" in options and not options["cache"].startswith("mag"):
            transformer.enable_cache(cache_config(pipe, options["cache"]))
        if "compile" in options:
            transformer.compile_repeated_blocks(fullgraph=True)
    if "vae-tiling" in options:
        pipe.vae.enable_tiling()


def _load_lora_file(pipe: Any, path: str, **where: bool) -> None:
    try:
        pipe.load_lora_weights(path, adapter_name=LORA_ADAPTER, **where)
    except (OSError, ValueError) as exc:  # a missing or malformed file, an unknown layout
        raise EngineUnavailable(f"The Fast preset's LoRA {path} did not load: {exc}") from exc


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return -1.0
