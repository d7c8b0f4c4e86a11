"""The synthesised music beds: long enough, seamless when looped, and musical."""

from __future__ import annotations

import numpy as np
import pytest

from generation.storyboard.music import BED_RMS, BEDS, RATE, note, synthesise


def test_notes_have_their_frequencies():
    """A4 is 440 Hz and an octave doubles it."""
    assert note("A4") == pytest.approx(440.0)
    assert note("A3") == pytest.approx(220.0)
    assert note("C#4") == pytest.approx(277.18, abs=0.01)


@pytest.mark.parametrize("name", list(BEDS))
def test_each_bed_lasts_at_least_the_video_at_a_mastered_level(name):
    """A bed covers the seconds asked for, at about -16 dBFS RMS, never clipping."""
    audio = synthesise(name, 20.0)
    assert len(audio) >= 20 * RATE
    assert np.sqrt(np.mean(audio**2)) == pytest.approx(BED_RMS, rel=0.05)
    assert np.abs(audio).max() < 1.0


@pytest.mark.parametrize("name", list(BEDS))
def test_each_bed_loops_without_a_seam(name):
    """The jump from a bed's last sample to its first is no bigger than its usual steps."""
    audio = synthesise(name, 1.0)
    steps = np.abs(np.diff(audio))
    assert abs(float(audio[0]) - float(audio[-1])) <= np.percentile(steps, 99.9)


@pytest.mark.parametrize("name", list(BEDS))
def test_each_bed_plays_its_chords(name):
    """The notes of the first chord stand out of the spectrum of the first bar."""
    bed = BEDS[name]
    bar = synthesise(name, 1.0)[: int(4 * 60 / bed.bpm * RATE)]
    spectrum = np.abs(np.fft.rfft(bar))
    freqs = np.fft.rfftfreq(len(bar), 1 / RATE)
    median = np.median(spectrum)
    for pitch in bed.chords[0]:
        near = (freqs > note(pitch) * 0.99) & (freqs < note(pitch) * 1.01)
        assert spectrum[near].max() > 20 * median


def test_the_upbeat_bed_has_percussion_and_the_calm_one_does_not():
    """Hats and claps are noise: the upbeat bed has energy above 6 kHz, the calm pad none."""

    def hiss(name: str) -> float:
        audio = synthesise(name, 4.0)
        power = np.abs(np.fft.rfft(audio)) ** 2
        freqs = np.fft.rfftfreq(len(audio), 1 / RATE)
        return float(power[freqs > 6000].sum() / power.sum())

    assert hiss("upbeat") > 1e-3
    assert hiss("upbeat") > 100 * hiss("calm")


def test_an_unknown_bed_is_refused():
    """Only the beds made here are offered."""
    with pytest.raises(ValueError, match="choose calm, upbeat, corporate"):
        synthesise("jazz", 1.0)
