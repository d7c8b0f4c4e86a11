"""Share links and review in a real Chromium against Daphne: a signed-out visitor plays a share
link, its unfurl tags are there, the embed plays inside a page of another origin (and the
share page itself will not be framed), revoking gives 404, and a review walk on the job page.

Screenshots are saved under artifacts/e2e/.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File

from studio import services
from studio.models import Job, ShareLink, ShareView, Video
from tests import live
from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECONDS = 2.0


def _until(target: Any, script: str, seconds: float = 15) -> Any:
    """Poll a script in the page or frame until it is truthy. wait_for_function would be
    simpler, but it evaluates a string, which the enforced policy of these pages forbids."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = target.evaluate(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never true: {script}")


@pytest.fixture
def studio(django_user_model: Any, tmp_path: Path) -> dict[str, Any]:
    """Maya and a finished job whose video is a real two-second H.264 MP4 made by ffmpeg."""
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    job = Job.objects.create(
        workspace=workspace,
        created_by=user,
        mode=Job.Mode.TEXT_TO_VIDEO,
        engine="embedded",
        queue="cpu",
        prompt="a red sneaker turning on a pedestal, studio light",
        width=320,
        height=192,
        num_frames=48,
        fps=24,
        steps=4,
        guidance=5.0,
        seed=7,
        status=Job.Status.SUCCEEDED,
    )
    mp4, jpg = tmp_path / "clip.mp4", tmp_path / "clip.jpg"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size=320x192:rate=24:d={SECONDS}",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(mp4)],
        check=True,
    )  # fmt: skip
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(mp4), "-frames:v", "1", str(jpg)], check=True
    )
    video = Video(
        job=job,
        workspace=workspace,
        width=320,
        height=192,
        fps=24,
        num_frames=48,
        duration=SECONDS,
        size_bytes=mp4.stat().st_size,
    )
    with mp4.open("rb") as m, jpg.open("rb") as p:
        video.file.save("clip.mp4", File(m), save=False)
        video.poster.save("clip.jpg", File(p), save=False)
    video.captions.save("clip.vtt", File(_vtt(tmp_path)), save=False)
    video.save()
    return {"user": user, "workspace": workspace, "job": job, "video": video}


def _vtt(folder: Path) -> Any:
    path = folder / "clip.vtt"
    path.write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nStep into spring\n")
    return path.open("rb")


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def signed_out(browser: Any) -> Iterator[Any]:
    """A fresh browser that never signed in, enforcing the site's policy."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A second web server on another port (and host name): a landing page of another site."""
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", live.free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}", root
    server.shutdown()


