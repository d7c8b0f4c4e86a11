"""A batch from a CSV in a real Chromium: a bad row is named, fixed, launched, and the ZIP
of personalized videos downloaded. Screenshots land under artifacts/e2e/."""

from __future__ import annotations

from typing import Any

import pytest

from studio import services
from studio.models import Generation, Job, Template
from tests.conftest import make_png
from tests.e2e.helpers import download_zip, launch_and_wait, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BAD_CSV = "first_name,company\nAna,Acme\n,Beta\n"


def test_a_csv_with_a_bad_row_is_fixed_launched_and_downloaded(
    page: Any, live_server_url: str, worker: Any, django_user_model: Any, tmp_path: Any
) -> None:
    """Upload a CSV whose row 3 lacks a name, see the error there, fix it, launch, get the ZIP."""
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    Template.objects.create(
        workspace=workspace,
        name="Storefront hello",
        mode="image-to-video",
        engine="camera-motion",
        prompt="slow zoom in on the storefront",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        fields=[
            {
                "name": "first_name",
                "label": "Name",
                "type": "text",
                "required": True,
                "max_length": 40,
            },
            {
                "name": "company",
                "label": "Company",
                "type": "text",
                "required": True,
                "max_length": 40,
            },
        ],
        overlays={"lower_third": {"name": "{first_name}", "company": "{company}"}},
    )
    image = tmp_path / "store.png"
    image.write_bytes(make_png(640, 480))
    rows = tmp_path / "people.csv"
    rows.write_text(BAD_CSV)

    # 1. Sign in; the dashboard links to batches.
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    page.locator("main a", has_text="Batch").first.click()
    page.get_by_role("link", name="New batch").click()

    # 2. The bad row is named.
    page.select_option("select[name=template]", label="Storefront hello")
    page.set_input_files("input[type=file][name=csv]", str(rows))
    page.set_input_files("input[type=file][name=image]", str(image))
    page.fill("input[name=filename_column]", "first_name")
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#csv-errors")
    assert "Row 3: first_name is empty" in page.inner_text("#csv-errors li[data-row='3']")
    shot(page, "batch-1-bad-row")

    # 3. Fix it in the text box (the rows are there), check again.
    fixed = page.input_value("textarea[name=csv_text]").replace(",Beta", "Bo,Beta")
    page.fill("textarea[name=csv_text]", fixed)
    page.set_input_files("input[type=file][name=image]", str(image))
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#batch-preview")
    assert "Estimated GPU time" in page.inner_text("#batch-preview")
    shot(page, "batch-2-preview")

    # 4. Launch, and watch both rows finish.
    launch_and_wait(page, rows=2, seconds=180)
    shot(page, "batch-3-done")

    # 5. The ZIP holds one video per row, named from the chosen column.
    names = sorted(download_zip(page, tmp_path).namelist())
    assert names == ["Ana.mp4", "Bo.mp4", "results.csv"]

    # 6. The two rows differ only in their lower thirds: the worker generated the footage once.
    assert Generation.objects.count() == 1
    assert set(Job.objects.values_list("generation", flat=True)) == {Generation.objects.get().pk}
