"""Library previews: a built-in template generated with sample values, played on hover."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from generation import render
from studio.models import Template

pytestmark = pytest.mark.django_db


def test_the_command_makes_a_preview_that_members_of_any_workspace_can_play(
    member_client, workspace, client, other_user
):
    """The product showcase is generated (camera motion) with its end card; it is stored,
    shown in the library as a hover-play video, and readable by any signed-in user."""
    out = io.StringIO()
    call_command("template_previews", name="Product showcase", stdout=out)
    assert "made Product showcase" in out.getvalue()
    template = Template.objects.get(workspace=None, name="Product showcase")
    info = render.probe(Path(template.preview.path))
    assert (info.width, info.height) == (template.width, template.height)
    assert info.frames == template.num_frames + 18  # a 1.5 s end card at 12 fps
    with Image.open(template.preview_poster.path) as poster:
        assert poster.size == (template.width, template.height)
    html = member_client.get(reverse("template_library", args=[workspace.pk])).content.decode()
    assert 'class="hover-play"' in html and template.preview.name in html
    client.force_login(other_user)
    assert client.get(reverse("file", args=[template.preview.name])).status_code == 200
    client.logout()
    assert client.get(reverse("file", args=[template.preview.name])).status_code != 200


def test_a_template_whose_engine_is_missing_is_skipped_with_the_reason(settings):
    """A template naming a model this server does not have is skipped, saying why."""
    Template.objects.create(
        name="Cinematic",
        mode="text-to-video",
        engine="wan2.1-t2v",
        prompt="a city at dusk",
        width=832,
        height=480,
        num_frames=81,
        fps=16,
    )
    out = io.StringIO()
    call_command("template_previews", name="Cinematic", stdout=out)
    assert "skipped Cinematic: " in out.getvalue()
    assert not Template.objects.get(name="Cinematic").preview


def test_the_talking_head_preview_speaks_with_its_overlays():
    """The sample presenter says the filled script; the sound survives the overlays."""
    import av

    out = io.StringIO()
    call_command("template_previews", name="Talking-head sales intro", stdout=out)
    assert "made Talking-head sales intro" in out.getvalue()
    template = Template.objects.get(workspace=None, name="Talking-head sales intro")
    with av.open(template.preview.path) as box:
        video, sound = box.streams.video[0], box.streams.audio[0]
        assert (video.codec_context.width, video.codec_context.height) == (
            template.width,
            template.height,
        )
        assert sound.codec_context.name == "aac" and float(sound.duration * sound.time_base) > 2
