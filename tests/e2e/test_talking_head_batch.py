"""A batch of the built-in talking-head template in a real Chromium: a presenter from the
avatar library speaks each row's script, under the row's lower third, with its voice.
Screenshots land under artifacts/e2e/talking-batch-*.png."""

from __future__ import annotations

import io
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image
from skimage import data

from studio import services
from studio.models import Template
from tests.e2e.helpers import SHOTS, download_zip, launch_and_wait, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CSV = (
    "first_name,sender_name,company,cta\nAna,Sam,Northwind,Book a demo\nLee,Sam,Northwind,Call us\n"
)


def builtin_templates() -> None:
    """The built-in templates, as their migrations make them: a transactional test before this
    one may have flushed every table."""
    import importlib

    from django.apps import apps

    for name, function in (
        ("0005_builtin_templates", "add_builtins"),
        ("0013_talking_head_template", "describe"),
        ("0015_builtin_prompts", "forwards"),
    ):
        getattr(importlib.import_module(f"studio.migrations.{name}"), function)(apps, None)


def test_a_talking_head_batch_speaks_each_row(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, tmp_path: Any
) -> None:
    """Without a presenter the form says so by the field; with one, each row's video speaks
    its own script (its sound survives the overlays) and the ZIP holds both."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    builtin_templates()
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="PNG")
    upload = SimpleUploadedFile("sam.png", buffer.getvalue(), content_type="image/png")
    with Image.open(io.BytesIO(buffer.getvalue())) as image:
        image.load()
        services.avatars.avatar_create(
            workspace=workspace, user=user, name="Sam", upload=upload, image=image
        )

    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    # The template's own form asks for the presenter, from the workspace's avatars.
    page.get_by_role("link", name="Templates").first.click()
    page.get_by_role("link", name="Talking-head sales intro").first.click()
    page.wait_for_selector("#template-form select[name=avatar]")
    assert page.inner_text("#template-form select[name=avatar]").strip() == "Sam"
    shot(page, "talking-batch-0-template")
    page.goto(f"{live_server_url}/w/{workspace.pk}/batches/new/")

    # 1. No presenter picked: the error is next to the field.
    page.select_option("select[name=template]", label="Talking-head sales intro")
    page.fill("textarea[name=csv_text]", CSV)
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#error-avatar")
    assert "pick one of your avatars" in page.inner_text("#error-avatar")

    # 2. With one, the draft shows the first row's script.
    page.select_option("select[name=avatar]", label="Sam")
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#batch-preview")
    assert "Hi Ana! I'm Sam from Northwind. Book a demo" in page.inner_text("#batch-preview")
    shot(page, "talking-batch-1-draft")

    # 3. Launch; both rows finish.
    launch_and_wait(page, rows=2, seconds=240)
    shot(page, "talking-batch-2-done")

    # 4. Each video has its voice, and the lower third is drawn over the presenter.
    archive = download_zip(page, tmp_path)
    videos = sorted(name for name in archive.namelist() if name.endswith(".mp4"))
    assert len(videos) == 2
    heard = []
    fps = Template.objects.get(workspace=None, name="Talking-head sales intro").fps
    for name in videos:
        clip = tmp_path / name
        clip.write_bytes(archive.read(name))
        with av.open(str(clip)) as box:
            sound = box.streams.audio[0]
            heard.append(float(sound.duration * sound.time_base))
            frames = [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]
        # 1.5 s in: the lower third has faded in (it starts at 0.5 s).
        still = frames[round(1.5 * fps)]
        Image.fromarray(still).save(SHOTS / f"talking-batch-3-{clip.stem}.png")
        height = still.shape[0]
        lower_left = still[int(height * 0.8) :, : still.shape[1] // 3].reshape(-1, 3)
        primary = np.array([124, 92, 255])  # the default brand's bar colour
        assert (np.abs(lower_left.astype(int) - primary).max(axis=1) < 40).mean() > 0.02
    assert all(seconds > 2 for seconds in heard) and heard[0] != heard[1]
