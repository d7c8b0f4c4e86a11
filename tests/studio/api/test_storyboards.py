"""Storyboards through the API: made from text, read with their scenes, a scene and the settings
changed, rendered in chosen aspects, followed scene by scene, each aspect downloaded as MP4,
WebVTT and SRT; bad input answered as problem details naming the field; members only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from generation.limits import MAX_MUSIC_SECONDS
from studio import selectors, services
from studio.models import Asset, Job, Storyboard, StoryboardRender, StoryboardScene
from studio.worker import run as worker_run
from tests.conftest import make_png, make_wav
from tests.studio.api.conftest import field_codes

pytestmark = pytest.mark.django_db

ARTICLE = """# Spring at the bakery

Our bakery opens at seven in the old town.

Fresh bread comes out of the oven every hour.
"""


@pytest.fixture
def storyboard(workspace: Any, user: Any) -> Storyboard:
    return services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=ARTICLE
    )


def _scenes(storyboard: Storyboard) -> list[StoryboardScene]:
    return selectors.storyboard_scenes(storyboard=storyboard)


def _multipart_patch(api: Any, url: str, data: dict[str, Any]) -> Any:
    return api.patch(url, encode_multipart(BOUNDARY, data), content_type=MULTIPART_CONTENT)


def _problem(response: Any, field: str, words: str) -> None:
    """A 400 problem whose error on ``field`` says ``words``."""
    assert response.status_code == 400, response.content
    assert field in field_codes(response)
    said = [e["detail"] for e in response.json()["errors"] if e["field"] == field]
    assert any(words in detail for detail in said), said


# Making and reading ------------------------------------------------------------------------------


def test_it_makes_a_storyboard_from_an_article_and_answers_its_scenes(api: Any) -> None:
    """POST text: 201 with a title card and a scene per paragraph, and the page's address."""
    response = api.post("/api/v1/storyboards/", {"text": ARTICLE}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Spring at the bakery"
    assert [s["number"] for s in body["scenes"]] == [1, 2, 3]
    assert body["scenes"][0]["title"] is True
    assert body["scenes"][1]["voiceover"] == "Our bakery opens at seven in the old town."
    assert body["aspects"] == ["16:9"] and body["web_url"].endswith(f"/storyboards/{body['id']}/")
    assert Storyboard.objects.get(pk=body["id"]).scenes.count() == 3


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("   ", "The script is empty"),
        ("word " * 2500, "the limit is 10,000"),
        ("Our bakery ☕ opens at seven in the old town every day.", "☕"),
    ],
)
def test_bad_text_is_a_problem_on_the_text_and_stores_nothing(
    api: Any, text: str, words: str
) -> None:
    """Empty, over-long text, or characters the voice cannot speak (named): 400 on ``text``."""
    response = api.post("/api/v1/storyboards/", {"text": text}, content_type="application/json")
    _problem(response, "text", words)
    assert not Storyboard.objects.exists()


def test_the_list_is_cursor_paged_newest_first(api: Any, workspace: Any, user: Any) -> None:
    """Three storyboards, two a page: the newest two, then a next link to the third."""
    for number in range(3):
        services.storyboards.storyboard_create_from_text(
            workspace=workspace, user=user, text=f"Scene number {number} of the bakery."
        )
    first = api.get("/api/v1/storyboards/?page_size=2").json()
    assert [s["title"] for s in first["results"]] == [
        "Scene number 2 of the bakery",
        "Scene number 1 of the bakery",
    ]
    second = api.get(first["next"]).json()
    assert [s["title"] for s in second["results"]] == ["Scene number 0 of the bakery"]


