"""A storyboard from start to finish in a real Chromium, against Daphne, a real Celery worker and
the page's WebSocket: paste an article, make its scenes, close with the brand, turn one scene
into an engine scene, render,
watch its thumbnail fill in live, and play each aspect's video with its captions loaded.

Screenshots are saved under artifacts/e2e/ (while rendering, and once done).
"""

from __future__ import annotations

from typing import Any

import pytest

from studio import selectors, services
from studio.models import Job, Storyboard
from tests.e2e.helpers import SHOTS, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = """# Fresh from the oven

Our bakery opens at seven every morning.

Come and taste it this weekend.
"""


def test_an_article_is_made_into_scenes_edited_rendered_live_and_played_with_captions(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, settings: Any
) -> None:
    """New storyboard → paste → Make scenes → scene 2 made a text-to-video scene → Render →
    its thumbnail fills in over the socket (no reload) → a player per aspect whose captions
    track has its cues loaded, and the video plays."""
    settings.STORYBOARD_SHORT_SIDE = 240  # small frames: the walk is about the flow
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)

    # 1. Sign in, paste the article, make its scenes.
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    page.goto(f"{live_server_url}/w/{workspace.pk}/storyboards/new/")
    page.fill("textarea[name=text]", ARTICLE)
    page.get_by_role("button", name="Make scenes").click()
    page.wait_for_selector("#scenes")
    storyboard = Storyboard.objects.get()
    scenes = selectors.storyboard_scenes(storyboard=storyboard)
    assert page.locator("#scenes > li.scene-card").count() == len(scenes) == 3

    # 2. The settings: a second aspect, and the brand's close with a line of its own.
    page.locator("#field-aspects input[value='9:16']").check()
    page.get_by_label("Close with the brand").check()
    page.get_by_label("Closing line").fill("Order today")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=Settings saved.")
    page.locator("#storyboard-settings").screenshot(
        path=str(SHOTS / "storyboard-walk-0-settings.png")
    )
    storyboard.refresh_from_db()
    assert (storyboard.brand_outro, storyboard.brand_outro_text) == (True, "Order today")

    # 3. Edit scene 2: the embedded model makes it from a prompt.
    second = page.locator(f"#scene-{scenes[1].pk}")
    second.locator("select[name$='-visual']").select_option("text-to-video")
    second.locator("select[name$='-engine']").select_option("embedded")
    second.locator("textarea[name$='-prompt']").fill("a loaf of bread on a table")
    second.get_by_role("button", name="Save scene 2").click()
    page.wait_for_selector("text=Scene 2 saved.")
    scenes[1].refresh_from_db()
    assert (scenes[1].visual, scenes[1].engine) == ("text-to-video", "embedded")

    # 4. Render, on the storyboard's own page: the scene's thumbnail fills in live.
    page.locator("#storyboard-render [data-render-button]").click()
    page.wait_for_selector("#render-progress", timeout=90_000)  # the checks run first
    page.wait_for_selector(".render-scene[data-position='1'] img[data-thumbnail]", timeout=180_000)
    shot(page, "storyboard-walk-1-rendering")
    assert Job.objects.filter(mode=Job.Mode.STORYBOARD_SCENE).count() == 2  # one per aspect

    # 5. Each aspect's player, its captions track loaded with cues, and the video plays.
    page.wait_for_function(
        "document.querySelectorAll('.render-output video').length === 2", timeout=300_000
    )
    assert page.locator(".render-output video track[kind=captions]").count() == 2
    page.eval_on_selector(
        ".render-output video", "v => { v.textTracks[0].mode = 'hidden'; v.muted = true; }"
    )
    page.wait_for_function(
        "(() => { const t = document.querySelector('.render-output video').textTracks[0];"
        " return t.cues !== null && t.cues.length > 0; })()",
        timeout=30_000,
    )
    first_cue = page.eval_on_selector(".render-output video", "v => v.textTracks[0].cues[0].text")
    assert "bakery" in first_cue.lower() or "oven" in first_cue.lower(), first_cue
    page.eval_on_selector(".render-output video", "v => v.play()")
    page.wait_for_function(
        "document.querySelector('.render-output video').currentTime > 0.5", timeout=30_000
    )
    assert "succeeded" in page.inner_text("#render-status").lower()
    shot(page, "storyboard-walk-2-done")
