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
    """The talking-head template has no engine here; the command says so and goes on."""
    out = io.StringIO()
    call_command("template_previews", name="Talking-head sales intro", stdout=out)
    assert "skipped Talking-head sales intro: No talking-head engine" in out.getvalue()
    assert not Template.objects.get(name="Talking-head sales intro").preview
