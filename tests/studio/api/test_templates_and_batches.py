"""Templates and batches through the API: fields, a fill that makes jobs, rows checked in the
page's words, launch, status and the results CSV; and the workspace's usage."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.models import Batch, Job, Template, Workspace
from tests.studio.api.conftest import field_codes
from tests.studio.api.test_jobs import post_json

pytestmark = pytest.mark.django_db

FIELDS = [
    {"name": name, "label": name, "type": "text", "required": True, "max_length": length}
    for name, length in (("first_name", 20), ("company", 40))
]


@pytest.fixture
def card_template(workspace: Workspace) -> Template:
    return Template.objects.create(
        workspace=workspace,
        name="Hello card",
        mode="image-to-video",
        engine="camera-motion",
        prompt="zoom in on a card for {first_name} at {company}",
        width=256, height=256, num_frames=8, fps=8, steps=1, guidance=0.0, seed=5,
        fields=FIELDS,
    )  # fmt: skip


def test_templates_list_their_fields(api, card_template):
    """The list has the workspace's template and the built-ins, each with its fields."""
    listed = {t["id"]: t for t in api.get("/api/v1/templates/").json()}
    assert listed[card_template.pk]["fields"][0]["name"] == "first_name"
    assert any(t["builtin"] for t in listed.values())
    one = api.get(f"/api/v1/templates/{card_template.pk}/").json()
    assert one["mode"] == "image-to-video" and one["frames"] == 8


def test_filling_a_template_makes_its_jobs(api, card_template, asset, no_queue):
    """A fill with values and two variants answers 201 with both jobs, prompts filled."""
    response = post_json(
        api,
        f"/api/v1/templates/{card_template.pk}/fill/",
        {"values": {"first_name": "Ana", "company": "Acme"}, "asset": asset.pk, "variants": 2},
    )
    assert response.status_code == 201, response.content
    jobs = response.json()["jobs"]
    assert len(jobs) == 2 and jobs[1]["variant_of"] == jobs[0]["id"]
    assert jobs[0]["prompt"] == "zoom in on a card for Ana at Acme"
    assert Job.objects.filter(template=card_template).count() == 2


def test_a_fill_missing_a_value_names_the_field(api, card_template, asset, no_queue):
    """A required value left out is an error on that field; nothing is made."""
    response = post_json(
        api,
        f"/api/v1/templates/{card_template.pk}/fill/",
        {"values": {"first_name": "Ana"}, "asset": asset.pk},
    )
    assert response.status_code == 400 and field_codes(response) == {"company": "required"}
    assert not Job.objects.exists()


def test_another_workspaces_template_is_404(other_api, card_template):
    """Another workspace's template cannot be read or filled."""
    assert other_api.get(f"/api/v1/templates/{card_template.pk}/").status_code == 404
    fill = post_json(other_api, f"/api/v1/templates/{card_template.pk}/fill/", {"values": {}})
    assert fill.status_code == 404


