"""The pipeline's progress callback on a worker: throttled row writes (which pick up a cancel
request at once), live messages to the job's page, and the heartbeat's verdict (a cancel or a lost
lease seen while the pipeline was silent). The lease itself is renewed by the heartbeat.

Two rates: the job's own page (one or two sockets) gets ten updates a second; the workspace's
feed, which every open dashboard and gallery of the team holds, gets two. A tile's bar moving
twice a second looks as live as ten times, and the feed is where a message is copied to every
socket: at ten a second, a busy team's progress alone kept a web process half busy
(bench/load.py). A new stage and the last step go to both at once.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from PIL import Image

from generation import Cancelled
from studio.live import job_group, send, workspace_group
from studio.models import Job
from studio.previews import preview_data_url
from studio.worker.heartbeat import Heartbeat
from studio.worker.lease import LeaseLost


class ProgressReporter:
    """The pipeline's progress callback: throttled row writes, live messages, cancel checks."""

    SEND_INTERVAL = 0.1  # seconds; a page needs no more than ten updates a second
    FEED_INTERVAL = 0.5  # seconds; the workspace feed's tiles, on every open page of the team

    def __init__(self, *, job: Job, worker: str, heartbeat: Heartbeat) -> None:
        self.job_id = job.pk
        self.workspace_id = job.workspace_id
        self.worker = worker
        self.heartbeat = heartbeat
        self.stage = ""
        self.stage_started = time.monotonic()
        self.last_write = 0.0
        self.last_send = 0.0
        self.last_feed = 0.0

    def __call__(
        self, step: int, total: int, preview: Image.Image | None = None, stage: str = "denoising"
    ) -> None:
        self.heartbeat.check(self.job_id)
        now = time.monotonic()
        new_stage = stage != self.stage
        if new_stage:
            self.stage, self.stage_started = stage, now
        last = bool(total) and step >= total
        if not (new_stage or last or now - self.last_send >= self.SEND_INTERVAL):
            return
        self.last_send = now
        elapsed = now - self.stage_started
        eta = elapsed / step * (total - step) if step and total else None
        preview_url = preview_data_url(preview) if preview is not None else None
        if new_stage or last or now - self.last_write >= settings.JOB_PROGRESS_INTERVAL:
            self.last_write = now
            self._write(step, total, stage, eta, preview_url)
        message = {
            "type": "job.progress",
            "job": self.job_id,
            "status": Job.Status.RUNNING,
            "stage": stage,
            "step": step,
            "total": total,
            "eta": eta,
            "preview": preview_url,
            # Wall-clock seconds at the worker, so a client (bench/load.py) can measure how
            # long the message took to reach it.
            "sent": time.time(),
        }
        groups = [job_group(self.job_id)]
        if new_stage or last or now - self.last_feed >= self.FEED_INTERVAL:
            self.last_feed = now
            groups.append(workspace_group(self.workspace_id))
        send((group, message) for group in groups)

    def _write(
        self, step: int, total: int, stage: str, eta: float | None, preview_url: str | None
    ) -> None:
        """Save progress where this worker holds the lease, and pick up a cancel request."""
        fields: dict[str, Any] = {
            "stage": stage,
            "progress_step": step,
            "progress_total": total,
            "eta_seconds": eta,
        }
        if preview_url:
            fields["preview"] = preview_url
        updated = Job.objects.filter(
            pk=self.job_id, status=Job.Status.RUNNING, lease_owner=self.worker
        ).update(**fields)
        if not updated:
            raise LeaseLost
        if Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise Cancelled
