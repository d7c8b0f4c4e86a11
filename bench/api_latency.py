"""API overhead: (job created through the REST API → video ready) / (the CLI's own time), for
the same engine and parameters, median of 5 pairs measured in this run. Target ≤ 1.10.

The API path is a real HTTP client with a workspace token against Daphne: POST /api/v1/jobs/
with an uploaded image's id, then GET the job every 0.1 s until it has succeeded (the poll
adds up to 0.1 s); a warm worker runs it. The download of the MP4 with the same token is timed
on its own. The CLI is timed as in web_overhead.py: the whole command's wall time, and the
pipeline seconds it reports.

Run: .venv/bin/python bench/api_latency.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import _stack  # sets up Django on a throwaway database
import requests
from web_overhead import PAIRS, cli_run

from studio import services
from tests.conftest import make_png

JOB = {
    "mode": "image-to-video",
    "engine": "camera-motion",
    "prompt": "slow zoom in on the product",
    "width": 1280,
    "height": 720,
    "frames": 96,
    "fps": 24,
    "seed": 5,
}
POLL_SECONDS = 0.1


def api_run(api: requests.Session, base: str, asset: int) -> tuple[float, float]:
    """Seconds from the POST to a succeeded job, and to download its MP4."""
    start = _stack.now()
    made = api.post(f"{base}/jobs/", json={**JOB, "asset": asset})
    assert made.status_code == 201, made.text
    job = made.json()
    while job["status"] in ("queued", "running"):
        time.sleep(POLL_SECONDS)
        job = api.get(f"{base}/jobs/{job['id']}/").json()
    ready = _stack.now() - start
    assert job["status"] == "succeeded", job
    start = _stack.now()
    mp4 = api.get(job["video"]["mp4"])
    assert mp4.status_code == 200 and len(mp4.content) == job["video"]["size_bytes"]
    return ready, _stack.now() - start


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    image = tmp / "product.png"
    image.write_bytes(make_png(640, 480))
    api_times, downloads, cli_wall, cli_pipeline = [], [], [], []
    with _stack.stack() as (url, _client, workspace):
        user = workspace.memberships.get().user
        _, raw = services.api_tokens.api_token_create(workspace=workspace, user=user, name="b")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {raw}"
        base = f"{url}/api/v1"
        files = {"image": ("product.png", image.read_bytes(), "image/png")}
        asset = api.post(f"{base}/assets/", files=files).json()["id"]
        # Warm-up: the first job pays for imports in the worker.
        warm = api.post(f"{base}/jobs/", json={**JOB, "frames": 8, "asset": asset}).json()
        while api.get(f"{base}/jobs/{warm['id']}/").json()["status"] in ("queued", "running"):
            time.sleep(POLL_SECONDS)
        for i in range(PAIRS):
            wall, pipeline = cli_run(image, tmp / f"cli-{i}.mp4")
            cli_wall.append(wall)
            cli_pipeline.append(pipeline)
            ready, download = api_run(api, base, asset)
            api_times.append(ready)
            downloads.append(download)
    ratios_wall = [a / c for a, c in zip(api_times, cli_wall, strict=True)]
    ratios_pipeline = [a / c for a, c in zip(api_times, cli_pipeline, strict=True)]
    print(f"camera-motion, 1280x720, 96 frames, {PAIRS} pairs:")
    print(f"  API create -> video ready   median {statistics.median(api_times):.2f} s")
    print(f"  API download of the MP4     median {statistics.median(downloads) * 1000:.0f} ms")
    print(f"  CLI command wall time       median {statistics.median(cli_wall):.2f} s")
    print(f"  CLI pipeline seconds        median {statistics.median(cli_pipeline):.2f} s")
    print(
        f"  ratio API / CLI wall        median {statistics.median(ratios_wall):.3f} (target <= 1.1)"
    )
    print(f"  ratio API / CLI pipeline    median {statistics.median(ratios_pipeline):.3f}")


if __name__ == "__main__":
    main()
