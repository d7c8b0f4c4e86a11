"""The limits every pipeline holds a request to, with messages a user can act on."""

from __future__ import annotations

from generation.limits import (
    MAX_FPS,
    MAX_FRAMES,
    MAX_GUIDANCE,
    MAX_PROMPT_CHARS,
    MAX_SEED,
    MAX_SIDE,
    MAX_STEPS,
    MIN_SIDE,
)
from generation.types import VideoRequest


def check_request(request: VideoRequest) -> None:
    """Raise ValueError naming the first setting that is out of bounds."""
    prompt = request.prompt.strip()
    if not prompt:
        raise ValueError("The prompt is empty: describe the video you want.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(
            f"The prompt is {len(prompt)} characters; shorten it to {MAX_PROMPT_CHARS} or fewer."
        )
    if len(request.negative_prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"The negative prompt is over {MAX_PROMPT_CHARS} characters; shorten it.")
    for side, value in (("width", request.width), ("height", request.height)):
        if not MIN_SIDE <= value <= MAX_SIDE:
            raise ValueError(
                f"The {side} is {value} px; it must be between {MIN_SIDE} and {MAX_SIDE}."
            )
    _check_range("frame count", request.num_frames, 1, MAX_FRAMES)
    _check_range("frame rate (fps)", request.fps, 1, MAX_FPS)
    _check_range("number of steps", request.steps, 1, MAX_STEPS)
    if not 0.0 <= request.guidance <= MAX_GUIDANCE:
        raise ValueError(
            f"The guidance is {request.guidance}; it must be between 0 and {MAX_GUIDANCE:g}."
        )
    if not 0 <= request.seed <= MAX_SEED:
        raise ValueError(f"The seed is {request.seed}; it must be between 0 and {MAX_SEED}.")


def _check_range(what: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"The {what} is {value}; it must be between {low} and {high}.")
