"""Web-and-queue overhead: (submit → video ready through the web app) / (the CLI's own time),
for the same engine and parameters, median of 5 pairs measured in this run. Target ≤ 1.10.

The CLI is timed two ways: the wall time of the whole command (interpreter start, imports,
pipeline), and the pipeline seconds it reports in its JSON line. The web path uses a warm worker.

Run: .venv/bin/python bench/web_overhead.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import _stack  # sets up Django on a throwaway database

from tests.conftest import make_png
from tests.integration.helpers import submit_camera_job, wait_for_job

PAIRS = 5
PARAMS = {"aspect": "16:9", "size": "large", "num_frames": "96", "fps": "24", "seed": "5"}


def cli_run(image: Path, out: Path) -> tuple[float, float]:
    start = _stack.now()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "generation",
            "image-to-video",
            "--image",
            str(image),
            "--prompt",
            "slow zoom in on the product",
            "--output",
            str(out),
            "--engine",
            "camera-motion",
            "--width",
            "1280",
            "--height",
            "720",
            "--frames",
            "96",
            "--fps",
            "24",
            "--seed",
            "5",
        ],
        cwd=_stack.ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**_stack.live.child_env(), "REELSMITH_TORCH_THREADS": "1"},
    )
    wall = _stack.now() - start
    return wall, float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    image = tmp / "product.png"
    image.write_bytes(make_png(640, 480))
    web, cli_wall, cli_pipeline = [], [], []
    with _stack.stack() as (_url, client, workspace):
        warm = submit_camera_job(client, workspace.pk, num_frames="8")
        wait_for_job(warm.pk, lambda j: j.is_final)
        for i in range(PAIRS):
            wall, pipeline = cli_run(image, tmp / f"cli-{i}.mp4")
            cli_wall.append(wall)
            cli_pipeline.append(pipeline)
            start = _stack.now()
            job = submit_camera_job(client, workspace.pk, **PARAMS)
            job = wait_for_job(job.pk, lambda j: j.is_final, timeout=300)
            assert job.status == "succeeded", job.error
            web.append(_stack.now() - start)
    ratios_wall = [w / c for w, c in zip(web, cli_wall, strict=True)]
    ratios_pipeline = [w / c for w, c in zip(web, cli_pipeline, strict=True)]
    print(f"camera-motion, 1280x720, 96 frames, {PAIRS} pairs:")
    print(f"  web submit -> video ready   median {statistics.median(web):.2f} s")
    print(f"  CLI command wall time       median {statistics.median(cli_wall):.2f} s")
    print(f"  CLI pipeline seconds        median {statistics.median(cli_pipeline):.2f} s")
    print(
        f"  ratio web / CLI wall        median {statistics.median(ratios_wall):.3f} (target <= 1.1)"
    )
    print(f"  ratio web / CLI pipeline    median {statistics.median(ratios_pipeline):.3f}")


if __name__ == "__main__":
    main()
