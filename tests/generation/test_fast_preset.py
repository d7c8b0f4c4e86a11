"""The Fast preset: a model's few-step LoRA, switched on per job, from settings and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generation import cli
from generation.engines import (
    EngineSettings,
    check_engine_request,
    get_engine_info,
    load_engine,
    options,
)
from generation.testing import build_tiny_lora
from generation.types import EngineUnavailable, VideoRequest

REQUEST = VideoRequest(prompt="a ball", width=32, height=32, num_frames=9, fps=16, steps=2)


@pytest.fixture(scope="module")
def lora(tiny_model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lora") / "fast.safetensors"
    return build_tiny_lora(tiny_model("wan21-t2v"), out)


def _settings(tiny_model, **model_options: str) -> EngineSettings:
    folder = str(tiny_model("wan21-t2v"))
    return EngineSettings(
        model_paths={"wan": folder}, device="cpu", options={"wan": dict(model_options)}
    )


def test_the_fast_preset_runs_the_lora_and_quality_runs_without_it(tiny_model, lora, progress):
    """Fast differs from Quality; Quality after Fast is Quality again (the adapter is off)."""
    engine = load_engine("wan", _settings(tiny_model, **{"fast-lora": str(lora)}))
    quality = engine.generate(REQUEST, progress)
    fast = engine.generate(VideoRequest(**{**REQUEST.__dict__, "preset": "fast"}), progress)
    again = engine.generate(REQUEST, progress)
    assert not np.array_equal(quality, fast)
    assert np.array_equal(quality, again)


def test_the_fast_preset_equals_the_plain_pipeline_with_the_lora(tiny_model, lora, progress):
    """The project's Fast output is what diffusers makes with the same LoRA, seed and inputs."""
    import torch
    from diffusers import WanPipeline

    from generation.engines.diffusers_video import to_uint8

    engine = load_engine("wan", _settings(tiny_model, **{"fast-lora": str(lora)}))
    ours = engine.generate(VideoRequest(**{**REQUEST.__dict__, "preset": "fast"}), progress)
    pipe = WanPipeline.from_pretrained(str(tiny_model("wan21-t2v")))
    pipe.load_lora_weights(str(lora))
    plain = pipe(
        prompt="a ball",
        height=32,
        width=32,
        num_frames=9,
        num_inference_steps=2,
        guidance_scale=REQUEST.guidance,
        generator=torch.Generator("cpu").manual_seed(REQUEST.seed),
        output_type="np",
    ).frames[0]
    assert np.array_equal(ours, to_uint8(np.asarray(plain)))


def test_a_model_without_a_lora_refuses_the_fast_preset_before_loading(tiny_model):
    """Asking for Fast where no LoRA is set says so, naming what the model offers."""
    request = VideoRequest(**{**REQUEST.__dict__, "preset": "fast"})
    with pytest.raises(ValueError, match="no Fast preset here; it offers Quality"):
        check_engine_request("wan", request, _settings(tiny_model))
    with pytest.raises(ValueError, match="no Fast preset here"):
        check_engine_request("embedded", request, EngineSettings())


