"""A storyboard scene's own sound (keep / duck under the voice / mute): offered on the scene card
only where an installed engine makes sound, saved as posted, refused next to its field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generation.engines import EngineSettings
from studio import selectors, services
from studio.boards import board_values
from studio.models import Storyboard, StoryboardScene
from tests.studio.test_storyboard_pages import ARTICLE, _error, _scene_post, _url

pytestmark = pytest.mark.django_db


@pytest.fixture
def storyboard(workspace: Any, user: Any) -> Storyboard:
    return services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=ARTICLE
    )


@pytest.fixture
def ltx2(settings: Any, tmp_path: Path) -> str:
    """An LTX-2 folder configured as the engine "ltx2" (its family is read from model_index.json;
    nothing here loads its weights)."""
    folder = tmp_path / "ltx2"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "LTX2Pipeline"}))
    settings.ENGINE_SETTINGS = EngineSettings(model_paths={"ltx2": str(folder)})
    return "ltx2"


def _scene(storyboard: Storyboard) -> StoryboardScene:
    return selectors.storyboard_scenes(storyboard=storyboard)[1]


def test_the_scene_sound_is_not_offered_without_an_engine_that_makes_sound(
    member_client, storyboard
):
    """With only silent engines installed, no scene card shows a sound choice."""
    page = member_client.get(_url("storyboard_detail", storyboard)).content.decode()
    assert "Scene sound" not in page and "data-sound-engines" not in page


def test_the_scene_sound_is_offered_for_the_engines_that_make_sound(
    member_client, storyboard, ltx2
):
    """With LTX-2 installed, each card offers keep / duck / mute, shown for LTX-2 only,
    and duck is chosen until the user says otherwise."""
    scene = _scene(storyboard)
    page = member_client.get(_url("storyboard_detail", storyboard)).content.decode()
    assert 'data-sound-engines="ltx2"' in page
    assert "Scene sound" in page
    for label in ("Keep at its level", "Duck under the voice", "Mute"):
        assert label in page
    assert '<option value="duck" selected>Duck under the voice</option>' in page
    assert scene.sound == StoryboardScene.Sound.DUCK


@pytest.mark.parametrize("sound", ["keep", "mute", "duck"])
def test_a_scene_saves_its_sound_and_the_render_takes_it(member_client, storyboard, ltx2, sound):
    """The chosen sound is stored and is what the assembly is given for the scene."""
    scene = _scene(storyboard)
    response = member_client.post(
        _url("storyboard_scene_save", storyboard, scene),
        _scene_post(
            scene, visual="text-to-video", engine=ltx2, prompt="a bakery at dawn", sound=sound
        ),
    )
    assert response.status_code == 302
    scene.refresh_from_db()
    assert (scene.engine, scene.sound) == ("ltx2", sound)
    scenes = selectors.storyboard_scenes(storyboard=storyboard)
    assert board_values(storyboard, scenes).scenes[1].sound == sound


def test_a_scene_posted_without_a_sound_keeps_its_own(member_client, storyboard, ltx2):
    """A card that sends no sound (its engine makes none, so it was hidden) changes nothing."""
    scene = _scene(storyboard)
    scene.sound = StoryboardScene.Sound.MUTE
    scene.save()
    member_client.post(
        _url("storyboard_scene_save", storyboard, scene),
        _scene_post(scene, on_screen_text="Bread every hour"),
    )
    scene.refresh_from_db()
    assert (scene.on_screen_text, scene.sound) == ("Bread every hour", "mute")


def test_a_bad_scene_sound_is_refused_next_to_its_field_and_nothing_changes(
    member_client, storyboard, ltx2
):
    """A sound outside the choices is named by the field, with a 400, and nothing is saved."""
    scene = _scene(storyboard)
    response = member_client.post(
        _url("storyboard_scene_save", storyboard, scene),
        _scene_post(scene, on_screen_text="Changed", sound="loud"),
    )
    assert response.status_code == 400
    assert "duck it under the voice" in _error(response.content, f"scene-{scene.pk}-sound")
    scene.refresh_from_db()
    assert (scene.on_screen_text, scene.sound) == (_scene(storyboard).on_screen_text, "duck")
    assert scene.on_screen_text != "Changed"


def test_a_duplicated_scene_keeps_its_sound(storyboard):
    """The copy of a scene mixes its footage's sound as the original does."""
    scene = _scene(storyboard)
    scene.sound = StoryboardScene.Sound.KEEP
    scene.save()
    copy = services.storyboards.storyboard_scene_duplicate(scene=scene)
    assert copy.sound == "keep"
