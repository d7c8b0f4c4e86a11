"""Make a video on the embedded engine, export it for TikTok, download the 1080x1920 MP4:
in a real Chromium against a live Daphne and Celery worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generation import render
from tests.e2e.helpers import SHOTS, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_make_a_video_export_it_for_tiktok_and_download_it(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, tmp_path: Path
) -> None:
    """The export appears on the video's page, follows its state live, and downloads 9:16."""
    django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    SHOTS.mkdir(parents=True, exist_ok=True)

    # 1. Sign in and make a video on the embedded engine.
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    page.get_by_role("link", name="New video").first.click()
    page.wait_for_selector("textarea[name=prompt]")
    page.fill("textarea[name=prompt]", "a red ball bounces on green grass")
    page.select_option("select[name=engine]", "embedded")
    page.select_option("select[name=aspect]", "16:9")
    page.select_option("select[name=size]", "small")
    page.select_option("select[name=interpolate]", "2")  # Smooth motion: 16 fps from 8
    page.locator("#post-steps").screenshot(path=str(SHOTS / "exports-0-editor-post-steps.png"))
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/*/")
    page.wait_for_selector("#result video", state="visible", timeout=180_000)
    assert "2x the frames" in page.inner_text("#smooth-motion")

    # 2. Export it for TikTok, padded with a blurred copy; the page follows the worker.
    page.reload()
    page.wait_for_selector("#export-form")
    page.select_option("select[name=kind]", "tiktok")
    page.check("input[name=reframe][value=blur]")
    shot(page, "exports-1-form")
    page.click("#export-form button[type=submit]")
    page.wait_for_selector(".export[data-status]")
    link = page.locator('.export [data-role="download"]')
    link.wait_for(state="visible", timeout=120_000)
    assert "TikTok" in page.inner_text("#export-list")
    assert "1080 \u00d7 1920" in page.inner_text("#export-list")  # the multiplication sign
    page.wait_for_selector('.export [data-role="preview"] video')
    page.locator("#exports").screenshot(path=str(SHOTS / "exports-2-ready.png"))

    # 3. It downloads as a 1080x1920 H.264 MP4.
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(str(saved))
    assert saved.name.endswith("-tiktok.mp4")
    info = render.probe(saved)
    assert (info.width, info.height) == (1080, 1920)
    assert info.fps == 32  # 8 fps smoothed to 16, shown twice each to reach TikTok's 23
