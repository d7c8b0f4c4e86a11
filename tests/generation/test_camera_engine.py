"""The camera-motion engine: eased pan, zoom and parallax of an image, with no model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation.engines.camera import (
    CameraMotionEngine,
    choose_motion,
    motion_transform,
    smoothstep,
)
from generation.types import VideoRequest


def animate(image: Path, motion: str = "auto", prompt: str = "a farm", **size: int) -> np.ndarray:
    request = VideoRequest(
        prompt=prompt,
        mode="image-to-video",
        image_path=image,
        motion=motion,
        width=size.get("width", 96),
        height=size.get("height", 64),
        num_frames=size.get("frames", 9),
    )
    return CameraMotionEngine().generate(request, lambda *args, **kwargs: None)


def centre_scale(first: np.ndarray, last: np.ndarray) -> float:
    """How much bigger the centre of ``last`` looks than that of ``first`` (>1 = zoomed in)."""
    height, width = first.shape[:2]
    best_scale, best_error = 1.0, float("inf")
    for scale in np.linspace(1.0, 1.3, 31):
        # Shrinking `last` by `scale` should reproduce the centre of `first` at the right scale.
        w, h = round(width / scale), round(height / scale)
        crop = Image.fromarray(first).crop(
            ((width - w) // 2, (height - h) // 2, (width + w) // 2, (height + h) // 2)
        )
        error = np.abs(np.asarray(crop.resize((width, height)), dtype=float) - last).mean()
        if error < best_error:
            best_scale, best_error = scale, error
    return best_scale


def horizontal_shift(first: np.ndarray, last: np.ndarray) -> int:
    """How many pixels the picture moved right from ``first`` to ``last`` (negative = left)."""
    a, b = first.mean(axis=(0, 2)), last.mean(axis=(0, 2))  # column profiles
    shifts = range(-20, 21)
    errors = [np.abs(np.roll(a, s)[20:-20] - b[20:-20]).mean() for s in shifts]
    return list(shifts)[int(np.argmin(errors))]


def test_it_makes_the_requested_number_of_frames_at_the_requested_size(scene_png):
    """Frames come back as uint8 (T, H, W, 3) at exactly the requested size."""
    frames = animate(scene_png, width=100, height=58, frames=7)
    assert frames.shape == (7, 58, 100, 3)
    assert frames.dtype == np.uint8


def test_a_zoom_in_makes_the_centre_grow(scene_png):
    """Over a zoom-in the centre of the picture gets bigger, by about the 15% margin."""
    frames = animate(scene_png, "zoom-in", width=120, height=80)
    assert centre_scale(frames[0], frames[-1]) == pytest.approx(1.15, abs=0.03)


def test_a_zoom_out_makes_the_centre_shrink(scene_png):
    """A zoom-out is the zoom-in played backwards: its first frame is the closest view."""
    frames = animate(scene_png, "zoom-out", width=120, height=80)
    assert centre_scale(frames[-1], frames[0]) == pytest.approx(1.15, abs=0.03)


def test_panning_left_moves_the_picture_right(scene_png):
    """The view travels left, so what is in frame slides to the right."""
    frames = animate(scene_png, "pan-left", width=120, height=80)
    assert horizontal_shift(frames[0], frames[-1]) > 10


def test_panning_right_moves_the_picture_left(scene_png):
    """The opposite of panning left."""
    frames = animate(scene_png, "pan-right", width=120, height=80)
    assert horizontal_shift(frames[0], frames[-1]) < -10


def test_parallax_moves_the_bottom_further_than_the_top(scene_png):
    """The lower (nearer) rows slide further than the upper (farther) rows."""
    frames = animate(scene_png, "parallax", width=160, height=120)
    top = horizontal_shift(frames[0, :40], frames[-1, :40])
    bottom = horizontal_shift(frames[0, -40:], frames[-1, -40:])
    assert abs(bottom) > abs(top) > 0


def test_the_move_eases_in_and_out():
    """Smoothstep starts and ends at rest: small steps at the ends, big ones in the middle."""
    positions = [motion_transform("pan-right", smoothstep(i / 10), 100, 100)[2] for i in range(11)]
    steps = np.diff(positions)
    assert steps[0] < steps[5] / 3 and steps[-1] < steps[5] / 3
    assert positions[0] == 0 and positions[-1] == pytest.approx(15)


def test_the_motion_comes_from_the_prompt_when_auto():
    """Auto reads the prompt's words; a prompt naming no move zooms in."""
    assert choose_motion("auto", "slow pan left over the vineyard") == "pan-left"
    assert choose_motion("auto", "our new sneaker") == "zoom-in"
    assert choose_motion("pan-up", "zoom in") == "pan-up"


def test_an_unknown_motion_is_refused():
    """A motion the engine cannot make is a ValueError listing the choices."""
    with pytest.raises(ValueError, match="choose auto or one of: zoom-in"):
        choose_motion("spin", "")


def test_it_reports_progress_per_frame_with_a_preview(scene_png, progress):
    """Each frame is reported as an 'animating' step with a small preview image."""
    request = VideoRequest(
        prompt="zoom in",
        mode="image-to-video",
        image_path=scene_png,
        width=320,
        height=180,
        num_frames=4,
    )
    CameraMotionEngine().generate(request, progress)
    assert progress.steps("animating") == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert all(max(preview.size) == 256 for _, _, preview, _ in progress.calls if preview)


def test_a_file_that_is_not_an_image_is_refused_clearly(tmp_path):
    """A non-image upload is a ValueError naming the file, not a Pillow traceback."""
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    with pytest.raises(ValueError, match=r"'notes\.png' is not an image"):
        animate(bogus)


def test_a_missing_image_is_refused_clearly(tmp_path):
    """A path that does not exist is a ValueError naming it."""
    with pytest.raises(ValueError, match=r"'gone\.jpg' was not found"):
        animate(tmp_path / "gone.jpg")


def test_a_single_frame_is_the_starting_view(scene_png):
    """One frame is allowed and shows where the move would start."""
    assert animate(scene_png, "zoom-in", frames=1).shape == (1, 64, 96, 3)
