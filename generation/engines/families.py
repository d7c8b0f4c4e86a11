"""Which video model a diffusers folder holds, what it can make, and what requests it accepts.

A folder is recognised by what it says about itself, never by its name: ``model_index.json``
names the pipeline class and its components, and the components' ``config.json`` files give the
rest (a ``transformer_2`` means Wan 2.2's two experts; ``expand_timesteps`` or a 48-channel VAE
means Wan 2.2 TI2V-5B). Only small JSON files are read, so the web process can list engines
without torch.

Each family's limits come from its diffusers pipeline (``check_inputs`` and the docstrings in
diffusers 0.42) and its VAE: sides are rounded to the multiple the VAE and the transformer's
patches need (documented rounding; the frames are resized back to the request), while frame
counts, frame rates and modes a model cannot make are refused with a message naming what is valid.

One folder is held to looser rules (``ModelFolder.strict`` False): the Wan 2.1 text-to-video
folder of REELSMITH_WAN21_T2V_MODEL (the engine wan2.1-t2v), whose requests predate these
checks: its frame count goes up to the next 4k + 1 (the extra frames are dropped afterwards) and
any frame rate is taken, but the family's longest clip still holds.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generation.engines.base import Recommended
from generation.types import Mode, VideoRequest

T2V: Mode = "text-to-video"
I2V: Mode = "image-to-video"


@dataclass(frozen=True)
class Family:
    """A model family: the defaults its authors publish."""

    key: str  # short name: "wan2.1", "wan2.2-ti2v-5b", "wan2.2-a14b", "ltx-video", "cogvideox"
    label: str  # shown in the editor
    fps: int  # the frame rate its clips are trained at
    max_frames: int  # the longest clip it is trained to make
    frame_step: int  # frame counts are frame_step * k + 1 (the VAE's time compression)
    min_size_multiple: int  # the least multiple its pipeline accepts, whatever the VAE says
    sound: bool = False  # it makes a soundtrack with the picture
    # The settings its authors publish (steps, guidance, num_frames, fps, width, height), for
    # the editor to start from.
    recommended: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Distilled:
    """A distilled checkpoint's published settings, as its authors run it: fewer steps (step
    distillation) and no classifier-free guidance (guidance distillation)."""

    steps: int | None  # None: distilled for guidance only, run at the family's own steps
    guidance: float
    marked_by: str  # what says the folder is one: its config, its published name, the operator


# The step-distilled checkpoints each family's authors publish, and the (steps, guidance) they
# run them at: LTX-2's distilled checkpoint ("LTX-2-Distilled-Diffusers") in 8 steps on its own
# sigma schedule without guidance; HunyuanVideo 1.5's 480p step-distilled image-to-video in 8 or
# 12 steps (8 here) at guidance 1; Kandinsky 5 Lite's "distilled16steps" in 16 at guidance 1.
STEP_DISTILLED: dict[str, tuple[int, float]] = {
    "ltx-2": (8, 1.0),
    "hunyuanvideo-1.5": (8, 1.0),
    "kandinsky5": (16, 1.0),
}
NO_GUIDANCE = 1.0  # a guidance-distilled checkpoint ("nocfg", HunyuanVideo 1.5's "distilled")


WAN21 = Family("wan2.1", "Wan 2.1", fps=16, max_frames=81, frame_step=4, min_size_multiple=16)
WAN22_TI2V = Family(
    "wan2.2-ti2v-5b", "Wan 2.2 TI2V-5B", fps=24, max_frames=121, frame_step=4, min_size_multiple=32
)
WAN22_MOE = Family(
    "wan2.2-a14b", "Wan 2.2 A14B (MoE)", fps=16, max_frames=81, frame_step=4, min_size_multiple=16
)
# LTX-Video's own pipeline refuses sides that are not multiples of 32 and packs 8 frames per
# latent frame; its model card asks for 8k + 1 frames up to 257.
LTX = Family("ltx-video", "LTX-Video", fps=24, max_frames=257, frame_step=8, min_size_multiple=32)
# CogVideoX 1.0 makes 49 frames at 8 fps, 1.5 makes 81 at 16 fps; the transformer's config says
# which (sample_frames), so max_frames and fps here are the 1.0 values, replaced on detection.
# Its VAE packs 4 frames per latent frame but doubles time twice on decode, keeping a lone first
# frame only when the latent frame count is odd, so whole clips are 8k + 1 frames (49 = 8*6 + 1).
COGVIDEOX = Family(
    "cogvideox", "CogVideoX", fps=8, max_frames=49, frame_step=8, min_size_multiple=16
)

# Kandinsky 5 (Lite 2B, Pro 19B): its pipelines refuse sides that are not multiples of 16 and
# round other frame counts down to 4k + 1 with a warning; clips are 5 or 10 s at 24 fps. Its
# image-to-video renormalises the first four latent frames against the ones after them, so it
# needs five latent frames (17 frames) or more: with fewer, every frame comes out NaN.
KANDINSKY5 = Family(
    "kandinsky5",
    "Kandinsky 5",
    fps=24,
    max_frames=241,
    frame_step=4,
    min_size_multiple=16,
    recommended={
        "steps": 50,
        "guidance": 5.0,
        "num_frames": 121,
        "fps": 24,
        "width": 768,
        "height": 512,
    },
)
KANDINSKY5_I2V_MIN_FRAMES = 17
# LTX-2 makes the picture and its soundtrack in one pass. Its pipeline refuses sides that are
# not multiples of 32, but takes any frame count: off the 8k + 1 grid it returns fewer frames
# than asked while the sound follows the count asked, so counts off the grid are refused here.
LTX2 = Family(
    "ltx-2",
    "LTX-2",
    fps=24,
    max_frames=481,  # the pipeline's longest clip: 20 s at 24 fps
    frame_step=8,
    min_size_multiple=32,
    sound=True,
    recommended={
        "steps": 30,
        "guidance": 3.0,
        "num_frames": 121,
        "fps": 24,
        "width": 768,
        "height": 512,
    },
)
# HunyuanVideo 1.5 (8.3B, 480p and 720p): its pipeline floors sides to multiples of 16 and
# frame counts to 4k + 1 without a word, so sides are rounded here (and said so in the result's
# notes) and frame counts off the grid refused. Image-to-video takes no size: it picks the
# trained size nearest the image's shape, which this project crops to the request's shape.
HUNYUAN15 = Family(
    "hunyuanvideo-1.5",
    "HunyuanVideo 1.5",
    fps=24,
    max_frames=121,
    frame_step=4,
    min_size_multiple=16,
    recommended={
        "steps": 50,
        "guidance": 6.0,
        "num_frames": 121,
        "fps": 24,
        "width": 848,
        "height": 480,
    },
)
# SkyReels-V2 diffusion forcing: Wan 2.1's VAE and layout; one window is base_num_frames (97 at
# 540p) and longer clips are made window after window, each starting from the last one's final
# ``overlap`` frames, up to 30 s at 24 fps here.
SKYREELS_V2_DF = Family(
    "skyreels-v2-df",
    "SkyReels-V2 (diffusion forcing)",
    fps=24,
    max_frames=721,
    frame_step=4,
    min_size_multiple=16,
    recommended={
        "steps": 30,
        "guidance": 6.0,
        "num_frames": 97,
        "fps": 24,
        "width": 960,
        "height": 544,
    },
)
SKYREELS_WINDOW, SKYREELS_OVERLAP = 97, 17  # frames: the 540p models' window and overlap

WAN_PIPELINES = {"WanPipeline": T2V, "WanImageToVideoPipeline": I2V}
LTX_PIPELINES = {"LTXPipeline": T2V, "LTXImageToVideoPipeline": I2V}
COGVIDEOX_PIPELINES = {"CogVideoXPipeline": T2V, "CogVideoXImageToVideoPipeline": I2V}
KANDINSKY5_PIPELINES = {"Kandinsky5T2VPipeline": T2V, "Kandinsky5I2VPipeline": I2V}
LTX2_PIPELINES = {"LTX2Pipeline": T2V, "LTX2ImageToVideoPipeline": I2V}
HUNYUAN15_PIPELINES = {
    "HunyuanVideo15Pipeline": T2V,
    "HunyuanVideo15ImageToVideoPipeline": I2V,
}
SKYREELS_DF_PIPELINES = {
    "SkyReelsV2DiffusionForcingPipeline": T2V,
    "SkyReelsV2DiffusionForcingImageToVideoPipeline": I2V,
}
KNOWN_PIPELINES = (
    *WAN_PIPELINES,
    *LTX_PIPELINES,
    *COGVIDEOX_PIPELINES,
    *KANDINSKY5_PIPELINES,
    *LTX2_PIPELINES,
    *HUNYUAN15_PIPELINES,
    *SKYREELS_DF_PIPELINES,
)
HUB_PREFIX = "hub:"  # a setting's path "hub:owner/name" is a Hugging Face hub id


class UnknownModel(ValueError):
    """The folder is not a diffusers video model of a family this project runs; says why."""


@dataclass(frozen=True)
class ModelFolder:
    """A recognised model folder: its family, what it makes, and the limits it holds requests to."""

    path: Path
    family: Family
    pipelines: dict[Mode, str]  # mode -> the diffusers pipeline class that makes it
    size_multiple: int  # sides are rounded to a multiple of this
    frame_step: int  # frame counts are frame_step * k + 1
    max_frames: int
    fps: int  # the rate it is trained at
    boundary_ratio: float | None = None  # MoE: where the low-noise expert takes over
    fixed_size: tuple[int, int] | None = None  # (width, height) when the model makes one size only
    min_frames: int = 0  # the shortest clip, when longer than one latent frame step
    # False: off-grid frame counts are rounded up (see model_frames) and any frame rate is taken,
    # instead of being refused; only the wan2.1-t2v engine's folder is held to these rules.
    strict: bool = True
    distilled: Distilled | None = None  # a distilled checkpoint: its published steps, guidance

    @property
    def modes(self) -> tuple[Mode, ...]:
        return tuple(mode for mode in (T2V, I2V) if mode in self.pipelines)

    @property
    def label(self) -> str:
        return f"{self.family.label}: {' and '.join(self.modes)} (diffusers)"


def detect(path: str | Path, default_class: str = "") -> ModelFolder:
    """Read a diffusers folder's ``model_index.json`` (and component configs) to recognise it.

    ``default_class``: the pipeline class a folder that names none is taken for. Raises
    UnknownModel (a ValueError) saying what is wrong when it is not a folder of a family this
    project runs.
    """
    folder = resolve_folder(str(path))
    index = _read_json(folder / "model_index.json")
    if index is None:
        raise UnknownModel(
            f"weights not found at {folder} (expected a diffusers folder with model_index.json)"
        )
    class_name = str(index.get("_class_name", "")) or default_class
    model = _detect_family(folder, index, class_name)
    return dataclasses.replace(model, distilled=_distillation(model))


def _detect_family(folder: Path, index: dict[str, Any], class_name: str) -> ModelFolder:
    if class_name in WAN_PIPELINES:
        return _detect_wan(folder, index, class_name)
    if class_name in LTX_PIPELINES:
        return _detect_ltx(folder)
    if class_name in COGVIDEOX_PIPELINES:
        return _detect_cogvideox(folder, class_name)
    if class_name in KANDINSKY5_PIPELINES:
        return _detect_kandinsky5(folder, class_name)
    if class_name in LTX2_PIPELINES:
        return _detect_ltx2(folder)
    if class_name in HUNYUAN15_PIPELINES:
        return _detect_hunyuan15(folder, class_name)
    if class_name in SKYREELS_DF_PIPELINES:
        return _detect_skyreels_df(folder)
    raise UnknownModel(
        f"the model at {folder} is a {class_name or 'pipeline of no stated class'}; "
        f"this worker runs {', '.join(KNOWN_PIPELINES)}"
    )


def resolve_folder(path: str) -> Path:
    """The local folder for a setting's path: as given, or ``hub:owner/name``'s cached snapshot.

    A hub id is looked up in the Hugging Face cache only (HF_HOME / HF_HUB_CACHE); nothing is
    downloaded here, so listing engines never waits on the network. The operator fetches the
    model once on each worker (``hf download owner/name``).
    """
    if not path.startswith(HUB_PREFIX):
        return Path(path)
    from huggingface_hub import try_to_load_from_cache

    repo_id = path.removeprefix(HUB_PREFIX)
    cached = try_to_load_from_cache(repo_id, "model_index.json")
    if not isinstance(cached, str):
        raise UnknownModel(
            f"the hub model {repo_id} is not downloaded on this worker "
            f"(run `hf download {repo_id}` there)"
        )
    return Path(cached).parent


def check_request(model: ModelFolder, request: VideoRequest) -> None:
    """Raise ValueError saying what is valid when ``model`` cannot make ``request`` as asked."""
    family = model.family.label
    if request.mode not in model.pipelines:
        raise ValueError(f"This {family} model makes {' and '.join(model.modes)} only.")
    if not model.strict:
        if request.num_frames > model.max_frames:
            raise ValueError(
                f"{family} makes at most {model.max_frames} frames, not {request.num_frames}."
            )
        return
    valid = valid_frame_counts(model)
    if request.num_frames not in valid:
        raise ValueError(
            f"{family} makes {model.frame_step}k + 1 frames, from {valid[0]} to {valid[-1]} "
            f"({', '.join(map(str, valid[:3]))}, ...); {request.num_frames} is not one: "
            f"choose {_nearest_pair(request.num_frames, valid)}."
        )
    low, high = fps_range(model)
    if not low <= request.fps <= high:
        raise ValueError(
            f"{family} is trained at {model.fps} fps; choose a frame rate from {low} to {high} "
            f"(the motion looks wrong much slower or faster), not {request.fps}."
        )
    if model.fixed_size and (request.width, request.height) != model.fixed_size:
        width, height = model.fixed_size
        raise ValueError(
            f"This {family} model makes {width}x{height} only, not {request.width}x"
            f"{request.height}."
        )


def defaults(model: ModelFolder) -> dict[str, int]:
    """Request values that suit the model: its trained rate, about five seconds, its one size."""
    valid = valid_frame_counts(model)
    five_seconds = min(model.fps * 5 + 1, valid[-1])
    values = {"fps": model.fps, "num_frames": next(n for n in valid if n >= five_seconds)}
    if model.fixed_size:
        values["width"], values["height"] = model.fixed_size
    return values


def distilled_as_named(model: ModelFolder, marked_by: str = "the operator") -> ModelFolder:
    """The folder taken for its family's published step-distilled checkpoint (the operator says
    so where neither its config nor its name does); UnknownModel where the family has none."""
    if model.distilled is not None:
        return model
    if model.family.key not in STEP_DISTILLED:
        known = ", ".join(f.label for f in (LTX2, HUNYUAN15, KANDINSKY5))
        raise UnknownModel(
            f"{model.family.label} has no published distilled checkpoint (those of {known} "
            "do); remove the distilled option, or give a few-step LoRA with fast-lora"
        )
    steps, guidance = STEP_DISTILLED[model.family.key]
    return dataclasses.replace(model, distilled=Distilled(steps, guidance, marked_by))


def _distillation(model: ModelFolder) -> Distilled | None:
    """The distilled checkpoint a folder is, from what marks it: HunyuanVideo 1.5's transformer
    config (MeanFlow, which only its step-distilled checkpoint uses), else the name its authors
    publish it under (the folder's, or the hub id's)."""
    key = model.family.key
    if key == HUNYUAN15.key and _component_config(model.path, "transformer").get("use_meanflow"):
        return Distilled(*STEP_DISTILLED[key], marked_by="its transformer config (MeanFlow)")
    name = _published_name(model.path).lower()
    by_name = "its name"
    if key == KANDINSKY5.key and "nocfg" in name:
        return Distilled(None, NO_GUIDANCE, by_name)
    if "distill" not in name or key not in STEP_DISTILLED:
        return None
    if key == HUNYUAN15.key and "step" not in name:  # "480p_t2v_distilled": guidance only
        return Distilled(None, NO_GUIDANCE, by_name)
    return Distilled(*STEP_DISTILLED[key], marked_by=by_name)


def _published_name(folder: Path) -> str:
    """The folder's name, or for a hub snapshot (models--owner--name/snapshots/<commit>) the
    repository's."""
    if folder.parent.name == "snapshots":
        return folder.parent.parent.name
    return folder.name