@pytest.fixture(scope="module")
def moe_loras(tiny_model, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A high-noise and a low-noise LoRA for the tiny Wan 2.2 A14B (its experts share a shape)."""
    folder, out = tiny_model("wan22-a14b-t2v"), tmp_path_factory.mktemp("moe-lora")
    return (
        build_tiny_lora(folder, out / "high_noise.safetensors", seed=1),
        build_tiny_lora(folder, out / "low_noise.safetensors", seed=2),
    )


def _moe_engine(tiny_model, **model_options: str):
    folder = str(tiny_model("wan22-a14b-t2v"))
    settings = EngineSettings(
        model_paths={"a14b": folder}, device="cpu", options={"a14b": dict(model_options)}
    )
    return load_engine("a14b", settings)


def test_an_a14b_lora_goes_into_the_high_noise_expert_only(tiny_model, moe_loras, progress):
    """One LoRA file: the adapter is on ``transformer`` (high noise), none on ``transformer_2``."""
    engine = _moe_engine(tiny_model, **{"fast-lora": str(moe_loras[0])})
    pipe = engine.pipes["text-to-video"]
    assert pipe.get_list_adapters() == {"transformer": [options.LORA_ADAPTER]}
    assert not getattr(pipe.transformer_2, "peft_config", None)
    request = VideoRequest(**{**REQUEST.__dict__, "steps": 2})
    quality = engine.generate(request, progress)
    fast = engine.generate(VideoRequest(**{**request.__dict__, "preset": "fast"}), progress)
    assert not np.array_equal(quality, fast)  # the first step is the high-noise expert's


def test_an_a14b_lora_pair_goes_into_both_experts_and_switches_together(
    tiny_model, moe_loras, progress
):
    """With fast-lora-2 each expert gets its own file; Quality after Fast has both off again."""
    high, low = (str(path) for path in moe_loras)
    engine = _moe_engine(tiny_model, **{"fast-lora": high, "fast-lora-2": low})
    pipe = engine.pipes["text-to-video"]
    adapter = options.LORA_ADAPTER
    assert pipe.get_list_adapters() == {"transformer": [adapter], "transformer_2": [adapter]}
    quality = engine.generate(REQUEST, progress)
    fast = engine.generate(VideoRequest(**{**REQUEST.__dict__, "preset": "fast"}), progress)
    assert not np.array_equal(quality, fast)
    assert np.array_equal(quality, engine.generate(REQUEST, progress))


def test_a_low_noise_lora_on_a_model_with_one_transformer_is_refused(tiny_model, lora):
    """fast-lora-2 on Wan 2.1 fails the load, saying it needs a low-noise expert."""
    settings = _settings(tiny_model, **{"fast-lora": str(lora), "fast-lora-2": str(lora)})
    with pytest.raises(EngineUnavailable, match="one transformer"):
        load_engine("wan", settings)


def test_the_registry_lists_each_engine_s_presets(tiny_model):
    """A model folder with a LoRA offers Quality and Fast; without one, and built-ins, Quality."""
    settings = _settings(tiny_model, **{"fast-lora": "/loras/fast.safetensors"})
    info = get_engine_info("wan", settings)
    assert (info.presets, info.fast_steps, info.fast_guidance) == (("quality", "fast"), 4, 1.0)
    plain = get_engine_info("wan", _settings(tiny_model))
    assert (plain.presets, plain.fast_steps, plain.fast_guidance) == (("quality",), None, None)
    assert get_engine_info("camera-motion", settings).presets == ("quality",)


def test_a_built_in_engine_refuses_fast_whatever_its_options(tiny_model):
    """The Wan 2.1 built-in engine has no LoRA switch, so options naming a LoRA do not add Fast."""
    folder = str(tiny_model("wan21-t2v"))
    settings = EngineSettings(
        model_paths={"wan2.1-t2v": folder},
        options={"wan2.1-t2v": {"fast-lora": "/loras/fast.safetensors"}},
    )
    request = VideoRequest(**{**REQUEST.__dict__, "preset": "fast"})
    with pytest.raises(ValueError, match="no Fast preset here"):
        check_engine_request("wan2.1-t2v", request, settings)


def test_a_missing_lora_file_makes_the_model_unavailable_with_the_path(tiny_model, tmp_path):
    """A fast-lora that is not there fails the load with the file named."""
    missing = tmp_path / "nowhere.safetensors"
    with pytest.raises(EngineUnavailable, match=r"nowhere\.safetensors"):
        load_engine("wan", _settings(tiny_model, **{"fast-lora": str(missing)}))


def test_fast_options_are_checked_when_the_settings_are_read() -> None:
    """Steps and guidance need a LoRA and sane values; the presets and their defaults follow."""
    with pytest.raises(ValueError, match="needs fast-lora"):
        options.parse_options(["fast-steps=4"])
    with pytest.raises(ValueError, match="give fast-lora too"):
        options.parse_options(["fast-lora-2=/low.safetensors"])
    with pytest.raises(ValueError, match="the steps are 1 to 50"):
        options.parse_options(["fast-lora=/x.safetensors", "fast-steps=0"])
    parsed = options.parse_options(["fast-lora=/x.safetensors", "fast-steps=6"])
    assert options.presets(parsed) == ["quality", "fast"]
    assert options.preset_defaults(parsed, "fast") == {"steps": 6, "guidance": 1.0}
    assert options.presets({}) == ["quality"]


def test_the_cli_fast_preset_uses_the_lora_at_its_steps(tiny_model, lora, tmp_path, capsys):
    """--preset fast with --model-option fast-lora=... runs the preset's steps."""
    out = tmp_path / "fast.mp4"
    code = cli.main(
        [
            "text-to-video",
            "--model",
            str(tiny_model("wan21-t2v")),
            "--model-option",
            f"fast-lora={lora}",
            "--model-option",
            "fast-steps=3",
            "--preset",
            "fast",
            "--prompt",
            "a ball",
            "--output",
            str(out),
            "--width",
            "64",
            "--height",
            "64",
            "--frames",
            "9",
            "--seed",
            "1",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["preset"], result["steps"], result["engine"]) == ("fast", 3, "wan2.1")
    assert out.is_file()
