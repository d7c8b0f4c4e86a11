"""The avatar library, the talking-head editor, the voice preview and the job they make."""

from __future__ import annotations

import io
import re
from typing import Any
from unittest import mock

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from skimage import data

from studio import services
from studio.models import Asset, Avatar, Job, Membership, Template, Video, Workspace
from studio.params import AvatarParams
from studio.worker import run as worker_run

pytestmark = pytest.mark.django_db


def _png(array: np.ndarray, name: str = "portrait.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _upload(
    client: Any, workspace: Workspace, upload: SimpleUploadedFile, name: str = "Maya"
) -> Any:
    return client.post(
        reverse("avatar_library", args=[workspace.pk]), {"name": name, "image": upload}
    )


@pytest.fixture
def avatar(member_client: Any, workspace: Workspace) -> Avatar:
    _upload(member_client, workspace, _png(data.astronaut()))
    return Avatar.objects.get()


def test_it_adds_a_portrait_and_shows_its_face_box(member_client, workspace):
    """A portrait with one face is stored with the face's box, drawn over it in the library."""
    response = _upload(member_client, workspace, _png(data.astronaut()))
    assert response.status_code == 302
    avatar = Avatar.objects.get()
    x, _, _, h = avatar.face_box
    assert 150 < x < 200 and 90 < h < 120
    page = member_client.get(reverse("avatar_library", args=[workspace.pk])).content.decode()
    assert 'class="face-box"' in page and "Maya" in page


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (lambda: data.chelsea(), "No face was found in the portrait"),
        (
            lambda: np.concatenate([data.astronaut()[20:300, 110:340]] * 2, axis=1),
            "The portrait shows 2 faces",
        ),
        (
            lambda: np.asarray(Image.fromarray(data.astronaut()).resize((256, 256))),
            "pixels tall; it must be at least 80",
        ),
    ],
)
def test_an_unusable_portrait_is_refused_with_the_reason(member_client, workspace, image, message):
    """No face, two faces, a face too small: the reason shows by the field; nothing stored."""
    response = _upload(member_client, workspace, _png(np.ascontiguousarray(image())))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Avatar.objects.exists() and not Asset.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(member_client, workspace):
    upload = SimpleUploadedFile("face.png", b"%PDF-1.4 not an image", content_type="image/png")
    response = _upload(member_client, workspace, upload)
    assert response.status_code == 400
    assert "This file is not an image we can read" in response.content.decode()
    assert not Avatar.objects.exists()


def test_viewers_cannot_add_avatars(client, workspace, other_user):
    Membership.objects.create(workspace=workspace, user=other_user, role=Membership.Role.VIEWER)
    client.force_login(other_user)
    response = _upload(client, workspace, _png(data.astronaut()))
    assert response.status_code == 403 and not Avatar.objects.exists()


def _script_form(avatar: Avatar, **overrides: Any) -> dict[str, Any]:
    return {
        "avatar": avatar.pk,
        "script": "Hi Ana! Thanks for your time.",
        "voice": "espeak-en-us",
        "speed": "1.0",
        "captions": "file",
        "aspect": "1:1",
        **overrides,
    }


