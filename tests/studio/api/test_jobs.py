"""Jobs through the API: made with the command line's parameters, checked with the editor's
messages, listed a cursor page at a time, followed, cancelled, made again and downloaded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from studio import services
from studio.api.throttles import TokenRateThrottle
from studio.models import Asset, Job
from tests.conftest import make_png
from tests.studio.api.conftest import TokenClient, field_codes

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs/"
ZOOM = {"mode": "image-to-video", "engine": "camera-motion", "prompt": "slow zoom in", "frames": 8}


def post_json(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_it_makes_a_job_from_an_uploaded_images_id(
    api, asset, no_queue, django_capture_on_commit_callbacks
):
    """POST with an asset id answers 201 with the queued job, sent to its queue."""
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            api, JOBS, {**ZOOM, "asset": asset.pk, "seed": 7, "width": 448, "height": 256}
        )
    assert response.status_code == 201, response.content
    body = response.json()
    job = Job.objects.get(pk=body["id"])
    assert body["status"] == "queued" and body["mode"] == "image-to-video"
    assert body["parameters"] == {
        "width": 448, "height": 256, "frames": 8, "fps": 8, "steps": 20, "guidance": 5.0,
        "seed": 7, "preset": "quality", "motion": "auto", "style": None,
        "style_lora": None, "style_lora_strength": 1.0,
    }  # fmt: skip
    assert job.image == asset and job.engine == "camera-motion"
    assert no_queue.call_count == 1


def test_it_takes_the_image_itself_as_multipart(api, no_queue):
    """An image sent with the job is stored as the workspace's upload and animated."""
    image = SimpleUploadedFile("p.png", make_png(), content_type="image/png")
    response = api.post(JOBS, {**ZOOM, "image": image})
    assert response.status_code == 201, response.content
    assert Job.objects.get().image == Asset.objects.get()


