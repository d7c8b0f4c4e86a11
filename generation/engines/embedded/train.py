"""Train the embedded text-to-video model from procedurally rendered clips.

    python -m generation.engines.embedded.train --preset cpu --seed 0 \
        --out generation/engines/embedded/weights/embedded-v3.safetensors

Deterministic for a seed (on one device and thread count). Every step renders a fresh batch
of captioned clips (``data.py`` beside this file), runs each caption through the prompt
analysis (``vocabulary.understand``) to get the conditioning, and trains the denoiser on rectified
flow. Every ``--eval-every`` steps it samples clips with the EMA weights, reads them back
with the analytic evaluator and logs attribute accuracy, and writes the EMA weights
(safetensors) plus a JSON config next to them, so a run stopped early still leaves usable
weights.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from generation.engines.embedded import data, evaluate
from generation.engines.embedded.model import (
    DenoiserConfig,
    TinyVideoUNet,
    clips_to_uint8,
    sample,
    uint8_to_clips,
    video_noise,
)
from generation.engines.embedded.vocabulary import (
    ATTRIBUTES,
    SHAPES,
    attribute_indices,
    understand,
)


@dataclass(frozen=True)
class TrainConfig:
    model: DenoiserConfig
    steps: int  # optimiser steps
    batch: int  # clips per step
    lr: float  # peak AdamW learning rate (linear warm-up, cosine decay to 10%)
    warmup: int  # warm-up steps
    ema: float  # EMA decay of the shipped weights
    caption_drop: float  # chance each attribute is left out of a caption
    uncond_drop: float  # chance the whole conditioning is dropped (for guidance)
    object_emphasis: float  # extra loss weight on the object's pixels (see object_weight)
    # Share of noise levels drawn from a logit-normal centred above the middle (where colour,
    # shape and motion are decided) instead of uniformly.
    focus: float
    eval_every: int  # steps between evaluations and checkpoints
    eval_clips: int  # clips sampled per evaluation (half seen, half held-out combinations)
    eval_steps: int  # Euler steps when sampling for evaluation
    eval_guidance: float
    device: str
    # Weight of the layout field's auxiliary loss: its first channel learns to draw the
    # object's coverage, which the renderer knows (0: no such loss).
    coverage_weight: float = 0.0
    # Weight of the outline loss and its points per clip: the layout field's first channel is
    # also trained on exact inside/outside points in the object's frame (half anywhere near the
    # object, half near its outline), so the outline it draws is sharp at any output size,
    # not only right at 32 pixels (0: no such loss).
    outline_weight: float = 0.0
    outline_points: int = 0
    # The outline head (model.outline_channels): trained after the rest, on its own, for this
    # many steps of ``outline_batch`` shapes with ``outline_points`` points each.
    outline_steps: int = 0
    outline_batch: int = 16


# The shipped weights: about 42 minutes on one thread of the 2-core CPU (0.84 s per step with
# a second training run alongside).
CPU = TrainConfig(
    model=DenoiserConfig(
        channels=(32, 64, 128),
        frame_noise_correlation=0.9,
        layout_channels=64,
        layout_angles=5,
        layout_octaves=4,
        outline_channels=96,
    ),
    steps=3000,
    batch=8,
    lr=1.5e-3,
    warmup=200,
    ema=0.998,
    caption_drop=0.15,
    uncond_drop=0.1,
    object_emphasis=8.0,
    focus=0.5,
    eval_every=500,
    eval_clips=32,
    eval_steps=10,
    eval_guidance=3.0,
    device="cpu",
    coverage_weight=1.0,
    outline_weight=3.0,
    outline_points=1024,
    outline_steps=3000,
)

PRESETS = {
    "cpu": CPU,
    # The CPU recipe, wider and longer, at 64x64 (not run yet: no GPU was available).
    "gpu": replace(
        CPU,
        model=replace(
            CPU.model, resolution=64, channels=(64, 128, 256), cond_dim=256, layout_channels=128
        ),
        steps=30000,
        batch=64,
        lr=1e-3,
        warmup=500,
        ema=0.9995,
        eval_every=2000,
        eval_clips=128,
        device="cuda",
    ),
    # For tests: a few seconds.
    "tiny": replace(
        CPU,
        model=DenoiserConfig(
            channels=(16, 16, 32),
            embed_dim=8,
            cond_dim=32,
            heads=2,
            layout_channels=8,
            layout_out=4,
            layout_angles=2,
            outline_channels=8,
        ),
        steps=2,
        batch=2,
        lr=1e-3,
        warmup=1,
        ema=0.9,
        focus=0.8,
        eval_every=2,
        eval_clips=2,
        eval_steps=2,
        outline_steps=2,
        outline_batch=2,
    ),
}


@dataclass(frozen=True)
class Batch:
    clips: torch.Tensor  # (B, 3, T, H, W) in [-1, 1]
    attributes: torch.Tensor  # (B, 5): the caption's attribute indices
    layout: torch.Tensor  # (B, T, 4): the true per-frame layout (data.LAYOUT_FIELDS)
    coverage: torch.Tensor  # (B, T, H, W): the object's true coverage, 0..1
    points: torch.Tensor  # (B, N, 2): points in the object's own frame (data.inside)
    inside: torch.Tensor  # (B, N): 1 where the point is inside the clip's shape

    def to(self, device: str) -> Batch:
        return Batch(*(getattr(self, f.name).to(device) for f in fields(self)))


def outline_points(rng: np.random.Generator, shape: str, count: int) -> np.ndarray:
    """``count`` points (count, 2) in the object's frame: half spread over the square that
    holds the shape, half within a few hundredths of its outline (where the field must be
    sharp)."""
    spread = rng.uniform(-1.4, 1.4, size=(count - count // 2, 2))
    polygon = np.asarray(data.shape_polygon(shape, 0.0, 0.0, 1.0, 0.0))
    edge = rng.integers(len(polygon), size=count // 2)
    along = rng.random(count // 2)[:, None]
    start, end = polygon[edge], polygon[(edge + 1) % len(polygon)]
    near = start + along * (end - start) + rng.normal(0.0, 0.04, size=(count // 2, 2))
    return np.concatenate([spread, near]).astype(np.float32)


def training_batch(rng: np.random.Generator, config: TrainConfig) -> Batch:
    """A fresh batch of rendered clips with their captions' conditioning and their truth."""
    clips, indices, layouts, coverages, points = [], [], [], [], []
    shapes: list[str] = []
    frames, res = config.model.frames, config.model.resolution
    for _ in range(config.batch):
        sample_ = data.training_sample(rng, drop=config.caption_drop)
        shapes.append(sample_.spec.shape)
        alpha = data.clip_coverage(sample_.spec, frames, res)
        clips.append(data.compose(sample_.spec, alpha))
        coverages.append(alpha)
        layouts.append(data.clip_layout(sample_.spec, frames))
        points.append(outline_points(rng, sample_.spec.shape, max(config.outline_points, 1)))
        if rng.random() < config.uncond_drop:
            indices.append([0] * 5)
        else:
            indices.append(attribute_indices(understand(sample_.caption)))
    return Batch(
        clips=uint8_to_clips(torch.from_numpy(np.stack(clips))),
        attributes=torch.tensor(indices),
        layout=torch.from_numpy(np.stack(layouts)),
        coverage=torch.from_numpy(np.stack(coverages)),
        points=torch.from_numpy(np.stack(points)),
        inside=torch.from_numpy(
            np.stack([data.inside(s, p) for s, p in zip(shapes, points, strict=True)])
        ),
    )


def training_loss(
    model: TinyVideoUNet,
    clips: torch.Tensor,
    attributes: torch.Tensor,
    generator: torch.Generator,
    object_emphasis: float = 0.0,
    focus: float = 0.0,
    layout: torch.Tensor | None = None,
    coverage: torch.Tensor | None = None,
    coverage_weight: float = 0.0,
    points: torch.Tensor | None = None,
    inside: torch.Tensor | None = None,
    outline_weight: float = 0.0,
) -> torch.Tensor:
    """Rectified-flow loss in the preconditioned output space (EDM weighting).

    A model with a layout planner is also trained to plan: the denoiser sees the clip's true
    layout (B, T, 4), as a layout-conditioned model is trained, and the planner learns to
    predict it from the caption's words. With ``coverage_weight``, the layout field's first
    channel is also trained to be the object's coverage (B, T, H, W): the shape is learned
    from the renderer's own mask, not only through the denoiser.
    """
    b = clips.shape[0]
    device = clips.device
    # Noise levels: uniform, or with ``focus`` mostly drawn around t = 0.6, where colour, shape
    # and motion are decided (a uniform draw spends most of a small batch elsewhere).
    t = torch.rand(b, generator=generator, device=device)
    if focus > 0:  # (drawn only when used, so a run without focus keeps its random stream)
        focused = torch.sigmoid(0.5 + torch.randn(b, generator=generator, device=device))
        pick = torch.rand(b, generator=generator, device=device) < focus
        t = torch.where(pick, focused, t)
    t = t.clamp(min=1e-3)
    noise = video_noise(tuple(clips.shape), model.config.frame_noise_correlation, generator, device)
    noisy = (1 - t)[:, None, None, None, None] * clips + t[:, None, None, None, None] * noise
    features = None
    if model.layout_field is not None:
        assert layout is not None, "a model with a layout field is trained on true layouts"
        features = model.layout_features(layout, attributes)
    estimate = model(noisy, t, attributes, features=features)
    sd = model.config.sigma_data
    var = ((1 - t) * sd) ** 2 + t**2
    weight = var / (t * sd) ** 2  # 1 / c_out^2: unit weight on the network's own output
    per_pixel = (estimate - clips).pow(2) * object_weight(clips, object_emphasis)
    per_clip = per_pixel.mean(dim=(1, 2, 3, 4))
    loss = (weight * per_clip).mean()
    if model.planner is not None:
        assert layout is not None
        loss = loss + model.planner.loss(attributes, layout)
    if features is not None and coverage is not None and coverage_weight > 0:
        drawn = features[:, 0]  # (B*T, H, W)
        loss = loss + coverage_weight * (drawn - coverage.flatten(0, 1)).pow(2).mean()
    field = model.layout_field
    if field is not None and points is not None and inside is not None and outline_weight > 0:
        # Only where the caption names the shape: an unnamed one is the model's guess.
        named = (attributes[:, SHAPE_COLUMN] > 0).float()[:, None]  # (B, 1)
        drawn_at = field.at(points, attributes)[..., 0]  # (B, N)
        count = named.sum().clamp(min=1.0) * points.shape[1]
        loss = loss + outline_weight * ((drawn_at - inside).pow(2) * named).sum() / count
    return loss