def test_the_editor_queues_a_talking_head_on_the_cpu_queue(
    member_client, workspace, avatar, no_queue, django_capture_on_commit_callbacks
):
    """Generate stores a queued avatar job with the script, voice and portrait, then opens it."""
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("avatar_video_new", args=[workspace.pk]), _script_form(avatar, seed="4")
        )
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job_detail", args=[workspace.pk, job.pk])
    assert (job.mode, job.engine, job.queue, job.voice, job.seed) == (
        "avatar",
        "avatar",
        "cpu",
        "espeak-en-us",
        4,
    )
    assert job.script == "Hi Ana! Thanks for your time." and job.image == avatar.image
    assert no_queue.call_args.kwargs["queue"] == "cpu"


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("", "This field is required"),
        ("x" * 1001, "the limit is 1000"),
        ("Hello \U0001f680", "characters the voices cannot speak"),
    ],
)
def test_a_bad_script_is_refused_by_its_field(
    member_client, workspace, avatar, no_queue, script, message
):
    response = member_client.post(
        reverse("avatar_video_new", args=[workspace.pk]), _script_form(avatar, script=script)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Job.objects.exists() and no_queue.call_count == 0


def test_another_workspaces_avatar_cannot_be_used(
    member_client, workspace, avatar, other_user, no_queue
):
    other = services.workspaces.workspace_create(name="Theirs", owner=other_user)
    Avatar.objects.filter(pk=avatar.pk).update(workspace=other)
    response = member_client.post(
        reverse("avatar_video_new", args=[workspace.pk]), _script_form(avatar)
    )
    assert response.status_code == 400 and not Job.objects.exists()


def test_play_voice_returns_the_spoken_script(member_client, workspace):
    """The preview is a WAV of the script in the chosen voice; a bad script says why."""
    url = reverse("avatar_voice", args=[workspace.pk])
    response = member_client.post(url, {"script": "Hello there.", "voice": "joe", "speed": "1.0"})
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and len(response.content) > 20_000
    response = member_client.post(url, {"script": "Hi \U0001f600", "voice": "joe", "speed": "1"})
    assert response.status_code == 400
    assert "characters the voices cannot speak" in response.json()["error"]


def test_the_same_voice_preview_plays_from_the_cache(member_client, workspace):
    """The same (voice, speed, text) is spoken once, then served from the cache; a change of
    any of the three is spoken anew."""
    from generation.avatar import tts

    url = reverse("avatar_voice", args=[workspace.pk])
    form = {"script": "Hello there.", "voice": "espeak-en-us", "speed": "1.0"}
    with mock.patch.object(tts, "speak", wraps=tts.speak) as speak:
        first = member_client.post(url, form)
        again = member_client.post(url, {**form, "script": "  Hello there. "})
        assert speak.call_count == 1 and again.content == first.content
        for change in ({"voice": "espeak-en-gb"}, {"speed": "1.2"}, {"script": "Hello, Ana."}):
            assert member_client.post(url, {**form, **change}).status_code == 200
        assert speak.call_count == 4


def test_a_talking_head_job_runs_to_a_video_with_captions(
    member_client, workspace, avatar, no_queue
):
    """On a worker the job makes the MP4, poster and WebVTT; it shows in the gallery."""
    member_client.post(
        reverse("avatar_video_new", args=[workspace.pk]),
        _script_form(avatar, script="Hello from Acme."),
    )
    job = Job.objects.get()
    worker_run.job_run(job_id=job.pk, worker="test@host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    video = Video.objects.get(job=job)
    assert video.captions.name.endswith(".vtt") and job.num_frames == video.num_frames > 25
    assert video.captions.read().startswith(b"WEBVTT")
    page = member_client.get(reverse("job_detail", args=[workspace.pk, job.pk])).content.decode()
    assert '<track kind="captions"' in page
    gallery = member_client.get(reverse("gallery", args=[workspace.pk])).content.decode()
    assert reverse("job_detail", args=[workspace.pk, job.pk]) in gallery
    again = services.jobs.job_rerun(job=job, user=job.created_by, same_seed=True)
    assert (again.mode, again.script, again.seed) == ("avatar", job.script, job.seed)


def test_edit_and_make_again_prefills_the_script_editor(member_client, workspace, avatar, no_queue):
    """A talking head's page links to the script editor filled with its script and voice."""
    member_client.post(
        reverse("avatar_video_new", args=[workspace.pk]),
        _script_form(avatar, script="Welcome back, Ana.", voice="espeak-en-gb", speed="1.2"),
    )
    job = Job.objects.get()
    page = member_client.get(reverse("job_detail", args=[workspace.pk, job.pk])).content.decode()
    again = f"{reverse('avatar_video_new', args=[workspace.pk])}?from={job.pk}"
    assert again in page and "Welcome back, Ana." in page
    editor = member_client.get(again).content.decode()
    assert "Welcome back, Ana.</textarea>" in editor
    assert '<option value="espeak-en-gb" selected>' in editor
    assert '<option value="1.2" selected>' in editor


def test_the_prompt_editor_links_to_avatars_instead_of_offering_the_mode(member_client, workspace):
    """Talking heads are made from the avatar editor; the prompt editor refuses the mode."""
    page = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    assert 'value="avatar"' not in page
    assert reverse("avatar_library", args=[workspace.pk]) in page
    response = member_client.post(
        reverse("job_new", args=[workspace.pk]),
        {
            "mode": "avatar",
            "prompt": "hello",
            "engine": "camera-motion",
            "aspect": "1:1",
            "size": "small",
            "num_frames": 8,
            "fps": 8,
            "steps": 1,
            "guidance": 0,
        },
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Job.objects.exists()


# Talking-head templates -----------------------------------------------------------------------

SALES_VALUES = {"first_name": "Ana", "sender_name": "Bo", "company": "Acme", "cta": "Call us"}


def _sales_intro() -> Any:
    from studio.models import Template

    return Template.objects.get(workspace=None, name="Talking-head sales intro")


def test_the_talking_head_template_makes_a_spoken_job(member_client, workspace, avatar, no_queue):
    """Filling the template queues a talking head: its script filled, spoken by the chosen
    avatar, with the template's overlays filled too."""
    template = _sales_intro()
    response = member_client.post(
        reverse("template_use", args=[workspace.pk, template.pk]),
        {**SALES_VALUES, "avatar": avatar.pk},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    job = Job.objects.get()
    assert (job.mode, job.template_id, job.avatar_id, job.image_id) == (
        "avatar",
        template.pk,
        avatar.pk,
        avatar.image_id,
    )
    assert job.script == "Hi Ana! I'm Bo from Acme. Call us"
    assert job.overlays["lower_third"] == {"name": "Bo", "company": "Acme"}
    assert (job.width, job.height, job.fps) == (template.width, template.height, template.fps)


def test_another_workspaces_avatar_cannot_present(
    member_client, workspace, avatar, other_user, no_queue
):
    """An avatar id from elsewhere is not a choice here."""
    elsewhere = services.workspaces.workspace_create(name="Elsewhere", owner=other_user)
    Avatar.objects.filter(pk=avatar.pk).update(workspace=elsewhere)
    response = member_client.post(
        reverse("template_use", args=[workspace.pk, _sales_intro().pk]),
        {**SALES_VALUES, "avatar": avatar.pk},
    )
    assert response.status_code == 400 and not Job.objects.exists()


def test_a_talking_head_from_a_template_keeps_its_voice_under_the_overlays(
    member_client, workspace, avatar, no_queue
):
    """On a worker: the lower third and end card are drawn and the voice is still there,
    ending where the end card begins."""
    import av

    template = _sales_intro()
    member_client.post(
        reverse("template_use", args=[workspace.pk, template.pk]),
        {**SALES_VALUES, "avatar": avatar.pk},
    )
    job = Job.objects.get()
    worker_run.job_run(job_id=job.pk, worker="test@host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    video = Video.objects.get(job=job)
    end_card = round(1.5 * template.fps)
    with av.open(video.file.path) as box:
        sound = box.streams.audio[0]
        heard = float(sound.duration * sound.time_base)
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]
    spoken = (len(frames) - end_card) / template.fps
    assert abs(heard - spoken) < 0.5, (heard, spoken)
    assert video.captions.name.endswith(".vtt")
    # The end card is the brand colour; the talking head's frames are the photo.
    primary = np.array([124, 92, 255])
    assert np.abs(frames[-1].reshape(-1, 3).mean(0) - primary).max() < 30
    assert np.abs(frames[0].reshape(-1, 3).mean(0) - primary).max() > 30


def test_a_talking_head_batch_speaks_each_rows_script(
    member_client, workspace, avatar, no_queue, django_capture_on_commit_callbacks, settings
):
    """A batch of the template takes a presenter; each row is its own talking head, sent on
    its own (nothing is shared: every script differs)."""
    settings.FAIR_SHARE_IN_FLIGHT = 2  # room for both rows at once (see test_fair_share.py)
    template = _sales_intro()
    csv_text = "first_name,sender_name,company,cta\nAna,Bo,Acme,Call us\nCy,Bo,Acme,Write us\n"
    missing = member_client.post(
        reverse("batch_new", args=[workspace.pk]), {"template": template.pk, "csv_text": csv_text}
    )
    assert missing.status_code == 400
    assert "is spoken by a presenter: pick one of your avatars" in missing.content.decode()
    response = member_client.post(
        reverse("batch_new", args=[workspace.pk]),
        {"template": template.pk, "csv_text": csv_text, "avatar": avatar.pk},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    from studio.models import Batch

    batch = Batch.objects.get()
    assert batch.image_id == avatar.image_id
    draft = member_client.get(reverse("batch_detail", args=[workspace.pk, batch.pk]))
    page = draft.content.decode()
    assert "<dt>Script</dt><dd>Hi Ana! I&#x27;m Bo from Acme. Call us</dd>" in page
    assert "Launch 2 videos" in page
    assert "shared" not in page  # each row's script is spoken on its own
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(reverse("batch_launch", args=[workspace.pk, batch.pk]))
    jobs = list(Job.objects.filter(batch_rows__batch=batch).order_by("pk"))
    assert [job.script for job in jobs] == [
        "Hi Ana! I'm Bo from Acme. Call us",
        "Hi Cy! I'm Bo from Acme. Write us",
    ]
    assert {job.mode for job in jobs} == {"avatar"} and {j.avatar_id for j in jobs} == {avatar.pk}
    assert no_queue.call_count == 2 and not no_queue.together.called


# Renaming and removing ------------------------------------------------------------------------


def test_an_avatar_is_renamed_and_an_empty_name_refused(member_client, workspace, avatar):
    url = reverse("avatar_edit", args=[workspace.pk, avatar.pk])
    response = member_client.post(url, {"name": "  Sam  "}, follow=True)
    avatar.refresh_from_db()
    assert avatar.name == "Sam" and "Avatar renamed." in response.content.decode()
    response = member_client.post(url, {"name": "   "}, follow=True)
    avatar.refresh_from_db()
    assert avatar.name == "Sam" and "Give the avatar a name." in response.content.decode()


def test_removing_an_avatar_keeps_its_videos(member_client, workspace, avatar, no_queue):
    """The library loses it; a talking head made with it keeps its portrait and its job."""
    member_client.post(
        reverse("avatar_video_new", args=[workspace.pk]), _script_form(avatar, script="Hi.")
    )
    job = Job.objects.get()
    response = member_client.post(
        reverse("avatar_edit", args=[workspace.pk, avatar.pk]), {"delete": "1"}, follow=True
    )
    assert "was removed; its videos are kept" in response.content.decode()
    assert not Avatar.objects.exists()
    job.refresh_from_db()
    assert job.avatar_id is None and Asset.objects.filter(pk=job.image_id).exists()
    assert 'id="no-avatars"' in response.content.decode()


def test_viewers_and_other_workspaces_cannot_change_avatars(client, workspace, avatar, other_user):
    url = reverse("avatar_edit", args=[workspace.pk, avatar.pk])
    client.force_login(other_user)
    assert client.post(url, {"delete": "1"}).status_code == 404  # not a member: no such page
    Membership.objects.create(workspace=workspace, user=other_user, role=Membership.Role.VIEWER)
    assert client.post(url, {"delete": "1"}).status_code == 403
    assert client.post(url, {"name": "Mine"}).status_code == 403
    elsewhere = services.workspaces.workspace_create(name="Elsewhere", owner=other_user)
    assert (
        client.post(reverse("avatar_edit", args=[elsewhere.pk, avatar.pk]), {"delete": "1"})
    ).status_code == 404
    assert Avatar.objects.get().name == "Maya"


def test_a_talking_head_template_keeps_its_voice_and_speed(
    member_client, workspace, user, avatar, no_queue
):
    """Saved from a talking head, a template keeps its script, voice and speed; its edit
    page changes them, and the videos it makes (a batch row is made the same way) use them."""
    job = services.avatars.avatar_job_submit(
        workspace=workspace,
        user=user,
        avatar=avatar,
        params=AvatarParams(
            script="Hi Ana, thanks for your time.",
            voice="espeak-en-gb",
            speed=1.2,
            captions="file",
            width=64,
            height=64,
        ),
        send=False,
    )
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    response = member_client.post(
        reverse("template_save_from_job", args=[workspace.pk, job.pk]), {"name": "Thanks"}
    )
    assert response.status_code == 302
    template = Template.objects.get(workspace=workspace)
    assert (template.mode, template.script, template.voice, template.speed) == (
        "avatar",
        "Hi Ana, thanks for your time.",
        "espeak-en-gb",
        1.2,
    )

    url = reverse("template_edit", args=[workspace.pk, template.pk])
    html = member_client.get(url).content.decode()
    assert 'name="voice"' in html and 'name="speed"' in html
    inputs = {
        "name": "Thanks",
        "prompt": template.prompt,
        "script": "Hi {first_name}, thanks for your time.",
        "voice": "espeak-en-us-f",
        "speed": "0.8",
    }
    response = member_client.post(url, inputs)
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.voice, template.speed) == ("espeak-en-us-f", 0.8)
    assert [f["name"] for f in template.fields] == ["first_name"]

    made = services.templates.template_submit(
        template=template,
        workspace=workspace,
        user=user,
        values={"first_name": "Ana"},
        avatar=avatar,
    )
    assert (made.voice, made.speed, made.script) == (
        "espeak-en-us-f",
        0.8,
        "Hi Ana, thanks for your time.",
    )


def test_a_template_voice_that_cannot_speak_is_refused_by_its_field(
    member_client, workspace, user, avatar, no_queue
):
    """A voice unknown here is refused next to the voice field, and nothing changes."""
    template = _sales_intro()
    template.pk, template.workspace = None, workspace  # a workspace's own copy
    template.save()
    url = reverse("template_edit", args=[workspace.pk, template.pk])
    response = member_client.post(
        url,
        {"name": template.name, "prompt": template.prompt, "script": "Hi!", "voice": "nobody"},
    )
    assert response.status_code == 400
    assert re.search(r'id="error-voice">[^<]*nobody', response.content.decode())
    template.refresh_from_db()
    assert (template.voice, template.script) == ("", _sales_intro().script)
