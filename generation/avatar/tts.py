"""Text to speech with timings: the voice, and when each phoneme and word is heard.

Two backends, each giving the same :class:`Speech` (speech.py):

- **Piper** (neural, default where installed), in tts_piper.py: the model's own phoneme
  timings.
- **eSpeak NG** (formant synthesis, always there), in tts_espeak.py: the library's phoneme and
  word events.

Phonemes are IPA as eSpeak writes them, so one viseme table serves both backends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generation.avatar import tts_espeak, tts_piper
from generation.avatar.speech import Phone, Speech, VoiceUnavailable, Word
from generation.limits import MAX_SPEED, MIN_SPEED

__all__ = [
    "Phone",
    "Speech",
    "VoiceInfo",
    "VoiceUnavailable",
    "Word",
    "align_words",
    "check_voice",
    "default_voice",
    "list_voices",
    "speak",
    "write_wav",
]


@dataclass(frozen=True)
class VoiceInfo:
    """A voice the editor can offer, and whether it can speak here."""

    name: str
    label: str
    backend: str  # "piper" or "espeak"
    available: bool
    reason: str = ""  # why it cannot speak here
    notes: dict[str, str] = field(default_factory=dict)


def list_voices() -> list[VoiceInfo]:
    """Every voice, the neural one first; unavailable ones say why."""
    piper_reason = tts_piper.missing()
    voices = [
        VoiceInfo(
            name=tts_piper.VOICE,
            label="Joe: US English, neural (Piper)",
            backend="piper",
            available=not piper_reason,
            reason=piper_reason,
            notes={"model": "en_US-joe-medium", "licence": "voice data CC0; piper-tts GPL-3.0"},
        )
    ]
    espeak_reason = tts_espeak.missing()
    voices += [
        VoiceInfo(
            name=name,
            label=label,
            backend="espeak",
            available=not espeak_reason,
            reason=espeak_reason,
        )
        for name, label, _ in tts_espeak.VOICES
    ]
    return voices


def default_voice() -> str:
    """The first voice that can speak here."""
    for voice in list_voices():
        if voice.available:
            return voice.name
    raise VoiceUnavailable(
        "No voice can speak on this machine: install the Python requirements "
        "(espeakng-loader) or Debian's espeak-ng."
    )


def check_voice(name: str) -> VoiceInfo:
    """The voice called ``name``, or ValueError / VoiceUnavailable saying why not."""
    voices = {voice.name: voice for voice in list_voices()}
    if name not in voices:
        raise ValueError(f"Unknown voice '{name}'; choose one of: {', '.join(voices)}.")
    voice = voices[name]
    if not voice.available:
        raise VoiceUnavailable(f"The voice '{name}' cannot speak here: {voice.reason}")
    return voice


def speak(text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
    """Say ``text`` (checked by avatar.script) with ``voice`` at ``speed`` (1 = normal)."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"The speed is {speed}; use {MIN_SPEED} to {MAX_SPEED}.")
    name = voice or default_voice()
    info = check_voice(name)
    if info.backend == "piper":
        audio, rate, phones = tts_piper.speak(text, speed)
        words = align_words(text, phones)
    else:
        espeak_name = next(v for n, _, v in tts_espeak.VOICES if n == name)
        audio, rate, phones, word_starts = tts_espeak.speak(text, espeak_name, speed)
        words = _words_from_starts(text, word_starts, phones)
    if len(audio) == 0 or not phones:
        raise ValueError("The voice made no sound for this script; check its words.")
    words = _end_with_sound(words, audio, rate)
    return Speech(audio=audio, sample_rate=rate, phones=phones, words=words, voice=name)


# Words ------------------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"^[\s.,;:!?\"()\-]+$")  # phone symbols that separate words


def align_words(text: str, phones: list[Phone]) -> list[Word]:
    """Give each word of ``text`` the time it is heard (Piper: phonemes, no word marks).

    Piper speaks one sentence at a time, each starting with "^"; when the script has as many
    sentences, words are placed sentence by sentence, else over the whole script.
    """
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    runs: list[list[Phone]] = []
    for phone in phones:
        if phone.symbol == "^" or not runs:
            runs.append([])
        runs[-1].append(phone)
    if len(runs) == len(sentences) > 1:
        return [
            w
            for sentence, run in zip(sentences, runs, strict=True)
            for w in align_words(sentence, run)
        ]
    return _align_group_words(text.split(), _spoken_groups(phones))