SHAPE_COLUMN = list(ATTRIBUTES).index("shape")


def object_weight(clips: torch.Tensor, emphasis: float) -> torch.Tensor:
    """Per-pixel loss weight (B, 1, T, H, W): 1 on the background, ``1 + emphasis`` on and
    around the object.

    The object covers a tenth of a frame or less, so with a flat weight the loss is mostly
    about the background: a model learns the background colour quickly and the object's
    colour, shape and path hardly at all. The weight is read off the clean clip itself (pixels
    away from the clip's border colour, grown by a pixel to include the edges).
    """
    border = torch.cat(
        [clips[..., 0, :], clips[..., -1, :], clips[..., :, 0], clips[..., :, -1]], dim=-1
    )  # (B, 3, T, 4W)
    background = border.median(dim=-1).values.median(dim=-1).values  # (B, 3)
    away = (clips - background[:, :, None, None, None]).abs().amax(dim=1)  # (B, T, H, W)
    mask = (away > 0.1).float()
    mask = F.max_pool2d(mask.flatten(0, 1)[:, None], 3, stride=1, padding=1)  # grow by 1 px
    return 1 + emphasis * mask.view_as(away)[:, None]


def evaluate_model(
    model: TinyVideoUNet, config: TrainConfig, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Sample evaluation prompts and read them back with the analytic evaluator."""
    results = {}
    half = max(config.eval_clips // 2, 1)
    for split in ("seen", "held_out_combos"):
        samples = data.evaluation_set(split, half, seed=seed)
        attributes = torch.tensor([attribute_indices(understand(s.caption)) for s in samples])
        generator = torch.Generator().manual_seed(seed)
        clips = sample(
            model.cpu(),
            attributes,
            steps=config.eval_steps,
            guidance=config.eval_guidance,
            generator=generator,
        )
        frames = [c.numpy() for c in clips_to_uint8(clips)]
        results[split] = evaluate.evaluate_clips(frames, [s.spec for s in samples])
    if model.layout_field is not None:
        results["outline"] = field_outline_iou(model)
    model.to(config.device)
    return results


def train_outline(
    model: TinyVideoUNet,
    config: TrainConfig,
    seed: int,
    log: Callable[[str], None] = print,
) -> dict[str, object]:
    """Train the model's outline head alone (it reads nothing the rest of the model makes, so
    it trains after it, or for weights made before it had one): binary cross-entropy on exact
    inside/outside points of shapes drawn at random. Returns how it went."""
    head = model.outline
    assert head is not None, "this model has no outline head"
    rng = np.random.default_rng([seed, 1])  # a stream of its own
    head.requires_grad_(True).train()
    optimiser = torch.optim.AdamW(head.parameters(), lr=3e-3, weight_decay=0.0)
    started = time.time()
    losses: list[float] = []
    shapes = list(SHAPES)
    steps = config.outline_steps
    for step in range(1, steps + 1):
        for group in optimiser.param_groups:  # cosine from 3e-3 to 10% of it
            group["lr"] = 3e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        picked = [shapes[int(i)] for i in rng.integers(len(shapes), size=config.outline_batch)]
        count = max(config.outline_points, 64)
        points = np.stack([outline_points(rng, shape, count) for shape in picked])
        inside = np.stack([data.inside(shape, p) for shape, p in zip(picked, points, strict=True)])
        index = torch.tensor([1 + shapes.index(shape) for shape in picked], device=config.device)
        logits = head(torch.from_numpy(points).to(config.device), index)
        target = torch.from_numpy(inside).to(config.device)
        loss = F.binary_cross_entropy_with_logits(logits, target)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        losses.append(float(loss.detach()))
        if step % 500 == 0 or step == steps:
            log(f"outline step {step} loss {np.mean(losses[-500:]):.4f}")
    head.requires_grad_(False).eval()
    scores = outline_iou(model.cpu())
    model.to(config.device)
    log("outline " + json.dumps(scores))
    return {
        "steps": steps,
        "batch": config.outline_batch,
        "points": config.outline_points,
        "seconds": round(time.time() - started),
        "loss_last_200": float(np.mean(losses[-200:])),
        "iou": scores,
    }


def field_outline_iou(model: TinyVideoUNet) -> dict[str, float]:
    """``outline_iou`` of the layout field's own coverage (what the denoiser is shown)."""
    return outline_iou(model, use_head=False)


