"""Text, title and brand cards: legible words over the brand or an image, with gentle motion."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation.overlays import Brand
from generation.render import probe
from generation.storyboard.cards import card_frames, write_card

BRAND = Brand(primary=(20, 90, 160), accent=(250, 180, 40))


def frames(kind: str = "text", **options: object) -> np.ndarray:
    settings = {"brand": BRAND, "width": 320, "height": 180, "frames": 25, "fps": 25}
    return np.stack(list(card_frames(kind, "Fresh bread every morning", **{**settings, **options})))


def _text_mask(frame: np.ndarray) -> np.ndarray:
    return frame.min(axis=2) > 235  # the white words: every channel near full


@pytest.mark.parametrize(("width", "height"), [(320, 180), (180, 320), (240, 240)])
def test_the_words_are_drawn_large_and_inside_the_frame_in_every_aspect(width, height):
    """At 16:9, 9:16 and 1:1 the last frame shows white words, inside a safe margin."""
    last = frames(width=width, height=height)[-1]
    mask = _text_mask(last)
    rows, cols = np.nonzero(mask)
    assert mask.mean() > 0.01  # enough white to read at a glance
    assert cols.min() >= width * 0.04 and cols.max() <= width * 0.96
    assert rows.min() >= height * 0.04 and rows.max() <= height * 0.96


def test_the_words_contrast_with_the_backdrop():
    """White text over the brand gradient: a luminance ratio of at least 3:1 (WCAG large)."""
    last = frames()[-1].astype(float)
    mask = _text_mask(last.astype(np.uint8))
    luminance = last @ np.array([0.2126, 0.7152, 0.0722]) / 255
    text, ground = luminance[mask].mean(), np.median(luminance[~mask])
    assert (text + 0.05) / (ground + 0.05) >= 3


def test_the_words_ease_in_and_the_backdrop_drifts():
    """The first frame has no words yet; the backdrop moves a little between first and last."""
    clip = frames(frames=40)
    assert _text_mask(clip[0]).mean() < 0.001
    assert _text_mask(clip[-1]).mean() > 0.01
    corner = (slice(0, 20), slice(0, 20))
    assert np.abs(clip[0][corner].astype(int) - clip[-1][corner].astype(int)).mean() > 0.5


def test_a_card_over_an_image_keeps_the_image_and_darkens_it(tmp_path):
    """An image backdrop is used (its colour shows) under a scrim for the words."""
    picture = tmp_path / "field.png"
    Image.new("RGB", (400, 300), (40, 220, 60)).save(picture)
    last = frames(image_path=picture)[-1]
    top = last[:20].reshape(-1, 3).mean(axis=0)
    assert top[1] > 2 * top[0] and top[1] < 220


def test_a_brand_card_shows_the_logo(tmp_path):
    """The brand's logo is drawn, centred, above its line."""
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (200, 100), (255, 0, 200, 255)).save(logo)
    last = frames("brand", brand=Brand(primary=(20, 90, 160), logo_path=logo))[-1]
    magenta = (last[..., 0] > 200) & (last[..., 1] < 60) & (last[..., 2] > 150)
    cols = np.nonzero(magenta)[1]
    assert magenta.mean() > 0.01
    assert abs((cols.min() + cols.max()) / 2 - 160) <= 4


def test_a_title_card_centres_bigger_words():
    """A title's words are centred and taller than a text card's."""
    title, text = _text_mask(frames("title")[-1]), _text_mask(frames("text")[-1])
    cols = np.nonzero(title)[1]
    assert abs((cols.min() + cols.max()) / 2 - 160) <= 8
    assert np.ptp(np.nonzero(title)[0]) >= np.ptp(np.nonzero(text)[0]) * 0.9


def test_a_card_is_written_as_an_mp4_of_its_frames(tmp_path):
    """write_card encodes exactly the frames asked for, with a poster beside it."""
    path = write_card(
        "text",
        "Hello",
        tmp_path / "card.mp4",
        brand=BRAND,
        width=320,
        height=180,
        frames=30,
        fps=25,
    )
    info = probe(path)
    assert (info.frames, info.width, info.height) == (30, 320, 180)
    assert path.with_suffix(".jpg").is_file()
