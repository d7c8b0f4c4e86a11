"""Procedural, captioned training clips for the embedded text-to-video model.

One shape of one colour on a flat background, moving in one of eight ways. Clips are drawn
with Pillow at 4x and box-downsampled (so edges are antialiased), from a ``ClipSpec`` that
fully determines them; the same geometry serves the analytic evaluator as shape templates.

Two things are kept out of training so that generalisation can be measured:
``HELD_OUT_COMBOS`` (colour, shape, motion) triples are never rendered, and
``HELD_OUT_TEMPLATES`` / held-out synonyms are never used in training captions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from generation.engines.embedded.vocabulary import (
    BACKGROUNDS,
    COLOURS,
    MOTIONS,
    SHAPES,
    SIZES,
)

FRAMES = 16
RESOLUTION = 32
SUPERSAMPLE = 4

OBJECT_RGB = {
    "red": (225, 35, 35),
    "green": (40, 190, 60),
    "blue": (45, 95, 235),
    "yellow": (245, 225, 40),
    "purple": (155, 50, 195),
    "orange": (250, 140, 15),
    "white": (245, 245, 245),
}
BACKGROUND_RGB = {
    "black": (10, 10, 10),
    "gray": (120, 120, 120),
    "white": (240, 240, 240),
    "blue": (25, 45, 135),
    "green": (25, 100, 45),
    "red": (140, 25, 25),
}
# Radius of the shape's bounding circle, in output pixels (at 32x32), per size word.
SIZE_RADIUS = {"small": 5.0, "medium": 7.0, "large": 9.0}
SPIN_DEGREES = 90.0
MARGIN = 1.0  # pixels kept between the shape and the frame edge
ACROSS_JITTER = 2.0  # pixels a path may sit off the frame's middle line


def _combos() -> list[tuple[str, str, str]]:
    # A spinning circle looks exactly like a still one, so that combination is not in the world.
    return [
        (c, s, m)
        for c in COLOURS
        for s in SHAPES
        for m in MOTIONS
        if not (s == "circle" and m == "spin")
    ]


def _held_out_combos() -> frozenset[tuple[str, str, str]]:
    # A fixed draw that leaves every colour, shape and motion in training on its own.
    rng = np.random.default_rng(2024)
    combos = _combos()
    picked = [combos[i] for i in rng.choice(len(combos), size=14, replace=False)]
    return frozenset(picked)


ALL_COMBOS = _combos()
HELD_OUT_COMBOS = _held_out_combos()
SEEN_COMBOS = [c for c in ALL_COMBOS if c not in HELD_OUT_COMBOS]


@dataclass(frozen=True)
class ClipSpec:
    """Everything that determines a clip; the renderer is a pure function of it."""

    shape: str
    colour: str
    background: str
    size: str
    motion: str
    x: float  # centre at the first frame, output pixels
    y: float
    travel: float  # pixels moved over the clip (translations, bounce height)
    scale_jitter: float  # multiplies the size word's radius
    spin_direction: int  # +1 or -1


def shape_polygon(
    shape: str, cx: float, cy: float, radius: float, degrees: float
) -> list[tuple[float, float]]:
    """Vertices of a shape of bounding radius ``radius`` (circle: a 48-gon), rotated clockwise."""
    if shape == "circle":
        points = [(1.0, 2 * math.pi * k / 48) for k in range(48)]
    elif shape == "square":
        points = [(1.0 * 0.9, math.pi / 4 + k * math.pi / 2) for k in range(4)]
    elif shape == "triangle":
        # Circumradius a little over the radius so the three shapes look equally big.
        points = [(1.1, -math.pi / 2 + k * 2 * math.pi / 3) for k in range(3)]
    elif shape == "star":
        points = [(1.15 if k % 2 == 0 else 0.5, -math.pi / 2 + k * math.pi / 5) for k in range(10)]
    else:
        raise ValueError(f"unknown shape {shape!r}")
    turn = math.radians(degrees)
    return [
        (cx + radius * r * math.cos(a + turn), cy + radius * r * math.sin(a + turn))
        for r, a in points
    ]


def inside(shape: str, points: np.ndarray) -> np.ndarray:
    """Whether each point (..., 2) in the object's own frame is inside ``shape`` (float 0/1).

    The object's frame is the one the layout field draws in: centred on the object, in units
    of its bounding radius, unrotated (``shape_polygon`` at radius 1, no turn). Even-odd rule,
    so the star's concave outline is exact.
    """
    polygon = np.asarray(shape_polygon(shape, 0.0, 0.0, 1.0, 0.0))
    x, y = points[..., 0], points[..., 1]
    result = np.zeros(points.shape[:-1], dtype=bool)
    for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        result ^= crosses & (x < at)
    return result.astype(np.float32)


def coverage(
    shape: str, cx: float, cy: float, radius: float, degrees: float, res: int = RESOLUTION
) -> np.ndarray:
    """Antialiased coverage (0..1, shape (res, res)) of one shape, drawn at 4x and box-averaged."""
    big = res * SUPERSAMPLE
    image = Image.new("L", (big, big), 0)
    polygon = [
        ((x + 0.5) * SUPERSAMPLE - 0.5, (y + 0.5) * SUPERSAMPLE - 0.5)
        for x, y in shape_polygon(shape, cx - 0.5, cy - 0.5, radius, degrees)
    ]
    ImageDraw.Draw(image).polygon(polygon, fill=255)
    small = image.reduce(SUPERSAMPLE)
    return np.asarray(small, dtype=np.float32) / 255.0


def frame_geometry(spec: ClipSpec, t: float) -> tuple[float, float, float, float]:
    """Centre x, centre y, radius and rotation (degrees) at clip time ``t`` in [0, 1]."""
    radius = SIZE_RADIUS[spec.size] * spec.scale_jitter
    x, y, degrees = spec.x, spec.y, 0.0
    if spec.motion == "right":
        x += spec.travel * t
    elif spec.motion == "left":
        x -= spec.travel * t
    elif spec.motion == "down":
        y += spec.travel * t
    elif spec.motion == "up":
        y -= spec.travel * t
    elif spec.motion == "bounce":
        y -= spec.travel * abs(math.sin(2 * math.pi * t))  # two hops off the start height
    elif spec.motion == "grow":
        radius *= 0.5 + 0.5 * t
    elif spec.motion == "shrink":
        radius *= 1.0 - 0.5 * t
    elif spec.motion == "spin":
        degrees = spec.spin_direction * SPIN_DEGREES * t
    return x, y, radius, degrees


# The layout of a clip, as the model's layout planner predicts it: per frame the object's centre
# (x, y, with the frame spanning -1..1), its bounding radius (in half frame widths) and its
# rotation (in quarter turns, clockwise).
LAYOUT_FIELDS = ("x", "y", "radius", "rotation")


def clip_layout(spec: ClipSpec, frames: int = FRAMES) -> np.ndarray:
    """The clip's per-frame layout as float32 (frames, 4), in the units of ``LAYOUT_FIELDS``."""
    half = RESOLUTION / 2
    rows = []
    for i in range(frames):
        x, y, radius, degrees = frame_geometry(spec, i / (frames - 1))
        rows.append(((x - half) / half, (y - half) / half, radius / half, degrees / 90.0))
    return np.asarray(rows, dtype=np.float32)


