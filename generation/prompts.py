"""Prompt analysis shared by every pipeline: the words, the camera move, style and mood.

It is deliberately plain word matching. Engines that understand more (the embedded model's own
vocabulary) parse the prompt again in their own package; this module only finds what every
engine can use, chiefly the camera move that the camera-motion engine obeys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from generation.styles import style_in_prompt

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


# Where a thing travels, said with places: "from left to right", "from the top to the bottom",
# "left to right", "toward the top", "enters from the left". Each place is a direction of travel.
PLACES = {
    "left": "left",
    "right": "right",
    "top": "up",
    "bottom": "down",
    "ceiling": "up",
    "sky": "up",
    "floor": "down",
    "ground": "down",
}
OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up"}
_TOWARD = _words("to toward towards into till until onto")
# Words between a preposition and its place, or after the place: "from the far left edge".
_PLACE_FILLER = _words("the a far very side edge corner end of screen frame picture its")
# How fast or how much, which a prompt may say and an engine may have no control for:
# "slowly", "fast", "a bit", "a little bigger", "gets much bigger".
SPEED_WORDS = _words(
    "slowly slow gently gradually steadily leisurely lazily softly smoothly fast quickly quick "
    "rapidly swiftly speedily briskly suddenly"
)
AMOUNT_WORDS = _words("slightly somewhat much lot bit barely hardly really extremely")
_AMOUNT_PHRASES = (
    ("a", "little", "bit"),
    ("a", "tiny", "bit"),
    ("little", "by", "little"),
    ("bit", "by", "bit"),
    ("a", "bit"),
    ("a", "lot"),
)


def heading(words: Sequence[str]) -> tuple[str | None, tuple[int, ...]]:
    """The direction of travel that places in ``words`` say, and the positions that say it.

    ``words`` are lower-cased words in order (each caller's own tokens). "from X to Y" and
    "X to Y" head for Y; "from X" alone heads away from X; "toward Y" heads for Y. The
    direction is one of left, right, up, down (None when no place phrase names one).
    """
    for i, word in enumerate(words):
        if word == "from" or (word in PLACES and _next_word(words, i + 1, {"to"})):
            start, origin = (i, _place_after(words, i + 1)) if word == "from" else (i, (i, word))
            if origin is None:
                continue
            j = origin[0] + 1
            while j < len(words) and words[j] in _PLACE_FILLER:
                j += 1
            if j < len(words) and words[j] in _TOWARD:
                destination = _place_after(words, j + 1)
                if destination is not None and PLACES[destination[1]] != PLACES[origin[1]]:
                    return PLACES[destination[1]], _with_tail(words, start, destination[0])
            if word == "from":  # "comes in from the left": away from where it starts
                return OPPOSITE[PLACES[origin[1]]], _with_tail(words, start, origin[0])
        elif word in _TOWARD:
            destination = _place_after(words, i + 1)
            if destination is not None:
                return PLACES[destination[1]], _with_tail(words, i, destination[0])
    return None, ()


_PLACE_TAIL = _words("side sides edge edges corner end")


def _with_tail(words: Sequence[str], start: int, end: int) -> tuple[int, ...]:
    """Positions start..end, and the "side" or "edge" after the place ("the right edge")."""
    while end + 1 < len(words) and words[end + 1] in _PLACE_TAIL:
        end += 1
    return tuple(range(start, end + 1))


def _next_word(words: Sequence[str], i: int, wanted: set[str]) -> bool:
    while i < len(words) and words[i] in _PLACE_FILLER:
        i += 1
    return i < len(words) and words[i] in wanted


def _place_after(words: Sequence[str], i: int) -> tuple[int, str] | None:
    """The first place word at or after ``i`` past fillers ("the far left"), with its index."""
    while i < len(words) and words[i] in _PLACE_FILLER:
        i += 1
    return (i, words[i]) if i < len(words) and words[i] in PLACES else None


def intensifiers(words: Sequence[str]) -> list[tuple[str, tuple[int, ...]]]:
    """How fast or how much the words say ("slowly", "a bit"), each with its positions.

    "a little" counts only before a comparative or an "-ly" word ("a little bigger"); before a
    noun it is a size ("a little ball").
    """
    words = list(words)
    found: list[tuple[str, tuple[int, ...]]] = []
    used: set[int] = set()
    for i in range(len(words)):
        for phrase in _AMOUNT_PHRASES:
            span = tuple(range(i, i + len(phrase)))
            if tuple(words[i : i + len(phrase)]) == phrase and not used & set(span):
                found.append((" ".join(phrase), span))
                used |= set(span)
        if words[i : i + 2] == ["a", "little"] and not used & {i, i + 1}:
            after = words[i + 2] if i + 2 < len(words) else ""
            if after.endswith(("er", "ly")) or after in SPEED_WORDS or not after:
                found.append(("a little", (i, i + 1)))
                used |= {i, i + 1}
        if i not in used and (words[i] in SPEED_WORDS or words[i] in AMOUNT_WORDS):
            found.append((words[i], (i,)))
            used.add(i)
    return sorted(found, key=lambda item: item[1])


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
    style: str | None = None  # the style preset the prompt names ("anime"), or None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready copy (lists, not tuples) for a result's details."""
        return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(self).items()}


def tokenize(text: str) -> tuple[str, ...]:
    """Lower-cased words: letters and digits, keeping inner hyphens and apostrophes."""
    return tuple(_WORD.findall(text.lower()))


_PANS = re.compile(rf"^(?:{_SIDEWAYS}|{_UPDOWN})$")


