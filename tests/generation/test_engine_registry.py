"""The engine registry: what is listed, what can run, the defaults, and loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from generation.engines import (
    EngineSettings,
    default_engine,
    get_engine_info,
    list_engines,
    load_engine,
    registry,
    settings_from_env,
)
from generation.types import EngineUnavailable


@pytest.fixture
def no_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on an install without the embedded model."""
    monkeypatch.setattr(registry, "_embedded_module", lambda: None)


def test_it_lists_the_engines_in_registry_order():
    """The embedded model comes first, then Wan, then camera motion."""
    names = [info.name for info in list_engines(EngineSettings())]
    assert names == ["embedded", "wan2.1-t2v", "camera-motion"]


def test_camera_motion_is_always_available_and_says_what_it_is():
    """Camera motion needs no weights, runs on the CPU queue and is labelled honestly."""
    info = get_engine_info("camera-motion", EngineSettings())
    assert info.available
    assert info.modes == ("image-to-video",)
    assert info.queue == "cpu"
    assert "no AI model" in info.label


def test_wan_without_a_configured_folder_says_how_to_configure_it():
    """An unconfigured Wan engine names the environment variable to set."""
    info = get_engine_info("wan2.1-t2v", EngineSettings())
    assert not info.available
    assert info.reason == "no model configured (set REELSMITH_WAN21_T2V_MODEL)"


def test_wan_with_a_missing_folder_says_where_it_looked(tmp_path: Path):
    """A configured folder without model_index.json is reported with its path."""
    settings = EngineSettings(model_paths={"wan2.1-t2v": str(tmp_path / "wan")})
    info = get_engine_info("wan2.1-t2v", settings)
    assert not info.available
    assert info.reason.startswith(f"weights not found at {tmp_path / 'wan'}")
    assert info.queue == "gpu-large"


def test_wan_with_a_diffusers_folder_is_available(tmp_path: Path):
    """A folder holding model_index.json makes Wan available."""
    (tmp_path / "model_index.json").write_text("{}")
    settings = EngineSettings(model_paths={"wan2.1-t2v": str(tmp_path)})
    assert get_engine_info("wan2.1-t2v", settings).available


def test_the_embedded_engine_is_listed_as_not_installed_when_its_package_is_missing(no_embedded):
    """Without the embedded package the engine is listed, unavailable, with the reason."""
    info = get_engine_info("embedded", EngineSettings())
    assert not info.available
    assert info.reason == "the embedded model is not installed"
    assert info.modes == ("text-to-video",)


def test_an_unknown_engine_is_refused_with_the_known_names():
    """Asking for an engine that does not exist lists the ones that do."""
    with pytest.raises(ValueError, match=r"'nonesuch'.*embedded, wan2\.1-t2v, camera-motion"):
        get_engine_info("nonesuch", EngineSettings())


def test_the_default_image_to_video_engine_is_camera_motion():
    """Image-to-video works on a fresh install, with camera motion."""
    assert default_engine("image-to-video", EngineSettings()) == "camera-motion"


def test_there_is_no_default_text_to_video_engine_when_none_is_installed(no_embedded):
    """With no embedded model and no Wan folder, text-to-video has no engine."""
    assert default_engine("text-to-video", EngineSettings()) is None


def test_wan_becomes_the_default_text_to_video_engine_once_configured(no_embedded, tmp_path):
    """A configured Wan folder is the default when the embedded model is absent."""
    (tmp_path / "model_index.json").write_text("{}")
    settings = EngineSettings(model_paths={"wan2.1-t2v": str(tmp_path)})
    assert default_engine("text-to-video", settings) == "wan2.1-t2v"


def test_loading_an_unavailable_engine_raises_with_the_reason():
    """load_engine refuses an engine that cannot run, saying why."""
    with pytest.raises(EngineUnavailable, match="no model configured"):
        load_engine("wan2.1-t2v", EngineSettings())


def test_an_engine_is_loaded_once_per_weights_and_device():
    """A worker reuses the engine it loaded instead of loading the weights again."""
    first = load_engine("camera-motion", EngineSettings())
    assert load_engine("camera-motion", EngineSettings()) is first
    assert load_engine("camera-motion", EngineSettings(device="cpu")) is not first


def test_settings_come_from_the_environment():
    """REELSMITH_WAN21_T2V_MODEL and REELSMITH_DEVICE fill the settings; blanks are unset."""
    settings = settings_from_env(
        {"REELSMITH_WAN21_T2V_MODEL": "/models/wan", "REELSMITH_DEVICE": "cuda:1"}
    )
    assert settings.model_paths == {"wan2.1-t2v": "/models/wan"}
    assert settings.device == "cuda:1"
    assert settings_from_env({"REELSMITH_WAN21_T2V_MODEL": " "}) == EngineSettings()


def test_each_engine_states_its_recommended_settings():
    """The embedded model recommends what its module says; camera motion the request's own."""
    from generation.engines import Recommended
    from generation.engines.embedded import RECOMMENDED

    engines = {info.name: info for info in list_engines(EngineSettings())}
    assert engines["embedded"].recommended == Recommended.from_dict(RECOMMENDED)
    assert (engines["embedded"].recommended.steps, engines["embedded"].recommended.guidance) == (
        10,
        2.0,
    )
    assert engines["camera-motion"].recommended == Recommended()


def test_a_family_that_states_recommended_settings_is_read(tmp_path: Path):
    """A Family's plain ``recommended`` dict wins; what it leaves out comes from the folder."""
    import dataclasses

    from generation.engines import families
    from generation.testing import build_tiny_wan

    model = families.detect(build_tiny_wan(tmp_path / "wan"))
    plain = families.recommended(model)
    assert (plain.steps, plain.guidance, plain.fps) == (20, 5.0, model.fps)
    stated = dataclasses.replace(families.WAN21, recommended={"steps": 40, "guidance": 4})
    read = families.recommended(dataclasses.replace(model, family=stated))
    assert (read.steps, read.guidance, read.frames, read.fps) == (40, 4.0, plain.frames, plain.fps)


def test_recommended_settings_refuse_a_key_they_do_not_know():
    """Only steps, guidance, frames and fps can be stated; a typo is named."""
    from generation.engines import Recommended

    with pytest.raises(ValueError, match="stpes"):
        Recommended.from_dict({"stpes": 10})
