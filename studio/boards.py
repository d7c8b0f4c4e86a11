"""A stored storyboard as the plain values generation/storyboard takes (its Storyboard and
Scenes), for the checks before anything is saved or queued and for the render."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from generation.overlays import Brand
from generation.storyboard import board as engine_board
from generation.styles import Style
from studio.models import Storyboard, StoryboardScene


def scene_values(scene: StoryboardScene) -> engine_board.Scene:
    """One stored scene as the engine's Scene. Its image (an upload, or a talking head's
    portrait) is read from local storage."""
    image = scene.avatar.image if scene.avatar_id and scene.avatar else scene.image
    return engine_board.Scene(
        visual=scene.visual,  # type: ignore[arg-type]  # one of the model's choices
        voiceover=scene.voiceover,
        on_screen_text=scene.on_screen_text,
        prompt=scene.prompt,
        engine=scene.engine or None,
        image_path=Path(image.file.path) if image is not None else None,
        transition=scene.transition,  # type: ignore[arg-type]
        duration=scene.duration,
        title=scene.title,
        sound=scene.sound,  # type: ignore[arg-type]
    )


def board_values(
    storyboard: Storyboard,
    scenes: Sequence[StoryboardScene],
    *,
    brand: Brand | None = None,
    short_side: int = 720,
) -> engine_board.Storyboard:
    """The storyboard with ``scenes`` (in play order) as the engine's Storyboard."""
    music: str | Path | None = None
    if storyboard.music == Storyboard.Music.UPLOAD and storyboard.music_asset is not None:
        music = Path(storyboard.music_asset.file.path)
    elif storyboard.music in engine_board.MUSIC_BEDS:
        music = storyboard.music
    return engine_board.Storyboard(
        scenes=tuple(scene_values(scene) for scene in scenes),
        intro=intro_card(storyboard),
        outro=outro_card(storyboard),
        voice=storyboard.voice or None,
        speed=storyboard.speed,
        music=music,
        music_db=storyboard.music_db,
        captions=storyboard.captions,  # type: ignore[arg-type]
        style=Style.from_dict(storyboard.style) if storyboard.style else None,
        aspects=tuple(storyboard.aspects),
        brand=brand or Brand(),
        short_side=short_side,
    )


def intro_card(storyboard: Storyboard) -> engine_board.BrandCard | None:
    """The brand's open, when chosen: its own line, else the workspace's name."""
    if not storyboard.brand_intro:
        return None
    return engine_board.BrandCard(text=storyboard.brand_intro_text or storyboard.workspace.name)


def outro_card(storyboard: Storyboard) -> engine_board.BrandCard | None:
    """The brand's close, when chosen: its own line (a call to action), or the logo alone."""
    if not storyboard.brand_outro:
        return None
    return engine_board.BrandCard(text=storyboard.brand_outro_text)
