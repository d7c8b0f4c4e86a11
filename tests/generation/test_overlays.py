"""Brand overlays: a title, a lower third and an end card drawn at the output resolution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation import overlays, render
from generation.overlays import Brand, EndCard, LowerThird, OverlaySpec, Title

GREEN = (0, 90, 60)
PRIMARY = (124, 92, 255)


def _footage(frames: int = 16, width: int = 448, height: int = 256) -> np.ndarray:
    clip = np.zeros((frames, height, width, 3), dtype=np.uint8)
    clip[...] = GREEN
    return clip


@pytest.fixture
def logo(tmp_path: Path) -> Path:
    path = tmp_path / "logo.png"
    image = Image.new("RGBA", (120, 60), (0, 0, 0, 0))  # transparent around a white block
    image.paste((255, 255, 255, 255), (20, 10, 100, 50))
    image.save(path)
    return path


def test_it_reads_a_colour_and_names_a_bad_one():
    """#rrggbb becomes a tuple; anything else is refused with the value in the message."""
    assert overlays.parse_color("#7c5cff") == PRIMARY
    with pytest.raises(ValueError, match="'purple' is not a colour"):
        overlays.parse_color("purple")


def test_an_overlay_without_text_is_left_out():
    """A lower third with a blank name (an optional field left empty) is not drawn."""
    spec = OverlaySpec.from_dict({"lower_third": {"name": "  ", "company": "Acme"}, "x": 1})
    assert spec.empty and spec.extra == {"x": 1}
    spec = OverlaySpec.from_dict({"end_card": {"cta": "Buy", "seconds": 2}})
    assert spec.end_card == EndCard(cta="Buy", seconds=2.0)


def test_the_lower_third_sits_bottom_left_in_the_brand_colour():
    """The bar is drawn in the primary colour near the bottom left; the top right is untouched."""
    out = overlays.apply(
        _footage(),
        fps=8,
        spec=OverlaySpec(lower_third=LowerThird(name="Ana Ruiz", company="Acme", start=0)),
        brand=Brand(primary=PRIMARY),
    )
    frame = out[8]
    bottom_left = frame[-60:, :120].reshape(-1, 3)
    assert (np.abs(bottom_left.astype(int) - PRIMARY).sum(axis=1) < 30).any()
    assert (frame[:100, -100:] == GREEN).all()
    assert len(out) == 16  # a lower third adds no frames


def test_text_is_crisp_at_the_output_resolution():
    """Glyphs are drawn at full size: many pixels are exactly the text colour, not a blur."""
    out = overlays.apply(
        _footage(frames=2, width=896, height=512),
        fps=8,
        spec=OverlaySpec(title=Title(text="Spring Summit", seconds=0)),
        brand=Brand(text=(255, 255, 255)),
    )
    white = (out[1] == 255).all(axis=2).sum()
    assert white > 2000


def test_the_lower_third_fades_in_after_its_start():
    """Before its start time nothing is drawn; a little later it is fully there."""
    spec = OverlaySpec(lower_third=LowerThird(name="Ana", start=0.5))
    out = overlays.apply(_footage(frames=16), fps=8, spec=spec, brand=Brand())
    assert (out[0] == GREEN).all() and (out[3] == GREEN).all()
    assert not (out[12] == GREEN).all()


def test_the_end_card_follows_the_footage_with_the_logo_and_cta(logo):
    """The end card adds seconds x fps frames: the brand colour, the logo in the middle."""
    spec = OverlaySpec(end_card=EndCard(cta="Book a demo", seconds=1.0))
    out = overlays.apply(_footage(frames=16), fps=8, spec=spec, brand=Brand(logo_path=logo))
    assert len(out) == 24
    last = out[-1]
    assert tuple(last[2, 2]) == PRIMARY and tuple(last[-3, -3]) == PRIMARY
    assert ((last == 255).all(axis=2)).sum() > 1000  # the white logo block and the text
    assert (out[15] == GREEN).all()  # the footage itself is not covered


def test_a_font_that_is_not_installed_is_named():
    """Asking for a font this worker lacks fails loudly, listing what is installed."""
    with pytest.raises(ValueError, match="'Comic Sans' is not installed"):
        overlays.apply(
            _footage(frames=1),
            fps=8,
            spec=OverlaySpec(title=Title(text="Hi")),
            brand=Brand(font="Comic Sans"),
        )


def test_the_project_fonts_are_installed():
    """scripts/setup installs DejaVu; every brand font choice is found."""
    assert set(overlays.installed_fonts()) == set(overlays.FONTS)


def test_it_refuses_frames_of_the_wrong_shape():
    """Frames must be uint8 (T, H, W, 3)."""
    with pytest.raises(ValueError, match="Expected uint8 frames"):
        overlays.apply(np.zeros((2, 8, 8), np.uint8), fps=8, spec=OverlaySpec(), brand=Brand())


def test_it_overlays_an_mp4_file(tmp_path):
    """An MP4 in, an MP4 out with the end card's frames added."""
    source = render.write_mp4(_footage(frames=8, width=256, height=144), tmp_path / "in.mp4", 8)
    spec = OverlaySpec(
        lower_third=LowerThird(name="Ana"), end_card=EndCard(cta="Hello", seconds=0.5)
    )
    overlays.apply_to_mp4(source, tmp_path / "out.mp4", spec=spec, brand=Brand())
    info = render.probe(tmp_path / "out.mp4")
    assert (info.frames, info.width, info.height) == (12, 256, 144)


def test_stills_of_a_still_backdrop_are_the_frames_apply_makes(logo):
    """Drawing a few frames alone gives exactly what apply gives at those frames, fades,
    the dissolve into the end card and the end card included."""
    spec = OverlaySpec(
        title=Title(text="Spring sale", seconds=1.0),
        lower_third=LowerThird(name="Ana", company="Acme", start=0.5),
        end_card=EndCard(cta="Book a demo", seconds=1.0),
    )
    brand = Brand(logo_path=logo)
    full = overlays.apply(_footage(frames=16), fps=8, spec=spec, brand=brand)
    at = [0, 4, 7, 8, 15, 16, 17, 23]
    drawn = overlays.stills(_footage(frames=1)[0], count=16, fps=8, spec=spec, brand=brand, at=at)
    assert len(drawn) == len(at)
    for index, still in zip(at, drawn, strict=True):
        assert np.array_equal(still, full[index]), index


def test_stills_refuse_a_frame_past_the_end():
    """A frame the video does not have is a mistake, not a blank picture."""
    spec = OverlaySpec(end_card=EndCard(cta="Go", seconds=1.0))
    with pytest.raises(ValueError, match="24 frames"):
        overlays.stills(_footage(frames=1)[0], count=16, fps=8, spec=spec, brand=Brand(), at=[24])
