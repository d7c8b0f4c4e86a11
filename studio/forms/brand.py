"""The brand kit's form: logo, colours, font and overlay styles."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from generation import overlays
from studio.forms.uploads import ImageUploadField
from studio.models import BrandKit


class ColorInput(forms.TextInput):
    input_type = "color"


class BrandKitForm(forms.Form):
    """The workspace's logo, colours, font and overlay styles."""

    logo = ImageUploadField(
        required=False, help_text="PNG with transparency works best; JPEG and WebP too."
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
