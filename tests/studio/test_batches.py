"""Batches: check a CSV, preview, launch one job per row, follow, retry, cancel, download."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from studio import services
from studio.models import (
    Asset,
    Batch,
    BatchArchive,
    BatchRow,
    Job,
    Membership,
    Template,
    Video,
    Workspace,
)
from studio.worker import archive as worker_archive
from tests.conftest import make_png

pytestmark = pytest.mark.django_db

GOOD_CSV = "first_name,company,email\nAna,Acme,ana@acme.test\nBo,Beta,bo@beta.test\n"


@pytest.fixture
def card_template(workspace: Workspace) -> Template:
    return Template.objects.create(
        workspace=workspace,
        name="Hello card",
        mode="image-to-video",
        engine="camera-motion",
        prompt="zoom in on a card for {first_name} at {company}",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        seed=5,
        fields=[
            {
                "name": "first_name",
                "label": "First name",
                "type": "text",
                "required": True,
                "max_length": 20,
            },
            {
                "name": "company",
                "label": "Company",
                "type": "text",
                "required": True,
                "max_length": 40,
            },
        ],
        overlays={"lower_third": {"name": "{first_name}", "company": "{company}"}},
    )


def _post_new(client: Any, workspace: Workspace, template: Template, **data: Any) -> Any:
    payload = {
        "template": template.pk,
        "image": SimpleUploadedFile("card.png", make_png(), content_type="image/png"),
        **data,
    }
    return client.post(reverse("batch_new", args=[workspace.pk]), payload)


@pytest.fixture
def draft(member_client, workspace, card_template) -> Batch:
    response = _post_new(
        member_client, workspace, card_template, csv_text=GOOD_CSV, filename_column="email"
    )
    assert response.status_code == 302, response.content.decode()
    return Batch.objects.get()


@pytest.fixture
def launched(member_client, workspace, draft, no_queue) -> Batch:
    member_client.post(reverse("batch_launch", args=[workspace.pk, draft.pk]))
    draft.refresh_from_db()
    return draft


def _finish(row: BatchRow, content: bytes = b"mp4") -> None:
    assert row.job is not None
    video = Video(
        job=row.job,
        workspace=row.job.workspace,
        width=8,
        height=8,
        fps=8,
        num_frames=8,
        duration=1.0,
        size_bytes=len(content),
    )
    video.file.save("clip.mp4", ContentFile(content), save=False)
    video.poster.save("clip.jpg", ContentFile(b"jpeg"), save=False)
    video.save()
    Job.objects.filter(pk=row.job.pk).update(status=Job.Status.SUCCEEDED)


def test_the_dashboard_links_to_batches(member_client, workspace):
    """A link whose text contains "Batch" leads to the batches."""
    html = member_client.get(reverse("workspace_dashboard", args=[workspace.pk])).content.decode()
    url = reverse("batch_list", args=[workspace.pk])
    assert f'href="{url}">Batches' in html


def test_the_form_has_a_template_select_and_a_csv_upload(member_client, workspace, card_template):
    """The batch form offers the templates and a CSV file input."""
    html = member_client.get(reverse("batch_new", args=[workspace.pk])).content.decode()
    assert '<select name="template"' in html and 'type="file" name="csv"' in html
    assert "Hello card" in html and "Product showcase" in html


def test_an_uploaded_csv_with_a_bad_row_shows_the_row_and_stores_nothing(
    member_client, workspace, card_template, no_queue
):
    """The error names row 3; no batch, no job; the rows are put in the text box to fix."""
    bad = "first_name,company\nAna,Acme\n,Beta\n"
    upload = SimpleUploadedFile("people.csv", bad.encode(), content_type="text/csv")
    response = _post_new(member_client, workspace, card_template, csv=upload)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Row 3: first_name is empty" in html and 'data-row="3"' in html
    assert "Ana,Acme" in html  # the text box holds the file, ready to fix
    assert not Batch.objects.exists() and not Job.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_by_row(member_client, workspace, card_template):
    """Bad encoding names the line."""
    data = b"first_name,company\n" + "José,Café\n".encode("latin-1")
    upload = SimpleUploadedFile("people.csv", data, content_type="text/csv")
    html = _post_new(member_client, workspace, card_template, csv=upload).content.decode()
    assert "Row 2: this line is not UTF-8 text" in html
    assert not Batch.objects.exists()


def test_more_rows_than_the_workspace_allows_is_refused(member_client, workspace, card_template):
    """The workspace's row limit is enforced before anything is stored."""
    Workspace.objects.filter(pk=workspace.pk).update(batch_row_limit=1)
    html = _post_new(member_client, workspace, card_template, csv_text=GOOD_CSV).content.decode()
    assert "Row 3: the file has 2 rows" in html and "at most 1" in html
    assert not Batch.objects.exists()


