"""The embedded model's world and the prompt analysis that maps free English onto it.

The denoiser is conditioned on five attributes (shape, colour, background, size, motion).
``understand`` reads a free prompt (any word order, synonyms, plurals, case, extra words)
and returns which value of each attribute it found, plus the words it did not understand,
so the studio can show the user what the model will act on. Training captions go through
the same function, so the path prompt -> analysis -> embeddings is the one that was trained.
"""

from __future__ import annotations

import re
from typing import TypedDict

from generation.prompts import heading, intensifiers

SHAPES = ("circle", "square", "triangle", "star")
COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "white")
BACKGROUNDS = ("black", "gray", "white", "blue", "green", "red")
SIZES = ("small", "medium", "large")
MOTIONS = ("right", "left", "up", "down", "bounce", "grow", "shrink", "spin")

# Each attribute is fed to the model as an index; 0 means "the prompt did not say".
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "shape": SHAPES,
    "colour": COLOURS,
    "background": BACKGROUNDS,
    "size": SIZES,
    "motion": MOTIONS,
}

SHAPE_WORDS = {
    "circle": "circle",
    "ball": "circle",
    "disc": "circle",
    "disk": "circle",
    "dot": "circle",
    "orb": "circle",
    "sphere": "circle",
    "square": "square",
    "box": "square",
    "block": "square",
    "cube": "square",
    "tile": "square",
    "triangle": "triangle",
    "pyramid": "triangle",
    "wedge": "triangle",
    "star": "star",
}
COLOUR_WORDS = {
    "red": "red",
    "crimson": "red",
    "scarlet": "red",
    "green": "green",
    "lime": "green",
    "blue": "blue",
    "navy": "blue",
    "azure": "blue",
    "yellow": "yellow",
    "golden": "yellow",
    "gold": "yellow",
    "purple": "purple",
    "violet": "purple",
    "magenta": "purple",
    "orange": "orange",
    "amber": "orange",
    "white": "white",
    "snow": "white",
    "black": "black",
    "dark": "black",
    "gray": "gray",
    "grey": "gray",
    "silver": "gray",
}
SIZE_WORDS = {
    "small": "small",
    "little": "small",
    "tiny": "small",
    "mini": "small",
    "miniature": "small",
    "medium": "medium",
    "mid": "medium",
    "midsized": "medium",
    "average": "medium",
    "normal": "medium",
    "regular": "medium",
    "moderate": "medium",
    "large": "large",
    "big": "large",
    "huge": "large",
    "giant": "large",
    "enormous": "large",
    "massive": "large",
}
# A verb of travel needs a direction; these words carry one by themselves.
DIRECTION_WORDS = {
    "right": "right",
    "rightward": "right",
    "rightwards": "right",
    "east": "right",
    "left": "left",
    "leftward": "left",
    "leftwards": "left",
    "west": "left",
    "up": "up",
    "upward": "up",
    "upwards": "up",
    "north": "up",
    "down": "down",
    "downward": "down",
    "downwards": "down",
    "south": "down",
}
MOTION_VERBS = {
    "rise": "up",
    "climb": "up",
    "ascend": "up",
    "lift": "up",
    "fall": "down",
    "sink": "down",
    "drop": "down",
    "descend": "down",
    "bounce": "bounce",
    "hop": "bounce",
    "jump": "bounce",
    "bob": "bounce",
    "grow": "grow",
    "expand": "grow",
    "enlarge": "grow",
    "swell": "grow",
    "inflate": "grow",
    "shrink": "shrink",
    "contract": "shrink",
    "deflate": "shrink",
    "dwindle": "shrink",
    "spin": "spin",
    "rotate": "spin",
    "twirl": "spin",
    "whirl": "spin",
    "revolve": "spin",
}
# "gets bigger", "becoming smaller": a change verb followed by a comparative.
CHANGE_VERBS = {"get", "become", "turn", "grow"}
COMPARATIVES = {
    "bigger": "grow",
    "larger": "grow",
    "wider": "grow",
    "smaller": "shrink",
    "tinier": "shrink",
    "narrower": "shrink",
}
TRAVEL_VERBS = {
    "move",
    "slide",
    "drift",
    "glide",
    "travel",
    "go",
    "roll",
    "fly",
    "run",
    "float",
    "head",
    "pan",
    "shift",
    "scroll",
    "race",
    "zoom",
    "walk",
    "swim",
    "cross",
    "sail",
    "creep",
    "dash",
    "enter",
    "come",
    "pass",
}
BACKGROUND_NOUNS = {"background", "backdrop", "bg", "canvas", "screen", "field", "scene", "wall"}
BACKGROUND_PREPOSITIONS = {"on", "against", "over", "across", "before", "onto", "upon"}
# Grammar words that carry no attribute; they are neither acted on nor reported as unknown.
FUNCTION_WORDS = {
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "at",
    "to",
    "and",
    "with",
    "that",
    "which",
    "who",
    "is",
    "are",
    "it",
    "its",
    "it's",
    "there",
    "this",
    "these",
    "those",
    "one",
    "some",
    "as",
    "by",
    "from",
    "into",
    "onto",
    "over",
    "against",
    "across",
    "while",
    "then",
    "be",
    "being",
    "very",
    "around",
    "about",
    "front",
    "behind",
    "middle",
    "center",
    "centre",
    "frame",
    "video",
    "clip",
    "shape",
    "shaped",
    "object",
    "thing",
    "coloured",
    "colored",
    "colour",
    "color",
    "sized",
    "size",
    "show",
    "showing",
    "shows",
    "watch",
    "see",
    "animation",
    "animated",
    "please",
    "make",
    "where",
    "for",
    "like",
    "look",
    "looks",
    "so",
    "all",
    "way",
    "side",
    "other",
    "toward",
    "towards",
    "direction",
    "upon",
    "before",
    "background",
    "backdrop",
    "bg",
} | BACKGROUND_NOUNS


