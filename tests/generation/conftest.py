"""Fixtures for the engine tests: a test image, tiny model folders, a progress recorder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageDraw

from generation import testing
from generation.engines.registry import forget_loaded_engines
from generation.testing import build_tiny_wan

# Two threads on two shared cores ran 10-60x slower than one; the engines' tests use one.
torch.set_num_threads(1)


@dataclass
class ProgressRecorder:
    """A progress callback that remembers every call."""

    calls: list[tuple[int, int, Image.Image | None, str]] = field(default_factory=list)

    def __call__(
        self, step: int, total: int, preview: Image.Image | None = None, stage: str = "denoising"
    ) -> None:
        self.calls.append((step, total, preview, stage))

    def steps(self, stage: str) -> list[tuple[int, int]]:
        return [(step, total) for step, total, _, s in self.calls if s == stage]


@pytest.fixture
def progress() -> ProgressRecorder:
    return ProgressRecorder()


def draw_scene(width: int = 400, height: int = 300) -> Image.Image:
    """A picture with a sky, a sun, a house and lines on the ground, so motion is easy to see."""
    image = Image.new("RGB", (width, height), (110, 160, 230))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.55)
    draw.rectangle([0, horizon, width, height], fill=(60, 130, 50))
    draw.ellipse(
        [int(width * 0.65), 20, int(width * 0.8), 20 + int(width * 0.15)], fill=(255, 220, 80)
    )
    draw.rectangle(
        [int(width * 0.2), int(height * 0.4), int(width * 0.38), int(height * 0.75)],
        fill=(180, 60, 50),
    )
    for x in range(0, width, 30):
        draw.line([(x, horizon), (x + (x - width // 2), height)], fill=(30, 90, 30), width=2)
    return image


@pytest.fixture
def scene_png(tmp_path: Path) -> Path:
    path = tmp_path / "scene.png"
    draw_scene().save(path)
    return path


@pytest.fixture(scope="session")
def tiny_wan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Wan 2.1 diffusers folder, written once per test session."""
    return build_tiny_wan(tmp_path_factory.mktemp("models") / "tiny-wan")


# One tiny folder per family layout: (builder, the mode it is built for or None for both).
TINY_MODELS: dict[str, Callable[[Path], Path]] = {
    "wan21-t2v": testing.build_tiny_wan,
    "wan21-i2v": testing.build_tiny_wan_i2v,
    "wan22-ti2v": testing.build_tiny_wan22_ti2v,
    "wan22-a14b-t2v": testing.build_tiny_wan22_a14b,
    "wan22-a14b-i2v": partial(testing.build_tiny_wan22_a14b, mode="image-to-video"),
    "ltx": testing.build_tiny_ltx,
    "cogvideox-t2v": testing.build_tiny_cogvideox,
    "cogvideox-i2v": partial(testing.build_tiny_cogvideox, mode="image-to-video"),
    "kandinsky5-t2v": testing.build_tiny_kandinsky5,
    "kandinsky5-i2v": partial(testing.build_tiny_kandinsky5, mode="image-to-video"),
    "ltx2": testing.build_tiny_ltx2,
    "hunyuan15-t2v": testing.build_tiny_hunyuan15,
    "hunyuan15-i2v": partial(testing.build_tiny_hunyuan15, mode="image-to-video"),
    "skyreels-df": testing.build_tiny_skyreels_v2_df,
}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``tiny_model(kind)``: the folder of a tiny random model of that kind, built once."""
    root = tmp_path_factory.mktemp("family-models")
    built: dict[str, Path] = {}

    def folder(kind: str) -> Path:
        if kind not in built:
            built[kind] = TINY_MODELS[kind](root / kind)
        return built[kind]

    return folder


@pytest.fixture(autouse=True)
def _fresh_engines() -> None:
    # Engines are cached per process; a test that swaps a method must not leak it to another.
    forget_loaded_engines()
