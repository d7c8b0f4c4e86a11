"""Distilled checkpoints: their Recommended and Fast settings are the steps and guidance their
authors publish, whether the folder's config, its published name or the operator says what it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import pytest
import torch

from generation.engines import EngineSettings, get_engine_info, load_engine, options
from generation.engines.diffusers_video import DiffusersVideoEngine, call_arguments
from generation.engines.families import detect
from generation.types import VideoRequest
from tests.generation.frontier import T2V, request_for


def _folder(root: Path, name: str, class_name: str, **transformer: Any) -> Path:
    """A folder with only the JSON files that say what it is (nothing here loads weights)."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": class_name}))
    if transformer:
        (folder / "transformer").mkdir()
        (folder / "transformer" / "config.json").write_text(json.dumps(transformer))
    return folder


def _info(folder: Path, **model_options: str) -> Any:
    settings = EngineSettings(
        model_paths={"model": str(folder)}, options={"model": dict(model_options)}
    )
    return get_engine_info("model", settings)


@pytest.mark.parametrize(
    ("name", "class_name", "steps", "guidance", "fast"),
    [
        ("LTX-2-Distilled-Diffusers", "LTX2Pipeline", 8, 1.0, True),
        (
            "Kandinsky-5.0-T2V-Lite-distilled16steps-5s-Diffusers",
            "Kandinsky5T2VPipeline",
            16,
            1.0,
            True,
        ),
        (
            "HunyuanVideo-1.5-Diffusers-480p_i2v_step_distilled",
            "HunyuanVideo15ImageToVideoPipeline",
            8,
            1.0,
            True,
        ),
        # Distilled for guidance only: the family's own steps, no guidance, no Fast preset.
        ("Kandinsky-5.0-T2V-Lite-nocfg-5s-Diffusers", "Kandinsky5T2VPipeline", 50, 1.0, False),
        ("HunyuanVideo-1.5-Diffusers-480p_t2v_distilled", "HunyuanVideo15Pipeline", 50, 1.0, False),
    ],
)
def test_a_folder_published_as_distilled_recommends_its_published_settings(
    tmp_path, name, class_name, steps, guidance, fast
):
    """The name its authors publish it under marks it: Recommended (and Fast) follow it."""
    info = _info(_folder(tmp_path, name, class_name))
    assert info.available, info.reason
    assert (info.recommended.steps, info.recommended.guidance) == (steps, guidance)
    assert ("fast" in info.presets) is fast
    if fast:
        assert (info.fast_steps, info.fast_guidance) == (steps, guidance)
    else:
        assert info.fast_steps is None


@pytest.mark.parametrize(
    ("name", "class_name", "steps", "guidance"),
    [
        ("LTX-2", "LTX2Pipeline", 30, 3.0),
        ("Kandinsky-5.0-T2V-Lite-sft-5s-Diffusers", "Kandinsky5T2VPipeline", 50, 5.0),
        ("HunyuanVideo-1.5-Diffusers-480p_i2v", "HunyuanVideo15ImageToVideoPipeline", 50, 6.0),
    ],
)
def test_a_full_checkpoint_keeps_its_familys_settings_and_no_fast_preset(
    tmp_path, name, class_name, steps, guidance
):
    """Nothing marks it as distilled: its family's settings, Quality only."""
    info = _info(_folder(tmp_path, name, class_name))
    assert (info.recommended.steps, info.recommended.guidance) == (steps, guidance)
    assert info.presets == ("quality",)


def test_hunyuanvideo_15_s_meanflow_transformer_marks_the_step_distilled_checkpoint(tmp_path):
    """Its config says so whatever the folder is called: 8 steps at guidance 1."""
    folder = _folder(tmp_path, "hy", "HunyuanVideo15ImageToVideoPipeline", use_meanflow=True)
    assert detect(folder).distilled is not None
    info = _info(folder)
    assert (info.recommended.steps, info.recommended.guidance) == (8, 1.0)
    assert "fast" in info.presets


def test_a_hub_snapshot_is_known_by_its_repositorys_name(tmp_path):
    """hub:owner/name resolves to .../models--owner--name/snapshots/<commit>: that name counts."""
    snapshot = "models--diffusers--LTX-2-Distilled-Diffusers/snapshots/0123abcd"
    distilled = detect(_folder(tmp_path, snapshot, "LTX2Pipeline")).distilled
    assert distilled is not None and (distilled.steps, distilled.guidance) == (8, 1.0)


