"""The voices speak and say when each phoneme and word is heard (real Piper, real eSpeak NG)."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from generation.avatar import tts

SCRIPT = "Hello Maya. We make videos for your team."


def _voiced(speech: tts.Speech) -> np.ndarray:
    """Per 10 ms, whether the audio is louder than 1/30 of its peak."""
    hop = speech.sample_rate // 100
    frames = speech.audio[: len(speech.audio) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames**2).mean(axis=1))
    return rms > rms.max() / 30


def test_it_lists_the_neural_voice_first_and_the_espeak_voices():
    """Piper's Joe comes first, then several eSpeak NG voices; all can speak on this install."""
    voices = tts.list_voices()
    assert [v.name for v in voices][:2] == ["joe", "espeak-en-us"]
    assert len([v for v in voices if v.backend == "espeak"]) >= 3
    assert all(v.available for v in voices), [v.reason for v in voices if not v.available]
    assert tts.default_voice() == "joe"


@pytest.mark.parametrize("voice", ["joe", "espeak-en-us"])
def test_a_voice_speaks_with_phonemes_and_words_in_order(voice):
    """Audio comes with phonemes that tile it in order and one timed entry per script word."""
    speech = tts.speak(SCRIPT, voice=voice)
    assert speech.sample_rate == 22050
    assert 1.5 < speech.duration < 6.0
    starts = [p.start for p in speech.phones]
    assert starts == sorted(starts)
    assert speech.phones[-1].end == pytest.approx(speech.duration, abs=0.05)
    assert [w.text for w in speech.words] == SCRIPT.split()
    assert all(a.start <= b.start for a, b in zip(speech.words, speech.words[1:], strict=False))
    # "Maya" starts with M: a closure just after the first word, not at the start of the audio.
    assert 0.15 < speech.words[1].start < speech.duration / 2


@pytest.mark.parametrize("voice", ["joe", "espeak-en-us"])
def test_the_words_are_heard_when_the_timings_say(voice):
    """Inside the timed words the audio is mostly voiced; the gap after a sentence is quiet."""
    speech = tts.speak(SCRIPT, voice=voice)
    voiced = _voiced(speech)
    inside = np.zeros_like(voiced)
    for word in speech.words:
        inside[int(word.start * 100) : int(word.end * 100)] = True
    assert voiced[inside].mean() > 0.7
    assert (~inside).sum() >= 10  # at least the pause after "Maya." is outside every word
    assert voiced[~inside].mean() < 0.5


@pytest.mark.parametrize("voice", ["joe", "espeak-en-gb"])
def test_speed_changes_how_long_it_takes(voice):
    """Speed 1.6 says the same script in clearly less time than speed 0.8."""
    slow = tts.speak(SCRIPT, voice=voice, speed=0.8)
    fast = tts.speak(SCRIPT, voice=voice, speed=1.6)
    assert fast.duration < 0.75 * slow.duration


def test_espeak_voices_sound_different():
    """The higher eSpeak voice speaks about an octave above the default one."""

    def pitch(audio: np.ndarray, rate: int = 22050) -> float:
        """Median pitch of the loud 46 ms frames, from their autocorrelation (70..400 Hz)."""
        found = []
        for i in range(0, len(audio) - 1024, 512):
            frame = audio[i : i + 1024]
            if np.abs(frame).max() < 0.1:
                continue
            ac = np.correlate(frame, frame, "full")[1023:]
            lo, hi = rate // 400, rate // 70
            found.append(rate / (lo + int(np.argmax(ac[lo:hi]))))
        return float(np.median(found))

    low = pitch(tts.speak(SCRIPT, voice="espeak-en-us").audio)
    high = pitch(tts.speak(SCRIPT, voice="espeak-en-us-f").audio)
    assert high > 1.5 * low


def test_it_refuses_an_unknown_voice_and_a_bad_speed():
    """An unknown voice names the choices; a speed outside 0.5..2 says the range."""
    with pytest.raises(ValueError, match="Unknown voice 'robot'; choose one of: joe, espeak-en-us"):
        tts.speak("Hi", voice="robot")
    with pytest.raises(ValueError, match=r"use 0\.5 to 2\.0"):
        tts.speak("Hi", voice="joe", speed=3)


def test_it_writes_a_playable_wav(tmp_path):
    """The WAV is 16-bit mono at the voice's rate, as long as the speech."""
    speech = tts.speak("Thank you.", voice="espeak-en-us")
    path = tts.write_wav(speech, tmp_path / "v.wav")
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        assert wav.getnframes() == len(speech.audio)


def test_the_neural_voice_says_the_same_script_the_same_way_every_time():
    """With Joe, what 'Play voice' lets a user hear is exactly what the video says."""
    first = tts.speak(SCRIPT, voice="joe")
    second = tts.speak(SCRIPT, voice="joe")
    assert np.array_equal(first.audio, second.audio)
    assert first.words == second.words


def test_espeak_is_initialised_once_when_many_threads_ask_at_once():
    """Web processes ask from a thread per request: eSpeak NG's global state is set up once,
    under a lock, and the process neither crashes nor initialises it twice."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import threading
        from generation.avatar import tts, tts_espeak
        start = threading.Barrier(8)
        def ask():
            start.wait()
            assert tts_espeak.missing() == ""
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        assert tts.speak("Hello.", voice="espeak-en-us").duration > 0.2
        print(tts_espeak._load_library.cache_info().misses)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "1"
