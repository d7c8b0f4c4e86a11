"""Splitting a script or an article into scene drafts."""

from __future__ import annotations

import pytest

from generation.limits import MAX_STORYBOARD_CHARS
from generation.storyboard.split import (
    MAX_KEY_WORDS,
    MAX_SCENE_VOICE_SECONDS,
    WORDS_PER_SECOND,
    split_script,
)

BAKERY = """# Spring at Rosa's

Our small bakery opens every morning in the old town. The first loaves leave the oven at six.

Every croissant is folded by hand, and the butter comes from a farm twenty minutes away.

## What's new

- A rye loaf with honey
- Cardamom buns on Fridays
- Coffee from a local roaster

> Best bread in the city, wrote the Daily Crumb.
"""

LAUNCH = """Meet Relay, the scheduling app for busy clinics.

Patients book online in a minute. Reminders go out by text, and no-shows drop by a third.
Staff see the whole week on one screen, and moving an appointment takes a single drag.
Billing links to the visit, so nothing is typed twice. Reports show the busy hours, the
quiet ones, and where a second nurse would pay for herself. Setup takes an afternoon, and
our team moves your old calendar over for free. Try Relay free for thirty days today.
"""


def test_each_paragraph_becomes_a_scene_and_a_heading_a_title_card():
    """Headings are title cards; each paragraph is one scene, in order."""
    drafts = split_script(BAKERY)
    assert [d.kind for d in drafts] == ["title", "scene", "scene", "title", "scene", "scene"]
    assert drafts[0].voiceover == "Spring at Rosa's"
    assert drafts[0].on_screen_text == "Spring at Rosa's"
    assert drafts[1].voiceover.startswith("Our small bakery opens every morning")
    assert drafts[3].voiceover == "What's new"


def test_a_list_is_read_item_by_item_without_its_markers():
    """List markers are stripped and each item is read as its own sentence."""
    listing = split_script(BAKERY)[4]
    assert listing.voiceover == (
        "A rye loaf with honey. Cardamom buns on Fridays. Coffee from a local roaster."
    )


def test_a_lead_in_with_a_colon_stays_with_its_list():
    """ "What you get:" and the list under it make one scene."""
    drafts = split_script(
        "What you get with every plan:\n\n1. Unlimited videos\n2. Captions in three sizes\n\n"
        "Pricing starts at nine dollars a month, billed yearly, for the whole team."
    )
    assert drafts[0].voiceover == (
        "What you get with every plan: Unlimited videos. Captions in three sizes."
    )
    assert len(drafts) == 2


def test_a_quote_is_read_as_its_words():
    """The '>' of a quote is not read aloud."""
    quote = split_script(BAKERY)[5]
    assert quote.voiceover == "Best bread in the city, wrote the Daily Crumb."


def test_inline_markup_is_stripped_from_the_voice():
    """Emphasis, code, links and images are read as their words only."""
    drafts = split_script(
        "We make **bold** claims, _and_ keep them: see [our results](https://example.com). "
        "![chart](chart.png) Run `reelsmith` to try it on your own script tonight."
    )
    assert drafts[0].voiceover == (
        "We make bold claims, and keep them: see our results. "
        "Run reelsmith to try it on your own script tonight."
    )


def test_code_blocks_and_rules_are_left_out():
    """Fenced code and horizontal rules have nothing to say and make no scene."""
    drafts = split_script(
        "Install it with one line, and it runs on any laptop you own.\n\n```\npip install x\n```"
        "\n\n---\n\nThen open the studio in your browser and paste your first script."
    )
    assert len(drafts) == 2
    assert all("pip" not in d.voiceover for d in drafts)


