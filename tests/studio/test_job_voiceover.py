"""A voiceover in the prompt editor: kept with the job, spoken by the worker."""

from __future__ import annotations

from typing import Any

import av
from django.urls import reverse

from studio.models import Job, Video
from studio.worker import run as worker_run
from tests.studio.test_views import _form


def _post(client: Any, workspace: Any, **fields: Any) -> Any:
    return client.post(reverse("job_new", args=[workspace.pk]), _form(**fields))


def test_the_editor_keeps_the_voiceover_with_the_job(member_client, workspace, no_queue):
    """The line, its voice, speed and captions are stored on the job and shown on its page."""
    response = _post(
        member_client, workspace, voiceover="Meet the sneaker.", speed="1.2", captions="burn"
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert (job.script, job.speed, job.captions) == ("Meet the sneaker.", 1.2, "burn")
    page = member_client.get(reverse("job_detail", args=[workspace.pk, job.pk])).content.decode()
    assert "Meet the sneaker." in page and 'id="voiceover"' in page


def test_without_a_voiceover_the_job_has_no_script(member_client, workspace, no_queue):
    """Leaving the voiceover blank changes nothing about the job."""
    assert _post(member_client, workspace, captions="burn").status_code == 302
    job = Job.objects.get()
    assert (job.script, job.voice) == ("", "")


def test_a_voiceover_the_voice_cannot_say_is_refused_next_to_it(member_client, workspace, no_queue):
    """Characters no voice speaks: a message beside the voiceover, and no job."""
    response = _post(member_client, workspace, voiceover="Hello \U0001f680")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-voiceover"' in page and "cannot speak" in page
    assert not Job.objects.exists()


def test_an_unknown_voice_is_refused_next_to_the_voice(member_client, workspace, no_queue):
    """A voice that is not offered: the voice field says so, and no job."""
    response = _post(member_client, workspace, voiceover="Hello.", voice="nobody-at-all")
    assert response.status_code == 400
    assert 'id="error-voice"' in response.content.decode()
    assert not Job.objects.exists()


def test_a_voiced_job_runs_to_a_video_with_sound_and_captions(member_client, workspace, no_queue):
    """On a worker the clip is made, then spoken over: the MP4 has sound, the WebVTT the words."""
    _post(member_client, workspace, voiceover="Fresh from the factory.", captions="file")
    job = Job.objects.get()
    worker_run.job_run(job_id=job.pk, worker="test@host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    video = Video.objects.get(job=job)
    assert b"Fresh from the factory" in video.captions.read()
    with av.open(video.file.path) as box:
        assert box.streams.audio and box.streams.video
    assert video.duration >= 1.0  # the 1 s clip, held while the line is spoken
    page = member_client.get(reverse("job_detail", args=[workspace.pk, job.pk])).content.decode()
    assert '<track kind="captions"' in page
