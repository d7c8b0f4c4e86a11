"""The brand kit: a workspace's logo, colours and font, drawn over its templates' videos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generation import render
from studio import services
from studio.models import BrandKit, Job, Membership, Video
from studio.params import JobParams
from studio.worker import run as worker_run
from tests.conftest import make_png

pytestmark = pytest.mark.django_db


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "primary_color": "#112233",
        "text_color": "#FFFFFF",
        "accent_color": "#fbbf24",
        "font": "DejaVu Serif",
        "lower_third_style": "clean",
        "end_card_style": "dark",
    }
    data.update(overrides)
    return data


def test_the_page_offers_the_installed_fonts(member_client, workspace):
    """A member sees the form with the project's DejaVu fonts and the default colours."""
    html = member_client.get(reverse("brand_kit", args=[workspace.pk])).content.decode()
    assert "DejaVu Sans" in html and "DejaVu Serif" in html and "#7c5cff" in html


def test_it_saves_colours_font_styles_and_a_logo(member_client, workspace):
    """An editor's form is stored; the logo is checked and served to members."""
    logo = SimpleUploadedFile("logo.png", make_png(200, 100), content_type="image/png")
    response = member_client.post(reverse("brand_kit", args=[workspace.pk]), _form(logo=logo))
    assert response.status_code == 302
    kit = BrandKit.objects.get(workspace=workspace)
    assert (kit.primary_color, kit.text_color, kit.font) == ("#112233", "#ffffff", "DejaVu Serif")
    assert (kit.lower_third_style, kit.end_card_style) == ("clean", "dark")
    assert kit.logo.name.endswith(".png")
    assert member_client.get(reverse("file", args=[kit.logo.name])).status_code == 200


def test_a_logo_that_is_not_an_image_is_refused(member_client, workspace):
    """The logo goes through the same check as any upload."""
    bad = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    response = member_client.post(reverse("brand_kit", args=[workspace.pk]), _form(logo=bad))
    assert response.status_code == 400
    assert "not an image" in response.content.decode()
    assert not BrandKit.objects.exists()


def test_a_bad_colour_or_font_is_refused(member_client, workspace):
    """A colour that is not #rrggbb, or a font not installed, is an error by its field."""
    url = reverse("brand_kit", args=[workspace.pk])
    response = member_client.post(url, _form(primary_color="red"))
    assert response.status_code == 400 and "is not a colour" in response.content.decode()
    response = member_client.post(url, _form(font="Comic Sans"))
    assert response.status_code == 400
    assert not BrandKit.objects.exists()


def test_a_viewer_cannot_change_the_brand_kit(client, other_user, workspace):
    """Viewers see it; their post is refused."""
    services.workspaces.membership_add(
        workspace=workspace, user=other_user, role=Membership.Role.VIEWER
    )
    client.force_login(other_user)
    url = reverse("brand_kit", args=[workspace.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, _form()).status_code == 403
    assert not BrandKit.objects.exists()


def test_another_user_gets_404_for_the_page_and_the_logo(
    client, other_user, member_client, workspace
):
    """Non-members cannot see the brand kit or fetch its logo."""
    logo = SimpleUploadedFile("logo.png", make_png(200, 100), content_type="image/png")
    member_client.post(reverse("brand_kit", args=[workspace.pk]), _form(logo=logo))
    kit = BrandKit.objects.get()
    client.force_login(other_user)
    assert client.get(reverse("brand_kit", args=[workspace.pk])).status_code == 404
    assert client.post(reverse("brand_kit", args=[workspace.pk]), _form()).status_code == 404
    assert client.get(reverse("file", args=[kit.logo.name])).status_code == 404


def test_a_template_job_gets_its_overlays_drawn(workspace, user, asset, no_queue, settings):
    """The worker draws the lower third and appends the end card with the workspace's brand."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    services.brand.brand_kit_update(
        workspace=workspace,
        primary_color="#112233",
        text_color="#ffffff",
        accent_color="#fbbf24",
        font="DejaVu Sans",
        lower_third_style="bar",
        end_card_style="solid",
    )
    params = JobParams(
        mode="image-to-video",
        engine="camera-motion",
        prompt="zoom in",
        negative_prompt="",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        seed=1,
    )
    job = services.jobs.job_submit(
        workspace=workspace,
        user=user,
        params=params,
        image=asset,
        overlays={"lower_third": {"name": "Ana"}, "end_card": {"cta": "Call us", "seconds": 1}},
    )
    worker_run.job_run(job_id=job.pk, worker="test-host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    video = Video.objects.get(job=job)
    assert video.num_frames == 16 and video.duration == 2.0
    info = render.probe(Path(video.file.path))
    assert info.frames == 16
