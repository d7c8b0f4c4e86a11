"""Captions from word timings: cues, WebVTT and SRT files, and captions burned into frames."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from generation.avatar.speech import Word

MAX_CUE_CHARS = 42  # a line that reads at a glance (the broadcast rule of thumb)
MAX_CUE_SECONDS = 3.5
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # Debian's fonts-dejavu-core


@dataclass(frozen=True)
class Cue:
    text: str
    start: float
    end: float


def cues(words: list[Word]) -> list[Cue]:
    """Group words into cues: a sentence's end always ends a cue, and a sentence too long for
    one cue (MAX_CUE_CHARS, MAX_CUE_SECONDS) is cut into as few cues of even length as fit, so
    no cue is left with a lone word."""
    result: list[Cue] = []
    for sentence in _sentences(words):
        text = " ".join(w.text for w in sentence)
        seconds = sentence[-1].end - sentence[0].start
        count = max(math.ceil(len(text) / MAX_CUE_CHARS), math.ceil(seconds / MAX_CUE_SECONDS), 1)
        target = len(text) / count
        group: list[Word] = []
        for index, word in enumerate(sentence):
            group.append(word)
            if index + 1 == len(sentence):
                break
            length = len(" ".join(w.text for w in group))
            following = length + 1 + len(sentence[index + 1].text)
            if length >= target or following > MAX_CUE_CHARS:
                result.append(_cue(group))
                group = []
        if group:
            result.append(_cue(group))
    # A cue stays up until the next one starts (short gaps flicker otherwise).
    return [
        Cue(
            cue.text,
            cue.start,
            max(cue.end, result[i + 1].start if i + 1 < len(result) else cue.end),
        )
        for i, cue in enumerate(result)
    ]


def _sentences(words: list[Word]) -> list[list[Word]]:
    sentences: list[list[Word]] = [[]]
    for word in words:
        sentences[-1].append(word)
        if word.text.endswith((".", "!", "?")):
            sentences.append([])
    return [sentence for sentence in sentences if sentence]


def _cue(group: list[Word]) -> Cue:
    return Cue(" ".join(w.text for w in group), group[0].start, group[-1].end)


def write_vtt(items: list[Cue], path: Path) -> Path:
    lines = ["WEBVTT", ""]
    for cue in items:
        lines += [f"{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}", cue.text, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_srt(items: list[Cue], path: Path) -> Path:
    path.write_text(srt_text(items), encoding="utf-8")
    return path


def srt_text(items: list[Cue]) -> str:
    """The cues as an SRT file's text."""
    lines: list[str] = []
    for number, cue in enumerate(items, start=1):
        lines += [str(number), f"{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}", cue.text, ""]
    return "\n".join(lines)


def read_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file as write_vtt writes it (timings, then the cue's lines)."""
    items: list[Cue] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue  # the header, or a note
        start, end = (part.strip().split(" ")[0] for part in lines[timing].split("-->"))
        items.append(Cue(" ".join(lines[timing + 1 :]), _seconds(start), _seconds(end)))
    return items


def _seconds(clock: str) -> float:
    parts = clock.replace(",", ".").split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"'{clock}' is not a WebVTT time.")
    return sum(float(part) * 60**power for power, part in enumerate(reversed(parts)))


def _clock(seconds: float, separator: str) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


class Burner:
    """Draws each cue once (white bold text, dark outline, on a translucent band) and lays it
    over the frames it covers."""

    def __init__(self, items: list[Cue], *, width: int, height: int) -> None:
        self.items = items
        size = max(14, round(height / 20))
        font = (
            ImageFont.truetype(FONT, size) if Path(FONT).exists() else ImageFont.load_default(size)
        )
        self.overlays = [self._render(cue.text, font, width, height) for cue in items]

    @staticmethod
    def _render(
        text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int, height: int
    ) -> tuple[int, int, np.ndarray]:
        lines = _wrap(text, font, int(width * 0.88))
        measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
        boxes = [measure.textbbox((0, 0), line, font=font, stroke_width=2) for line in lines]
        line_h = int(max(b[3] - b[1] for b in boxes)) + 4
        text_w = int(max(b[2] - b[0] for b in boxes))
        pad = int(line_h) // 3
        band = Image.new("RGBA", (text_w + 2 * pad, line_h * len(lines) + 2 * pad), (0, 0, 0, 0))
        draw = ImageDraw.Draw(band)
        draw.rounded_rectangle(
            [0, 0, band.width - 1, band.height - 1], radius=pad, fill=(0, 0, 0, 140)
        )
        for index, (line, box) in enumerate(zip(lines, boxes, strict=True)):
            x = (band.width - (box[2] - box[0])) // 2 - box[0]
            y = pad + index * line_h - box[1]
            draw.text(
                (x, y),
                line,
                font=font,
                fill=(255, 255, 255, 255),
                stroke_width=2,
                stroke_fill=(0, 0, 0, 255),
            )
        left = (width - band.width) // 2
        top = int(height * 0.93) - band.height
        return left, top, np.asarray(band, dtype=np.float32) / 255.0

    def apply(self, frame: np.ndarray, time: float) -> np.ndarray:
        """The frame with the cue showing at ``time`` (seconds), if any."""
        for cue, (left, top, rgba) in zip(self.items, self.overlays, strict=True):
            if cue.start <= time < cue.end:
                h, w = rgba.shape[:2]
                y0, x0 = max(top, 0), max(left, 0)
                region = frame[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
                layer = rgba[: region.shape[0], : region.shape[1]]
                alpha = layer[..., 3:4]
                out = frame.copy()
                out[y0 : y0 + h, x0 : x0 + w] = (
                    region * (1 - alpha) + layer[..., :3] * 255 * alpha
                ).astype(np.uint8)
                return out
        return frame


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, limit: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= limit:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines
