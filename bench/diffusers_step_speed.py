"""GPU benchmark: seconds per denoising step for Wan at 832x480x81, plain diffusers vs the project.

    .venv/bin/python bench/diffusers_step_speed.py [--model 1.3b|14b|both] [--steps 8]
        [--options "compile;attention=_native_cudnn"] [--peak-tflops 800] [--json results.jsonl]

Builds the real-size architectures from their published configs with random weights on the GPU
(a step's speed does not depend on the weights): the Wan 2.1 1.3B transformer, and one 14B
transformer (the size of each Wan 2.2 A14B expert, and of Wan 2.1 14B), in bf16, beside the
real-size Wan VAE in float32. The text encoder is a one-layer UMT5 of the real width (4096) so
prompts go through the same code; it runs once per video and is not part of a step.

For each model, in one run:

* plain: ``WanPipeline`` called directly, the way diffusers' docs do;
* project: the same pipeline inside the project's engine (``DiffusersVideoEngine``), which adds a
  latent preview and a progress call per step, with the model options given by ``--options`` in
  REELSMITH_MODELS' syntax (compile, attention=BACKEND, first-block-cache=THRESHOLD, ...), applied
  by the same code a worker uses.

Each reports seconds per step (the median gap between step callbacks, after a warm-up run),
the FLOP floor per step (two transformer passes with guidance, FLOPs counted from the config at
this size, at ``--peak-tflops``), the ratio of the two, peak GPU memory, and the preview's cost
as a share of a step. Without CUDA it prints one line and exits with status 2: nothing here is
meaningful on a CPU.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

WIDTH, HEIGHT, FRAMES = 832, 480, 81
TEXT_TOKENS = 512  # Wan pads prompts to 512 tokens
GUIDANCE = 5.0  # > 1, so each step runs the transformer twice (with and without the prompt)

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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("diffusers_step_speed: no CUDA GPU here (torch sees none); nothing was measured.")
        return 2
    torch.backends.cuda.matmul.allow_tf32 = True
    names = list(CONFIGS) if args.model == "both" else [args.model]
    for name in names:
        for result in measure(name, args):
            print(_line(result))
            if args.json:
                with Path(args.json).open("a") as out:
                    out.write(json.dumps(result) + "\n")
    return 0


def measure(name: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Plain and project runs of one model, with the same weights, seed and inputs."""
    import torch

    from generation.engines import options

    pipe = build_pipeline(CONFIGS[name])
    floor = 2 * forward_flops(CONFIGS[name]) / (args.peak_tflops * 1e12)
    common = {"model": name, "size": f"{WIDTH}x{HEIGHT}x{FRAMES}", "floor_s_per_step": floor}

    plain = time_plain(pipe, args.steps)
    results = [{**common, "run": "plain diffusers", **plain}]

    model_options = options.parse_options([o for o in args.options.split(";") if o.strip()])
    options.apply(pipe, model_options)
    project = time_project(pipe, args.steps)
    label = "project engine" + (f" ({args.options})" if model_options else "")
    results.append({**common, "run": label, **project})
    for result in results:
        result["ratio_to_floor"] = result["s_per_step"] / floor
    del pipe
    torch.cuda.empty_cache()
    return results


