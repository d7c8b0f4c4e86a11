"""A talking head from a portrait, in a real Chromium against a live Daphne and Celery worker.

Screenshots of each step are saved under artifacts/e2e/avatar-*.png.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import data

from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_a_portrait_hear_the_voice_make_it_talk_and_find_it(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, tmp_path: Any
) -> None:
    """Refused cat, accepted portrait with its face box, voice preview, live job, video."""
    django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    portrait, cat = tmp_path / "maya.png", tmp_path / "cat.png"
    Image.fromarray(data.astronaut()).save(portrait)
    Image.fromarray(np.ascontiguousarray(data.chelsea())).save(cat)

    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")

    # 1. The library refuses a photo without a face, with the reason.
    page.get_by_role("link", name="Avatars").first.click()
    page.fill("input[name=name]", "Chelsea")
    page.set_input_files("input[name=image]", str(cat))
    page.click("#avatar-form button[type=submit]")
    page.wait_for_selector("#error-image")
    assert "No face was found" in page.inner_text("#error-image")
    shot(page, "avatar-1-refused")

    # 2. It accepts a portrait and draws the face's box over it.
    page.fill("input[name=name]", "Maya")
    page.set_input_files("input[name=image]", str(portrait))
    page.click("#avatar-form button[type=submit]")
    page.wait_for_selector("#avatars .face-box")
    box = page.eval_on_selector("#avatars .face-box", "e => e.getBoundingClientRect().toJSON()")
    photo = page.eval_on_selector("#avatars img", "e => e.getBoundingClientRect().toJSON()")
    assert 0.1 < box["width"] / photo["width"] < 0.3  # the face, not the whole photo
    shot(page, "avatar-2-library")

    # 3. The script editor plays the voice before generating.
    page.get_by_role("link", name="Make it talk").click()
    page.wait_for_selector("textarea[name=script]")
    page.fill("textarea[name=script]", "Hi Ana! I'm Maya from Acme. Thanks for your time.")
    page.click("#play-voice")
    page.wait_for_function("document.getElementById('voice-audio').duration > 1", timeout=30_000)
    shot(page, "avatar-3-editor")
    page.click("#avatar-video-form button[type=submit]")
    page.wait_for_url("**/jobs/*/")

    # 4. The job page shows live progress and preview frames.
    values, previews = [], set()
    deadline = time.monotonic() + 180
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
                shot(page, "avatar-4-progress")
        if state["status"] == "succeeded":
            break
        time.sleep(0.05)
    assert len(set(values)) >= 2 and len(previews) >= 2, (values, len(previews))

    # 5. The video plays with its voice and captions.
    page.wait_for_selector("#result video", state="visible", timeout=120_000)
    page.wait_for_function("document.getElementById('video').readyState === 4", timeout=30_000)
    assert page.evaluate("document.getElementById('video').duration") > 2
    page.wait_for_function(
        "(document.querySelector('#video track')?.track.cues || []).length >= 1", timeout=10_000
    )
    page.evaluate("document.getElementById('video').play()")
    page.wait_for_function("document.getElementById('video').currentTime > 1.0", timeout=10_000)
    shot(page, "avatar-5-video")

    # 6. It is in the gallery.
    page.get_by_role("link", name="Gallery").click()
    page.wait_for_selector(".tile video.hover-play")
    assert "Hi Ana!" in page.inner_text("#gallery")
    shot(page, "avatar-6-gallery")
