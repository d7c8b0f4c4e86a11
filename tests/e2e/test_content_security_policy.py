"""The studio's pages under their Content Security Policy, in a real Chromium against Daphne:
no page breaks the policy (no inline script, handler or style), and what the moved handlers
did still works: the editor, the workspace menu, a confirm, the per-item styles."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from skimage import data

from studio import services
from studio.models import Template
from tests.conftest import make_png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page reports, and the console's complaints about the policy.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def studio(django_user_model: Any) -> dict[str, Any]:
    """Maya, her personal workspace (with a portrait) and a team workspace."""
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    personal = services.workspaces.workspace_ensure_personal(user=user)
    team = services.workspaces.workspace_create(name="Launch team", owner=user)
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="PNG")
    services.avatars.avatar_create(
        workspace=personal,
        user=user,
        name="Eileen",
        upload=SimpleUploadedFile("face.png", buffer.getvalue(), content_type="image/png"),
        image=Image.open(io.BytesIO(buffer.getvalue())),
    )
    Template.objects.create(
        workspace=personal,
        name="Product teaser",
        mode="image-to-video",
        engine="camera-motion",
        prompt="slow zoom in on the product",
        width=448,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        fields=[],
        overlays={},
    )
    return {"personal": personal, "team": team}


@pytest.fixture
def enforcing_page(browser: Any) -> Iterator[Any]:
    """A page that enforces the policy (the shared ``page`` fixture bypasses it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _open(page: Any, url: str, console: list[str]) -> None:
    """Load a page, check it came with the policy, and that nothing on it broke it."""
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # module scripts and late images
    assert page.evaluate("window.__csp") == [], url
    assert [line for line in console if "Content Security Policy" in line] == [], url


def test_the_main_pages_break_no_policy_and_still_work(
    enforcing_page: Any, live_server_url: str, studio: dict[str, Any], tmp_path: Any
) -> None:
    """Sign in, walk the studio's pages, use the editor and the moved handlers: no violation."""
    page = enforcing_page
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(WATCH)
    w = studio["personal"].pk

    _open(page, f"{live_server_url}/accounts/login/", console)
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")

    for path in (
        f"/w/{w}/",
        f"/w/{w}/gallery/",
        f"/w/{w}/templates/",
        f"/w/{w}/avatars/",
        f"/w/{w}/avatars/new-video/",
        f"/w/{w}/batches/",
        f"/w/{w}/batches/new/",
        f"/w/{w}/brand/",
        f"/w/{w}/members/",
        "/accounts/password_reset/",
    ):
        _open(page, live_server_url + path, console)

    # The template tiles and the brand sample take their per-item styles from data attributes.
    _open(page, f"{live_server_url}/w/{w}/templates/", console)
    assert page.eval_on_selector(".template-shape", "e => e.style.aspectRatio") != ""
    _open(page, f"{live_server_url}/w/{w}/brand/", console)
    assert page.eval_on_selector(".brand-sample", "e => e.style.borderLeftWidth") == "4px"

    # The avatar's face box is placed; Remove asks first, and a "no" keeps the avatar.
    _open(page, f"{live_server_url}/w/{w}/avatars/", console)
    assert page.eval_on_selector(".face-box", "e => e.style.left").endswith("%")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("details.avatar-edit summary")
    page.click("button[name=delete]")
    page.wait_for_timeout(300)
    assert asked == ["Remove Eileen from the library? Its videos are kept."]
    assert page.url.endswith(f"/w/{w}/avatars/") and "Eileen" in page.inner_text("#avatars")

    # The editor: its counter and mode switch run, a job is submitted, its page is laid out.
    _open(page, f"{live_server_url}/w/{w}/new/", console)
    page.check("input[name=mode][value=image-to-video]")
    image = tmp_path / "sneaker.png"
    image.write_bytes(make_png(320, 240))
    page.set_input_files("input[type=file][name=image]", str(image))
    page.fill("textarea[name=prompt]", "slow zoom in on the sneaker")
    assert "27" in page.inner_text("#prompt-count")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/jobs/*/")
    assert page.evaluate("window.__csp") == []
    assert page.eval_on_selector(".preview-frame", "e => e.style.aspectRatio") != ""
    page.click("#cancel-form button")  # nothing runs it here; leave no queued job behind
    page.wait_for_url("**/jobs/*/")

    # The workspace menu opens the workspace picked.
    page.select_option("select.workspace-switch", label="Launch team")
    page.wait_for_url(f"**/w/{studio['team'].pk}/")
    assert page.evaluate("window.__csp") == []
    assert [line for line in console if "Content Security Policy" in line] == []
