"""Prompt analysis shared by every pipeline: the words, the camera move, style and mood.

It is deliberately plain word matching. Engines that understand more (the embedded model's own
vocabulary) parse the prompt again in their own package; this module only finds what every
engine can use, chiefly the camera move that the camera-motion engine obeys.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

CAMERA_MOTIONS = ("zoom-in", "zoom-out", "pan-left", "pan-right", "pan-up", "pan-down", "parallax")

# Phrases people write for each move, matched on whole words in the lower-cased prompt. Longer,
# more specific phrases come first so "dolly out" is not read as "dolly" (= in).
_SIDEWAYS = (
    r"(?:pan(?:s|ning)?|slid(?:e|es|ing)|track(?:s|ing)?|truck(?:s|ing)?"
    r"|mov(?:e|es|ing)|drift(?:s|ing)?)"
)
_UPDOWN = (
    r"(?:pan(?:s|ning)?|tilt(?:s|ing)?|slid(?:e|es|ing)|mov(?:e|es|ing)|drift(?:s|ing)?"
    r"|crane(?:s|ing)?)"
)
_CAMERA_PHRASES: tuple[tuple[str, str], ...] = (
    (
        "zoom-out",
        r"zoom(?:s|ing|ed)? out|pull(?:s|ing)? (?:back|out)|dolly(?:ing)? out|widen(?:s|ing)?",
    ),
    ("zoom-in", r"zoom(?:s|ing|ed)? in|push(?:es|ing)? in|push-in|dolly(?:ing)? in"),
    ("zoom-in", r"mov(?:e|es|ing) closer|zoom(?:s|ing)?|dolly"),
    ("pan-left", rf"{_SIDEWAYS} (?:to the )?left|leftwards?"),
    ("pan-right", rf"{_SIDEWAYS} (?:to the )?right|rightwards?"),
    ("pan-up", rf"{_UPDOWN} up(?:wards?)?|upwards?"),
    ("pan-down", rf"{_UPDOWN} down(?:wards?)?|downwards?"),
    ("parallax", r"parallax|depth effect"),
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STYLE_WORDS = _words(
    "cinematic photorealistic realistic photo photograph film documentary anime cartoon "
    "illustration watercolor painting sketch 3d render clay minimalist vintage retro "
    "noir neon studio macro aerial drone bokeh hdr pixel"
)
MOOD_WORDS = _words(
    "calm serene peaceful happy joyful cheerful playful energetic dramatic dark moody "
    "mysterious romantic warm cozy cold gloomy epic tense sad melancholic bright vibrant "
    "dreamy elegant luxurious bold fresh"
)

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


@dataclass(frozen=True)
class PromptAnalysis:
    """What the words of a prompt ask for, as far as plain matching can tell."""

    tokens: tuple[str, ...]  # lower-cased words in order, punctuation dropped
    camera_motion: str | None  # one of CAMERA_MOTIONS, or None when the prompt names no move
    styles: tuple[str, ...]  # style words found ("cinematic", "watercolor", ...)
    moods: tuple[str, ...]  # mood words found ("calm", "dramatic", ...)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready copy (lists, not tuples) for a result's details."""
        return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(self).items()}


def tokenize(text: str) -> tuple[str, ...]:
    """Lower-cased words: letters and digits, keeping inner hyphens and apostrophes."""
    return tuple(_WORD.findall(text.lower()))


def camera_motion(text: str) -> str | None:
    """The first camera move the text names, in the order of _CAMERA_PHRASES; None if none."""
    lowered = " ".join(tokenize(text))
    earliest: tuple[int, int, str] | None = None  # (position in text, rule index, motion)
    for index, (motion, pattern) in enumerate(_CAMERA_PHRASES):
        match = re.search(rf"\b(?:{pattern})\b", lowered)
        if match and (earliest is None or (match.start(), index) < earliest[:2]):
            earliest = (match.start(), index, motion)
    return earliest[2] if earliest else None


def analyse(prompt: str) -> PromptAnalysis:
    """Split the prompt into words and find its camera move, style and mood words."""
    tokens = tokenize(prompt)
    return PromptAnalysis(
        tokens=tokens,
        camera_motion=camera_motion(prompt),
        styles=tuple(dict.fromkeys(t for t in tokens if t in STYLE_WORDS)),
        moods=tuple(dict.fromkeys(t for t in tokens if t in MOOD_WORDS)),
    )
