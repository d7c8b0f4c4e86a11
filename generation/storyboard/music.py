"""Music under a storyboard: three beds synthesised here, and uploaded music checked by content.

The beds are made by this module's own code (no downloaded audio): chords on a soft pad, a bass
line and, for "upbeat" and "corporate", quiet drums. One cycle of the chord progression is
rendered once, with every note's tail wrapped around to the cycle's start, and tiled, so a bed
of any length loops without a seam. Each bed is mastered to about the loudness of commercial
music (RMS near -16 dBFS); the storyboard's music level is applied in the mix.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from generation.limits import MAX_MUSIC_BYTES, MAX_MUSIC_SECONDS

RATE = 44_100  # Hz
BED_RMS = 10 ** (-16 / 20)  # each bed's level: a mastered track's, before the mix sets it
# Containers PyAV names when it opens music a user may upload (probed, not trusted by name).
MUSIC_FORMATS = {"mp3": "MP3", "wav": "WAV", "ogg": "OGG", "mov,mp4,m4a,3gp,3g2,mj2": "M4A"}

_A4 = 440.0
_NOTES = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}


def note(name: str) -> float:
    """The frequency of a note written "A4", "F#3", "Bb2"."""
    letter, rest = name[0], name[1:]
    shift = rest.count("#") - rest.count("b")
    octave = int(rest.strip("#b"))
    return _A4 * 2 ** ((_NOTES[letter] + shift + 12 * (octave - 4)) / 12)


@dataclass(frozen=True)
class _Bed:
    bpm: float
    chords: tuple[tuple[str, ...], ...]  # one chord per bar, its notes from low to high
    bass: tuple[str, ...]  # one root per bar
    pattern: str  # the rhythm section: "none", "pop" or "pulse"
    arpeggio: bool  # the chord played as eighth notes over the pad


BEDS: dict[str, _Bed] = {
    "calm": _Bed(
        bpm=72,
        chords=(
            ("C4", "E4", "G4", "B4"),
            ("A3", "C4", "E4", "G4"),
            ("F3", "A3", "C4", "E4"),
            ("G3", "B3", "D4", "E4"),
        ),
        bass=("C2", "A1", "F1", "G1"),
        pattern="none",
        arpeggio=True,
    ),
    "upbeat": _Bed(
        bpm=118,
        chords=(
            ("G3", "B3", "D4"),
            ("D4", "F#4", "A4"),
            ("E4", "G4", "B4"),
            ("C4", "E4", "G4"),
        ),
        bass=("G1", "D2", "E2", "C2"),
        pattern="pop",
        arpeggio=False,
    ),
    "corporate": _Bed(
        bpm=100,
        chords=(
            ("D4", "F#4", "A4"),
            ("A3", "C#4", "E4"),
            ("B3", "D4", "F#4"),
            ("G3", "B3", "D4"),
        ),
        bass=("D2", "A1", "B1", "G1"),
        pattern="pulse",
        arpeggio=True,
    ),
}


def synthesise(name: str, seconds: float) -> np.ndarray:
    """The bed ``name`` as mono float32 audio at RATE, whole cycles covering ``seconds``."""
    if name not in BEDS:
        raise ValueError(f"There is no music bed '{name}'; choose {', '.join(BEDS)}.")
    cycle = _cycle(BEDS[name])
    repeats = max(1, math.ceil(seconds * RATE / len(cycle)))
    return np.tile(cycle, repeats)


def write_bed(name: str, seconds: float, path: Path) -> Path:
    """The bed as a 16-bit mono WAV of at least ``seconds``."""
    audio = synthesise(name, seconds)
    pcm = np.clip(audio * 32767, -32768, 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


def _cycle(bed: _Bed) -> np.ndarray:
    beat = 60.0 / bed.bpm
    bar = 4 * beat
    length = round(len(bed.chords) * bar * RATE)
    out = np.zeros(length, np.float64)
    rng = np.random.default_rng(7)  # the drums' noise: the same bed every time
    for index, (chord, root) in enumerate(zip(bed.chords, bed.bass, strict=True)):
        start = index * bar
        for pitch in chord:
            _add(out, start, _pad(note(pitch), bar * 1.1), gain=0.16 / len(chord))
        if bed.arpeggio:
            order = (*chord, *reversed(chord[1:-1]))
            for step in range(8):
                pitch = order[step % len(order)]
                _add(out, start + step * beat / 2, _pluck(note(pitch) * 2, beat), gain=0.07)
        for hit in _bass_hits(bed.pattern):
            _add(out, start + hit * beat, _bass(note(root), beat * 0.9), gain=0.32)
        for time, sound, gain in _drums(bed.pattern, beat, rng):
            _add(out, start + time, sound, gain=gain)
    return (out * (BED_RMS / max(float(np.sqrt(np.mean(out**2))), 1e-9))).astype(np.float32)


def _add(out: np.ndarray, start: float, sound: np.ndarray, *, gain: float) -> None:
    """Add ``sound`` at ``start`` seconds, wrapping its tail around to the cycle's start so the
    tiled bed has no seam."""
    begin = round(start * RATE) % len(out)
    end = begin + len(sound)
    first = min(end, len(out)) - begin
    out[begin : begin + first] += gain * sound[:first]
    if first < len(sound):
        rest = sound[first:]
        out[: len(rest)] += gain * rest


def _time(seconds: float) -> np.ndarray:
    return np.arange(round(seconds * RATE)) / RATE


def _pad(freq: float, seconds: float) -> np.ndarray:
    """A warm pad: three slightly detuned sines, a slow swell and a long release."""
    t = _time(seconds)
    tone = sum(np.sin(2 * np.pi * freq * d * t) for d in (0.997, 1.0, 1.003)) / 3
    tone = tone + 0.25 * np.sin(2 * np.pi * freq * 2 * t)
    envelope = np.minimum(1.0, t / 0.4) * np.minimum(1.0, (seconds - t) / 0.5)
    return np.asarray(tone * np.clip(envelope, 0, 1))


def _pluck(freq: float, seconds: float) -> np.ndarray:
    """A soft bell-like pluck: a few harmonics that decay fast."""
    t = _time(seconds)
    tone = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(2 * np.pi * freq * 3 * t) * np.exp(-t * 9)
    return np.asarray(tone * np.exp(-t * 5) * np.minimum(1.0, t / 0.005))


def _bass(freq: float, seconds: float) -> np.ndarray:
    t = _time(seconds)
    tone = np.sin(2 * np.pi * freq * t) + 0.35 * np.sin(2 * np.pi * freq * 2 * t)
    return np.asarray(tone * np.minimum(1.0, t / 0.01) * np.exp(-t * 2.5))


def _bass_hits(pattern: str) -> tuple[float, ...]:
    """The beats of a bar on which the bass plays."""
    return {"none": (0.0, 2.0), "pop": (0.0, 1.5, 2.0, 3.0, 3.5), "pulse": (0, 1, 2, 3)}[pattern]


def _kick(seconds: float = 0.35) -> np.ndarray:
    t = _time(seconds)
    phase = 2 * np.pi * (50 * t + 60 * (1 - np.exp(-t * 30)) / 30)  # a pitch drop 110 -> 50 Hz
    return np.asarray(np.sin(phase) * np.exp(-t * 9))


def _noise_hit(rng: np.random.Generator, seconds: float, decay: float) -> np.ndarray:
    t = _time(seconds)
    noise = rng.standard_normal(len(t))
    bright = np.diff(noise, prepend=0.0)  # a first difference: the hiss of a hat, not a rumble
    return np.asarray(bright * np.exp(-t * decay))


def _drums(
    pattern: str, beat: float, rng: np.random.Generator
) -> list[tuple[float, np.ndarray, float]]:
    """(time in the bar, sound, gain) of a bar's drum hits: soft, under the voice."""
    if pattern == "none":
        return []
    hits: list[tuple[float, np.ndarray, float]] = []
    kicks = (0, 1, 2, 3) if pattern == "pop" else (0, 2)
    hits += [(k * beat, _kick(), 0.45) for k in kicks]
    hats = [i * beat / 2 + beat / 4 for i in range(8)] if pattern == "pop" else []
    hats += [i * beat / 4 for i in range(16)] if pattern == "pulse" else []
    hits += [(h, _noise_hit(rng, 0.08, 60), 0.05) for h in hats]
    if pattern == "pop":
        hits += [(b * beat, _noise_hit(rng, 0.2, 18), 0.12) for b in (1, 3)]  # a clap
    return hits


