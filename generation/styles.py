"""Style presets: a named set of prompt additions, a negative prompt and engine settings.

A request carries at most one :class:`Style` (a built-in one from :data:`BUILTIN_STYLES`, or one
a workspace saved); each pipeline applies it in its prompt step with :func:`apply`, which also
says in full what the style added, for the job's record. The additions start with the style's
own words ("anime style, ..."), so the prompt analysis reads the style in the styled prompt, as
it does in a prompt that names a style itself (see :func:`style_in_prompt`).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from generation.limits import MAX_GUIDANCE, MAX_PROMPT_CHARS, MAX_STEPS
from generation.types import Style, VideoRequest

__all__ = ["BUILTIN_STYLES", "Style", "apply", "builtin_style", "check_style", "style_in_prompt"]

MAX_STYLE_NAME_CHARS = 60
MAX_STYLE_ADDITION_CHARS = 500  # a style's prompt additions, and its negative prompt


BUILTIN_STYLES: dict[str, Style] = {
    style.name: style
    for style in (
        Style(
            name="cinematic",
            label="Cinematic",
            prompt="cinematic film still, anamorphic lens, shallow depth of field, "
            "dramatic lighting, subtle film grain",
            negative="flat lighting, cartoon, oversaturated, amateur footage",
            guidance=6.0,
            cues=("cinematic",),
        ),
        Style(
            name="product-studio",
            label="Product studio",
            prompt="product studio shot, seamless backdrop, softbox lighting, sharp focus, "
            "crisp reflections",
            negative="clutter, busy background, hands, text, watermark",
            guidance=6.5,
            cues=("product studio", "product shot", "studio product"),
        ),
        Style(
            name="bright-social",
            label="Bright social",
            prompt="bright social media video, vibrant colors, high key lighting, "
            "energetic and eye-catching",
            negative="dark, gloomy, muted colors, low contrast",
            guidance=5.5,
            cues=("bright social", "social media"),
        ),
        Style(
            name="documentary",
            label="Documentary",
            prompt="documentary footage, natural light, handheld camera, realistic, candid",
            negative="staged, artificial lighting, cartoon, cgi",
            guidance=4.5,
            cues=("documentary",),
        ),
        Style(
            name="anime",
            label="Anime",
            prompt="anime style, cel shading, clean line art, vivid colors, detailed background",
            negative="photorealistic, photo, 3d render, blurry",
            guidance=7.0,
            cues=("anime",),
        ),
        Style(
            name="3d-render",
            label="3D render",
            prompt="3d render, soft global illumination, smooth materials, high detail",
            negative="photo, sketch, flat 2d, noisy",
            guidance=6.0,
            cues=("3d render", "3d rendering", "cgi"),
        ),
        Style(
            name="minimal",
            label="Minimal",
            prompt="minimal style, plain background, negative space, soft muted palette, "
            "simple shapes",
            negative="clutter, busy background, text, many objects",
            guidance=5.0,
            cues=("minimal", "minimalist"),
        ),
    )
}


def builtin_style(name: str) -> Style:
    """The built-in style called ``name``; ValueError naming the choices if there is none."""
    try:
        return BUILTIN_STYLES[name]
    except KeyError:
        raise ValueError(
            f"Unknown style {name!r}; choose one of: {', '.join(BUILTIN_STYLES)}."
        ) from None


def check_style(style: Style) -> None:
    """Raise ValueError naming the first part of the style that is out of bounds."""
    if not style.name.strip():
        raise ValueError("The style has no name.")
    if len(style.name) > MAX_STYLE_NAME_CHARS:
        raise ValueError(f"The style's name is over {MAX_STYLE_NAME_CHARS} characters.")
    for what, text in (("prompt additions", style.prompt), ("negative prompt", style.negative)):
        if len(text) > MAX_STYLE_ADDITION_CHARS:
            raise ValueError(
                f"The style's {what} are {len(text)} characters; "
                f"shorten them to {MAX_STYLE_ADDITION_CHARS} or fewer."
            )
    if style.guidance is not None and not 0.0 <= style.guidance <= MAX_GUIDANCE:
        raise ValueError(
            f"The style's guidance is {style.guidance}; it must be between 0 and {MAX_GUIDANCE:g}."
        )
    if style.steps is not None and not 1 <= style.steps <= MAX_STEPS:
        raise ValueError(f"The style's steps are {style.steps}; they must be 1 to {MAX_STEPS}.")


def check_styled(request: VideoRequest) -> None:
    """Raise ValueError when the request's style cannot be applied to it: a bad style, or
    additions that take the prompt or the negative prompt over the limit."""
    if request.style is None:
        return
    check_style(request.style)
    styled = _joined(request.prompt, request.style.prompt)
    if len(styled) > MAX_PROMPT_CHARS:
        raise ValueError(
            f"With the {request.style.label} style's additions the prompt is {len(styled)} "
            f"characters; shorten it to {MAX_PROMPT_CHARS - (len(styled) - len(request.prompt))} "
            "or fewer, or choose no style."
        )
    if len(_joined(request.negative_prompt, request.style.negative)) > MAX_PROMPT_CHARS:
        raise ValueError(
            f"With the {request.style.label} style's additions the negative prompt is over "
            f"{MAX_PROMPT_CHARS} characters; shorten it."
        )


def apply(request: VideoRequest) -> tuple[VideoRequest, dict[str, object] | None]:
    """The request with its style applied, and what the style added (None without a style).

    The additions follow the user's words after a comma; the style's guidance and steps
    replace the request's, except under the Fast preset, whose few-step LoRA runs at its own.
    """
    style = request.style
    if style is None:
        return request, None
    changes: dict[str, Any] = {
        "prompt": _joined(request.prompt, style.prompt),
        "negative_prompt": _joined(request.negative_prompt, style.negative),
    }
    settings: dict[str, dict[str, float | int]] = {}
    kept = ""
    wanted = {"guidance": style.guidance, "steps": style.steps}
    for name, value in wanted.items():
        if value is None or value == getattr(request, name):
            continue
        if request.preset == "fast":
            kept = "The Fast preset runs at its own steps and guidance; the style's were not used."
            continue
        settings[name] = {"from": getattr(request, name), "to": value}
        changes[name] = value
    added: dict[str, object] = {
        "name": style.name,
        "label": style.label,
        "prompt": style.prompt,
        "negative_prompt": style.negative,
        "settings": settings,
        "styled_prompt": changes["prompt"],
        "styled_negative_prompt": changes["negative_prompt"],
    }
    if kept:
        added["settings_not_used"] = kept
    return dataclasses.replace(request, **changes), added


def style_in_prompt(text: str) -> str | None:
    """The built-in style whose words come first in ``text`` ("... in anime style" reads as
    anime); None when it names none."""
    lowered = " ".join(re.findall(r"[a-z0-9]+", text.lower()))
    earliest: tuple[int, str] | None = None
    for style in BUILTIN_STYLES.values():
        for cue in style.cues:
            match = re.search(rf"\b{re.escape(cue)}\b", lowered)
            if match and (earliest is None or match.start() < earliest[0]):
                earliest = (match.start(), style.name)
    return earliest[1] if earliest else None


def _joined(text: str, addition: str) -> str:
    text, addition = text.strip(), addition.strip()
    if not addition:
        return text
    if not text:
        return addition
    return f"{text.rstrip(',')}, {addition}"