class Understanding(TypedDict):
    shape: str | None
    colour: str | None
    background: str | None
    size: str | None
    motion: str | None
    unknown_words: list[str]  # words it did not understand
    # Words it understood but the model has no control for: how fast or how much ("slowly",
    # "a bit"); the page names them so the user knows they changed nothing.
    not_used: list[str]


def _lemma(word: str) -> str:
    """Fold plurals and verb forms onto the vocabulary's base words ("boxes" -> "box")."""
    known = (
        SHAPE_WORDS.keys()
        | COLOUR_WORDS.keys()
        | SIZE_WORDS.keys()
        | DIRECTION_WORDS.keys()
        | MOTION_VERBS.keys()
        | CHANGE_VERBS
        | COMPARATIVES.keys()
        | TRAVEL_VERBS
        | FUNCTION_WORDS
    )
    if word in known:
        return word
    irregular = {
        "rose": "rise",
        "risen": "rise",
        "fell": "fall",
        "fallen": "fall",
        "sank": "sink",
        "grew": "grow",
        "grown": "grow",
        "shrank": "shrink",
        "shrunk": "shrink",
        "spun": "spin",
        "flew": "fly",
        "went": "go",
        "goes": "go",
        "gets": "get",
        "got": "get",
        "getting": "get",
        "became": "become",
        "ran": "run",
        "running": "run",
        "spinning": "spin",
        "dropping": "drop",
        "hopping": "hop",
        "swimming": "swim",
        "bobbing": "bob",
        "bobbed": "bob",
        "boxes": "box",
        "discs": "disc",
    }
    if word in irregular:
        return irregular[word]
    for suffix, replacement in (
        ("ies", "y"),
        ("ing", ""),
        ("ing", "e"),
        ("es", ""),
        ("es", "e"),
        ("ed", ""),
        ("ed", "e"),
        ("d", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            stem = word[: -len(suffix)] + replacement
            if stem in known:
                return stem
    return word


def _tokens(prompt: str) -> list[str]:
    text = prompt.lower().replace("-", " ").replace("mid sized", "midsized")
    return [_lemma(w) for w in re.findall(r"[a-z']+", text)]


def understand(prompt: str) -> Understanding:
    """What the prompt analysis understood: one value per attribute (or None) and unknown words."""
    words = _tokens(prompt)
    used = [False] * len(words)
    found: dict[str, str | None] = dict.fromkeys(ATTRIBUTES)

    def take(i: int) -> None:
        used[i] = True

    # 0. How fast or how much: understood, and named as not used ("a little" is no size here).
    not_used = []
    for phrase, positions in intensifiers(words):
        not_used.append(phrase)
        for j in positions:
            take(j)

    # 1. Motion: "up and down" is a bounce; places say where it travels ("from left to right");
    # "gets bigger" is a growth; a travel verb needs a direction.
    for i, w in enumerate(words):
        if w == "up" and words[i + 1 : i + 3] == ["and", "down"]:
            found["motion"] = "bounce"
            for j in (i, i + 1, i + 2):
                take(j)
    if found["motion"] is None:
        direction, said = heading([w if not used[i] else "" for i, w in enumerate(words)])
        if direction is not None:
            found["motion"] = direction
            for j in said:
                take(j)
    for i, w in enumerate(words):
        if used[i]:
            continue
        if w in COMPARATIVES and found["motion"] is None:
            found["motion"] = COMPARATIVES[w]
            take(i)
            if i > 0 and words[i - 1] in CHANGE_VERBS:
                take(i - 1)
        elif w in MOTION_VERBS and found["motion"] is None:
            found["motion"] = MOTION_VERBS[w]
            take(i)
            # "rises up", "falls down": the direction word only repeats the verb.
            if i + 1 < len(words) and words[i + 1] in DIRECTION_WORDS:
                take(i + 1)
    for i, w in enumerate(words):
        if not used[i] and w in DIRECTION_WORDS and found["motion"] is None:
            found["motion"] = DIRECTION_WORDS[w]
            take(i)
    for i, w in enumerate(words):
        if used[i] or found["motion"] is None:
            continue
        # Travel verbs, and words that repeat the motion already found ("jumps up and down").
        if w in TRAVEL_VERBS | CHANGE_VERBS or found["motion"] in (
            MOTION_VERBS.get(w),
            DIRECTION_WORDS.get(w),
            COMPARATIVES.get(w),
        ):
            take(i)

    # 2. Background: a colour next to a background noun, or after "on"/"against".
    for i, w in enumerate(words):
        if w not in COLOUR_WORDS or found["background"] is not None:
            continue
        after = words[i + 1] if i + 1 < len(words) else ""
        before = [x for x in words[max(0, i - 3) : i] if x not in {"a", "an", "the"}]
        if after in BACKGROUND_NOUNS or (before and before[-1] in BACKGROUND_PREPOSITIONS):
            colour = COLOUR_WORDS[w]
            if colour in BACKGROUNDS:
                found["background"] = colour
                take(i)
    # "... and the background is blue"
    for i, w in enumerate(words):
        if (
            w in BACKGROUND_NOUNS
            and found["background"] is None
            and words[i + 1 : i + 2]
            in (
                ["is"],
                ["of"],
                ["in"],
            )
        ):
            j = i + 2
            if (
                j < len(words)
                and words[j] in COLOUR_WORDS
                and COLOUR_WORDS[words[j]] in BACKGROUNDS
            ):
                found["background"] = COLOUR_WORDS[words[j]]
                take(j)

    # 3. Shape, object colour and size: the first remaining word of each kind.
    for i, w in enumerate(words):
        if used[i]:
            continue
        if w in SHAPE_WORDS and found["shape"] is None:
            found["shape"] = SHAPE_WORDS[w]
            take(i)
        elif w in COLOUR_WORDS and found["colour"] is None and COLOUR_WORDS[w] in COLOURS:
            found["colour"] = COLOUR_WORDS[w]
            take(i)
        elif w in SIZE_WORDS and found["size"] is None:
            found["size"] = SIZE_WORDS[w]
            take(i)

    unknown = [
        w
        for i, w in enumerate(words)
        if not used[i] and w not in FUNCTION_WORDS and w not in TRAVEL_VERBS
    ]
    return Understanding(
        shape=found["shape"],
        colour=found["colour"],
        background=found["background"],
        size=found["size"],
        motion=found["motion"],
        unknown_words=list(dict.fromkeys(unknown)),
        not_used=list(dict.fromkeys(not_used)),
    )


def attribute_indices(understood: Understanding) -> list[int]:
    """The model's conditioning: per attribute, 1 + the value's index, or 0 when unsaid."""
    indices = []
    for name, values in ATTRIBUTES.items():
        value = understood[name]  # type: ignore[literal-required]
        indices.append(0 if value is None else 1 + values.index(value))
    return indices