# Uploaded music -------------------------------------------------------------------------------


def check_music(path: Path) -> float:
    """The music file's duration in seconds, or ValueError saying why it cannot be used."""
    if not path.is_file():
        raise ValueError(f"The music file {path.name} does not exist.")
    size = path.stat().st_size
    if size > MAX_MUSIC_BYTES:
        raise ValueError(
            f"The music file is {size / 2**20:.0f} MB; the limit is {MAX_MUSIC_BYTES // 2**20} MB."
        )
    kinds = ", ".join(dict.fromkeys(MUSIC_FORMATS.values()))
    try:
        with av.open(str(path)) as box:
            formats = box.format.name
            audio = box.streams.audio
            moving = [
                s
                for s in box.streams.video
                if not s.disposition & av.stream.Disposition.attached_pic
            ]
            duration = box.duration / av.time_base if box.duration else _stream_seconds(audio)
    except (av.FFmpegError, UnicodeDecodeError):
        raise ValueError(f"The music file {path.name} is not audio; upload {kinds}.") from None
    if formats not in MUSIC_FORMATS or not audio or moving:
        raise ValueError(f"The music file {path.name} is not audio; upload {kinds}.")
    if duration > MAX_MUSIC_SECONDS:
        raise ValueError(
            f"The music lasts {duration / 60:.0f} minutes; the limit is "
            f"{MAX_MUSIC_SECONDS // 60} minutes."
        )
    if duration <= 0:
        raise ValueError(f"The music file {path.name} has no sound in it.")
    return float(duration)


def music_format(path: Path) -> str:
    """The name of a checked music file's container: "MP3", "WAV", "M4A" or "OGG"."""
    with av.open(str(path)) as box:
        name = box.format.name
    return MUSIC_FORMATS[name]


def _stream_seconds(audio: object) -> float:
    streams = list(audio)  # type: ignore[call-overload]
    stream = streams[0] if streams else None
    if stream is None or stream.duration is None:
        return 0.0
    return float(stream.duration * stream.time_base)
