"""Forms: where input is parsed and validated. Errors carry a code and sit next to their field."""

from __future__ import annotations

import warnings
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image

from generation import limits, overlays
from generation.engines import EngineInfo
from studio import placeholders
from studio.models import Avatar, BrandKit, Job, Membership, Project, Template, Workspace
from studio.params import AvatarParams, JobParams

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
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
MIN_IMAGE_SIDE = 64


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


def _engine_label(engine: EngineInfo) -> str:
    return engine.label if engine.available else f"{engine.label} (unavailable: {engine.reason})"


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
    image = forms.FileField(
        required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
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
    project = forms.ModelChoiceField(queryset=Project.objects.none(), required=False)
    new_project = forms.CharField(max_length=100, required=False, label="or a new project")

    def __init__(
        self, *args: Any, engines: list[EngineInfo], projects: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.engines = {e.name: e for e in engines}
        engine_field = self.fields["engine"]
        assert isinstance(engine_field, forms.ChoiceField)
        engine_field.widget = EngineSelect(engines)
        engine_field.choices = [(e.name, _engine_label(e)) for e in engines]  # also the widget's
        default = next((e.name for e in engines if e.available), "")
        engine_field.initial = default
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

    def clean_prompt(self) -> str:
        prompt: str = self.cleaned_data["prompt"]
        if len(prompt) > limits.MAX_PROMPT_CHARS:
            raise ValidationError(
                "The prompt is %(length)s characters long; the limit is %(limit)s.",
                code="prompt_too_long",
                params={"length": f"{len(prompt):,}", "limit": f"{limits.MAX_PROMPT_CHARS:,}"},
            )
        return prompt

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

    def clean_image(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("image")
        if upload is None:
            return None
        self.image_info = check_image(upload)
        return upload

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
        if mode == Job.Mode.IMAGE_TO_VIDEO and not data.get("image") and "image" not in self.errors:
            self.add_error(
                "image", ValidationError("Image-to-video needs an image.", code="image_required")
            )
        if data.get("aspect") and data.get("size"):
            data["width"], data["height"] = SIZES[data["aspect"]][data["size"]]
        return data

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
        )


def check_image(upload: UploadedFile) -> Image.Image:
    """Open an upload as an image, by its content, within the size and pixel limits."""
    limit = settings.UPLOAD_MAX_BYTES
    if (upload.size or 0) > limit:
        raise ValidationError(
            "The file is %(size).1f MB; the limit is %(limit).0f MB.",
            code="file_too_large",
            params={"size": (upload.size or 0) / 2**20, "limit": limit / 2**20},
        )
    not_an_image = ValidationError(
        "This file is not an image we can read; upload a JPEG, PNG or WebP.", code="not_an_image"
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: treat it as an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            image = Image.open(upload)
            image.verify()  # checks the file's structure without decoding the pixels
            if image.width * image.height > settings.UPLOAD_MAX_PIXELS:
                raise Image.DecompressionBombError
            upload.seek(0)
            image = Image.open(upload)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            "The image has too many pixels (at most %(limit)s megapixels).",
            code="too_many_pixels",
            params={"limit": settings.UPLOAD_MAX_PIXELS // 1_000_000},
        ) from None
    except Exception:
        raise not_an_image from None
    if image.format not in IMAGE_FORMATS:
        raise not_an_image
    if min(image.size) < MIN_IMAGE_SIDE:
        raise ValidationError(
            "The image is %(w)sx%(h)s pixels; it must be at least %(min)s pixels on each side.",
            code="image_too_small",
            params={"w": image.width, "h": image.height, "min": MIN_IMAGE_SIDE},
        )
    upload.seek(0)
    return image


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True)


class MemberForm(forms.Form):
    """Add a teammate who already has an account, by username."""

    username = forms.CharField(max_length=150, strip=True)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.EDITOR)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_username(self) -> User:
        username = self.cleaned_data["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ValidationError(
                "No one has the username %(name)s.", code="unknown_user", params={"name": username}
            )
        if Membership.objects.filter(workspace=self.workspace, user=user).exists():
            raise ValidationError(
                "%(name)s is already a member.", code="already_member", params={"name": username}
            )
        return user


class TemplateFillForm(forms.Form):
    """The form a template's fields make: one input per field, and the image it animates."""

    def __init__(self, *args: Any, template: Template, avatars: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        if template.mode == Template.Mode.AVATAR:
            self.fields["avatar"] = forms.ModelChoiceField(
                queryset=avatars if avatars is not None else Avatar.objects.none(),
                label="Presenter",
                empty_label=None,
                help_text="One of your workspace's avatars speaks the script.",
                error_messages={
                    "required": "Add a portrait to your avatars first: this template needs a "
                    "presenter."
                },
            )
        for spec in template.fields:
            kind = spec.get("type", "text")
            field: forms.CharField = (forms.URLField if kind == "url" else forms.CharField)(
                label=spec.get("label") or spec["name"],
                required=bool(spec.get("required", True)),
                max_length=spec.get("max_length"),
                strip=True,
            )
            if kind == "long_text":
                field.widget = forms.Textarea(attrs={"rows": 3, "maxlength": field.max_length})
            self.fields[spec["name"]] = field
        self.fields["variants"] = forms.IntegerField(
            required=False,
            min_value=1,
            max_value=limits.MAX_VARIANTS,
            initial=template.variants,
            label="Variants",
            help_text="A/B: make this many versions with different seeds.",
        )
        if template.mode == Template.Mode.IMAGE_TO_VIDEO:
            self.fields["image"] = forms.FileField(
                widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
                help_text="The photo to animate: JPEG, PNG or WebP.",
            )

    def clean_image(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("image")
        if upload is not None:
            self.image_info = check_image(upload)
        return upload

    def values(self) -> dict[str, str]:
        return {
            spec["name"]: self.cleaned_data.get(spec["name"]) or "" for spec in self.template.fields
        }


class TemplateSaveForm(forms.Form):
    """Save a finished job as a template: only a name is needed; the rest is edited later."""

    name = forms.CharField(max_length=100, strip=True)


class TemplateEditForm(forms.Form):
    """A workspace template's texts and overlays. Placeholders like {company} become fields."""

    name = forms.CharField(max_length=100, strip=True)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), strip=True
    )
    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
        help_text="Write {first_name}, {company} or any {name}: each becomes a field to fill.",
    )
    negative_prompt = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), strip=True
    )
    script = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
        help_text="What the presenter says (talking-head templates).",
    )
    title_text = forms.CharField(required=False, max_length=200, label="Title on screen")
    lower_third_name = forms.CharField(required=False, max_length=200, label="Lower third: name")
    lower_third_company = forms.CharField(
        required=False, max_length=200, label="Lower third: company"
    )
    end_card_cta = forms.CharField(required=False, max_length=200, label="End card: call to action")
    # Shown only when the template's engine offers more than Quality (see __init__).
    preset = forms.ChoiceField(
        choices=Job.Preset.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="Fast: fewer steps with the model's few-step LoRA; a little less detail. "
        "Every video made from this template, batches included, uses it.",
    )

    def __init__(
        self,
        *args: Any,
        template_fields: list[dict[str, Any]],
        presets: tuple[str, ...] | list[str] = ("quality",),
        current_preset: str = "quality",
        voices: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if voices is not None:  # a talking-head template: who speaks the script, how fast
            self.fields["voice"] = forms.ChoiceField(
                choices=[("", "The first voice that can speak here"), *_voice_choices(voices)],
                required=False,
            )
            self.fields["speed"] = forms.TypedChoiceField(
                choices=AVATAR_SPEEDS, coerce=float, label="Voice speed"
            )
        # The engine's presets, and the template's own even when the engine no longer offers
        # it (so the page shows what it is set to, and saving says why it is refused).
        offered = {"quality", current_preset, *presets}
        if offered == {"quality"}:
            del self.fields["preset"]
        else:
            preset_widget = self.fields["preset"].widget
            assert isinstance(preset_widget, forms.RadioSelect)
            preset_widget.choices = [(v, lbl) for v, lbl in Job.Preset.choices if v in offered]
        # One group of inputs per field the placeholders make: its label, type, whether it
        # is required, and its maximum length. New placeholders get these once saved.
        self.template_fields = template_fields
        for spec in template_fields:
            name = spec["name"]
            self.fields[f"field_{name}_label"] = forms.CharField(
                max_length=100, initial=spec.get("label", name), label=f"{{{name}}}: label"
            )
            self.fields[f"field_{name}_type"] = forms.ChoiceField(
                choices=list(placeholders.FIELD_TYPES.items()),
                initial=spec.get("type", "text"),
                label=f"{{{name}}}: type",
            )
            self.fields[f"field_{name}_required"] = forms.BooleanField(
                required=False, initial=spec.get("required", True), label=f"{{{name}}}: required"
            )
            self.fields[f"field_{name}_max_length"] = forms.IntegerField(
                min_value=1,
                max_value=placeholders.MAX_FIELD_LENGTH,
                initial=spec.get("max_length", 100),
                label=f"{{{name}}}: maximum length",
            )

    def field_specs(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "name": spec["name"],
                "label": data[f"field_{spec['name']}_label"],
                "type": data[f"field_{spec['name']}_type"],
                "required": data[f"field_{spec['name']}_required"],
                "max_length": data[f"field_{spec['name']}_max_length"],
            }
            for spec in self.template_fields
        ]

    def text_fields(self) -> list[Any]:
        return [f for f in self if not f.name.startswith("field_")]

    def placeholder_fields(self) -> list[list[Any]]:
        """The per-placeholder inputs, grouped four by four (label, type, required, length)."""
        bound = [f for f in self if f.name.startswith("field_")]
        return [bound[i : i + 4] for i in range(0, len(bound), 4)]

    @staticmethod
    def initial_for(template: Template) -> dict[str, Any]:
        overlays = template.overlays or {}
        return {
            "name": template.name,
            "description": template.description,
            "prompt": template.prompt,
            "negative_prompt": template.negative_prompt,
            "script": template.script,
            "title_text": overlays.get("title", {}).get("text", ""),
            "lower_third_name": overlays.get("lower_third", {}).get("name", ""),
            "lower_third_company": overlays.get("lower_third", {}).get("company", ""),
            "end_card_cta": overlays.get("end_card", {}).get("cta", ""),
            "preset": template.preset,
            "voice": template.voice,
            "speed": _speed_choice(template.speed),
        }

    def voice_choice(self) -> tuple[str | None, float | None]:
        """The voice and speed chosen, or None where the form does not offer them."""
        if "voice" not in self.fields:
            return None, None
        return str(self.cleaned_data.get("voice") or ""), float(self.cleaned_data["speed"])

    def preset_choice(self) -> str | None:
        """The preset chosen, or None where the form does not offer one (keep the template's)."""
        if "preset" not in self.fields:
            return None
        return str(self.cleaned_data.get("preset") or Job.Preset.QUALITY)

    def overlays(self, current: dict[str, Any]) -> dict[str, Any]:
        """The overlay settings: an overlay is on when its main text is given; other settings
        of the template's overlays (their timings) are kept."""
        data = self.cleaned_data
        overlays: dict[str, Any] = {}
        if data["title_text"]:
            overlays["title"] = {**current.get("title", {}), "text": data["title_text"]}
        if data["lower_third_name"]:
            overlays["lower_third"] = {
                **current.get("lower_third", {}),
                "name": data["lower_third_name"],
                "company": data["lower_third_company"],
            }
        if data["end_card_cta"]:
            overlays["end_card"] = {**current.get("end_card", {}), "cta": data["end_card_cta"]}
        return overlays


