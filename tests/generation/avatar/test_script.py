"""Scripts are checked before any voice or face work: empty, too long, unspeakable characters."""

from __future__ import annotations

import pytest

from generation.avatar.script import check_script
from generation.limits import MAX_SCRIPT_CHARS as MAX_CHARS


def test_it_keeps_a_plain_script_and_makes_typographic_marks_plain():
    """Curly quotes and dashes become plain ones, runs of spaces one space; nothing else changes."""
    assert (
        check_script("  It\u2019s  a \u201cdeal\u201d \u2014 call\nus!  ")
        == 'It\'s a "deal" - call us!'
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_it_rejects_an_empty_script(text):
    """A script with nothing to say is refused with a message that says so."""
    with pytest.raises(ValueError, match="The script is empty"):
        check_script(text)


def test_it_rejects_a_script_over_the_limit():
    """A script longer than the limit names its length and the limit."""
    with pytest.raises(
        ValueError, match=f"is {MAX_CHARS + 1} characters long; the limit is {MAX_CHARS}"
    ):
        check_script("a" * (MAX_CHARS + 1))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Hello \U0001f600", "grinning face"),
        ("Привет", "cyrillic"),
        ("tab\x07bell", "U+0007"),
    ],
)
def test_it_names_characters_the_voices_cannot_speak(text, named):
    """Emoji, other scripts and control characters are refused, each named."""
    with pytest.raises(ValueError, match="characters the voices cannot speak") as caught:
        check_script(text)
    assert named in str(caught.value)


def test_it_accepts_accented_latin_letters_and_digits():
    """Names like José and numbers are speakable."""
    assert check_script("José sells 42 cafés.") == "José sells 42 cafés."


def test_it_rejects_punctuation_alone():
    """A script of punctuation only has no words to speak."""
    with pytest.raises(ValueError, match="no words"):
        check_script("?!...")