def test_a_batch_from_json_rows_is_checked_in_the_pages_words(api, card_template, asset):
    """A row with a value too long is refused as "Row 3: ..." (the header is row 1)."""
    rows = [{"first_name": "Ana", "company": "Acme"}, {"first_name": "B" * 30, "company": "Beta"}]
    response = post_json(
        api, "/api/v1/batches/", {"template": card_template.pk, "rows": rows, "asset": asset.pk}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["csv"]
    assert errors[0]["detail"].startswith("Row 3: ")
    assert not Batch.objects.exists()


def test_a_batch_from_a_csv_launches_and_reports(api, card_template, asset, no_queue):
    """An uploaded CSV becomes a draft; launch makes a job per row; the status counts them
    and the results CSV lists them with the API's job links."""
    upload = SimpleUploadedFile("rows.csv", b"first_name,company\nAna,Acme\nBo,Beta\n")
    response = api.post(
        "/api/v1/batches/", {"template": card_template.pk, "csv": upload, "asset": asset.pk}
    )
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["status"] == "draft" and batch["rows"] == 2
    launched = api.post(f"/api/v1/batches/{batch['id']}/launch/").json()
    assert launched["status"] == "launched" and launched["progress"]["queued"] == 2
    jobs = api.get("/api/v1/jobs/", {"batch": batch["id"]}).json()["results"]
    assert len(jobs) == 2
    results = api.get(f"/api/v1/batches/{batch['id']}/results.csv")
    lines = list(csv.reader(io.StringIO(results.content.decode())))
    assert lines[0][:2] == ["row", "status"] and len(lines) == 3
    assert f"/api/v1/jobs/{jobs[0]['id']}/" in results.content.decode()


def test_a_viewer_cannot_launch(api, card_template, asset, workspace, other_user, no_queue):
    """Launching keeps the page's rule: a viewer's token is refused with its words."""
    from studio import services

    response = post_json(
        api,
        "/api/v1/batches/",
        {
            "template": card_template.pk,
            "rows": [{"first_name": "A", "company": "B"}],
            "asset": asset.pk,
        },
    )
    batch_id = response.json()["id"]
    services.workspaces.membership_add(workspace=workspace, user=other_user, role="owner")
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=other_user, name="v")
    workspace.memberships.filter(user=other_user).update(role="viewer")
    from tests.studio.api.conftest import TokenClient

    refused = TokenClient(raw).post(f"/api/v1/batches/{batch_id}/launch/")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Viewers cannot launch batches."


def test_usage_shows_the_quotas_to_owners(api, workspace):
    """An owner's token reads the active jobs and this month's worker time."""
    body = api.get("/api/v1/usage/").json()
    assert body["active_jobs"] == 0 and body["cpu"]["quota"] > 0 and "left" in body["gpu"]


def test_an_upload_that_is_not_an_image_is_refused(api):
    """The upload's own check, on the image field."""
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response: Any = api.post("/api/v1/assets/", {"image": fake})
    assert response.status_code == 400 and list(field_codes(response)) == ["image"]


def test_another_workspaces_batch_is_404(api, other_api, card_template, asset):
    """Every batch URL answers 404 to another workspace's token."""
    rows = [{"first_name": "Ana", "company": "Acme"}]
    made = post_json(
        api, "/api/v1/batches/", {"template": card_template.pk, "rows": rows, "asset": asset.pk}
    )
    batch = made.json()["id"]
    for url in ("", "results.csv", "videos.zip"):
        assert other_api.get(f"/api/v1/batches/{batch}/{url}").status_code == 404, url
    for url in ("launch/", "cancel/", "videos.zip"):
        assert other_api.post(f"/api/v1/batches/{batch}/{url}").status_code == 404, url
    assert other_api.get("/api/v1/batches/").json() == []


def test_a_zip_of_nothing_finished_is_refused_in_the_pages_words(api, card_template, asset):
    """Asking for the ZIP before any video is done is a problem with the page's message."""
    rows = [{"first_name": "Ana", "company": "Acme"}]
    made = post_json(
        api, "/api/v1/batches/", {"template": card_template.pk, "rows": rows, "asset": asset.pk}
    )
    response = api.post(f"/api/v1/batches/{made.json()['id']}/videos.zip")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": None,
        "code": "nothing_to_zip",
        "detail": "No video of this batch is finished yet.",
    }


def test_usage_is_for_owners_only(workspace, other_user):
    """An editor's token is refused the workspace's usage, as the dashboard hides it."""
    from studio import services
    from tests.studio.api.conftest import TokenClient

    services.workspaces.membership_add(workspace=workspace, user=other_user, role="owner")
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=other_user, name="e")
    workspace.memberships.filter(user=other_user).update(role="editor")
    response = TokenClient(raw).get("/api/v1/usage/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only owners see the workspace's usage."
