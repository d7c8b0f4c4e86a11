"""Users' style LoRAs: checked against a model's layers, switched on per job at a strength."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from generation import limits
from generation.engines import (
    EngineSettings,
    check_engine_request,
    check_style_lora,
    load_engine,
    settings_from_env,
    style_loras,
)
from generation.testing import build_random_wan_lora, build_tiny_lora
from generation.types import VideoRequest

REQUEST = VideoRequest(prompt="a ball", width=32, height=32, num_frames=9, fps=16, steps=2)
# The tiny Wan's transformer (generation/testing.py): 2 blocks, 2 heads of 12, so 24 wide.
TINY_WAN = {"num_layers": 2, "num_attention_heads": 2, "attention_head_dim": 12}


@pytest.fixture(scope="module")
def loras(tiny_model, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two style LoRAs for the tiny Wan 2.1, made with peft as a training script would."""
    folder, out = tiny_model("wan21-t2v"), tmp_path_factory.mktemp("styles")
    return (
        build_tiny_lora(folder, out / "neon.safetensors", seed=1),
        build_tiny_lora(folder, out / "clay.safetensors", seed=2),
    )


def _settings(tiny_model, **kwargs) -> EngineSettings:
    return EngineSettings(model_paths={"wan": str(tiny_model("wan21-t2v"))}, device="cpu", **kwargs)


def _styled(path: Path | None, strength: float = 1.0, **changes) -> VideoRequest:
    return dataclasses.replace(REQUEST, style_lora=path, style_lora_strength=strength, **changes)


def test_a_lora_made_for_the_model_is_accepted_with_its_layers_summed_up(tiny_model, loras):
    """The tiny LoRA's 16 layers map onto the tiny Wan's transformer; the summary names them."""
    layers = style_loras.read_layers(loras[0])
    assert layers["blocks.0.attn1.to_q"] == [24, 24, 4]
    check_style_lora("wan", layers, _settings(tiny_model), family="wan2.1")
    assert style_loras.summary(layers) == (
        "16 layers (attn1.to_k, attn1.to_out.0, attn1.to_q, attn1.to_v, attn2.to_k, "
        "attn2.to_out.0, ...) in 2 blocks, rank 4"
    )


def test_a_lora_for_layers_the_model_lacks_is_refused_naming_them(tiny_model, tmp_path):
    """A LoRA for a deeper model (4 blocks) is refused, naming the blocks the tiny Wan lacks."""
    deeper = build_random_wan_lora({**TINY_WAN, "num_layers": 4}, tmp_path / "deep.safetensors")
    layers = style_loras.read_layers(deeper)
    with pytest.raises(ValueError, match="other layers") as refused:
        check_style_lora("wan", layers, _settings(tiny_model))
    message = str(refused.value)
    assert (
        "blocks.2.attn1.to_k, blocks.2.attn1.to_out.0, blocks.2.attn1.to_q and 13 more" in message
    )
    assert "not found" in message and "16 of the LoRA's 32 layers" in message


def test_a_lora_for_a_wider_model_is_refused_naming_the_shape_that_differs(tiny_model, tmp_path):
    """Same layer names, other widths (32 instead of 24): the shape that differs is named."""
    wider = build_random_wan_lora(
        {**TINY_WAN, "attention_head_dim": 16}, tmp_path / "wide.safetensors", rank=4
    )
    with pytest.raises(ValueError, match=r"shape of blocks\.0\.attn1\.to_k differs") as refused:
        check_style_lora("wan", style_loras.read_layers(wider), _settings(tiny_model))
    assert "32 -> 32" in str(refused.value) and "24 -> 24" in str(refused.value)


def test_a_lora_for_another_family_is_refused_saying_which(tiny_model, loras):
    """A LoRA recorded for LTX-Video is refused by a Wan 2.1 model before any layer is read."""
    layers = style_loras.read_layers(loras[0])
    with pytest.raises(ValueError, match=r"for LTX-Video models; this model is Wan 2\.1"):
        check_style_lora("wan", layers, _settings(tiny_model), family="ltx-video")


def test_engines_without_a_transformer_take_no_style_lora(tiny_model, loras):
    """Camera motion has no layers to adapt, so it refuses any LoRA."""
    layers = style_loras.read_layers(loras[0])
    with pytest.raises(ValueError, match="takes no style LoRA"):
        check_style_lora("camera-motion", layers, _settings(tiny_model))


def test_files_that_are_not_safetensors_are_refused(tmp_path):
    """A pickle-style .pt, a renamed text file and a file with no LoRA keys are all refused."""
    pickled = tmp_path / "style.pt"
    pickled.write_bytes(b"\x80\x04 not looked at")
    with pytest.raises(ValueError, match="safetensors only"):
        style_loras.read_layers(pickled)
    renamed = tmp_path / "notes.safetensors"
    renamed.write_bytes(b"\xff" * 8 + b"hello, not a header")
    with pytest.raises(ValueError, match="not a safetensors file: its header length is wrong"):
        style_loras.read_layers(renamed)
    from safetensors.numpy import save_file

    plain = tmp_path / "plain.safetensors"
    save_file({"blocks.0.attn1.to_q.weight": np.zeros((2, 2), np.float32)}, str(plain))
    with pytest.raises(ValueError, match="holds no LoRA layers"):
        style_loras.read_layers(plain)


