"""Post-steps: smooth motion makes 2 or 3 frames of each, upscale doubles each side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generation import post, render
from generation.types import VideoResult
from tests.generation.test_exports import moving_square, write_clip


def made_result(tmp_path: Path, *, sound: bool = False) -> VideoResult:
    output = write_clip(tmp_path / "clip.mp4", sound=sound)
    return VideoResult(
        output=output,
        poster=output.with_suffix(".jpg"),
        engine="test",
        num_frames=16,
        fps=8,
        width=128,
        height=96,
        seed=0,
        seconds=0.0,
    )


@pytest.mark.parametrize("factor", [2, 3])
def test_smooth_motion_multiplies_the_frames_and_keeps_the_length(
    tmp_path: Path, progress, factor: int
) -> None:
    """x2 or x3: that many times the frames at that many times the rate, the same seconds."""
    result = post.apply(
        made_result(tmp_path),
        post.PostSteps(interpolate=factor),
        workdir=tmp_path,
        on_progress=progress,
    )
    info = render.probe(result.output)
    assert (info.frames, info.fps) == (16 * factor, 8 * factor)
    assert info.duration == pytest.approx(2.0, abs=0.01)
    assert (result.num_frames, result.fps) == (16 * factor, 8 * factor)
    assert progress.steps(post.SMOOTHING_STAGE) == [(0, 1), (1, 1)]


def test_smoothed_frames_lie_between_their_neighbours(tmp_path: Path) -> None:
    """A made frame shows the square half-way: motion-compensated, not a repeated frame."""
    result = post.apply(made_result(tmp_path), post.PostSteps(interpolate=2), workdir=tmp_path)
    from generation.overlays import read_frames

    frames, _ = read_frames(result.output)
    source = moving_square()

    def square_x(frame: np.ndarray) -> float:
        yellow = (frame[..., 0] > 180) & (frame[..., 2] < 110)
        return float(np.nonzero(yellow)[1].mean())

    before, made, after = square_x(frames[8]), square_x(frames[9]), square_x(frames[10])
    assert before == pytest.approx(square_x(source[4]), abs=1.5)
    assert before + 1 < made < after - 1


def test_upscale_doubles_each_side_and_the_poster(tmp_path: Path, progress) -> None:
    """x2: twice the width and height, every frame kept, the poster at the new size."""
    result = post.apply(
        made_result(tmp_path), post.PostSteps(upscale=2), workdir=tmp_path, on_progress=progress
    )
    info = render.probe(result.output)
    assert (info.width, info.height, info.frames) == (256, 192, 16)
    assert (result.width, result.height) == (256, 192)
    from PIL import Image

    with Image.open(result.poster) as poster:
        assert poster.size == (256, 192)
    assert progress.steps(post.UPSCALING_STAGE) == [(0, 1), (1, 1)]
    assert result.details["post_steps"] == {"upscale": {"factor": 2, "backend": "lanczos"}}


def test_both_steps_keep_the_sound(tmp_path: Path) -> None:
    """The clip's sound is copied through both steps."""
    from tests.generation.test_exports import audio_codecs

    result = post.apply(
        made_result(tmp_path, sound=True),
        post.PostSteps(interpolate=2, upscale=2),
        workdir=tmp_path,
    )
    info = render.probe(result.output)
    assert (info.width, info.frames) == (256, 32)
    assert audio_codecs(result.output) == ["aac"]


def test_no_steps_leave_the_result_as_it_is(tmp_path: Path) -> None:
    """Nothing asked, nothing done."""
    result = made_result(tmp_path)
    assert post.apply(result, post.PostSteps(), workdir=tmp_path) is result


@pytest.mark.parametrize(
    ("steps", "size", "message"),
    [
        (post.PostSteps(interpolate=4), (128, 96, 8), "2 or 3 frames of each; not 4"),
        (post.PostSteps(upscale=3), (128, 96, 8), "Upscale is 2x; not 3x"),
        (post.PostSteps(interpolate=3), (128, 96, 24), "72 fps; at most 60"),
        (post.PostSteps(upscale=2), (1936, 1080, 8), "3872x2160; sides up to 3840"),
    ],
)
def test_steps_past_the_limits_are_refused(steps, size, message) -> None:
    """A factor that is not offered, or a result past the frame rate or size limit, is refused."""
    width, height, fps = size
    with pytest.raises(ValueError, match=message):
        post.check_steps(steps, width=width, height=height, fps=fps)


def test_steps_up_to_the_limits_are_accepted() -> None:
    """1080p upscaled is 4K, and 20 fps smoothed x3 is 60 fps: both allowed."""
    post.check_steps(post.PostSteps(upscale=2), width=1920, height=1080, fps=8)
    post.check_steps(post.PostSteps(interpolate=3), width=128, height=96, fps=20)


def test_a_model_backend_is_listed_as_not_configured_until_it_is(monkeypatch) -> None:
    """The operator's model backends say what to set; asking for one unset is refused."""
    monkeypatch.delenv("REELSMITH_INTERPOLATION_MODEL", raising=False)
    listed = {(b.step, b.name): b for b in post.list_backends()}
    model = listed[("interpolate", post.MODEL)]
    assert not model.available
    assert "REELSMITH_INTERPOLATION_MODEL" in model.reason
    with pytest.raises(ValueError, match="not configured"):
        post.check_steps(
            post.PostSteps(interpolate=2, interpolator=post.MODEL), width=64, height=64, fps=8
        )


def test_a_configured_model_backend_runs_the_operators_function(
    tmp_path: Path, monkeypatch
) -> None:
    """A configured upscaler is the function the operator named, given the decoded frames."""
    monkeypatch.setenv("REELSMITH_UPSCALE_MODEL", "tests.generation.test_post_steps:_nearest")
    result = post.apply(
        made_result(tmp_path), post.PostSteps(upscale=2, upscaler=post.MODEL), workdir=tmp_path
    )
    info = render.probe(result.output)
    assert (info.width, info.height, info.frames) == (256, 192, 16)
    assert result.details["post_steps"] == {"upscale": {"factor": 2, "backend": "model"}}


def _nearest(frames: np.ndarray, factor: int) -> np.ndarray:
    """A stand-in super-resolution model: each pixel repeated."""
    return frames.repeat(factor, axis=1).repeat(factor, axis=2)
