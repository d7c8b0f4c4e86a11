"""Avatar forms: a portrait for the library, the talking-head script editor, and Play voice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from generation import limits
from studio.forms.uploads import ImageUploadField
from studio.models import Avatar
from studio.params import (
    ASPECTS,
    AVATAR_CAPTIONS,
    AVATAR_SPEEDS,
    SIZES,
    AvatarParams,
)


def voice_choices(voices: list[Any]) -> list[tuple[str, str]]:
    """A choice per voice; one that cannot speak here says why."""
    return [
        (v.name, v.label if v.available else f"{v.label} (unavailable: {v.reason})") for v in voices
    ]


def speed_choice(speed: float) -> str:
    """The speed choice nearest to ``speed`` (templates keep any speed the service accepts)."""
    return min((v for v, _ in AVATAR_SPEEDS), key=lambda v: abs(float(v) - speed))


class AvatarUploadForm(forms.Form):
    """A portrait for the avatar library; checked like any upload, then for its face."""

    name = forms.CharField(max_length=100, strip=True)
    image = ImageUploadField()


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
        voice_field.choices = voice_choices(voices)
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
