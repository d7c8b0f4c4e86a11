"""Fair share on the real stack: one workspace's batch does not hold back another's job."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studio import services
from studio.batches import ParsedCsv
from studio.forms.uploads import check_image
from studio.models import Asset, Job, Template, Workspace
from studio.params import JobParams
from tests.conftest import make_png
from tests.integration.helpers import wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROWS = 12


def _asset(workspace: Workspace, user: Any) -> Asset:
    upload = SimpleUploadedFile("product.png", make_png(), content_type="image/png")
    return services.uploads.asset_create(
        workspace=workspace, user=user, upload=upload, image=check_image(upload)
    )


def test_a_single_job_starts_before_most_of_another_workspaces_batch(
    user: Any, workspace: Any, other_user: Any, worker: Any
) -> None:
    """Workspace A launches a batch of 12 rows, then workspace B submits one job: on one
    worker, B's job starts after at most A's first two rows, not after all twelve."""
    template = Template.objects.create(
        workspace=workspace,
        name="Per person",
        mode="image-to-video",
        engine="camera-motion",
        prompt="slow zoom in on a sign for {first_name}",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        seed=3,
        fields=[{"name": "first_name", "label": "Name", "type": "text", "required": True}],
    )
    names = [f"P{n}" for n in range(ROWS)]
    parsed = ParsedCsv(
        header=["first_name"],
        mapping={"first_name": "first_name"},
        rows=[(n + 2, {"first_name": v}, {"first_name": v}) for n, v in enumerate(names)],
    )
    batch = services.batches.batch_create(
        workspace=workspace,
        user=user,
        template=template,
        parsed=parsed,
        image=_asset(workspace, user),
    )
    services.batches.batch_launch(batch=batch, user=user)

    other = services.workspaces.workspace_ensure_personal(user=other_user)
    single = services.jobs.job_submit(
        workspace=other,
        user=other_user,
        params=JobParams(
            mode="image-to-video",
            engine="camera-motion",
            prompt="slow zoom in on the product",
            negative_prompt="",
            width=256,
            height=256,
            num_frames=8,
            fps=8,
            steps=1,
            guidance=0.0,
            seed=7,
        ),
        image=_asset(other, other_user),
    )

    rows = list(Job.objects.filter(batch_rows__batch=batch))
    for job in [*rows, single]:
        wait_for_job(job.pk, lambda j: j.is_final, timeout=240)
    done = list(Job.objects.filter(pk__in=[j.pk for j in [*rows, single]]).order_by("started_at"))
    assert {job.status for job in done} == {Job.Status.SUCCEEDED}
    order = [job.pk for job in done]
    assert order.index(single.pk) <= 2, f"{order.index(single.pk)} of A's rows ran first"