def _voice_choices(voices: list[Any]) -> list[tuple[str, str]]:
    """A choice per voice; one that cannot speak here says why."""
    return [
        (v.name, v.label if v.available else f"{v.label} (unavailable: {v.reason})") for v in voices
    ]


def _speed_choice(speed: float) -> str:
    """The speed choice nearest to ``speed`` (templates keep any speed the service accepts)."""
    return min((v for v, _ in AVATAR_SPEEDS), key=lambda v: abs(float(v) - speed))


class ColorInput(forms.TextInput):
    input_type = "color"


class BrandKitForm(forms.Form):
    """The workspace's logo, colours, font and overlay styles."""

    logo = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text="PNG with transparency works best; JPEG and WebP too.",
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    primary_color = forms.CharField(
        max_length=7, widget=ColorInput, label="Primary colour", help_text="Bars, end card."
    )
    text_color = forms.CharField(max_length=7, widget=ColorInput, label="Text colour")
    accent_color = forms.CharField(
        max_length=7, widget=ColorInput, label="Accent colour", help_text="Rules, underlines."
    )
    font = forms.ChoiceField()
    lower_third_style = forms.ChoiceField(choices=BrandKit.LowerThirdStyle.choices)
    end_card_style = forms.ChoiceField(choices=BrandKit.EndCardStyle.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        font_field = self.fields["font"]
        assert isinstance(font_field, forms.ChoiceField)
        # Only the fonts installed with the project; a font the workers lack would fail jobs.
        font_field.choices = [(name, name) for name in overlays.installed_fonts()]

    def _clean_color(self, name: str) -> str:
        value: str = self.cleaned_data[name]
        try:
            overlays.parse_color(value)
        except ValueError as exc:
            raise ValidationError(str(exc), code="bad_color") from None
        return value.lower()

    def clean_primary_color(self) -> str:
        return self._clean_color("primary_color")

    def clean_text_color(self) -> str:
        return self._clean_color("text_color")

    def clean_accent_color(self) -> str:
        return self._clean_color("accent_color")

    def clean_logo(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("logo")
        if upload is not None:
            self.logo_image = check_image(upload)
        return upload

    @staticmethod
    def initial_for(kit: BrandKit) -> dict[str, Any]:
        return {
            "primary_color": kit.primary_color,
            "text_color": kit.text_color,
            "accent_color": kit.accent_color,
            "font": kit.font,
            "lower_third_style": kit.lower_third_style,
            "end_card_style": kit.end_card_style,
        }


CSV_MAX_BYTES = 2 * 2**20


class BatchForm(forms.Form):
    """A template and a CSV of rows (uploaded, or pasted), checked row by row in the view."""

    template = forms.ModelChoiceField(queryset=Template.objects.none())
    csv = forms.FileField(
        required=False,
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text="The first row names the columns: first_name, company, cta, ...",
    )
    csv_text = forms.CharField(
        required=False,
        strip=False,
        label="or paste the rows",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    image = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text="For image-to-video templates: the photo every video animates.",
    )
    avatar = forms.ModelChoiceField(
        queryset=Avatar.objects.none(),
        required=False,
        label="Presenter",
        help_text="For talking-head templates: the avatar who speaks every row's script.",
    )
    filename_column = forms.CharField(
        required=False,
        max_length=200,
        label="Name the videos after the column",
        help_text="The ZIP's files take their names from this column (blank: row numbers).",
    )

    def __init__(self, *args: Any, templates: Any, avatars: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = templates
        avatar_field = self.fields["avatar"]
        assert isinstance(avatar_field, forms.ModelChoiceField)
        if avatars is not None:
            avatar_field.queryset = avatars

    def clean_csv(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("csv")
        if upload is not None and (upload.size or 0) > CSV_MAX_BYTES:
            raise ValidationError(
                "The CSV is %(size).1f MB; the limit is %(limit).0f MB.",
                code="csv_too_large",
                params={"size": (upload.size or 0) / 2**20, "limit": CSV_MAX_BYTES / 2**20},
            )
        return upload

    def clean_image(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("image")
        if upload is not None:
            self.image_info = check_image(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        if (
            not data.get("csv")
            and not (data.get("csv_text") or "").strip()
            and "csv" not in self.errors
        ):
            self.add_error("csv", ValidationError("Upload a CSV or paste its rows.", code="no_csv"))
        template = data.get("template")
        if (
            template is not None
            and template.mode == Template.Mode.IMAGE_TO_VIDEO
            and not data.get("image")
            and "image" not in self.errors
        ):
            self.add_error(
                "image",
                ValidationError(
                    "%(name)s animates a photo: upload one.",
                    code="image_required",
                    params={"name": template.name},
                ),
            )
        if (
            template is not None
            and template.mode == Template.Mode.AVATAR
            and not data.get("avatar")
            and "avatar" not in self.errors
        ):
            self.add_error(
                "avatar",
                ValidationError(
                    "%(name)s is spoken by a presenter: pick one of your avatars "
                    "(add a portrait under Avatars first).",
                    code="avatar_required",
                    params={"name": template.name},
                ),
            )
        return data

    def csv_bytes(self) -> bytes:
        upload: UploadedFile | None = self.cleaned_data.get("csv")
        if upload is not None:
            upload.seek(0)
            return upload.read()
        return str(self.cleaned_data.get("csv_text") or "").encode("utf-8")


class AvatarUploadForm(forms.Form):
    """A portrait for the avatar library; checked like any upload, then for its face."""

    name = forms.CharField(max_length=100, strip=True)
    image = forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))

    def clean_image(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["image"]
        self.image_info = check_image(upload)
        return upload


AVATAR_SPEEDS = [("0.8", "Slower"), ("1.0", "Normal"), ("1.2", "Faster")]
AVATAR_CAPTIONS = [
    ("file", "Captions as a file (WebVTT, shown by the player)"),
    ("burn", "Captions burned into the video"),
    ("none", "No captions"),
]


class AvatarVideoForm(forms.Form):
    """The talking-head script editor: avatar, script, voice, speed, captions, shape."""

    avatar = forms.ModelChoiceField(queryset=Avatar.objects.none(), empty_label=None)
    script = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), strip=True)
    voice = forms.ChoiceField()
    speed = forms.TypedChoiceField(choices=AVATAR_SPEEDS, coerce=float, initial="1.0")
    captions = forms.ChoiceField(choices=AVATAR_CAPTIONS, initial="file")
    aspect = forms.ChoiceField(choices=[(a, a) for a in ASPECTS], initial="1:1")
    seed = forms.IntegerField(
        min_value=0, max_value=limits.MAX_SEED, required=False, help_text="Blank for random blinks."
    )

    def __init__(self, *args: Any, avatars: Any, voices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        avatar_field = self.fields["avatar"]
        assert isinstance(avatar_field, forms.ModelChoiceField)
        avatar_field.queryset = avatars
        voice_field = self.fields["voice"]
        assert isinstance(voice_field, forms.ChoiceField)
        voice_field.choices = _voice_choices(voices)
        self.available_voices = {v.name for v in voices if v.available}
        voice_field.initial = next((v.name for v in voices if v.available), "")

    def clean_script(self) -> str:
        from generation.avatar.script import check_script

        try:
            return check_script(self.cleaned_data["script"])
        except ValueError as exc:
            raise ValidationError(str(exc), code="bad_script") from None

    def clean_voice(self) -> str:
        voice: str = self.cleaned_data["voice"]
        if voice not in self.available_voices:
            raise ValidationError(
                "This voice cannot speak on this server.", code="voice_unavailable"
            )
        return voice

    def to_params(self) -> AvatarParams:
        data = self.cleaned_data
        width, height = SIZES[data["aspect"]]["medium"]
        return AvatarParams(
            script=data["script"],
            voice=data["voice"],
            speed=data["speed"],
            captions=data["captions"],
            width=width,
            height=height,
            seed=data.get("seed"),
        )


class VoicePreviewForm(forms.Form):
    """What the 'Play voice' button sends: the script, the voice and the speed."""

    script = forms.CharField(strip=True)
    voice = forms.CharField(max_length=40)
    speed = forms.FloatField(min_value=limits.MIN_SPEED, max_value=limits.MAX_SPEED)
