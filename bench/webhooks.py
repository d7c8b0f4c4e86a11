"""Webhook latency: a job's end (its row's finished_at) → the receiver has the signed
job.succeeded, p50 / p95 over 20 jobs, with a warm job worker and a webhooks worker (threads,
as in the Procfile), to a real HTTP receiver on loopback. Target: p95 <= 1 s.

Run: .venv/bin/python bench/webhooks.py
"""

from __future__ import annotations

import json
import os

os.environ["REELSMITH_WEBHOOK_ALLOW_HOSTS"] = "127.0.0.1"  # the receiver, here and in workers

import _stack  # sets up Django on a throwaway database

from studio import services
from studio.models import Job
from tests import live
from tests.integration.helpers import submit_camera_job, wait_for_job
from tests.webhook_receiver import Receiver, signature_valid

JOBS = 20
TARGET_SECONDS = 1.0


def main() -> None:
    receiver = Receiver()
    with _stack.stack() as (_url, client, workspace):
        hooks = live.start_worker("bench-hooks", queues="webhooks", pool="threads")
        try:
            _, secret = services.webhooks.webhook_endpoint_create(
                workspace=workspace, user=None, url=receiver.url, events=["job.succeeded"]
            )
            # Warm-up: the first job and delivery pay for imports in the workers.
            warm = submit_camera_job(client, workspace.pk, num_frames="8")
            wait_for_job(warm.pk, lambda j: j.is_final)
            receiver.wait(1)
            latencies = []
            for n in range(JOBS):
                job = submit_camera_job(client, workspace.pk, num_frames="8")
                done = wait_for_job(job.pk, lambda j: j.is_final)
                got = receiver.wait(n + 2)[-1]
                assert json.loads(got.body)["data"]["id"] == job.pk
                assert signature_valid(secret, got.headers["Reelsmith-Signature"], got.body)
                assert done.finished_at is not None
                latencies.append(got.at - done.finished_at.timestamp())
        finally:
            hooks.stop()
            receiver.close()
        assert Job.objects.filter(status="succeeded").count() == JOBS + 1
    p50, p95 = _stack.percentile(latencies, 50), _stack.percentile(latencies, 95)
    print(f"job end -> signed job.succeeded at the receiver, over {JOBS} jobs (loopback):")
    print(
        f"  p50 {p50 * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   min {min(latencies) * 1000:.0f} ms"
        f"   max {max(latencies) * 1000:.0f} ms"
    )
    verdict = "met" if p95 <= TARGET_SECONDS else "NOT met"
    print(f"  target p95 <= {TARGET_SECONDS * 1000:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