def test_an_image_template_needs_an_image(member_client, workspace, card_template):
    """A batch of an image-to-video template asks for the photo."""
    response = member_client.post(
        reverse("batch_new", args=[workspace.pk]),
        {"template": card_template.pk, "csv_text": GOOD_CSV},
    )
    assert response.status_code == 400 and "animates a photo" in response.content.decode()


def test_a_valid_csv_becomes_a_draft_with_a_preview_and_an_estimate(
    member_client, workspace, draft, no_queue
):
    """The draft page previews the first row, states the GPU time and offers Launch."""
    assert draft.status == Batch.Status.DRAFT and draft.filename_column == "email"
    assert list(draft.rows.values_list("number", flat=True)) == [2, 3]
    html = member_client.get(
        reverse("batch_detail", args=[workspace.pk, draft.pk])
    ).content.decode()
    assert "Preview of row 2" in html and "zoom in on a card for Ana at Acme" in html
    assert "Estimated GPU time" in html and "Launch 2 videos" in html
    assert 'src="data:image/jpeg;base64,' in html  # a still of row 2's lower third
    assert not Job.objects.exists()


def test_launch_makes_one_job_per_row(member_client, workspace, launched):
    """Each row gets its own job with its filled prompt and overlays."""
    assert launched.status == Batch.Status.LAUNCHED
    rows = list(launched.rows.select_related("job"))
    assert [r.job.prompt for r in rows] == [
        "zoom in on a card for Ana at Acme",
        "zoom in on a card for Bo at Beta",
    ]
    assert rows[1].job.overlays == {"lower_third": {"name": "Bo", "company": "Beta"}}
    assert all(r.job.image_id == launched.image_id for r in rows)


def test_launching_twice_makes_no_more_jobs(member_client, workspace, launched):
    """A second press of Launch does nothing."""
    member_client.post(reverse("batch_launch", args=[workspace.pk, launched.pk]))
    assert Job.objects.count() == 2


def test_the_batch_page_shows_progress_and_each_rows_status(member_client, workspace, launched):
    """Overall progress, per-row status and links, and the downloads."""
    row = launched.rows.first()
    _finish(row)
    html = member_client.get(
        reverse("batch_detail", args=[workspace.pk, launched.pk])
    ).content.decode()
    assert "1 done" in html and "of 2" in html and "<progress" in html
    assert reverse("job_detail", args=[workspace.pk, row.job_id]) in html
    assert "ZIP" in html and "Results CSV" in html