def test_the_operator_names_a_distilled_checkpoint_and_may_set_its_fast_steps(tmp_path):
    """``distilled`` in REELSMITH_MODELS: the family's published settings; fast-steps wins."""
    folder = _folder(tmp_path, "ltx2-local", "LTX2Pipeline")
    named = _info(folder, **options.parse_options(["distilled"]))
    assert (named.recommended.steps, named.fast_steps, named.fast_guidance) == (8, 8, 1.0)
    tuned = _info(folder, **options.parse_options(["distilled", "fast-steps=12"]))
    assert (tuned.fast_steps, tuned.recommended.steps) == (12, 8)


def test_fast_steps_without_a_lora_or_a_distilled_checkpoint_are_refused():
    """The message names both ways to have a Fast preset."""
    with pytest.raises(ValueError, match=r"needs fast-lora .*distilled"):
        options.parse_options(["fast-steps=8"])


def test_distilled_on_a_family_with_no_published_distilled_checkpoint_is_unavailable(tmp_path):
    """Wan 2.1 has none: the engine is listed as unavailable, saying what to do instead."""
    folder = _folder(tmp_path, "wan", "WanPipeline")
    info = _info(folder, distilled="")
    assert not info.available
    assert "no published distilled checkpoint" in info.reason and "fast-lora" in info.reason


# On tiny components: the distilled LTX-2's Fast preset runs as its authors run it.


@pytest.fixture
def distilled_ltx2(tiny_model, tmp_path: Path) -> Path:
    """The tiny LTX-2 folder under the distilled checkpoint's published name."""
    link = tmp_path / "LTX-2-Distilled-Diffusers"
    link.symlink_to(tiny_model("ltx2"), target_is_directory=True)
    return link


def _fast_request(**changes: Any) -> VideoRequest:
    values: dict[str, Any] = {"preset": "fast", "steps": 8, "guidance": 1.0, **changes}
    return request_for("ltx2", T2V, Path(), **values)


def test_the_distilled_ltx2_runs_its_own_sigma_schedule_at_its_steps(distilled_ltx2):
    """At 8 steps the pipeline gets diffusers' DISTILLED_SIGMA_VALUES; at others, none."""
    from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES

    model = detect(distilled_ltx2)
    kwargs = call_arguments(model, None, _fast_request(), 32, 32)
    assert kwargs["sigmas"] == list(DISTILLED_SIGMA_VALUES)
    assert "sigmas" not in call_arguments(model, None, _fast_request(steps=4), 32, 32)
    assert "sigmas" not in call_arguments(
        detect(distilled_ltx2.resolve()), None, _fast_request(), 32, 32
    )


def test_the_distilled_ltx2_fast_preset_equals_the_published_diffusers_call(
    distilled_ltx2, progress
):
    """Fast through the engine makes what diffusers makes when called as the checkpoint's
    authors call it: 8 steps, its sigma schedule, guidance 1 (frames and sound within 1e-3)."""
    from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES

    settings = EngineSettings(model_paths={"ltx2": str(distilled_ltx2)}, device="cpu")
    assert get_engine_info("ltx2", settings).presets == ("quality", "fast")
    engine = load_engine("ltx2", settings)
    assert isinstance(engine, DiffusersVideoEngine)
    request = _fast_request()
    clip = engine.generate_clip(request, progress)

    pipe = diffusers.LTX2Pipeline.from_pretrained(str(distilled_ltx2))
    pipe.set_progress_bar_config(disable=True)
    output = pipe(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        height=32,
        width=32,
        num_frames=request.num_frames,
        frame_rate=24.0,
        num_inference_steps=8,
        sigmas=DISTILLED_SIGMA_VALUES,
        guidance_scale=1.0,
        generator=torch.Generator("cpu").manual_seed(request.seed),
        output_type="np",
    )
    plain = np.asarray(output.frames[0])
    assert np.abs(clip.frames / 255.0 - np.clip(plain, 0, 1)).max() <= 0.5 / 255 + 1e-3
    assert clip.sound is not None
    assert np.abs(clip.sound.samples - output.audio[0].numpy()).max() <= 1e-3
