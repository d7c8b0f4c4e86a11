"""What a page costs the web process: every member of a team opens the gallery, the dashboard
and job pages every few seconds (bench/load.py), so each of them asks for little and draws
what has not changed only once. Each test also shows that nothing stale is served."""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.models import Job, Project, Video
from studio.templatetags.cards import card_key


def _queries(client: Any, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_a_page_reads_the_session_from_the_cache_not_the_database(member_client, workspace):
    url = reverse("gallery", args=[workspace.pk])
    member_client.get(url)
    assert not [sql for sql in _queries(member_client, url) if "django_session" in sql]


def test_a_finished_jobs_card_is_drawn_once_and_again_when_what_it_shows_changes(
    member_client, workspace, video
):
    caches["cards"].clear()
    url = reverse("gallery", args=[workspace.pk])
    job = Job.objects.select_related("video", "project").get(pk=video.job_id)
    assert "review-draft" in member_client.get(url).content.decode()
    key = card_key(job)
    assert caches["cards"].get(key) is not None  # drawn once, kept for the next member

    # Changed behind the model's back (a queryset update sends no signal): still redrawn.
    Video.objects.filter(pk=video.pk).update(review_state=Video.ReviewState.APPROVED)
    project = Project.objects.create(workspace=workspace, name="Spring launch")
    Job.objects.filter(pk=job.pk).update(project=project)
    second = member_client.get(url).content.decode()
    assert "review-approved" in second and "Spring launch" in second
    assert second.count('<article class="tile') == 1  # markup, not escaped text
    Project.objects.filter(pk=project.pk).update(name="Summer launch")
    assert "Summer launch" in member_client.get(url).content.decode()


def test_a_running_jobs_card_shows_its_progress_as_it_is_now(member_client, workspace, job):
    url = reverse("workspace_dashboard", args=[workspace.pk])
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, progress_step=1, progress_total=4
    )
    assert 'value="0.250"' in member_client.get(url).content.decode()
    Job.objects.filter(pk=job.pk).update(progress_step=3)
    assert 'value="0.750"' in member_client.get(url).content.decode()


def test_the_job_page_of_a_video_not_shared_nor_on_a_board_asks_little(
    member_client, workspace, video
):
    url = reverse("job_detail", args=[workspace.pk, video.job_id])
    member_client.get(url)
    asked = _queries(member_client, url)
    # No plays to count without a link, no board to look up in a workspace without boards,
    # and the video comes with its job.
    assert not [sql for sql in asked if sql.startswith('SELECT "studio_shareview"."day"')]
    assert not [sql for sql in asked if sql.startswith('SELECT "studio_board"."id" AS "pk"')]
    assert len([sql for sql in asked if 'FROM "studio_video"' in sql]) == 0
    assert len(asked) <= 9, asked
