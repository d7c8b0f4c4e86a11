"""The command line: argument errors are one line, and real runs print their JSON summary."""

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
    monkeypatch.delenv("REELSMITH_WAN21_T2V_MODEL", raising=False)
    monkeypatch.delenv("REELSMITH_DEVICE", raising=False)


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit status, stdout, stderr)."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: command"),
        (["text-to-video", "--output", "x.mp4"], "required: --prompt"),
        (
            ["text-to-video", "--prompt", "p", "--output", "x.mp4", "--frames", "many"],
            "invalid int",
        ),
        (["image-to-video", "--prompt", "p", "--output", "x.mp4"], "required: --image"),
        (["sing", "--prompt", "p"], "invalid choice: 'sing'"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(capsys, argv, message):
    """Usage mistakes give exit status 2 and a single line on stderr, with no usage dump."""
    status, out, err = run_main(capsys, *argv)
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--frames", "0"], "error: The frame count is 0"),
        (["--width", "5000"], "error: The width is 5000 px"),
        (["--engine", "nonesuch"], "error: Unknown engine 'nonesuch'"),
        (["--engine", "wan2.1-t2v"], "error: Wan 2.1 text-to-video (diffusers) cannot run here"),
        (["--model", "/no/such/folder"], "weights not found at /no/such/folder"),
        (["--voiceover", " "], "error: The voiceover is empty"),
        (["--voiceover", "Hi.", "--voice", "nobody"], "error: Unknown voice 'nobody'"),
    ],
)
def test_bad_values_exit_non_zero_with_one_line_and_no_traceback(capsys, tmp_path, extra, message):
    """Values the pipeline refuses end the run with one 'error:' line, not a traceback."""
    argv = ["text-to-video", "--prompt", "a ball", "--output", str(tmp_path / "x.mp4"), *extra]
    status, out, err = run_main(capsys, *argv)
    assert status == 1
    assert out == ""
    assert err.strip().splitlines() == [err.strip()]
    assert message in err


def test_a_missing_image_is_one_line(capsys, tmp_path):
    """Image-to-video with a path that does not exist names the file."""
    argv = ["image-to-video", "--image", str(tmp_path / "gone.jpg"), "--prompt", "zoom in"]
    status, _, err = run_main(capsys, *argv, "--output", str(tmp_path / "x.mp4"))
    assert status == 1
    assert err.strip() == "error: The image 'gone.jpg' was not found."


def test_it_lists_the_engines_and_why_they_cannot_run(capsys):
    """`engines` shows every engine with its availability or the reason it is unavailable."""
    status, out, _ = run_main(capsys, "engines")
    assert status == 0
    assert "camera-motion" in out and "available" in out
    assert "no model configured (set REELSMITH_WAN21_T2V_MODEL)" in out
    status, out, _ = run_main(capsys, "engines", "--json")
    assert [json.loads(line)["name"] for line in out.splitlines()] == [
        "embedded",
        "wan2.1-t2v",
        "camera-motion",
    ]


def test_a_camera_motion_run_writes_an_mp4_and_prints_its_summary(tmp_path, scene_png):
    """`python -m generation image-to-video` writes a playable MP4; stdout ends with JSON."""
    output = tmp_path / "farm.mp4"
    command = [
        sys.executable,
        "-m",
        "generation",
        "image-to-video",
        *("--image", str(scene_png), "--prompt", "slow zoom in on the farm"),
        *("--output", str(output), "--frames", "8", "--fps", "8"),
        *("--width", "96", "--height", "64"),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["engine"] == "camera-motion"
    assert (summary["frames"], summary["fps"], summary["width"], summary["height"]) == (
        8,
        8,
        96,
        64,
    )
    assert summary["output"] == str(output)
    assert isinstance(summary["seed"], int) and summary["seconds"] > 0
    assert f"seed: {summary['seed']} (random)" in done.stderr
    assert "animating" in done.stderr and "8/8" in done.stderr
    video = probe(output)
    assert (video.frames, video.width, video.height) == (8, 96, 64)


def test_a_wan_run_with_model_uses_that_folder(capsys, tmp_path, tiny_wan):
    """--model points the Wan engine at a folder; the seed given is the seed used."""
    output = tmp_path / "ball.mp4"
    status, out, err = run_main(
        capsys,
        *("text-to-video", "--prompt", "a red ball", "--output", str(output)),
        *("--model", str(tiny_wan), "--seed", "42", "--steps", "2", "--frames", "5"),
        *("--width", "64", "--height", "64", "--fps", "5"),
    )
    assert status == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["engine"], summary["seed"], summary["frames"]) == ("wan2.1-t2v", 42, 5)
    assert "denoising" in err and "2/2" in err and "seed:" not in err
    assert probe(output).frames == 5


