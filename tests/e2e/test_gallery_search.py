"""A styled video, found again: in a real Chromium against a live Daphne and Celery worker.

Make a video with the Anime style, read on its page what the style added, find it in the
gallery by a word of its prompt, and put it on a board. Screenshots go to artifacts/e2e/.
"""

from __future__ import annotations

from typing import Any

import pytest

from generation.styles import BUILTIN_STYLES
from tests.conftest import make_png
from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_make_a_styled_video_find_it_by_a_word_and_put_it_on_a_board(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, tmp_path: Any
) -> None:
    """Style chosen in the editor, shown in full on the job page, searched, added to a board."""
    django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    image = tmp_path / "teapot.png"
    image.write_bytes(make_png(640, 480))
    anime = BUILTIN_STYLES["anime"]

    # 1. Sign in and make an image-to-video clip in the Anime style.
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    page.get_by_role("link", name="New video").first.click()
    page.wait_for_selector("textarea[name=prompt]")
    page.check("input[name=mode][value=image-to-video]")
    page.set_input_files("input[type=file][name=image]", str(image))
    page.fill("textarea[name=prompt]", "slow zoom in on the porcelain teapot")
    page.select_option("select[name=style]", "anime")
    page.fill("input[name=num_frames]", "16")
    page.fill("input[name=fps]", "8")
    shot(page, "style-1-editor")
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/*/")

    # 2. Once made, the page says in full what the style added.
    page.wait_for_selector("#result video", state="visible", timeout=120_000)
    page.reload()
    page.wait_for_selector("#style-added")
    added = page.inner_text("#style-added")
    assert "What the Anime style added" in added
    assert anime.prompt in added and anime.negative in added
    assert "guidance 7.0" in added
    assert f"slow zoom in on the porcelain teapot, {anime.prompt}" in added
    assert "anime" in page.inner_text("#style-in-prompt")
    shot(page, "style-2-job-page")

    # 3. In the gallery, a word of the prompt finds it; another word finds nothing.
    page.get_by_role("link", name="Gallery").click()
    page.fill("#gallery-search", "spaceship")
    page.click("#gallery-filters button[type=submit]")
    page.wait_for_selector("text=No videos match.")
    page.fill("#gallery-search", "porcelain")
    page.click("#gallery-filters button[type=submit]")
    page.wait_for_selector(".tile")
    assert "1 video match “porcelain”." in page.inner_text("#search-summary")
    assert "porcelain teapot" in page.inner_text("#gallery")

    # 4. Make a board, add the video from the gallery, and filter by the board.
    page.fill("#id_board_name", "Tea campaign")
    page.click("#board-new button[type=submit]")
    page.wait_for_selector("text=No videos match.")  # the new board, empty
    page.fill("#gallery-search", "porcelain")
    page.select_option("select[name=board]", label="All boards")
    page.click("#gallery-filters button[type=submit]")
    page.wait_for_selector("form.tile-board")
    page.click("form.tile-board button[type=submit]")
    page.wait_for_selector("#search-summary")  # back on the same search
    page.select_option("#gallery-filters select[name=board]", label="Tea campaign (1)")
    page.fill("#gallery-search", "")
    page.click("#gallery-filters button[type=submit]")
    page.wait_for_selector(".tile")
    assert page.locator(".tile").count() == 1
    assert "porcelain teapot" in page.inner_text("#gallery")
    shot(page, "style-3-gallery-board")

    # 5. The video's page lists the board.
    page.click(".tile a.tile-media")
    page.wait_for_selector("#video-boards")
    assert "Tea campaign" in page.inner_text("#video-boards")
    shot(page, "style-4-job-boards")

    # 6. The styles page lists every style in full, and saves the workspace's own.
    page.get_by_role("link", name="Styles").first.click()
    page.fill("#style-form input[name=name]", "Tea house")
    page.fill("#style-form textarea[name=prompt]", "warm wood, steam, soft morning light")
    page.click("#style-form button[type=submit]")
    page.wait_for_selector("#own-styles")
    assert "warm wood, steam" in page.inner_text("#own-styles")
    assert anime.prompt in page.inner_text("#builtin-styles")
    shot(page, "style-5-styles-page")