def recommended(model: ModelFolder) -> Recommended:
    """The settings the model makes its best videos at: its family's ``recommended`` dict
    where the family states one, else its trained rate and about five seconds (``defaults``)
    at ``VideoRequest``'s steps and guidance; a distilled checkpoint's published steps and
    guidance over both."""
    values = defaults(model)
    fallback = Recommended(frames=values["num_frames"], fps=values["fps"])
    stated = dict(model.family.recommended)
    # Its native size is the family's own (the editor's sizes are the studio's); the rest are
    # the settings a request takes.
    settings = {k: v for k, v in stated.items() if k not in ("width", "height", "num_frames")}
    if "num_frames" in stated:
        settings["frames"] = stated["num_frames"]
    if model.distilled is not None:
        settings["guidance"] = model.distilled.guidance
        if model.distilled.steps is not None:
            settings["steps"] = model.distilled.steps
    return Recommended.from_dict(settings, fallback)


def valid_frame_counts(model: ModelFolder) -> list[int]:
    """Every frame count the model makes: step + 1, 2 * step + 1, ... up to its maximum."""
    valid = range(model.frame_step + 1, model.max_frames + 1, model.frame_step)
    return [count for count in valid if count >= model.min_frames]


def fps_range(model: ModelFolder) -> tuple[int, int]:
    """Half to double the trained rate: within it the motion still looks natural."""
    return -(-model.fps // 2), model.fps * 2


def model_frames(model: ModelFolder, num_frames: int) -> int:
    """The frame count the model generates: the smallest frame_step * k + 1 at or above
    ``num_frames`` (the request's own count when it is on the grid)."""
    latent_frames = -(-(num_frames - 1) // model.frame_step)  # ceil((n - 1) / step)
    return model.frame_step * max(latent_frames, 0) + 1


def model_size(model: ModelFolder, width: int, height: int) -> tuple[int, int]:
    """The size the model generates at: each side to the nearest multiple (ties up)."""
    multiple = model.size_multiple
    return _round_to(width, multiple), _round_to(height, multiple)


def _detect_wan(folder: Path, index: dict[str, Any], class_name: str) -> ModelFolder:
    vae = _component_config(folder, "vae")
    transformer = _component_config(folder, "transformer")
    spatial = int(vae.get("scale_factor_spatial", 8))
    patch = int((transformer.get("patch_size") or [1, 2, 2])[-1])
    has_second_expert = (index.get("transformer_2") or [None, None])[1] is not None
    if has_second_expert:
        family = WAN22_MOE
        pipelines = {WAN_PIPELINES[class_name]: class_name}
    elif index.get("expand_timesteps") or int(vae.get("z_dim", 16)) == 48:
        # TI2V-5B: one model for both modes; its folder is saved as a WanPipeline and the
        # image-to-video pipeline is built from the same components.
        family = WAN22_TI2V
        pipelines = dict(zip(WAN_PIPELINES.values(), WAN_PIPELINES, strict=True))
    else:
        family = WAN21
        pipelines = {WAN_PIPELINES[class_name]: class_name}
    ratio = index.get("boundary_ratio")
    return ModelFolder(
        path=folder,
        family=family,
        pipelines=pipelines,
        size_multiple=max(family.min_size_multiple, spatial * patch),
        frame_step=int(vae.get("scale_factor_temporal", family.frame_step)),
        max_frames=family.max_frames,
        fps=family.fps,
        boundary_ratio=float(ratio) if ratio is not None else None,
    )


def _detect_ltx(folder: Path) -> ModelFolder:
    # One LTX-Video checkpoint makes both modes: the image pipeline conditions the first
    # latent frame on the image with the same transformer.
    vae = _component_config(folder, "vae")
    scaling = vae.get("spatio_temporal_scaling") or [True, True, True, False]
    time_ratio = int(vae.get("patch_size_t", 1)) * 2 ** sum(bool(s) for s in scaling)
    return ModelFolder(
        path=folder,
        family=LTX,
        pipelines={T2V: "LTXPipeline", I2V: "LTXImageToVideoPipeline"},
        size_multiple=LTX.min_size_multiple,
        frame_step=time_ratio,
        max_frames=LTX.max_frames,
        fps=LTX.fps,
    )


def _detect_cogvideox(folder: Path, class_name: str) -> ModelFolder:
    vae = _component_config(folder, "vae")
    transformer = _component_config(folder, "transformer")
    spatial = 2 ** (len(vae.get("block_out_channels") or [0, 0, 0, 0]) - 1)
    patch = int(transformer.get("patch_size", 2))
    sample_frames = int(transformer.get("sample_frames", COGVIDEOX.max_frames))
    is_v15 = transformer.get("patch_size_t") is not None  # 1.5 packs two latent frames
    fixed_size = None
    if transformer.get("use_learned_positional_embeddings"):
        # Learned position tables (5B-I2V) cover exactly the trained grid, so one size only.
        fixed_size = (
            int(transformer.get("sample_width", 90)) * spatial,
            int(transformer.get("sample_height", 60)) * spatial,
        )
    return ModelFolder(
        path=folder,
        family=COGVIDEOX,
        pipelines={COGVIDEOX_PIPELINES[class_name]: class_name},
        size_multiple=max(COGVIDEOX.min_size_multiple, spatial * patch),
        frame_step=2 * int(vae.get("temporal_compression_ratio", 4)),
        max_frames=sample_frames,
        fps=16 if is_v15 else COGVIDEOX.fps,
        fixed_size=fixed_size,
    )


def _detect_kandinsky5(folder: Path, class_name: str) -> ModelFolder:
    # A text-to-video and an image-to-video checkpoint are separate folders (the image one's
    # transformer has visual_cond), so the folder's class is its one mode.
    vae = _component_config(folder, "vae")
    transformer = _component_config(folder, "transformer")
    spatial = int(vae.get("spatial_compression_ratio", 8))
    patch = int((transformer.get("patch_size") or [1, 2, 2])[-1])
    mode = KANDINSKY5_PIPELINES[class_name]
    return ModelFolder(
        path=folder,
        family=KANDINSKY5,
        pipelines={mode: class_name},
        size_multiple=max(KANDINSKY5.min_size_multiple, spatial * patch),
        frame_step=int(vae.get("temporal_compression_ratio", KANDINSKY5.frame_step)),
        max_frames=KANDINSKY5.max_frames,
        fps=KANDINSKY5.fps,
        min_frames=KANDINSKY5_I2V_MIN_FRAMES if mode == I2V else 0,
    )


def _detect_ltx2(folder: Path) -> ModelFolder:
    # One checkpoint makes both modes, as LTX-Video's does.
    # The compression ratios as AutoencoderKLLTX2Video works them out, unless its config says.
    vae = _component_config(folder, "vae")
    doublings = 2 ** sum(bool(s) for s in vae.get("spatio_temporal_scaling") or [True] * 4)
    spatial = vae.get("spatial_compression_ratio") or int(vae.get("patch_size", 4)) * doublings
    in_time = vae.get("temporal_compression_ratio") or int(vae.get("patch_size_t", 1)) * doublings
    return ModelFolder(
        path=folder,
        family=LTX2,
        pipelines=dict(zip(LTX2_PIPELINES.values(), LTX2_PIPELINES, strict=True)),
        size_multiple=max(LTX2.min_size_multiple, int(spatial)),
        frame_step=int(in_time),
        max_frames=LTX2.max_frames,
        fps=LTX2.fps,
    )


def _detect_hunyuan15(folder: Path, class_name: str) -> ModelFolder:
    # Text- and image-to-video are separate checkpoints (the transformer's task_type differs).
    vae = _component_config(folder, "vae")
    transformer = _component_config(folder, "transformer")
    spatial = int(vae.get("spatial_compression_ratio", 16))
    patch = int(transformer.get("patch_size", 1))
    return ModelFolder(
        path=folder,
        family=HUNYUAN15,
        pipelines={HUNYUAN15_PIPELINES[class_name]: class_name},
        size_multiple=max(HUNYUAN15.min_size_multiple, spatial * patch),
        frame_step=int(vae.get("temporal_compression_ratio", HUNYUAN15.frame_step)),
        max_frames=HUNYUAN15.max_frames,
        fps=HUNYUAN15.fps,
    )


def _detect_skyreels_df(folder: Path) -> ModelFolder:
    # The diffusion-forcing checkpoint makes both modes: image-to-video starts the first window
    # from the image's latents with the same transformer.
    vae = _component_config(folder, "vae")
    transformer = _component_config(folder, "transformer")
    spatial = int(vae.get("scale_factor_spatial", 8))
    patch = int((transformer.get("patch_size") or [1, 2, 2])[-1])
    return ModelFolder(
        path=folder,
        family=SKYREELS_V2_DF,
        pipelines=dict(zip(SKYREELS_DF_PIPELINES.values(), SKYREELS_DF_PIPELINES, strict=True)),
        size_multiple=max(SKYREELS_V2_DF.min_size_multiple, spatial * patch),
        frame_step=int(vae.get("scale_factor_temporal", SKYREELS_V2_DF.frame_step)),
        max_frames=SKYREELS_V2_DF.max_frames,
        fps=SKYREELS_V2_DF.fps,
    )


def _component_config(folder: Path, component: str) -> dict[str, Any]:
    return _read_json(folder / component / "config.json") or {}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _nearest_pair(value: int, valid: list[int]) -> str:
    below = [v for v in valid if v < value]
    above = [v for v in valid if v > value]
    choices = [str(v) for v in (below[-1:] + above[:1])]
    return " or ".join(choices)


def _round_to(value: int, multiple: int) -> int:
    return max(multiple, int(value / multiple + 0.5) * multiple)  # ties round up
