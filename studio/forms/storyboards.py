"""Storyboard forms: the script for a new storyboard, the settings the whole video shares, and
one scene. They parse what the page posts; the engine's own checks (run by the services) say
what cannot be made, and the view shows each refusal next to the field it names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from generation import limits
from generation.engines import EngineInfo
from generation.storyboard import board as engine_board
from generation.styles import Style
from studio.forms.avatars import voice_choices
from studio.forms.jobs import style_choices
from studio.forms.uploads import (
    AudioUploadField,
    ImageUploadField,
    megabytes,
    music_max_bytes,
)
from studio.models import Asset, Avatar, Storyboard, StoryboardScene
from studio.params import style_of
from studio.services.storyboards import BrandOpenClose, SceneEdit, StoryboardSettings

AUTO_VOICE = ("", "Automatic: the first that speaks")
AUTO_ENGINE = ("", "The first installed engine")
TIMINGS = [("auto", "Voice plus a little air"), ("fixed", "Fixed length")]


class StoryboardNewForm(forms.Form):
    """A script or an article (plain text or Markdown) and a title, made into scenes."""

    title = forms.CharField(
        max_length=200,
        required=False,
        strip=True,
        help_text="Blank: the first heading, or the start of the text.",
    )
    # Neither required nor capped here: the split says what is wrong with the text, in its
    # own words, whatever the page sent.
    text = forms.CharField(
        label="Script or article",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Plain text or Markdown: a heading becomes a title card, each paragraph a scene.",
    )


class StoryboardSettingsForm(forms.Form):
    """Voice, speed, music and its level, captions, the transition for all, the aspects, and
    the style added to the prompts of the scenes an engine makes."""

    voice = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "The voice '%(value)s' is not offered here."},
    )
    speed = forms.FloatField(
        widget=forms.NumberInput(
            attrs={"min": limits.MIN_SPEED, "max": limits.MAX_SPEED, "step": 0.1}
        ),
        help_text=f"{limits.MIN_SPEED} to {limits.MAX_SPEED}; 1 is the voice's natural pace.",
    )
    music = forms.ChoiceField(choices=Storyboard.Music.choices)
    music_file = AudioUploadField(
        label="Music file",
        required=False,
    )
    music_db = forms.FloatField(
        label="Music level (dB)",
        widget=forms.NumberInput(
            attrs={
                "min": engine_board.MIN_MUSIC_DB,
                "max": engine_board.MAX_MUSIC_DB,
                "step": 1,
            }
        ),
        help_text="Under no voice; the music ducks further while the voice speaks.",
    )
    captions = forms.ChoiceField(choices=Storyboard.Captions.choices)
    transition = forms.ChoiceField(
        label="Transition for all scenes", choices=StoryboardScene.Transition.choices
    )
    aspects = forms.MultipleChoiceField(
        choices=[(a, a) for a in engine_board.ASPECTS],
        required=False,  # none chosen: the engine's check says to choose one
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": (
                f"The aspect '%(value)s' is not offered; choose {', '.join(engine_board.ASPECTS)}."
            )
        },
    )
    # A style preset's name: a built-in one or the workspace's own ("" for none).
    style = forms.ChoiceField(
        required=False,
        error_messages={
            "invalid_choice": "There is no style called %(value)s here; choose one of the list."
        },
        help_text="Added to the prompt and the negative prompt of every text-to-video and "
        "image-to-video scene, with the style's guidance and steps; cards are drawn as they are.",
    )

    brand_intro = forms.BooleanField(
        label="Open with the brand",
        required=False,
        help_text="A brand card (the brand kit's logo and colours) before the first scene.",
    )
    brand_intro_text = forms.CharField(
        label="Opening line",
        max_length=80,
        required=False,
        help_text="Blank: the workspace's name.",
    )
    brand_outro = forms.BooleanField(
        label="Close with the brand",
        required=False,
        help_text="A brand card after the last scene.",
    )
    brand_outro_text = forms.CharField(
        label="Closing line",
        max_length=80,
        required=False,
        help_text="A call to action, say; blank: the logo alone.",
    )

    def __init__(
        self,
        *args: Any,
        voices: list[Any],
        storyboard: Storyboard,
        styles: Sequence[Style] = (),
        **kwargs: Any,
    ):
        kwargs.setdefault("initial", self.initial_for(storyboard))
        super().__init__(*args, **kwargs)
        self.storyboard = storyboard
        voice_field = self.fields["voice"]
        assert isinstance(voice_field, forms.ChoiceField)
        voice_field.choices = [AUTO_VOICE, *_voice_groups(voices)]
        # The storyboard's own copy stays offered once its workspace style is deleted.
        current = style_of(storyboard.style)
        kept = [current] if current and current.name not in {s.name for s in styles} else []
        style_field = self.fields["style"]
        assert isinstance(style_field, forms.ChoiceField)
        style_field.choices = style_choices([*styles, *kept])
        # Here, not on the field: the cap follows the settings (forms.uploads.music_max_bytes).
        self.fields["music_file"].help_text = (
            f"MP3, WAV, M4A or OGG, up to {megabytes(music_max_bytes())} "
            f"and {limits.MAX_MUSIC_SECONDS // 60} minutes; checked by its content."
        )

    @staticmethod
    def initial_for(storyboard: Storyboard) -> dict[str, Any]:
        return {
            "voice": storyboard.voice,
            "speed": storyboard.speed,
            "music": storyboard.music,
            "music_db": storyboard.music_db,
            "captions": storyboard.captions,
            "transition": storyboard.transition,
            "aspects": storyboard.aspects,
            "style": storyboard.style.get("name", ""),
            "brand_intro": storyboard.brand_intro,
            "brand_intro_text": storyboard.brand_intro_text,
            "brand_outro": storyboard.brand_outro,
            "brand_outro_text": storyboard.brand_outro_text,
        }

    @property
    def brand_choices(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """The brand's open and close, each toggle beside its line (the page shows them so)."""
        return [
            (self["brand_intro"], self["brand_intro_text"]),
            (self["brand_outro"], self["brand_outro_text"]),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("music_file") and data.get("music") != Storyboard.Music.UPLOAD:
            self.add_error(
                "music", ValidationError("Choose “An uploaded file” to use it.", code="music_file")
            )
        return data

    def to_settings(self, music_asset: Asset | None) -> StoryboardSettings:
        """The settings as posted; ``music_asset`` is the new upload, else the one kept."""
        data = self.cleaned_data
        return StoryboardSettings(
            voice=data["voice"],
            speed=data["speed"],
            music=data["music"],
            music_db=data["music_db"],
            captions=data["captions"],
            transition=data["transition"],
            aspects=list(data["aspects"]),
            music_asset=music_asset or self.storyboard.music_asset,
            style=data["style"],
            brand=BrandOpenClose(
                intro=data["brand_intro"],
                intro_text=data["brand_intro_text"],
                outro=data["brand_outro"],
                outro_text=data["brand_outro_text"],
            ),
        )


def _voice_groups(voices: list[Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The voices grouped by what speaks them: the eSpeak NG languages labelled as such."""
    neural = [v for v in voices if v.backend != "espeak"]
    espeak = [v for v in voices if v.backend == "espeak"]
    groups = [("Neural voices", voice_choices(neural))] if neural else []
    if espeak:
        groups.append(("eSpeak NG languages (formant synthesis)", voice_choices(espeak)))
    return groups


class SceneForm(forms.Form):
    """One scene's card: its visual and what drives it, its words, transition and length."""

    visual = forms.ChoiceField(choices=StoryboardScene.Visual.choices)
    engine = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "The engine '%(value)s' is not installed here."},
    )
    image = forms.ModelChoiceField(
        label="Image",
        queryset=Asset.objects.none(),
        required=False,
        empty_label="(none)",
        error_messages={"invalid_choice": "No uploaded image of this workspace has that id."},
    )
    image_upload = ImageUploadField(label="Or upload an image", required=False)
    avatar = forms.ModelChoiceField(
        label="Avatar",
        queryset=Avatar.objects.none(),
        required=False,
        empty_label="(choose one)",
        error_messages={"invalid_choice": "No avatar of this workspace has that id."},
    )
    voiceover = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="What the voice says."
    )
    on_screen_text = forms.CharField(label="On-screen text", max_length=200, required=False)
    prompt = forms.CharField(
        required=False,
        max_length=limits.MAX_PROMPT_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What text- and image-to-video make; built from the voiceover, yours to change.",
    )
    transition = forms.ChoiceField(choices=StoryboardScene.Transition.choices)
    # Offered only where an installed engine makes sound; not posted, the scene's stays.
    sound = forms.ChoiceField(
        label="Scene sound",
        choices=StoryboardScene.Sound.choices,
        required=False,
        help_text="The sound the engine made with the footage.",
        error_messages={
            "invalid_choice": "Keep the scene's sound, duck it under the voice, or mute it."
        },
    )
    timing = forms.ChoiceField(label="Duration", choices=TIMINGS, widget=forms.RadioSelect)
    duration = forms.FloatField(
        label="Seconds",
        required=False,
        widget=forms.NumberInput(attrs={"min": 0.5, "max": limits.MAX_SCENE_SECONDS, "step": 0.5}),
    )

    def __init__(
        self,
        *args: Any,
        scene: StoryboardScene,
        engines: list[EngineInfo],
        images: Any,
        avatars: Any,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", self.initial_for(scene))
        kwargs.setdefault("prefix", f"scene-{scene.pk}")
        super().__init__(*args, **kwargs)
        self.scene = scene
        engine_field = self.fields["engine"]
        assert isinstance(engine_field, forms.ChoiceField)
        makers = [e for e in engines if set(e.modes) & set(engine_board.ENGINE_VISUALS.values())]
        engine_field.choices = [AUTO_ENGINE, *((e.name, _engine_label(e)) for e in makers)]
        # The engines whose footage has a sound of its own: the page shows the scene's sound
        # only while one of them is chosen.
        self.sound_engines = [e.name for e in makers if e.sound]
        if not self.sound_engines:
            del self.fields["sound"]
        image_field = self.fields["image"]
        assert isinstance(image_field, forms.ModelChoiceField)
        image_field.queryset = images
        avatar_field = self.fields["avatar"]
        assert isinstance(avatar_field, forms.ModelChoiceField)
        avatar_field.queryset = avatars

    @staticmethod
    def initial_for(scene: StoryboardScene) -> dict[str, Any]:
        return {
            "visual": scene.visual,
            "engine": scene.engine,
            "image": scene.image_id,
            "avatar": scene.avatar_id,
            "voiceover": scene.voiceover,
            "on_screen_text": scene.on_screen_text,
            "prompt": scene.prompt,
            "transition": scene.transition,
            "sound": scene.sound,
            "timing": "auto" if scene.duration is None else "fixed",
            "duration": scene.duration,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("timing") == "fixed" and data.get("duration") is None:
            self.add_error(
                "duration", ValidationError("Give the scene's length in seconds.", code="no_length")
            )
        if data.get("visual") == StoryboardScene.Visual.TALKING_HEAD and not data.get("avatar"):
            self.add_error(
                "avatar",
                ValidationError("Choose one of the workspace's avatars.", code="no_avatar"),
            )
        if data.get("image") and data.get("image_upload"):
            self.add_error(
                "image_upload",
                ValidationError("Pick an image or upload one, not both.", code="two_images"),
            )
        return data

    def to_edit(self, uploaded: Asset | None) -> SceneEdit:
        """The scene as posted; ``uploaded`` is the image just stored from ``image_upload``."""
        data = self.cleaned_data
        talking = data["visual"] == StoryboardScene.Visual.TALKING_HEAD
        return SceneEdit(
            visual=data["visual"],
            voiceover=data["voiceover"],
            on_screen_text=data["on_screen_text"],
            prompt=data["prompt"],
            transition=data["transition"],
            engine=data["engine"] if data["visual"] in engine_board.ENGINE_VISUALS else "",
            duration=data["duration"] if data["timing"] == "fixed" else None,
            image=None if talking else (uploaded or data["image"]),
            avatar=data["avatar"] if talking else None,
            sound=data.get("sound") or self.scene.sound,
        )


def _engine_label(engine: EngineInfo) -> str:
    makes = " and ".join(m for m in engine.modes if m in engine_board.ENGINE_VISUALS.values())
    label = f"{engine.label} ({makes})"
    return label if engine.available else f"{label}: unavailable, {engine.reason}"