@pytest.mark.parametrize(
    ("script", "extra", "message"),
    [
        ("", [], "error: The script is empty"),
        ("Hello there, welcome.", ["--aspect", "4:3"], "invalid choice: '4:3'"),
        ("Hello there, welcome.", ["--music", "jazz"], "neither a file nor a bed"),
        ("Hello there, welcome.", ["--engine", "wan2.1-t2v"], "'wan2.1-t2v' is not installed"),
        ("Grüße 你好 und willkommen.", [], "'你' (cjk unified ideograph-4f60)"),
    ],
)
def test_a_bad_storyboard_exits_with_one_line(capsys, tmp_path, script, extra, message):
    """Storyboard input the engine refuses ends the run with one line and no output."""
    path = tmp_path / "script.md"
    path.write_text(script)
    argv = ["storyboard", "--script", str(path), "--output", str(tmp_path / "x.mp4"), *extra]
    status, out, err = run_main(capsys, *argv)
    assert status in (1, 2)
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err
    assert not (tmp_path / "x.mp4").exists()


def test_a_storyboard_run_prints_its_summary_and_writes_captions_beside_it(tmp_path):
    """A real run in a subprocess: progress on stderr, the JSON summary last on stdout, and
    the .vtt and .srt beside the MP4 with its stem."""
    script = tmp_path / "post.md"
    script.write_text("# Rosa's\n\nOur bakery opens at seven.\n\nCroissants are folded by hand.")
    output = tmp_path / "post.mp4"
    argv = ["--script", str(script), "--output", str(output), "--aspect", "1:1", "--music", "calm"]
    done = subprocess.run(
        [sys.executable, "-m", "generation", "storyboard", *argv, "--captions", "file"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["scenes"] == 3
    assert (summary["aspect"], summary["width"], summary["height"]) == ("1:1", 720, 720)
    assert summary["outputs"]["vtt"] == str(output.with_suffix(".vtt"))
    assert output.with_suffix(".srt").read_text().startswith("1\n")
    assert probe(output).duration == pytest.approx(summary["duration"], abs=0.1)
    assert "mixing" in done.stderr


def test_a_voiceover_run_speaks_over_the_clip_and_writes_captions_beside_it(tmp_path, scene_png):
    """`--voiceover` adds the voice to the clip made: an audio stream, the captions' files,
    and the summary's duration and paths are the voiced video's."""
    output = tmp_path / "farm.mp4"
    command = [
        sys.executable,
        "-m",
        "generation",
        "image-to-video",
        *("--image", str(scene_png), "--prompt", "slow zoom in on the farm"),
        *("--output", str(output), "--frames", "8", "--fps", "8"),
        *("--width", "96", "--height", "64"),
        *("--voiceover", "Fresh eggs every morning.", "--captions", "file"),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["output"] == str(output)
    assert summary["captions"]["vtt"] == str(output.with_suffix(".vtt"))
    assert "Fresh eggs" in output.with_suffix(".vtt").read_text()
    video = probe(output)
    assert (video.width, video.height) == (96, 64)
    assert video.duration == pytest.approx(summary["duration"], abs=0.1) and video.duration > 1.0
    streams = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", output],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert streams == ["video", "audio"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.stem == "farm") == [
        "farm.jpg",
        "farm.mp4",
        "farm.srt",
        "farm.vtt",
    ]


def test_a_run_without_settings_uses_the_engines_recommended_ones(capsys, tmp_path):
    """No --steps, --guidance, --frames or --fps: the embedded model's 10 steps, 16 frames at
    8 fps; a value given still wins."""
    from generation.engines.embedded import RECOMMENDED

    base = ("text-to-video", "--prompt", "a red ball moves right", "--seed", "1")
    size = ("--width", "64", "--height", "64")
    status, out, err = run_main(capsys, *base, *size, "--output", str(tmp_path / "a.mp4"))
    assert status == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["engine"] == "embedded"
    assert (summary["steps"], summary["frames"], summary["fps"]) == (
        RECOMMENDED["steps"],
        RECOMMENDED["frames"],
        RECOMMENDED["fps"],
    )
    status, out, err = run_main(
        capsys, *base, *size, "--steps", "3", "--output", str(tmp_path / "b.mp4")
    )
    assert status == 0, err
    assert json.loads(out.strip().splitlines()[-1])["steps"] == 3


@pytest.fixture(scope="module")
def loras(tiny_wan: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A LoRA made for the tiny Wan folder, one for a deeper model, and one not in safetensors."""
    from generation.testing import build_random_wan_lora, build_tiny_lora

    out = tmp_path_factory.mktemp("cli-loras")
    deeper = {"num_layers": 4, "num_attention_heads": 2, "attention_head_dim": 12}
    pickled = out / "neon.pt"
    pickled.write_bytes(b"not a safetensors file")
    return {
        "fits": build_tiny_lora(tiny_wan, out / "neon.safetensors", seed=1),
        "deep": build_random_wan_lora(deeper, out / "deep.safetensors"),
        "pickled": pickled,
    }


def _wan_run(tiny_wan: Path, output: Path, *extra: str) -> list[str]:
    return [
        *("text-to-video", "--prompt", "a red ball", "--output", str(output)),
        *("--model", str(tiny_wan), "--seed", "42", "--steps", "2", "--frames", "5"),
        *("--width", "64", "--height", "64", "--fps", "5", *extra),
    ]


def test_a_run_with_a_lora_that_fits_uses_it_at_its_strength(capsys, tmp_path, tiny_wan, loras):
    """--lora FILE:STRENGTH runs the model with the LoRA; the summary names both."""
    output = tmp_path / "neon.mp4"
    argv = _wan_run(tiny_wan, output, "--lora", f"{loras['fits']}:0.5")
    status, out, err = run_main(capsys, *argv)
    assert status == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["style_lora"], summary["style_lora_strength"]) == (str(loras["fits"]), 0.5)
    assert probe(output).frames == 5
    plain = tmp_path / "plain.mp4"
    status, out, _ = run_main(capsys, *_wan_run(tiny_wan, plain))
    assert json.loads(out.strip().splitlines()[-1])["style_lora"] is None
    assert plain.read_bytes() != output.read_bytes()  # the LoRA changed the picture


@pytest.mark.parametrize(
    ("which", "strength", "message"),
    [
        ("deep", "", "layer"),
        ("pickled", "", "is not a .safetensors file"),
        ("fits", ":2.5", "The LoRA's strength is 2.5; use 0 to 2."),
        ("missing", "", "does not exist"),
    ],
)
def test_a_lora_that_does_not_fit_is_refused_in_one_line(
    capsys, tmp_path, tiny_wan, loras, which, strength, message
):
    """Other layers, another format, a strength out of range, no file: one 'error:' line,
    no video."""
    path = loras.get(which, tmp_path / "missing.safetensors")
    output = tmp_path / "x.mp4"
    status, out, err = run_main(capsys, *_wan_run(tiny_wan, output, "--lora", f"{path}{strength}"))
    assert status == 1 and out == ""
    assert err.strip().splitlines() == [err.strip()]
    assert "error:" in err and message in err
    assert not output.exists()


def test_a_lora_on_an_engine_without_layers_is_refused_in_one_line(capsys, tmp_path, loras):
    """The embedded model has no diffusers transformer: it takes no LoRA."""
    argv = ["text-to-video", "--prompt", "a ball", "--output", str(tmp_path / "x.mp4")]
    status, out, err = run_main(capsys, *argv, "--engine", "embedded", "--lora", str(loras["fits"]))
    assert status == 1 and out == ""
    assert err.strip().splitlines() == [err.strip()] and "takes no style LoRA" in err
