"""The prompt editor's form: mode, prompt, engine and its preset, image, size, frames."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from generation import VideoRequest, limits, post
from generation.engines import EngineInfo
from generation.styles import BUILTIN_STYLES, Style
from studio.engines import voice_list
from studio.forms.avatars import voice_choices
from studio.forms.uploads import ImageUploadField
from studio.models import Asset, Job, Project, StyleLora
from studio.params import (
    ASPECTS,
    AVATAR_CAPTIONS,
    AVATAR_SPEEDS,
    MOTIONS,
    SIZES,
    SMOOTH_MOTION,
    STYLE_LORA_STRENGTH_DEFAULT,
    STYLE_LORA_STRENGTHS,
    UPSCALES,
    JobParams,
)
from studio.services.style_loras import style_lora_check


class EngineSelect(forms.Select):
    """A select whose unavailable engines are shown, disabled, with the reason."""

    def __init__(self, engines: list[EngineInfo]) -> None:
        super().__init__()
        self.engines = {e.name: e for e in engines}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        engine = self.engines.get(str(value))
        if engine is not None:
            option["attrs"]["data-modes"] = " ".join(engine.modes)
            option["attrs"]["data-presets"] = " ".join(engine.presets)
            option["attrs"]["data-max-frames"] = engine.max_frames
            if engine.fast_steps is not None:  # filled in by the page when Fast is picked
                option["attrs"]["data-fast-steps"] = engine.fast_steps
                option["attrs"]["data-fast-guidance"] = engine.fast_guidance
            if not engine.available:
                option["attrs"]["disabled"] = True
        return option


class StyleLoraChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """The workspace's style LoRAs, each shown with the family it is for."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.family_label})"


def style_choices(styles: Sequence[Style]) -> list[tuple[str, Any]]:
    """The style select's choices: none, the built-in styles, then the workspace's own."""
    builtin = [(s.name, s.label) for s in styles if BUILTIN_STYLES.get(s.name) == s]
    own = [(s.name, s.label) for s in styles if BUILTIN_STYLES.get(s.name) != s]
    choices: list[tuple[str, Any]] = [("", "No style"), ("Built-in styles", builtin)]
    return [*choices, ("This workspace's styles", own)] if own else choices


def _engine_label(engine: EngineInfo) -> str:
    return engine.label if engine.available else f"{engine.label} (unavailable: {engine.reason})"


def _within_prompt_limit(text: str, *, what: str) -> str:
    if len(text) > limits.MAX_PROMPT_CHARS:
        raise ValidationError(
            "The %(what)s is %(length)s characters long; the limit is %(limit)s.",
            code="prompt_too_long",
            params={
                "what": what,
                "length": f"{len(text):,}",
                "limit": f"{limits.MAX_PROMPT_CHARS:,}",
            },
        )
    return text


