"""What several browser tests do: screenshots, waiting for a batch, downloading its ZIP."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

from tests.live import ARTIFACTS

SHOTS = ARTIFACTS / "e2e"


def shot(page: Any, name: str) -> None:
    """A full-page screenshot, saved as artifacts/e2e/<name>.png to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def launch_and_wait(page: Any, rows: int, seconds: float) -> None:
    """Press the batch's Launch button and wait until its live progress says every row is done."""
    page.get_by_role("button", name="Launch").click()
    page.wait_for_selector("#batch-progress")
    done = f"{rows} done"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and done not in page.inner_text("#batch-progress"):
        time.sleep(0.5)
    assert done in page.inner_text("#batch-progress"), page.inner_text("#batch-progress")


def download_zip(page: Any, folder: Path) -> zipfile.ZipFile:
    """Make the ZIP (a worker builds it while the page shows so), then download it."""
    page.click("#zip-make")
    page.wait_for_selector("#zip-link", timeout=60_000)
    page.locator("#downloads").screenshot(path=str(SHOTS / "batch-zip-ready.png"))
    with page.expect_download() as download_info:
        page.click("#zip-link")
    path = folder / "videos.zip"
    download_info.value.save_as(str(path))
    return zipfile.ZipFile(path)
