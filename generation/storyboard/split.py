"""A script or an article (plain text or Markdown) split into scene drafts.

One scene per paragraph; a paragraph whose voice would run past MAX_SCENE_VOICE_SECONDS is split
at sentence ends (at clause ends, then between words, when one sentence is that long); a heading
becomes a title card; a list is read item by item; a quote is read as its words. Markdown markup
is stripped from what the voice reads; code blocks, images and rules have nothing to say and are
left out. A pure function: no voice is made, the duration is estimated from the word count.

Example::

    drafts = split_script("# Spring menu\\n\\nOur bakery opens at seven in the old town.")
    [(d.kind, d.on_screen_text) for d in drafts]  # [("title", "Spring menu"), ("scene", ...)]
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

from generation.limits import MAX_SPEED, MAX_STORYBOARD_CHARS, MIN_SPEED
from generation.prompts import SceneAnalysis, analyse_scene, scene_prompt

DraftKind = Literal["title", "scene"]

# The voices speak about 190 words a minute at speed 1 (measured on the split's test articles:
# Piper's Joe 3.1 words/s, eSpeak NG 3.2); a scene's voice is estimated from its word count.
WORDS_PER_SECOND = 3.1
MAX_SCENE_VOICE_SECONDS = 12.0  # a scene longer than this loses the viewer: split it
SHORT_TEXT_SECONDS = 4.0  # a text shorter than this is one scene, unless it has headings
MAX_KEY_WORDS = 6  # the on-screen text: a phrase read at a glance

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
_KEY_FILLERS = re.compile(
    r"^(?:so|and|but|now|well|then|also|in fact|of course|today|here's how|here is how)[,\s]+",
    re.IGNORECASE,
)
_STOP_TAIL = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "and",
        "or",
        "but",
        "for",
        "with",
        "in",
        "on",
        "at",
        "by",
        "from",
        "our",
        "your",
        "their",
        "its",
        "is",
        "are",
        "that",
        "this",
    ]
)


@dataclass(frozen=True)
class SceneDraft:
    """One scene as the split proposes it; every text field is the user's to edit."""

    kind: DraftKind  # "title": a heading's card; "scene": a paragraph's (or part of one's)
    voiceover: str  # what the voice says: the sentences as written, Markdown markup removed
    on_screen_text: str  # a short key phrase taken from the voiceover
    analysis: SceneAnalysis  # what the words ask to be shown
    prompt: str  # the text-to-video prompt built from the analysis
    seconds: float  # the voice's estimated length at the chosen speed


@dataclass(frozen=True)
class _Block:
    kind: DraftKind
    sentences: list[str]
    source: str  # the block's first line as typed, to name it in an error