def test_retry_makes_only_the_failed_rows_again(member_client, workspace, launched, no_queue):
    """A failed row gets a new job with the same seed; the others are left alone."""
    first, second = launched.rows.order_by("number")
    Job.objects.filter(pk=second.job_id).update(status=Job.Status.FAILED, error="boom")
    old_job = second.job_id
    member_client.post(reverse("batch_retry", args=[workspace.pk, launched.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.job_id != old_job and second.attempts == 2
    assert second.job.status == Job.Status.QUEUED and second.job.rerun_of_id == old_job
    assert second.job.seed == 5 and second.job.prompt == "zoom in on a card for Bo at Beta"
    assert first.attempts == 1 and Job.objects.count() == 3


def test_cancel_stops_the_rest_and_keeps_finished_videos(member_client, workspace, launched):
    """Queued rows are cancelled; a finished one stays finished."""
    first, second = launched.rows.order_by("number")
    _finish(first)
    member_client.post(reverse("batch_cancel", args=[workspace.pk, launched.pk]))
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses[first.job_id] == "succeeded" and statuses[second.job_id] == "cancelled"
    launched.refresh_from_db()
    assert launched.status == Batch.Status.CANCELLED


def test_the_results_csv_neutralises_formulas(member_client, workspace, launched):
    """row, status, link, error; an error that starts like a formula is written as text."""
    first, second = launched.rows.order_by("number")
    Job.objects.filter(pk=second.job_id).update(status=Job.Status.FAILED, error='=HYPERLINK("x")')
    response = member_client.get(reverse("batch_results", args=[workspace.pk, launched.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["row", "status", "link", "error"]
    assert rows[1][:2] == ["2", "queued"] and rows[1][2].endswith(f"/jobs/{first.job_id}/")
    assert rows[2] == ["3", "failed", rows[2][2], '\'=HYPERLINK("x")']


def _make_zip(client: Any, batch: Batch, column: str | None = None, *, capture: Any) -> Any:
    """Ask for the ZIP as the page's button does, then run the worker's build of it."""
    with capture(execute=True):
        response = client.post(
            reverse("batch_zip_make", args=[batch.workspace_id, batch.pk]),
            {} if column is None else {"name": column},
        )
    for archive in BatchArchive.objects.filter(status=BatchArchive.Status.BUILDING):
        worker_archive.archive_build(archive_id=archive.pk)
    return response


def _download(client: Any, batch: Batch, column: str | None = None) -> zipfile.ZipFile:
    url = reverse("batch_zip", args=[batch.workspace_id, batch.pk])
    response = client.get(url, {} if column is None else {"name": column})
    assert response.status_code == 200, response.status_code
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_zip_holds_the_videos_named_from_a_column(
    member_client, workspace, launched, django_capture_on_commit_callbacks
):
    """Files are named from the chosen column; unfinished rows are left out; results included."""
    first, _second = launched.rows.order_by("number")
    _finish(first, b"video-of-ana")
    _make_zip(member_client, launched, capture=django_capture_on_commit_callbacks)
    archive = _download(member_client, launched)
    assert sorted(archive.namelist()) == ["ana-acme.test.mp4", "results.csv"]
    assert archive.read("ana-acme.test.mp4") == b"video-of-ana"
    assert "http://testserver/w/" in archive.read("results.csv").decode()
    _make_zip(member_client, launched, "company", capture=django_capture_on_commit_callbacks)
    assert "Acme.mp4" in _download(member_client, launched, "company").namelist()


def test_the_zip_is_built_by_a_worker_task_sent_on_request(
    member_client, workspace, launched, no_queue, django_capture_on_commit_callbacks
):
    """Pressing the button sends one build task and stores nothing in the web request."""
    _finish(launched.rows.order_by("number").first())
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(reverse("batch_zip_make", args=[workspace.pk, launched.pk]))
    archive = BatchArchive.objects.get()
    assert archive.status == "building" and not archive.file and archive.video_count == 1
    sent = [c for c in no_queue.call_args_list if c.kwargs["args"] == (archive.pk,)]
    assert len(sent) == 1 and sent[0].kwargs["queue"] == "cpu"


def test_the_page_says_how_many_videos_are_ready_and_disables_the_zip_while_none_are(
    member_client, workspace, launched, django_capture_on_commit_callbacks
):
    """No finished video: the button is disabled and pressing it anyway makes nothing."""
    page = member_client.get(reverse("batch_detail", args=[workspace.pk, launched.pk]))
    html = page.content.decode()
    assert "0 videos ready, 2 still being made" in html
    assert 'id="zip-make" disabled' in html and 'id="zip-link"' not in html
    response = _make_zip(member_client, launched, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302 and not BatchArchive.objects.exists()
    assert (
        member_client.get(reverse("batch_zip", args=[workspace.pk, launched.pk])).status_code == 302
    )


def test_a_zip_made_before_more_rows_finished_is_offered_beside_a_new_one(
    member_client, workspace, launched, django_capture_on_commit_callbacks
):
    """One video zipped, a second finishes: the old ZIP of 1 stays, the button offers 2."""
    first, second = launched.rows.order_by("number")
    _finish(first)
    _make_zip(member_client, launched, capture=django_capture_on_commit_callbacks)
    _finish(second)
    html = member_client.get(reverse("batch_detail", args=[workspace.pk, launched.pk])).content
    assert b"Download ZIP of 1 video<" in html and b"Make a ZIP of 2 videos" in html
    _make_zip(member_client, launched, capture=django_capture_on_commit_callbacks)
    assert (
        len([n for n in _download(member_client, launched).namelist() if n.endswith(".mp4")]) == 2
    )
    assert BatchArchive.objects.count() == 1  # the older ZIP is gone


def test_asking_again_for_a_zip_that_has_every_video_reuses_it(
    member_client, workspace, launched, django_capture_on_commit_callbacks
):
    """Nothing new finished: the same ZIP, not a second build."""
    _finish(launched.rows.order_by("number").first())
    _make_zip(member_client, launched, capture=django_capture_on_commit_callbacks)
    _make_zip(member_client, launched, capture=django_capture_on_commit_callbacks)
    assert BatchArchive.objects.count() == 1


def test_a_viewer_can_download_a_zip_but_not_make_one(
    other_user, member_client, workspace, launched, django_capture_on_commit_callbacks
):
    """Building a ZIP is work only editors start; a ready one is there for viewers too."""
    services.workspaces.membership_add(
        workspace=workspace, user=other_user, role=Membership.Role.VIEWER
    )
    _finish(launched.rows.order_by("number").first())
    viewer = Client()
    viewer.force_login(other_user)
    refused = _make_zip(viewer, launched, capture=django_capture_on_commit_callbacks)
    assert refused.status_code == 403 and not BatchArchive.objects.exists()
    page = viewer.get(reverse("batch_detail", args=[workspace.pk, launched.pk]))
    assert b"No ZIP yet" in page.content and b'id="zip-make"' not in page.content
    _make_zip(member_client, launched, capture=django_capture_on_commit_callbacks)
    assert "results.csv" in _download(viewer, launched).namelist()


def test_a_viewer_can_follow_but_not_launch_retry_or_cancel(
    client, other_user, workspace, draft, no_queue
):
    """Viewers see the batch; every action is refused."""
    services.workspaces.membership_add(
        workspace=workspace, user=other_user, role=Membership.Role.VIEWER
    )
    client.force_login(other_user)
    assert client.get(reverse("batch_detail", args=[workspace.pk, draft.pk])).status_code == 200
    for name in ("batch_launch", "batch_retry", "batch_cancel"):
        assert client.post(reverse(name, args=[workspace.pk, draft.pk])).status_code == 403
    assert client.get(reverse("batch_new", args=[workspace.pk])).status_code == 403
    assert not Job.objects.exists()


def test_another_user_gets_404_for_every_batch_url(client, other_user, workspace, launched):
    """Non-members cannot see, act on, or download a batch."""
    client.force_login(other_user)
    ws, pk = workspace.pk, launched.pk
    for name in ("batch_detail", "batch_results", "batch_zip"):
        assert client.get(reverse(name, args=[ws, pk])).status_code == 404, name
    for name in ("batch_launch", "batch_retry", "batch_cancel", "batch_zip_make"):
        assert client.post(reverse(name, args=[ws, pk])).status_code == 404, name
    assert client.get(reverse("batch_list", args=[ws])).status_code == 404
    assert client.get(reverse("batch_new", args=[ws])).status_code == 404
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    assert client.get(reverse("batch_detail", args=[theirs.pk, pk])).status_code == 404


def test_a_batch_cannot_use_another_workspaces_template(client, other_user, card_template):
    """The template select only accepts built-ins and the workspace's own."""
    client.force_login(other_user)
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    response = _post_new(client, theirs, card_template, csv_text=GOOD_CSV)
    assert response.status_code == 400 and not Batch.objects.exists()


def test_pasted_rows_over_the_size_limit_are_refused_next_to_the_box(
    member_client, workspace, card_template
):
    """Pasted text is held to the same size as an uploaded CSV, and nothing is stored."""
    from generation import limits

    text = "first_name,company\n" + "Ana,Acme\n" * (limits.MAX_CSV_BYTES // 9 + 1)
    response = _post_new(member_client, workspace, card_template, csv_text=text)
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["csv_text"]
    assert [e.code for e in errors] == ["csv_too_large"]
    assert "the limit is 2 MB" in response.content.decode()
    assert not Batch.objects.exists() and not Asset.objects.exists()
