"""Submit → first progress message over the WebSocket, p50 / p95 over 20 jobs, warm worker.

Run: .venv/bin/python bench/submit_latency.py
"""

from __future__ import annotations

import _stack  # sets up Django on a throwaway database

from studio.models import Job
from tests.integration.helpers import SocketRecorder, session_cookie, submit_camera_job

JOBS = 20


def main() -> None:
    with _stack.stack() as (url, client, workspace):
        ws_url = url.replace("http", "ws") + f"/ws/workspaces/{workspace.pk}/"
        with SocketRecorder(ws_url, session_cookie(client), url) as socket:
            # Warm-up: the first job pays for imports in the worker.
            warm = submit_camera_job(client, workspace.pk, num_frames="8")
            socket.wait_for(lambda m: m.get("job") == warm.pk and m.get("status") == "succeeded")
            latencies = []
            for _ in range(JOBS):
                start = _stack.now()
                job = submit_camera_job(client, workspace.pk, num_frames="8")
                first = socket.wait_for(
                    lambda m, pk=job.pk: m.get("job") == pk and m["type"] == "job.progress"
                )
                latencies.append(first["_at"] - start)
                socket.wait_for(
                    lambda m, pk=job.pk: m.get("job") == pk and m.get("status") == "succeeded"
                )
        assert Job.objects.filter(status="succeeded").count() == JOBS + 1
    p50, p95 = _stack.percentile(latencies, 50), _stack.percentile(latencies, 95)
    print(f"submit -> first progress message over {JOBS} jobs (warm worker, camera-motion):")
    print(
        f"  p50 {p50 * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   min {min(latencies) * 1000:.0f} ms"
        f"   max {max(latencies) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
