"""The style LoRA upload form: a name, the model it is for, and the safetensors file."""

from __future__ import annotations

from typing import Any

from django import forms

from generation.engines import EngineInfo


class StyleLoraUploadForm(forms.Form):
    """A LoRA file for one of the configured diffusers models (checked by the service)."""

    name = forms.CharField(max_length=100, help_text="What the look is called in the editor.")
    engine = forms.ChoiceField(
        label="Model", help_text="The LoRA is checked against this model's layers."
    )
    file = forms.FileField(
        label="LoRA file",
        widget=forms.ClearableFileInput(attrs={"accept": ".safetensors"}),
        help_text="A .safetensors file in diffusers' layout.",
    )

    def __init__(self, *args: Any, engines: list[EngineInfo], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        engine_field = self.fields["engine"]
        assert isinstance(engine_field, forms.ChoiceField)
        engine_field.choices = [(e.name, e.label) for e in engines]
