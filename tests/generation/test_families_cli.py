"""``python -m generation ... --model PATH`` for every family and mode, on tiny random folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generation.cli import main
from generation.render import probe

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_configured_models(monkeypatch: pytest.MonkeyPatch) -> None:
    # The operator's own settings must not change what these runs see.
    for name in ("REELSMITH_WAN21_T2V_MODEL", "REELSMITH_MODELS", "REELSMITH_DEVICE"):
        monkeypatch.delenv(name, raising=False)


def run_main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def arguments(mode: str, folder: Path, output: Path, image: Path, fps: int) -> list[str]:
    image_args = ["--image", str(image)] if mode == "image-to-video" else []
    return [
        mode,
        *image_args,
        *("--prompt", "a red ball rolls on the grass", "--output", str(output)),
        *("--model", str(folder), "--seed", "7", "--steps", "2", "--frames", "9"),
        *("--width", "64", "--height", "64", "--fps", str(fps)),
    ]


@pytest.mark.parametrize(
    ("kind", "mode", "engine", "fps"),
    [
        ("wan21-i2v", "image-to-video", "wan2.1", 16),
        ("wan22-ti2v", "text-to-video", "wan2.2-ti2v-5b", 24),
        ("wan22-ti2v", "image-to-video", "wan2.2-ti2v-5b", 24),
        ("wan22-a14b-t2v", "text-to-video", "wan2.2-a14b", 16),
        ("wan22-a14b-i2v", "image-to-video", "wan2.2-a14b", 16),
        ("ltx", "text-to-video", "ltx-video", 24),
        ("ltx", "image-to-video", "ltx-video", 24),
        ("cogvideox-t2v", "text-to-video", "cogvideox", 8),
        ("cogvideox-i2v", "image-to-video", "cogvideox", 8),
    ],
)
def test_model_runs_the_folder_as_its_family(
    capsys, tmp_path, tiny_model, scene_png, kind, mode, engine, fps
):
    """--model reads the family from the folder; the MP4 has the frames, size and rate asked."""
    output = tmp_path / "clip.mp4"
    status = main(arguments(mode, tiny_model(kind), output, scene_png, fps))
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert (summary["engine"], summary["frames"], summary["seed"]) == (engine, 9, 7)
    assert "2/2" in captured.err
    video = probe(output)
    assert (video.frames, video.width, video.height, video.fps) == (9, 64, 64, float(fps))


def test_a_frame_count_the_family_cannot_make_is_one_line(capsys, tmp_path, tiny_model):
    """The family's limits are refused in one 'error:' line, before the model loads."""
    argv = arguments("text-to-video", tiny_model("ltx"), tmp_path / "x.mp4", Path(), 24)
    status = run_main([*argv, "--frames", "16"])
    err = capsys.readouterr().err.strip()
    assert status == 1
    assert err == (
        "error: LTX-Video makes 4k + 1 frames, from 5 to 257 (5, 9, 13, ...); 16 is not one: "
        "choose 13 or 17."
    )


def test_a_mode_the_folder_cannot_make_is_one_line(capsys, tmp_path, tiny_model, scene_png):
    """A text-to-video folder asked for image-to-video says so."""
    folder = tiny_model("wan22-a14b-t2v")
    status = run_main(arguments("image-to-video", folder, tmp_path / "x.mp4", scene_png, 16))
    err = capsys.readouterr().err.strip()
    assert status == 1
    assert "Wan 2.2 A14B (MoE): text-to-video (diffusers) cannot make image-to-video" in err


def test_the_moe_run_names_its_experts_in_the_progress_line(tmp_path, tiny_model):
    """`python -m generation` in a child process: the bar shows the high- then low-noise expert."""
    output = tmp_path / "moe.mp4"
    argv = arguments("text-to-video", tiny_model("wan22-a14b-t2v"), output, Path(), 16)
    command = [sys.executable, "-m", "generation", *argv, "--steps", "6"]
    environment = {"PATH": "/usr/bin:/bin", "REELSMITH_TORCH_THREADS": "1"}
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=300, env=environment
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.index("high-noise expert") < done.stderr.index("low-noise expert")
    assert json.loads(done.stdout.strip().splitlines()[-1])["engine"] == "wan2.2-a14b"
    assert probe(output).frames == 9


def test_engines_lists_the_operators_models_with_family_modes_and_queue(
    capsys, monkeypatch, tiny_model
):
    """`engines --json` shows each REELSMITH_MODELS entry as the editor will."""
    models = f"ltx={tiny_model('ltx')}:gpu-small;vae-tiling,gone=/nowhere"
    monkeypatch.setenv("REELSMITH_MODELS", models)
    assert run_main(["engines", "--json"]) == 0
    listed = {info["name"]: info for info in map(json.loads, capsys.readouterr().out.splitlines())}
    assert listed["ltx"]["label"] == "LTX-Video: text-to-video and image-to-video (diffusers)"
    assert (listed["ltx"]["queue"], listed["ltx"]["available"]) == ("gpu-small", True)
    assert listed["gone"]["reason"].startswith("weights not found at /nowhere")


def test_a_malformed_models_setting_is_one_line(capsys, monkeypatch):
    """A typo in REELSMITH_MODELS stops the command with the entry named, not a traceback."""
    monkeypatch.setenv("REELSMITH_MODELS", "ltx=/models/ltx;tiling")
    assert run_main(["engines"]) == 1
    assert capsys.readouterr().err.startswith("error: Unknown model option 'tiling'")


def test_without_frames_and_fps_the_model_gets_its_own_defaults(capsys, tmp_path, tiny_model):
    """LTX-Video with no --frames or --fps makes five seconds at its trained 24 fps: 121 frames."""
    output = tmp_path / "ltx.mp4"
    argv = ["text-to-video", "--prompt", "a red ball", "--output", str(output), "--seed", "1"]
    model = ["--model", str(tiny_model("ltx")), "--steps", "1", "--width", "64", "--height", "64"]
    status = run_main([*argv, *model])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert (summary["frames"], summary["fps"]) == (121, 24)
