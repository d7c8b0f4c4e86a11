"""Fair share between workspaces, on the live stack with one worker.

Workspace A launches a batch of ROWS rows, each its own generation (camera-motion, the row's
name in the prompt); a moment later workspace B submits one job. B's wait (submitted → started
on the worker) is printed in units of one job's run time (the median of A's rows), with B's
place in the order jobs started, once with fair share on (FAIR_SHARE=1, one message per
workspace in flight) and once without (FAIR_SHARE=0, every row sent on launch: the old way).
Each mode runs in its own process, so the web side and the worker read the same setting.

Run: .venv/bin/python bench/fair_share.py [--rows 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _measure(rows: int) -> None:
    import _stack  # sets up Django on a throwaway database, with this process's FAIR_SHARE
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from studio import services
    from studio.batches import ParsedCsv
    from studio.forms.uploads import check_image
    from studio.models import Job, Template
    from studio.params import JobParams
    from tests.conftest import make_png

    def asset(workspace: Any, user: Any) -> Any:
        upload = SimpleUploadedFile("product.png", make_png(), content_type="image/png")
        return services.uploads.asset_create(
            workspace=workspace, user=user, upload=upload, image=check_image(upload)
        )

    params = JobParams(
        mode="image-to-video",
        engine="camera-motion",
        prompt="slow zoom in on the product",
        negative_prompt="",
        width=256,
        height=256,
        num_frames=16,
        fps=8,
        steps=1,
        guidance=0.0,
        seed=7,
    )
    with _stack.stack() as (_url, _client, workspace_a):
        user_a = User.objects.get(username="bench")
        user_b = User.objects.create_user(username="other", password="a-long-passphrase")
        workspace_b = services.workspaces.workspace_ensure_personal(user=user_b)
        asset_b = asset(workspace_b, user_b)
        # Warm the worker (imports, first encode) so the first row is not an outlier.
        warm = services.jobs.job_submit(
            workspace=workspace_b, user=user_b, params=params, image=asset_b
        )
        _wait([warm.pk])

        template = Template.objects.create(
            workspace=workspace_a,
            name="Per person",
            mode="image-to-video",
            engine="camera-motion",
            prompt="slow zoom in on a sign for {first_name}",
            width=256,
            height=256,
            num_frames=16,
            fps=8,
            steps=1,
            seed=3,
            fields=[{"name": "first_name", "label": "Name", "type": "text", "required": True}],
        )
        parsed = ParsedCsv(
            header=["first_name"],
            mapping={"first_name": "first_name"},
            rows=[(n + 2, {"first_name": f"P{n}"}, {"first_name": f"P{n}"}) for n in range(rows)],
        )
        batch = services.batches.batch_create(
            workspace=workspace_a, user=user_a, template=template, parsed=parsed,
            image=asset(workspace_a, user_a),
        )  # fmt: skip
        services.batches.batch_launch(batch=batch, user=user_a)
        time.sleep(0.5)  # the batch's first row is on the worker
        single = services.jobs.job_submit(
            workspace=workspace_b, user=user_b, params=params, image=asset_b
        )
        ids = [*Job.objects.filter(batch_rows__batch=batch).values_list("pk", flat=True)]
        _wait([single.pk])
        single.refresh_from_db()
        _wait(ids)

        jobs = list(Job.objects.filter(pk__in=[*ids, single.pk]).order_by("started_at", "pk"))
        row_seconds = [j.run_seconds or 0.0 for j in jobs if j.pk != single.pk]
        unit = statistics.median(row_seconds)
        assert single.started_at is not None
        waited = (single.started_at - single.created_at).total_seconds()
        place = [j.pk for j in jobs].index(single.pk)
        first = min(j.started_at for j in jobs if j.started_at)
        total = (max(j.finished_at for j in jobs if j.finished_at) - first).total_seconds()
        print(
            f"FAIR_SHARE={int(settings.FAIR_SHARE)}: {rows} rows of A, then B's one job\n"
            f"  one job's run time (median of A's rows)  {unit:.2f} s\n"
            f"  B's wait, submitted -> started           {waited:.2f} s"
            f" = {waited / unit:.1f} jobs\n"
            f"  A's rows started before B's job          {place} of {rows}\n"
            f"  whole batch, first start -> last finish  {total:.1f} s"
            f" = {total / (rows + 1):.2f} s a job with the worker's overhead;"
            f" B's wait = {waited * (rows + 1) / total:.1f} of those"
        )


def _wait(ids: list[int], timeout: float = 3600) -> None:
    from studio.models import Job

    deadline = time.monotonic() + timeout
    while Job.objects.filter(pk__in=ids).exclude(status__in=Job.FINAL_STATUSES).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs {ids[:3]}... did not finish")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--mode", choices=["both", "on", "off"], default="both")
    args = parser.parse_args()
    if args.mode != "both":
        _measure(args.rows)
        return
    for flag, mode in (("1", "on"), ("0", "off")):
        env = {**os.environ, "FAIR_SHARE": flag, "FAIR_SHARE_IN_FLIGHT": "1"}
        command = [sys.executable, str(Path(__file__)), "--rows", str(args.rows), "--mode", mode]
        subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()