def test_a_share_link_plays_for_a_signed_out_browser_and_unfurls(
    page: Any, signed_out: Any, live_server_url: str, studio: dict[str, Any]
) -> None:
    """An editor makes the link on the job page; a signed-out browser plays it and its play
    is counted; the page carries the unfurl tags with absolute URLs and breaks no policy."""
    job = studio["job"]
    _sign_in(page, live_server_url)
    page.goto(f"{live_server_url}/w/{job.workspace_id}/jobs/{job.pk}/")
    page.select_option("#id_expires", "7")
    page.check("#id_allow_download")
    page.click("#share-form button[type=submit]")
    page.wait_for_selector(".share-link.just-made .share-url")
    url = page.input_value(".share-link.just-made .share-url")
    assert url.startswith(f"{live_server_url}/s/")
    page.locator("#share").scroll_into_view_if_needed()
    shot(page, "share-1-job-page")

    violations: list[str] = []
    signed_out.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    response = signed_out.goto(url)
    assert response.status == 200
    meta = signed_out.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('meta[property], meta[name]')]
              .map(m => [m.getAttribute('property') || m.getAttribute('name'), m.content]))"""
    )
    assert meta["og:video"] == f"{url}video.mp4"
    assert meta["og:video:type"] == "video/mp4"
    assert (meta["og:video:width"], meta["og:video:height"]) == ("320", "192")
    assert meta["og:image"] == f"{url}poster.jpg"
    assert meta["twitter:card"] == "player" and meta["twitter:player"] == f"{url}embed/"
    assert signed_out.is_visible("#share-download")
    _until(signed_out, "document.getElementById('share-video').readyState >= 2")
    signed_out.evaluate("document.getElementById('share-video').play()")
    _until(signed_out, "document.getElementById('share-video').currentTime > 0.3")
    assert signed_out.evaluate("document.getElementById('share-video').textTracks.length") == 1
    shot(signed_out, "share-2-public-page")
    assert violations == []
    assert signed_out.context.cookies() == []  # no cookie for a visitor

    link = ShareLink.objects.get(token=url.rstrip("/").rsplit("/", 1)[-1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not ShareView.objects.filter(link=link).exists():
        time.sleep(0.2)
    assert ShareView.objects.get(link=link).plays == 1
    page.reload()
    assert page.inner_text("#share-plays-total") == "1"


def test_the_embed_plays_inside_a_page_of_another_origin_and_revoking_gives_404(
    page: Any,
    signed_out: Any,
    live_server_url: str,
    studio: dict[str, Any],
    other_origin: tuple[str, Path],
) -> None:
    """Another site frames the embed and it plays there; the same site framing the share
    page (or any other page) gets nothing; after Revoke on the job page everything is 404."""
    link = services.sharing.share_link_create(video=studio["video"], user=studio["user"])
    site, root = other_origin
    share = f"{live_server_url}/s/{link.token}/"
    (root / "landing.html").write_text(
        "<!doctype html><title>Spring sale</title><h1>Spring sale</h1>"
        f'<iframe id="embed" src="{share}embed/" width="480" height="288"></iframe>'
        f'<iframe id="page" src="{share}" width="480" height="288"></iframe>'
    )
    signed_out.goto(f"{site}/landing.html")
    signed_out.wait_for_load_state("load")
    embed = next(frame for frame in signed_out.frames if frame.url.endswith("/embed/"))
    _until(embed, "document.getElementById('share-video')?.readyState >= 2")
    embed.evaluate("document.getElementById('share-video').play()")
    _until(embed, "document.getElementById('share-video').currentTime > 0.3")
    signed_out.wait_for_timeout(500)
    framed_page = next(f for f in signed_out.frames if f is not embed and f.parent_frame)
    assert framed_page.evaluate("!!document.getElementById('share-video')") is False
    shot(signed_out, "share-3-embed-on-another-site")

    job = studio["job"]
    _sign_in(page, live_server_url)
    page.goto(f"{live_server_url}/w/{job.workspace_id}/jobs/{job.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f'.share-link[data-link="{link.pk}"] button.danger')
    page.wait_for_selector(f'.share-link.dead[data-link="{link.pk}"]')
    for path in ("", "embed/", "video.mp4", "poster.jpg", "captions.vtt"):
        assert signed_out.goto(share + path).status == 404, path
    shot(signed_out, "share-4-revoked")


def test_a_review_walk(signed_out: Any, live_server_url: str, studio: dict[str, Any]) -> None:
    """Comment at the player's time and on the timeline, see them in time order, jump the
    player from one, resolve it, approve the video, and find it by the gallery's filter; all
    under the site's policy, which nothing on the way breaks."""
    page = signed_out  # enforces the policy; signed in below
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    job = studio["job"]
    _sign_in(page, live_server_url)
    page.goto(f"{live_server_url}/w/{job.workspace_id}/jobs/{job.pk}/")
    _until(page, "document.getElementById('video').readyState >= 2")

    # 1. "Comment at" the player's current time.
    page.evaluate("document.getElementById('video').currentTime = 1.5")
    _until(page, "document.getElementById('comment-at-time').textContent === '0:01'")
    page.click("#comment-at")
    assert float(page.input_value("#id_at_seconds")) == pytest.approx(1.5, abs=0.05)
    page.fill("#id_text", "End card: make the logo bigger")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector(".comment[data-at='1.5']")

    # 2. Click the timeline a quarter of the way in (where a user sees it: in view).
    page.locator("#timeline").scroll_into_view_if_needed()
    box = page.locator("#timeline").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
    assert float(page.input_value("#id_at_seconds")) == pytest.approx(0.5, abs=0.1)
    assert page.evaluate("document.activeElement.id") == "id_text"
    page.fill("#id_text", "Open on the sneaker, not the floor")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector(".comment:nth-child(2)")
    texts = page.locator(".comment .comment-text").all_inner_texts()
    assert texts == ["Open on the sneaker, not the floor", "End card: make the logo bigger"]
    assert page.locator(".timeline-mark").count() == 2

    # 3. A comment jumps the player to its time.
    page.evaluate("document.getElementById('video').currentTime = 0")
    page.click(".comment[data-at='1.5'] .timecode")
    _until(page, "Math.abs(document.getElementById('video').currentTime - 1.5) < 0.05")
    shot(page, "review-1-comments")

    # 4. Resolve the first one.
    page.click(".comment:nth-child(1) button[type=submit]")
    page.wait_for_selector(".comment.resolved:nth-child(1)")
    assert page.inner_text(".comment:nth-child(1) button[type=submit]") == "Reopen"

    # 5. Approve the video: the badge, then the gallery's filter.
    page.select_option("#id_state", "approved")
    page.click("#review-state-form button[type=submit]")
    page.wait_for_selector("#review-state.review-approved")
    page.locator("#review").scroll_into_view_if_needed()
    shot(page, "review-2-approved")
    page.goto(f"{live_server_url}/w/{job.workspace_id}/gallery/")
    page.select_option("select[name=review]", "approved")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**review=approved**")
    assert page.text_content(f'.tile[data-job="{job.pk}"] .tile-review') == "Approved"
    shot(page, "review-3-gallery-approved")
    page.select_option("select[name=review]", "in_review")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**review=in_review**")
    assert page.locator(f'.tile[data-job="{job.pk}"]').count() == 0
    assert violations == []