def camera_motion(text: str) -> str | None:
    """The first camera move the text names, in the order of _CAMERA_PHRASES; None if none.

    A pan said with places ("pans from left to right", "tilts toward the top") heads where
    they say.
    """
    words = tokenize(text)
    lowered = " ".join(words)
    earliest: tuple[int, int, str] | None = None  # (position in text, rule index, motion)
    direction, said = heading(words)
    pans = [k for k in range(said[0] if said else 0) if _PANS.match(words[k])]
    if direction is not None and pans:
        start = len(" ".join(words[: pans[-1]])) + (1 if pans[-1] else 0)  # in ``lowered``
        earliest = (start, -1, f"pan-{direction}")
    for index, (motion, pattern) in enumerate(_CAMERA_PHRASES):
        match = re.search(rf"\b(?:{pattern})\b", lowered)
        if match and (earliest is None or (match.start(), index) < earliest[:2]):
            earliest = (match.start(), index, motion)
    return earliest[2] if earliest else None


def analyse(prompt: str) -> PromptAnalysis:
    """Split the prompt into words and find its camera move, style and mood words, and the
    style preset it names."""
    tokens = tokenize(prompt)
    return PromptAnalysis(
        tokens=tokens,
        camera_motion=camera_motion(prompt),
        styles=tuple(dict.fromkeys(t for t in tokens if t in STYLE_WORDS)),
        moods=tuple(dict.fromkeys(t for t in tokens if t in MOOD_WORDS)),
        style=style_in_prompt(prompt),
    )


# A scene's sentence read as a shot: who, doing what, where, in which mood ---------------------

# Words that carry no picture: articles, pronouns, auxiliaries, conjunctions.
_FILLER = _words(
    "a an the this that these those it its it's they them their there here we our us you your "
    "i me my he him his she her is are was were be been being am do does did has have had will "
    "would can could should may might must shall not no so and or but if then than as of to "
    "for with from by about into onto just also very really more most much many some any all "
    "every each what which who whom whose when where why how let's lets"
)
_PREPOSITIONS = ("in", "at", "on", "inside", "across", "over", "under", "near", "through", "by")
# Verbs a marketing script leans on, in the forms it writes them; "-ing" words count too.
_VERBS = _words(
    "make makes build builds help helps show shows run runs grow grows save saves ship ships "
    "use uses work works bring brings turn turns start starts launch launches meet meets "
    "join joins create creates deliver delivers offer offers give gives get gets find finds "
    "see sees move moves share shares sell sells buy buys cook cooks walk walks fly flies "
    "drive drives swim swims talk talks write writes plan plans learn learns open opens "
    "serve serves bake bakes sing sings dance dances play plays"
)
_NOT_ACTIONS = _words(
    "thing something nothing anything everything morning evening ring king spring"
)
_INFERRED_MOODS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "energetic",
        _words("new launch launches fast faster quick win wins grow grows big today now"),
    ),
    ("calm", _words("trust safe secure care simple easy quiet relax rest gentle")),
    ("elegant", _words("premium luxury craft crafted design designed beautiful")),
)
DEFAULT_MOOD = "bright"


@dataclass(frozen=True)
class SceneAnalysis:
    """A sentence read as a shot, by plain word matching: each part may be empty."""

    subject: str  # who or what the shot shows: "a small bakery"
    action: str  # what it does: "opens"
    setting: str  # where: "in the old town"
    mood: str  # one word: a mood word the text uses, else one inferred from its words

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def analyse_scene(text: str) -> SceneAnalysis:
    """Find the subject, action, setting and mood of a scene's sentence."""
    words = tokenize(text)
    action_at = next(
        (
            i
            for i, w in enumerate(words)
            if w in _VERBS or (i > 0 and w.endswith("ing") and len(w) > 4 and w not in _NOT_ACTIONS)
        ),
        None,
    )
    setting_at = next((i for i, w in enumerate(words) if w in _PREPOSITIONS and i > 0), None)
    before = words[: min(i for i in (action_at, setting_at, len(words)) if i is not None)]
    content = [w for w in before if w not in _FILLER]
    # "We help teams ...": nothing stands before the verb, so the first word after it does.
    subject = " ".join(content[-3:]) or next(
        (w for i, w in enumerate(words) if w not in _FILLER and i != action_at), ""
    )
    action = words[action_at] if action_at is not None else ""
    setting = ""
    if setting_at is not None:
        phrase: list[str] = [words[setting_at]]
        for word in words[setting_at + 1 : setting_at + 6]:
            if word in _PREPOSITIONS or (word in _FILLER and word not in {"the", "a", "an", "our"}):
                break
            phrase.append(word)
        setting = " ".join(phrase) if len(phrase) > 1 else ""
    found = [w for w in words if w in MOOD_WORDS]
    mood = found[0] if found else _inferred_mood(words, text)
    return SceneAnalysis(subject=subject, action=action, setting=setting, mood=mood)


def _inferred_mood(words: tuple[str, ...], text: str) -> str:
    if "!" in text:
        return "energetic"
    for mood, cues in _INFERRED_MOODS:
        if any(w in cues for w in words):
            return mood
    return DEFAULT_MOOD


def scene_prompt(analysis: SceneAnalysis) -> str:
    """A text-to-video prompt built from a scene's analysis (editable on the page)."""
    shot = " ".join(p for p in (analysis.subject, analysis.action, analysis.setting) if p)
    return f"{shot or 'an abstract background'}, {analysis.mood} mood, cinematic, soft light"
