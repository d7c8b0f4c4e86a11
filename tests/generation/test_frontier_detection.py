"""Kandinsky 5, LTX-2, HunyuanVideo 1.5 and SkyReels-V2 folders recognised from their files,
and requests their models cannot make refused before anything loads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generation.engines import EngineSettings, describe, families, options
from generation.engines.families import check_request, detect, model_size
from generation.types import VideoRequest

T2V, I2V = "text-to-video", "image-to-video"


@pytest.mark.parametrize(
    ("kind", "family", "modes"),
    [
        ("kandinsky5-t2v", "kandinsky5", (T2V,)),
        ("kandinsky5-i2v", "kandinsky5", (I2V,)),
        ("ltx2", "ltx-2", (T2V, I2V)),
        ("hunyuan15-t2v", "hunyuanvideo-1.5", (T2V,)),
        ("hunyuan15-i2v", "hunyuanvideo-1.5", (I2V,)),
        ("skyreels-df", "skyreels-v2-df", (T2V, I2V)),
    ],
)
def test_it_recognises_each_new_family_from_its_files(tiny_model, kind, family, modes):
    """model_index.json names the pipeline class; the family and the modes follow from it."""
    model = detect(tiny_model(kind))
    assert (model.family.key, model.modes) == (family, modes)


def test_the_folder_name_does_not_say_the_family(tiny_model, tmp_path):
    """A Kandinsky 5 folder named like an LTX-2 one is still Kandinsky 5."""
    renamed = shutil.copytree(tiny_model("kandinsky5-t2v"), tmp_path / "LTX-2-19B-dev")
    assert detect(renamed).family is families.KANDINSKY5


def request(**changes: object) -> VideoRequest:
    values: dict[str, object] = {"prompt": "a ball", "num_frames": 17, "fps": 24, **changes}
    return VideoRequest(**values)  # type: ignore[arg-type]


def test_kandinsky5_image_to_video_refuses_clips_too_short_to_normalise(tiny_model):
    """Below 17 frames its first-frame normalisation has nothing to compare with: NaN frames."""
    model = detect(tiny_model("kandinsky5-i2v"))
    check_request(model, request(mode=I2V, image_path=Path("x.png"), num_frames=17))
    with pytest.raises(ValueError, match=r"from 17 to 241 .* 13 is not one: choose 17\."):
        check_request(model, request(mode=I2V, image_path=Path("x.png"), num_frames=13))
    check_request(detect(tiny_model("kandinsky5-t2v")), request(num_frames=9))


def test_kandinsky5_frame_counts_off_its_grid_are_refused_not_rounded_down(tiny_model):
    """Its pipeline would round 16 frames down to 13 with a warning; the request is refused."""
    with pytest.raises(ValueError, match=r"Kandinsky 5 makes 4k \+ 1 frames.*choose 13 or 17"):
        check_request(detect(tiny_model("kandinsky5-t2v")), request(num_frames=16))


def with_config(folder: Path, component: str, **changes: object) -> Path:
    path = folder / component / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))
    return folder


def test_ltx2_takes_its_vaes_stated_ratios_and_refuses_counts_off_its_grid(tiny_model, tmp_path):
    """A VAE config that states 32x and 8x (as LTX-2's does) gives 32-pixel sides, 8k + 1 frames."""
    folder = shutil.copytree(tiny_model("ltx2"), tmp_path / "ltx2")
    with_config(folder, "vae", spatial_compression_ratio=32, temporal_compression_ratio=8)
    model = detect(folder)
    assert (model.size_multiple, model.frame_step) == (32, 8)
    check_request(model, request(num_frames=121))
    # Its pipeline would make 9 frames for 10 while the sound lasted 10 frames' time.
    with pytest.raises(ValueError, match=r"LTX-2 makes 8k \+ 1 frames.*10 is not one: choose 9"):
        check_request(model, request(num_frames=10))


def test_hunyuan15_sides_are_rounded_and_the_result_says_so(tiny_model):
    """Its pipeline floors sides to 16 silently; here they are rounded and the notes say to what."""
    model = detect(tiny_model("hunyuan15-t2v"))
    assert model_size(model, 100, 60) == (96, 64)
    settings = EngineSettings(model_paths={"hy": str(tiny_model("hunyuan15-t2v"))})
    notes = describe("hy", request(width=100, height=60), settings)
    assert notes["model_size"] == "96x64" and notes["model_family"] == "hunyuanvideo-1.5"


def test_skyreels_makes_clips_longer_than_one_window(tiny_model):
    """Up to 30 s at 24 fps (721 frames), on its 4k + 1 grid."""
    model = detect(tiny_model("skyreels-df"))
    check_request(model, request(num_frames=721))
    with pytest.raises(ValueError, match="from 5 to 721"):
        check_request(model, request(num_frames=725))


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (["window=96"], "the window is 4k \\+ 1 frames"),
        (["window=9", "overlap=9"], "overlap must be shorter than the window"),
        (["overlap=101"], "overlap must be shorter than the window"),
    ],
)
def test_window_and_overlap_options_are_checked_when_read(parts, message):
    """A window off the 4k + 1 grid, or an overlap as long as the window, fails at start-up."""
    with pytest.raises(ValueError, match=message):
        options.parse_options(parts)


@pytest.mark.parametrize(
    "family", [families.KANDINSKY5, families.LTX2, families.HUNYUAN15, families.SKYREELS_V2_DF]
)
def test_each_family_states_its_recommended_settings(family):
    """Steps, guidance, frames, frame rate and size, the frames on the family's own grid."""
    recommended = family.recommended
    assert set(recommended) == {"steps", "guidance", "num_frames", "fps", "width", "height"}
    assert (recommended["num_frames"] - 1) % family.frame_step == 0
    assert recommended["fps"] == family.fps
    assert recommended["width"] % family.min_size_multiple == 0
    assert recommended["height"] % family.min_size_multiple == 0


def test_only_ltx2_makes_sound():
    """LTX-2 makes its soundtrack with the picture; the other families are silent."""
    sounding = [f.key for f in (families.KANDINSKY5, families.LTX2, families.HUNYUAN15) if f.sound]
    assert sounding == ["ltx-2"] and not families.SKYREELS_V2_DF.sound
