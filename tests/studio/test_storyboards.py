"""Storyboards: a script split into scenes, scenes edited and reordered, the shared settings,
and bad input refused with the field to fix and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from generation.storyboard import board as engine_board
from studio import selectors, services
from studio.models import Storyboard, StoryboardScene
from studio.services.storyboards import SceneEdit, StoryboardSettings

pytestmark = pytest.mark.django_db

ARTICLE = """# Spring at the bakery

Our bakery opens at seven in the old town. Fresh bread comes out of the oven every hour.

We bake with flour from a mill down the river, and every loaf is shaped by hand.

Visit us this weekend and taste the new rye.
"""


@pytest.fixture
def storyboard(workspace: Any, user: Any) -> Storyboard:
    return services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=ARTICLE
    )


def _scenes(storyboard: Storyboard) -> list[StoryboardScene]:
    return selectors.storyboard_scenes(storyboard=storyboard)


def _edit(scene: StoryboardScene, **changes: Any) -> SceneEdit:
    fields = {
        "visual": scene.visual,
        "voiceover": scene.voiceover,
        "on_screen_text": scene.on_screen_text,
        "prompt": scene.prompt,
        "transition": scene.transition,
        "engine": scene.engine,
        "duration": scene.duration,
    }
    return SceneEdit(**(fields | changes))


def _settings(storyboard: Storyboard, **changes: Any) -> StoryboardSettings:
    fields = {
        "voice": storyboard.voice,
        "speed": storyboard.speed,
        "music": storyboard.music,
        "music_db": storyboard.music_db,
        "captions": storyboard.captions,
        "transition": storyboard.transition,
        "aspects": storyboard.aspects,
    }
    return StoryboardSettings(**(fields | changes))


def test_it_splits_an_article_into_a_title_card_and_a_scene_per_paragraph(storyboard):
    """The heading becomes a title card, each paragraph a text card with its words."""
    scenes = _scenes(storyboard)
    assert [s.title for s in scenes] == [True, False, False, False]
    assert {s.visual for s in scenes} == {"text-card"}
    assert scenes[1].voiceover.startswith("Our bakery opens at seven")
    assert scenes[1].on_screen_text and scenes[1].prompt
    assert set(scenes[1].analysis) == {"subject", "action", "setting", "mood"}
    assert storyboard.title == "Spring at the bakery"
    assert storyboard.aspects == ["16:9"]


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("   ", "bad_script", "The script is empty"),
        ("word " * 2500, "bad_script", "the limit is 10,000"),
        ("Our bakery ☕ opens at seven in the old town every day.", "bad_voiceover", "☕"),
    ],
)
def test_it_refuses_a_script_it_cannot_make_and_stores_nothing(
    workspace, user, text, code, message
):
    """Empty or over-long text, or characters the voice cannot speak: a message, no rows."""
    with pytest.raises(ValidationError) as caught:
        services.storyboards.storyboard_create_from_text(workspace=workspace, user=user, text=text)
    assert caught.value.code == code and message in " ".join(caught.value.messages)
    assert not Storyboard.objects.exists() and not StoryboardScene.objects.exists()


def test_it_saves_an_edited_scene_and_reads_its_new_voiceover(storyboard):
    """A new voiceover is saved and analysed again; the typed prompt is kept."""
    scene = _scenes(storyboard)[2]
    services.storyboards.storyboard_scene_update(
        scene=scene,
        edit=_edit(
            scene,
            voiceover="A calm baker shapes dough in a quiet kitchen.",
            prompt="hands shaping dough",
            transition="slide",
        ),
    )
    scene.refresh_from_db()
    assert scene.voiceover == "A calm baker shapes dough in a quiet kitchen."
    assert scene.prompt == "hands shaping dough" and scene.transition == "slide"
    assert scene.analysis["mood"] == "calm"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"voiceover": "", "duration": None}, "voiceover", "Scene 2 has nothing to say"),
        ({"voiceover": "Fresh bread ☕ every hour."}, "voiceover", "☕"),
        ({"visual": "image-to-video"}, "image", "Scene 2 needs an image"),
        ({"duration": 95.0}, "duration", "Scene 2 lasts 95.0 s"),
        ({"visual": "text-to-video", "engine": "no-such-engine"}, "engine", "not installed"),
    ],
)
def test_it_refuses_a_bad_scene_edit_next_to_its_field_and_changes_nothing(
    storyboard, changes, field, message
):
    """The engine's own check refuses the edit; the message names the scene and the fix."""
    scene = _scenes(storyboard)[1]
    before = scene.voiceover
    with pytest.raises(ValidationError) as caught:
        services.storyboards.storyboard_scene_update(scene=scene, edit=_edit(scene, **changes))
    errors = caught.value.message_dict
    assert list(errors) == [field] and message in errors[field][0]
    scene.refresh_from_db()
    assert scene.voiceover == before and scene.visual == "text-card"


