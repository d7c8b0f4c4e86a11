"""The embedded engine: loads once, follows the request, reports progress."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation.engines import embedded
from generation.engines.embedded import engine, train
from generation.types import Cancelled, VideoRequest

SHIPPED = pytest.mark.skipif(not embedded.WEIGHTS.is_file(), reason="shipped weights not present")


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, Image.Image | None, str]] = []

    def __call__(
        self, step: int, total: int, preview: Image.Image | None = None, stage: str = "denoising"
    ) -> None:
        self.calls.append((step, total, preview, stage))


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("w") / "tiny.safetensors"
    train.train(
        replace(train.PRESETS["tiny"], steps=1, eval_every=100),
        seed=0,
        out=out,
        log=lambda line: None,
    )
    return out


def test_it_is_unavailable_without_weights(tmp_path: Path) -> None:
    """A missing weights file makes the engine unavailable with the path in the reason."""
    ok, reason = embedded.is_available(tmp_path / "missing.safetensors")
    assert not ok
    assert "missing.safetensors" in reason


def test_it_loads_once_per_process(tiny_weights: Path) -> None:
    """Loading twice gives the same engine object."""
    first = embedded.load({"embedded_weights": tiny_weights})
    assert embedded.load({"embedded_weights": tiny_weights}) is first
    assert first.name == "embedded"


def test_it_makes_the_requested_size_and_frame_count(tiny_weights: Path) -> None:
    """Output is uint8 (frames, height, width, 3), whatever the native size."""
    eng = embedded.load({"embedded_weights": tiny_weights})
    request = VideoRequest(prompt="a red ball", width=96, height=64, num_frames=24, steps=2)
    frames = eng.generate(request, Recorder())
    assert frames.shape == (24, 64, 96, 3)
    assert frames.dtype == np.uint8


def test_it_calls_progress_once_per_step_with_a_preview(tiny_weights: Path) -> None:
    """Each denoising step reports (step, total) and a small preview image."""
    eng = embedded.load({"embedded_weights": tiny_weights})
    recorder = Recorder()
    eng.generate(VideoRequest(prompt="a star", width=32, height=32, steps=3), recorder)
    assert [(s, t, stage) for s, t, _, stage in recorder.calls] == [
        (1, 3, "denoising"),
        (2, 3, "denoising"),
        (3, 3, "denoising"),
    ]
    assert all(isinstance(p, Image.Image) and p.size == (128, 128) for _, _, p, _ in recorder.calls)


def test_it_is_deterministic_for_a_seed(tiny_weights: Path) -> None:
    """The same seed gives the same frames; another seed differs."""
    eng = embedded.load({"embedded_weights": tiny_weights})
    request = VideoRequest(prompt="a blue square spins", width=32, height=32, steps=2, seed=5)
    a = eng.generate(request, Recorder())
    assert np.array_equal(a, eng.generate(request, Recorder()))
    assert not np.array_equal(a, eng.generate(replace(request, seed=6), Recorder()))


def test_a_cancel_from_the_callback_stops_the_run(tiny_weights: Path) -> None:
    """Cancelled raised by the progress callback propagates."""
    eng = embedded.load({"embedded_weights": tiny_weights})

    def cancel(
        step: int, total: int, preview: Image.Image | None = None, stage: str = "denoising"
    ) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        eng.generate(VideoRequest(prompt="a star", width=32, height=32, steps=3), cancel)


def test_it_rejects_nonsense_sizes(tiny_weights: Path) -> None:
    """A zero width is a clear ValueError, not a silent fix."""
    eng = embedded.load({"embedded_weights": tiny_weights})
    with pytest.raises(ValueError, match="width and height"):
        eng.generate(VideoRequest(prompt="a star", width=0), Recorder())


def test_describe_includes_the_prompt_analysis() -> None:
    """The details for VideoResult carry what the prompt analysis understood."""
    details = embedded.describe(VideoRequest(prompt="a red ball bounces over a dragon"))
    analysis = details["prompt_analysis"]
    assert analysis["shape"] == "circle"  # type: ignore[index]
    assert analysis["unknown_words"] == ["dragon"]  # type: ignore[index]


def test_time_resampling_keeps_the_first_and_last_frames() -> None:
    """Resampling 16 native frames to 32 starts and ends on the native ends."""
    frames = (
        np.arange(16, dtype=np.uint8)[:, None, None, None].repeat(2, 1).repeat(2, 2).repeat(3, 3)
    )
    out = engine.resample_time(frames, 32)
    assert out.shape[0] == 32
    assert out[0, 0, 0, 0] == 0
    assert out[-1, 0, 0, 0] == 15


@SHIPPED
def test_the_shipped_weights_make_a_default_clip() -> None:
    """The shipped model makes a 16-frame 512x512 clip with one progress call per step."""
    eng = embedded.load()
    recorder = Recorder()
    frames = eng.generate(
        VideoRequest(prompt="a red circle moves right on a black background", steps=4), recorder
    )
    assert frames.shape == (16, 512, 512, 3)
    assert len(recorder.calls) == 4