@torch.no_grad()
def outline_iou(model: TinyVideoUNet, size: int = 96, use_head: bool = True) -> dict[str, float]:
    """Per shape, the IoU of the outline the model draws at the output size (the outline
    head's, else the layout field's coverage over 0.5, on a ``size`` grid in the object's
    frame) with the true shape."""
    assert model.layout_field is not None or model.outline is not None
    grid = torch.linspace(-1.4, 1.4, size)
    u = torch.stack(torch.meshgrid(grid, grid, indexing="xy"), dim=-1)  # (size, size, 2)
    scores = {}
    for number, shape in enumerate(SHAPES, start=1):
        if use_head and model.outline is not None:
            logits = model.outline(u[None], torch.tensor([number]))[0]
            drawn = logits.cpu().numpy() > 0.0
        else:
            assert model.layout_field is not None
            words: dict[str, str | None] = dict.fromkeys(ATTRIBUTES)
            words["shape"] = shape
            attributes = torch.tensor([attribute_indices(words)])  # type: ignore[arg-type]
            drawn = model.layout_field.at(u[None], attributes)[0, ..., 0].cpu().numpy() > 0.5
        truth = data.inside(shape, u.numpy()) > 0.5
        scores[shape] = round(float((drawn & truth).sum() / max((drawn | truth).sum(), 1)), 3)
    return scores


