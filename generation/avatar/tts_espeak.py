"""The eSpeak NG backend of tts.py: formant synthesis through libespeak-ng's C API.

The library and its data come with ``espeakng-loader``; Debian's ``libespeak-ng1`` is used if
that is missing. Its phoneme events carry each phoneme's start in the audio it made, and its word
events each word's character offset.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np

from generation.avatar.speech import Phone, VoiceUnavailable

# (name, label, eSpeak voice and variant). Variants change the formants, so these sound like
# different people; all speak English.
VOICES = (
    ("espeak-en-us", "eSpeak NG: US English", "en-us"),
    ("espeak-en-us-f", "eSpeak NG: US English, higher voice", "en-us+f3"),
    ("espeak-en-gb", "eSpeak NG: British English", "en"),
)

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
_lock = threading.Lock()  # the library holds one global state


def _paths() -> tuple[str, str | None]:
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


def missing() -> str:
    """Why eSpeak NG cannot speak here ("" when it can)."""
    try:
        _library()
    except (VoiceUnavailable, OSError) as exc:
        return str(exc)
    return ""


def _library() -> tuple[ctypes.CDLL, int]:
    """The library, initialised once. Under the lock: two threads of a web process asking at
    once (two editor pages) would initialise its global state twice, which corrupts the heap."""
    with _lock:
        return _load_library()


@functools.cache
def _load_library() -> tuple[ctypes.CDLL, int]:
    """The library, initialised for synchronous synthesis with IPA phoneme events."""
    path, data = _paths()
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


def speak(
    text: str, voice: str, speed: float
) -> tuple[np.ndarray, int, list[Phone], list[tuple[int, float]]]:
    """(audio, sample rate, phones, word starts) of ``text`` in eSpeak ``voice`` at ``speed``;
    a word start is (character offset in ``text``, seconds)."""
    lib, rate = _library()
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
    with _lock:
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
