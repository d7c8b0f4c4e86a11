"""Operator-named model folders: REELSMITH_MODELS, their registry entries, early refusal."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import huggingface_hub
import pytest

from generation.engines import (
    EngineSettings,
    ModelEntry,
    check_engine_request,
    get_engine_info,
    list_engines,
    parse_models,
    settings_from_env,
)
from generation.engines.registry import loaded_engines
from generation.pipelines import text_to_video
from generation.types import EngineUnavailable, VideoRequest


def test_models_are_listed_with_their_queues():
    """name=folder:queue entries, by commas or new lines; the queue defaults to gpu-large."""
    text = "wan22-a14b=/models/wan22:gpu-large, ltx=/models/ltx:gpu-small\ncog=/models/cog"
    assert parse_models(text) == {
        "wan22-a14b": ModelEntry("/models/wan22", "gpu-large"),
        "ltx": ModelEntry("/models/ltx", "gpu-small"),
        "cog": ModelEntry("/models/cog", "gpu-large"),
    }


def test_options_follow_an_entry_after_semicolons():
    """Memory and speed options ride on the entry and reach the settings by engine name."""
    text = "ltx=/models/ltx:gpu-small;vae-tiling;first-block-cache=0.05, wan=/m/wan;offload=group"
    assert parse_models(text)["ltx"].options == {"vae-tiling": "", "first-block-cache": "0.05"}
    settings = settings_from_env({"REELSMITH_MODELS": text})
    assert settings.options == {
        "ltx": {"vae-tiling": "", "first-block-cache": "0.05"},
        "wan": {"offload": "group"},
    }
    assert settings.queues == {"ltx": "gpu-small", "wan": "gpu-large"}


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("fast", "Unknown model option 'fast'; the options are: vae-tiling, offload"),
        ("offload=disk", "'offload=disk': offload is model or group"),
        ("vae-tiling=yes", "'vae-tiling=yes': vae-tiling is decode the video in tiles"),
        ("first-block-cache=2", "the threshold is between 0 and 1"),
    ],
)
def test_a_bad_option_is_refused_when_the_settings_are_read(option, message):
    """A typo fails at start-up, naming the option and what it takes."""
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_models(f"ltx=/models/ltx;{option}")


@pytest.mark.parametrize(
    "text", ["ltx", "ltx=", "LTX=/m", "ltx=/m:GPU small", "ltx=/a,ltx=/b", "camera-motion=/m"]
)
def test_a_malformed_entry_is_refused_by_name(text):
    """A bad entry, a repeated name or a built-in engine's name is a ValueError naming it."""
    with pytest.raises(ValueError, match="REELSMITH_MODELS"):
        parse_models(text)


def test_settings_gather_the_models_and_keep_the_wan_variable():
    """REELSMITH_MODELS adds engines beside REELSMITH_WAN21_T2V_MODEL, which still works."""
    settings = settings_from_env(
        {
            "REELSMITH_WAN21_T2V_MODEL": "/models/wan21",
            "REELSMITH_MODELS": "ltx=/models/ltx:gpu-small",
            "REELSMITH_MAX_LOADED_MODELS": "3",
        }
    )
    assert settings.model_paths == {"wan2.1-t2v": "/models/wan21", "ltx": "/models/ltx"}
    assert settings.queues == {"ltx": "gpu-small"}
    assert settings.max_loaded == 3


def test_each_model_folder_is_an_engine_with_family_modes_and_queue(tiny_model):
    """Listed after Wan 2.1, before camera motion, labelled with the family and its modes."""
    settings = EngineSettings(
        model_paths={"moe": str(tiny_model("wan22-a14b-t2v")), "ltx": str(tiny_model("ltx"))},
        queues={"ltx": "gpu-small"},
    )
    names = [info.name for info in list_engines(settings)]
    assert names == ["embedded", "wan2.1-t2v", "moe", "ltx", "camera-motion"]
    moe, ltx = get_engine_info("moe", settings), get_engine_info("ltx", settings)
    assert moe.label == "Wan 2.2 A14B (MoE): text-to-video (diffusers)"
    assert (moe.modes, moe.queue, moe.available) == (("text-to-video",), "gpu-large", True)
    assert ltx.label == "LTX-Video: text-to-video and image-to-video (diffusers)"
    assert (ltx.modes, ltx.queue) == (("text-to-video", "image-to-video"), "gpu-small")


