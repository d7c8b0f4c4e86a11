"""Brand overlays drawn on generated footage: a title, a lower third and an end card.

Everything is drawn with Pillow at the output resolution (never drawn small and scaled up), so
text and logo edges stay crisp. Each overlay is rendered once as an RGBA layer and blended into
the frames with numpy, with short fades, so a 100-row batch pays for text layout once per row,
not once per frame.

Example::

    from generation import overlays

    spec = overlays.OverlaySpec.from_dict(
        {"lower_third": {"name": "Ana Ruiz", "company": "Acme"}, "end_card": {"cta": "Book a demo"}}
    )
    frames = overlays.apply(frames, fps=24, spec=spec, brand=overlays.Brand())  # (T', H, W, 3)
    overlays.apply_to_mp4(Path("in.mp4"), Path("out.mp4"), spec=spec, brand=overlays.Brand())

The end card is added after the footage (``seconds`` of it); the title and lower third are
drawn over it. Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from generation import render

RGB = tuple[int, int, int]

# The fonts a brand kit may choose: regular and bold faces of the DejaVu families that the
# project installs (Debian's fonts-dejavu-core, see scripts/setup).
FONTS: dict[str, tuple[str, str]] = {
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "DejaVu Serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "DejaVu Sans Mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
}
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
FADE_SECONDS = 0.3  # overlays fade in and out over this long; an abrupt cut looks like a glitch


def parse_color(value: str) -> RGB:
    """``#rrggbb`` to an RGB tuple; raises ValueError naming the bad value."""
    text = value.strip().lstrip("#")
    if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"{value!r} is not a colour; write it as #rrggbb, for example #7c5cff.")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def installed_fonts() -> dict[str, tuple[Path, Path]]:
    """The brand fonts present on this machine: name -> (regular, bold) paths."""
    found: dict[str, tuple[Path, Path]] = {}
    for name, (regular, bold) in FONTS.items():
        for folder in FONT_DIRS:
            if (folder / regular).is_file() and (folder / bold).is_file():
                found[name] = (folder / regular, folder / bold)
                break
    return found


@dataclass(frozen=True)
class Brand:
    """A workspace's look, as plain values."""

    primary: RGB = (124, 92, 255)  # bars and the end card's background
    text: RGB = (255, 255, 255)  # text on the primary colour
    accent: RGB = (251, 191, 36)  # the thin rule on the lower third, the CTA's underline
    font: str = "DejaVu Sans"
    logo_path: Path | None = None  # a PNG/JPEG/WebP; transparency is kept
    lower_third_style: str = "bar"
    end_card_style: str = "solid"


@dataclass(frozen=True)
class Title:
    text: str
    subtitle: str = ""
    seconds: float = 2.0  # from the start; 0 keeps it on for the whole footage


@dataclass(frozen=True)
class LowerThird:
    name: str
    company: str = ""
    start: float = 0.5  # seconds after the start
    seconds: float = 0.0  # how long; 0 keeps it to the end of the footage


@dataclass(frozen=True)
class EndCard:
    cta: str
    seconds: float = 1.5  # added after the footage


@dataclass(frozen=True)
class OverlaySpec:
    """Which overlays to draw, their texts already filled in."""

    title: Title | None = None
    lower_third: LowerThird | None = None
    end_card: EndCard | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys, kept for the record

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OverlaySpec:
        """Read the JSON form a template stores; an overlay with no text is left out."""
        title = data.get("title") or {}
        lower = data.get("lower_third") or {}
        end = data.get("end_card") or {}
        known = {"title", "lower_third", "end_card"}
        return cls(
            title=Title(
                text=str(title["text"]),
                subtitle=str(title.get("subtitle", "")),
                seconds=float(title.get("seconds", 2.0)),
            )
            if str(title.get("text", "")).strip()
            else None,
            lower_third=LowerThird(
                name=str(lower["name"]),
                company=str(lower.get("company", "")),
                start=float(lower.get("start", 0.5)),
                seconds=float(lower.get("seconds", 0.0)),
            )
            if str(lower.get("name", "")).strip()
            else None,
            end_card=EndCard(cta=str(end["cta"]), seconds=float(end.get("seconds", 1.5)))
            if str(end.get("cta", "")).strip()
            else None,
            extra={k: v for k, v in data.items() if k not in known},
        )

    @property
    def empty(self) -> bool:
        return self.title is None and self.lower_third is None and self.end_card is None


