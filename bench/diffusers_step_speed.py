"""GPU benchmark: Wan's seconds per denoising step at 832x480x81, and the Fast preset's speed-up.

    .venv/bin/python bench/diffusers_step_speed.py [--model 1.3b|14b|both] [--steps 8]
        [--options "compile;attention=_native_cudnn"] [--peak-tflops 800]
        [--reference-steps 50] [--run-reference] [--lora-rank 32] [--json results.jsonl]
    .venv/bin/python bench/diffusers_step_speed.py --family all [--steps 8] [--json results.jsonl]
    .venv/bin/python bench/diffusers_step_speed.py --smoke   # the same code on the CPU, seconds

Builds the real-size architectures from their published configs with random weights on the GPU
(a step's speed does not depend on the weights): the Wan 2.1 1.3B transformer, and one 14B
transformer (the size of each Wan 2.2 A14B expert, and of Wan 2.1 14B), in bf16, beside the
real-size Wan VAE in float32. The text encoder is a one-layer UMT5 of the real width (4096) so
prompts go through the same code; it runs once per video and is not part of a step (it makes
the end-to-end times a little shorter than with the real 24-layer encoder, on both sides).

For each model, in one run, with the same weights, seed and prompt:

* plain: ``WanPipeline`` called directly, the way diffusers' docs do, at guidance 5;
* project: the same pipeline inside the project's engine (``DiffusersVideoEngine``), which adds a
  latent preview and a progress call per step, with the model options given by ``--options`` in
  REELSMITH_MODELS' syntax (compile, attention=BACKEND, first-block-cache=THRESHOLD, ...), applied
  by the same code a worker uses. The options also carry ``fast-lora=FILE``: a random LoRA of
  rank ``--lora-rank`` on every attention projection, of the model's real shapes, loaded as a
  worker loads it (switched off for this Quality run, as on a worker that offers Fast);
* fast: the engine again with ``VideoRequest(preset="fast")``, at the preset's defaults (4 steps,
  guidance 1, so one transformer pass a step), with the LoRA switched on;
* fast vs reference: the Fast run's end-to-end seconds against the plain pipeline's at
  ``--reference-steps`` (50) with guidance; target 10x or more. The reference is estimated from
  the plain run (its end-to-end seconds plus the missing steps at its median step time: every
  step at one size does the same work) unless ``--run-reference`` runs all its steps. The line
  says which.

Each step row reports seconds per step (the median gap between step callbacks, after a warm-up
run), the FLOP floor per step (the transformer passes of a step, FLOPs counted from the config at
this size, at ``--peak-tflops``), the ratio of the two, the run's end-to-end seconds, peak GPU
memory, and for the project's run the preview's cost as a share of a step.

``--family kandinsky5-lite|ltx-2|hunyuanvideo-1.5|all`` measures the newer families instead, each at
its native size and in bf16 with random weights: the real-size transformer (its diffusers class's
published layout) inside the project's engine, with the tiny text encoders and VAE of the engine
tests (a step's work is the transformer's; their widths only set its input projections), at a
request size whose latent grid is the native one (Kandinsky 5 Lite 768x512x121, LTX-2
768x512x121, HunyuanVideo 1.5 480p 848x480x121). Rows: the plain step, then each cache option
the family supports (``cache=...``, see options.CACHE_FAMILIES) with its speed-up per step; the
floor counts two passes a step (guidance) of 2 x block parameters x tokens plus attention's
4 x tokens^2 x width per layer (LTX-2's sound tokens are left out of the count).

``--smoke`` runs all of this on the CPU in float32, with a two-layer transformer, the engine
tests' tiny VAE and 64x64x9 clips, so the script can be checked where there is no GPU; its
figures mean nothing. Without ``--smoke`` and without CUDA it prints one line and exits with
status 2: nothing here is meaningful on a CPU.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

PROMPT = "a red ball bounces on green grass"
TEXT_TOKENS = 512  # Wan pads prompts to 512 tokens
GUIDANCE = 5.0  # > 1, so each step runs the transformer twice (with and without the prompt)
FAST_TARGET = 10.0  # the Fast preset end to end, this many times faster than the reference
WARM_UP_STEPS = 2

# transformer/config.json of Wan-AI/Wan2.1-T2V-1.3B-Diffusers and Wan-AI/Wan2.1-T2V-14B-Diffusers
# (each Wan 2.2 A14B expert has the 14B layout).
COMMON = {
    "patch_size": (1, 2, 2),
    "attention_head_dim": 128,
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": 4096,
    "freq_dim": 256,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "eps": 1e-6,
    "rope_max_seq_len": 1024,
}
CONFIGS = {
    "1.3b": {**COMMON, "num_attention_heads": 12, "ffn_dim": 8960, "num_layers": 30},
    "14b": {**COMMON, "num_attention_heads": 40, "ffn_dim": 13824, "num_layers": 40},
}
# --smoke: the same layout, two layers of two 16-wide heads (rotary positions split a head in
# three parts), reading a 32-wide text encoder.
TINY = {
    **COMMON,
    "attention_head_dim": 16,
    "text_dim": 32,
    "num_attention_heads": 2,
    "ffn_dim": 32,
    "num_layers": 2,
    "rope_max_seq_len": 32,
}


@dataclass(frozen=True)
class Setup:
    """Where the models run, in what precision, and the clip they make."""

    device: str  # "cuda" or "cpu"
    dtype: str  # the transformer's and text encoder's torch dtype; the VAE stays float32
    width: int
    height: int
    frames: int
    configs: dict[str, dict[str, Any]]  # model name -> WanTransformer3DModel config
    tiny_vae: bool  # the engine tests' tiny VAE instead of Wan 2.1's real one

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}x{self.frames}"


GPU = Setup("cuda", "bfloat16", 832, 480, 81, CONFIGS, tiny_vae=False)
SMOKE = Setup("cpu", "float32", 64, 64, 9, {"tiny": TINY}, tiny_vae=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import torch

    setup = SMOKE if args.smoke else GPU
    if setup.device == "cuda" and not torch.cuda.is_available():
        print("diffusers_step_speed: no CUDA GPU here (torch sees none); nothing was measured.")
        return 2
    if setup.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    if args.family:
        return measure_families(args, setup)
    names = list(setup.configs) if args.smoke or args.model == "both" else [args.model]
    for name in names:
        for result in measure(name, setup, args):
            print(_line(result), flush=True)
            if args.json:
                Path(args.json).parent.mkdir(parents=True, exist_ok=True)
                with Path(args.json).open("a") as out:
                    out.write(json.dumps(result) + "\n")
    return 0


def measure(name: str, setup: Setup, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Plain, project and Fast runs of one model, and Fast against the plain reference."""
    from generation.engines import options
    from generation.testing import build_random_wan_lora

    config = setup.configs[name]
    pipe = build_pipeline(config, setup)
    common = {"model": name, "size": setup.size}

    plain = time_plain(pipe, setup, args.steps)
    rows = [
        {**common, "run": "plain diffusers", "steps": args.steps, "guidance": GUIDANCE, **plain}
    ]
    if args.run_reference:
        reference_s, how = _plain_run(pipe, setup, args.reference_steps, []), "run"
    else:
        missing = args.reference_steps - args.steps
        reference_s = plain["end_to_end_s"] + missing * plain["s_per_step"]
        how = (
            f"estimated: the {args.steps}-step run's {plain['end_to_end_s']:.2f} s "
            f"+ {missing} x {plain['s_per_step']:.3f} s"
        )

    user_options = [o for o in args.options.split(";") if o.strip()]
    with tempfile.TemporaryDirectory() as folder:
        lora = build_random_wan_lora(
            config, Path(folder) / "fast.safetensors", rank=args.lora_rank, dtype=setup.dtype
        )
        model_options = options.parse_options([*user_options, f"fast-lora={lora}"])
        engine = project_engine(pipe, setup, model_options)  # loads the LoRA: the file may go

    project = time_engine(engine, setup, steps=args.steps, guidance=GUIDANCE)
    project["preview_share"] = preview_seconds(setup) / project["s_per_step"]
    label = "project engine" + (f" ({args.options})" if user_options else "")
    rows.append({**common, "run": label, "steps": args.steps, "guidance": GUIDANCE, **project})

    fast_defaults = options.preset_defaults(model_options, "fast")
    steps, guidance = int(fast_defaults["steps"]), float(fast_defaults["guidance"])
    fast = time_engine(engine, setup, steps=steps, guidance=guidance, preset="fast")
    label = f"project engine, Fast preset, LoRA rank {args.lora_rank}"
    rows.append({**common, "run": label, "steps": steps, "guidance": guidance, **fast})

    for row in rows:
        row["floor_s_per_step"] = floor_seconds(config, setup, row["guidance"], args.peak_tflops)
        row["ratio_to_floor"] = row["s_per_step"] / row["floor_s_per_step"]
    rows.append(
        {
            **common,
            "run": "fast vs reference",
            "reference_steps": args.reference_steps,
            "reference_guidance": GUIDANCE,
            "reference_s": reference_s,
            "reference_how": how,
            "fast_s": fast["end_to_end_s"],
            "speedup": reference_s / fast["end_to_end_s"],
            "target": FAST_TARGET,
        }
    )
    del pipe, engine
    _free_memory(setup.device)
    return rows


