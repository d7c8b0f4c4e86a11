"""The Wan 2.1 engine, on a tiny random pipeline saved and loaded back like a real model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation.engines import EngineSettings, families, load_engine
from generation.engines.diffusers_video import DiffusersVideoEngine as WanEngine
from generation.engines.registry import WAN21_T2V
from generation.pipelines import text_to_video
from generation.render import probe
from generation.types import Cancelled, VideoRequest

# A Wan 2.1 text-to-video folder's rules, as the wan2.1-t2v engine detects them.
WAN21 = families.ModelFolder(
    path=Path(),
    family=families.WAN21,
    pipelines={"text-to-video": "WanPipeline"},
    size_multiple=16,
    frame_step=4,
    max_frames=81,
    fps=16,
    strict=False,
)


def model_frames(num_frames: int) -> int:
    return families.model_frames(WAN21, num_frames)


def model_size(width: int, height: int) -> tuple[int, int]:
    return families.model_size(WAN21, width, height)


def settings_for(folder: Path) -> EngineSettings:
    return EngineSettings(model_paths={WAN21_T2V: str(folder)}, device="cpu")


@pytest.fixture
def engine(tiny_wan: Path) -> WanEngine:
    loaded = load_engine(WAN21_T2V, settings_for(tiny_wan))
    assert isinstance(loaded, WanEngine)
    return loaded


def request(**changes: object) -> VideoRequest:
    values: dict[str, object] = {
        "prompt": "a red ball bounces on green grass",
        "width": 16,
        "height": 16,
        "num_frames": 5,
        "steps": 2,
        "guidance": 5.0,
        "seed": 3,
        **changes,
    }
    return VideoRequest(**values)  # type: ignore[arg-type]


def count_vae_decodes(engine: WanEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    vae = engine.pipes["text-to-video"].vae
    decode = vae.decode

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return decode(*args, **kwargs)

    monkeypatch.setattr(vae, "decode", counted)
    return calls


def test_the_saved_folder_loads_through_the_projects_loader(tiny_wan):
    """A diffusers folder with model_index.json loads as the Wan engine on the CPU."""
    assert (tiny_wan / "model_index.json").is_file()
    engine = load_engine(WAN21_T2V, settings_for(tiny_wan))
    assert engine.name == "wan2.1-t2v"
    assert not list(tiny_wan.rglob("*.bin")), "weights are saved (and read) as safetensors only"


def test_it_makes_uint8_frames_of_the_requested_shape(engine, progress):
    """Five 16x16 frames come back as uint8 (T, H, W, 3)."""
    frames = engine.generate(request(), progress)
    assert frames.shape == (5, 16, 16, 3)
    assert frames.dtype == np.uint8


def test_it_reports_each_step_in_order_with_a_preview(engine, progress):
    """Every denoising step calls back once, in order, with a small RGB preview."""
    engine.generate(request(steps=3), progress)
    assert progress.steps("denoising") == [(1, 3), (2, 3), (3, 3)]
    previews = [preview for _, _, preview, _ in progress.calls]
    assert all(isinstance(p, Image.Image) and p.mode == "RGB" for p in previews)
    assert all(max(p.size) == 256 for p in previews if p is not None)


def test_the_preview_changes_as_denoising_proceeds(engine, progress):
    """Each step's preview shows that step's latents, not a copy of the first."""
    engine.generate(request(steps=3), progress)
    first, last = (np.asarray(progress.calls[i][2]) for i in (0, -1))
    assert np.abs(first.astype(int) - last).mean() > 0.5


def test_cancelling_from_the_callback_skips_the_vae_decode(engine, monkeypatch):
    """Raising Cancelled in a step stops the run before anything is decoded."""
    decodes = count_vae_decodes(engine, monkeypatch)
    steps: list[int] = []

    def cancel_at_first_step(step: int, total: int, *args: object, **kwargs: object) -> None:
        steps.append(step)
        raise Cancelled

    with pytest.raises(Cancelled):
        engine.generate(request(steps=3), cancel_at_first_step)
    assert steps == [1]
    assert decodes == []


def test_a_finished_run_decodes_once(engine, monkeypatch, progress):
    """Without cancelling, the VAE decodes the latents exactly once."""
    decodes = count_vae_decodes(engine, monkeypatch)
    engine.generate(request(), progress)
    assert decodes == [1]


def test_the_same_seed_gives_the_same_frames(engine, progress):
    """A seed reproduces its video; another seed gives another."""
    first = engine.generate(request(seed=11), progress)
    assert np.array_equal(engine.generate(request(seed=11), progress), first)
    assert not np.array_equal(engine.generate(request(seed=12), progress), first)


def test_odd_sizes_and_frame_counts_are_rounded_for_the_model_and_fitted_back(engine, progress):
    """Wan makes 16-multiple sides and 4k+1 frames; the output is exactly what was asked."""
    frames = engine.generate(request(width=24, height=20, num_frames=6), progress)
    assert frames.shape == (6, 20, 24, 3)


@pytest.mark.parametrize(
    ("asked", "made"), [(1, 1), (5, 5), (6, 9), (8, 9), (9, 9), (16, 17), (81, 81)]
)
def test_frame_counts_round_up_to_four_k_plus_one(asked, made):
    """Wan's VAE packs frames 2..n four at a time, so counts go up to the next 4k + 1."""
    assert model_frames(asked) == made


def test_sides_round_to_the_nearest_multiple_of_sixteen():
    """Each side goes to the nearest multiple of 16, halves up, never below 16."""
    assert model_size(24, 20) == (32, 16)
    assert model_size(832, 480) == (832, 480)
    assert model_size(1280, 720) == (1280, 720)
    assert model_size(8, 1000) == (16, 1008)


def test_the_pipeline_writes_an_mp4_that_reads_back(tiny_wan, tmp_path, progress):
    """Text-to-video with Wan writes an MP4 with the right frames, size and rate, and a poster."""
    result = text_to_video.generate(
        request(width=64, height=64, num_frames=5, fps=10),
        output=tmp_path / "ball.mp4",
        engine=WAN21_T2V,
        settings=settings_for(tiny_wan),
        on_progress=progress,
    )
    video = probe(result.output)
    assert (video.frames, video.width, video.height, video.fps) == (5, 64, 64, 10.0)
    assert result.poster == tmp_path / "ball.jpg" and result.poster.is_file()
    assert [stage for *_, stage in progress.calls] == ["denoising"] * 2 + ["encoding"] * 2
    assert result.details["model_frames"] == 5
