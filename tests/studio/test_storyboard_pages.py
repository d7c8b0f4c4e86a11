"""The storyboard pages: the list, a new storyboard from a script, the storyboard page with its
settings and scene cards; members only, viewers look but do not change, and every bad input is
shown next to its field with nothing saved."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from generation.limits import MAX_MUSIC_SECONDS
from studio import selectors, services
from studio.forms.uploads import FORM_ROOM_BYTES
from studio.models import Asset, Storyboard, StoryboardScene
from tests.conftest import make_png, make_wav

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


def _member(workspace: Any, django_user_model: Any, role: str) -> Client:
    teammate = django_user_model.objects.create_user(username=role, password="a-long-passphrase")
    services.workspaces.membership_add(workspace=workspace, user=teammate, role=role)
    client = Client()
    client.force_login(teammate)
    return client


def _url(name: str, storyboard: Storyboard, scene: StoryboardScene | None = None) -> str:
    args = [storyboard.workspace_id, storyboard.pk] + ([scene.pk] if scene else [])
    return reverse(name, args=args)


def _scene_post(scene: StoryboardScene, **changes: Any) -> dict[str, Any]:
    """What the scene's card posts as it stands, with ``changes`` (unprefixed names)."""
    fields = {
        "visual": scene.visual,
        "engine": scene.engine,
        "image": scene.image_id or "",
        "avatar": scene.avatar_id or "",
        "voiceover": scene.voiceover,
        "on_screen_text": scene.on_screen_text,
        "prompt": scene.prompt,
        "transition": scene.transition,
        "timing": "auto" if scene.duration is None else "fixed",
        "duration": "" if scene.duration is None else scene.duration,
    } | changes
    return {f"scene-{scene.pk}-{name}": value for name, value in fields.items()}


def _settings_post(storyboard: Storyboard, **changes: Any) -> dict[str, Any]:
    return {
        "voice": storyboard.voice,
        "speed": storyboard.speed,
        "music": storyboard.music,
        "music_db": storyboard.music_db,
        "captions": storyboard.captions,
        "transition": storyboard.transition,
        "aspects": storyboard.aspects,
    } | changes


def _error(page: bytes, field: str) -> str:
    """The text of the error shown next to ``field`` (its html name), or ''."""
    text = page.decode()
    marker = f'id="error-{field}">'
    if marker not in text:
        return ""
    return html.unescape(text.split(marker, 1)[1].split("</p>", 1)[0])


# The list and the new page ---------------------------------------------------------------------


def test_the_navigation_links_to_storyboards(member_client, workspace):
    """Every workspace page's navigation has a Storyboards link."""
    page = member_client.get(reverse("gallery", args=[workspace.pk])).content.decode()
    assert reverse("storyboard_list", args=[workspace.pk]) in page


def test_the_list_shows_the_workspaces_storyboards(member_client, workspace, storyboard):
    """Each storyboard is listed with its scene count and a link to its page."""
    page = member_client.get(reverse("storyboard_list", args=[workspace.pk])).content.decode()
    assert "Spring at the bakery" in page and _url("storyboard_detail", storyboard) in page
    assert reverse("storyboard_new", args=[workspace.pk]) in page


def test_the_new_page_passes_the_limit_from_the_engine(member_client, workspace):
    """The character limit reaches the page through json_script, from generation/limits.py."""
    page = member_client.get(reverse("storyboard_new", args=[workspace.pk])).content.decode()
    assert '"storyboard_chars": 10000' in page and "Make scenes" in page


def test_make_scenes_stores_the_storyboard_and_opens_its_page(member_client, workspace):
    """Posting an article makes a title card and a scene per paragraph, then shows them."""
    response = member_client.post(
        reverse("storyboard_new", args=[workspace.pk]), {"title": "", "text": ARTICLE}
    )
    storyboard = Storyboard.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("storyboard_detail", storyboard)
    page = member_client.get(response["Location"]).content.decode()
    scenes = _scenes(storyboard)
    assert len(scenes) == 4 and "Title card" in page
    for scene in scenes:
        assert f'id="scene-{scene.pk}"' in page and scene.on_screen_text in page
    assert 'id="analysis-' in page and scenes[1].analysis["subject"] in page
    assert page.index('id="storyboard-settings"') < page.index('id="storyboard-render"')
    assert page.index('id="storyboard-render"') < page.index('id="scenes"')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "The script is empty"),
        ("word " * 2500, "the limit is 10,000"),
        ("Our bakery ☕ opens at seven in the old town every day.", "☕"),
    ],
)
def test_bad_text_is_refused_next_to_the_text_and_nothing_is_stored(
    member_client, workspace, text, message
):
    """Empty, over-long or unspeakable text: the message is by the text field; no rows."""
    response = member_client.post(
        reverse("storyboard_new", args=[workspace.pk]), {"title": "Spring", "text": text}
    )
    assert response.status_code == 400
    assert message in _error(response.content, "text")
    assert not Storyboard.objects.exists() and not StoryboardScene.objects.exists()