# Drawing: each overlay as an RGBA layer of the frame's size -----------------------------------


def _font(brand: Brand, size: int, *, bold: bool) -> ImageFont.FreeTypeFont:
    fonts = installed_fonts()
    if brand.font not in fonts:
        raise ValueError(
            f"The font {brand.font!r} is not installed on this worker; "
            f"installed: {', '.join(fonts) or 'none (install fonts-dejavu-core)'}."
        )
    return ImageFont.truetype(str(fonts[brand.font][1 if bold else 0]), size)


def _fit(text: str, brand: Brand, size: int, max_width: int, *, bold: bool) -> Any:
    """The largest font up to ``size`` at which the text fits ``max_width`` pixels."""
    while True:
        font = _font(brand, size, bold=bold)
        if size <= 8 or font.getlength(text) <= max_width:
            return font
        size = max(8, int(size * 0.9))


def _logo(brand: Brand, max_w: int, max_h: int) -> Image.Image | None:
    if brand.logo_path is None:
        return None
    with Image.open(brand.logo_path) as source:
        logo = source.convert("RGBA")
    scale = min(max_w / logo.width, max_h / logo.height)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    return logo.resize(size, Image.Resampling.LANCZOS)  # once, to the final pixels


def draw_title(title: Title, brand: Brand, width: int, height: int) -> Image.Image:
    """Centred title (and subtitle) with a shadow, readable over any footage."""
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = _fit(title.text, brand, round(height * 0.09), round(width * 0.86), bold=True)
    shadow = max(1, round(height * 0.004))
    y = height * (0.45 if title.subtitle else 0.5)
    for offset, color in ((shadow, (0, 0, 0, 170)), (0, (*brand.text, 255))):
        draw.text((width / 2 + offset, y + offset), title.text, font=font, fill=color, anchor="mm")
    if title.subtitle:
        small = _fit(title.subtitle, brand, round(height * 0.045), round(width * 0.8), bold=False)
        y2 = y + font.size * 0.9
        for offset, color in ((shadow, (0, 0, 0, 170)), (0, (*brand.text, 255))):
            draw.text(
                (width / 2 + offset, y2 + offset),
                title.subtitle,
                font=small,
                fill=color,
                anchor="mt",
            )
    return layer


