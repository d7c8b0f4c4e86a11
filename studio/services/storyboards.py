"""Storyboards: a script split into scenes, its scenes edited, added, duplicated, deleted and
reordered, and the settings the whole video shares.

Every write is checked by the engine's own rules (generation.storyboard.board.check_storyboard)
on the storyboard as it would be after the change, so bad input raises a ValidationError keyed
by the field to fix, and nothing is saved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from generation.prompts import analyse_scene
from generation.storyboard import board as engine_board
from generation.storyboard.split import split_script
from studio import placeholders, selectors
from studio.boards import board_values
from studio.engines import engine_settings
from studio.models import Asset, Avatar, Project, Storyboard, StoryboardScene, Workspace
from studio.params import style_of
from studio.services.errors import refused_as

DEFAULT_ASPECTS = ["16:9"]
NEW_SCENE_SECONDS = 3.0  # an added scene has nothing to say yet: it lasts this long
NEW_SCENE_TEXT = "New scene"

# Which field an engine refusal is shown next to: the first phrase its message contains.
_FIELD_OF_MESSAGE = (
    ("own sound", "sound"),
    ("voiceover", "voiceover"),
    ("nothing to say", "voiceover"),
    ("no prompt", "prompt"),
    ("style", "style"),
    ("engine", "engine"),
    ("needs an image", "image"),
    ("the image", "image"),
    ("transition", "transition"),
    ("visual", "visual"),
    ("lasts", "duration"),
    ("voice", "voice"),
    ("speed", "speed"),
    ("music level", "music_db"),
    ("music", "music"),
    ("aspect", "aspects"),
    ("brand card", "brand_intro"),
    ("captions", "captions"),
)


@dataclass(frozen=True)
class SceneEdit:
    """What a user may change in one scene (every field, as the scene form posts it)."""

    visual: str
    voiceover: str
    on_screen_text: str
    prompt: str
    transition: str
    engine: str = ""
    duration: float | None = None
    image: Asset | None = None
    avatar: Avatar | None = None
    sound: str = StoryboardScene.Sound.DUCK  # the footage's own sound, where its engine made one


@dataclass(frozen=True)
class BrandOpenClose:
    """Whether the video opens and closes with a brand card, and each card's line."""

    intro: bool = False
    intro_text: str = ""
    outro: bool = False
    outro_text: str = ""


@dataclass(frozen=True)
class StoryboardSettings:
    """What the whole storyboard shares."""

    voice: str
    speed: float
    music: str
    music_db: float
    captions: str
    transition: str
    aspects: list[str]
    music_asset: Asset | None = None
    style: str | None = None  # a style's name for the scenes' prompts; "" none, None: keep
    brand: BrandOpenClose | None = None  # None: keep the storyboard's


def storyboard_create_from_text(
    *,
    workspace: Workspace,
    user: User,
    text: str,
    title: str = "",
    speed: float = 1.0,
    project: Project | None = None,
) -> Storyboard:
    """Split a script or an article into scenes (text cards; a heading a title card) and
    store them; ValidationError on ``text`` says what to change, and nothing is stored."""
    with refused_as("bad_script"):
        drafts = split_script(text, speed=speed)
    for number, draft in enumerate(drafts, start=1):
        if draft.voiceover.strip():
            with refused_as("bad_voiceover"):
                engine_board.check_voiceover(draft.voiceover, where=f"Scene {number}")
    if not title.strip():
        title = drafts[0].on_screen_text or drafts[0].voiceover[:60] or "Storyboard"
    with transaction.atomic():
        storyboard = Storyboard.objects.create(
            workspace=workspace,
            project=project,
            created_by=user,
            title=title.strip()[:200],
            source_text=text,
            speed=speed,
            aspects=list(DEFAULT_ASPECTS),
        )
        StoryboardScene.objects.bulk_create(
            StoryboardScene(
                storyboard=storyboard,
                position=position,
                visual=StoryboardScene.Visual.TEXT_CARD,
                title=draft.kind == "title",
                voiceover=draft.voiceover,
                on_screen_text=draft.on_screen_text[:200],
                prompt=draft.prompt,
                transition=storyboard.transition,
                analysis=draft.analysis.as_dict(),
            )
            for position, draft in enumerate(drafts)
        )
    return storyboard


