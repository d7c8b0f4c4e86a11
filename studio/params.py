"""The parameters of a job, defined once: what the prompt editor and the talking-head editor
ask for, what a Job row keeps, and how either becomes a request to generation/."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generation import VideoRequest, limits, post
from generation.styles import Style
from studio.models import Job

if TYPE_CHECKING:  # the avatar pipeline is imported where it runs: it loads the face model
    from generation.pipelines.avatar import AvatarRequest
    from generation.pipelines.voiceover import VoiceoverRequest


# The choices the editors offer.
ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}

# Output sizes per aspect; every side a multiple of 16, which the video models need.
SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "16:9": {"small": (448, 256), "medium": (896, 512), "large": (1280, 720)},
    "9:16": {"small": (256, 448), "medium": (512, 896), "large": (720, 1280)},
    "1:1": {"small": (256, 256), "medium": (512, 512), "large": (768, 768)},
}

MOTIONS = [
    ("auto", "From the prompt's words (zoom in if none)"),
    ("zoom-in", "Zoom in"),
    ("zoom-out", "Zoom out"),
    ("pan-left", "Pan left"),
    ("pan-right", "Pan right"),
    ("pan-up", "Pan up"),
    ("pan-down", "Pan down"),
    ("parallax", "Gentle parallax"),
]

# The post-steps the prompt editor offers (generation/post.py): "1" leaves the clip as it is.
SMOOTH_MOTION = [("1", "Off"), *((str(f), f"{f}x the frames") for f in limits.INTERPOLATE_FACTORS)]
UPSCALES = [("1", "Off"), *((str(f), f"{f}x each side") for f in limits.UPSCALE_FACTORS)]
STYLE_LORA_STRENGTHS = limits.STYLE_LORA_STRENGTHS  # 0 adds nothing, 1 as trained, 2 doubles
STYLE_LORA_STRENGTH_DEFAULT = 1.0

AVATAR_SPEEDS = [("0.8", "Slower"), ("1.0", "Normal"), ("1.2", "Faster")]

AVATAR_CAPTIONS = [
    ("file", "Captions as a file (WebVTT, shown by the player)"),
    ("burn", "Captions burned into the video"),
    ("none", "No captions"),
]


def random_seed() -> int:
    return secrets.randbelow(2**31)


@dataclass(frozen=True)
class JobParams:
    """A validated text- or image-to-video request (see forms.JobForm)."""

    mode: str
    engine: str
    prompt: str
    negative_prompt: str
    width: int
    height: int
    num_frames: int
    fps: int
    steps: int
    guidance: float
    seed: int | None
    motion: str = "auto"
    preset: str = "quality"  # "fast" where the engine offers it (EngineInfo.presets)
    # An optional voiceover, spoken over the clip once it is made (the Job row's avatar
    # columns: what is said, by which voice, how fast, and its captions).
    script: str = ""
    voice: str = ""
    speed: float = 1.0
    captions: str = "file"
    interpolate: int = 1  # "Smooth motion": frames made of each one (post-step)
    upscale: int = 1  # "Upscale": times each side (post-step)
    style_lora_id: int | None = None  # a StyleLora of the job's workspace
    style_lora_strength: float = STYLE_LORA_STRENGTH_DEFAULT
    style: Style | None = None  # a style preset (built-in or the workspace's), or none

    @classmethod
    def of_job(cls, job: Job, *, seed: int | None = None) -> JobParams:
        """The parameters a job was made with (``seed`` replaces its seed)."""
        names = (*_JOB_FIELDS, *_POST_FIELDS, *_STYLE_FIELDS)
        return cls(
            **{name: getattr(job, name) for name in names},
            seed=_seed(job, seed),
            style=style_of(job.style),
        )

    def style_fields(self) -> dict[str, Any]:
        """The Job row's style LoRA columns."""
        return {name: getattr(self, name) for name in _STYLE_FIELDS}

    def job_fields(self) -> dict[str, Any]:
        """The Job row's columns for these parameters, but the style LoRA's (see
        style_fields; a blank seed becomes a random one)."""
        fields = {name: getattr(self, name) for name in (*_JOB_FIELDS, *_POST_FIELDS)}
        return {
            **fields,
            "seed": self.seed if self.seed is not None else random_seed(),
            "style": self.style.as_dict() if self.style else {},
        }

    def recipe_fields(self) -> dict[str, Any]:
        """The columns a template keeps of them: the request, without the post-steps (smooth
        motion, upscale, a voiceover) and the style LoRA."""
        fields = self.job_fields()
        return {name: value for name, value in fields.items() if name not in _POST_FIELDS}

    def post_steps(self) -> post.PostSteps:
        return post.PostSteps(interpolate=self.interpolate, upscale=self.upscale)

    def request(
        self, *, image_path: Path | None = None, style_lora: Path | None = None
    ) -> VideoRequest:
        """The request generation/ takes (a blank seed is 0: only its checks need one);
        ``style_lora`` is the worker's copy of the job's style LoRA file."""
        return VideoRequest(
            prompt=self.prompt,
            mode=self.mode,  # type: ignore[arg-type]
            negative_prompt=self.negative_prompt,
            width=self.width,
            height=self.height,
            num_frames=self.num_frames,
            fps=self.fps,
            steps=self.steps,
            guidance=self.guidance,
            seed=self.seed or 0,
            image_path=image_path,
            motion=self.motion,
            preset=self.preset,
            style_lora=style_lora,
            style_lora_strength=self.style_lora_strength,
            style=self.style,
        )

    def voiceover(self) -> VoiceoverRequest | None:
        """The voiceover to speak over the clip, or None when there is none."""
        if not self.script.strip():
            return None
        from generation.pipelines.voiceover import VoiceoverRequest

        return VoiceoverRequest(
            text=self.script,
            voice=self.voice or None,
            speed=self.speed,
            captions=self.captions,  # type: ignore[arg-type]  # one of AVATAR_CAPTIONS
        )


