"""A marketer's first video, in a real Chromium against a live Daphne and Celery worker.

Screenshots of each step are saved under artifacts/e2e/.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import make_png
from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_make_an_image_to_video_and_find_it_in_the_gallery(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, tmp_path: Any
) -> None:
    """Sign in, open the editor, submit, watch progress, play the video, find it listed."""
    django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    image = tmp_path / "sneaker.png"
    image.write_bytes(make_png(800, 600))

    # 1. Sign in.
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    shot(page, "1-sign-in")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    shot(page, "2-dashboard")

    # 2. Open the editor from the "New video" link and fill it in.
    page.get_by_role("link", name="New video").first.click()
    page.wait_for_selector("textarea[name=prompt]")
    page.check("input[name=mode][value=image-to-video]")
    page.set_input_files("input[type=file][name=image]", str(image))
    page.fill("textarea[name=prompt]", "slow zoom in on the sneaker, bright studio light")
    page.select_option("select[name=size]", "medium")
    page.fill("input[name=num_frames]", "96")
    page.fill("input[name=fps]", "24")
    assert page.eval_on_selector("select[name=engine]", "e => e.value") == "camera-motion"
    shot(page, "3-editor")
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/*/")

    # 3. Watch it form: the bar moves and the preview changes.
    values: list[float] = []
    previews: set[str] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = page.evaluate(
            """() => ({value: document.getElementById('progress').value,
                       max: document.getElementById('progress').max,
                       preview: document.getElementById('preview').getAttribute('src') || '',
                       status: document.getElementById('job').dataset.status})"""
        )
        if state["status"] == "running" and state["max"] > 1:
            values.append(state["value"] / state["max"])
            if state["preview"]:
                previews.add(state["preview"])
            if len(values) == 3:
                shot(page, "4-progress")
        if state["status"] == "succeeded":
            break
        time.sleep(0.05)
    moving = sorted(set(values))
    assert len(moving) >= 2 and moving[-1] > moving[0], values
    assert len(previews) >= 2, "the preview image never changed"

    # 4. The video plays.
    page.wait_for_selector("#result video", state="visible", timeout=120_000)
    page.wait_for_function("document.getElementById('video').readyState === 4", timeout=30_000)
    duration = page.evaluate("document.getElementById('video').duration")
    assert duration == pytest.approx(96 / 24, abs=0.1)
    page.evaluate("document.getElementById('video').play()")
    page.wait_for_function("document.getElementById('video').currentTime > 0.3", timeout=10_000)
    assert page.get_attribute("#download", "href")
    shot(page, "5-video")

    # 5. It is in the gallery.
    page.get_by_role("link", name="Gallery").click()
    page.wait_for_selector(".tile video.hover-play")
    assert "slow zoom in on the sneaker" in page.inner_text("#gallery")
    page.hover(".tile video.hover-play")
    page.wait_for_function(
        "!document.querySelector('.tile video.hover-play').paused", timeout=10_000
    )
    shot(page, "6-gallery")