def build_pipeline(config: dict[str, Any], setup: Setup) -> Any:
    """A WanPipeline with random weights on ``setup.device``: the transformer and text encoder
    in ``setup.dtype``, the VAE in float32."""
    import torch
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline
    from diffusers import WanTransformer3DModel as Transformer
    from transformers import UMT5Config, UMT5EncoderModel

    from generation.testing import _tiny_wan_vae, tiny_tokenizer

    torch.manual_seed(0)
    tokenizer = tiny_tokenizer()
    width = config["text_dim"]  # the text encoder's output feeds the transformer's text_dim
    heads = max(1, width // 64)
    with torch.device(setup.device):
        previous = torch.get_default_dtype()
        torch.set_default_dtype(getattr(torch, setup.dtype))  # 14B parameters made in bf16 directly
        try:
            transformer = Transformer(**config)
            text_encoder = UMT5EncoderModel(
                UMT5Config(
                    vocab_size=len(tokenizer),
                    d_model=width,
                    d_kv=width // heads,
                    d_ff=1024,
                    num_layers=1,
                    num_heads=heads,
                    pad_token_id=0,
                    eos_token_id=1,
                    decoder_start_token_id=0,
                )
            )
        finally:
            torch.set_default_dtype(previous)
        # The default config is Wan 2.1's real VAE; the tiny one has its 16 channels and 8x / 4x
        # compression in a few thousand weights.
        vae = _tiny_wan_vae() if setup.tiny_vae else AutoencoderKLWan()
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0),
        transformer=transformer.eval(),
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def time_plain(pipe: Any, setup: Setup, steps: int) -> dict[str, Any]:
    """WanPipeline as diffusers' docs call it, timing its steps with a synchronising callback."""
    stamps: list[float] = []
    _plain_run(pipe, setup, WARM_UP_STEPS, stamps)  # kernels, allocator, cuDNN choices
    _reset_peak_memory(setup.device)
    seconds = _plain_run(pipe, setup, steps, stamps)
    return _timings(stamps, seconds, setup.device)