def test_a_lora_over_the_size_limit_is_refused_before_it_is_read(loras, monkeypatch):
    """The cap is limits.MAX_STYLE_LORA_BYTES; the message gives the size and the limit."""
    monkeypatch.setattr(limits, "MAX_STYLE_LORA_BYTES", 1024)
    with pytest.raises(ValueError, match="may be at most 0 MB"):
        style_loras.read_layers(loras[0])


def test_a_worker_checks_the_file_itself_before_the_model_loads(tiny_model, tmp_path):
    """A request naming a LoRA that does not fit is refused by check_engine_request."""
    deeper = build_random_wan_lora({**TINY_WAN, "num_layers": 3}, tmp_path / "deep.safetensors")
    with pytest.raises(ValueError, match="not found"):
        check_engine_request("wan", _styled(deeper), _settings(tiny_model))


def test_strength_zero_equals_no_lora_and_strength_one_differs(tiny_model, loras, progress):
    """At strength 0 the LoRA adds nothing; at 1 it changes the clip; without one, the
    adapters are off: the same frames as before any LoRA was loaded."""
    engine = load_engine("wan", _settings(tiny_model))
    plain = engine.generate(REQUEST, progress).astype(np.int16)
    styled = engine.generate(_styled(loras[0], 1.0), progress).astype(np.int16)
    zero = engine.generate(_styled(loras[0], 0.0), progress).astype(np.int16)
    after = engine.generate(REQUEST, progress).astype(np.int16)
    assert np.abs(styled - plain).max() > 0
    assert np.abs(zero - plain).max() == 0
    assert np.abs(after - plain).max() == 0


def test_a_style_lora_runs_with_the_fast_preset_and_each_switches_alone(
    tiny_model, loras, tmp_path_factory, progress
):
    """Fast with a style differs from Fast alone; Fast alone afterwards is Fast again."""
    fast_lora = build_tiny_lora(
        tiny_model("wan21-t2v"), tmp_path_factory.mktemp("fast") / "fast.safetensors", seed=3
    )
    settings = _settings(tiny_model, options={"wan": {"fast-lora": str(fast_lora)}})
    engine = load_engine("wan", settings)
    fast = engine.generate(_styled(None, preset="fast"), progress)
    both = engine.generate(_styled(loras[0], 1.0, preset="fast"), progress)
    again = engine.generate(_styled(None, preset="fast"), progress)
    quality = engine.generate(REQUEST, progress)
    assert not np.array_equal(fast, both)
    assert np.array_equal(fast, again)
    assert not np.array_equal(quality, fast)


def test_the_least_recently_used_style_lora_is_deleted_when_the_engine_is_full(
    tiny_model, loras, progress
):
    """With room for one, a second LoRA replaces the first; the first loads again, same clip."""
    engine = load_engine("wan", _settings(tiny_model, max_style_loras=1))
    pipe = engine.pipes["text-to-video"]
    neon = engine.generate(_styled(loras[0]), progress)
    (neon_adapter,) = pipe.get_list_adapters()["transformer"]
    clay = engine.generate(_styled(loras[1]), progress)
    (clay_adapter,) = pipe.get_list_adapters()["transformer"]
    assert clay_adapter != neon_adapter
    assert not np.array_equal(neon, clay)
    assert np.array_equal(engine.generate(_styled(loras[0]), progress), neon)


def test_the_number_of_kept_style_loras_comes_from_the_environment():
    """REELSMITH_MAX_STYLE_LORAS sets it; unset, each model keeps 4."""
    assert settings_from_env({"REELSMITH_MAX_STYLE_LORAS": "7"}).max_style_loras == 7
    assert settings_from_env({}).max_style_loras == 4


def test_on_wan_22_a14b_a_style_lora_goes_into_both_experts(tiny_model, tmp_path, progress):
    """One file, one adapter name in ``transformer`` and ``transformer_2``; off again after."""
    folder = tiny_model("wan22-a14b-t2v")
    lora = build_tiny_lora(folder, tmp_path / "style.safetensors", seed=4)
    settings = EngineSettings(model_paths={"a14b": str(folder)}, device="cpu")
    engine = load_engine("a14b", settings)
    plain = engine.generate(REQUEST, progress)
    styled = engine.generate(_styled(lora), progress)
    adapters = engine.pipes["text-to-video"].get_list_adapters()
    assert (
        adapters["transformer"] == adapters["transformer_2"] and len(adapters["transformer"]) == 1
    )
    assert not np.array_equal(plain, styled)
    assert np.array_equal(engine.generate(REQUEST, progress), plain)