def _align_group_words(script_words: list[str], groups: list[tuple[float, float]]) -> list[Word]:
    """Match words to spoken groups one to one when the counts agree; else spread them over
    the spoken time in proportion to their letters (voices say "42" as "forty two", and
    run "I am" together)."""
    if not script_words or not groups:
        return []
    if len(groups) == len(script_words):
        return [
            Word(word, start, end) for word, (start, end) in zip(script_words, groups, strict=True)
        ]
    spoken = sum(end - start for start, end in groups)
    weights = np.array([max(1, sum(ch.isalnum() for ch in word)) for word in script_words], float)
    edges = np.concatenate([[0.0], np.cumsum(weights) / weights.sum()]) * spoken
    return [
        Word(word, _spoken_time(groups, edges[i]), _spoken_time(groups, edges[i + 1]))
        for i, word in enumerate(script_words)
    ]


def _words_from_starts(
    text: str, starts: list[tuple[int, float]], phones: list[Phone]
) -> list[Word]:
    """eSpeak's word events give each word's character offset and start: a word starts at the
    first event inside it and lasts until the next word starts (the last, until speech ends)."""
    spans = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    found: list[float | None] = []
    for begin, end, _ in spans:
        inside = [t for offset, t in starts if begin <= offset < end]
        found.append(min(inside) if inside else None)
    if all(t is None for t in found):
        return _align_group_words([w for _, _, w in spans], _spoken_groups(phones))
    last = max((p.end for p in phones), default=0.0)
    times = _fill_gaps(found, last)
    return [
        Word(word, times[i], times[i + 1] if i + 1 < len(times) else last)
        for i, (_, _, word) in enumerate(spans)
    ]


def _end_with_sound(words: list[Word], audio: np.ndarray, rate: int) -> list[Word]:
    """End each word where its sound ends, not where the next word starts: the pause after a
    sentence belongs to no word (captions stay up across it anyway, see captions.cues)."""
    hop = max(1, rate // 100)  # 10 ms
    frames = audio[: len(audio) // hop * hop].reshape(-1, hop)
    if len(frames) == 0:
        return words
    loud = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    sounding = loud > loud.max() / 30
    ended = []
    for word in words:
        first, last = int(word.start * 100), min(int(word.end * 100), len(sounding))
        keep = first + 5  # at least 50 ms, however quiet
        while last > keep and not sounding[last - 1]:
            last -= 1
        end = max(word.start, min(word.end, last / 100))
        ended.append(Word(word.text, float(word.start), float(end)))
    return ended


def _fill_gaps(times: list[float | None], last: float) -> list[float]:
    """Times with the missing ones set halfway between their neighbours."""
    filled: list[float] = []
    for index, value in enumerate(times):
        if value is not None:
            filled.append(value)
            continue
        before = filled[-1] if filled else 0.0
        after = next((t for t in times[index + 1 :] if t is not None), last)
        filled.append((before + after) / 2)
    return filled


def _spoken_groups(phones: list[Phone]) -> list[tuple[float, float]]:
    """(start, end) of each run of spoken phonemes between word boundaries and pauses."""
    groups: list[tuple[float, float]] = []
    start: float | None = None
    end = 0.0
    for phone in phones:
        if _BOUNDARY.match(phone.symbol) or phone.symbol in ("^", "$", "_"):
            if start is not None:
                groups.append((start, end))
                start = None
            continue
        if start is None:
            start = phone.start
        end = phone.end
    if start is not None:
        groups.append((start, end))
    return groups


def _spoken_time(groups: list[tuple[float, float]], offset: float) -> float:
    """The clock time at ``offset`` seconds of speech, skipping the pauses between groups."""
    for start, end in groups:
        if offset <= end - start:
            return start + offset
        offset -= end - start
    return groups[-1][1]


def write_wav(speech: Speech, path: Path) -> Path:
    """16-bit mono PCM WAV of the speech (what ffmpeg and the browser read)."""
    import wave

    pcm = np.clip(speech.audio * 32767.0, -32768, 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(speech.sample_rate)
        wav.writeframes(pcm.tobytes())
    return path
