"""cache=mag on tiny Wan 2.1 components: the first run calibrates and records the model's
ratios beside the worker's cache, later runs skip blocks with them, close to the uncached frames."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from generation.engines import EngineSettings, load_engine, settings_from_env
from generation.engines.diffusers_video import DiffusersVideoEngine
from generation.engines.registry import forget_loaded_engines
from generation.types import VideoRequest

REQUEST = VideoRequest(
    prompt="a red ball bounces", width=32, height=32, num_frames=9, fps=16, steps=8, seed=3
)


def _engine(tiny_model, ratios: Path, **model_options: str) -> DiffusersVideoEngine:
    forget_loaded_engines()  # a fresh load, as a restarted worker makes
    settings = EngineSettings(
        model_paths={"wan": str(tiny_model("wan21-t2v"))},
        device="cpu",
        options={"wan": dict(model_options)},
        mag_ratios_file=str(ratios),
    )
    engine = load_engine("wan", settings)
    assert isinstance(engine, DiffusersVideoEngine)
    return engine


def _computed_steps(engine: DiffusersVideoEngine) -> list[int]:
    """Counts the first block's attention runs: a step MagCache skips runs none."""
    calls: list[int] = []
    engine.pipes["text-to-video"].transformer.blocks[0].attn1.register_forward_hook(
        lambda *_: calls.append(1)
    )
    return calls


@pytest.fixture
def plain(tiny_model, tmp_path, progress) -> np.ndarray:
    return _engine(tiny_model, tmp_path / "unused.json").generate(REQUEST, progress)


def test_the_first_run_calibrates_records_the_ratios_and_skips_nothing(
    tiny_model, tmp_path, progress, plain
):
    """Calibrating, every step is computed: the frames are the uncached ones, and the file
    holds one ratio per step for this model folder's pipeline."""
    ratios = tmp_path / "cache" / "mag-ratios.json"
    engine = _engine(tiny_model, ratios, cache="mag")
    calls = _computed_steps(engine)
    frames = engine.generate(REQUEST, progress)
    assert np.array_equal(frames, plain)
    assert len(calls) == 2 * REQUEST.steps  # a conditional and an unconditional pass per step
    (entry,) = json.loads(ratios.read_text()).values()
    assert entry["steps"] == REQUEST.steps and len(entry["ratios"]) == REQUEST.steps
    assert all(0.5 < r < 2.0 for r in entry["ratios"])


def test_later_runs_skip_steps_and_stay_close_to_the_uncached_frames(
    tiny_model, tmp_path, progress, plain
):
    """With the ratios recorded, a worker that loads the model again skips some steps, and
    its frames differ from the uncached ones far less than another seed's do."""
    ratios = tmp_path / "mag-ratios.json"
    _engine(tiny_model, ratios, cache="mag").generate(REQUEST, progress)
    recorded = ratios.read_text()

    engine = _engine(tiny_model, ratios, cache="mag:0.1")
    calls = _computed_steps(engine)
    cached = engine.generate(REQUEST, progress)
    assert ratios.read_text() == recorded  # nothing recalibrated
    assert len(calls) < 2 * REQUEST.steps
    other_seed = _engine(tiny_model, tmp_path / "x.json").generate(
        replace(REQUEST, seed=4), progress
    )
    error = np.abs(cached.astype(float) - plain).mean()
    spread = np.abs(other_seed.astype(float) - plain).mean()
    assert error < 0.2 * spread, (error, spread)


def test_a_run_at_another_step_count_uses_the_recorded_ratios(tiny_model, tmp_path, progress):
    """Ratios measured at 8 steps serve a 6-step run (diffusers interpolates them)."""
    ratios = tmp_path / "mag-ratios.json"
    engine = _engine(tiny_model, ratios, cache="mag")
    engine.generate(REQUEST, progress)
    recorded = ratios.read_text()
    frames = engine.generate(replace(REQUEST, steps=6), progress)
    assert frames.shape == (9, 32, 32, 3)
    assert ratios.read_text() == recorded


def test_the_ratios_file_comes_from_the_environment():
    """REELSMITH_MAG_RATIOS names the file; unset, the default beside the cache is used."""
    named: Any = settings_from_env({"REELSMITH_MAG_RATIOS": "/var/cache/reelsmith/mag.json"})
    assert named.mag_ratios_file == "/var/cache/reelsmith/mag.json"
    assert settings_from_env({}).mag_ratios_file == ""