# Who may see and change ------------------------------------------------------------------------


def _every_url(storyboard: Storyboard) -> list[tuple[str, str]]:
    scene = _scenes(storyboard)[1]
    ws = storyboard.workspace_id
    return [
        ("get", reverse("storyboard_list", args=[ws])),
        ("get", reverse("storyboard_new", args=[ws])),
        ("post", reverse("storyboard_new", args=[ws])),
        ("get", _url("storyboard_detail", storyboard)),
        ("post", _url("storyboard_settings", storyboard)),
        ("post", _url("storyboard_delete", storyboard)),
        ("post", _url("storyboard_scene_add", storyboard)),
        ("post", _url("storyboard_scene_save", storyboard, scene)),
        ("post", _url("storyboard_scene_duplicate", storyboard, scene)),
        ("post", _url("storyboard_scene_delete", storyboard, scene)),
        ("post", _url("storyboard_scene_move", storyboard, scene)),
    ]


def test_another_workspaces_member_gets_404_everywhere(client, other_user, storyboard):
    """A signed-in user of another workspace cannot tell the storyboard exists."""
    services.workspaces.workspace_ensure_personal(user=other_user)
    client.force_login(other_user)
    for method, url in _every_url(storyboard):
        assert getattr(client, method)(url, {"text": ARTICLE}).status_code == 404, url
    assert Storyboard.objects.count() == 1 and len(_scenes(storyboard)) == 4


def test_a_viewer_sees_the_storyboard_but_cannot_change_it(
    workspace, django_user_model, storyboard
):
    """The page shows, with disabled fields and no buttons; every write is a 403."""
    viewer = _member(workspace, django_user_model, "viewer")
    page = viewer.get(_url("storyboard_detail", storyboard)).content.decode()
    assert "Spring at the bakery" in page and "You are a viewer here" in page
    assert "Save scene" not in page and "Save settings" not in page and "Add scene" not in page
    assert "disabled" in page
    assert viewer.get(reverse("storyboard_list", args=[workspace.pk])).status_code == 200
    for method, url in _every_url(storyboard):
        if method == "post" or url.endswith("/new/"):
            assert getattr(viewer, method)(url, {"text": ARTICLE}).status_code == 403, url
    assert Storyboard.objects.count() == 1 and len(_scenes(storyboard)) == 4


# A scene's card -----------------------------------------------------------------------------


def test_a_scene_saves_its_new_on_screen_text(member_client, storyboard):
    """Save on a card stores what it posted and returns to that card."""
    scene = _scenes(storyboard)[1]
    response = member_client.post(
        _url("storyboard_scene_save", storyboard, scene),
        _scene_post(scene, on_screen_text="Bread every hour", transition="slide"),
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#scene-{scene.pk}")
    scene.refresh_from_db()
    assert scene.on_screen_text == "Bread every hour" and scene.transition == "slide"
    page = member_client.get(_url("storyboard_detail", storyboard)).content.decode()
    assert "Bread every hour" in page


def test_a_fixed_duration_is_saved_and_auto_clears_it(member_client, storyboard):
    """Fixed seconds are stored; choosing auto again goes back to voice plus air."""
    scene = _scenes(storyboard)[1]
    url = _url("storyboard_scene_save", storyboard, scene)
    member_client.post(url, _scene_post(scene, timing="fixed", duration="6.5"))
    scene.refresh_from_db()
    assert scene.duration == 6.5
    member_client.post(url, _scene_post(scene, timing="auto", duration="6.5"))
    scene.refresh_from_db()
    assert scene.duration is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"voiceover": ""}, "voiceover", "Scene 2 has nothing to say"),
        ({"voiceover": "Fresh bread ☕ every hour."}, "voiceover", "☕"),
        ({"visual": "text-to-video", "engine": "no-such-engine"}, "engine", "not installed here"),
        ({"visual": "text-to-video", "engine": "wan2.1-t2v"}, "engine", "'wan2.1-t2v' is not"),
        ({"visual": "image-to-video"}, "image", "Scene 2 needs an image"),
        ({"visual": "talking-head"}, "avatar", "Choose one of the workspace's avatars"),
        ({"timing": "fixed", "duration": ""}, "duration", "Give the scene's length"),
        ({"timing": "fixed", "duration": "95"}, "duration", "Scene 2 lasts 95.0 s"),
    ],
)
def test_a_bad_scene_is_refused_next_to_its_field_and_nothing_changes(
    member_client, storyboard, changes, field, message
):
    """Each refusal is shown by the field to fix, on the storyboard page, with a 400."""
    scene = _scenes(storyboard)[1]
    before = (scene.visual, scene.voiceover, scene.duration)
    response = member_client.post(
        _url("storyboard_scene_save", storyboard, scene), _scene_post(scene, **changes)
    )
    assert response.status_code == 400
    assert message in _error(response.content, f"scene-{scene.pk}-{field}")
    scene.refresh_from_db()
    assert (scene.visual, scene.voiceover, scene.duration) == before


