"""Phonemes become Preston Blair / Rhubarb shapes and smooth per-frame mouth parameters."""

# IPA symbols look like ASCII letters; they are meant.
# ruff: noqa: RUF001
from __future__ import annotations

import numpy as np
import pytest

from generation.avatar import tts, visemes
from generation.avatar.tts import Phone, Speech


@pytest.mark.parametrize(
    ("symbol", "shapes"),
    [
        ("m", ["A"]),
        ("b", ["A"]),
        ("f", ["G"]),
        ("l", ["H"]),
        ("uː", ["F"]),
        ("ɑ", ["D"]),
        ("ˈaɪ", ["D", "C"]),  # a diphthong passes through two shapes
        ("s", ["B"]),
        ("ɔːɹ", ["E"]),
        ("ˈ", []),  # stress alone: lengthens its neighbour
        (" ", ["X"]),
        ("?", ["X"]),
    ],
)
def test_phonemes_map_to_documented_shapes(symbol, shapes):
    """Each IPA phoneme maps to the shapes of the chart in the module's docstring."""
    assert visemes.phoneme_shapes(symbol) == shapes


def _speech(spec: list[tuple[str, float]], *, silent_after: float | None = None) -> Speech:
    """Synthetic speech: phonemes of given lengths over a loud tone (silent where asked)."""
    rate = 16000
    phones, at = [], 0.0
    for symbol, length in spec:
        phones.append(Phone(symbol, at, at + length))
        at += length
    t = np.arange(int(at * rate)) / rate
    audio = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    if silent_after is not None:
        audio[int(silent_after * rate) :] = 0.0
    return Speech(audio=audio, sample_rate=rate, phones=phones, words=[], voice="test")


def test_lips_close_fully_on_m_b_p_even_between_open_vowels():
    """In 'ah-ma-ah' the frames of the M are fully closed, the vowels around it open."""
    speech = _speech([("ɑ", 0.2), ("m", 0.08), ("ɑ", 0.2)])
    track = visemes.mouth_track(speech, fps=25, num_frames=12)
    assert track.jaw[6] == 0.0  # frame 6 covers 0.24..0.28 s: the M
    assert track.jaw[2] > 0.6 and track.jaw[10] > 0.6


def test_the_jaw_moves_smoothly_not_in_steps():
    """Between a closed and a wide open shape the jaw passes through values in between."""
    speech = _speech([("s", 0.3), ("ɑ", 0.3)])
    track = visemes.mouth_track(speech, fps=100, num_frames=60)
    middle = track.jaw[25:35]
    assert np.all(np.diff(middle) >= -1e-6)
    assert ((middle > 0.2) & (middle < 0.8)).sum() >= 2


def test_rounding_starts_before_the_rounded_sound():
    """Lips round ahead of an OO (anticipation), while the jaw follows the sound."""
    speech = _speech([("s", 0.3), ("uː", 0.3)])
    track = visemes.mouth_track(speech, fps=100, num_frames=60)
    assert track.round[28] > 0.3  # 20 ms before the OO starts at 0.30 s
    assert track.round[10] < 0.05


def test_silence_is_rest_whatever_phoneme_spans_it():
    """Where the audio is silent for longer than a stop, the mouth is at rest."""
    speech = _speech([("ɑ", 1.0)], silent_after=0.4)
    track = visemes.mouth_track(speech, fps=25, num_frames=25)
    assert track.jaw[5] > 0.6
    assert track.jaw[15:].max() == pytest.approx(0.0, abs=1e-3)


def test_a_real_voice_opens_and_closes_the_mouth_with_its_words():
    """From Piper's timings: the mouth opens while words are heard, and shuts on 'Maya's M."""
    speech = tts.speak("Hello Maya.", voice="joe")
    fps = 25
    n = int(speech.duration * fps)
    track = visemes.mouth_track(speech, fps=fps, num_frames=n)
    assert track.jaw.max() > 0.35
    assert track.jaw[-1] < 0.05  # at rest after the last word
    maya = speech.words[1]
    first = int(maya.start * fps)
    assert track.jaw[max(0, first - 1) : first + 2].min() == 0.0