def test_comments_and_the_review_state_reach_another_members_page_live(
    browser: Any,
    signed_out: Any,
    live_server_url: str,
    studio: dict[str, Any],
    django_user_model: Any,
) -> None:
    """A viewer comments on their page; the editor's open page lists it without a reload, and
    the editor's approval reaches the viewer's badge the same way."""
    otto = django_user_model.objects.create_user(username="otto", password="a-long-passphrase")
    services.workspaces.membership_add(workspace=studio["workspace"], user=otto, role="viewer")
    job = studio["job"]
    url = f"{live_server_url}/w/{job.workspace_id}/jobs/{job.pk}/"
    editor = signed_out
    _sign_in(editor, live_server_url)
    editor.goto(url)
    viewer_context = browser.new_context(viewport={"width": 1100, "height": 800})
    viewer = viewer_context.new_page()
    viewer.goto(f"{live_server_url}/accounts/login/")
    viewer.fill("input[name=username]", "otto")
    viewer.fill("input[name=password]", "a-long-passphrase")
    viewer.click("button[type=submit]")
    viewer.wait_for_url(f"{live_server_url}/")
    viewer.goto(url)
    for member in (editor, viewer):
        _until(member, "document.body.dataset.live === 'connected'")

    viewer.fill("#id_at_seconds", "1.25")
    viewer.fill("#id_text", "Can the music start earlier?")
    viewer.click("#comment-form button[type=submit]")
    editor.wait_for_selector(".comment[data-at='1.25']", timeout=10_000)
    assert "Can the music start earlier?" in editor.inner_text("#comments")
    assert editor.locator(".timeline-mark").count() == 1

    editor.select_option("#id_state", "approved")
    editor.click("#review-state-form button[type=submit]")
    viewer.wait_for_selector("#review-state.review-approved", timeout=10_000)
    shot(viewer, "review-4-live-on-the-viewers-page")
    viewer_context.close()
