"""What a talking head may be asked to say: checked before any voice or face work starts."""

from __future__ import annotations

import re
import unicodedata

from generation.limits import MAX_SCRIPT_CHARS

# Letters of the Latin script (with accents), digits, spaces and everyday punctuation. The
# voices speak English; anything else (emoji, other scripts, control characters) would be
# skipped or spelled out, so it is refused with its name instead.
_ALLOWED_PUNCTUATION = set(" \n\t.,;:!?'\"-()&%$€£@/+*#=_")
_TYPOGRAPHIC = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
}


def normalise(text: str) -> str:
    """The script as the voice reads it: typographic quotes and dashes made plain, runs of
    white space made one space. This is the only change made to what a user typed."""
    for fancy, plain in _TYPOGRAPHIC.items():
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def check_script(text: str, *, max_chars: int = MAX_SCRIPT_CHARS) -> str:
    """Return the normalised script, or raise ValueError saying what to change."""
    script = normalise(text)
    if not script:
        raise ValueError("The script is empty; type what the avatar should say.")
    if len(script) > max_chars:
        raise ValueError(
            f"The script is {len(script)} characters long; the limit is {max_chars}. "
            "Split it into several videos."
        )
    bad = sorted({ch for ch in script if not _allowed(ch)})
    if bad:
        names = ", ".join(_describe(ch) for ch in bad[:5])
        raise ValueError(f"The script has characters the voices cannot speak: {names}.")
    if not any(ch.isalnum() for ch in script):
        raise ValueError("The script has no words to speak.")
    return script


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"'{ch}' ({name.lower()})" if name else f"U+{ord(ch):04X}"


def _allowed(ch: str) -> bool:
    if ch in _ALLOWED_PUNCTUATION or ch.isdigit():
        return True
    if not ch.isalpha():
        return False
    return "LATIN" in unicodedata.name(ch, "")


def words(text: str) -> list[str]:
    """The script's words as captions show them (punctuation kept with its word)."""
    return text.split()
