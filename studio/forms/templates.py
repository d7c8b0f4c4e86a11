"""Template forms: filling one's fields, saving a job as one, and editing one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from generation import limits
from generation.styles import Style
from studio import placeholders
from studio.forms.avatars import speed_choice, voice_choices
from studio.forms.jobs import StyleLoraChoiceField, style_choices
from studio.forms.uploads import ImageUploadField
from studio.models import Avatar, Job, StyleLora, Template
from studio.params import (
    AVATAR_SPEEDS,
    STYLE_LORA_STRENGTH_DEFAULT,
    STYLE_LORA_STRENGTHS,
)


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
            self.fields["image"] = ImageUploadField(
                help_text="The photo to animate: JPEG, PNG or WebP."
            )

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
    # Texts are held to the limits a filled template is held to (generation/limits.py).
    description = forms.CharField(
        required=False,
        max_length=limits.MAX_DESCRIPTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        strip=True,
    )
    prompt = forms.CharField(
        max_length=limits.MAX_PROMPT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
        help_text="Write {first_name}, {company} or any {name}: each becomes a field to fill.",
    )
    negative_prompt = forms.CharField(
        required=False,
        max_length=limits.MAX_PROMPT_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        strip=True,
    )
    script = forms.CharField(
        required=False,
        max_length=limits.MAX_SCRIPT_CHARS,
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

    style = forms.ChoiceField(
        required=False,
        help_text="Every video made from this template, batches included, uses it as it is now.",
    )
    # The workspace's style LoRAs; the service checks the one chosen against the engine.
    style_lora = StyleLoraChoiceField(
        queryset=StyleLora.objects.none(),
        required=False,
        label="Style LoRA",
        empty_label="None",
        error_messages={"invalid_choice": "No style LoRA of this workspace is that one."},
        help_text="Every video made from this template, batches included, runs with it.",
    )
    style_lora_strength = forms.FloatField(
        min_value=STYLE_LORA_STRENGTHS[0],
        max_value=STYLE_LORA_STRENGTHS[1],
        required=False,
        label="Style strength",
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        help_text="0 adds nothing, 1 is the look as trained, 2 doubles it.",
    )

    def __init__(
        self,
        *args: Any,
        template_fields: list[dict[str, Any]],
        presets: tuple[str, ...] | list[str] = ("quality",),
        current_preset: str = "quality",
        voices: list[Any] | None = None,
        styles: Sequence[Style] = (),
        current_style: Style | None = None,
        style_loras: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if voices is not None or style_loras is None:  # a talking head runs no LoRA
            del self.fields["style_lora"], self.fields["style_lora_strength"]
        else:
            lora_field = self.fields["style_lora"]
            assert isinstance(lora_field, forms.ModelChoiceField)
            lora_field.queryset = style_loras
        if voices is not None:  # a talking head's picture is the portrait: no style applies
            del self.fields["style"]
        else:
            known = {s.name for s in styles}
            kept = [current_style] if current_style and current_style.name not in known else []
            style_field = self.fields["style"]
            assert isinstance(style_field, forms.ChoiceField)
            style_field.choices = style_choices([*styles, *kept])
        if voices is not None:  # a talking-head template: who speaks the script, how fast
            self.fields["voice"] = forms.ChoiceField(
                choices=[("", "The first voice that can speak here"), *voice_choices(voices)],
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
            "style": template.style.get("name", ""),
            "style_lora": template.style_lora_id,
            "style_lora_strength": template.style_lora_strength,
            "voice": template.voice,
            "speed": speed_choice(template.speed),
        }

    def voice_choice(self) -> tuple[str | None, float | None]:
        """The voice and speed chosen, or None where the form does not offer them."""
        if "voice" not in self.fields:
            return None, None
        return str(self.cleaned_data.get("voice") or ""), float(self.cleaned_data["speed"])

    def style_choice(self) -> str | None:
        """The style's name chosen ("" for none), or None where the form offers no style."""
        if "style" not in self.fields:
            return None
        return str(self.cleaned_data.get("style") or "")

    def style_lora_choice(self) -> tuple[StyleLora | None, float] | None:
        """The LoRA chosen (None for none) and its strength, or None where none is offered."""
        if "style_lora" not in self.fields:
            return None
        strength = self.cleaned_data.get("style_lora_strength")
        return (
            self.cleaned_data.get("style_lora"),
            STYLE_LORA_STRENGTH_DEFAULT if strength is None else strength,
        )

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