def test_the_engine_choice_lists_the_engines_and_says_which_cannot_run(member_client, storyboard):
    """Each engine that makes footage is offered with what it makes; a missing one says why."""
    page = member_client.get(_url("storyboard_detail", storyboard)).content.decode()
    assert 'value="embedded"' in page and 'value="camera-motion"' in page
    assert "unavailable, no model configured" in page


def test_a_text_to_video_scene_saves_its_engine_and_prompt(member_client, storyboard):
    """An installed engine and a typed prompt are kept as posted."""
    scene = _scenes(storyboard)[1]
    response = member_client.post(
        _url("storyboard_scene_save", storyboard, scene),
        _scene_post(scene, visual="text-to-video", engine="embedded", prompt="a loaf, steam"),
    )
    assert response.status_code == 302
    scene.refresh_from_db()
    assert (scene.visual, scene.engine, scene.prompt) == (
        "text-to-video",
        "embedded",
        "a loaf, steam",
    )


def test_an_uploaded_image_makes_an_image_to_video_scene(member_client, storyboard):
    """The upload is stored as the workspace's image and becomes the scene's."""
    scene = _scenes(storyboard)[1]
    upload = SimpleUploadedFile("shop.png", make_png(), content_type="image/png")
    data = _scene_post(scene, visual="image-to-video", prompt="slow zoom on the shop")
    response = member_client.post(
        _url("storyboard_scene_save", storyboard, scene),
        data | {f"scene-{scene.pk}-image_upload": upload},
    )
    assert response.status_code == 302
    scene.refresh_from_db()
    assert scene.visual == "image-to-video" and scene.image is not None
    assert scene.image.kind == Asset.Kind.IMAGE and scene.image.original_name == "shop.png"


def test_a_refused_scene_keeps_no_uploaded_image(member_client, storyboard):
    """An image posted with a scene the engine refuses is not left behind."""
    scene = _scenes(storyboard)[1]
    upload = SimpleUploadedFile("shop.png", make_png(), content_type="image/png")
    data = _scene_post(scene, visual="image-to-video", voiceover="Bread ☕ every hour.")
    response = member_client.post(
        _url("storyboard_scene_save", storyboard, scene),
        data | {f"scene-{scene.pk}-image_upload": upload},
    )
    assert response.status_code == 400 and "☕" in _error(
        response.content, f"scene-{scene.pk}-voiceover"
    )
    assert not Asset.objects.exists()


def test_scenes_are_added_duplicated_moved_and_deleted_through_the_page(member_client, storyboard):
    """Each button changes the order the page shows, and the page says what happened."""
    first, second, third, fourth = _scenes(storyboard)
    member_client.post(_url("storyboard_scene_add", storyboard))
    added = _scenes(storyboard)[-1]
    assert added.pk not in (first.pk, second.pk, third.pk, fourth.pk)
    member_client.post(_url("storyboard_scene_duplicate", storyboard, second))
    copy = _scenes(storyboard)[2]
    assert copy.voiceover == second.voiceover and copy.pk != second.pk
    member_client.post(_url("storyboard_scene_move", storyboard, fourth), {"direction": "up"})
    member_client.post(_url("storyboard_scene_move", storyboard, first), {"direction": "down"})
    response = member_client.post(_url("storyboard_scene_delete", storyboard, third), follow=True)
    assert "Scene 5 deleted." in response.content.decode()
    assert [s.pk for s in _scenes(storyboard)] == [
        second.pk,
        first.pk,
        copy.pk,
        fourth.pk,
        added.pk,
    ]
    page = response.content.decode()
    assert page.index(f'id="scene-{second.pk}"') < page.index(f'id="scene-{first.pk}"')