def split_script(text: str, *, speed: float = 1.0) -> list[SceneDraft]:
    """Split ``text`` into scene drafts; ValueError says what to change when it cannot be."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"The speed is {speed}; use {MIN_SPEED} to {MAX_SPEED}.")
    if not text.strip():
        raise ValueError("The script is empty: paste a script or an article.")
    if len(text) > MAX_STORYBOARD_CHARS:
        raise ValueError(
            f"The script is {len(text):,} characters; the limit is {MAX_STORYBOARD_CHARS:,}. "
            "Shorten it or split it into several storyboards."
        )
    blocks = _blocks(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not blocks:
        raise ValueError("The script has nothing to say: it holds only code, images or rules.")
    words = sum(len(s.split()) for b in blocks for s in b.sentences)
    titled = any(b.kind == "title" for b in blocks)  # a heading is the writer's own structure
    if _seconds(words, speed) <= SHORT_TEXT_SECONDS and not titled:
        return [_draft("scene", [s for b in blocks for s in b.sentences], speed)]
    drafts: list[SceneDraft] = []
    for block in blocks:
        if block.kind == "title":
            drafts.append(_draft("title", block.sentences, speed))
            continue
        for part in _parts(block.sentences, speed):
            drafts.append(_draft("scene", part, speed))
    return drafts


# Blocks: Markdown structure to paragraphs of plain sentences ----------------------------------


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    lines = text.split("\n")
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            blocks.append(_paragraph(paragraph))
            paragraph.clear()

    for index, line in enumerate(lines):
        if _FENCE.match(line):
            flush()
            in_fence = not in_fence
            continue
        if in_fence or (line.startswith(("    ", "\t")) and not paragraph):
            continue  # code is not read aloud
        following = lines[index + 1] if index + 1 < len(lines) else ""
        heading = _HEADING.match(line)
        if heading or (line.strip() and not paragraph and _SETEXT.match(following)):
            flush()
            title = heading.group(2) if heading else line
            blocks.append(_title(title, line))
            continue
        if _SETEXT.match(line) and blocks and blocks[-1].kind == "title" and not paragraph:
            continue  # the underline of a setext heading
        if not line.strip() or _RULE.match(line):
            flush()
            continue
        if _ITEM.match(line) and paragraph and not _ITEM.match(paragraph[-1]):
            flush()  # a list right under a paragraph starts its own scene
        paragraph.append(line)
    flush()
    return _join_lead_ins([b for b in blocks if b.sentences])


def _join_lead_ins(blocks: list[_Block]) -> list[_Block]:
    """A paragraph ending with a colon ("What you get:") belongs with what follows it."""
    joined: list[_Block] = []
    for block in blocks:
        before = joined[-1] if joined else None
        if before and before.kind == block.kind == "scene" and before.sentences[-1].endswith(":"):
            joined[-1] = _Block("scene", before.sentences + block.sentences, before.source)
        else:
            joined.append(block)
    return joined


def _title(text: str, source: str) -> _Block:
    plain = strip_markup(text)
    if not _has_words(plain):
        raise ValueError(f"The heading '{source.strip()}' has nothing to say; give it words.")
    return _Block("title", [plain], source)


def _paragraph(lines: list[str]) -> _Block:
    """A paragraph, a list or a quote, as sentences of plain text."""
    pieces: list[str] = []
    for line in lines:
        quote = _QUOTE.match(line)
        line = quote.group(1) if quote else line
        item = _ITEM.match(line)
        if item:
            # Each item is read as a sentence of its own, so the voice pauses between them.
            plain = strip_markup(item.group(1))
            if plain and plain[-1] not in ".!?:;":
                plain += "."
            pieces.append(f"\n{plain}")
        else:
            pieces.append(line)
    plain = re.sub(r"\s+", " ", strip_markup(" ".join(pieces).replace("\n", " "))).strip()
    source = lines[0].strip()
    if not plain:
        return _Block("scene", [], source)  # an image or a link with no text: nothing is read
    if not _has_words(plain):
        raise ValueError(f"The paragraph '{source[:60]}' has nothing to say; give it words.")
    return _Block("scene", sentences(plain), source)


def strip_markup(text: str) -> str:
    """Markdown's inline markup removed: what is left is what the voice reads."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their words
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> list[str]:
    """The text's sentences, each with its closing punctuation."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# Parts: sentences grouped so that no scene's voice runs past the limit --------------------------


def _seconds(words: int, speed: float) -> float:
    return words / (WORDS_PER_SECOND * speed)


def _parts(sentences_: list[str], speed: float) -> list[list[str]]:
    """Group sentences into as few parts as keep each under MAX_SCENE_VOICE_SECONDS, as even in
    length as the sentences allow (so a paragraph is not left with one short sentence alone)."""
    limit = MAX_SCENE_VOICE_SECONDS * WORDS_PER_SECOND * speed  # words
    units = [piece for s in sentences_ for piece in _pieces(s, limit)]
    sizes = [len(u.split()) for u in units]
    count = _fewest_parts(sizes, limit)
    cuts = _balanced_cuts(sizes, count)
    return [units[a:b] for a, b in itertools.pairwise([0, *cuts, len(units)])]


def _fewest_parts(sizes: list[int], limit: float) -> int:
    count, length = 1, 0
    for size in sizes:
        if length and length + size > limit:
            count, length = count + 1, 0
        length += size
    return count


def _balanced_cuts(sizes: list[int], count: int) -> list[int]:
    """Where to cut ``sizes`` into ``count`` runs so the longest run is as short as can be
    (the linear partition problem; a paragraph has few sentences, so O(n^2 k) is nothing)."""
    n = len(sizes)
    prefix = [0, *itertools.accumulate(sizes)]
    inf = float("inf")
    # best[k][i]: the longest run when the first i units make k runs; cut[k][i]: the last cut.
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    cut = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0
    for k in range(1, count + 1):
        for i in range(k, n + 1):
            for j in range(k - 1, i):
                longest = max(best[k - 1][j], prefix[i] - prefix[j])
                if longest < best[k][i]:
                    best[k][i], cut[k][i] = longest, j
    cuts: list[int] = []
    i = n
    for k in range(count, 1, -1):
        i = cut[k][i]
        cuts.append(i)
    return sorted(cuts)


def _pieces(sentence: str, limit: float) -> list[str]:
    """A sentence too long for one scene, cut at its clause ends, else between words."""
    if len(sentence.split()) <= limit:
        return [sentence]
    pieces: list[str] = []
    for clause in _CLAUSE_END.split(sentence):
        words = clause.split()
        step = int(limit)
        pieces += [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    return pieces


# Drafts --------------------------------------------------------------------------------------


def _draft(kind: DraftKind, sentences_: list[str], speed: float) -> SceneDraft:
    voiceover = " ".join(sentences_)
    analysis = analyse_scene(sentences_[0])  # the first sentence sets the shot
    return SceneDraft(
        kind=kind,
        voiceover=voiceover,
        on_screen_text=key_phrase(voiceover),
        analysis=analysis,
        prompt=scene_prompt(analysis),
        seconds=round(_seconds(len(voiceover.split()), speed), 2),
    )


def key_phrase(text: str) -> str:
    """A few words taken from the text for the screen: its first clause, cut to MAX_KEY_WORDS
    words and not ending on a small word ("of", "the")."""
    first = sentences(text)[0] if text.strip() else ""
    first = _KEY_FILLERS.sub("", first).strip()
    clause = re.split(r"[,;:()\u2013\u2014]|\s-\s", first)[0].strip() or first
    words = clause.rstrip(".!?").split()[:MAX_KEY_WORDS]
    while len(words) > 2 and words[-1].lower().strip("\"'") in _STOP_TAIL:
        words.pop()
    phrase = " ".join(words).strip("\"' ")
    return phrase[:1].upper() + phrase[1:]