# A clip's optional voiceover, kept in the Job row's avatar columns.
VOICEOVER_FIELDS = ("script", "voice", "speed", "captions")

# What JobParams and a Job row share, besides the seed.
_JOB_FIELDS = (
    "mode",
    "engine",
    "prompt",
    "negative_prompt",
    "width",
    "height",
    "num_frames",
    "fps",
    "steps",
    "guidance",
    "motion",
    "preset",
)
# Done to the finished clip, not seen by the engine (and not kept by a template).
_POST_FIELDS = ("interpolate", "upscale", *VOICEOVER_FIELDS)
# The job's style LoRA: read by of_job, kept by job_submit; a template keeps its own columns.
_STYLE_FIELDS = ("style_lora_id", "style_lora_strength")


@dataclass(frozen=True)
class AvatarParams:
    """A validated talking-head request (see forms.AvatarVideoForm)."""

    script: str
    voice: str
    speed: float
    captions: str
    width: int
    height: int
    fps: int = 25
    seed: int | None = None

    @classmethod
    def of_job(cls, job: Job, *, seed: int | None = None) -> AvatarParams:
        """The parameters a talking head was made with (``seed`` replaces its seed)."""
        return cls(**{name: getattr(job, name) for name in _AVATAR_FIELDS}, seed=_seed(job, seed))

    def job_fields(self) -> dict[str, Any]:
        """The Job row's columns for these parameters."""
        fields = {name: getattr(self, name) for name in _AVATAR_FIELDS}
        return {**fields, "seed": self.seed if self.seed is not None else random_seed()}

    def request(self, *, image_path: Path) -> AvatarRequest:
        from generation.pipelines.avatar import AvatarRequest

        return AvatarRequest(
            image_path=image_path,
            script=self.script,
            voice=self.voice or None,
            speed=self.speed,
            fps=self.fps,
            width=self.width,
            height=self.height,
            captions=self.captions,  # type: ignore[arg-type]
            seed=self.seed or 0,
        )


_AVATAR_FIELDS = ("script", "voice", "speed", "captions", "width", "height", "fps")


def style_of(stored: dict[str, Any]) -> Style | None:
    """The style a Job, Template or Storyboard row keeps (``{}``: none)."""
    return Style.from_dict(stored) if stored else None


def _seed(job: Job, seed: int | None) -> int:
    return job.seed if seed is None else seed


def generation_key(job: Job) -> str:
    """A hash of everything the engine sees. Jobs with equal keys make the same footage
    (a seed fixes the noise), so they can share one generation."""
    request: dict[str, Any] = {
        "engine": job.engine,
        "mode": job.mode,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "image": job.image_id,  # one upload; a batch's rows share it
        "motion": job.motion,
        "size": [job.width, job.height],
        "frames": job.num_frames,
        "fps": job.fps,
        "steps": job.steps,
        "guidance": job.guidance,
        "seed": job.seed,
    }
    if job.preset != Job.Preset.QUALITY:  # keeps the keys of jobs made before presets
        request["preset"] = job.preset
    if job.style_lora is not None:  # the file's content, so a re-upload is another request
        request["style_lora"] = [job.style_lora.sha256, job.style_lora_strength]
    if job.style:  # keeps the keys of jobs made before styles
        request["style"] = job.style
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
