"""The brand's open and close on a storyboard: chosen on the page, drawn by the assembly as
brand cards (the brand kit's colours) before the first scene and after the last."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from generation.storyboard.board import FPS, BrandCard
from generation.storyboard.timeline import END_SECONDS, TRANSITION_SECONDS
from studio import services
from studio.models import BrandKit, Job, Storyboard, StoryboardRender, Video
from studio.services.storyboard_render import storyboard_render
from studio.worker import run as worker_run

pytestmark = pytest.mark.django_db

SCRIPT = "Our bakery opens at seven.\n\nCome and taste the rye."
BRAND_BLUE = (30, 144, 255)
LOGO_RED = (220, 20, 20)


def _render_video(storyboard: Storyboard, user: Any) -> Video:
    """Render the storyboard (cards only: no scene job) and run its assembly here."""
    render = storyboard_render(storyboard=storyboard, user=user)
    output = render.outputs.get()
    worker_run.job_run(job_id=output.job_id, worker="test-host:1")
    job = Job.objects.get(pk=output.job_id)
    assert job.status == Job.Status.SUCCEEDED, job.error
    render.refresh_from_db()
    assert render.status == StoryboardRender.Status.SUCCEEDED
    return Video.objects.get(job=job)


def _frame_at(path: Path, seconds: float) -> np.ndarray:
    """The first frame shown at or after ``seconds``, (H, W, 3) RGB."""
    with av.open(str(path)) as box:
        for frame in box.decode(video=0):
            if frame.time is not None and frame.time >= seconds - 1e-6:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"{path} is shorter than {seconds} s")


def _settings_post(storyboard: Storyboard, **changes: Any) -> dict[str, Any]:
    form = {
        "voice": storyboard.voice,
        "speed": storyboard.speed,
        "music": storyboard.music,
        "music_db": storyboard.music_db,
        "captions": storyboard.captions,
        "transition": storyboard.transition,
        "aspects": storyboard.aspects,
    }
    return form | changes


@pytest.fixture
def board(workspace: Any, user: Any, settings: Any, no_queue: Any) -> Storyboard:
    settings.STORYBOARD_SHORT_SIDE = 144  # small frames: the test is about what is drawn
    kit = BrandKit.objects.create(workspace=workspace, primary_color="#1e90ff")
    logo = Image.new("RGB", (200, 100), LOGO_RED)  # a plain red logo, easy to find in a frame
    buffer = io.BytesIO()
    logo.save(buffer, format="PNG")
    kit.logo.save("logo.png", ContentFile(buffer.getvalue()))
    return services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=SCRIPT
    )


def test_the_page_saves_the_brand_open_and_close(
    member_client: Any, workspace: Any, board: Storyboard
) -> None:
    """Both toggles ticked with a closing line: the storyboard keeps them and shows them."""
    url = reverse("storyboard_settings", args=[workspace.pk, board.pk])
    post = _settings_post(board, brand_intro="on", brand_outro="on", brand_outro_text="Order today")
    response = member_client.post(url, post)
    assert response.status_code == 302
    board.refresh_from_db()
    assert (board.brand_intro, board.brand_outro) == (True, True)
    assert (board.brand_intro_text, board.brand_outro_text) == ("", "Order today")
    page = member_client.get(reverse("storyboard_detail", args=[workspace.pk, board.pk]))
    html = page.content.decode()
    assert "Open with the brand" in html and "Close with the brand" in html
    assert re.search(r'name="brand_intro"[^>]*checked', html)
    assert re.search(r'name="brand_outro"[^>]*checked', html)


def test_a_closing_line_over_the_limit_is_refused_next_to_its_field(
    member_client: Any, workspace: Any, board: Storyboard
) -> None:
    """An 81-character line: the message is next to the field and nothing changes."""
    url = reverse("storyboard_settings", args=[workspace.pk, board.pk])
    response = member_client.post(
        url, _settings_post(board, brand_outro="on", brand_outro_text="x" * 81)
    )
    assert response.status_code == 400
    assert b'id="error-brand_outro_text"' in response.content
    board.refresh_from_db()
    assert board.brand_outro is False


def test_the_open_and_close_lengthen_the_video_by_their_cards_and_it_opens_in_brand_colour(
    board: Storyboard, user: Any
) -> None:
    """The same storyboard with the brand's open and close is longer by the two cards, less
    the close's fade through black and the last scene's end air (which the close now plays
    under), and its first frame is the brand's primary colour; without them it is not."""
    plain = _render_video(board, user)
    board.brand_intro = board.brand_outro = True
    board.brand_outro_text = "Order today"
    board.save()
    branded = _render_video(board, user)

    card = BrandCard().seconds
    expected = 2 * card - TRANSITION_SECONDS["fade-black"] - END_SECONDS
    assert branded.duration - plain.duration == pytest.approx(expected, abs=2 / FPS)

    first = _frame_at(Path(branded.file.path), 0.0)
    corner = first[:12, :12].reshape(-1, 3).mean(axis=0)
    assert np.abs(corner - BRAND_BLUE).max() < 40, corner
    # Once the card's words are in, the logo shows; the plain video has none.
    assert _logo_pixels(_frame_at(Path(branded.file.path), 1.5)) > 500
    assert _logo_pixels(_frame_at(Path(plain.file.path), 1.5)) < 50


def _logo_pixels(frame: np.ndarray) -> int:
    """How many pixels of the frame are the logo's red (the 144 px card draws it ~60x30)."""
    return int((np.abs(frame.astype(int) - LOGO_RED).max(axis=2) < 40).sum())


def test_the_render_panel_shows_the_open_and_close_and_each_card_as_it_will_look(
    client: Any, member_client: Any, other_user: Any, workspace: Any, board: Storyboard, user: Any
) -> None:
    """The panel lists the brand's open first and its close last, each with a still drawn as
    the assembly draws it (brand colour, logo); a text card scene shows its still too. Only
    members see them, and a card that is not chosen is not there."""
    board.brand_intro = board.brand_outro = True
    board.brand_outro_text = "Order today"
    board.save()
    storyboard_render(storyboard=board, user=user)
    panel = member_client.get(
        reverse("storyboard_render_panel", args=[workspace.pk, board.pk]), {"partial": "1"}
    )
    html = panel.content.decode()
    items = re.findall(r'<li class="render-scene[^"]*"([^>]*)>', html)
    assert 'data-brand="open"' in items[0] and 'data-brand="close"' in items[-1]
    assert len(items) == 2 + board.scenes.count()
    stills = re.findall(r'<img src="([^"]+/cards/[^"]+\.png)"', html)
    intro, outro = (
        reverse("storyboard_card_still", args=[workspace.pk, board.pk, c])
        for c in ("intro", "outro")
    )
    assert stills[0] == intro and stills[-1] == outro
    assert len(stills) == len(items)  # every scene here is a text card: each has its still
    assert 'alt="Close: Order today"' in html

    picture = member_client.get(intro)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    still = np.asarray(Image.open(io.BytesIO(picture.content)).convert("RGB"))
    assert still.shape == (180, 320, 3)  # the first aspect, 16:9, at thumbnail size
    assert np.abs(still[:8, :8].reshape(-1, 3).mean(axis=0) - BRAND_BLUE).max() < 40
    assert _logo_pixels(still) > 200
    scene_still = member_client.get(stills[1])
    assert scene_still.status_code == 200 and scene_still.content != picture.content

    board.brand_intro = False
    board.save()
    assert member_client.get(intro).status_code == 404
    assert member_client.get(outro).status_code == 200
    client.force_login(other_user)
    assert client.get(outro).status_code == 404
