"""The command line's post-steps: --interpolate and --upscale on a real run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generation.render import probe
from tests.generation.test_cli import REPO, run_main


def test_a_run_with_both_post_steps_writes_the_smoothed_larger_mp4(tmp_path, scene_png):
    """--interpolate 2 --upscale 2: twice the frames at twice the rate, twice each side."""
    output = tmp_path / "farm.mp4"
    command = [
        sys.executable,
        *("-m", "generation", "image-to-video"),
        *("--image", str(scene_png), "--prompt", "slow zoom in on the farm"),
        *("--output", str(output), "--frames", "8", "--fps", "8"),
        *("--width", "96", "--height", "64", "--interpolate", "2", "--upscale", "2"),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["frames"], summary["fps"], summary["width"], summary["height"]) == (
        16,
        16,
        192,
        128,
    )
    assert (summary["interpolate"], summary["upscale"]) == (2, 2)
    assert summary["output"] == str(output)
    assert summary["poster"] == str(output.with_suffix(".jpg"))
    assert "smoothing motion" in done.stderr and "upscaling" in done.stderr
    video = probe(output)
    assert (video.frames, video.fps, video.width, video.height) == (16, 16, 192, 128)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["farm.jpg", "farm.mp4", "scene.png"]


def test_a_factor_not_offered_is_one_line(capsys, tmp_path: Path, scene_png):
    """--interpolate 4 is a usage error, in one line."""
    status, _, err = run_main(
        capsys,
        *("image-to-video", "--image", str(scene_png), "--prompt", "a farm"),
        *("--output", str(tmp_path / "x.mp4"), "--interpolate", "4"),
    )
    assert status == 2
    assert "argument --interpolate: invalid choice: 4" in err
    assert len(err.strip().splitlines()) == 1


def test_steps_past_the_limits_are_refused_before_any_work(capsys, tmp_path: Path, scene_png):
    """30 fps smoothed x3 would be 90 fps: refused in one line, nothing written."""
    output = tmp_path / "x.mp4"
    status, _, err = run_main(
        capsys,
        *("image-to-video", "--image", str(scene_png), "--prompt", "a farm"),
        *("--output", str(output), "--fps", "30", "--interpolate", "3"),
    )
    assert status == 1
    assert err.strip() == (
        "error: Smooth motion x3 of 30 fps would be 90 fps; at most 60 fps is made."
    )
    assert not output.exists()