def save_weights(model: TinyVideoUNet, out: Path, info: dict[str, object]) -> None:
    """EMA weights as safetensors, plus ``<name>.json``: the model config and how it was made."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(out), metadata={"format": "pt"})
    config = {"model": model.config.to_dict(), "training": info}
    out.with_suffix(".json").write_text(json.dumps(config, indent=2) + "\n")


def train(
    config: TrainConfig,
    seed: int,
    out: Path,
    log: Callable[[str], None] = print,
    init: Path | None = None,
) -> dict[str, object]:
    """Run the recipe; returns the final training info (also written next to the weights)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator(device=config.device).manual_seed(seed)
    model = TinyVideoUNet(config.model)
    if init is not None:
        model.load_state_dict(load_file(str(init)))
    model = model.to(config.device)
    ema = copy.deepcopy(model).requires_grad_(False)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=0.0, betas=(0.9, 0.99)
    )
    params = sum(p.numel() for p in model.parameters())
    log(
        f"parameters {params / 1e6:.2f}M, {config.steps} steps of {config.batch} clips "
        f"on {config.device}"
    )
    started = time.time()
    losses: list[float] = []
    info: dict[str, object] = {}
    history: list[dict[str, object]] = []
    for step in range(1, config.steps + 1):
        # 1. Learning rate: linear warm-up then cosine to 10%.
        progress = max(step - config.warmup, 0) / max(config.steps - config.warmup, 1)
        lr = config.lr * min(
            step / config.warmup, 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))
        )
        for group in optimiser.param_groups:
            group["lr"] = lr
        # 2. A fresh batch, the loss, one step.
        batch = training_batch(rng, config).to(config.device)
        loss = training_loss(
            model,
            batch.clips,
            batch.attributes,
            generator,
            config.object_emphasis,
            config.focus,
            batch.layout,
            batch.coverage,
            config.coverage_weight,
            batch.points,
            batch.inside,
            config.outline_weight,
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        # 3. EMA, with a short warm-up so early checkpoints are not mostly the random init.
        decay = min(config.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema.parameters(), model.parameters(), strict=True):
                e.lerp_(p, 1 - decay)
        losses.append(float(loss.detach()))
        if step % 50 == 0:
            elapsed = time.time() - started
            log(
                f"step {step} loss {np.mean(losses[-50:]):.4f} lr {lr:.2e} "
                f"{elapsed / step:.2f}s/step"
            )
        # 4. Evaluate with the analytic evaluator and checkpoint.
        if step % config.eval_every == 0 or step == config.steps:
            scores = evaluate_model(ema, config, seed=seed)
            elapsed = time.time() - started
            history.append({"step": step, "seconds": round(elapsed), **scores})
            log(f"eval step {step} " + json.dumps(scores))
            info = {
                "preset_steps": config.steps,
                "steps_done": step,
                "seed": seed,
                "batch": config.batch,
                "wall_seconds": round(elapsed),
                "device": config.device,
                "threads": torch.get_num_threads(),
                "loss_last_200": float(np.mean(losses[-200:])),
                "train_config": {k: v for k, v in asdict(config).items() if k != "model"},
                "evaluations": history,
            }
            save_weights(ema, out, info)
    if ema.outline is not None and config.outline_steps:
        info["outline"] = train_outline(ema, config, seed, log)
        info["wall_seconds"] = round(time.time() - started)
        save_weights(ema, out, info)
    return info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("generation/engines/embedded/weights/embedded-v3.safetensors"),
    )
    parser.add_argument("--steps", type=int, help="override the preset's step count")
    parser.add_argument("--init", type=Path, help="start from these weights (same architecture)")
    parser.add_argument("--eval-every", type=int, help="override the preset's evaluation interval")
    parser.add_argument(
        "--outline-only",
        action="store_true",
        help="train only the outline head of the --init weights (adding one if they have none)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (1 is fastest on a shared 2-core box)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = PRESETS[args.preset]
    if args.steps:
        config = replace(config, steps=args.steps)
    if args.eval_every:
        config = replace(config, eval_every=args.eval_every)
    if config.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("the gpu preset needs CUDA; use --preset cpu on this machine")
    log = lambda line: print(line, flush=True)  # noqa: E731
    if args.outline_only:
        if args.init is None:
            raise SystemExit("--outline-only trains the outline head of --init WEIGHTS")
        outline_only(config, args.seed, args.init, args.out, log)
        return
    train(config, args.seed, args.out, log=log, init=args.init)


def outline_only(
    config: TrainConfig, seed: int, init: Path, out: Path, log: Callable[[str], None] = print
) -> dict[str, object]:
    """Give existing weights (``init`` and its JSON) the preset's outline head, trained; the
    rest of the weights are kept as they are. Written to ``out``."""
    made = json.loads(init.with_suffix(".json").read_text())
    model_config = replace(
        DenoiserConfig.from_dict(made["model"]), outline_channels=config.model.outline_channels
    )
    torch.manual_seed(seed)  # as train() does: the head starts where the whole recipe's does
    model = TinyVideoUNet(model_config)
    try:
        missing, unexpected = model.load_state_dict(load_file(str(init)), strict=False)
    except RuntimeError as exc:  # a tensor of another shape
        raise SystemExit(f"{init} does not fit its own config: {exc}") from None
    if unexpected or any(not key.startswith("outline.") for key in missing):
        raise SystemExit(f"{init} does not fit this model: {unexpected or missing}")
    model = model.to(config.device).requires_grad_(False)
    info = dict(made.get("training", {}))
    info["outline"] = outline = train_outline(model, config, seed, log)
    # The recipe's whole time, as train() records it when it trains the head itself.
    info["wall_seconds"] = int(info.get("wall_seconds", 0)) + int(outline["seconds"])  # type: ignore[call-overload]
    save_weights(model, out, info)
    return info


if __name__ == "__main__":
    main()
