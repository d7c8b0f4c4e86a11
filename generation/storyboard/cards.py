"""Text cards, title cards and brand cards: a scene's words animated over the brand or an image.

Cheap by construction, so a 1280x720 card renders far faster than real time on one core: the
backdrop (a brand gradient with soft light, or the scene's image under a scrim) is drawn once a
little larger than the frame and drifts by cropping; the text is drawn once as an RGBA layer and
eased in (fade and rise) by blending only its own rectangle. ffmpeg encodes the frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from generation import render
from generation.overlays import Brand, installed_fonts

CardKind = Literal["text", "title", "brand"]
DRIFT = 0.06  # the backdrop is this much larger than the frame and pans across the extra
ENTER_SECONDS = 0.7  # the text's ease in
RISE = 0.035  # of the frame's height: how far the text rises as it fades in
CARD_PRESET = "ultrafast"  # cards are re-encoded by the assembly: fast now, small later
CARD_CRF = 16


@dataclass(frozen=True)
class _Layer:
    top: int
    left: int
    rgb: np.ndarray  # (h, w, 3) float32, premultiplied by alpha
    alpha: np.ndarray  # (h, w, 1) float32 in [0, 1]


def card_frames(
    kind: CardKind,
    text: str,
    *,
    brand: Brand,
    width: int,
    height: int,
    frames: int,
    fps: int,
    image_path: Path | None = None,
) -> Iterator[np.ndarray]:
    """``frames`` uint8 frames (height, width, 3) of the card, one at a time."""
    backdrop = _backdrop(brand, width, height, image_path, kind)
    layer = _text_layer(kind, text, brand, width, height)
    spare_x, spare_y = backdrop.shape[1] - width, backdrop.shape[0] - height
    rise = round(RISE * height)
    for index in range(frames):
        t = index / fps
        progress = index / max(frames - 1, 1)
        # A slow diagonal drift of the backdrop, the same speed in every aspect.
        x = round(spare_x * progress)
        y = round(spare_y * (1 - progress))
        frame = backdrop[y : y + height, x : x + width].copy()
        enter = _ease_out(min(1.0, t / ENTER_SECONDS))
        if layer is not None and enter > 0:
            _blend(frame, layer, opacity=enter, shift=round(rise * (1 - enter)))
        yield frame


def card_kind(visual: str, *, title: bool = False) -> CardKind:
    """The card a card scene is drawn as: the brand's, a title (a heading's scene), or text."""
    return "brand" if visual == "brand-card" else ("title" if title else "text")


def card_still(
    kind: CardKind,
    text: str,
    *,
    brand: Brand,
    width: int,
    height: int,
    image_path: Path | None = None,
) -> np.ndarray:
    """The card's last frame (height, width, 3), its text fully in: what a thumbnail shows."""
    frames = card_frames(
        kind,
        text,
        brand=brand,
        width=width,
        height=height,
        frames=2,
        fps=1,  # the second frame is a second in, past the text's ease in
        image_path=image_path,
    )
    *_, last = frames
    return last


def write_card(
    kind: CardKind,
    text: str,
    path: Path,
    *,
    brand: Brand,
    width: int,
    height: int,
    frames: int,
    fps: int,
    image_path: Path | None = None,
) -> Path:
    """The card as an MP4 (and its poster, a JPEG of its last frame, beside it)."""
    last: list[np.ndarray] = []

    def keep_last() -> Iterator[np.ndarray]:
        for frame in card_frames(
            kind,
            text,
            brand=brand,
            width=width,
            height=height,
            frames=frames,
            fps=fps,
            image_path=image_path,
        ):
            last[:] = [frame]
            yield frame

    render.encode_frames(
        keep_last(), path, fps=fps, width=width, height=height, preset=CARD_PRESET, crf=CARD_CRF
    )
    Image.fromarray(last[0]).save(path.with_suffix(".jpg"), quality=90)
    return path


def _ease_out(x: float) -> float:
    return 1 - (1 - x) ** 3


def _blend(frame: np.ndarray, layer: _Layer, *, opacity: float, shift: int) -> None:
    h, w = layer.alpha.shape[:2]
    top = layer.top + shift
    bottom = min(top + h, frame.shape[0])
    region = frame[top:bottom, layer.left : layer.left + w].astype(np.float32)
    alpha = layer.alpha[: bottom - top] * opacity
    mixed = region * (1 - alpha) + layer.rgb[: bottom - top] * opacity
    frame[top:bottom, layer.left : layer.left + w] = mixed.astype(np.uint8)


# The backdrop ---------------------------------------------------------------------------------