def test_another_workspace_gets_404_and_a_read_token_cannot_change_anything(
    other_api: Any, read_api: Any, storyboard: Storyboard
) -> None:
    """Another workspace's token finds nothing; a read token reads but may not write."""
    scene = _scenes(storyboard)[1]
    base = f"/api/v1/storyboards/{storyboard.pk}/"
    for url in (base, f"{base}scenes/{scene.pk}/", f"{base}render/", f"{base}videos/16x9.mp4"):
        assert other_api.get(url).status_code == 404, url
    assert other_api.get("/api/v1/storyboards/").json()["results"] == []
    assert read_api.get(base).status_code == 200
    refused = read_api.patch(
        f"{base}scenes/{scene.pk}/", {"voiceover": "Hi."}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert read_api.post(f"{base}render/", {}, content_type="application/json").status_code == 403
    assert read_api.post("/api/v1/storyboards/", {"text": ARTICLE}).status_code == 403


# Changing ----------------------------------------------------------------------------------


def test_a_scene_is_changed_by_the_fields_sent_only(api: Any, storyboard: Storyboard) -> None:
    """PATCH a new voiceover and a fixed length: both saved, the rest as it was."""
    scene = _scenes(storyboard)[1]
    response = api.patch(
        f"/api/v1/storyboards/{storyboard.pk}/scenes/{scene.pk}/",
        {"voiceover": "Warm rolls every morning.", "duration": 4.0},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    scene.refresh_from_db()
    assert (scene.voiceover, scene.duration) == ("Warm rolls every morning.", 4.0)
    assert scene.on_screen_text == response.json()["on_screen_text"] != ""


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"voiceover": ""}, "voiceover", "Scene 2 has nothing to say"),
        ({"voiceover": "Fresh bread ☕ every hour."}, "voiceover", "☕"),
        ({"visual": "text-to-video", "engine": "no-such-engine"}, "engine", "not installed here"),
        ({"duration": 95}, "duration", "Scene 2 lasts 95.0 s"),
    ],
)
def test_a_bad_scene_change_is_a_problem_on_its_field_and_changes_nothing(
    api: Any, storyboard: Storyboard, changes: dict[str, Any], field: str, words: str
) -> None:
    """The page's own refusals, under the same field names."""
    scene = _scenes(storyboard)[1]
    before = (scene.visual, scene.voiceover, scene.duration)
    response = api.patch(
        f"/api/v1/storyboards/{storyboard.pk}/scenes/{scene.pk}/",
        changes,
        content_type="application/json",
    )
    _problem(response, field, words)
    scene.refresh_from_db()
    assert (scene.visual, scene.voiceover, scene.duration) == before


def test_the_settings_are_changed_with_uploaded_music(api: Any, storyboard: Storyboard) -> None:
    """A multipart PATCH with music: stored as audio and chosen, the brand's close on."""
    response = _multipart_patch(
        api,
        f"/api/v1/storyboards/{storyboard.pk}/",
        {
            "music": "upload",
            "music_file": SimpleUploadedFile("bed.wav", make_wav(2.0), content_type="audio/wav"),
            "brand_outro": "true",
            "aspects": ["16:9", "1:1"],
        },
    )
    assert response.status_code == 200, response.content
    storyboard.refresh_from_db()
    assert storyboard.music == "upload" and storyboard.music_asset is not None
    assert storyboard.brand_outro is True and storyboard.aspects == ["16:9", "1:1"]


@pytest.mark.parametrize(
    ("name", "content", "field", "words"),
    [
        ("song.mp3", make_png(), "music_file", "is not audio"),
        ("long.wav", make_wav(MAX_MUSIC_SECONDS + 1, rate=100), "music_file", "minutes"),
        ("big.wav", make_wav(2.0), "music_file", "the limit is"),
    ],
)
def test_music_that_is_not_audio_too_long_or_too_big_is_refused_and_nothing_is_stored(
    api: Any,
    storyboard: Storyboard,
    settings: Any,
    name: str,
    content: bytes,
    field: str,
    words: str,
) -> None:
    """Judged by its content and limits; no asset is kept and the music is as it was."""
    if name == "big.wav":
        settings.UPLOAD_MAX_BYTES = 1000
    response = _multipart_patch(
        api,
        f"/api/v1/storyboards/{storyboard.pk}/",
        {"music": "upload", "music_file": SimpleUploadedFile(name, content)},
    )
    _problem(response, field, words)
    assert not Asset.objects.exists()
    assert Storyboard.objects.get(pk=storyboard.pk).music == "none"


# Rendering ----------------------------------------------------------------------------------


def test_an_aspect_not_offered_is_refused_and_nothing_is_queued(
    api: Any, storyboard: Storyboard
) -> None:
    """Render in 4:3: 400 on ``aspects`` naming it, no render, the aspects as they were."""
    response = api.post(
        f"/api/v1/storyboards/{storyboard.pk}/render/",
        {"aspects": ["16:9", "4:3"]},
        content_type="application/json",
    )
    _problem(response, "aspects", "The aspect '4:3' is not offered")
    assert not StoryboardRender.objects.exists()
    assert Storyboard.objects.get(pk=storyboard.pk).aspects == ["16:9"]


