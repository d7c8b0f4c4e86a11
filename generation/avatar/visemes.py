"""Phonemes to mouth shapes to per-frame mouth parameters.

The shapes are the nine of Preston Blair's animation chart as Rhubarb Lip Sync names them:

====  =========================================  ==========================================
name  looks like                                  heard in
====  =========================================  ==========================================
X     rest: lips together, relaxed                silence between phrases
A     lips pressed shut                           M, B, P
B     teeth nearly together, lips apart a little  most consonants (K, S, T, D, N, ...)
C     mouth open                                  EH, AE, AH, IH, EE, schwa
D     mouth wide open                             AA, the start of AI and OW
E     open and slightly rounded                   AO, ER, R, OH
F     lips puckered                               OO, W, SH, CH, J, ZH
G     upper teeth on the lower lip                F, V
H     open, tongue raised behind the teeth        L, TH
====  =========================================  ==========================================

Each shape is three numbers (jaw opening, lip rounding, lip spreading, each 0..1) plus how
much of the teeth and tongue show. The jaw opens as far as the shape says only on the voice's
loud parts: its opening is scaled by the audio's amplitude (against its 95th percentile), so a
soft syllable opens less than a stressed one, as a speaking mouth does. A shape's numbers are
targets: the mouth moves towards them and is already moving to the next one (coarticulation),
so the targets are smoothed in time, rounding earlier than the jaw (lips round before a rounded
vowel is heard). Closures (A) are then forced shut for their duration, because lips that never
meet on an M look wrong however smooth the rest is.
"""

# IPA symbols look like ASCII letters and marks; they are meant.
# ruff: noqa: RUF001
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from generation.avatar.speech import Phone, Speech

STEP = 0.005  # seconds between samples of the fine timeline the smoothing runs on
JAW_SIGMA = 0.020  # s: jaw and spreading follow the sound closely
ROUND_SIGMA = 0.050  # s: rounding is slower ...
ROUND_LEAD = 0.040  # s: ... and starts before the sound
SILENCE_DB = -32.0  # below this loudness (relative to the peak) the mouth is at rest
SILENCE_MIN = 0.08  # s: shorter silences are the stops inside words, not pauses
LOUDNESS_FLOOR = 0.0  # share of a shape's opening kept however soft the sound
LOUDNESS_POWER = 1.0  # 1: the opening in proportion to the amplitude


@dataclass(frozen=True)
class Shape:
    jaw: float  # 0 shut .. 1 wide open
    round: float  # 0 .. 1 puckered
    spread: float  # 0 .. 1 lips drawn back
    teeth: float = 0.0  # 0 .. 1: the upper teeth rest on the lower lip (F, V)
    tongue: float = 0.0  # 0 .. 1: the tongue raised behind the teeth (L, TH)


SHAPES: dict[str, Shape] = {
    "X": Shape(0.0, 0.0, 0.0),
    "A": Shape(0.0, 0.0, 0.0),
    "B": Shape(0.14, 0.0, 0.45),
    "C": Shape(0.50, 0.0, 0.30),
    "D": Shape(0.90, 0.0, 0.10),
    "E": Shape(0.55, 0.45, 0.0),
    "F": Shape(0.30, 0.95, 0.0),
    "G": Shape(0.10, 0.0, 0.20, teeth=1.0),
    "H": Shape(0.40, 0.0, 0.15, tongue=1.0),
}