def clip_coverage(spec: ClipSpec, frames: int = FRAMES, res: int = RESOLUTION) -> np.ndarray:
    """The object's antialiased coverage in every frame, float32 (frames, res, res) in 0..1.

    Placements are in pixels of a ``RESOLUTION`` frame; another ``res`` scales them."""
    k = res / RESOLUTION
    rows = []
    for i in range(frames):
        x, y, radius, degrees = frame_geometry(spec, i / (frames - 1))
        rows.append(coverage(spec.shape, x * k, y * k, radius * k, degrees, res))
    return np.stack(rows)


def compose(spec: ClipSpec, alpha: np.ndarray) -> np.ndarray:
    """The clip (uint8, (frames, res, res, 3)) that ``clip_coverage`` gives for ``spec``."""
    fg = np.array(OBJECT_RGB[spec.colour], dtype=np.float32)
    bg = np.array(BACKGROUND_RGB[spec.background], dtype=np.float32)
    return np.rint(bg * (1 - alpha[..., None]) + fg * alpha[..., None]).astype(np.uint8)


def render_clip(spec: ClipSpec, frames: int = FRAMES, res: int = RESOLUTION) -> np.ndarray:
    """The clip as uint8 (frames, res, res, 3)."""
    return compose(spec, clip_coverage(spec, frames, res))


