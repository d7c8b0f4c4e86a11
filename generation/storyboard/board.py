"""A storyboard as plain values: its scenes, voice, music, captions, brand and aspects.

``check_storyboard`` refuses what cannot be made, with a message naming the scene and the fix,
before any footage or voice is made (the studio calls it before it queues anything).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from generation.avatar import script, tts
from generation.engines import EngineSettings, list_engines, settings_from_env
from generation.limits import (
    MAX_SCENE_SECONDS,
    MAX_SCENES,
    MAX_SCRIPT_CHARS,
    MAX_SEED,
    MAX_SPEED,
    MIN_SPEED,
)
from generation.overlays import Brand
from generation.styles import Style, check_style, check_styled
from generation.types import VideoRequest

Visual = Literal["text-card", "brand-card", "text-to-video", "image-to-video", "talking-head"]
Transition = Literal["cut", "crossfade", "fade-black", "slide"]
Fit = Literal["hold", "loop"]
CaptionMode = Literal["burn", "file", "none"]
SceneSound = Literal["keep", "duck", "mute"]

VISUALS: tuple[Visual, ...] = (
    "text-card",
    "brand-card",
    "text-to-video",
    "image-to-video",
    "talking-head",
)
TRANSITIONS: tuple[Transition, ...] = ("cut", "crossfade", "fade-black", "slide")
FITS: tuple[Fit, ...] = ("hold", "loop")
CAPTION_MODES: tuple[CaptionMode, ...] = ("burn", "file", "none")
# What becomes of the sound an engine made with a scene's footage (LTX-2's): kept at its own
# level, ducked under the voice like the music, or muted. Other footage has none to mix.
SCENE_SOUNDS: tuple[SceneSound, ...] = ("keep", "duck", "mute")
MUSIC_BEDS = ("calm", "upbeat", "corporate")
MIN_MUSIC_DB, MAX_MUSIC_DB = -40.0, 0.0
# Output sizes per aspect, for a short side of 720 px; Storyboard.short_side scales them.
ASPECTS: dict[str, tuple[int, int]] = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
FPS = 25  # every storyboard's frame rate: captions and voices are placed to the frame
ENGINE_VISUALS: dict[str, str] = {  # the visuals an engine makes, and the mode it needs
    "text-to-video": "text-to-video",
    "image-to-video": "image-to-video",
}


@dataclass(frozen=True)
class Scene:
    """One scene: what is seen, what is said, and how it gives way to the one before."""

    visual: Visual = "text-card"
    voiceover: str = ""  # what the voice says over the scene; may be empty with a fixed duration
    on_screen_text: str = ""  # a text or brand card's words
    prompt: str = ""  # what an engine makes (text-to-video, image-to-video)
    engine: str | None = None  # an engine name; None: the first installed for the visual
    image_path: Path | None = None  # the image to animate, a text card's backdrop, a portrait
    transition: Transition = "crossfade"  # how this scene enters from the previous one
    duration: float | None = None  # seconds; None: the voice plus a little air
    fit: Fit = "hold"  # footage shorter than the scene: slowed (at most 2x) then held, or looped
    title: bool = False  # a text card drawn as a title (a heading's scene)
    sound: SceneSound = "duck"  # the footage's own sound, where its engine made one


@dataclass(frozen=True)
class BrandCard:
    """The brand's open or close: logo and a line over the brand's colours."""

    text: str = ""  # the brand's name, a tagline, a call to action
    seconds: float = 2.5


@dataclass(frozen=True)
class Storyboard:
    """A whole storyboard, as the engine makes it."""

    scenes: tuple[Scene, ...]
    voice: str | None = None  # see tts.list_voices(); None: the first that can speak
    speed: float = 1.0
    music: str | Path | None = None  # None, an audio file, or a bed: "calm", "upbeat", "corporate"
    music_db: float = -16.0  # the music's level under no voice, relative to full scale
    captions: CaptionMode = "file"
    aspects: tuple[str, ...] = ("16:9",)
    brand: Brand = field(default_factory=Brand)  # colours, font and logo of the cards
    intro: BrandCard | None = None
    outro: BrandCard | None = None
    seed: int = 0
    style: Style | None = None  # a style preset for the scenes an engine makes
    short_side: int = 720  # pixels: 16:9 is 1280x720, 9:16 720x1280, 1:1 720x720


def frame_size(aspect: str, short_side: int) -> tuple[int, int]:
    """(width, height) of ``aspect`` with its short side ``short_side``, both even."""
    if aspect not in ASPECTS:
        raise ValueError(f"The aspect '{aspect}' is not offered; choose {', '.join(ASPECTS)}.")
    across, down = ASPECTS[aspect]
    scale = short_side / min(across, down)
    return 2 * round(across * scale / 2), 2 * round(down * scale / 2)


def all_scenes(board: Storyboard) -> list[Scene]:
    """The scenes in play order, the brand open and close made into brand-card scenes."""
    scenes = list(board.scenes)
    if board.intro is not None:
        scenes.insert(0, _brand_scene(board.intro, "cut"))
    if board.outro is not None:
        scenes.append(_brand_scene(board.outro, "fade-black"))
    return scenes


def _brand_scene(card: BrandCard, transition: Transition) -> Scene:
    return Scene(
        visual="brand-card",
        on_screen_text=card.text,
        transition=transition,
        duration=card.seconds,
    )


def check_storyboard(board: Storyboard, *, settings: EngineSettings | None = None) -> None:
    """Raise ValueError with a message a user can act on when the storyboard cannot be made."""
    if not board.scenes:
        raise ValueError("The storyboard has no scenes; add one.")
    if len(all_scenes(board)) > MAX_SCENES:
        raise ValueError(
            f"The storyboard has {len(all_scenes(board))} scenes; the limit is {MAX_SCENES}."
        )
    if not MIN_SPEED <= board.speed <= MAX_SPEED:
        raise ValueError(f"The speed is {board.speed}; use {MIN_SPEED} to {MAX_SPEED}.")
    if board.captions not in CAPTION_MODES:
        raise ValueError(f"Captions are one of {', '.join(CAPTION_MODES)}, not '{board.captions}'.")
    if not board.aspects:
        raise ValueError("Choose at least one aspect to render.")
    for aspect in board.aspects:
        frame_size(aspect, board.short_side)
    if not 0 <= board.seed <= MAX_SEED:
        raise ValueError(f"The seed is {board.seed}; it must be between 0 and {MAX_SEED}.")
    if board.style is not None:
        check_style(board.style)
    if not MIN_MUSIC_DB <= board.music_db <= MAX_MUSIC_DB:
        raise ValueError(
            f"The music level is {board.music_db} dB; use {MIN_MUSIC_DB:g} to {MAX_MUSIC_DB:g} dB."
        )
    for card in (board.intro, board.outro):
        if card is not None and not 0 < card.seconds <= MAX_SCENE_SECONDS:
            raise ValueError(
                f"A brand card lasts {card.seconds} s; use more than 0 and up to "
                f"{MAX_SCENE_SECONDS:g} s."
            )
    try:
        tts.check_voice(board.voice or tts.default_voice())
    except tts.VoiceUnavailable as exc:
        raise ValueError(str(exc)) from None
    _check_music(board.music)
    installed = _installed_engines(board, settings)
    for number, scene in enumerate(board.scenes, start=1):
        _check_scene(number, scene, installed)
        if board.style is not None and scene.visual in ENGINE_VISUALS:
            try:  # the style's words follow the scene's prompt, within the prompt's limit
                check_styled(VideoRequest(prompt=scene.prompt, style=board.style))
            except ValueError as exc:
                raise ValueError(f"Scene {number}: {exc}") from None


def _check_scene(number: int, scene: Scene, installed: dict[str, tuple[str, ...]]) -> None:
    where = f"Scene {number}"
    if scene.visual not in VISUALS:
        raise ValueError(
            f"{where}: the visual '{scene.visual}' is not one of {', '.join(VISUALS)}."
        )
    if scene.transition not in TRANSITIONS:
        raise ValueError(
            f"{where}: the transition '{scene.transition}' is not one of {', '.join(TRANSITIONS)}."
        )
    if scene.fit not in FITS:
        raise ValueError(f"{where}: footage is fitted by {' or '.join(FITS)}, not '{scene.fit}'.")
    if scene.sound not in SCENE_SOUNDS:
        raise ValueError(
            f"{where}: its own sound is one of {', '.join(SCENE_SOUNDS)}, not '{scene.sound}'."
        )
    if scene.duration is not None and not 0 < scene.duration <= MAX_SCENE_SECONDS:
        raise ValueError(
            f"{where} lasts {scene.duration} s; use more than 0 and up to {MAX_SCENE_SECONDS:g} s."
        )
    if scene.voiceover.strip():
        check_voiceover(scene.voiceover, where=where)
    elif scene.duration is None:
        raise ValueError(f"{where} has nothing to say: give it a voiceover or a fixed duration.")
    if scene.visual == "talking-head" and not scene.voiceover.strip():
        raise ValueError(f"{where} is a talking head with nothing to say; give it a voiceover.")
    if scene.visual in ENGINE_VISUALS:
        _check_engine(where, scene, installed)
    if scene.visual in ("image-to-video", "talking-head") and scene.image_path is None:
        raise ValueError(f"{where} needs an image: upload one or choose another visual.")
    if scene.image_path is not None and not Path(scene.image_path).is_file():
        raise ValueError(f"{where}: the image {scene.image_path} does not exist.")
    if scene.visual == "text-to-video" and not scene.prompt.strip():
        raise ValueError(f"{where} has no prompt: describe what it shows.")


def check_voiceover(text: str, *, where: str) -> str:
    """The voiceover as the voice reads it, or ValueError naming what it cannot speak."""
    try:
        return script.check_script(text, max_chars=MAX_SCRIPT_CHARS)
    except ValueError as exc:
        message = (
            str(exc)
            .replace("The script", "its voiceover")
            .replace("the avatar", "the voice")
            .replace("several videos", "several scenes")
        )
        raise ValueError(f"{where}: {message}") from None


def _check_engine(where: str, scene: Scene, installed: dict[str, tuple[str, ...]]) -> None:
    mode = ENGINE_VISUALS[scene.visual]
    if scene.engine is None:
        if not any(mode in modes for modes in installed.values()):
            raise ValueError(
                f"{where} is {mode} but no {mode} engine is installed here; choose a text card."
            )
        return
    if scene.engine not in installed:
        raise ValueError(f"{where}: the engine '{scene.engine}' is not installed here.")
    if mode not in installed[scene.engine]:
        raise ValueError(f"{where}: the engine '{scene.engine}' cannot make {mode}.")


def _installed_engines(
    board: Storyboard, settings: EngineSettings | None
) -> dict[str, tuple[str, ...]]:
    if not any(scene.visual in ENGINE_VISUALS for scene in board.scenes):
        return {}
    engines = list_engines(settings or settings_from_env())
    return {info.name: tuple(info.modes) for info in engines if info.available}


def _check_music(music: str | Path | None) -> None:
    from generation.storyboard import music as beds

    if music is None or music in MUSIC_BEDS:
        return
    if isinstance(music, str) and not re.search(r"[/\\.]", music):
        raise ValueError(
            f"The music '{music}' is neither a file nor a bed; choose {', '.join(MUSIC_BEDS)}."
        )
    beds.check_music(Path(music))