def build_pipeline(config: dict[str, Any]) -> Any:
    """A real-size WanPipeline with random weights: bf16 transformer, float32 VAE, on the GPU."""
    import torch
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline
    from diffusers import WanTransformer3DModel as Transformer
    from transformers import UMT5Config, UMT5EncoderModel

    from generation.testing import tiny_tokenizer

    torch.manual_seed(0)
    tokenizer = tiny_tokenizer()
    with torch.device("cuda"):
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.bfloat16)  # 14B parameters are made in bf16 directly
        try:
            transformer = Transformer(**config)
            text_encoder = UMT5EncoderModel(
                UMT5Config(
                    vocab_size=len(tokenizer),
                    d_model=4096,
                    d_kv=64,
                    d_ff=1024,
                    num_layers=1,
                    num_heads=64,
                    pad_token_id=0,
                    eos_token_id=1,
                    decoder_start_token_id=0,
                )
            )
        finally:
            torch.set_default_dtype(previous)
        vae = AutoencoderKLWan()  # the default config is Wan 2.1's real VAE
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0),
        transformer=transformer.eval(),
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def time_plain(pipe: Any, steps: int) -> dict[str, float]:
    """WanPipeline as diffusers' docs call it, timing its steps with a synchronising callback."""
    import torch

    stamps: list[float] = []

    def on_step_end(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        torch.cuda.synchronize()
        stamps.append(time.perf_counter())
        return {}

    def run(num_steps: int) -> float:
        stamps.clear()
        started = time.perf_counter()
        pipe(
            prompt="a red ball bounces on green grass",
            height=HEIGHT,
            width=WIDTH,
            num_frames=FRAMES,
            num_inference_steps=num_steps,
            guidance_scale=GUIDANCE,
            generator=torch.Generator("cuda").manual_seed(0),
            output_type="np",
            callback_on_step_end=on_step_end,
        )
        torch.cuda.synchronize()
        return time.perf_counter() - started

    run(2)  # warm-up: kernels, allocator, cuDNN choices
    torch.cuda.reset_peak_memory_stats()
    seconds = run(steps)
    return _timings(stamps, seconds)


def time_project(pipe: Any, steps: int) -> dict[str, float]:
    """The same pipeline through the project's engine: previews and progress each step."""
    import torch

    from generation.engines import families
    from generation.engines.base import latent_preview
    from generation.engines.diffusers_video import WAN21_PREVIEW, DiffusersVideoEngine
    from generation.types import VideoRequest

    model = families.ModelFolder(
        path=Path("random-weights"),
        family=families.WAN21,
        pipelines={"text-to-video": "WanPipeline"},
        size_multiple=16,
        frame_step=4,
        max_frames=81,
        fps=16,
    )
    engine = DiffusersVideoEngine(model, {"text-to-video": pipe}, "cuda", WAN21_PREVIEW)
    stamps: list[float] = []

    def on_progress(step: int, total: int, preview: Any = None, stage: str = "") -> None:
        stamps.append(time.perf_counter())  # the preview's .cpu() has synchronised already

    def run(num_steps: int) -> float:
        stamps.clear()
        request = VideoRequest(
            prompt="a red ball bounces on green grass",
            width=WIDTH,
            height=HEIGHT,
            num_frames=FRAMES,
            fps=16,
            steps=num_steps,
            guidance=GUIDANCE,
        )
        started = time.perf_counter()
        engine.generate(request, on_progress)
        torch.cuda.synchronize()
        return time.perf_counter() - started

    run(2)  # warm-up, and with the compile option the compilation itself
    torch.cuda.reset_peak_memory_stats()
    seconds = run(steps)
    result = _timings(stamps, seconds)

    # The preview's own cost: the same projection on a latent of this size, timed alone.
    latent_frames = (FRAMES - 1) // 4 + 1
    latents = torch.randn(1, 16, latent_frames, HEIGHT // 8, WIDTH // 8, device="cuda")
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(20):
        latent_preview(latents, *WAN21_PREVIEW)
    preview_s = (time.perf_counter() - started) / 20
    result["preview_share"] = preview_s / result["s_per_step"]
    return result


def forward_flops(config: dict[str, Any]) -> float:
    """FLOPs of one transformer pass at 832x480x81: matmuls and attention, 2 FLOPs per MAC."""
    dim = config["num_attention_heads"] * config["attention_head_dim"]
    tokens = ((FRAMES - 1) // 4 + 1) * (HEIGHT // 16) * (WIDTH // 16)  # 21 x 30 x 52
    self_attention = 2 * 4 * tokens * dim * dim + 2 * 2 * tokens * tokens * dim  # qkvo + QK^T, AV
    cross_attention = 2 * 2 * (tokens + TEXT_TOKENS) * dim * dim  # q, o on video; k, v on text
    cross_attention += 2 * 2 * tokens * TEXT_TOKENS * dim  # QK^T and AV against 512 text tokens
    feed_forward = 2 * 2 * tokens * dim * config["ffn_dim"]
    return float(config["num_layers"] * (self_attention + cross_attention + feed_forward))


def _timings(stamps: list[float], seconds: float) -> dict[str, float]:
    import torch

    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    return {
        "s_per_step": statistics.median(gaps),
        "end_to_end_s": seconds,
        "peak_gb": torch.cuda.max_memory_allocated() / 1024**3,
    }


def _line(result: dict[str, Any]) -> str:
    share = (
        f"  preview {result['preview_share']:.1%} of a step" if "preview_share" in result else ""
    )
    return (
        f"{result['model']:>5} {result['size']}  {result['run']:<40} "
        f"{result['s_per_step']:.3f} s/step  floor {result['floor_s_per_step']:.3f}  "
        f"x{result['ratio_to_floor']:.2f}  end-to-end {result['end_to_end_s']:.1f} s  "
        f"peak {result['peak_gb']:.1f} GB{share}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=[*CONFIGS, "both"], default="both")
    parser.add_argument("--steps", type=int, default=8, help="timed denoising steps per run")
    parser.add_argument(
        "--options", default="", help="model options for the project's run, e.g. compile;vae-tiling"
    )
    parser.add_argument("--peak-tflops", type=float, default=800.0, help="bf16 peak of the GPU")
    parser.add_argument("--json", help="append one JSON object per run to this file")
    return parser


if __name__ == "__main__":
    sys.exit(main())
