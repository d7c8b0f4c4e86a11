"""Where the object is and what its outline is: the embedded model's layout planner, its
layout field (what the denoiser is shown at 32 pixels) and its outline head (what the decode
draws at the output size). See docs/embedded-model.md."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from generation.engines.embedded.vocabulary import ATTRIBUTES

LAYOUT_SIZE = 4  # per frame: centre x, centre y, radius, rotation (see ``data.LAYOUT_FIELDS``)


PLANNED = ("shape", "size", "motion")  # the words a layout depends on


class LayoutPlanner(nn.Module):
    """Plans the object's layout in every frame from the prompt's words.

    For each frame it predicts the object's centre, bounding radius and rotation from the
    shape, size and motion embeddings and the frame's index ("a large box that moves right is
    here at frame 5"). Colour and background do not move anything, so the planner does not read
    them, and a held-out (colour, shape, motion) combination is planned like a seen one. Some
    prompts have more than one right answer (a spin goes either way), so it proposes
    ``hypotheses`` layouts with a probability each and is trained winner-takes-most; sampling
    draws one of the likely ones with the seed.
    """

    def __init__(self, embed_dim: int, hidden: int, frames: int, hypotheses: int) -> None:
        super().__init__()
        self.frames, self.hypotheses = frames, hypotheses
        self.words = nn.ModuleList(
            [nn.Embedding(len(ATTRIBUTES[name]) + 1, embed_dim) for name in PLANNED]
        )
        self.frame_embedding = nn.Embedding(frames, embed_dim)
        self.mlp = nn.Sequential(
            nn.Linear(len(PLANNED) * embed_dim + embed_dim, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hypotheses * LAYOUT_SIZE),
        )
        self.choice = nn.Sequential(
            nn.Linear(len(PLANNED) * embed_dim, hidden), nn.SiLU(), nn.Linear(hidden, hypotheses)
        )

    def forward(self, attributes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Layouts (B, K, T, 4) and their logits (B, K) for attribute indices (B, 5)."""
        columns = [list(ATTRIBUTES).index(name) for name in PLANNED]
        words = torch.cat(
            [emb(attributes[:, i]) for i, emb in zip(columns, self.words, strict=True)], dim=1
        )  # (B, 3e)
        b, frames = words.shape[0], self.frames
        per_frame = torch.cat(
            [
                words[:, None].expand(-1, frames, -1),
                self.frame_embedding.weight[None].expand(b, -1, -1),
            ],
            dim=2,
        )  # (B, T, 4e)
        layouts = self.mlp(per_frame).view(b, frames, self.hypotheses, LAYOUT_SIZE)
        return layouts.transpose(1, 2), self.choice(words)

    def loss(self, attributes: torch.Tensor, layout: torch.Tensor) -> torch.Tensor:
        """Winner-takes-most regression to the true layout (B, T, 4), plus the choice's loss."""
        layouts, logits = self(attributes)
        errors = (layouts - layout[:, None]).pow(2).mean(dim=(2, 3))  # (B, K)
        winner = errors.argmin(dim=1)
        k = self.hypotheses
        weights = F.one_hot(winner, k).float() * 0.95 + (0.05 / k if k > 1 else 0.05)
        return (weights * errors).sum(dim=1).mean() + 0.1 * F.cross_entropy(logits, winner)

    @torch.no_grad()
    def plan(self, attributes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One layout (B, T, 4) per prompt: a likely hypothesis drawn with ``generator``."""
        layouts, logits = self(attributes)
        probs = logits.softmax(dim=1)
        probs = torch.where(probs >= 0.2, probs, torch.zeros_like(probs))  # never an unlikely one
        pick = torch.multinomial(probs, 1, generator=generator)[:, 0]  # (B,)
        return layouts[torch.arange(len(pick)), pick]


class LayoutField(nn.Module):
    """Features for every pixel of every frame from the planned layout and the prompt's words.

    Each pixel's position is moved into the object's own frame (centred on the planned
    centre, divided by the planned radius, rotated back by the planned rotation); a per-pixel
    MLP of those coordinates and the word embeddings then says what is there: inside or
    outside a star, near its edge, which colour, which background. The shape is learned once,
    in the object's frame, and the layout places it: motion and size come from the planner,
    appearance from the field, and the denoiser refines the picture they make together.
    """

    def __init__(
        self, hidden: int, c_out: int, resolution: int, angles: int = 0, octaves: int = 3
    ) -> None:
        super().__init__()
        self.angles = angles
        self.register_buffer("xy", pixel_grid(resolution), persistent=False)
        self.register_buffer(
            "freqs", (2.0 ** torch.arange(octaves)) * math.pi / 2, persistent=False
        )
        self.words = nn.ModuleList(
            [nn.Embedding(len(values) + 1, hidden) for values in ATTRIBUTES.values()]
        )
        self.from_position = nn.Linear(3 + 2 * 2 * octaves + 2 * angles, hidden)
        self.mlp = nn.Sequential(
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, c_out),
        )

    def object_coordinates(
        self, layout: torch.Tensor, xy: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B, T, H, W, 2): every pixel in the object's frame for a layout (B, T, 4).

        ``xy`` (2, H, W) holds the pixel positions with the frame spanning -1..1 (default:
        the native grid); any grid works, since the field is a function of position.
        """
        xy = self.get_buffer("xy") if xy is None else xy
        centre = layout[..., :2, None, None]  # (B, T, 2, 1, 1)
        radius = layout[..., 2, None, None].clamp(min=0.05)  # (B, T, 1, 1)
        turn = layout[..., 3, None, None] * (math.pi / 2)
        d = (xy - centre) / radius[:, :, None]  # (B, T, 2, H, W)
        cos, sin = turn.cos(), turn.sin()
        u = torch.stack([d[:, :, 0] * cos + d[:, :, 1] * sin, d[:, :, 1] * cos - d[:, :, 0] * sin])
        return u.permute(1, 2, 3, 4, 0)

    def forward(self, layout: torch.Tensor, attributes: torch.Tensor) -> torch.Tensor:
        """(B*T, c_out, S, S) for a layout (B, T, 4) and attribute indices (B, 5)."""
        out = self.at(self.object_coordinates(layout), attributes)  # (B, T, S, S, c_out)
        return out.flatten(0, 1).permute(0, 3, 1, 2).contiguous()

    def at(self, u: torch.Tensor, attributes: torch.Tensor) -> torch.Tensor:
        """The field (B, ..., c_out) at object-frame points ``u`` (B, ..., 2).

        Its first channel is the object's coverage (trained so): 1 inside the shape, 0 outside,
        its 0.5 level the outline. Points in the object's frame are in units of the planned
        radius, so the outline is the same at any output size.
        """
        u = u.clamp(-3, 3)
        angles = u[..., None] * self.get_buffer("freqs")  # (B, ..., 2, octaves)
        parts = [
            u,
            u.norm(dim=-1, keepdim=True),
            angles.sin().flatten(-2),
            angles.cos().flatten(-2),
        ]
        if self.angles:
            k = torch.arange(1, self.angles + 1, dtype=u.dtype, device=u.device)
            turns = torch.atan2(u[..., 1], u[..., 0])[..., None] * k  # (B, T, S, S, n)
            parts += [turns.sin(), turns.cos()]
        position = torch.cat(parts, dim=-1)
        words = sum(emb(attributes[:, i]) for i, emb in enumerate(self.words))  # (B, hidden)
        words = words.view(words.shape[0], *([1] * (u.dim() - 2)), words.shape[-1])
        return self.mlp(self.from_position(position) + words)


class OutlineHead(nn.Module):
    """The named shape's outline at any point of the object's own frame: a coverage logit.

    The layout field draws the object for the denoiser at 32 pixels, where an outline is a few
    pixels and its corners are a pixel or two. The decode draws the object at the output size,
    where a person sees every corner, so it asks this head instead: an MLP of the point's
    position (Cartesian and Fourier features to a fine scale, the distance from the centre and
    the angular harmonics of its direction) and the shape's word, trained on exact
    inside/outside points of each shape (``train.train_outline``). It reads nothing but the
    shape word: size, place and turn come from the layout, colour from the denoised clip.
    """

    OCTAVES = 6  # Fourier features of the position at pi/2 * 2^k, k < 6: corners a 20th wide
    ANGLES = 8  # angular harmonics of the direction from the centre

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.shape_embedding = nn.Embedding(len(ATTRIBUTES["shape"]) + 1, hidden)
        self.register_buffer(
            "freqs", (2.0 ** torch.arange(self.OCTAVES)) * math.pi / 2, persistent=False
        )
        self.from_position = nn.Linear(3 + 4 * self.OCTAVES + 2 * self.ANGLES, hidden)
        self.mlp = nn.Sequential(
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, u: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
        """Logits (B, ...) that points ``u`` (B, ..., 2) are inside shape indices ``shape``
        (B,) (1 + the index in ``ATTRIBUTES["shape"]``; 0, unsaid, has no outline of its own)."""
        u = u.clamp(-3, 3)
        angles = u[..., None] * self.get_buffer("freqs")
        k = torch.arange(1, self.ANGLES + 1, dtype=u.dtype, device=u.device)
        turns = torch.atan2(u[..., 1], u[..., 0])[..., None] * k
        position = torch.cat(
            [
                u,
                u.norm(dim=-1, keepdim=True),
                angles.sin().flatten(-2),
                angles.cos().flatten(-2),
                turns.sin(),
                turns.cos(),
            ],
            dim=-1,
        )
        words = self.shape_embedding(shape)
        words = words.view(words.shape[0], *([1] * (u.dim() - 2)), words.shape[-1])
        return self.mlp(self.from_position(position) + words)[..., 0]


def pixel_grid(height: int, width: int | None = None) -> torch.Tensor:
    """(2, H, W): pixel centres of a square frame spanning -1..1 (as ``data.clip_layout``),
    or of the middle ``height`` x ``width`` of a square of the larger side (a centre crop)."""
    width = height if width is None else width
    side = max(height, width)

    def centres(count: int) -> torch.Tensor:
        first = (side - count) // 2
        return (torch.arange(first, first + count, dtype=torch.float32) + 0.5) / (side / 2) - 1

    return torch.stack(torch.meshgrid(centres(width), centres(height), indexing="xy"))
