"""Recognising model folders from their JSON files, and refusing requests a model cannot make."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generation.engines import families
from generation.engines.families import UnknownModel, check_request, detect, model_size
from generation.types import VideoRequest

T2V, I2V = "text-to-video", "image-to-video"


@pytest.mark.parametrize(
    ("kind", "family", "modes", "boundary"),
    [
        ("wan21-t2v", "wan2.1", (T2V,), None),
        ("wan21-i2v", "wan2.1", (I2V,), None),
        ("wan22-ti2v", "wan2.2-ti2v-5b", (T2V, I2V), None),
        ("wan22-a14b-t2v", "wan2.2-a14b", (T2V,), 0.875),
        ("wan22-a14b-i2v", "wan2.2-a14b", (I2V,), 0.9),
        ("ltx", "ltx-video", (T2V, I2V), None),
        ("cogvideox-t2v", "cogvideox", (T2V,), None),
        ("cogvideox-i2v", "cogvideox", (I2V,), None),
    ],
)
def test_it_recognises_each_family_from_its_files(tiny_model, kind, family, modes, boundary):
    """model_index.json and the component configs give the family, the modes and the MoE switch."""
    model = detect(tiny_model(kind))
    assert (model.family.key, model.modes, model.boundary_ratio) == (family, modes, boundary)


def test_the_folder_name_does_not_matter(tiny_model, tmp_path):
    """An LTX folder named like a Wan model is still LTX-Video."""
    renamed = shutil.copytree(tiny_model("ltx"), tmp_path / "Wan2.1-T2V-14B-Diffusers")
    assert detect(renamed).family is families.LTX


def test_family_limits_come_from_the_vae_and_transformer_configs(tiny_model):
    """Wan 2.2's 16x VAE needs 32-pixel multiples; CogVideoX's clip length is its sample_frames."""
    assert detect(tiny_model("wan21-t2v")).size_multiple == 16
    assert detect(tiny_model("wan22-ti2v")).size_multiple == 32
    assert detect(tiny_model("ltx")).size_multiple == 32
    cogvideox = detect(tiny_model("cogvideox-t2v"))
    assert (cogvideox.frame_step, cogvideox.max_frames) == (8, 9)


def test_a_missing_folder_says_where_it_looked(tmp_path):
    """No model_index.json: the message names the path and what was expected there."""
    with pytest.raises(
        UnknownModel, match=r"weights not found at .*nowhere \(expected a diffusers"
    ):
        detect(tmp_path / "nowhere")


def test_an_unknown_pipeline_class_is_named_with_the_ones_that_run(tmp_path):
    """A Stable Diffusion folder is refused with its class and the supported classes."""
    (tmp_path / "model_index.json").write_text(
        json.dumps({"_class_name": "StableDiffusionPipeline"})
    )
    with pytest.raises(
        UnknownModel, match=r"StableDiffusionPipeline; this worker runs WanPipeline"
    ):
        detect(tmp_path)


def request(**changes: object) -> VideoRequest:
    values: dict[str, object] = {"prompt": "a ball", "num_frames": 17, "fps": 16, **changes}
    return VideoRequest(**values)  # type: ignore[arg-type]


def test_a_frame_count_off_the_grid_is_refused_with_its_neighbours(tiny_model):
    """Wan makes 4k + 1 frames; 16 is refused with 13 and 17 offered."""
    model = detect(tiny_model("wan21-t2v"))
    with pytest.raises(ValueError) as refused:
        check_request(model, request(num_frames=16))
    assert str(refused.value) == (
        "Wan 2.1 makes 4k + 1 frames, from 5 to 81 (5, 9, 13, ...); 16 is not one: choose 13 or 17."
    )


def test_too_many_frames_are_refused(tiny_model):
    """Past the longest clip the model is trained for, the largest valid count is offered."""
    model = detect(tiny_model("wan22-a14b-t2v"))
    with pytest.raises(ValueError, match=r"from 5 to 81 .* 85 is not one: choose 81\."):
        check_request(model, request(num_frames=85))


def test_cogvideox_takes_eight_k_plus_one_frames(tiny_model):
    """CogVideoX's decoder keeps a lone first frame only for odd latent counts: 8k + 1 frames."""
    model = detect(tiny_model("cogvideox-t2v"))
    check_request(model, request(num_frames=9, fps=8))
    with pytest.raises(ValueError, match="CogVideoX makes 8k \\+ 1 frames"):
        check_request(model, request(num_frames=5, fps=8))


def test_a_frame_rate_far_from_the_trained_one_is_refused(tiny_model):
    """Wan is trained at 16 fps: 8 to 32 is accepted, 60 is refused with the range."""
    model = detect(tiny_model("wan21-t2v"))
    check_request(model, request(fps=8))
    with pytest.raises(ValueError, match="trained at 16 fps; choose a frame rate from 8 to 32"):
        check_request(model, request(fps=60))


def test_a_mode_the_model_cannot_make_is_refused(tiny_model):
    """A Wan 2.1 text-to-video folder says it makes text-to-video only."""
    model = detect(tiny_model("wan21-t2v"))
    with pytest.raises(ValueError, match=r"This Wan 2\.1 model makes text-to-video only\."):
        check_request(model, request(mode=I2V, image_path=Path("x.png")))


def test_learned_positions_fix_cogvideox_i2v_to_one_size(tmp_path, tiny_model):
    """CogVideoX-5B-I2V's learned position table covers one grid, so other sizes are refused."""
    folder = shutil.copytree(tiny_model("cogvideox-i2v"), tmp_path / "cog")
    config_path = folder / "transformer" / "config.json"
    config = json.loads(config_path.read_text())
    config.update(use_learned_positional_embeddings=True, sample_width=90, sample_height=60)
    config_path.write_text(json.dumps(config))
    model = detect(folder)
    assert families.defaults(model)["width"] == 720
    with pytest.raises(ValueError, match="makes 720x480 only, not 512x512"):
        check_request(model, request(mode=I2V, num_frames=9, fps=8))


def test_sides_round_to_the_familys_multiple(tiny_model):
    """Sides go to the nearest multiple the model needs (documented rounding), ties up."""
    assert model_size(detect(tiny_model("wan21-t2v")), 1280, 720) == (1280, 720)
    assert model_size(detect(tiny_model("ltx")), 1280, 720) == (1280, 736)
    assert model_size(detect(tiny_model("wan22-ti2v")), 40, 8) == (32, 32)


def test_defaults_suit_the_model(tiny_model):
    """About five seconds at the trained rate, on the model's frame grid."""
    assert families.defaults(detect(tiny_model("wan21-t2v"))) == {"fps": 16, "num_frames": 81}
    assert families.defaults(detect(tiny_model("ltx"))) == {"fps": 24, "num_frames": 121}
