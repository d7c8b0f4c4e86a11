"""Voiceover: a finished clip in, the same clip with a voice (and captions) out.

A clip with a voice is a storyboard of one scene whose footage is already made, so this runs
the storyboard's own voice, timeline, mix and render (``storyboard.assemble``): the voice is
loudness-normalised like a storyboard's, its captions come from the same word timings, and a
voice longer than the clip holds the clip's last frame (never slowed past half speed) until
the voice is done. A clip with its engine's own sound (LTX-2's) keeps it, ducked under the
voice as a storyboard scene's is.

Example::

    from pathlib import Path
    from generation.pipelines import voiceover

    result = voiceover.add(Path("clip.mp4"), "Meet the new bottle.", output=Path("out.mp4"))
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from generation import render
from generation.avatar import tts
from generation.limits import MAX_SPEED, MIN_SPEED
from generation.pipelines import storyboard
from generation.storyboard import timeline
from generation.storyboard.board import (
    CAPTION_MODES,
    FPS,
    CaptionMode,
    Scene,
    Storyboard,
    check_voiceover,
)
from generation.types import ProgressCallback, no_progress


@dataclass(frozen=True)
class VoiceoverRequest:
    text: str  # what the voice says, as written
    voice: str | None = None  # see tts.list_voices(); None: the first that can speak
    speed: float = 1.0
    captions: CaptionMode = "file"  # "burn": drawn into the picture; "file": WebVTT and SRT


@dataclass(frozen=True)
class VoiceoverResult:
    output: Path
    poster: Path
    duration: float  # seconds: the clip's, or the voice's plus a little air when longer
    captions: dict[str, str]  # "vtt" / "srt" -> path, when written
    width: int
    height: int


def check_request(request: VoiceoverRequest) -> str:
    """The text to speak, or ValueError naming what to change (before anything is made)."""
    if not request.text.strip():
        raise ValueError("The voiceover is empty: write what the voice should say.")
    if request.captions not in CAPTION_MODES:
        raise ValueError(f"Captions must be one of {', '.join(CAPTION_MODES)}.")
    if not MIN_SPEED <= request.speed <= MAX_SPEED:
        raise ValueError(f"The voice's speed must be between {MIN_SPEED:g} and {MAX_SPEED:g}.")
    tts.check_voice(request.voice or tts.default_voice())
    # Its length and what the voice cannot speak, as a storyboard scene's are checked.
    return check_voiceover(request.text, where="The voiceover")


def add(
    clip: Path,
    request: VoiceoverRequest,
    *,
    output: Path,
    on_progress: ProgressCallback = no_progress,
) -> VoiceoverResult:
    """Speak ``request.text`` over ``clip`` and write the result to ``output`` (H.264 + AAC),
    its poster beside it, and its captions beside it unless they are "none"."""
    # 1. Check inputs before anything is made.
    text = check_request(request)
    probe = render.probe(clip)
    width, height = probe.width // 2 * 2, probe.height // 2 * 2  # H.264 wants even sides

    # 2. One scene, the clip as its footage, entered without a transition; its own sound, if
    # it has one, is ducked under the voice.
    scene = Scene(
        visual="text-to-video", voiceover=text, transition="cut", prompt="(made)", sound="duck"
    )
    board = Storyboard(
        scenes=(scene,), voice=request.voice, speed=request.speed, captions=request.captions
    )
    with tempfile.TemporaryDirectory(prefix="reelsmith-voiceover-") as tmp:
        work = Path(tmp)
        # 3. The voice, then the scene's length: the whole clip, or longer when the voice is.
        voices = storyboard.make_voices(board, work, on_progress=on_progress)
        spoken = voices[0].seconds if voices[0] else 0.0
        needed = spoken + timeline.AIR_SECONDS + timeline.END_SECONDS
        seconds = max(probe.duration, needed)
        board = replace(board, scenes=(replace(scene, duration=round(seconds * FPS) / FPS),))

        # 4. The storyboard's mix and render, at the clip's own size.
        assembly = storyboard.assemble(
            board,
            [clip],
            output,
            "16:9",  # only names the files: the size below is the clip's
            voices=voices,
            work=work,
            on_progress=on_progress,
            size=(width, height),
        )
    return VoiceoverResult(
        output=assembly.output,
        poster=assembly.poster,
        duration=assembly.duration,
        captions=assembly.captions,
        width=width,
        height=height,
    )