def storyboard_settings_update(
    *, storyboard: Storyboard, settings: StoryboardSettings
) -> Storyboard:
    """Change the voice, speed, music, captions, default transition, aspects and the brand's
    open and close."""
    if settings.music == Storyboard.Music.UPLOAD and settings.music_asset is None:
        raise ValidationError({"music": ValidationError("Upload the music.", code="no_music")})
    storyboard.voice = settings.voice
    storyboard.speed = settings.speed
    storyboard.music = settings.music
    storyboard.music_asset = settings.music_asset if settings.music == "upload" else None
    storyboard.music_db = settings.music_db
    storyboard.captions = settings.captions
    storyboard.aspects = list(settings.aspects)
    if settings.brand is not None:
        storyboard.brand_intro = settings.brand.intro
        storyboard.brand_intro_text = settings.brand.intro_text.strip()
        storyboard.brand_outro = settings.brand.outro
        storyboard.brand_outro_text = settings.brand.outro_text.strip()
    if settings.style is not None:
        chosen = selectors.style_named(
            workspace=storyboard.workspace,
            name=settings.style,
            current=style_of(storyboard.style),
        )
        storyboard.style = chosen.as_dict() if chosen else {}
    scenes = _scenes(storyboard)
    retransition = settings.transition != storyboard.transition
    storyboard.transition = settings.transition
    if retransition:  # a new default transition is every scene's; each may differ after
        for scene in scenes:
            scene.transition = settings.transition
    _check(storyboard, scenes)
    with transaction.atomic():
        storyboard.save()
        if retransition:
            storyboard.scenes.update(transition=settings.transition)
    return storyboard


def storyboard_scene_update(*, scene: StoryboardScene, edit: SceneEdit) -> StoryboardScene:
    """Change one scene; the analysis follows its voiceover, the prompt stays as typed."""
    voiceover_changed = edit.voiceover != scene.voiceover
    scene.visual = edit.visual
    scene.voiceover = edit.voiceover
    scene.on_screen_text = edit.on_screen_text
    scene.prompt = edit.prompt
    scene.transition = edit.transition
    scene.engine = edit.engine
    scene.duration = edit.duration
    scene.image = edit.image
    scene.avatar = edit.avatar
    scene.sound = edit.sound
    if voiceover_changed:
        scene.analysis = analyse_scene(edit.voiceover).as_dict() if edit.voiceover else {}
    scenes = [scene if s.pk == scene.pk else s for s in _scenes(scene.storyboard)]
    _check(scene.storyboard, scenes)
    scene.save()
    _touch(scene.storyboard)
    return scene


def storyboard_scene_add(
    *, storyboard: Storyboard, after: StoryboardScene | None = None
) -> StoryboardScene:
    """A new text card after ``after`` (at the end without one), lasting a few seconds
    until it is given words."""
    scenes = _scenes(storyboard)
    new = StoryboardScene(
        storyboard=storyboard,
        visual=StoryboardScene.Visual.TEXT_CARD,
        on_screen_text=NEW_SCENE_TEXT,
        transition=storyboard.transition,
        duration=NEW_SCENE_SECONDS,
    )
    index = scenes.index(after) + 1 if after is not None else len(scenes)
    return _insert(storyboard, scenes, index, new)