def _plain_run(pipe: Any, setup: Setup, steps: int, stamps: list[float]) -> float:
    """One plain call of ``steps`` steps at guidance; returns its seconds, stamps each step."""
    import torch

    def on_step_end(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        _synchronize(setup.device)
        stamps.append(time.perf_counter())
        return {}

    stamps.clear()
    started = time.perf_counter()
    pipe(
        prompt=PROMPT,
        height=setup.height,
        width=setup.width,
        num_frames=setup.frames,
        num_inference_steps=steps,
        guidance_scale=GUIDANCE,
        generator=torch.Generator(setup.device).manual_seed(0),
        output_type="np",
        callback_on_step_end=on_step_end,
    )
    _synchronize(setup.device)
    return time.perf_counter() - started


def project_engine(pipe: Any, setup: Setup, model_options: dict[str, str]) -> Any:
    """The project's engine around ``pipe``, its options set up in a worker's order."""
    from generation.engines import families, options
    from generation.engines.diffusers_video import WAN21_PREVIEW, DiffusersVideoEngine

    model = families.ModelFolder(
        path=Path("random-weights"),
        family=families.WAN21,
        pipelines={"text-to-video": "WanPipeline"},
        size_multiple=16,
        frame_step=4,
        max_frames=81,
        fps=16,
    )
    # As diffusers_video.load does after from_pretrained (the pipeline is on its device already).
    options.load_lora(pipe, model_options)
    options.apply(pipe, model_options)
    return DiffusersVideoEngine(
        model, {"text-to-video": pipe}, setup.device, WAN21_PREVIEW, model_options
    )


def time_engine(
    engine: Any, setup: Setup, *, steps: int, guidance: float, preset: str = "quality"
) -> dict[str, Any]:
    """A warm-up and a timed ``engine.generate``: previews and progress each step."""
    from generation.types import VideoRequest

    stamps: list[float] = []

    def on_progress(step: int, total: int, preview: Any = None, stage: str = "") -> None:
        stamps.append(time.perf_counter())  # the preview's .cpu() has synchronised already

    def run(num_steps: int) -> float:
        stamps.clear()
        request = VideoRequest(
            prompt=PROMPT,
            width=setup.width,
            height=setup.height,
            num_frames=setup.frames,
            fps=16,
            steps=num_steps,
            guidance=guidance,
            preset=preset,
        )
        started = time.perf_counter()
        engine.generate(request, on_progress)
        _synchronize(setup.device)
        return time.perf_counter() - started

    run(WARM_UP_STEPS)  # warm-up, and with the compile option the compilation itself
    _reset_peak_memory(setup.device)
    seconds = run(steps)
    return _timings(stamps, seconds, setup.device)


def preview_seconds(setup: Setup) -> float:
    """The preview's own cost: the engine's projection on a latent of this size, timed alone."""
    import torch

    from generation.engines.base import latent_preview
    from generation.engines.diffusers_video import WAN21_PREVIEW

    latent_frames = (setup.frames - 1) // 4 + 1
    shape = (1, 16, latent_frames, setup.height // 8, setup.width // 8)  # (B, C, T, h, w)
    latents = torch.randn(*shape, device=setup.device)
    _synchronize(setup.device)
    started = time.perf_counter()
    for _ in range(20):
        latent_preview(latents, *WAN21_PREVIEW)
    return (time.perf_counter() - started) / 20


def floor_seconds(
    config: dict[str, Any], setup: Setup, guidance: float, peak_tflops: float
) -> float:
    """A step's FLOP floor: one transformer pass, two with guidance (diffusers' CFG is > 1)."""
    passes = 2 if guidance > 1.0 else 1
    return passes * forward_flops(config, setup) / (peak_tflops * 1e12)


def forward_flops(config: dict[str, Any], setup: Setup) -> float:
    """FLOPs of one transformer pass at ``setup``'s size: matmuls and attention, 2 per MAC."""
    dim = config["num_attention_heads"] * config["attention_head_dim"]
    _, patch_h, patch_w = config["patch_size"]
    latent_frames = (setup.frames - 1) // 4 + 1
    tokens = latent_frames * (setup.height // 8 // patch_h) * (setup.width // 8 // patch_w)
    self_attention = 2 * 4 * tokens * dim * dim + 2 * 2 * tokens * tokens * dim  # qkvo + QK^T, AV
    cross_attention = 2 * 2 * (tokens + TEXT_TOKENS) * dim * dim  # q, o on video; k, v on text
    cross_attention += 2 * 2 * tokens * TEXT_TOKENS * dim  # QK^T and AV against 512 text tokens
    feed_forward = 2 * 2 * tokens * dim * config["ffn_dim"]
    return float(config["num_layers"] * (self_attention + cross_attention + feed_forward))


# The newer families --------------------------------------------------------------------------
# name -> (tiny builder, the transformer's real layout with the tiny encoders' and VAE's widths,
# the smoke run's two-layer version, the request (width, height, frames) giving the native grid)
FAMILY_GUIDANCE = 5.0


def _families() -> dict[str, dict[str, Any]]:
    from generation import testing

    return {
        "kandinsky5-lite": {
            "build": testing.build_tiny_kandinsky5,
            "real": {"model_dim": 1792, "ff_dim": 7168, "num_visual_blocks": 32},
            "smoke": {"model_dim": 128, "ff_dim": 256, "num_visual_blocks": 2},
            "common": {
                "in_visual_dim": 4,
                "out_visual_dim": 4,
                "in_text_dim": 16,
                "in_text_dim2": 32,
                "time_dim": 512,
                "patch_size": (1, 2, 2),
                "num_text_blocks": 2,
                "axes_dims": (16, 24, 24),
            },
            "size": (768, 512, 121),  # the tiny VAE is 8x / 4x, as the real one
            "smoke_size": (64, 64, 9),
            "tokens": lambda w, h, f: ((f - 1) // 4 + 1) * (h // 16) * (w // 16),
        },
        "ltx-2": {
            "build": testing.build_tiny_ltx2,
            "real": {"num_layers": 48},
            "smoke": {
                "num_layers": 2,
                "num_attention_heads": 2,
                "cross_attention_dim": 2 * 128,  # = heads x head dim, as 4096 is in the real one
                "audio_num_attention_heads": 2,
                "audio_cross_attention_dim": 2 * 64,
            },
            "common": {
                "in_channels": 4,
                "out_channels": 4,
                "audio_in_channels": 4,
                "audio_out_channels": 4,
                "caption_channels": 32,
                "rope_type": "split",
                "rope_double_precision": False,
            },
            "size": (48, 32, 121),  # the tiny VAE is 2x: a 24x16 grid, as 768x512 at 32x
            "smoke_size": (64, 64, 9),
            "tokens": lambda w, h, f: ((f - 1) // 8 + 1) * (h // 2) * (w // 2),
        },
        "hunyuanvideo-1.5": {
            "build": testing.build_tiny_hunyuan15,
            "real": {"num_layers": 54},
            "smoke": {"num_layers": 2, "num_attention_heads": 2, "num_refiner_layers": 1},
            "common": {
                "in_channels": 9,
                "out_channels": 4,
                "text_embed_dim": 16,
                "text_embed_2_dim": 32,
                "image_embed_dim": 12,
                "task_type": "t2v",
            },
            "size": (208, 128, 241),  # the tiny VAE is 4x / 2x: about 480p's 53x30x31 grid
            "smoke_size": (64, 64, 9),
            "tokens": lambda w, h, f: ((f - 1) // 2 + 1) * (h // 4) * (w // 4),
        },
    }


def measure_families(args: argparse.Namespace, setup: Setup) -> int:
    """Each newer family at its native grid: a plain step, then with each cache it supports."""
    from generation.engines import options

    table = _families()
    names = list(table) if args.family == "all" else [args.family]
    for name in names:
        spec = table[name]
        width, height, frames = spec["smoke_size"] if args.smoke else spec["size"]
        with tempfile.TemporaryDirectory() as folder:
            engine = _family_engine(name, spec, Path(folder), setup, smoke=args.smoke)
        family = engine.model.family
        tokens = spec["tokens"](width, height, frames)
        floor = (
            2
            * _transformer_flops(engine.pipes["text-to-video"].transformer, tokens)
            / (args.peak_tflops * 1e12)
        )
        runs: list[tuple[str, dict[str, str]]] = [("plain", {})]
        runs += [
            (f"cache={cache}", {"cache": cache})
            for cache, keys in options.CACHE_FAMILIES.items()
            if family.key in keys
        ]
        baseline = None
        for label, model_options in runs:
            transformer = engine.pipes["text-to-video"].transformer
            if model_options:
                transformer.enable_cache(
                    options.cache_config(engine.pipes["text-to-video"], model_options["cache"])
                )
            timed = _time_family(engine, width, height, frames, args.steps, setup)
            if model_options:
                transformer.disable_cache()
            baseline = baseline or timed["s_per_step"]
            row = {
                "model": name,
                "size": f"{width}x{height}x{frames} ({tokens} tokens)",
                "run": label,
                "steps": args.steps,
                "floor_s_per_step": floor,
                "ratio_to_floor": timed["s_per_step"] / floor,
                "speedup_per_step": baseline / timed["s_per_step"],
                **timed,
            }
            print(
                f"{name} {row['size']}  {label:<18} {row['s_per_step']:.3f} s/step  "
                f"floor {floor:.3g}  x{row['ratio_to_floor']:.2f}  "
                f"per-step speed-up x{row['speedup_per_step']:.2f}  "
                f"end-to-end {row['end_to_end_s']:.2f} s",
                flush=True,
            )
            if args.json:
                Path(args.json).parent.mkdir(parents=True, exist_ok=True)
                with Path(args.json).open("a") as out:
                    out.write(json.dumps(row) + "\n")
        del engine
        _free_memory(setup.device)
    return 0


def _family_engine(
    name: str, spec: dict[str, Any], folder: Path, setup: Setup, *, smoke: bool
) -> Any:
    """The tiny folder loaded by the project's loader, its transformer swapped for a real-size
    one (random weights, made in the engine's dtype directly on the device)."""
    import torch

    from generation.engines import diffusers_video, families

    model = families.detect(spec["build"](folder / name))
    engine = diffusers_video.load(model, setup.device)
    pipe = engine.pipes["text-to-video"]
    layout = {**spec["common"], **(spec["smoke"] if smoke else spec["real"])}
    dtype = getattr(torch, setup.dtype)
    with torch.device(setup.device):
        previous = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        try:
            transformer = type(pipe.transformer)(**layout).eval()
        finally:
            torch.set_default_dtype(previous)
    for each in engine.pipes.values():
        each.transformer = transformer
    return engine


def _time_family(
    engine: Any, width: int, height: int, frames: int, steps: int, setup: Setup
) -> dict[str, Any]:
    from generation.types import VideoRequest

    stamps: list[float] = []

    def on_progress(step: int, total: int, preview: Any = None, stage: str = "") -> None:
        stamps.append(time.perf_counter())

    def run(num_steps: int) -> float:
        stamps.clear()
        request = VideoRequest(
            prompt=PROMPT,
            width=width,
            height=height,
            num_frames=frames,
            fps=engine.model.fps,
            steps=num_steps,
            guidance=FAMILY_GUIDANCE,
        )
        started = time.perf_counter()
        engine.generate(request, on_progress)
        _synchronize(setup.device)
        return time.perf_counter() - started

    run(WARM_UP_STEPS)
    _reset_peak_memory(setup.device)
    return _timings(stamps, run(steps), setup.device)


def _transformer_flops(transformer: Any, tokens: int) -> float:
    """One pass: 2 FLOPs per block weight per token, plus attention's QK^T and AV per layer."""
    import torch

    blocks = [m for m in transformer.modules() if isinstance(m, torch.nn.ModuleList)]
    layers = max(blocks, key=len) if blocks else []
    weights = sum(p.numel() for block in layers for p in block.parameters())
    width = max((getattr(p, "shape", [0])[-1] for p in transformer.parameters()), default=0)
    width = int(getattr(transformer.config, "model_dim", 0) or width)
    heads = getattr(transformer.config, "num_attention_heads", None)
    head_dim = getattr(transformer.config, "attention_head_dim", None)
    if heads and head_dim:
        width = int(heads * head_dim)
    return float(2 * weights * tokens + 4 * len(layers) * tokens**2 * width)


def _timings(stamps: list[float], seconds: float, device: str) -> dict[str, Any]:
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    return {
        "s_per_step": statistics.median(gaps) if gaps else float("nan"),  # one step: no gap
        "end_to_end_s": seconds,
        "peak_gb": _peak_memory_gb(device),
    }


def _synchronize(device: str) -> None:
    """Wait for the GPU's queued work, so a clock reading is the work's end; a CPU has none."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _reset_peak_memory(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()


def _peak_memory_gb(device: str) -> float | None:
    """Peak GPU memory since the last reset; None on a CPU, where torch does not track it."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 1024**3
    return None


def _free_memory(device: str) -> None:
    """Hand a finished model's GPU memory back before the next model is built."""
    import gc

    import torch

    gc.collect()  # a pipeline's hooks can hold it in reference cycles
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


def _line(result: dict[str, Any]) -> str:
    head = f"{result['model']:>5} {result['size']}  "
    if "speedup" in result:
        met = "met" if result["speedup"] >= result["target"] else "NOT met"
        return (
            f"{head}Fast vs plain {result['reference_steps']} steps: "
            f"{result['fast_s']:.2f} s vs {result['reference_s']:.2f} s "
            f"({result['reference_how']})  x{result['speedup']:.2f} faster  "
            f"(target >= {result['target']:g}: {met})"
        )
    share = (
        f"  preview {result['preview_share']:.1%} of a step" if "preview_share" in result else ""
    )
    peak = "-" if result["peak_gb"] is None else f"{result['peak_gb']:.1f} GB"
    run = f"{result['run']}, {result['steps']} steps, guidance {result['guidance']:g}"
    return (
        f"{head}{run:<63} "
        f"{result['s_per_step']:.3f} s/step  floor {result['floor_s_per_step']:.3g}  "
        f"x{result['ratio_to_floor']:.2f}  end-to-end {result['end_to_end_s']:.2f} s  "
        f"peak {peak}{share}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", choices=[*CONFIGS, "both"], default="both", help="ignored with --smoke"
    )
    parser.add_argument("--steps", type=int, default=8, help="timed denoising steps per run")
    parser.add_argument(
        "--options", default="", help="model options for the project's run, e.g. compile;vae-tiling"
    )
    parser.add_argument("--peak-tflops", type=float, default=800.0, help="bf16 peak of the GPU")
    parser.add_argument(
        "--reference-steps",
        type=int,
        default=50,
        help="the plain pipeline's steps that the Fast preset is compared with",
    )
    parser.add_argument(
        "--run-reference",
        action="store_true",
        help="run the reference's steps rather than estimate them from --steps (minutes on 14B)",
    )
    parser.add_argument("--lora-rank", type=int, default=32, help="the Fast preset LoRA's rank")
    parser.add_argument("--json", help="append one JSON object per row to this file")
    parser.add_argument(
        "--family",
        choices=["kandinsky5-lite", "ltx-2", "hunyuanvideo-1.5", "all"],
        help="measure a newer family (and its cache options) instead of Wan",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny model on the CPU: checks the code, not speed"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
