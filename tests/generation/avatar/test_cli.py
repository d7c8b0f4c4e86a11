"""`python -m generation avatar` and `voices`: a JSON summary last, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from generation.cli import main

from .conftest import REPO


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_it_makes_a_talking_head_and_prints_its_summary(portrait_png, tmp_path):
    """A real run writes the MP4 and captions; the last stdout line is one JSON object."""
    output = tmp_path / "hi.mp4"
    command = [
        sys.executable,
        "-m",
        "generation",
        "avatar",
        *("--image", str(portrait_png), "--script", "Hello from Acme."),
        *("--output", str(output), "--voice", "espeak-en-us", "--fps", "20"),
        *("--width", "256", "--height", "256", "--captions", "file", "--seed", "5"),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["engine"] == "avatar" and summary["voice"] == "espeak-en-us"
    assert (summary["fps"], summary["width"], summary["height"], summary["seed"]) == (
        20,
        256,
        256,
        5,
    )
    assert summary["frames"] == pytest.approx((summary["audio_seconds"] + 0.4) * 20, abs=1)
    assert output.exists() and summary["captions"]["vtt"] == str(output.with_suffix(".vtt"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--script", ""], "error: The script is empty"),
        (["--script", "Hi", "--voice", "robot"], "error: Unknown voice 'robot'"),
        (["--script", "Hi", "--speed", "5"], "error: The speed is 5.0"),
    ],
)
def test_bad_values_are_one_line(capsys, portrait_png, tmp_path, extra, message):
    """Refused values end the run with status 1 and a single 'error:' line."""
    argv = ["avatar", "--image", str(portrait_png), "--output", str(tmp_path / "x.mp4"), *extra]
    status, out, err = run_main(capsys, *argv)
    assert (status, out) == (1, "")
    assert err.strip().splitlines() == [err.strip()] and message in err


def test_a_portrait_problem_is_one_line(capsys, two_faces_png, tmp_path):
    status, _, err = run_main(
        capsys,
        "avatar",
        "--image",
        str(two_faces_png),
        "--script",
        "Hi",
        "--output",
        str(tmp_path / "x.mp4"),
    )
    assert status == 1
    assert err.strip() == "error: The portrait shows 2 faces; use a photo of one person alone."


def test_usage_mistakes_exit_2(capsys, portrait_png):
    """A missing --script or an unknown captions mode is a usage error in one line."""
    status, _, err = run_main(capsys, "avatar", "--image", str(portrait_png), "--output", "x.mp4")
    assert status == 2 and "required: --script" in err
    status, _, err = run_main(
        capsys,
        "avatar",
        "--image",
        "a.png",
        "--script",
        "s",
        "--output",
        "x.mp4",
        "--captions",
        "loud",
    )
    assert status == 2 and "invalid choice: 'loud'" in err


def test_it_lists_the_voices(capsys):
    status, out, _ = run_main(capsys, "voices", "--json")
    assert status == 0
    assert [json.loads(line)["name"] for line in out.splitlines()][:2] == ["joe", "espeak-en-us"]