def test_it_adds_duplicates_moves_and_deletes_scenes_in_order(storyboard):
    """Each operation keeps positions 0..n-1 in the order the page shows."""
    first, second, third, fourth = _scenes(storyboard)
    added = services.storyboards.storyboard_scene_add(storyboard=storyboard, after=first)
    assert [s.pk for s in _scenes(storyboard)] == [
        first.pk,
        added.pk,
        second.pk,
        third.pk,
        fourth.pk,
    ]
    assert added.duration == services.storyboards.NEW_SCENE_SECONDS
    copy = services.storyboards.storyboard_scene_duplicate(scene=third)
    assert copy.voiceover == third.voiceover and copy.pk != third.pk
    services.storyboards.storyboard_scene_move(scene=fourth, offset=-1)
    services.storyboards.storyboard_scene_delete(scene=added)
    scenes = _scenes(storyboard)
    assert [s.pk for s in scenes] == [first.pk, second.pk, third.pk, fourth.pk, copy.pk]
    assert [s.position for s in scenes] == [0, 1, 2, 3, 4]


def test_it_refuses_to_move_past_the_ends_or_delete_the_only_scene(workspace, user):
    """The first scene cannot go up, the last not down, the only one not away."""
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text="Fresh bread every morning."
    )
    (only,) = _scenes(storyboard)
    for offset in (-1, 1):
        with pytest.raises(ValidationError) as caught:
            services.storyboards.storyboard_scene_move(scene=only, offset=offset)
        assert caught.value.code == "cannot_move"
    with pytest.raises(ValidationError) as caught:
        services.storyboards.storyboard_scene_delete(scene=only)
    assert caught.value.code == "last_scene"
    assert StoryboardScene.objects.count() == 1


def test_it_saves_the_shared_settings_and_a_new_transition_for_every_scene(storyboard):
    """Voice, speed, music, captions and aspects are saved; the transition applies to all."""
    services.storyboards.storyboard_settings_update(
        storyboard=storyboard,
        settings=_settings(
            storyboard,
            voice="espeak-en-gb",
            speed=1.2,
            music="calm",
            captions="burn",
            transition="fade-black",
            aspects=["16:9", "1:1"],
        ),
    )
    storyboard.refresh_from_db()
    assert (storyboard.voice, storyboard.speed, storyboard.music) == ("espeak-en-gb", 1.2, "calm")
    assert storyboard.captions == "burn" and storyboard.aspects == ["16:9", "1:1"]
    assert {s.transition for s in _scenes(storyboard)} == {"fade-black"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"voice": "klingon"}, "voice", "Unknown voice 'klingon'"),
        ({"aspects": []}, "aspects", "Choose at least one aspect"),
        ({"aspects": ["4:3"]}, "aspects", "The aspect '4:3' is not offered"),
        ({"music_db": 6.0}, "music_db", "The music level is 6.0 dB"),
        ({"music": "upload"}, "music", "Upload the music"),
    ],
)
def test_it_refuses_bad_settings_next_to_their_field_and_changes_nothing(
    storyboard, changes, field, message
):
    """A voice that does not exist, no aspect or an unknown one, music too loud or missing."""
    with pytest.raises(ValidationError) as caught:
        services.storyboards.storyboard_settings_update(
            storyboard=storyboard, settings=_settings(storyboard, **changes)
        )
    errors = caught.value.message_dict
    assert list(errors) == [field] and message in errors[field][0]
    storyboard.refresh_from_db()
    assert storyboard.voice == "" and storyboard.aspects == ["16:9"]


def test_it_finds_a_storyboard_only_in_its_own_workspace(storyboard, other_user):
    """Another workspace's storyboard, or a scene of it, is not found (404)."""
    from django.http import Http404

    other = services.workspaces.workspace_ensure_personal(user=other_user)
    with pytest.raises(Http404):
        selectors.storyboard_get(workspace=other, storyboard_id=storyboard.pk)
    assert list(selectors.storyboard_list_for_workspace(workspace=other)) == []


def test_its_choices_are_the_engines_visuals_and_transitions():
    """The studio offers exactly what the engine makes, so the two cannot drift."""
    assert tuple(StoryboardScene.Visual.values) == engine_board.VISUALS
    assert tuple(StoryboardScene.Transition.values) == engine_board.TRANSITIONS
    assert tuple(Storyboard.Captions.values) == engine_board.CAPTION_MODES
    beds = [m for m in Storyboard.Music.values if m not in ("none", "upload")]
    assert tuple(beds) == engine_board.MUSIC_BEDS
