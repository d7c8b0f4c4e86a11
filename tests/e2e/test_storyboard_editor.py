"""The storyboard editor in a real Chromium against Daphne, under the studio's Content Security
Policy: paste an article, make its scenes, read what the analysis understood, edit one scene's
on-screen text, and find the change after a reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from studio.models import Storyboard
from tests.e2e.helpers import SHOTS, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = """# Spring at the bakery

Our bakery opens at seven in the old town. Fresh bread comes out of the oven every hour.

We bake with flour from a mill down the river, and every loaf is shaped by hand.

Visit us this weekend and taste the new rye.
"""

# Every violation the page reports.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def enforcing_page(browser: Any) -> Iterator[Any]:
    """A page that enforces the policy (the shared ``page`` fixture bypasses it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.add_init_script(WATCH)
    yield page
    context.close()


def test_an_article_becomes_scenes_and_an_edited_scene_keeps_its_change(
    enforcing_page: Any, live_server_url: str, user: Any, workspace: Any
) -> None:
    """Storyboards → New storyboard → paste → Make scenes: a title card and three scenes, each
    with its analysis; scene 2's on-screen text, saved, is still there after a reload."""
    page = enforcing_page
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/**")
    page.goto(f"{live_server_url}/w/{workspace.pk}/")
    page.get_by_role("link", name="Storyboards").click()
    page.get_by_role("link", name="+ New storyboard").click()

    page.fill("textarea[name=text]", ARTICLE)
    assert page.inner_text("#text-count") == f"{len(ARTICLE)} / 10,000 characters"
    shot(page, "storyboard-new")
    page.get_by_role("button", name="Make scenes").click()
    page.wait_for_selector("#scenes")

    storyboard = Storyboard.objects.get()
    scenes = list(storyboard.scenes.order_by("position"))
    cards = page.locator("#scenes > li.scene-card")
    assert cards.count() == 4
    assert "Title card" in cards.nth(0).locator(".badge").first.text_content()
    second = page.locator(f"#scene-{scenes[1].pk}")
    assert second.locator(".scene-name").inner_text() == "Scene 2"
    analysis = second.locator(f"#analysis-{scenes[1].pk}")
    assert scenes[1].analysis["subject"] in analysis.inner_text()
    assert second.locator("textarea[name$='-prompt']").input_value() == scenes[1].prompt
    # A text card hides the engine, which only generated visuals use; text-to-video shows it.
    engine = second.locator(f"#field-scene-{scenes[1].pk}-engine")
    assert not engine.is_visible()
    second.locator("select[name$='-visual']").select_option("text-to-video")
    assert engine.is_visible() and analysis.is_visible()
    second.locator("select[name$='-visual']").select_option("text-card")
    shot(page, "storyboard-page")

    field = second.locator("input[name$='-on_screen_text']")
    field.fill("Fresh bread every hour")
    second.get_by_role("button", name="Save scene 2").click()
    page.wait_for_selector("text=Scene 2 saved.")
    page.reload()
    saved = page.locator(f"#scene-{scenes[1].pk} input[name$='-on_screen_text']")
    assert saved.input_value() == "Fresh bread every hour"

    # A scene left with nothing to say is refused next to its voiceover, and kept as it was.
    third = page.locator(f"#scene-{scenes[2].pk}")
    third.locator("textarea[name$='-voiceover']").fill("")
    third.get_by_role("button", name="Save scene 3").click()
    error = page.locator(f"#error-scene-{scenes[2].pk}-voiceover")
    assert "Scene 3 has nothing to say" in error.inner_text()
    page.locator(f"#scene-{scenes[2].pk}").screenshot(
        path=str(SHOTS / "storyboard-scene-error.png")
    )
    scenes[2].refresh_from_db()
    assert scenes[2].voiceover.startswith("We bake with flour")

    page.locator("nav.mainnav").get_by_role("link", name="Storyboards").click()
    assert "Spring at the bakery" in page.inner_text("#storyboards")
    shot(page, "storyboard-list")
    assert page.evaluate("window.__csp") == []