def sample_spec(
    rng: np.random.Generator,
    colour: str,
    shape: str,
    motion: str,
    background: str | None = None,
    size: str | None = None,
) -> ClipSpec:
    """A random placement of one (colour, shape, motion) that keeps the shape inside the frame."""
    if background is None:
        background = str(rng.choice([b for b in BACKGROUNDS if b != colour]))
    if background == colour:
        raise ValueError(f"a {colour} shape on a {background} background would be invisible")
    size = size or str(rng.choice(SIZES))
    jitter = float(rng.uniform(0.92, 1.08))
    radius = (
        SIZE_RADIUS[size] * jitter * 1.15
    )  # 1.15: the star's and triangle's points reach further
    lo, hi = radius + MARGIN, RESOLUTION - radius - MARGIN
    room = hi - lo
    travel = 0.0
    # Placement varies a little (a few pixels) around a canonical path: enough for seeds to
    # differ, little enough that a CPU-sized model learns each motion in minutes.
    if motion in ("right", "left", "up", "down"):
        travel = max(room * float(rng.uniform(0.85, 1.0)), 0.0)
    elif motion == "bounce":
        travel = room * float(rng.uniform(0.6, 0.8))
    along = float(rng.uniform(lo, hi - travel)) if motion in ("right", "down") else 0.0
    if motion in ("left", "up"):
        along = float(rng.uniform(lo + travel, hi))
    centre = RESOLUTION / 2
    across = float(np.clip(centre + rng.uniform(-ACROSS_JITTER, ACROSS_JITTER), lo, hi))
    if motion in ("right", "left"):
        x, y = along, across
    elif motion in ("up", "down"):
        x, y = across, along
    elif motion == "bounce":
        x, y = across, float(rng.uniform(lo + travel, hi))
    else:
        # Growing, shrinking and spinning shapes stay near the middle.
        x, y = centre + float(rng.uniform(-2, 2)), centre + float(rng.uniform(-2, 2))
    return ClipSpec(
        shape=shape,
        colour=colour,
        background=background,
        size=size,
        motion=motion,
        x=x,
        y=y,
        travel=travel,
        scale_jitter=jitter,
        spin_direction=int(rng.choice([-1, 1])),
    )


# ---------------------------------------------------------------------------------------------
# Captions

MOTION_PHRASES = {
    "right": [
        "moves right",
        "slides to the right",
        "drifts right",
        "travels right",
        "moving to the right",
        "goes right",
    ],
    "left": [
        "moves left",
        "slides to the left",
        "drifts left",
        "travels left",
        "moving to the left",
        "goes left",
    ],
    "up": ["moves up", "rises", "floats upward", "goes up", "moving up"],
    "down": ["moves down", "falls", "drops", "goes down", "moving down"],
    "bounce": ["bounces", "bouncing", "hops"],
    "grow": ["grows", "gets bigger", "expands", "growing"],
    "shrink": ["shrinks", "gets smaller", "contracts", "shrinking"],
    "spin": ["spins", "rotates", "spinning", "rotating"],
}
HELD_OUT_MOTION_PHRASES = {
    "right": ["glides rightward", "heads east"],
    "left": ["glides leftwards", "heads west"],
    "up": ["climbs", "ascends"],
    "down": ["sinks", "descends"],
    "bounce": ["jumps up and down", "bobbing"],
    "grow": ["swells", "becomes larger"],
    "shrink": ["dwindles", "becomes tinier"],
    "spin": ["twirls", "whirls around"],
}
SHAPE_PHRASES = {
    "circle": ["circle", "ball", "dot"],
    "square": ["square", "box", "block"],
    "triangle": ["triangle"],
    "star": ["star"],
}
HELD_OUT_SHAPE_PHRASES = {
    "circle": ["disc", "orb"],
    "square": ["tile", "cube"],
    "triangle": ["wedge"],
    "star": ["star"],
}
SIZE_PHRASES = {
    "small": ["small", "little"],
    "medium": ["medium", "medium sized"],
    "large": ["large", "big"],
}
HELD_OUT_SIZE_PHRASES = {"small": ["tiny"], "medium": ["mid-sized"], "large": ["huge"]}
BACKGROUND_PHRASES = {b: [b] for b in BACKGROUNDS}
HELD_OUT_BACKGROUND_PHRASES = {**{b: [b] for b in BACKGROUNDS}, "gray": ["grey", "silver"]}