class JobForm(forms.Form):
    """The prompt editor."""

    # Talking heads have their own editor (AvatarVideoForm): a script and an avatar, no prompt.
    mode = forms.ChoiceField(
        choices=[(m.value, m.label) for m in (Job.Mode.TEXT_TO_VIDEO, Job.Mode.IMAGE_TO_VIDEO)],
        initial=Job.Mode.TEXT_TO_VIDEO,
        widget=forms.RadioSelect,
    )
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=True)
    negative_prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, strip=True
    )

    engine = forms.ChoiceField()
    # Offered per engine: the page shows only the engine's presets (see editor.js); blank
    # means Quality, so a form posted without the field makes what it always made.
    preset = forms.ChoiceField(
        choices=Job.Preset.choices,
        initial=Job.Preset.QUALITY,
        required=False,
        widget=forms.RadioSelect,
        help_text="Fast: fewer steps with the model's few-step LoRA; a little less detail.",
    )
    # A style preset's name: a built-in one or the workspace's own ("" for none).
    style = forms.ChoiceField(
        required=False,
        error_messages={
            "invalid_choice": "There is no style called %(value)s here; choose one of the list."
        },
        help_text="Words added to the prompt and the negative prompt, and the guidance and "
        "steps the style runs at; the job's page shows in full what it added.",
    )
    image = ImageUploadField(required=False)
    # The workspace's style LoRAs (its owners upload them); checked against the engine in clean.
    style_lora = StyleLoraChoiceField(
        queryset=StyleLora.objects.none(),
        required=False,
        label="Style LoRA",
        empty_label="None",
        error_messages={"invalid_choice": "No style LoRA of this workspace is that one."},
    )
    style_lora_strength = forms.FloatField(
        min_value=STYLE_LORA_STRENGTHS[0],
        max_value=STYLE_LORA_STRENGTHS[1],
        initial=STYLE_LORA_STRENGTH_DEFAULT,
        required=False,
        label="Style strength",
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        help_text="0 adds nothing, 1 is the look as trained, 2 doubles it.",
    )
    motion = forms.ChoiceField(choices=MOTIONS, initial="auto", required=False)
    aspect = forms.ChoiceField(choices=[(a, a) for a in ASPECTS], initial="1:1")
    size = forms.ChoiceField(
        choices=[("small", "Small"), ("medium", "Medium"), ("large", "Large")], initial="medium"
    )
    num_frames = forms.IntegerField(
        min_value=1, max_value=limits.MAX_FRAMES, initial=16, label="Frames"
    )
    fps = forms.IntegerField(
        min_value=1, max_value=limits.MAX_FPS, initial=8, label="Frames per second"
    )
    steps = forms.IntegerField(min_value=1, max_value=limits.MAX_STEPS, initial=20)
    guidance = forms.FloatField(min_value=0, max_value=limits.MAX_GUIDANCE, initial=5.0)
    seed = forms.IntegerField(
        min_value=0, max_value=limits.MAX_SEED, required=False, help_text="Blank for a random seed."
    )
    # Post-steps, done to the finished clip (generation/post.py); blank is off.
    interpolate = forms.TypedChoiceField(
        choices=SMOOTH_MOTION,
        coerce=int,
        empty_value=None,  # clean() makes a blank 1: off
        initial="1",
        required=False,
        label="Smooth motion",
        help_text="Frames made between the generated ones by motion-compensated interpolation: "
        "the same length at 2x or 3x the frame rate.",
    )
    upscale = forms.TypedChoiceField(
        choices=UPSCALES,
        coerce=int,
        empty_value=None,  # clean() makes a blank 1: off
        initial="1",
        required=False,
        label="Upscale",
        help_text="Each side doubled after generation with a high-quality (Lanczos) resampler.",
    )
    project = forms.ModelChoiceField(queryset=Project.objects.none(), required=False)
    new_project = forms.CharField(max_length=100, required=False, label="or a new project")
    # An optional voice over the clip: the storyboard's voice, mix and captions on one scene.
    voiceover = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        strip=True,
        max_length=limits.MAX_SCRIPT_CHARS,
        help_text="Optional: what a voice says over the clip. A longer line holds the last frame.",
    )
    voice = forms.ChoiceField(required=False)
    speed = forms.TypedChoiceField(
        choices=AVATAR_SPEEDS, coerce=float, initial="1.0", required=False
    )
    captions = forms.ChoiceField(choices=AVATAR_CAPTIONS, initial="file", required=False)

    def __init__(
        self,
        *args: Any,
        engines: list[EngineInfo],
        projects: Any = None,
        style_loras: Any = None,
        styles: Sequence[Style] = tuple(BUILTIN_STYLES.values()),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        voices = voice_list()
        voice_field = self.fields["voice"]
        assert isinstance(voice_field, forms.ChoiceField)
        voice_field.choices = voice_choices(voices)
        voice_field.initial = next((v.name for v in voices if v.available), "")
        self.engines = {e.name: e for e in engines}
        self.styles = {s.name: s for s in styles}
        style_field = self.fields["style"]
        assert isinstance(style_field, forms.ChoiceField)
        style_field.choices = style_choices(styles)
        engine_field = self.fields["engine"]
        assert isinstance(engine_field, forms.ChoiceField)
        engine_field.widget = EngineSelect(engines)
        engine_field.choices = [(e.name, _engine_label(e)) for e in engines]  # also the widget's
        default = next((e.name for e in engines if e.available), "")
        engine_field.initial = default
        # A user who changes nothing gets the settings the default engine makes its best
        # videos at; the page switches them with the engine (editor.js, "recommended").
        if default:
            for name, value in self.engines[default].recommended.request_values().items():
                self.fields[name].initial = value
        # Shown: the presets some engine here offers (the page narrows them to the chosen
        # engine's). Accepted: any preset, so clean() can say why an engine refuses one.
        offered = {"quality"} | {p for e in engines if e.available for p in e.presets}
        preset_widget = self.fields["preset"].widget
        assert isinstance(preset_widget, forms.RadioSelect)
        preset_widget.choices = [(v, label) for v, label in Job.Preset.choices if v in offered]
        if projects is not None:
            project_field = self.fields["project"]
            assert isinstance(project_field, forms.ModelChoiceField)
            project_field.queryset = projects
        if style_loras is not None:
            lora_field = self.fields["style_lora"]
            assert isinstance(lora_field, forms.ModelChoiceField)
            lora_field.queryset = style_loras

    def clean_prompt(self) -> str:
        return _within_prompt_limit(self.cleaned_data["prompt"], what="prompt")

    def clean_negative_prompt(self) -> str:
        return _within_prompt_limit(self.cleaned_data["negative_prompt"], what="negative prompt")

    def clean_style(self) -> Style | None:
        name: str = self.cleaned_data.get("style") or ""
        return self.styles[name] if name else None

    def clean_engine(self) -> str:
        name: str = self.cleaned_data["engine"]
        engine = self.engines[name]
        if not engine.available:
            raise ValidationError(
                "%(label)s cannot run here: %(reason)s",
                code="engine_unavailable",
                params={"label": engine.label, "reason": engine.reason},
            )
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        mode, name = data.get("mode"), data.get("engine")
        if mode and name and mode not in self.engines[name].modes:
            self.add_error(
                "engine",
                ValidationError(
                    "%(label)s cannot make %(mode)s videos; choose another engine.",
                    code="engine_mode",
                    params={"label": self.engines[name].label, "mode": mode},
                ),
            )
        preset = data.get("preset") or Job.Preset.QUALITY
        data["preset"] = preset
        if name and preset not in self.engines[name].presets:
            self.add_error(
                "preset",
                ValidationError(
                    "%(label)s has no %(preset)s preset here; it offers %(offered)s.",
                    code="preset_unavailable",
                    params={
                        "label": self.engines[name].label,
                        "preset": Job.Preset(preset).label,
                        "offered": ", ".join(
                            Job.Preset(p).label for p in self.engines[name].presets
                        ),
                    },
                ),
            )
        frames = data.get("num_frames")
        if name and frames and frames > self.engines[name].max_frames:
            self.add_error(
                "num_frames",
                ValidationError(
                    "%(label)s makes at most %(max)s frames; ask for fewer.",
                    code="too_many_frames",
                    params={
                        "label": self.engines[name].label,
                        "max": self.engines[name].max_frames,
                    },
                ),
            )
        lora = data.get("style_lora")
        if lora is not None and name and "engine" not in self.errors:
            try:
                style_lora_check(lora=lora, engine=name)
            except ValidationError as exc:
                self.add_error("style_lora", exc)
        if data.get("style_lora_strength") is None:
            data["style_lora_strength"] = STYLE_LORA_STRENGTH_DEFAULT
        if mode == Job.Mode.IMAGE_TO_VIDEO and not data.get("image") and "image" not in self.errors:
            self.add_error(
                "image", ValidationError("Image-to-video needs an image.", code="image_required")
            )
        if data.get("aspect") and data.get("size"):
            data["width"], data["height"] = SIZES[data["aspect"]][data["size"]]
        if data.get("voiceover"):
            self._check_voiceover(data)
        self._check_post_steps(data)
        return data

    def _check_voiceover(self, data: dict[str, Any]) -> None:
        """The voiceover's own checks (what the voice cannot say, an unavailable voice), shown
        next to the field to change before anything is queued."""
        from generation.avatar.tts import VoiceUnavailable
        from generation.pipelines.voiceover import VoiceoverRequest, check_request

        speech = VoiceoverRequest(
            text=data["voiceover"],
            voice=data.get("voice") or None,
            speed=data.get("speed") or 1.0,
            captions=data.get("captions") or "file",
        )
        try:
            check_request(speech)
        except (ValueError, VoiceUnavailable) as exc:
            field = "voice" if "voice '" in str(exc) else "voiceover"
            self.add_error(field, ValidationError(str(exc), code="voiceover"))

    def _check_post_steps(self, data: dict[str, Any]) -> None:
        """Each post-step is held to its limits on the clip asked for, next to its field."""
        data["interpolate"] = data.get("interpolate") or 1
        data["upscale"] = data.get("upscale") or 1
        width, height, fps = data.get("width"), data.get("height"), data.get("fps")
        if not (width and height and fps):
            return  # their own fields say what is wrong
        for name, steps in (
            ("interpolate", post.PostSteps(interpolate=data["interpolate"])),
            ("upscale", post.PostSteps(upscale=data["upscale"])),
        ):
            try:
                post.check_steps(steps, width=width, height=height, fps=fps)
            except ValueError as exc:
                self.add_error(name, ValidationError(str(exc), code=f"{name}_limit"))

    def to_params(self) -> JobParams:
        data = self.cleaned_data
        return JobParams(
            mode=data["mode"],
            engine=data["engine"],
            prompt=data["prompt"],
            negative_prompt=data.get("negative_prompt", ""),
            width=data["width"],
            height=data["height"],
            num_frames=data["num_frames"],
            fps=data["fps"],
            steps=data["steps"],
            guidance=data["guidance"],
            seed=data.get("seed"),
            motion=data.get("motion") or "auto",
            preset=data["preset"],
            script=data.get("voiceover") or "",
            voice=data.get("voice") or "" if data.get("voiceover") else "",
            speed=data.get("speed") or 1.0,
            captions=data.get("captions") or "file",
            interpolate=data["interpolate"],
            upscale=data["upscale"],
            style_lora_id=data["style_lora"].pk if data.get("style_lora") else None,
            style_lora_strength=data["style_lora_strength"],
            style=data.get("style"),
        )


class JobApiForm(JobForm):
    """The prompt editor's checks for a request through the API, which gives a size in
    pixels, as the command line does, instead of an aspect and a size, an uploaded image's id
    instead of a file, and may leave out what the command line leaves out."""

    aspect = None  # type: ignore[assignment]
    size = None  # type: ignore[assignment]
    new_project = None  # type: ignore[assignment]
    project = None  # type: ignore[assignment]
    width = forms.IntegerField(min_value=limits.MIN_SIDE, max_value=limits.MAX_SIDE, required=False)
    height = forms.IntegerField(
        min_value=limits.MIN_SIDE, max_value=limits.MAX_SIDE, required=False
    )
    asset = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        required=False,
        error_messages={"invalid_choice": "No uploaded image of this workspace has that id."},
    )

    # What the command line makes when a value is left out: VideoRequest's size, and the
    # chosen engine's recommended steps, guidance, frames and frame rate.
    DEFAULTS = {name: getattr(VideoRequest, name) for name in ("width", "height")}

    def __init__(self, data: Any, *args: Any, assets: Any, **kwargs: Any) -> None:
        data = {k: v for k, v in data.items() if v is not None}
        engines = {e.name: e for e in kwargs["engines"]}
        if not data.get("engine"):
            data["engine"] = next(
                (e.name for e in engines.values() if e.available and data.get("mode") in e.modes),
                "",
            )
        chosen = engines.get(str(data["engine"]))
        recommended = chosen.recommended.request_values() if chosen else {}
        data = {**self.DEFAULTS, **recommended, **data}
        super().__init__(data, *args, **kwargs)
        asset_field = self.fields["asset"]
        assert isinstance(asset_field, forms.ModelChoiceField)
        asset_field.queryset = assets

    def clean(self) -> dict[str, Any]:
        if self.cleaned_data.get("asset") is not None:
            self.cleaned_data["image"] = self.cleaned_data["asset"]  # the image it needs
        data = super().clean()
        if "asset" in self.errors:  # an image was named, just not one of ours
            self.errors.pop("image", None)
        return data