def test_a_text_to_video_job_needs_only_a_mode_and_a_prompt(api, no_queue):
    """What is left out gets the command line's defaults and the mode's engine."""
    response = post_json(api, JOBS, {"mode": "text-to-video", "prompt": "a red ball bounces"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["engine"] == "embedded"
    assert (body["parameters"]["width"], body["parameters"]["frames"]) == (512, 16)


def test_bad_input_is_a_problem_naming_each_field_in_the_editors_words(api, no_queue):
    """A prompt over the limit, too many frames and an unknown image: 400 problem details
    with the field names the API uses and the forms' codes; nothing stored."""
    response = post_json(api, JOBS, {**ZOOM, "prompt": "x" * 2001, "frames": 9999, "asset": 424242})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "about:blank" and body["title"] == "Bad Request"
    assert field_codes(response) == {
        "prompt": "prompt_too_long",
        "frames": "max_value",
        "asset": "invalid_choice",
    }
    prompt_error = next(e for e in body["errors"] if e["field"] == "prompt")
    assert prompt_error["detail"] == "The prompt is 2,001 characters long; the limit is 2,000."
    assert not Job.objects.exists()


def test_image_to_video_without_an_image_is_refused(api, no_queue):
    """The editor's own message, on the image field."""
    response = post_json(api, JOBS, ZOOM)
    assert response.status_code == 400
    assert field_codes(response) == {"image": "image_required"}


def test_another_workspaces_image_is_not_found(api, other_user, no_queue):
    """An asset id of another workspace is refused like one that does not exist."""
    from studio.forms.uploads import check_image

    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    upload = SimpleUploadedFile("p.png", make_png(), content_type="image/png")
    asset = services.uploads.asset_create(
        workspace=theirs, user=other_user, upload=upload, image=check_image(upload)
    )
    response = post_json(api, JOBS, {**ZOOM, "asset": asset.pk})
    assert response.status_code == 400 and field_codes(response) == {"asset": "invalid_choice"}


def test_a_read_token_cannot_create_cancel_or_rerun(read_api, job, no_queue):
    """A read token reads; every change is 403, and nothing changes."""
    assert read_api.get(f"{JOBS}{job.pk}/").status_code == 200
    for url in (JOBS, f"{JOBS}{job.pk}/cancel/", f"{JOBS}{job.pk}/rerun/"):
        response = post_json(read_api, url, ZOOM)
        assert response.status_code == 403, url
        assert response.json()["detail"].startswith("This token may only read")
    assert Job.objects.count() == 1 and Job.objects.get().status == "queued"


def test_a_viewers_token_cannot_make_videos(workspace, other_user, user, asset, no_queue):
    """The member's role applies: a viewer who made a token (as owner, then demoted) reads
    but gets the editor's refusal when making."""
    services.workspaces.membership_add(workspace=workspace, user=other_user, role="owner")
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=other_user, name="x")
    workspace.memberships.filter(user=other_user).update(role="viewer")
    viewer = TokenClient(raw)
    assert viewer.get(JOBS).status_code == 200
    response = post_json(viewer, JOBS, {**ZOOM, "asset": asset.pk})
    assert response.status_code == 403
    assert response.json()["detail"] == "Viewers cannot make videos in this workspace."


def test_another_workspaces_jobs_are_404(other_api, job, video, no_queue):
    """Every job URL answers 404 to another workspace's token, and its list is empty."""
    for url in (f"{JOBS}{job.pk}/", f"{JOBS}{job.pk}/video.mp4", f"{JOBS}{job.pk}/poster.jpg"):
        response = other_api.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/problem+json"
    for url in (f"{JOBS}{job.pk}/cancel/", f"{JOBS}{job.pk}/rerun/"):
        assert other_api.post(url).status_code == 404, url
    assert other_api.get(JOBS).json()["results"] == []


def test_a_succeeded_job_links_its_files_which_the_token_downloads(api, job, video):
    """The job's video URLs are the API's, and the same token fetches the bytes."""
    body = api.get(f"{JOBS}{job.pk}/").json()
    assert body["status"] == "succeeded"
    assert body["video"]["mp4"] == f"http://testserver{JOBS}{job.pk}/video.mp4"
    download = api.get(body["video"]["mp4"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"0123456789"
    assert "reelsmith-" in download["Content-Disposition"]
    assert b"".join(api.get(body["video"]["poster"]).streaming_content) == b"jpeg"
    assert Client().get(body["video"]["mp4"]).status_code == 401  # and nobody else


def test_the_list_pages_by_cursor_and_filters(api, workspace, user, asset, camera_params, no_queue):
    """Three jobs, two a page: a next cursor, then the last; ?status= filters."""
    jobs = [
        services.jobs.job_submit(workspace=workspace, user=user, params=camera_params, image=asset)
        for _ in range(3)
    ]
    services.jobs.job_cancel(job=jobs[0])
    first = api.get(JOBS, {"page_size": 2}).json()
    assert [j["id"] for j in first["results"]] == [jobs[2].pk, jobs[1].pk]
    second = api.get(first["next"]).json()
    assert [j["id"] for j in second["results"]] == [jobs[0].pk] and second["next"] is None
    cancelled = api.get(JOBS, {"status": "cancelled"}).json()["results"]
    assert [j["id"] for j in cancelled] == [jobs[0].pk]
    assert api.get(JOBS, {"mode": "text-to-video"}).json()["results"] == []


def test_it_cancels_and_makes_again(api, job, no_queue):
    """Cancel answers the cancelled job; rerun answers 201 with a new one, same seed."""
    cancelled = api.post(f"{JOBS}{job.pk}/cancel/").json()
    assert cancelled["status"] == "cancelled"
    response = post_json(api, f"{JOBS}{job.pk}/rerun/", {"seed": "same"})
    assert response.status_code == 201
    body = response.json()
    assert body["rerun_of"] == job.pk and body["parameters"]["seed"] == job.seed


@override_settings(
    RATE_LIMITS={
        "jobs": "1/h",
        "batches": "10/h",
        "voice": "1/h",
        "password_reset": "1/h",
    }  # (per hour: the two requests never straddle the end of a window)
)
def test_making_videos_is_held_to_the_webs_rate_limit(api, asset, no_queue):
    """Past RATE_LIMITS["jobs"], 429 problem details with Retry-After; nothing made."""
    assert post_json(api, JOBS, {**ZOOM, "asset": asset.pk}).status_code == 201
    response = post_json(api, JOBS, {**ZOOM, "asset": asset.pk})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["detail"].startswith("Too many videos started: try again in")
    assert Job.objects.count() == 1


def test_each_token_is_held_to_the_api_rate(api, read_api, monkeypatch):
    """Past the "api" rate a token gets 429 with Retry-After; another token is not held."""
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "2/m"})
    assert [api.get("/api/v1/engines/").status_code for _ in range(3)] == [200, 200, 429]
    refused = api.get("/api/v1/engines/")
    assert refused["Retry-After"].isdigit() and refused.json()["code"] == "throttled"
    assert read_api.get("/api/v1/engines/").status_code == 200


def test_a_browser_session_works_with_csrf_and_names_its_workspace(
    user, workspace, asset, no_queue
):
    """The session works too: a POST without the CSRF token is refused, and the workspace
    is named by header."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    headers = {"Reelsmith-Workspace": str(workspace.pk)}
    assert client.get(JOBS, headers=headers).status_code == 200
    assert client.get(JOBS).status_code == 400  # which workspace?
    refused = post_json(client, JOBS, {**ZOOM, "asset": asset.pk}, **headers)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Job.objects.exists()


def test_engines_lists_modes_presets_limits_and_defaults(api):
    """GET /engines/ says what this server can make and what a job left blank gets."""
    body = api.get("/api/v1/engines/").json()
    assert {"embedded", "camera-motion"} <= {e["name"] for e in body["engines"]}
    assert body["modes"] == ["text-to-video", "image-to-video", "talking-head"]
    assert body["defaults"]["frames"] == 16 and body["limits"]["frames"] == 721


def test_a_talking_head_is_made_from_an_avatar_and_a_script(api, workspace, user, no_queue):
    """mode talking-head takes an avatar's id and a script (the voice defaults to the first
    that speaks here); without an avatar the field is named."""
    import io

    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="PNG")
    avatar = services.avatars.avatar_create(
        workspace=workspace,
        user=user,
        name="Eileen",
        upload=SimpleUploadedFile("face.png", buffer.getvalue(), content_type="image/png"),
        image=Image.open(io.BytesIO(buffer.getvalue())),
    )
    missing = post_json(api, JOBS, {"mode": "talking-head", "script": "Hello there."})
    assert missing.status_code == 400 and field_codes(missing) == {"avatar": "required"}
    response = post_json(
        api, JOBS, {"mode": "talking-head", "avatar": avatar.pk, "script": "Hello there, Ana."}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mode"] == "talking-head" and Job.objects.get().avatar == avatar


def test_a_wrong_method_is_a_problem_too(api):
    """DELETE on the job list is 405 in problem details."""
    response = api.delete(JOBS)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_session_naming_a_workspace_it_is_not_in_gets_404(client, user, other_user):
    """A browser session cannot reach another workspace by naming it."""
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    client.force_login(user)
    response = client.get(JOBS, headers={"Reelsmith-Workspace": str(theirs.pk)})
    assert response.status_code == 404


def test_an_address_the_api_lacks_is_a_problem(api):
    """/api/v1/nothing/ answers 404 problem details, not a page."""
    response = api.get("/api/v1/nothing/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert response["Content-Type"] == "application/problem+json"


def test_engines_list_each_engines_recommended_settings(api):
    """Each engine in GET /engines/ carries the steps, guidance, frames and fps it recommends."""
    from generation.engines.embedded import RECOMMENDED

    body = api.get("/api/v1/engines/").json()
    embedded = next(e for e in body["engines"] if e["name"] == "embedded")
    assert embedded["recommended"] == RECOMMENDED


def test_a_job_left_without_settings_gets_its_engines_recommended_ones(api, no_queue):
    """A text-to-video job with only a prompt runs at the embedded model's 10 steps and
    guidance 2; a value given still wins."""
    made = post_json(api, JOBS, {"mode": "text-to-video", "prompt": "a red ball bounces"})
    assert made.status_code == 201, made.content
    assert (made.json()["parameters"]["steps"], made.json()["parameters"]["guidance"]) == (10, 2.0)
    given = post_json(
        api, JOBS, {"mode": "text-to-video", "prompt": "a red ball bounces", "steps": 4}
    )
    assert given.json()["parameters"]["steps"] == 4


def test_engines_say_which_make_a_soundtrack_and_the_schema_names_it(api, settings, tmp_path):
    """An LTX-2 folder makes its own sound with the picture; the embedded model does not. The
    OpenAPI schema documents the field."""
    import json

    from generation.engines import EngineSettings

    folder = tmp_path / "ltx2"
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "LTX2Pipeline"}))
    settings.ENGINE_SETTINGS = EngineSettings(model_paths={"ltx2": str(folder)})
    body = api.get("/api/v1/engines/").json()
    sound = {e["name"]: e["sound"] for e in body["engines"]}
    assert (sound["embedded"], sound["ltx2"]) == (False, True)
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "sound" in schema["components"]["schemas"]["Engine"]["properties"]
