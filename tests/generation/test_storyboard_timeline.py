"""The storyboard timeline: durations, transitions, voices on the frame, footage fitting."""

from __future__ import annotations

import math

import pytest

from generation.storyboard.timeline import (
    AIR_SECONDS,
    END_SECONDS,
    MAX_SLOWDOWN,
    TRANSITION_SECONDS,
    fit_footage,
    plan,
)

FPS = 25


def test_a_scene_lasts_its_voice_plus_air():
    """Cut scenes last their voice and the air after it; the last one also the end."""
    timeline = plan([2.0, 3.0], [None, None], ["cut", "cut"], fps=FPS)
    first, last = timeline.scenes
    assert first.frames == math.ceil(2.0 * FPS) + math.ceil(AIR_SECONDS * FPS)
    assert last.frames == math.ceil(3.0 * FPS) + math.ceil((AIR_SECONDS + END_SECONDS) * FPS)
    assert last.start == first.end
    assert timeline.frames == first.frames + last.frames


def test_a_fixed_duration_wins_over_the_voice():
    """A fixed scene lasts exactly its duration."""
    timeline = plan([1.0, 0.0], [None, 4.0], ["cut", "cut"], fps=FPS)
    assert timeline.scenes[1].frames == 4 * FPS


def test_a_fixed_duration_shorter_than_its_voice_is_refused():
    """The voice is never cut off: a fixed scene too short for it is refused, named."""
    with pytest.raises(ValueError, match="Scene 2 lasts 1 s but its voice needs"):
        plan([1.0, 3.0], [None, 1.0], ["cut", "crossfade"], fps=FPS)


@pytest.mark.parametrize("transition", ["crossfade", "fade-black", "slide"])
def test_a_transition_overlaps_the_scenes_and_the_voice_waits_for_it(transition):
    """The next scene starts during the previous one's air; its voice when it is fully in."""
    timeline = plan([2.0, 2.0], [None, None], ["cut", transition], fps=FPS)
    first, second = timeline.scenes
    overlap = round(TRANSITION_SECONDS[transition] * FPS)
    assert second.start == first.end - overlap
    assert second.voice_start == second.start + overlap
    # The previous voice is over before the transition begins.
    assert first.voice_start + first.voice_frames <= second.start
    assert timeline.frames == first.frames + second.frames - overlap


def test_the_first_scene_speaks_from_the_first_frame():
    """The video opens on the first scene, whatever transition it names."""
    timeline = plan([1.0], [None], ["crossfade"], fps=FPS)
    assert timeline.scenes[0].start == timeline.scenes[0].voice_start == 0


def test_voices_start_on_whole_frames_and_never_overlap():
    """Every voice starts on a frame and ends before the next one starts."""
    voices = [1.23, 2.71, 0.4, 3.33]
    timeline = plan(voices, [None] * 4, ["cut", "crossfade", "fade-black", "slide"], fps=FPS)
    for before, after in zip(timeline.scenes, timeline.scenes[1:], strict=False):
        assert before.voice_start + before.voice_frames < after.voice_start
    for timing, seconds in zip(timeline.scenes, voices, strict=True):
        assert timing.voice_frames / FPS >= seconds


def test_footage_longer_than_its_scene_is_trimmed():
    """A long clip plays at its own speed and stops when the scene does."""
    fit = fit_footage(100, 60)
    assert (fit.slowdown, fit.hold_frames, fit.loops) == (1.0, 0, 1)


def test_short_footage_is_slowed_at_most_2x_then_held():
    """A clip a third of its scene is slowed 2x and its last frame held for the rest."""
    fit = fit_footage(30, 90)
    assert fit.slowdown == MAX_SLOWDOWN
    assert fit.hold_frames == 30
    slight = fit_footage(60, 75)
    assert slight.slowdown == pytest.approx(1.25)
    assert slight.hold_frames == 0


def test_short_footage_can_loop_instead():
    """Looping plays the clip at its own speed as many times as the scene needs."""
    fit = fit_footage(30, 80, "loop")
    assert (fit.slowdown, fit.hold_frames, fit.loops) == (1.0, 0, 3)