def test_an_engine_not_installed_is_named_before_anything_is_queued(
    api: Any, storyboard: Storyboard, no_queue: Any
) -> None:
    """A scene set to an engine this install lacks: the render is refused naming the scene
    and the engine, with no job and no render stored."""
    StoryboardScene.objects.filter(pk=_scenes(storyboard)[2].pk).update(
        visual="text-to-video", engine="wan2.1-t2v", prompt="a loaf of rye"
    )
    response = api.post(
        f"/api/v1/storyboards/{storyboard.pk}/render/", {}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "Scene 3" in response.json()["detail"] and "wan2.1-t2v" in response.json()["detail"]
    assert not StoryboardRender.objects.exists() and not Job.objects.exists()
    assert not no_queue.called and not no_queue.together.called


def test_a_render_is_followed_scene_by_scene_and_each_aspect_downloads(
    api: Any, storyboard: Storyboard, settings: Any, no_queue: Any
) -> None:
    """Render in 16:9 and 1:1: 202 with a line per scene; once assembled (here, in this
    process) the status says succeeded and each aspect's MP4, WebVTT and SRT download."""
    settings.STORYBOARD_SHORT_SIDE = 144
    response = api.post(
        f"/api/v1/storyboards/{storyboard.pk}/render/",
        {"aspects": ["16:9", "1:1"]},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "assembling"  # text cards only: nothing to make before
    assert [(s["number"], s["status"]) for s in body["scenes"]] == [
        (1, "card"),
        (2, "card"),
        (3, "card"),
    ]
    assert [v["aspect"] for v in body["videos"]] == ["16:9", "1:1"]
    assert all(v["mp4"] is None for v in body["videos"])
    storyboard.refresh_from_db()
    assert storyboard.aspects == ["16:9", "1:1"]
    for output in StoryboardRender.objects.get(pk=body["id"]).outputs.all():
        worker_run.job_run(job_id=output.job_id, worker="test-host:1")

    status = api.get(f"/api/v1/storyboards/{storyboard.pk}/render/").json()
    assert (status["status"], status["fraction"]) == ("succeeded", 1.0)
    square = next(v for v in status["videos"] if v["aspect"] == "1:1")
    assert (square["width"], square["height"]) == (144, 144)
    mp4 = api.get(square["mp4"])
    assert mp4.status_code == 200
    assert b"ftyp" in b"".join(mp4.streaming_content)[:64]
    assert 'filename="storyboard-' in mp4["Content-Disposition"]
    vtt = api.get(square["vtt"])
    vtt_text = b"".join(vtt.streaming_content).decode()
    assert vtt_text.startswith("WEBVTT") and "bakery" in vtt_text
    srt = api.get(square["srt"])
    srt_text = srt.content.decode()
    assert srt.status_code == 200 and srt_text.startswith("1\n")
    assert "," in srt_text.splitlines()[1] and "bakery" in srt_text
    assert api.get(f"/api/v1/storyboards/{storyboard.pk}/videos/4x3.mp4").status_code == 404

    # A finished storyboard video is a video like any other: listed, downloaded, shared.
    listed = api.get("/api/v1/jobs/?mode=storyboard").json()["results"]
    assert sorted(job["id"] for job in listed) == sorted(v["job"] for v in status["videos"])
    assert {job["mode"] for job in listed} == {"storyboard"}
    job = api.get(f"/api/v1/jobs/{square['job']}/").json()
    assert job["video"]["width"] == 144 and api.get(job["video"]["mp4"]).status_code == 200
    shared = api.post(f"/api/v1/jobs/{square['job']}/share/", {}, content_type="application/json")
    assert shared.status_code == 201, shared.content
    public = Client().get(shared.json()["url"].removeprefix("http://testserver"))
    assert public.status_code == 200


def test_the_schema_documents_the_storyboard_finished_webhook(api: Any) -> None:
    """The render operation says when storyboard.finished is sent."""
    schema = api.get("/api/v1/schema/?format=json").json()
    render = schema["paths"]["/api/v1/storyboards/{storyboard_id}/render/"]["post"]
    assert "storyboard.finished" in render["description"]