def _backdrop(
    brand: Brand, width: int, height: int, image_path: Path | None, kind: CardKind
) -> np.ndarray:
    big_w, big_h = round(width * (1 + DRIFT)), round(height * (1 + DRIFT))
    if image_path is not None:
        with Image.open(image_path) as source:
            picture = ImageOps.fit(source.convert("RGB"), (big_w, big_h), Image.Resampling.LANCZOS)
        # A scrim, darker where the text sits, keeps white words legible on any photo.
        shade = np.linspace(0.35, 0.75, big_h, dtype=np.float32)[:, None, None]
        pixels = np.asarray(picture, np.float32) * (1 - shade)
        return pixels.astype(np.uint8)
    primary = np.array(brand.primary, np.float32)
    deep = primary * 0.35  # the same hue, much darker: a gradient that reads as one colour
    if kind == "brand":
        deep = primary * 0.6
    yy, xx = np.mgrid[0:big_h, 0:big_w].astype(np.float32)
    diagonal = (xx / big_w * 0.6 + yy / big_h * 0.4)[..., None]  # (H, W, 1) 0 at top-left
    pixels = primary * (1 - diagonal) + deep * diagonal  # (H, W, 3)
    glow = Image.new("L", (big_w, big_h), 0)
    draw = ImageDraw.Draw(glow)
    side = min(big_w, big_h)
    draw.ellipse([big_w * 0.62, -side * 0.35, big_w * 0.62 + side * 0.9, side * 0.55], fill=90)
    draw.ellipse([-side * 0.3, big_h * 0.6, side * 0.45, big_h * 0.6 + side * 0.75], fill=60)
    soft = np.asarray(glow.filter(ImageFilter.GaussianBlur(side * 0.12)), np.float32)[..., None]
    accent = np.array(brand.accent, np.float32)
    pixels = pixels + (accent * 0.5 + 127) * (soft / 255.0) * 0.5
    return np.clip(pixels, 0, 255).astype(np.uint8)


# The text -------------------------------------------------------------------------------------


def _font(brand: Brand, size: int, *, bold: bool) -> ImageFont.FreeTypeFont:
    fonts = installed_fonts()
    if brand.font not in fonts:
        raise ValueError(f"The font {brand.font!r} is not installed on this worker.")
    return ImageFont.truetype(str(fonts[brand.font][1 if bold else 0]), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, limit: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= limit:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _fitted(
    text: str, brand: Brand, size: int, max_w: float, max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest bold font up to ``size`` at which the text fits in ``max_lines`` lines."""
    while True:
        font = _font(brand, size, bold=True)
        lines = _wrap(text, font, max_w)
        widest = max((font.getlength(line) for line in lines), default=0)
        if size <= 12 or (len(lines) <= max_lines and widest <= max_w):
            return font, lines
        size = round(size * 0.9)


def _text_layer(kind: CardKind, text: str, brand: Brand, width: int, height: int) -> _Layer | None:
    short = min(width, height)
    logo = _logo(brand, round(short * 0.42), round(short * 0.22)) if kind == "brand" else None
    if not text.strip() and logo is None:
        return None
    centred = kind != "text" or width < height  # a tall frame centres everything
    scale = {"title": 0.12, "brand": 0.09, "text": 0.095}[kind]
    font, lines = _fitted(text, brand, round(short * scale), width * 0.82, 3)
    line_h = round(font.size * 1.18)
    bar_h = max(3, round(short * 0.012)) if kind != "brand" else 0
    gap = round(font.size * 0.45)
    logo_h = logo.height + gap if logo is not None else 0
    text_h = line_h * len(lines) if text.strip() else 0
    box_w = round(width * 0.86)
    box_h = logo_h + bar_h + gap + text_h + round(font.size * 0.3)
    layer = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    y = 0
    if logo is not None:
        layer.alpha_composite(logo, ((box_w - logo.width) // 2, 0))
        y += logo_h
    if bar_h:
        bar_w = round(font.size * 1.6)
        x0 = (box_w - bar_w) // 2 if centred else 0
        draw.rounded_rectangle(
            [x0, y, x0 + bar_w, y + bar_h], radius=bar_h // 2, fill=(*brand.accent, 255)
        )
        y += bar_h + gap
    shadow = max(1, round(short * 0.004))
    for line in lines:
        x = (box_w - font.getlength(line)) / 2 if centred else 0
        draw.text((x + shadow, y + shadow), line, font=font, fill=(0, 0, 0, 90))
        draw.text((x, y), line, font=font, fill=(*brand.text, 255))
        y += line_h
    rgba = np.asarray(layer, np.float32) / 255.0
    alpha = rgba[..., 3:4]
    left = (width - box_w) // 2 if centred else round(width * 0.08)
    top = (height - box_h) // 2 if centred else round(height * 0.52 - box_h / 2)
    return _Layer(top=max(0, top), left=max(0, left), rgb=rgba[..., :3] * 255 * alpha, alpha=alpha)


def _logo(brand: Brand, max_w: int, max_h: int) -> Image.Image | None:
    if brand.logo_path is None:
        return None
    with Image.open(brand.logo_path) as source:
        logo = source.convert("RGBA")
    scale = min(max_w / logo.width, max_h / logo.height)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    return logo.resize(size, Image.Resampling.LANCZOS)
