"""The embedded text-to-video denoiser: a tiny space-time UNet in pixel space, and its sampler.

A clip is (B, 3, T, 32, 32) in [-1, 1]. The UNet folds frames into the batch for 2D
convolutions, mixes frames with temporal convolutions at every level, and runs full
space-time attention at its 4x4 bottleneck (T*16 tokens), so all frames agree on where the
object is. Each frame is modulated (FiLM) by a vector made from the learned embeddings of
the prompt's five attributes, the frame's index and the noise level: "where is the object at
frame t" is then a function the conditioning can express directly, which is what lets it
learn motion in a CPU budget.

Rectified flow: x_t = (1 - t) x0 + t * noise. The network is preconditioned like EDM
(``c_skip``/``c_out``/``c_in`` for this path) and predicts the clean clip; sampling uses
diffusers' ``FlowMatchEulerDiscreteScheduler`` with classifier-free guidance batched into one
forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from diffusers import FlowMatchEulerDiscreteScheduler
from torch import nn

from generation.engines.embedded.layout import (
    LAYOUT_SIZE,
    PLANNED,
    LayoutField,
    LayoutPlanner,
    OutlineHead,
    pixel_grid,
)
from generation.engines.embedded.vocabulary import ATTRIBUTES


@dataclass(frozen=True)
class DenoiserConfig:
    frames: int = 16  # native clip length
    resolution: int = 32  # native frame size (square)
    channels: tuple[int, int, int] = (
        32,
        64,
        128,
    )  # widths at 16x16, 8x8 and 4x4 (after 2x2 unshuffle)
    embed_dim: int = 32  # per attribute, and for the frame index
    cond_dim: int = 192  # per-frame conditioning vector fed to every block
    heads: int = 4  # space-time attention heads at the bottleneck
    head_channels: int = 24  # width of the full-resolution output head
    # Share of the noise variance that is common to all frames. Correlated noise makes the
    # frames start from the same random decisions (where the object is, its exact colour),
    # so the model only has to learn how frames differ, not to make them agree.
    frame_noise_correlation: float = 0.0
    sigma_data: float = 0.5  # assumed std of clean pixels, for preconditioning
    # Width of the layout planner and the layout field (0: neither; see ``LayoutPlanner`` and
    # ``LayoutField``), the field's output channels, and how many layouts the planner proposes.
    layout_channels: int = 0
    layout_out: int = 8
    layout_hypotheses: int = 2
    # Angular harmonics of each pixel's direction from the object's centre that the layout
    # field sees (cos/sin of k * angle, k = 1..n): the outline of a star, triangle or square
    # is a short Fourier series in that angle, which Cartesian features alone make an MLP
    # assemble slowly (0: none).
    layout_angles: int = 0
    # Octaves of the layout field's Fourier features of each pixel's object-frame position
    # (frequencies pi/2 * 2^k, k < n). More octaves let the field draw sharper corners.
    layout_octaves: int = 3
    # Width of the outline head (0: none; see ``OutlineHead``): the shape's outline in the
    # object's frame, drawn at the output size by the decode.
    outline_channels: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> DenoiserConfig:
        values = dict(values)
        values["channels"] = tuple(values["channels"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


def _zero(layer: nn.Conv2d | nn.Conv3d | nn.Linear) -> None:
    """Start a residual branch at zero, so each block begins as the identity."""
    nn.init.zeros_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(8, channels)


class ResBlock(nn.Module):
    """Two 3x3 convolutions on each frame, the second modulated by the frame's conditioning."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int) -> None:
        super().__init__()
        self.norm1 = _norm(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.norm2 = _norm(c_out)
        self.film = nn.Linear(cond_dim, 2 * c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        _zero(self.conv2)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        # x: (B*T, C, H, W); cond: (B*T, cond_dim)
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(cond)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        return self.skip(x) + self.conv2(F.silu(h))


class TemporalConv(nn.Module):
    """A kernel-3 convolution along time at every pixel (residual, starts as identity)."""

    def __init__(self, channels: int, frames: int) -> None:
        super().__init__()
        self.frames = frames
        self.norm = _norm(channels)
        self.conv = nn.Conv3d(channels, channels, (3, 1, 1), padding=(1, 0, 0))
        _zero(self.conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bt, c, h, w = x.shape
        v = x.view(bt // self.frames, self.frames, c, h, w).transpose(1, 2)  # (B, C, T, H, W)
        v = self.conv(F.silu(self.norm(v)))
        return x + v.transpose(1, 2).reshape(bt, c, h, w)


class SpaceTimeAttention(nn.Module):
    """Full self-attention over all T*H*W positions of a clip (used at the 4x4 bottleneck)."""

    def __init__(self, channels: int, frames: int, size: int, heads: int) -> None:
        super().__init__()
        self.frames, self.heads = frames, heads
        self.position = nn.Parameter(torch.randn(frames * size * size, channels) * 0.02)
        self.norm = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)
        _zero(self.out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bt, c, h, w = x.shape
        b = bt // self.frames
        tokens = (
            x.view(b, self.frames, c, h * w).permute(0, 1, 3, 2).reshape(b, -1, c)
        )  # (B, T*H*W, C)
        q, k, v = self.qkv(self.norm(tokens + self.position)).chunk(3, dim=-1)
        q, k, v = (z.view(b, -1, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v)  # (B, heads, N, C/heads)
        y = self.out(y.transpose(1, 2).reshape(b, -1, c))
        y = y.view(b, self.frames, h * w, c).permute(0, 1, 3, 2).reshape(bt, c, h, w)
        return x + y


def _noise_embedding(t: torch.Tensor, dim: int = 64) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = (t[:, None] * 1000.0) * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)  # (B, dim)


class TinyVideoUNet(nn.Module):
    """Predicts the clean clip from a noisy one, the noise level and the prompt's attributes."""

    def __init__(self, config: DenoiserConfig) -> None:
        super().__init__()
        self.config = config
        c0, c1, c2 = config.channels
        e, d, frames = config.embed_dim, config.cond_dim, config.frames
        self.attributes = nn.ModuleList([nn.Embedding(len(v) + 1, e) for v in ATTRIBUTES.values()])
        self.frame_embedding = nn.Embedding(frames, e)
        self.cond_mlp = nn.Sequential(
            nn.Linear(len(ATTRIBUTES) * e + e + 64, d), nn.SiLU(), nn.Linear(d, d), nn.SiLU()
        )
        grid = torch.linspace(-1, 1, config.resolution)
        self.register_buffer(
            "coords", torch.stack(torch.meshgrid(grid, grid, indexing="xy"))[None], persistent=False
        )
        self.stem = nn.Conv2d(5 * 4, c0, 3, padding=1)  # RGB + (x, y), unshuffled 2x2
        self.planner: LayoutPlanner | None = None
        self.layout_field: LayoutField | None = None
        head_extra = 0
        if config.layout_channels:
            lc, lo = config.layout_channels, config.layout_out
            self.planner = LayoutPlanner(e, lc, frames, config.layout_hypotheses)
            self.layout_field = LayoutField(
                lc, lo, config.resolution, config.layout_angles, config.layout_octaves
            )
            self.layout_in = nn.Conv2d(4 * lo, c0, 1)  # the field, unshuffled 2x2, into the stem
            head_extra = lo
        self.enc0 = ResBlock(c0, c0, d)
        self.tmp0 = TemporalConv(c0, frames)
        self.down0 = nn.Conv2d(c0, c1, 3, stride=2, padding=1)
        self.enc1 = ResBlock(c1, c1, d)
        self.tmp1 = TemporalConv(c1, frames)
        self.down1 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.mid1 = ResBlock(c2, c2, d)
        self.attn = SpaceTimeAttention(c2, frames, config.resolution // 8, config.heads)
        self.mid2 = ResBlock(c2, c2, d)
        self.up1 = nn.Conv2d(c2, c1, 3, padding=1)
        self.dec1 = ResBlock(2 * c1, c1, d)
        self.tmp_dec1 = TemporalConv(c1, frames)
        self.up0 = nn.Conv2d(c1, c0, 3, padding=1)
        self.dec0 = ResBlock(2 * c0, c0, d)
        self.tmp_dec0 = TemporalConv(c0, frames)
        self.out_norm = _norm(c0)
        self.out = nn.Conv2d(c0, config.head_channels * 4, 3, padding=1)
        # A small full-resolution head sees the noisy input pixels directly: removing the last
        # bit of per-pixel noise is a local job that the 2x2-unshuffled UNet learns slowly.
        hc = config.head_channels
        self.head = nn.Sequential(
            nn.Conv2d(hc + 6 + head_extra, hc, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(hc, hc, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(hc, 3, 3, padding=1),
        )
        # Made last, so that the rest of the model starts from the same random weights with or
        # without it (a model trained before it had one gets it added: train.outline_only).
        self.outline: OutlineHead | None = None
        if config.outline_channels:
            self.outline = OutlineHead(config.outline_channels)

    def conditioning(self, t: torch.Tensor, attributes: torch.Tensor) -> torch.Tensor:
        """Per-frame conditioning (B*T, cond_dim) from noise levels (B,) and attributes (B, 5)."""
        b, frames = attributes.shape[0], self.config.frames
        words = torch.cat([emb(attributes[:, i]) for i, emb in enumerate(self.attributes)], dim=1)
        per_clip = torch.cat([words, _noise_embedding(t)], dim=1)  # (B, 5e + 64)
        per_frame = self.frame_embedding.weight[None].expand(b, -1, -1)  # (B, T, e)
        stacked = torch.cat([per_clip[:, None].expand(-1, frames, -1), per_frame], dim=2)
        return self.cond_mlp(stacked.reshape(b * frames, -1))

    def layout_features(self, layout: torch.Tensor, attributes: torch.Tensor) -> torch.Tensor:
        """The layout field (B*T, layout_out, H, W): computed once per clip, reused every step."""
        assert self.layout_field is not None, "this model has no layout field"
        return self.layout_field(layout, attributes)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        attributes: torch.Tensor,
        layout: torch.Tensor | None = None,
        features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x: (B, 3, T, H, W) noisy clip; t: (B,) in [0, 1]; returns the clean-clip estimate.

        A model with a layout field needs the clip's layout (B, T, 4), or its
        ``layout_features`` when they were computed already.
        """
        b, _, frames, h, w = x.shape
        if self.layout_field is not None and features is None:
            if layout is None:
                raise ValueError("this model needs the clip's layout")
            features = self.layout_features(layout, attributes)
        sd = self.config.sigma_data
        var = ((1 - t) * sd) ** 2 + t**2
        c_in = (1 / var.sqrt())[:, None, None, None, None]
        c_skip = ((1 - t) * sd**2 / var)[:, None, None, None, None]
        c_out = (t * sd / var.sqrt())[:, None, None, None, None]
        cond = self.conditioning(t, attributes)
        frames_in = (c_in * x).transpose(1, 2).reshape(b * frames, 3, h, w)  # (B*T, 3, H, W)
        coords = self.get_buffer("coords")  # (1, 2, H, W)
        frames_in = torch.cat([frames_in, coords.expand(b * frames, -1, -1, -1)], dim=1)
        h0 = self.stem(F.pixel_unshuffle(frames_in, 2))  # (B*T, c0, H/2, W/2)
        if features is not None:
            h0 = h0 + self.layout_in(F.pixel_unshuffle(features, 2))
        h0 = self.tmp0(self.enc0(h0, cond))
        h1 = self.tmp1(self.enc1(self.down0(h0), cond))  # (B*T, c1, H/4, W/4)
        m = self.mid1(self.down1(h1), cond)  # (B*T, c2, H/8, W/8)
        m = self.mid2(self.attn(m), cond)
        u1 = self.up1(F.interpolate(m, scale_factor=2.0, mode="nearest"))
        u1 = self.tmp_dec1(self.dec1(torch.cat([u1, h1], dim=1), cond))
        u0 = self.up0(F.interpolate(u1, scale_factor=2.0, mode="nearest"))
        u0 = self.tmp_dec0(self.dec0(torch.cat([u0, h0], dim=1), cond))
        up = F.pixel_shuffle(self.out(F.silu(self.out_norm(u0))), 2)  # (B*T, hc, H, W)
        # The input's high-pass divided by the noise level is the noise itself wherever the
        # clean clip is flat, at the same scale for every t: the head only has to pass it on.
        noisy = x.transpose(1, 2).reshape(b * frames, 3, h, w)
        blur = F.avg_pool2d(noisy, 3, stride=1, padding=1, count_include_pad=False)
        t_frames = t.repeat_interleave(frames)[:, None, None, None].clamp(min=0.01)
        residual = ((noisy - blur) / t_frames).clamp(-4, 4)
        extra = [features] if features is not None else []
        out = self.head(torch.cat([up, frames_in[:, :3], residual, *extra], dim=1))  # (B*T,3,H,W)
        out = out.view(b, frames, 3, h, w).transpose(1, 2)
        return c_skip * x + c_out * out


StepCallback = Callable[[int, int, torch.Tensor], None]


def video_noise(
    shape: tuple[int, ...],
    correlation: float,
    generator: torch.Generator,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Unit-variance noise (B, C, T, H, W) whose frames share ``correlation`` of their variance."""
    b, c, _, h, w = shape
    shared = torch.randn((b, c, 1, h, w), generator=generator, device=device)
    own = torch.randn(shape, generator=generator, device=device)
    return correlation**0.5 * shared + (1 - correlation) ** 0.5 * own


@torch.no_grad()
def sample(
    model: TinyVideoUNet,
    attributes: torch.Tensor,
    *,
    steps: int,
    guidance: float,
    generator: torch.Generator,
    callback_on_step_end: StepCallback | None = None,
    shift: float = 1.0,
    noise_correlation: float | None = None,
) -> torch.Tensor:
    """Clips (B, 3, T, H, W) in [-1, 1] for attribute indices (B, 5) (see ``sample_planned``)."""
    clips, _ = sample_planned(
        model,
        attributes,
        steps=steps,
        guidance=guidance,
        generator=generator,
        callback_on_step_end=callback_on_step_end,
        shift=shift,
        noise_correlation=noise_correlation,
    )
    return clips


@torch.no_grad()
def sample_planned(
    model: TinyVideoUNet,
    attributes: torch.Tensor,
    *,
    steps: int,
    guidance: float,
    generator: torch.Generator,
    callback_on_step_end: StepCallback | None = None,
    shift: float = 1.0,
    noise_correlation: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Clips (B, 3, T, H, W) in [-1, 1] for attribute indices (B, 5), and the layout
    (B, T, 4) they were drawn with (None for a model without a planner).

    Classifier-free guidance runs the conditional and unconditional (all attributes 0) halves
    in one batched forward pass. ``callback_on_step_end(i, steps, x0_estimate)`` is called after
    each Euler step with the current clean-clip estimate. ``noise_correlation``: the share of
    the starting noise common to all frames (default: the share the model was trained with);
    1.0 starts every frame from the same noise, so what the denoiser leaves of it is the same
    in every frame and does not flicker.
    """
    cfg = model.config
    b = attributes.shape[0]
    shape = (b, 3, cfg.frames, cfg.resolution, cfg.resolution)
    correlation = cfg.frame_noise_correlation if noise_correlation is None else noise_correlation
    x = video_noise(shape, correlation, generator)
    scheduler = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=shift)
    scheduler.set_timesteps(steps)
    guided = guidance != 1.0
    both = torch.cat([attributes, torch.zeros_like(attributes)]) if guided else attributes
    features = layout = None
    if model.planner is not None:
        # The layout is planned once from the prompt; both halves of guidance draw it, so
        # guidance sharpens what the object looks like, not where it is.
        layout = model.planner.plan(attributes, generator)
        features = model.layout_features(torch.cat([layout, layout]) if guided else layout, both)
    for i, timestep in enumerate(scheduler.timesteps):
        sigma = float(scheduler.sigmas[i])
        inputs = torch.cat([x, x]) if guided else x
        x0 = model(inputs, torch.full((inputs.shape[0],), sigma), both, features=features)
        if guided:
            x0_cond, x0_uncond = x0.chunk(2)
            x0 = x0_uncond + guidance * (x0_cond - x0_uncond)
        x0 = x0.clamp(-1, 1)
        velocity = (x - x0) / sigma  # the scheduler steps along d x_t / d t = noise - x0
        x = scheduler.step(velocity, timestep, x).prev_sample
        if callback_on_step_end is not None:
            callback_on_step_end(i, steps, x0)
    return x.clamp(-1, 1), layout


def clips_to_uint8(clips: torch.Tensor) -> torch.Tensor:
    """(B, 3, T, H, W) in [-1, 1] -> uint8 (B, T, H, W, 3)."""
    return ((clips.permute(0, 2, 3, 4, 1) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def uint8_to_clips(frames: torch.Tensor) -> torch.Tensor:
    """uint8 (B, T, H, W, 3) -> (B, 3, T, H, W) in [-1, 1]."""
    return frames.permute(0, 4, 1, 2, 3).float() / 127.5 - 1


__all__ = [
    "LAYOUT_SIZE",
    "PLANNED",
    "DenoiserConfig",
    "LayoutField",
    "LayoutPlanner",
    "OutlineHead",
    "TinyVideoUNet",
    "clips_to_uint8",
    "pixel_grid",
    "sample",
    "sample_planned",
    "uint8_to_clips",
    "video_noise",
]