# IPA (as eSpeak writes it) to shape. Diphthongs are split: the first half takes the first
# vowel's shape, the second half the second's.
_PHONEME_SHAPES: dict[str, str] = {
    **dict.fromkeys(["m", "b", "p", "m̩"], "A"),
    **dict.fromkeys(["f", "v"], "G"),
    **dict.fromkeys(["l", "ɫ", "l̩", "θ", "ð"], "H"),
    **dict.fromkeys(["w", "ʍ", "u", "ʊ", "ʃ", "ʒ", "tʃ", "dʒ", "ɥ", "y"], "F"),
    **dict.fromkeys(["ɔ", "o", "ɜ", "ɚ", "ɝ", "ɹ", "r", "ɒ", "ɵ", "œ", "ø"], "E"),
    **dict.fromkeys(["ɑ", "a", "ɐ", "ɶ"], "D"),
    # EE ("i") is B in Rhubarb's chart; here it is C: the jaw opens on a stressed EE.
    **dict.fromkeys(["ɛ", "æ", "e", "ə", "ʌ", "ɪ", "i", "ɨ", "ᵻ", "h", "ɦ"], "C"),
    **dict.fromkeys(
        ["j", "t", "d", "n", "s", "z", "k", "ɡ", "g", "ŋ", "ɾ", "ʔ", "x", "ç", "ɲ", "ɬ"], "B"
    ),
}
_IGNORED_MARKS = {"ˈ", "ˌ", "ː", "ˑ", "ʲ", "ʰ", "̃", "̩", "-"}
_PAUSES = {"^", "$", "_", " ", ",", ".", "!", "?", ";", ":", "…"}


def phoneme_shapes(symbol: str) -> list[str]:
    """The shapes a phoneme passes through: one, two for a diphthong, none for a pause or a
    mark that only changes its neighbour (stress, length); an unknown symbol is "B"."""
    if symbol in _PAUSES or not symbol.strip():
        return ["X"]
    clean = "".join(ch for ch in unicodedata.normalize("NFD", symbol) if ch not in _IGNORED_MARKS)
    if not clean:
        return []
    if clean in _PHONEME_SHAPES:
        return [_PHONEME_SHAPES[clean]]
    shapes = [_PHONEME_SHAPES.get(ch, "B") for ch in clean if ch not in _IGNORED_MARKS]
    collapsed = [s for i, s in enumerate(shapes) if i == 0 or s != shapes[i - 1]]
    return collapsed[:2]


@dataclass(frozen=True)
class ShapeSpan:
    shape: str
    start: float
    end: float


def shape_timeline(phones: list[Phone]) -> list[ShapeSpan]:
    """Phonemes to spans of shapes. Marks (stress, length) that come as phonemes of their own
    (Piper does this) lengthen the shape before them."""
    spans: list[ShapeSpan] = []
    for phone in phones:
        shapes = phoneme_shapes(phone.symbol)
        if not shapes:
            if spans:
                last = spans[-1]
                spans[-1] = ShapeSpan(last.shape, last.start, phone.end)
            continue
        step = (phone.end - phone.start) / len(shapes)
        for index, shape in enumerate(shapes):
            spans.append(
                ShapeSpan(shape, phone.start + index * step, phone.start + (index + 1) * step)
            )
    return spans


@dataclass(frozen=True)
class MouthTrack:
    """Mouth parameters for each output frame, all (T,) float32 in 0..1."""

    jaw: np.ndarray
    round: np.ndarray
    spread: np.ndarray
    teeth: np.ndarray
    tongue: np.ndarray
    fps: int

    def __len__(self) -> int:
        return len(self.jaw)