def draw_lower_third(lower: LowerThird, brand: Brand, width: int, height: int) -> Image.Image:
    """Name over company, bottom left, on a bar in the brand colour (or shadowed, "clean")."""
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    margin = round(min(width, height) * 0.05)
    name_font = _fit(lower.name, brand, round(height * 0.055), round(width * 0.7), bold=True)
    company_font = _fit(
        lower.company or " ", brand, round(height * 0.036), round(width * 0.7), bold=False
    )
    pad = round(height * 0.018)
    name_h = name_font.size
    company_h = company_font.size if lower.company else 0
    box_h = pad * 2 + name_h + (pad // 2 + company_h if company_h else 0)
    text_w = max(
        name_font.getlength(lower.name),
        company_font.getlength(lower.company) if lower.company else 0,
    )
    box_w = round(text_w) + pad * 4
    top = height - margin - box_h
    if brand.lower_third_style == "bar":
        draw.rectangle((margin, top, margin + box_w, top + box_h), fill=(*brand.primary, 235))
        rule = max(2, round(height * 0.006))
        draw.rectangle((margin, top, margin + rule, top + box_h), fill=(*brand.accent, 255))
    x = margin + pad * 2
    shadow = 0 if brand.lower_third_style == "bar" else max(1, round(height * 0.003))
    lines = [(lower.name, name_font, top + pad)]
    if lower.company:
        lines.append((lower.company, company_font, top + pad + name_h + pad // 2))
    for text, font, y in lines:
        if shadow:
            draw.text((x + shadow, y + shadow), text, font=font, fill=(0, 0, 0, 180))
        draw.text((x, y), text, font=font, fill=(*brand.text, 255))
    return layer


def draw_end_card(card: EndCard, brand: Brand, width: int, height: int) -> Image.Image:
    """A full frame: the logo above the call to action, on the brand colour."""
    background = brand.primary if brand.end_card_style == "solid" else (17, 17, 22)
    layer = Image.new("RGBA", (width, height), (*background, 255))
    draw = ImageDraw.Draw(layer)
    logo = _logo(brand, round(width * 0.4), round(height * 0.28))
    cta_font = _fit(card.cta, brand, round(height * 0.075), round(width * 0.86), bold=True)
    gap = round(height * 0.05)
    block = (logo.height + gap if logo else 0) + cta_font.size
    y = (height - block) // 2
    if logo is not None:
        layer.alpha_composite(logo, ((width - logo.width) // 2, y))
        y += logo.height + gap
    draw.text((width / 2, y), card.cta, font=cta_font, fill=(*brand.text, 255), anchor="mt")
    underline_y = y + cta_font.size + round(height * 0.02)
    half = min(cta_font.getlength(card.cta), width * 0.86) / 4
    draw.rectangle(
        (width / 2 - half, underline_y, width / 2 + half, underline_y + max(2, height // 160)),
        fill=(*brand.accent, 255),
    )
    return layer


# Blending into frames ---------------------------------------------------------------------------


def _opacity(t: float, start: float, end: float, footage_end: float) -> float:
    """Opacity at time t of an overlay shown from start to end. It fades in and out, except
    at the very start (the video opens on it) and at the end of the footage (the cut is there)."""
    if t < start or t >= end:
        return 0.0
    fade_in = 1.0 if start <= 0 else (t - start) / FADE_SECONDS
    fade_out = 1.0 if end >= footage_end else (end - t) / FADE_SECONDS
    return max(0.0, min(1.0, fade_in, fade_out))


def _blend(frame: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, opacity: float) -> np.ndarray:
    """frame (H, W, 3) uint8, rgb (H, W, 3) float32, alpha (H, W, 1) in [0, 1] -> uint8."""
    a = alpha * opacity  # (H, W, 1)
    out = frame.astype(np.float32) * (1 - a) + rgb * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _split(layer: Image.Image) -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
    """The layer's drawn part only: its RGB, its alpha and where it sits, so blending touches
    the pixels under the text and not the whole frame."""
    left, top, right, bottom = layer.getbbox() or (0, 0, 1, 1)
    array = np.asarray(layer.crop((left, top, right, bottom)), dtype=np.float32)  # (h, w, 4)
    return array[..., :3], array[..., 3:] / 255.0, (slice(top, bottom), slice(left, right))


_Layer = tuple[np.ndarray, np.ndarray, tuple[slice, slice], float, float]


def _timed_layers(
    spec: OverlaySpec, brand: Brand, width: int, height: int, footage_end: float
) -> list[_Layer]:
    """The title and lower third, each drawn once: RGB, alpha, box, start and end times."""
    timed: list[_Layer] = []
    if spec.title is not None:
        end = spec.title.seconds or footage_end
        timed.append((*_split(draw_title(spec.title, brand, width, height)), 0.0, end))
    if spec.lower_third is not None:
        lt = spec.lower_third
        end = lt.start + lt.seconds if lt.seconds else footage_end
        timed.append((*_split(draw_lower_third(lt, brand, width, height)), lt.start, end))
    return timed


def _blend_layers(frame: np.ndarray, t: float, timed: list[_Layer], footage_end: float) -> None:
    """Blend the layers shown at time t into one footage frame (H, W, 3), in place."""
    for rgb, alpha, box, start, end in timed:
        opacity = _opacity(t, start, end, footage_end)
        if opacity > 0:
            frame[box] = _blend(frame[box], rgb, alpha, opacity)


def _end_card_frames(card: EndCard, fps: int) -> tuple[int, int]:
    """How many frames the end card adds, and over how many of them it dissolves in."""
    card_frames = max(1, round(card.seconds * fps))
    return card_frames, min(card_frames, max(1, round(FADE_SECONDS * fps)))


def _card_frame(last: np.ndarray, card: np.ndarray, index: int, dissolve: int) -> np.ndarray:
    """Frame ``index`` of the end card, dissolving from the footage's last frame."""
    opacity = min(1.0, (index + 1) / dissolve)
    if opacity >= 1:
        return card
    ones = np.ones((*card.shape[:2], 1), dtype=np.float32)
    return _blend(last, card.astype(np.float32), ones, opacity)


def apply(frames: np.ndarray, *, fps: int, spec: OverlaySpec, brand: Brand) -> np.ndarray:
    """Draw the spec's overlays on frames (T, H, W, 3) uint8; the end card adds frames."""
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"Expected uint8 frames (T, H, W, 3), got {frames.dtype} {frames.shape}.")
    count, height, width, _ = frames.shape
    footage_end = count / fps
    out = frames.copy()

    # 1. Title and lower third: drawn once, blended into the footage frames they cover.
    timed = _timed_layers(spec, brand, width, height, footage_end)
    for index in range(count):
        _blend_layers(out[index], index / fps, timed, footage_end)

    # 2. End card: frames after the footage, the first ones dissolving from its last frame.
    if spec.end_card is not None:
        card = np.asarray(draw_end_card(spec.end_card, brand, width, height).convert("RGB"))
        card_frames, dissolve = _end_card_frames(spec.end_card, fps)
        tail = np.empty((card_frames, height, width, 3), dtype=np.uint8)
        for index in range(card_frames):
            tail[index] = _card_frame(out[-1], card, index, dissolve)
        out = np.concatenate([out, tail])
    return out


def length(spec: OverlaySpec, *, count: int, fps: int) -> int:
    """How many frames apply makes of ``count`` frames of footage: the end card adds some."""
    return count + (_end_card_frames(spec.end_card, fps)[0] if spec.end_card else 0)


def stills(
    backdrop: np.ndarray,
    *,
    count: int,
    fps: int,
    spec: OverlaySpec,
    brand: Brand,
    at: list[int],
) -> list[np.ndarray]:
    """Frames ``at`` of what apply makes of ``count`` frames of one still backdrop (H, W, 3),
    drawn alone: a preview of a long video costs a few frames, not the video."""
    height, width, _ = backdrop.shape
    footage_end = count / fps
    total = length(spec, count=count, fps=fps)
    if any(not 0 <= index < total for index in at):
        raise ValueError(f"The video has {total} frames; asked for {at}.")
    dissolve = _end_card_frames(spec.end_card, fps)[1] if spec.end_card else 1
    timed = _timed_layers(spec, brand, width, height, footage_end)

    def footage_frame(index: int) -> np.ndarray:
        frame = backdrop.copy()
        _blend_layers(frame, index / fps, timed, footage_end)
        return frame

    card = (
        np.asarray(draw_end_card(spec.end_card, brand, width, height).convert("RGB"))
        if spec.end_card is not None and any(index >= count for index in at)
        else None
    )
    drawn = []
    for index in at:
        if index < count:
            drawn.append(footage_frame(index))
        else:
            assert card is not None
            drawn.append(_card_frame(footage_frame(count - 1), card, index - count, dissolve))
    return drawn


# Files ----------------------------------------------------------------------------------------


def read_frames(path: Path) -> tuple[np.ndarray, int]:
    """Decode an MP4's video into uint8 frames (T, H, W, 3) and its frame rate, in this
    process (PyAV): no ffprobe or ffmpeg process to start per batch row."""
    try:
        with av.open(str(path)) as box:
            stream = box.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or 1
            frames = [frame.to_ndarray(format="rgb24") for frame in box.decode(stream)]
    except (av.FFmpegError, IndexError) as exc:
        raise render.RenderError(f"{path.name} could not be decoded: {exc}") from exc
    if not frames:
        raise render.RenderError(f"{path.name} has no frames.")
    return np.stack(frames), max(1, round(float(rate)))


def apply_to_mp4(source: Path, output: Path, *, spec: OverlaySpec, brand: Brand) -> np.ndarray:
    """Overlay a finished MP4 and write the result to ``output``, with its sound if it has
    any; returns the new frames."""
    frames, fps = read_frames(source)
    return write_overlaid(frames, fps, output, spec=spec, brand=brand, source=source)


def write_overlaid(
    frames: np.ndarray, fps: int, output: Path, *, spec: OverlaySpec, brand: Brand, source: Path
) -> np.ndarray:
    """Draw the overlays on ``source``'s decoded frames and encode them to ``output`` with
    ``source``'s sound (a talking head's voice is copied as it is); returns the new frames."""
    result = apply(frames, fps=fps, spec=spec, brand=brand)
    render.write_mp4(result, output, fps, preset=render.OVERLAY_PRESET, audio_from=source)
    return result
