"""Shared by the tests of the Kandinsky 5, LTX-2, HunyuanVideo 1.5 and SkyReels-V2 engines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generation.engines import EngineSettings, load_engine
from generation.engines.diffusers_video import DiffusersVideoEngine
from generation.types import VideoRequest

T2V, I2V = "text-to-video", "image-to-video"
CASES = [
    ("kandinsky5-t2v", T2V),
    ("kandinsky5-i2v", I2V),
    ("ltx2", T2V),
    ("ltx2", I2V),
    ("hunyuan15-t2v", T2V),
    ("hunyuan15-i2v", I2V),
    ("skyreels-df", T2V),
    ("skyreels-df", I2V),
]


def load(tiny_model: Callable[[str], Path], kind: str, **options: str) -> DiffusersVideoEngine:
    settings = EngineSettings(
        model_paths={kind: str(tiny_model(kind))},
        device="cpu",
        options={kind: options} if options else {},
    )
    engine = load_engine(kind, settings)
    assert isinstance(engine, DiffusersVideoEngine)
    return engine


def frames_for(kind: str) -> int:
    """Kandinsky 5's image-to-video needs 17 frames or more; 9 suits every other tiny model."""
    return 17 if kind == "kandinsky5-i2v" else 9


def request_for(kind: str, mode: str, image: Path, **changes: Any) -> VideoRequest:
    values: dict[str, Any] = {
        "prompt": "a red ball bounces on green grass",
        "negative_prompt": "blurry",
        "mode": mode,
        "width": 32,
        "height": 32,
        "num_frames": frames_for(kind),
        "fps": 24,
        "steps": 2,
        "guidance": 4.0,
        "seed": 5,
        "image_path": image if mode == I2V else None,
        **changes,
    }
    return VideoRequest(**values)


def count_decodes(engine: DiffusersVideoEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    vae = engine.pipes[engine.model.modes[0]].vae  # one VAE, shared by both modes' pipelines
    decode = vae.decode

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return decode(*args, **kwargs)

    monkeypatch.setattr(vae, "decode", counted)
    return calls