def test_a_move_past_the_end_or_deleting_the_last_scene_is_said_and_changes_nothing(
    member_client, workspace, user
):
    """The first scene cannot go up and the only scene cannot go away: the page says so."""
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text="Fresh bread every morning."
    )
    (only,) = _scenes(storyboard)
    page = member_client.post(
        _url("storyboard_scene_move", storyboard, only), {"direction": "up"}, follow=True
    ).content.decode()
    assert "Scene 1 is already first." in page
    page = member_client.post(
        _url("storyboard_scene_delete", storyboard, only), follow=True
    ).content.decode()
    assert "only scene" in page
    assert [s.pk for s in _scenes(storyboard)] == [only.pk]


def test_deleting_the_storyboard_returns_to_the_list(member_client, workspace, storyboard):
    """The storyboard and its scenes go; the list says so."""
    response = member_client.post(_url("storyboard_delete", storyboard), follow=True)
    assert "was deleted" in response.content.decode()
    assert not Storyboard.objects.exists() and not StoryboardScene.objects.exists()


# The settings --------------------------------------------------------------------------------


def test_the_settings_offer_every_voice_with_the_espeak_languages_labelled(
    member_client, storyboard
):
    """Every installed voice is offered; eSpeak NG's languages are grouped and named as such."""
    page = member_client.get(_url("storyboard_detail", storyboard)).content.decode()
    assert 'label="eSpeak NG languages (formant synthesis)"' in page
    assert "eSpeak NG: British English" in page and 'value="espeak-en-gb"' in page
    for aspect in ("16:9", "9:16", "1:1"):
        assert f'value="{aspect}"' in page


def test_the_settings_are_saved(member_client, storyboard):
    """Voice, speed, music bed, level, captions, the transition for all and the aspects."""
    response = member_client.post(
        _url("storyboard_settings", storyboard),
        _settings_post(
            storyboard,
            voice="espeak-en-gb",
            speed="1.2",
            music="upbeat",
            music_db="-20",
            captions="burn",
            transition="slide",
            aspects=["16:9", "9:16", "1:1"],
        ),
    )
    assert response.status_code == 302
    storyboard.refresh_from_db()
    assert (storyboard.voice, storyboard.speed, storyboard.music) == ("espeak-en-gb", 1.2, "upbeat")
    assert storyboard.music_db == -20 and storyboard.captions == "burn"
    assert storyboard.aspects == ["16:9", "9:16", "1:1"]
    assert {s.transition for s in _scenes(storyboard)} == {"slide"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"voice": "klingon"}, "voice", "The voice 'klingon' is not offered"),
        ({"aspects": []}, "aspects", "Choose at least one aspect"),
        ({"aspects": ["16:9", "4:3"]}, "aspects", "The aspect '4:3' is not offered"),
        ({"speed": "3"}, "speed", "The speed is 3.0"),
        ({"music_db": "6"}, "music_db", "The music level is 6.0 dB"),
        ({"music": "upload"}, "music", "Upload the music."),
    ],
)
def test_bad_settings_are_refused_next_to_their_field_and_nothing_changes(
    member_client, storyboard, changes, field, message
):
    """Each refusal is shown by its field, with a 400, and the storyboard is as it was."""
    response = member_client.post(
        _url("storyboard_settings", storyboard), _settings_post(storyboard, **changes)
    )
    assert response.status_code == 400
    assert message in _error(response.content, field)
    fresh = Storyboard.objects.get(pk=storyboard.pk)
    assert (fresh.voice, fresh.speed, fresh.music, fresh.aspects) == ("", 1.0, "none", ["16:9"])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("song.mp3", make_png(), "is not audio"),
        ("song.wav", b"RIFF0000WAVEfmt nonsense", "is not audio"),
        ("song.ogg", b"", "The submitted file is empty"),
    ],
)
def test_a_music_file_that_is_not_audio_is_refused_and_nothing_is_stored(
    member_client, storyboard, name, content, message
):
    """The file is judged by its content, not its name; the message is by the file field."""
    data = _settings_post(storyboard, music="upload")
    response = member_client.post(
        _url("storyboard_settings", storyboard),
        data | {"music_file": SimpleUploadedFile(name, content, content_type="audio/mpeg")},
    )
    assert response.status_code == 400
    assert message in _error(response.content, "music_file")
    assert not Asset.objects.exists()
    assert Storyboard.objects.get(pk=storyboard.pk).music == "none"