TEMPLATES = [
    "a {size} {colour} {shape} {motion} on a {bg} background",
    "{colour} {shape} {motion}, {bg} background",
    "a {size} {colour} {shape} on {bg} {motion}",
    "on a {bg} background a {colour} {shape} {motion}",
    "the {colour} {shape} {motion} against a {bg} backdrop",
    "{size} {colour} {shape} {motion}",
]
# The template fields of the attributes the evaluator scores.
SCORED = ("colour", "shape", "motion", "bg")
HELD_OUT_TEMPLATES = [
    "{bg} background with a {size} {shape} in {colour} that {motion}",
    "Watch the {shape}, which is {colour} and {size}, as it {motion} over a {bg} backdrop",
    "{SIZE} {COLOUR} {SHAPE}S {MOTION} slowly in the middle of a {bg} scene",
    "there is a {colour} {size} {shape} on {bg} and it {motion} gently",
]


def caption(
    spec: ClipSpec,
    rng: np.random.Generator,
    held_out: bool = False,
    drop: float = 0.0,
    complete: bool = False,
) -> str:
    """A caption for ``spec``; each attribute is left out with probability ``drop``.

    ``complete``: only templates that state every attribute the evaluator scores (a clip
    cannot be marked wrong for a background its prompt never asked for)."""
    motions = HELD_OUT_MOTION_PHRASES if held_out else MOTION_PHRASES
    shapes = HELD_OUT_SHAPE_PHRASES if held_out else SHAPE_PHRASES
    sizes = HELD_OUT_SIZE_PHRASES if held_out else SIZE_PHRASES
    bgs = HELD_OUT_BACKGROUND_PHRASES if held_out else BACKGROUND_PHRASES
    templates = HELD_OUT_TEMPLATES if held_out else TEMPLATES
    if complete:
        templates = [t for t in templates if all(f"{{{k}}}" in t.lower() for k in SCORED)]
    template = str(rng.choice(templates))
    words = {
        "size": str(rng.choice(sizes[spec.size])),
        "colour": spec.colour,
        "shape": str(rng.choice(shapes[spec.shape])),
        "motion": str(rng.choice(motions[spec.motion])),
        "bg": str(rng.choice(bgs[spec.background])),
    }
    # Leaving a word out teaches the model what to do when a prompt does not say (and gives
    # the unconditional branch that classifier-free guidance needs).
    blank = {"size": "", "colour": "", "shape": "shape", "motion": "", "bg": ""}
    for key in words:
        if rng.random() < drop:
            words[key] = blank[key]
    text = template.format(
        **words,
        SIZE=words["size"].upper(),
        COLOUR=words["colour"].upper(),
        SHAPE=words["shape"].upper(),
        MOTION=words["motion"].upper(),
    )
    return " ".join(text.replace(" ,", ",").split())


@dataclass(frozen=True)
class TrainingSample:
    spec: ClipSpec
    caption: str


def training_sample(rng: np.random.Generator, drop: float = 0.15) -> TrainingSample:
    """One seen (colour, shape, motion) combination, placed at random, with a training caption."""
    colour, shape, motion = SEEN_COMBOS[int(rng.integers(len(SEEN_COMBOS)))]
    spec = sample_spec(rng, colour, shape, motion)
    return TrainingSample(spec, caption(spec, rng, held_out=False, drop=drop))


def evaluation_set(split: str, count: int, seed: int = 0) -> list[TrainingSample]:
    """Prompts with known truth: ``seen``, ``held_out_combos`` or ``held_out_phrasings``.

    Combinations are cycled in a fixed shuffled order so that a small ``count`` still covers
    many of them. Every prompt states the colour, shape, motion and background that are scored.
    """
    rng = np.random.default_rng(
        seed + {"seen": 1, "held_out_combos": 2, "held_out_phrasings": 3}[split]
    )
    combos = sorted(HELD_OUT_COMBOS) if split == "held_out_combos" else list(SEEN_COMBOS)
    order = rng.permutation(len(combos))
    samples = []
    for k in range(count):
        colour, shape, motion = combos[int(order[k % len(combos)])]
        spec = sample_spec(rng, colour, shape, motion)
        text = caption(spec, rng, held_out=(split == "held_out_phrasings"), complete=True)
        samples.append(TrainingSample(spec, text))
    return samples