def test_a_long_paragraph_is_split_at_sentence_ends_under_the_voice_limit():
    """No scene's estimated voice runs past the limit, and each part ends a sentence."""
    drafts = split_script(LAUNCH)
    body = drafts[1:]
    assert len(body) >= 2
    assert all(d.seconds <= MAX_SCENE_VOICE_SECONDS for d in drafts)
    assert all(d.voiceover.endswith((".", "!", "?")) for d in body)
    assert " ".join(d.voiceover for d in body) == " ".join(LAUNCH.split("\n\n")[1].split())


def test_parts_of_a_long_paragraph_are_of_even_length():
    """A paragraph is cut into parts of similar length, not one full and one scrap."""
    body = split_script(LAUNCH)[1:]
    lengths = [len(d.voiceover.split()) for d in body]
    assert max(lengths) - min(lengths) <= 12


def test_a_slower_voice_makes_more_scenes():
    """The voice limit is in seconds, so a slower speed splits the text into more scenes."""
    assert len(split_script(LAUNCH, speed=0.6)) > len(split_script(LAUNCH, speed=1.0))


def test_one_endless_sentence_is_cut_at_its_clauses():
    """A sentence longer than one scene is cut at commas rather than left over the limit."""
    sentence = ", ".join(f"then the team reviews draft number {n} together" for n in range(12))
    drafts = split_script(sentence + ".")
    assert len(drafts) > 1
    assert all(
        len(d.voiceover.split()) <= MAX_SCENE_VOICE_SECONDS * WORDS_PER_SECOND for d in drafts
    )


def test_very_short_text_is_one_scene():
    """A few words laid out as two paragraphs still make one scene."""
    drafts = split_script("Hello Ana.\n\nSee you soon!")
    assert len(drafts) == 1
    assert drafts[0].voiceover == "Hello Ana. See you soon!"
    assert drafts[0].kind == "scene"


def test_a_lone_heading_is_one_title_card():
    """A script of one heading is one title card."""
    drafts = split_script("# Summer sale")
    assert [(d.kind, d.on_screen_text) for d in drafts] == [("title", "Summer sale")]


def test_each_scene_has_a_short_key_phrase_from_its_words():
    """The on-screen text is a few words taken from the scene's own voiceover."""
    for draft in split_script(BAKERY) + split_script(LAUNCH):
        words = draft.on_screen_text.split()
        assert 1 <= len(words) <= MAX_KEY_WORDS
        assert words[0].lower() in draft.voiceover.lower()
        assert words[-1].lower() not in {"the", "of", "a", "and", "to"}


def test_each_scene_carries_its_analysis_and_prompt():
    """Subject, action, setting and mood are read from the scene, and the prompt uses them."""
    scene = split_script(BAKERY)[1]
    assert scene.analysis.subject == "small bakery"
    assert scene.analysis.action == "opens"
    assert scene.analysis.setting == "in the old town"
    assert scene.analysis.mood
    assert scene.prompt.startswith("small bakery opens in the old town")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The script is empty"),
        ("   \n\n  ", "The script is empty"),
        ("x" * (MAX_STORYBOARD_CHARS + 1), "the limit is 10,000"),
        ("```\nonly code\n```", "nothing to say"),
        ("A real paragraph with words in it, long enough.\n\n!!! ???\n\nAnother one.", "'!!! ???'"),
        ("# ***", "heading"),
    ],
)
def test_it_refuses_text_it_cannot_split(text, message):
    """Empty, over-long and wordless text is refused with a message naming the problem."""
    with pytest.raises(ValueError, match=message.replace("?", r"\?").replace("*", r"\*")):
        split_script(text)


def test_it_refuses_a_speed_out_of_range():
    """The speed is checked like the voice's own."""
    with pytest.raises(ValueError, match="speed"):
        split_script("Hello.", speed=5)


def test_a_short_text_with_a_heading_keeps_its_title_card():
    """Headings are the writer's structure: a short titled text is not merged into one scene."""
    drafts = split_script("# Rosa's\n\nOur bakery opens at seven.")
    assert [d.kind for d in drafts] == ["title", "scene"]