def test_a_folder_that_is_not_there_is_listed_unavailable_with_the_reason(tmp_path):
    """The editor shows where the worker looked."""
    info = get_engine_info("ltx", EngineSettings(model_paths={"ltx": str(tmp_path / "gone")}))
    assert not info.available
    assert info.reason.startswith(f"weights not found at {tmp_path / 'gone'}")


def test_a_request_is_refused_before_the_model_loads(tiny_model, tmp_path):
    """A frame count the model cannot make fails with the valid ones, and nothing is loaded."""
    settings = EngineSettings(model_paths={"ltx": str(tiny_model("ltx"))}, device="cpu")
    request = VideoRequest(prompt="a ball", width=64, height=64, num_frames=16, fps=24)
    with pytest.raises(ValueError, match="16 is not one: choose 13 or 17"):
        text_to_video.generate(request, output=tmp_path / "x.mp4", engine="ltx", settings=settings)
    assert loaded_engines() == []


def test_an_unreadable_folder_is_unavailable_when_checked(tmp_path):
    """check_engine_request says why a configured folder cannot run."""
    settings = EngineSettings(model_paths={"ltx": str(tmp_path / "gone")})
    with pytest.raises(EngineUnavailable, match="The ltx engine cannot run here: weights not"):
        check_engine_request("ltx", VideoRequest(prompt="p"), settings)


def test_the_pipeline_runs_an_operator_named_model(tiny_model, tmp_path: Path, progress):
    """Text-to-video through the registry: an MP4, the family in the details, per-step progress."""
    settings = EngineSettings(model_paths={"ti2v": str(tiny_model("wan22-ti2v"))}, device="cpu")
    request = VideoRequest(prompt="a ball", width=64, height=64, num_frames=5, fps=24, steps=2)
    result = text_to_video.generate(
        request, output=tmp_path / "x.mp4", engine="ti2v", settings=settings, on_progress=progress
    )
    assert result.output.is_file() and result.num_frames == 5
    assert result.details["model_family"] == "wan2.2-ti2v-5b"
    assert progress.steps("denoising") == [(1, 2), (2, 2)]


def fake_hub_cache(root: Path, repo_id: str, folder: Path) -> None:
    """Lay ``folder`` out as the Hugging Face cache keeps a downloaded snapshot."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    shutil.copytree(folder, repo / "snapshots" / "0123abcd")


def test_a_hub_id_runs_from_the_workers_cache(tiny_model, tmp_path, monkeypatch, progress):
    """hub:owner/name is found in the local cache, recognised and loaded without the network."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    fake_hub_cache(tmp_path / "hub", "acme/tiny-ltx", tiny_model("ltx"))
    settings = settings_from_env({"REELSMITH_MODELS": "ltx=hub:acme/tiny-ltx:gpu-small"})
    assert settings.model_paths == {"ltx": "hub:acme/tiny-ltx"}
    info = get_engine_info("ltx", dataclasses.replace(settings, device="cpu"))
    assert (info.available, info.queue) == (True, "gpu-small")
    request = VideoRequest(prompt="a ball", width=64, height=64, num_frames=9, fps=24, steps=2)
    result = text_to_video.generate(
        request,
        output=tmp_path / "x.mp4",
        engine="ltx",
        settings=dataclasses.replace(settings, device="cpu"),
        on_progress=progress,
    )
    assert result.details["model_family"] == "ltx-video"


def test_a_hub_id_not_downloaded_says_how_to_fetch_it(tmp_path, monkeypatch):
    """Nothing is downloaded: the editor shows the command that fetches the model."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    info = get_engine_info("ltx", settings_from_env({"REELSMITH_MODELS": "ltx=hub:acme/ltx"}))
    assert not info.available
    assert info.reason == (
        "the hub model acme/ltx is not downloaded on this worker (run `hf download acme/ltx` there)"
    )
