"""When each scene is on screen and when its voice speaks: pure arithmetic, to the frame.

A scene lasts its transition in, its voice and a little air (or its fixed duration). A
transition overlaps the end of one scene and the start of the next, so the video is shorter
than the sum of its scenes by the overlaps. A scene's voice starts when its picture is fully on
screen: at its first frame after a cut, at the end of a cross-fade, slide or fade through black.
Every time is a whole number of frames, so the voice lands on a frame.

Footage shorter than its scene is fitted without ever being slowed more than 2x: slowed down
to at most 2x and then held on its last frame, or looped at its own speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TRANSITION_SECONDS = {"cut": 0.0, "crossfade": 0.5, "fade-black": 0.6, "slide": 0.5}
AIR_SECONDS = 0.6  # after a scene's voice, before the next starts: at least the longest transition
END_SECONDS = 1.0  # after the last voice, while the music fades out
MAX_SLOWDOWN = 2.0  # footage is never played slower than half its speed


@dataclass(frozen=True)
class SceneTiming:
    """One scene's place in the video, in frames from the video's start."""

    start: int  # its first frame (the transition into it begins here)
    frames: int  # how long it lasts, its transition in included
    transition_frames: int  # the overlap with the previous scene
    voice_start: int  # the first frame at which it is fully on screen and its voice starts
    voice_frames: int  # how long its voice lasts (rounded up to a frame)

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass(frozen=True)
class Timeline:
    fps: int
    scenes: tuple[SceneTiming, ...]

    @property
    def frames(self) -> int:
        return self.scenes[-1].end if self.scenes else 0

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def seconds_of(self, frames: int) -> float:
        return frames / self.fps


def plan(
    voice_seconds: list[float],
    fixed_seconds: list[float | None],
    transitions: list[str],
    *,
    fps: int,
) -> Timeline:
    """The timeline of scenes whose voices last ``voice_seconds`` (0 for a silent scene),
    fixed to ``fixed_seconds`` where not None, entered by ``transitions`` (the first scene's
    is ignored: the video starts on it)."""
    if not len(voice_seconds) == len(fixed_seconds) == len(transitions):
        raise ValueError("Each scene needs a voice length, a fixed length or None, a transition.")
    timings: list[SceneTiming] = []
    start = 0
    last = len(voice_seconds) - 1
    for index, (voice, fixed, transition) in enumerate(
        zip(voice_seconds, fixed_seconds, transitions, strict=True)
    ):
        if transition not in TRANSITION_SECONDS:
            raise ValueError(f"Unknown transition '{transition}'.")
        overlap = round(TRANSITION_SECONDS[transition] * fps) if index else 0
        voice_frames = math.ceil(voice * fps)
        air = AIR_SECONDS + (END_SECONDS if index == last else 0.0)
        frames = overlap + voice_frames + math.ceil(air * fps) if voice_frames else 0
        if fixed is not None:
            frames = round(fixed * fps)
            if frames < overlap + voice_frames:
                raise ValueError(
                    f"Scene {index + 1} lasts {fixed:g} s but its voice needs "
                    f"{(overlap + voice_frames) / fps:.1f} s; lengthen it or shorten its words."
                )
        if frames <= overlap:
            raise ValueError(f"Scene {index + 1} is too short for its transition.")
        if index:
            previous = timings[-1]
            overlap = min(overlap, previous.frames - previous.transition_frames - 1)
            start = previous.end - overlap
        timings.append(
            SceneTiming(
                start=start,
                frames=frames,
                transition_frames=overlap,
                voice_start=start + overlap,
                voice_frames=voice_frames,
            )
        )
    return Timeline(fps=fps, scenes=tuple(timings))


@dataclass(frozen=True)
class FootageFit:
    """How a clip of ``clip_frames`` fills ``scene_frames``."""

    slowdown: float  # 1 = its own speed, at most MAX_SLOWDOWN
    hold_frames: int  # frames its last frame is held at the end
    loops: int  # times it is played (1 = once; more only when looping)


def fit_footage(clip_frames: int, scene_frames: int, mode: str = "hold") -> FootageFit:
    """Fit a clip to its scene: trimmed when longer; when shorter, slowed to at most 2x then
    held on its last frame ("hold"), or looped at its own speed ("loop")."""
    if clip_frames < 1 or scene_frames < 1:
        raise ValueError("A clip and a scene each need at least one frame.")
    if clip_frames >= scene_frames:
        return FootageFit(slowdown=1.0, hold_frames=0, loops=1)
    if mode == "loop":
        return FootageFit(slowdown=1.0, hold_frames=0, loops=math.ceil(scene_frames / clip_frames))
    if mode != "hold":
        raise ValueError(f"Footage is fitted by hold or loop, not '{mode}'.")
    slowdown = min(MAX_SLOWDOWN, scene_frames / clip_frames)
    played = math.floor(clip_frames * slowdown)
    return FootageFit(slowdown=slowdown, hold_frames=max(0, scene_frames - played), loops=1)
