"""A worker's loaded models: least recently used dropped first, and freed on out-of-memory."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from generation.engines import EngineSettings, load_engine, registry
from generation.engines.memory import EngineCache, OutOfMemory, estimate_gb
from generation.engines.registry import loaded_engines
from generation.pipelines import text_to_video
from generation.types import EngineUnavailable, VideoRequest


def test_the_cache_drops_the_least_recently_used_engine_at_capacity():
    """With room for two, loading a third drops the one used longest ago."""
    cache: EngineCache[object] = EngineCache(2, free_bytes=lambda: None, needed_bytes=lambda k: 0)
    loads: list[str] = []

    def loader(key: str):
        return lambda: loads.append(key) or object()

    a = cache.get("a", loader("a"))
    cache.get("b", loader("b"))
    assert cache.get("a", loader("a")) is a  # kept, and now the most recently used
    cache.get("c", loader("c"))
    assert cache.kept() == ["a", "c"]
    assert loads == ["a", "b", "c"]


def test_the_cache_makes_room_on_the_gpu_before_loading():
    """Engines are dropped, oldest first, until the free memory holds the next model."""
    free = {"bytes": 10}
    cache: EngineCache[object] = EngineCache(
        8, free_bytes=lambda: free["bytes"], needed_bytes=lambda key: 25 if key == "big" else 5
    )
    for key in ("a", "b", "c"):
        cache.get(key, object)
    asked: list[int] = []

    def free_after_drops() -> int:  # asked once before each drop; each drop gives back 10
        asked.append(1)
        return free["bytes"] + 10 * (len(asked) - 1)

    cache.free_bytes = free_after_drops
    cache.get("big", object)
    assert cache.kept() == ["c", "big"]  # a and b went; 10 + 2 * 10 >= 25


def test_registry_keeps_at_most_max_loaded_engines(tiny_model):
    """The registry's cache follows settings.max_loaded, dropping the oldest model."""
    paths = {kind: str(tiny_model(kind)) for kind in ("wan21-t2v", "ltx", "cogvideox-t2v")}
    settings = EngineSettings(model_paths=paths, device="cpu", max_loaded=2)
    first = load_engine("wan21-t2v", settings)
    load_engine("ltx", settings)
    load_engine("cogvideox-t2v", settings)
    assert [name for name, *_ in loaded_engines()] == ["ltx", "cogvideox-t2v"]
    assert load_engine("wan21-t2v", settings) is not first  # loaded again


def test_a_cuda_out_of_memory_fails_the_job_with_a_reason_and_frees_the_model(
    tiny_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """OOM becomes OutOfMemory (an EngineUnavailable) saying what it needs; the next job runs."""
    settings = EngineSettings(model_paths={"ltx": str(tiny_model("ltx"))}, device="cpu")
    engine = load_engine("ltx", settings)
    transformer = engine.pipes["text-to-video"].transformer  # type: ignore[attr-defined]

    def out_of_memory(*args: object, **kwargs: object) -> object:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(transformer, "forward", out_of_memory)  # only the raise is simulated
    request = VideoRequest(prompt="a ball", width=64, height=64, num_frames=9, fps=24, steps=2)
    with pytest.raises(OutOfMemory) as failed:
        text_to_video.generate(request, output=tmp_path / "a.mp4", engine="ltx", settings=settings)
    assert isinstance(failed.value, EngineUnavailable)  # the studio shows its message as is
    assert str(failed.value).startswith(
        "LTX-Video: text-to-video and image-to-video (diffusers) ran out of GPU memory: "
        "it needs ~1 GB at 64x64, 9 frames. Try a smaller size or fewer frames"
    )
    assert loaded_engines() == []  # the model was freed

    result = text_to_video.generate(
        request, output=tmp_path / "b.mp4", engine="ltx", settings=settings
    )
    assert result.num_frames == 9  # loaded afresh, without the failing forward


def test_running_out_of_memory_while_loading_frees_everything(tiny_model, monkeypatch):
    """An OOM while the weights load fails the job with the weights' size; nothing stays loaded."""
    from generation.engines import diffusers_video

    paths = {kind: str(tiny_model(kind)) for kind in ("ltx", "cogvideox-t2v")}
    settings = EngineSettings(model_paths=paths, device="cpu")
    load_engine("cogvideox-t2v", settings)

    def out_of_memory(*args: object, **kwargs: object) -> object:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(diffusers_video, "load", out_of_memory)  # only the raise is simulated
    with pytest.raises(
        OutOfMemory, match=r"does not fit in GPU memory: its weights alone need ~1 GB"
    ):
        load_engine("ltx", settings)
    assert loaded_engines() == []


def test_other_errors_pass_through_and_keep_the_model(tiny_model, tmp_path: Path, monkeypatch):
    """Only out-of-memory frees the model; other failures are not relabelled."""
    settings = EngineSettings(model_paths={"ltx": str(tiny_model("ltx"))}, device="cpu")
    engine = load_engine("ltx", settings)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine.pipes["text-to-video"].transformer, "forward", broken)  # type: ignore[attr-defined]
    request = VideoRequest(prompt="a ball", width=64, height=64, num_frames=9, fps=24, steps=2)
    with pytest.raises(RuntimeError, match="a bug"):
        text_to_video.generate(request, output=tmp_path / "a.mp4", engine="ltx", settings=settings)
    assert [name for name, *_ in loaded_engines()] == ["ltx"]


def test_the_estimate_grows_with_the_size():
    """The working-memory rule of thumb: 832x480x81 needs several GB more than 64x64x9."""
    small = estimate_gb("", VideoRequest(prompt="p", width=64, height=64, num_frames=9))
    large = estimate_gb("", VideoRequest(prompt="p", width=832, height=480, num_frames=81))
    assert large > small + 5


def test_a_cpu_device_has_no_memory_bound():
    """Free memory bounds the cache on CUDA only; on a CPU the count alone does."""
    assert registry.memory.cuda_free_bytes("cpu") is None
