"""Style presets: what each adds to a request, the analysis that reads them, and real runs."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from generation import styles
from generation.engines import EngineSettings
from generation.limits import MAX_PROMPT_CHARS
from generation.pipelines import image_to_video, text_to_video
from generation.prompts import analyse
from generation.render import probe
from generation.styles import BUILTIN_STYLES, Style
from generation.types import VideoRequest

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {"cinematic", "product-studio", "bright-social", "documentary", "anime", "3d-render"}


def test_the_built_in_styles_are_the_ones_marketers_ask_for():
    """Cinematic, product studio, bright social, documentary, anime, 3D render and minimal."""
    assert set(BUILTIN_STYLES) == EXPECTED | {"minimal"}
    for style in BUILTIN_STYLES.values():
        styles.check_style(style)
        assert style.prompt and style.negative and style.guidance is not None


@pytest.mark.parametrize("name", sorted(BUILTIN_STYLES))
def test_each_built_in_style_is_read_back_from_its_own_additions(name):
    """A styled prompt names its style, so the analysis shows the style it applied."""
    styled, _ = styles.apply(VideoRequest(prompt="a bottle on a table", style=BUILTIN_STYLES[name]))
    assert analyse(styled.prompt).style == name


def test_the_analysis_reads_a_style_the_prompt_names_itself():
    """ "... in anime style" reads as anime; the earliest style named wins; none is None."""
    assert analyse("a fox running through snow, anime style").style == "anime"
    assert analyse("a 3D render of a shoe, then something cinematic").style == "3d-render"
    assert analyse("a red ball bounces").style is None


def test_apply_adds_the_words_the_negative_and_the_settings_and_says_so():
    """The additions follow the user's words; guidance and steps are replaced and recorded."""
    style = Style(name="mine", label="Mine", prompt="pastel", negative="noise", steps=12)
    request = VideoRequest(prompt="a cat,", negative_prompt="blur", steps=20, style=style)
    styled, added = styles.apply(request)
    assert (styled.prompt, styled.negative_prompt, styled.steps) == (
        "a cat, pastel",
        "blur, noise",
        12,
    )
    assert styled.guidance == request.guidance  # the style sets no guidance
    assert added == {
        "name": "mine",
        "label": "Mine",
        "prompt": "pastel",
        "negative_prompt": "noise",
        "settings": {"steps": {"from": 20, "to": 12}},
        "styled_prompt": "a cat, pastel",
        "styled_negative_prompt": "blur, noise",
    }


def test_without_a_style_the_request_is_unchanged():
    """No style, nothing added."""
    request = VideoRequest(prompt="a cat")
    assert styles.apply(request) == (request, None)


def test_under_the_fast_preset_the_style_keeps_its_words_but_not_its_settings():
    """The Fast preset's LoRA runs at its own steps and guidance, and the record says so."""
    request = VideoRequest(prompt="a cat", preset="fast", style=BUILTIN_STYLES["anime"])
    styled, added = styles.apply(request)
    assert styled.guidance == request.guidance and styled.prompt.endswith("detailed background")
    assert added is not None and added["settings"] == {}
    assert "Fast preset" in str(added["settings_not_used"])


def test_a_style_survives_its_copy_on_a_job():
    """as_dict and from_dict round-trip, as the studio keeps a style on each job."""
    style = BUILTIN_STYLES["cinematic"]
    assert Style.from_dict(json.loads(json.dumps(style.as_dict()))) == style


@pytest.mark.parametrize(
    ("style", "message"),
    [
        (Style(name=" ", label="", prompt="x"), "has no name"),
        (Style(name="s", label="S", prompt="x" * 501), "prompt additions are 501 characters"),
        (Style(name="s", label="S", prompt="x", guidance=99.0), "guidance is 99.0"),
        (Style(name="s", label="S", prompt="x", steps=0), "steps are 0"),
    ],
)
def test_a_bad_style_is_refused_with_its_reason(tmp_path, style, message):
    """The pipeline refuses a style out of bounds before any engine loads."""
    with pytest.raises(ValueError, match=message):
        text_to_video.generate(VideoRequest(prompt="a cat", style=style), output=tmp_path / "x.mp4")


def test_additions_that_take_the_prompt_over_the_limit_are_refused(tmp_path):
    """The message says how short the prompt must be with this style."""
    style = BUILTIN_STYLES["minimal"]
    request = VideoRequest(prompt="x" * (MAX_PROMPT_CHARS - 10), style=style)
    with pytest.raises(ValueError, match="With the Minimal style's additions the prompt is"):
        text_to_video.generate(request, output=tmp_path / "x.mp4")


def test_an_unknown_built_in_style_names_the_choices():
    """builtin_style refuses a name it does not know, listing the ones it does."""
    with pytest.raises(ValueError, match="choose one of: cinematic, product-studio"):
        styles.builtin_style("vaporwave")


def test_image_to_video_applies_the_style_in_its_prompt_step(tmp_path, scene_png):
    """A camera-motion run records what the style added and the style read in the prompt."""
    request = VideoRequest(
        prompt="slow zoom in on the farm",
        mode="image-to-video",
        image_path=scene_png,
        width=96,
        height=64,
        num_frames=4,
        fps=8,
        style=BUILTIN_STYLES["documentary"],
    )
    result = image_to_video.generate(
        request, output=tmp_path / "farm.mp4", settings=EngineSettings()
    )
    added = result.details["style"]
    assert isinstance(added, dict)
    assert (
        added["styled_prompt"]
        == "slow zoom in on the farm, " + BUILTIN_STYLES["documentary"].prompt
    )
    assert added["settings"] == {"guidance": {"from": 5.0, "to": 4.5}}
    assert result.details["style_in_prompt"] == "documentary"
    assert result.details["motion"] == "zoom-in"  # the user's words still choose the move
    assert probe(result.output).frames == 4


def test_a_run_without_a_style_records_none_and_what_the_prompt_names(tmp_path, scene_png):
    """No style chosen: nothing added, but a style the prompt names is still shown."""
    request = dataclasses.replace(
        VideoRequest(prompt="zoom in, cinematic", mode="image-to-video", image_path=scene_png),
        width=64,
        height=64,
        num_frames=2,
    )
    result = image_to_video.generate(request, output=tmp_path / "a.mp4", settings=EngineSettings())
    assert result.details["style"] is None
    assert result.details["style_in_prompt"] == "cinematic"


def test_the_command_line_takes_a_style_and_prints_what_it_added(tmp_path, scene_png):
    """`--style anime` on image-to-video: the summary names the style and its additions."""
    output = tmp_path / "farm.mp4"
    command = [
        sys.executable,
        "-m",
        "generation",
        "image-to-video",
        *("--image", str(scene_png), "--prompt", "pan left over the farm", "--style", "anime"),
        *("--output", str(output), "--frames", "4", "--fps", "8", "--width", "64"),
        *("--height", "64"),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["style"] == "anime"
    assert summary["style_added"]["prompt"] == BUILTIN_STYLES["anime"].prompt
    assert probe(output).frames == 4


def test_the_command_line_refuses_an_unknown_style_in_one_line():
    """An unknown --style is a usage error that lists the choices."""
    command = [sys.executable, "-m", "generation", "text-to-video", "--prompt", "p"]
    command += ["--output", "x.mp4", "--style", "vaporwave"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "invalid choice: 'vaporwave'" in done.stderr and len(done.stderr.splitlines()) == 1