def mouth_track(speech: Speech, *, fps: int, num_frames: int) -> MouthTrack:
    """The mouth on each of ``num_frames`` frames at ``fps`` (frame i shows (i + 0.5) / fps)."""
    spans = shape_timeline(speech.phones)
    length = max(num_frames / fps, speech.duration) + 0.5
    times = np.arange(0.0, length, STEP)  # (N,)
    # 1. Targets on the fine timeline, shape by shape.
    targets = np.zeros((5, len(times)), np.float32)  # jaw, round, spread, teeth, tongue
    closed = np.zeros(len(times), bool)
    for span in spans:
        inside = (times >= span.start) & (times < span.end)
        shape = SHAPES[span.shape]
        targets[:, inside] = np.array(
            [shape.jaw, shape.round, shape.spread, shape.teeth, shape.tongue], np.float32
        )[:, None]
        if span.shape == "A":
            closed |= inside
    # 2. Silence is rest, whatever phoneme the voice says spans it; louder sounds open wider.
    rest = _silent(speech, times)
    targets[:, rest] = 0.0
    targets[0] *= LOUDNESS_FLOOR + (1.0 - LOUDNESS_FLOOR) * _loudness(speech, times)
    # 3. Coarticulation: each parameter moves smoothly towards its targets.
    jaw = _smooth(targets[0], JAW_SIGMA)
    spread = _smooth(targets[2], JAW_SIGMA)
    round_ = _smooth(np.roll(targets[1], -round(ROUND_LEAD / STEP)), ROUND_SIGMA)
    teeth = _smooth(targets[3], JAW_SIGMA)
    tongue = _smooth(targets[4], JAW_SIGMA)
    # 4. Sample each frame over its own interval, and close the lips on every frame that holds
    # most of a closure (a closure shorter than a frame still closes the frame it falls in).
    frame_of = np.minimum((times * fps).astype(int), num_frames)
    counts = np.maximum(np.bincount(frame_of, minlength=num_frames + 1)[:num_frames], 1)

    def per_frame(values: np.ndarray) -> np.ndarray:
        sums = np.bincount(frame_of, weights=values, minlength=num_frames + 1)[:num_frames]
        return (sums / counts).astype(np.float32)

    shut = per_frame(closed.astype(np.float32)) >= 0.3
    jaw_frames = per_frame(jaw)
    jaw_frames[shut] = 0.0
    return MouthTrack(
        jaw=np.clip(jaw_frames, 0, 1),
        round=np.clip(per_frame(round_), 0, 1),
        spread=np.clip(per_frame(spread), 0, 1),
        teeth=np.clip(per_frame(teeth), 0, 1),
        tongue=np.clip(per_frame(tongue), 0, 1),
        fps=fps,
    )


def _smooth(values: np.ndarray, sigma: float) -> np.ndarray:
    radius = int(3 * sigma / STEP)
    x = np.arange(-radius, radius + 1) * STEP
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return np.convolve(values, kernel / kernel.sum(), mode="same").astype(np.float32)


def _loudness(speech: Speech, times: np.ndarray) -> np.ndarray:
    """0..1 per sample time: the audio's amplitude (RMS over 30 ms) against its loud parts
    (95th percentile), raised to LOUDNESS_POWER."""
    rate = speech.sample_rate
    window = max(1, int(0.03 * rate))
    power = np.convolve(speech.audio.astype(np.float64) ** 2, np.ones(window) / window, mode="same")
    index = np.minimum((times * rate).astype(int), len(power) - 1)
    amplitude = np.sqrt(np.maximum(power[index], 0.0))
    top = float(np.percentile(amplitude, 95)) or 1.0
    return (np.clip(amplitude / top, 0.0, 1.0) ** LOUDNESS_POWER).astype(np.float32)


def _silent(speech: Speech, times: np.ndarray) -> np.ndarray:
    """True where the audio is quieter than SILENCE_DB for at least SILENCE_MIN seconds."""
    rate = speech.sample_rate
    window = max(1, int(0.02 * rate))
    audio = speech.audio.astype(np.float64)
    power = np.convolve(audio**2, np.ones(window) / window, mode="same")
    peak = float(power.max()) or 1.0
    index = np.minimum((times * rate).astype(int), len(audio) - 1)
    quiet = 10 * np.log10(np.maximum(power[index], 1e-12) / peak) < SILENCE_DB
    quiet |= times * rate >= len(audio)
    # Keep only runs of at least SILENCE_MIN.
    keep = np.zeros_like(quiet)
    minimum = int(SILENCE_MIN / STEP)
    start = None
    for i, value in enumerate(np.append(quiet, False)):
        if value and start is None:
            start = i
        elif not value and start is not None:
            if i - start >= minimum:
                keep[start:i] = True
            start = None
    return keep
