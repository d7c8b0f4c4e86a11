"""The lip-sync measure reads an MP4 alone, and catches sound moved 200 ms off the picture."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from generation.avatar import measure
from generation.pipelines import avatar

SCRIPT = "Hello Ana. We make bright videos for your team, every day of the week."


@pytest.fixture(scope="module")
def clip(tmp_path_factory, request):
    from .conftest import astronaut, save

    workdir = tmp_path_factory.mktemp("sync")
    portrait = save(astronaut(), workdir / "maya.png")
    output = workdir / "talk.mp4"
    avatar.generate(
        avatar.AvatarRequest(
            image_path=portrait,
            script=SCRIPT,
            voice="espeak-en-us",
            width=512,
            height=512,
            captions="none",
            seed=3,
        ),
        output=output,
    )
    return output


def _shift(path, seconds: float):
    output = path.with_name(f"shifted-{seconds}.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(path),
            "-itsoffset",
            str(seconds),
            "-i",
            str(path),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c",
            "copy",
            str(output),
        ],
        check=True,
    )
    return output


def test_the_pipelines_video_is_in_sync(clip):
    """The mouth's openness on the output frames follows the sound at the baseline lag."""
    report = measure.measure_sync(clip)
    assert report.in_sync, report
    assert report.correlation >= measure.MIN_CORRELATION


def test_it_catches_sound_moved_200_ms_later(clip):
    """200 ms late at 25 fps is 5 frames: the measure finds the lag there and calls it out."""
    report = measure.measure_sync(_shift(clip, 0.2))
    assert report.lag == pytest.approx(measure.BASELINE_LAG - 5, abs=1)
    assert not report.in_sync


def test_it_catches_sound_200_ms_early(clip):
    """Cut the first 200 ms of sound: the lag moves 5 frames the other way."""
    early = clip.with_name("early.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(clip),
            "-ss",
            "0.2",
            "-i",
            str(clip),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:v",
            "copy",
            "-c:a",
            "aac",
            str(early),
        ],
        check=True,
    )
    report = measure.measure_sync(early)
    assert report.lag == pytest.approx(measure.BASELINE_LAG + 5, abs=1)
    assert not report.in_sync


def test_the_best_lag_of_two_signals_is_found():
    """On signals with a known shift, best_lag returns it with a correlation near 1."""
    rng = np.random.default_rng(0)
    energy = np.convolve(rng.random(200), np.ones(5) / 5, mode="same").astype(np.float32)
    mouth = np.roll(energy, 3)  # the mouth 3 frames after the sound
    lag, correlation, _ = measure.best_lag(mouth, energy)
    assert lag == 3 and correlation > 0.95


def test_identity_is_the_photo_outside_the_mouth(clip):
    """SSIM outside the mouth's region, against the framed portrait, stays high."""
    from generation.avatar import face

    from .conftest import astronaut

    frames, _ = measure.read_video(clip)
    photo = astronaut()
    framed = face.frame_portrait(photo, face.find_face(photo), width=512, height=512)
    scores = measure.identity_ssim(frames, framed)
    assert scores.mean() >= 0.95
    assert measure.ssim_map(framed, framed).mean() == pytest.approx(1.0)