def storyboard_scene_duplicate(*, scene: StoryboardScene) -> StoryboardScene:
    """A copy of the scene, right after it."""
    scenes = _scenes(scene.storyboard)
    copy = StoryboardScene(
        storyboard=scene.storyboard,
        visual=scene.visual,
        title=scene.title,
        voiceover=scene.voiceover,
        on_screen_text=scene.on_screen_text,
        prompt=scene.prompt,
        engine=scene.engine,
        image=scene.image,
        avatar=scene.avatar,
        transition=scene.transition,
        duration=scene.duration,
        sound=scene.sound,
        analysis=dict(scene.analysis),
    )
    return _insert(scene.storyboard, scenes, scenes.index(scene) + 1, copy)


def storyboard_scene_delete(*, scene: StoryboardScene) -> None:
    """Remove a scene; the last one stays (a storyboard has at least one)."""
    scenes = _scenes(scene.storyboard)
    if len(scenes) == 1:
        raise ValidationError(
            "This is the storyboard's only scene; change it rather than delete it.",
            code="last_scene",
        )
    gone = scene.pk
    with transaction.atomic():
        scene.delete()
        _renumber([s for s in scenes if s.pk != gone])
        _touch(scene.storyboard)


def storyboard_scene_move(*, scene: StoryboardScene, offset: int) -> None:
    """Move a scene ``offset`` places (-1: up, 1: down)."""
    scenes = _scenes(scene.storyboard)
    index = scenes.index(scene)
    target = index + offset
    if not 0 <= target < len(scenes):
        where = "first" if target < 0 else "last"
        raise ValidationError(f"Scene {index + 1} is already {where}.", code="cannot_move")
    scenes.insert(target, scenes.pop(index))
    with transaction.atomic():
        _renumber(scenes)
        _touch(scene.storyboard)


def storyboard_delete(*, storyboard: Storyboard) -> None:
    storyboard.delete()


# Helpers -------------------------------------------------------------------------------------


def _scenes(storyboard: Storyboard) -> list[StoryboardScene]:
    return list(storyboard.scenes.select_related("image", "avatar__image").order_by("position"))


def _insert(
    storyboard: Storyboard, scenes: list[StoryboardScene], index: int, new: StoryboardScene
) -> StoryboardScene:
    scenes.insert(index, new)
    _check(storyboard, scenes)
    with transaction.atomic():
        new.position = index
        new.save()
        _renumber(scenes)
        _touch(storyboard)
    return new


def _renumber(scenes: Sequence[StoryboardScene]) -> None:
    for position, scene in enumerate(scenes):
        if scene.position != position:
            scene.position = position
            scene.save(update_fields=["position"])


def _touch(storyboard: Storyboard) -> None:
    storyboard.save(update_fields=["updated_at"])


PLACEHOLDER_SAMPLE = "Sample"  # what a placeholder is checked as


def _sampled(scene: engine_board.Scene) -> engine_board.Scene:
    """The scene with each {placeholder} of its texts as a sample word."""

    def sample(text: str) -> str:
        return placeholders.PLACEHOLDER.sub(PLACEHOLDER_SAMPLE, text)

    return dataclasses.replace(
        scene,
        voiceover=sample(scene.voiceover),
        on_screen_text=sample(scene.on_screen_text),
        prompt=sample(scene.prompt),
    )


def _check(storyboard: Storyboard, scenes: Sequence[StoryboardScene]) -> None:
    """The engine's check of the storyboard with these scenes: its refusal, keyed by the
    field it names (or the whole form's, when it names none)."""
    board = board_values(storyboard, scenes)
    # A {placeholder} is checked as the word a batch's row will put there: the storyboard may
    # be saved as a template (studio.services.storyboard_batches).
    board = dataclasses.replace(board, scenes=tuple(_sampled(s) for s in board.scenes))
    try:
        with refused_as("bad_storyboard"):
            engine_board.check_storyboard(board, settings=engine_settings())
    except ValidationError as exc:
        message = " ".join(exc.messages)
        lowered = message.lower()
        field = next((f for phrase, f in _FIELD_OF_MESSAGE if phrase in lowered), None)
        error = ValidationError(message, code=exc.code)
        raise (ValidationError({field: error}) if field else error) from None
