"""Captions: cues from word timings, WebVTT and SRT files, and burned-in text."""

from __future__ import annotations

import itertools

import numpy as np

from generation.avatar import captions
from generation.avatar.tts import Word


def _words(text: str, step: float = 0.3) -> list[Word]:
    return [Word(w, i * step, i * step + step * 0.8) for i, w in enumerate(text.split())]


def test_cues_end_at_sentences_and_stay_short():
    """A sentence's end ends a cue; no cue is longer than the limit in characters."""
    words = _words("Hi Ana! We make short videos that your customers will love to watch again.")
    cues = captions.cues(words)
    assert cues[0].text == "Hi Ana!"
    assert all(len(c.text) <= captions.MAX_CUE_CHARS for c in cues)
    assert " ".join(c.text for c in cues) == " ".join(w.text for w in words)
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(cues))


def test_a_long_sentence_is_cut_evenly_without_a_lone_word():
    """'... your customers will love.' is two cues of similar length, not one and 'love.'."""
    cues = captions.cues(_words("We make short videos your customers will love."))
    assert [c.text for c in cues] == ["We make short videos your", "customers will love."]


def test_it_writes_webvtt_and_srt(tmp_path):
    """Both formats carry the same cues with their own time notation."""
    cues = captions.cues(_words("Hello there. Book a call today."))
    vtt = captions.write_vtt(cues, tmp_path / "a.vtt").read_text()
    srt = captions.write_srt(cues, tmp_path / "a.srt").read_text()
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:00.600\nHello there.\n")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:00,600\nHello there.\n\n2\n00:00:00,600 -->")


def test_a_webvtt_file_reads_back_as_its_cues_and_becomes_the_same_srt(tmp_path):
    """read_vtt undoes write_vtt, so SRT made from a stored WebVTT matches write_srt's."""
    cues = [
        captions.Cue("Fresh bread.", 0.25, 1.5),
        captions.Cue("Every hour, all day.", 1.5, 3.04),
    ]
    vtt = captions.write_vtt(cues, tmp_path / "a.vtt").read_text()
    assert captions.read_vtt(vtt) == cues
    assert captions.srt_text(captions.read_vtt(vtt)) == (
        captions.write_srt(cues, tmp_path / "a.srt").read_text()
    )
    assert captions.srt_text(cues).splitlines()[:2] == ["1", "00:00:00,250 --> 00:00:01,500"]


def test_burned_captions_show_only_during_their_cue():
    """White text on a dark band near the bottom while the cue is on, nothing after it."""
    cues = captions.cues(_words("Hello there."))
    burner = captions.Burner(cues, width=512, height=512)
    frame = np.full((512, 512, 3), 128, np.uint8)
    shown = burner.apply(frame, 0.2)
    bottom = shown[400:490]
    assert (bottom.min(axis=-1) > 240).sum() > 200  # white letters
    assert (bottom.max(axis=-1) < 80).sum() > 200  # their outline and the band
    assert np.array_equal(shown[:380], frame[:380])
    assert np.array_equal(burner.apply(frame, 5.0), frame)
