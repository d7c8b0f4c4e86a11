"""The whole chain in one walk, in a real Chromium against a live Daphne and Celery worker:
make a video in the editor, export it for TikTok from its page (the worker's ffmpeg), read the
downloaded file back, and find the video in the gallery by one word of its prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ffmpeg
import pytest

from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_make_a_video_export_it_for_tiktok_and_find_it_by_a_word_of_its_prompt(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, tmp_path: Path
) -> None:
    """Editor -> video -> TikTok export (1080x1920 H.264) -> gallery search by "lighthouse"."""
    django_user_model.objects.create_user(username="maya", password="a-long-passphrase")

    # 1. Sign in and make a text-to-video clip on the embedded engine.
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    page.get_by_role("link", name="New video").first.click()
    page.wait_for_selector("textarea[name=prompt]")
    page.fill("textarea[name=prompt]", "a white lighthouse by the blue sea")
    page.select_option("select[name=engine]", "embedded")
    page.select_option("select[name=aspect]", "16:9")
    page.select_option("select[name=size]", "small")
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/*/")
    job_url = page.url
    page.wait_for_selector("#result video", state="visible", timeout=180_000)
    shot(page, "chain-1-video")

    # 2. Export it for TikTok from its page; the list follows the worker until it is ready.
    page.reload()
    page.wait_for_selector("#export-form")
    page.select_option("select[name=kind]", "tiktok")
    page.check("input[name=reframe][value=blur]")
    page.click("#export-form button[type=submit]")
    link = page.locator('.export [data-role="download"]')
    link.wait_for(state="visible", timeout=120_000)
    assert "TikTok" in page.inner_text("#export-list")
    shot(page, "chain-2-exported")

    # 3. The download is a 1080x1920 H.264 MP4, as TikTok takes it.
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(str(saved))
    assert saved.name.endswith("-tiktok.mp4")
    (video,) = [s for s in ffmpeg.probe(str(saved))["streams"] if s["codec_type"] == "video"]
    assert (video["width"], video["height"], video["codec_name"]) == (1080, 1920, "h264")

    # 4. The gallery finds it by one word of its prompt, and nothing by a word it lacks.
    page.get_by_role("link", name="Gallery").click()
    page.fill("#gallery-search", "submarine")
    page.click("#gallery-filters button[type=submit]")
    page.wait_for_selector("text=No videos match.")
    page.fill("#gallery-search", "lighthouse")
    page.click("#gallery-filters button[type=submit]")
    page.wait_for_selector(".tile")
    assert "1 video match “lighthouse”." in page.inner_text("#search-summary")
    assert "a white lighthouse by the blue sea" in page.inner_text("#gallery")
    shot(page, "chain-3-found")
    page.click(".tile a.tile-media")
    page.wait_for_url(job_url)