@pytest.mark.parametrize(
    ("name", "seconds", "rate", "message"),
    [
        ("long.wav", MAX_MUSIC_SECONDS + 1, 100, f"{MAX_MUSIC_SECONDS // 60} minutes"),
        ("big.wav", 2.0, 8000, "the limit is"),
    ],
)
def test_music_too_long_or_too_big_is_refused_and_nothing_is_stored(
    member_client, storyboard, settings, name, seconds, rate, message
):
    """Past the length or the upload limit: the message is by the file field, nothing kept."""
    if name == "big.wav":
        settings.UPLOAD_MAX_BYTES = 1000
    data = _settings_post(storyboard, music="upload")
    response = member_client.post(
        _url("storyboard_settings", storyboard),
        data | {"music_file": SimpleUploadedFile(name, make_wav(seconds, rate=rate))},
    )
    assert response.status_code == 400
    assert message in _error(response.content, "music_file")
    assert not Asset.objects.exists()
    assert Storyboard.objects.get(pk=storyboard.pk).music == "none"


def test_uploaded_music_is_stored_as_audio_and_chosen(member_client, storyboard):
    """A WAV is probed, stored as the workspace's audio (no image size) and used as the music."""
    data = _settings_post(storyboard, music="upload")
    response = member_client.post(
        _url("storyboard_settings", storyboard),
        data | {"music_file": SimpleUploadedFile("bed.wav", make_wav(), content_type="audio/wav")},
    )
    assert response.status_code == 302
    storyboard.refresh_from_db()
    asset = storyboard.music_asset
    assert storyboard.music == "upload" and asset is not None
    assert asset.kind == Asset.Kind.AUDIO and asset.content_type == "audio/wav"
    assert asset.width is None and asset.duration == pytest.approx(1.0, abs=0.05)
    assert not selectors.image_assets_for_workspace(workspace=storyboard.workspace).exists()
    page = member_client.get(_url("storyboard_detail", storyboard)).content.decode()
    assert "Now: bed.wav" in page


def test_music_the_body_limit_would_refuse_is_refused_next_to_the_field_with_the_cap(
    member_client, storyboard, settings
):
    """The music cap stays under the request body limit (less room for the form), and the
    error next to the file says what the cap is; nothing is stored."""
    settings.REQUEST_MAX_BYTES = FORM_ROOM_BYTES + 2**19  # room for 0.5 MB of music
    wav = make_wav(40.0)  # 640 kB: 8 kHz, 16-bit samples
    data = _settings_post(storyboard, music="upload")
    response = member_client.post(
        _url("storyboard_settings", storyboard),
        data | {"music_file": SimpleUploadedFile("bed.wav", wav, content_type="audio/wav")},
    )
    assert response.status_code == 400
    assert _error(response.content, "music_file") == (
        "The file is 0.6 MB; the limit is 0.5 MB for music."
    )
    assert not Asset.objects.exists()
    assert Storyboard.objects.get(pk=storyboard.pk).music == "none"


def test_the_music_field_says_its_cap(member_client, storyboard):
    """The file field's help names the cap in MB beside the length limit."""
    page = member_client.get(_url("storyboard_detail", storyboard)).content.decode()
    assert "MP3, WAV, M4A or OGG, up to 20 MB and 20 minutes; checked by its content." in page


def test_a_music_file_with_another_music_choice_is_refused(member_client, storyboard):
    """A file posted while a bed is chosen is not silently taken: the page asks to choose it."""
    data = _settings_post(storyboard, music="calm")
    response = member_client.post(
        _url("storyboard_settings", storyboard),
        data | {"music_file": SimpleUploadedFile("bed.wav", make_wav(), content_type="audio/wav")},
    )
    assert response.status_code == 400 and "Choose" in _error(response.content, "music")
    assert not Asset.objects.exists()
