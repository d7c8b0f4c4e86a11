"""What a voice said: the audio and when each phoneme and word is heard.

The plain values every text-to-speech backend returns (see tts.py) and the avatar's visemes and
captions read; kept apart from the backends so that those import no synthesiser.
"""

# IPA symbols look like ASCII letters and marks; they are meant.
# ruff: noqa: RUF003
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class VoiceUnavailable(RuntimeError):
    """The voice asked for cannot speak on this machine; the message says why."""


@dataclass(frozen=True)
class Phone:
    """One phoneme and when it is heard, in seconds from the start of the audio."""

    symbol: str  # IPA, e.g. "ɑ", "m", "ˈ" (stress) or " " (a word boundary)
    start: float
    end: float


@dataclass(frozen=True)
class Word:
    """One word of the script as captions show it, and when it is heard."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Speech:
    """What a voice said: mono float audio in [-1, 1] and its timings."""

    audio: np.ndarray  # (N,) float32
    sample_rate: int
    phones: list[Phone]
    words: list[Word]
    voice: str

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate
