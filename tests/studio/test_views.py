"""The pages a marketer walks through, from sign-in to the job page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from studio.models import Job, Membership, Workspace
from tests.conftest import make_png

pytestmark = pytest.mark.django_db


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "mode": "image-to-video",
        "prompt": "zoom in on the sneaker",
        "negative_prompt": "",
        "engine": "camera-motion",
        "motion": "auto",
        "aspect": "1:1",
        "size": "small",
        "num_frames": "8",
        "fps": "8",
        "steps": "1",
        "guidance": "0",
        "seed": "",
        "image": SimpleUploadedFile("shoe.png", make_png(), content_type="image/png"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_signing_in_gives_a_new_user_a_personal_workspace(client, user):
    """The first sign-in creates the user's own workspace, with them as owner."""
    response = client.post(reverse("login"), {"username": "maya", "password": "a-long-passphrase"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == "owner" and membership.workspace.personal_for == user
    page = client.get("/")
    assert "New video" in page.content.decode()
    assert reverse("gallery", args=[membership.workspace.pk]) in page.content.decode()


def test_the_editor_lists_every_engine_and_says_why_one_cannot_run(member_client, workspace):
    """Unavailable engines are listed, disabled, with the reason."""
    html = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    assert 'name="engine"' in html and 'name="prompt"' in html and 'name="image"' in html
    assert "camera-motion" in html
    assert "disabled" in html and "unavailable:" in html


def test_submitting_queues_a_job_and_opens_its_page(member_client, workspace, no_queue):
    """A valid image-to-video form stores a job and redirects to its page."""
    response = member_client.post(reverse("job_new", args=[workspace.pk]), _form(seed="42"))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job_detail", args=[workspace.pk, job.pk])
    assert (job.width, job.height, job.seed, job.image.width) == (256, 256, 42, 320)
    page = member_client.get(response["Location"]).content.decode()
    assert "<progress" in page and "zoom in on the sneaker" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"prompt": "x" * 2001}, "prompt", "limit is 2,000"),
        ({"prompt": ""}, "prompt", "required"),
        ({"image": None}, "image", "needs an image"),
        (
            {
                "image": SimpleUploadedFile(
                    "a.png", b"not an image at all", content_type="image/png"
                )
            },
            "image",
            "not an image",
        ),
        ({"num_frames": "0"}, "num_frames", "greater than or equal to 1"),
        ({"fps": "500"}, "fps", "less than or equal to 60"),
        ({"engine": "wan2.1-t2v", "mode": "text-to-video"}, "engine", "cannot run here"),
        # The embedded model makes at most 256 frames, fewer than the longest any makes.
        (
            {"engine": "embedded", "mode": "text-to-video", "num_frames": "257"},
            "num_frames",
            "at most 256 frames",
        ),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_queues_nothing(
    member_client, workspace, no_queue, overrides, field, message
):
    """Each kind of bad input gets its message beside the field, and nothing is stored."""
    response = member_client.post(reverse("job_new", args=[workspace.pk]), _form(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="error-{field}"' in html
    assert message in html
    assert Job.objects.count() == 0
    assert not no_queue.called


def test_a_decompression_bomb_is_refused(member_client, workspace, no_queue, settings):
    """An image with more pixels than allowed is refused before it is decoded."""
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    buffer = io.BytesIO()
    Image.new("1", (2000, 2000)).save(buffer, format="PNG")  # tiny file, 4 megapixels
    bomb = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    response = member_client.post(reverse("job_new", args=[workspace.pk]), _form(image=bomb))
    assert response.status_code == 400
    assert "too many pixels" in response.content.decode()
    assert Job.objects.count() == 0


def test_an_oversize_upload_is_refused(member_client, workspace, no_queue, settings):
    """A file over the upload limit is refused with the limit."""
    settings.UPLOAD_MAX_BYTES = 100
    response = member_client.post(reverse("job_new", args=[workspace.pk]), _form())
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert Job.objects.count() == 0


def test_a_viewer_cannot_submit(client, other_user, workspace, no_queue):
    """Viewers see the workspace but cannot make videos."""
    Membership.objects.create(workspace=workspace, user=other_user, role="viewer")
    client.force_login(other_user)
    assert client.get(reverse("gallery", args=[workspace.pk])).status_code == 200
    assert client.post(reverse("job_new", args=[workspace.pk]), _form()).status_code == 403
    assert Job.objects.count() == 0


def test_the_gallery_filters_by_status_engine_and_project(member_client, workspace, job):
    """The gallery shows the workspace's jobs, newest first, filtered as asked."""
    url = reverse("gallery", args=[workspace.pk])
    assert f'data-job="{job.pk}"' in member_client.get(url).content.decode()
    assert f'data-job="{job.pk}"' in member_client.get(url, {"status": "queued"}).content.decode()
    assert (
        f'data-job="{job.pk}"' not in member_client.get(url, {"status": "failed"}).content.decode()
    )
    assert (
        f'data-job="{job.pk}"'
        not in member_client.get(url, {"engine": "embedded"}).content.decode()
    )


def test_the_dashboard_is_scoped_to_the_workspace_in_the_session(
    client, user, workspace, other_user
):
    """A user in two workspaces sees the one they last opened."""
    from studio import services

    team = services.workspaces.workspace_create(name="Team", owner=other_user)
    services.workspaces.membership_add(workspace=team, user=user)
    client.force_login(user)
    client.get(reverse("workspace_dashboard", args=[team.pk]))
    assert "Team" in client.get("/").content.decode()
    assert Workspace.objects.count() == 2


def test_the_gallerys_engine_filter_lists_each_engine_once_in_one_small_query(
    member_client, workspace, job, django_assert_max_num_queries
):
    """Engines used come back one row per engine, however many jobs used them."""
    from studio import selectors

    for _ in range(5):
        job.pk = None
        job.save()
    job.pk, job.engine = None, "embedded"
    job.save()
    with django_assert_max_num_queries(1) as queries:
        engines = selectors.engines_used_in_workspace(workspace=workspace)
    assert engines == ["camera-motion", "embedded"]
    assert "DISTINCT" in queries.captured_queries[0]["sql"]


def test_a_second_page_of_the_same_workspace_does_not_touch_the_session_row(
    member_client, workspace
):
    """The current workspace is saved when it changes, not on every page (a write per page);
    the session itself is read from the cache."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("gallery", args=[workspace.pk])
    member_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert member_client.get(url).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]
    assert not writes


def test_the_editor_starts_at_the_default_engines_recommended_settings(member_client, workspace):
    """A user who changes nothing gets the embedded model's 10 steps and guidance 2, and the
    page carries every engine's recommended settings for its script."""
    import json

    from generation.engines.embedded import RECOMMENDED

    html = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    assert 'name="steps" value="10"' in html and 'name="guidance" value="2.0"' in html
    start = html.index('<script id="recommended" type="application/json">')
    data = html[html.index(">", start) + 1 : html.index("</script>", start)]
    assert json.loads(data)["embedded"] == RECOMMENDED
